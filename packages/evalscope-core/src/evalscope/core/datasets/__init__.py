"""Dataset sources that ship with core: local files laid out as the benchmarks' own releases."""

from evalscope.core.datasets.errors import DatasetFormatError, DatasetUnavailableError, describe_row
from evalscope.core.datasets.local import LocalDirSource, Records, read_records

__all__ = ["DatasetFormatError", "DatasetUnavailableError", "LocalDirSource", "Records", "describe_row", "read_records"]
