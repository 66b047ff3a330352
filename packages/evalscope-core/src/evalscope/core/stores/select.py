"""Choosing result stores by name: the write stores of a run (from TaskConfig), and a reader for
a location (an outputs directory, a run dir, a database file or a database URL).

Stores are found through the `stores` registry (entry points of `evalscope.stores`), so a plug-in
store is usable by name without code; core never names a backend. A URL picks the store registered
under its scheme (`sqlite:///...` -> "sqlite", `postgresql+psycopg://...` -> "postgresql").
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any, Protocol

from evalscope.core.ports import ResultStore
from evalscope.core.registry import UnknownNameError, did_you_mean, stores
from evalscope.core.serialization import ConfigError
from evalscope.core.stores.workdir import WorkDirStore

#: store names every install understands, beside the registered ones
BUILT_IN = ("auto", "workdir")
#: the database a run keeps in its run dir when the SQL store is installed (its default location)
RUN_DATABASE = "evalscope.db"
_SCHEME = re.compile(r"^(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*)://")


class StoreSettings(Protocol):
    """What choosing a run's stores reads (a TaskConfig has both)."""

    store: str
    store_url: str | None


def url_scheme(location: str) -> str | None:
    """The scheme of a URL without its driver (`postgresql+psycopg://` -> postgresql); None for a path."""
    match = _SCHEME.match(location)
    return match.group("scheme").split("+", 1)[0].lower() if match else None


def _factory(name: str, what: str) -> Any:
    try:
        return stores.get(name)
    except UnknownNameError:
        known = sorted({*BUILT_IN, *stores.names()}) if what == "store" else stores.names()
        raise ConfigError(
            f"{what}: no result store named {name!r}.{did_you_mean(name, known)} "
            f"Known: {', '.join(known) or 'none'} (plug-ins register under the evalscope.stores entry point; "
            f"the SQL store comes with evalscope-backends)."
        ) from None


def store_for_url(url: str) -> ResultStore:
    """The store registered for `url`'s scheme, pointed at `url` (readable without `open`)."""
    scheme = url_scheme(url)
    if scheme is None:
        raise ConfigError(f"store_url: {url!r} is not a URL (expected scheme://...)")
    store: ResultStore = _factory(scheme, "store_url")(url)
    return store


def open_reader(location: str | os.PathLike[str]) -> ResultStore:
    """A store to read runs from.

    - a URL (`sqlite:///outputs/evalscope.db`, `postgresql://...`): the store of its scheme;
    - a database file (e.g. `<run>/evalscope.db`): read as `sqlite:///<file>`;
    - a directory: a work-dir reader of the run dirs under it (or of that one run dir).
    """
    text = os.fspath(location)
    if url_scheme(text) is not None:
        return store_for_url(text)
    path = Path(text)
    if path.is_file():
        return store_for_url(f"sqlite:///{path.resolve()}")
    if not path.is_dir():
        raise FileNotFoundError(f"{text}: no such run dir, outputs directory or database")
    return WorkDirStore(path)


def build_stores(cfg: StoreSettings) -> list[ResultStore]:
    """The write stores of a run: the primary store first, then EvalScope's work-dir files.

    `store`: auto (the store of `store_url`'s scheme, else SQLite when installed), workdir (files
    only), or any registered name (given `store_url` when set). Unknown names are a ConfigError
    that suggests close ones.
    """
    name = cfg.store
    chosen: list[ResultStore] = []
    if name == "auto":
        if cfg.store_url:
            chosen.append(store_for_url(cfg.store_url))
        elif "sqlite" in stores:
            chosen.append(stores.get("sqlite")())
    elif name != "workdir":
        if name == "sqlite" and "sqlite" not in stores:
            raise ConfigError("store: 'sqlite' needs evalscope-backends (pip install evalscope-backends)")
        factory = _factory(name, "store")
        chosen.append(factory(cfg.store_url) if cfg.store_url else factory())
    chosen.append(WorkDirStore())
    return chosen


__all__ = ["BUILT_IN", "build_stores", "open_reader", "store_for_url", "url_scheme"]
