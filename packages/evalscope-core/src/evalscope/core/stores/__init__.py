"""Result stores that ship with core."""

from evalscope.core.stores.workdir import WorkDirStore

__all__ = ["WorkDirStore"]
