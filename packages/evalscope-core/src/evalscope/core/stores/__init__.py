"""Result stores that ship with core, and choosing stores by name or location."""

from evalscope.core.stores.damage import DamagedStoreError
from evalscope.core.stores.select import RUN_DATABASE, build_stores, open_reader, store_for_url
from evalscope.core.stores.workdir import WorkDirStore, read_run_info

__all__ = ["DamagedStoreError", "RUN_DATABASE", "WorkDirStore", "build_stores", "open_reader", "read_run_info", "store_for_url"]
