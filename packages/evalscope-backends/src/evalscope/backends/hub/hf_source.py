"""Records from the Hugging Face hub through `datasets.load_dataset` (imported only when used)."""

from __future__ import annotations

import os
from typing import Any

from evalscope.backends.hub import errors, probe
from evalscope.backends.hub.offline import hf_libraries_offline, offline_switch
from evalscope.backends.hub.records import has_datasets_package, to_records
from evalscope.core.ports import DatasetRef, DatasetSource

DEFAULT_ENDPOINT = "https://huggingface.co"
_INSTALL = "pip install datasets"


def endpoint() -> str:
    return os.environ.get("HF_ENDPOINT") or DEFAULT_ENDPOINT


class HuggingFaceSource(DatasetSource):
    """Loads `ref.dataset_id` from the HF hub; None when the benchmark names no hub id."""

    name = "huggingface"

    def __init__(self, cache_dir: str | None = None, probe_timeout: float = probe.PROBE_TIMEOUT_S) -> None:
        self.cache_dir = cache_dir
        self.probe_timeout = probe_timeout

    def load(self, ref: DatasetRef) -> list[dict[str, Any]] | None:
        if ref.dataset_id is None:
            return None
        has_datasets = has_datasets_package()
        local = os.path.exists(os.path.expanduser(ref.dataset_id))  # load_dataset also reads local dirs
        switch = offline_switch()
        if switch and not local:
            return self._from_cache(ref, switch, has_datasets)
        if not local:
            reason = probe.unreachable_reason(endpoint(), self.probe_timeout)
            if reason is not None:
                hint = "" if has_datasets else f"Loading from the HF hub also needs `{_INSTALL}`."
                raise errors.unreachable(ref, "Hugging Face", reason, hint)
        try:
            import datasets
        except ImportError as exc:
            raise errors.DatasetUnavailableError(
                f"Dataset {ref.dataset_id!r} of benchmark {ref.benchmark!r} is to be loaded from the "
                f"Hugging Face hub, which needs the `datasets` package: {_INSTALL}"
            ) from exc
        try:
            data = datasets.load_dataset(
                ref.dataset_id, ref.hub_subset or ref.subset, split=ref.hub_split or ref.split, cache_dir=self.cache_dir
            )
            return to_records(data, ref.hub_split or ref.split)
        except (ConnectionError, TimeoutError) as exc:
            raise errors.unreachable(ref, "Hugging Face", f"{type(exc).__name__}: {exc}") from exc
        except Exception as exc:  # the hub libraries raise many unrelated types
            raise errors.failed(ref, "Hugging Face", exc) from exc

    def _from_cache(self, ref: DatasetRef, switch: str, has_datasets: bool) -> list[dict[str, Any]]:
        """Offline: only the `datasets` cache may serve (the HF libraries told to stay offline too)."""
        if not has_datasets:  # no cache reader either
            raise errors.offline(ref, "Hugging Face", switch, hint=f"Reading the HF cache also needs `{_INSTALL}`.")
        hf_libraries_offline()
        import datasets

        try:
            data = datasets.load_dataset(
                ref.dataset_id, ref.hub_subset or ref.subset, split=ref.hub_split or ref.split, cache_dir=self.cache_dir
            )
        except Exception as exc:  # noqa: BLE001 - not cached (the libraries raise many types)
            raise errors.offline(ref, "Hugging Face", switch, f"{type(exc).__name__}") from exc
        return to_records(data, ref.hub_split or ref.split)
