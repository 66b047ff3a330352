"""Records from the ModelScope hub through `MsDataset.load`."""

from __future__ import annotations

import os
from typing import Any

from evalscope.backends.hub import errors, probe
from evalscope.backends.hub.offline import offline_switch
from evalscope.backends.hub.records import has_datasets_package, to_records
from evalscope.core.ports import DatasetRef, DatasetSource

DEFAULT_ENDPOINT = "https://modelscope.cn"
_INSTALL_HINT = 'Loading from ModelScope also needs `pip install "modelscope[datasets]"`.'


def endpoint() -> str:
    return os.environ.get("MODELSCOPE_ENDPOINT") or os.environ.get("MODELSCOPE_DOMAIN") or DEFAULT_ENDPOINT


def _with_scheme(url: str) -> str:
    return url if "://" in url else f"https://{url}"


class ModelScopeSource(DatasetSource):
    """Loads `ref.dataset_id` from ModelScope; None when the benchmark names no hub id."""

    name = "modelscope"

    def __init__(self, cache_dir: str | None = None, probe_timeout: float = probe.PROBE_TIMEOUT_S) -> None:
        self.cache_dir = cache_dir
        self.probe_timeout = probe_timeout

    def load(self, ref: DatasetRef) -> list[dict[str, Any]] | None:
        if ref.dataset_id is None:
            return None
        local = os.path.exists(os.path.expanduser(ref.dataset_id))  # MsDataset also reads local dirs
        switch = offline_switch()
        if switch and not local:  # offline: no probe, no MsDataset (it would ask the hub)
            raise errors.offline(ref, "ModelScope", switch)
        has_datasets = has_datasets_package()
        reason = None if local else probe.unreachable_reason(_with_scheme(endpoint()), self.probe_timeout)
        if reason is not None:
            raise errors.unreachable(ref, "ModelScope", reason, "" if has_datasets else _INSTALL_HINT)
        if not has_datasets:
            raise errors.DatasetUnavailableError(
                f"Dataset {ref.dataset_id!r} of benchmark {ref.benchmark!r} needs the `datasets` package "
                f'to load from ModelScope: pip install "modelscope[datasets]"'
            )
        from modelscope.msdatasets import MsDataset

        kwargs: dict[str, Any] = {"subset_name": ref.hub_subset or ref.subset, "split": ref.hub_split or ref.split}
        if self.cache_dir:
            kwargs["cache_dir"] = self.cache_dir
        try:
            data = MsDataset.load(ref.dataset_id, **kwargs)
            return to_records(data, ref.hub_split or ref.split)
        except (ConnectionError, TimeoutError) as exc:
            raise errors.unreachable(ref, "ModelScope", f"{type(exc).__name__}: {exc}") from exc
        except Exception as exc:  # the hub libraries raise many unrelated types
            raise errors.failed(ref, "ModelScope", exc) from exc
