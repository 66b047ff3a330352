"""Building blocks every page uses: a chart with export buttons, a table, a sample card, markdown."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from dash import dcc, html

from evalscope.core.numeric import format_score
from evalscope.viz.site.i18n import Translator

#: text that looks like LaTeX: display math, \( \) / \[ \], or dollars around a command, ^, _ or braces
#: (so the two prices of "$2 per egg ... $5" in a word problem stay text)
_LATEX = re.compile(r"\$\$.+?\$\$|\\\(.+?\\\)|\\\[.+?\\\]|\$[^$\n]*(?:\\[A-Za-z]+|[\^_{}])[^$\n]*\$", re.S)


def has_latex(text: str) -> bool:
    """Whether `text` holds math to typeset (a bare "$5" in a word problem is not math)."""
    return bool(_LATEX.search(text or ""))


def _tex_delimiters(text: str) -> str:
    """\\( \\) and \\[ \\] as the $ / $$ delimiters dcc.Markdown's MathJax understands."""
    text = re.sub(r"\\\[(.+?)\\\]", lambda m: f"$${m.group(1)}$$", text, flags=re.S)
    return re.sub(r"\\\((.+?)\\\)", lambda m: f"${m.group(1)}$", text, flags=re.S)


def markdown(text: str, *, class_name: str = "md") -> dcc.Markdown:
    """Markdown (no raw HTML), with MathJax only where the text holds LaTeX."""
    math = has_latex(text)
    return dcc.Markdown(
        _tex_delimiters(text) if math else text, mathjax=math, className=class_name, link_target="_blank"
    )


def chart(name: str, figure: Any, t: Translator) -> html.Div:
    """A graph with PNG and HTML export buttons (both rendered on this machine, no CDN)."""
    return html.Div(
        [
            dcc.Graph(
                id={"type": "chart", "name": name},
                figure=figure,
                config={"displaylogo": False, "toImageButtonOptions": {"format": "png", "filename": name}},
            ),
            html.Div(
                [
                    html.Button(t("export_png"), id={"type": "export-png", "name": name}, className="export"),
                    html.Button(
                        t("export_html"), id={"type": "export-html", "name": name}, className="export"
                    ),
                    dcc.Download(id={"type": "download", "name": name}),
                ],
                className="exports",
            ),
        ],
        className="chart",
        **{"data-chart": name},  # type: ignore[arg-type]  # data-* attributes reach Dash through **kwargs
    )


def table(
    headers: Sequence[str], rows: Sequence[Sequence[Any]], *, table_id: str, class_name: str = "grid"
) -> html.Table:
    return html.Table(
        [
            html.Thead(html.Tr([html.Th(h) for h in headers])),
            html.Tbody([html.Tr([html.Td("" if v is None else str(v)) for v in row]) for row in rows]),
        ],
        id=table_id,
        className=class_name,
    )


def stat(label: str, value: Any, key: str) -> html.Div:
    return html.Div(
        [html.Div(label, className="stat-label"), html.Div(str(value), className="stat-value")],
        className="stat",
        **{"data-stat": key},  # type: ignore[arg-type]  # data-* attributes reach Dash through **kwargs
    )


def section(title: str, *children: Any, class_name: str = "section") -> html.Section:
    return html.Section([html.H3(title), *children], className=class_name)


def field(label: str, body: Any, key: str) -> html.Div:
    return html.Div(
        [html.Div(label, className="field-label"), html.Div(body, className="field-body")],
        className="field",
        **{"data-field": key},  # type: ignore[arg-type]  # data-* attributes reach Dash through **kwargs
    )


fmt_score = format_score  # the one score cell (evalscope.core.numeric), CLI, TUI and site alike


def fmt_seconds(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, sec = divmod(int(round(seconds)), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h {minutes:02d}m {sec:02d}s" if hours else f"{minutes}m {sec:02d}s"
