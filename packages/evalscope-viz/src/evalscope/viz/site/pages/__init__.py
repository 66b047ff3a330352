"""The site's page registry.

A page is a path, a title, a layout function and a function registering its callbacks. The built-in
pages are listed here; other packages add pages through the `evalscope.site_pages` entry-point group
(each entry point names a `Page`), e.g. the arena's rating table and battle browser.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

import attrs

from evalscope.viz.site.context import SiteContext

ENTRY_POINT_GROUP = "evalscope.site_pages"
log = logging.getLogger("evalscope.viz")


@attrs.frozen
class Page:
    #: URL path, e.g. "/model"
    path: str
    #: translation key of the navigation title (or the title itself)
    title: str
    #: (context, loaded run keys) -> the page's component tree
    layout: Callable[[SiteContext, list[str]], Any]
    #: (dash app, context) -> None: registers the page's callbacks once
    register: Callable[[Any, SiteContext], None] = lambda app, ctx: None
    order: int = 100
    #: the page's own words, key -> (en, zh), added to the site's translator (a plug-in's strings)
    strings: Mapping[str, tuple[str, str]] = attrs.field(factory=dict)


def builtin_pages() -> list[Page]:
    from evalscope.viz.site.pages import benchmarks, compare, dataset, model, perf

    return [model.PAGE, dataset.PAGE, compare.PAGE, perf.PAGE, benchmarks.PAGE]


def plugin_pages() -> list[Page]:
    """Pages of the `site_pages` registry (entry points `evalscope.site_pages`)."""
    from evalscope.core.registry import site_pages

    pages = []
    for name in site_pages.names():
        try:
            page = site_pages.get(name)
        except ImportError as exc:  # a plug-in whose own dependencies are missing: the site still starts
            log.warning("site page %r is left out: %s", name, exc)
            continue
        if not isinstance(page, Page):
            raise TypeError(f"entry point {name!r} of {ENTRY_POINT_GROUP} is {type(page).__name__}, not a Page")
        pages.append(page)
    return pages


def all_pages() -> list[Page]:
    pages = builtin_pages() + plugin_pages()
    paths = [p.path for p in pages]
    duplicates = {p for p in paths if paths.count(p) > 1}
    if duplicates:
        raise ValueError(f"several site pages claim {', '.join(sorted(duplicates))}")
    return sorted(pages, key=lambda p: p.order)
