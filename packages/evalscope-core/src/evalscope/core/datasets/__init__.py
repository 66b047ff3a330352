"""Dataset sources that ship with core: local files laid out as the benchmarks' own releases."""

from evalscope.core.datasets.errors import DatasetUnavailableError
from evalscope.core.datasets.local import LocalDirSource, read_records

__all__ = ["DatasetUnavailableError", "LocalDirSource", "read_records"]
