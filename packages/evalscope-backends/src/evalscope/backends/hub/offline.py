"""The offline switch: no network attempt at all, ModelScope included.

`EVALSCOPE_OFFLINE=1` is evalscope's own switch; `HF_HUB_OFFLINE=1`, `HF_DATASETS_OFFLINE=1` and
`MODELSCOPE_OFFLINE=1` mean the same here. Offline, a dataset not found locally fails at once (no
hub is probed or asked), the HF libraries read only their caches, and models load with
`local_files_only`.
"""

from __future__ import annotations

import os

#: evalscope's own switch, then the hub libraries' switches it honours as well
OFFLINE_ENV_VARS = ("EVALSCOPE_OFFLINE", "HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE", "MODELSCOPE_OFFLINE")
_TRUE = ("1", "true", "yes", "on")


def offline_switch() -> str | None:
    """The variable that turned offline mode on (`HF_HUB_OFFLINE=1`), or None when online."""
    for name in OFFLINE_ENV_VARS:
        value = os.environ.get(name, "")
        if value.strip().lower() in _TRUE:
            return f"{name}={value.strip()}"
    return None


def offline_requested() -> bool:
    return offline_switch() is not None


def hf_libraries_offline() -> None:
    """Make the HF libraries honour the switch too: they read `HF_HUB_OFFLINE` (`datasets` and
    `transformers` through `huggingface_hub`), some only when first imported. Nothing changes
    when they are offline already."""
    import sys

    if os.environ.get("HF_HUB_OFFLINE", "").strip().lower() not in _TRUE:
        os.environ["HF_HUB_OFFLINE"] = "1"
    for module, names in (
        ("huggingface_hub.constants", ("HF_HUB_OFFLINE",)),
        ("datasets.config", ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE")),
    ):
        loaded = sys.modules.get(module)
        for name in names if loaded is not None else ():
            if getattr(loaded, name, True) is not True:
                setattr(loaded, name, True)


__all__ = ["OFFLINE_ENV_VARS", "offline_switch", "offline_requested", "hf_libraries_offline"]
