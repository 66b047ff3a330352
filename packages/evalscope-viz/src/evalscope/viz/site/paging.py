"""The one pager of the site's pages (samples, compared pairs, arena battles): its controls, the
page a click turns to, and the page a total allows.

A page's pager is named by a prefix: buttons `<prefix>-prev` / `<prefix>-next`, the label
`<prefix>-page-info` and the page number kept in the store `<prefix>-page`. Plug-in pages (the
arena's) use it through `evalscope.viz.site.paging` like the built-in ones.
"""

from __future__ import annotations

import math
from typing import Any

from dash import Input, callback_context, dcc, html

from evalscope.viz.site.i18n import Translator

__all__ = ["PAGE_SIZE", "clamp_page", "page_inputs", "pager", "turn_page"]

#: rows (samples, pairs, battles) on one page
PAGE_SIZE = 10


def pager(prefix: str, t: Translator, *extra: Any) -> html.Div:
    """Prev / "page x of y" / next, the page number (0 first) and any `extra` hidden stores."""
    return html.Div(
        [
            html.Button(t("prev"), id=f"{prefix}-prev", n_clicks=0),
            html.Span(id=f"{prefix}-page-info", className="page-info"),
            html.Button(t("next"), id=f"{prefix}-next", n_clicks=0),
            dcc.Store(id=f"{prefix}-page", data=0),
            *extra,
        ],
        className="pager",
    )


def page_inputs(prefix: str) -> list[Input]:
    """The two buttons as callback inputs (their clicks turn the page)."""
    return [Input(f"{prefix}-prev", "n_clicks"), Input(f"{prefix}-next", "n_clicks")]


def turn_page(prefix: str, page: int | None) -> int:
    """The page to show after the callback's trigger: one back or on for the buttons, the first
    page for any other input (a new filter, run or dataset)."""
    trigger = callback_context.triggered_id
    page = page or 0
    if trigger == f"{prefix}-prev":
        return page - 1
    if trigger == f"{prefix}-next":
        return page + 1
    return 0


def clamp_page(page: int, total: int, size: int = PAGE_SIZE) -> tuple[int, int]:
    """(the page within 0 .. pages - 1, how many pages `total` rows make; at least one)."""
    pages = max(1, math.ceil(total / size))
    return min(max(page, 0), pages - 1), pages
