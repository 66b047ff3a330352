"""One registry for benchmarks, model APIs, metrics, filters, stores, dataset sources, suites,
extractors and prompt styles.

Built-in items register lazily (name -> "module:attr"); plug-ins arrive through entry points of
the group ``evalscope.<kind>``. Nothing is imported until asked for by name.
"""

from __future__ import annotations

import difflib
import importlib
from collections.abc import Callable, Iterable
from typing import Any, Generic, TypeVar

T = TypeVar("T")


class UnknownNameError(KeyError):
    """A name that no registry entry matches; the message suggests close names."""

    def __str__(self) -> str:  # KeyError quotes its argument; we want the plain sentence
        return str(self.args[0])


def did_you_mean(name: str, candidates: Iterable[str]) -> str:
    close = difflib.get_close_matches(name, list(candidates), n=3, cutoff=0.5)
    return f" Did you mean: {', '.join(close)}?" if close else ""


def _load(target: str) -> Any:
    module_name, _, attr = target.partition(":")
    module = importlib.import_module(module_name)
    return getattr(module, attr) if attr else module


class Registry(Generic[T]):
    """Name -> object, with lazy built-ins and entry-point plug-ins."""

    def __init__(self, kind: str, entry_point_group: str | None = None) -> None:
        self.kind = kind
        self.entry_point_group = entry_point_group or f"evalscope.{kind}"
        self._items: dict[str, T] = {}
        self._lazy: dict[str, str] = {}
        self._aliases: dict[str, str] = {}
        self._entry_points_loaded = False

    def register(self, name: str, obj: T | None = None, *, aliases: Iterable[str] = ()) -> Any:
        """Register `obj` under `name`; usable as a decorator when `obj` is omitted."""

        def add(item: T) -> T:
            self._items[name] = item
            for alias in aliases:
                self._aliases[alias] = name
            return item

        if obj is None:
            return add
        return add(obj)

    def register_lazy(self, name: str, target: str, *, aliases: Iterable[str] = ()) -> None:
        """Register `module:attr`, imported on first use."""
        self._lazy[name] = target
        for alias in aliases:
            self._aliases[alias] = name

    def _load_entry_points(self) -> None:
        if self._entry_points_loaded:
            return
        self._entry_points_loaded = True
        from importlib.metadata import entry_points

        for ep in entry_points(group=self.entry_point_group):
            if ep.name not in self._items and ep.name not in self._lazy:
                self._lazy[ep.name] = ep.value

    def canonical(self, name: str) -> str:
        return self._aliases.get(name, name)

    def __contains__(self, name: str) -> bool:
        name = self.canonical(name)
        if name in self._items or name in self._lazy:
            return True
        self._load_entry_points()
        return name in self._lazy

    def get(self, name: str) -> T:
        key = self.canonical(name)
        if key in self._items:
            return self._items[key]
        if key not in self._lazy:
            self._load_entry_points()
        if key in self._lazy:
            item = _load(self._lazy[key])  # an entry that fails to import stays listed (and fails again)
            self._lazy.pop(key, None)
            # a lazily imported module may have registered itself already
            self._items.setdefault(key, item)
            return self._items[key]
        raise UnknownNameError(
            f"Unknown {self.kind} {name!r}.{did_you_mean(name, self.names())}"
            f" Known: {', '.join(sorted(self.names())) or 'none'}."
        )

    def names(self) -> list[str]:
        self._load_entry_points()
        return sorted(set(self._items) | set(self._lazy))


benchmarks: Registry[Any] = Registry("benchmarks")
model_apis: Registry[Callable[..., Any]] = Registry("model_apis")
metrics: Registry[Any] = Registry("metrics")
filters: Registry[Callable[..., Any]] = Registry("filters")
stores: Registry[Callable[..., Any]] = Registry("stores")
dataset_sources: Registry[Callable[..., Any]] = Registry("dataset_sources")
#: third-party evaluation suites by `eval_backend` name (core/suites.py)
eval_backends: Registry[Callable[..., Any]] = Registry("eval_backends")
#: where samples are evaluated when not in this process (`executor: ray`), by registry name
executors: Registry[Callable[..., Any]] = Registry("executors")
#: answer extractors `(text, sample) -> prediction` by name (YAML benchmarks' `scoring.extract`)
extractors: Registry[Callable[..., Any]] = Registry("extractors")
#: prompt styles by `prompt_style` name (`PromptStyle`, core/prompt_styles.py); the default is built in
prompt_styles: Registry[Any] = Registry("prompt_styles")
#: `evalscope` sub-commands (click commands) by name: built-ins lazily, plug-ins from `evalscope.commands`;
#: listing names imports none of them (`evalscope --help` stays fast)
commands: Registry[Any] = Registry("commands")
#: live views of a running evaluation or perf run (`--tui`), `evalscope.displays`: `display(cfg)`
displays: Registry[Callable[..., Any]] = Registry("displays")
#: report-site pages other packages add (`evalscope.site_pages`: each names a `viz.site.pages.Page`)
site_pages: Registry[Any] = Registry("site_pages")
