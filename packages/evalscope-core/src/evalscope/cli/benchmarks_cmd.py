"""`evalscope benchmarks`: the catalogue of registered benchmarks (built-in and plug-in).

No name, several names or wildcards: the list, fitted to the terminal (`--width`), or every column
with `--format markdown|json`. One exact name (or a YAML benchmark file): what a user needs before
running it (`evalscope.app.catalogue.describe_benchmark`, which the report site shows too).
Imports each benchmark's spec module (they are light) and nothing else.
"""

from __future__ import annotations

import fnmatch
import json
import shutil
import sys
from typing import Any

import click

from evalscope.cli.benchmarks_text import format_card, format_list, format_markdown, format_markdown_card

#: the width when stdout is not a terminal
DEFAULT_WIDTH = 100


def benchmark_info(name: str, dataset_dir: str | None = None, max_subsets: int = 4) -> dict[str, Any]:
    """What the list shows for one benchmark (an `error` key where its spec fails to load)."""
    from evalscope.app.catalogue import describe_benchmark, summary

    return summary(describe_benchmark(name, dataset_dir, example=False), max_subsets)


def select_names(patterns: tuple[str, ...], names: list[str]) -> list[str]:
    """Names matching any pattern (exact names or shell wildcards); unknown exact names are errors."""
    if not patterns:
        return names
    chosen: list[str] = []
    for pattern in patterns:
        hits = (
            fnmatch.filter(names, pattern) if _is_wildcard(pattern) else [pattern] if pattern in names else []
        )
        if not hits:
            from evalscope.core.registry import did_you_mean

            raise click.BadParameter(
                f"no benchmark {pattern!r}.{did_you_mean(pattern, names)}", param_hint="NAMES"
            )
        chosen.extend(h for h in hits if h not in chosen)
    return chosen


def _is_wildcard(pattern: str) -> bool:
    return any(c in pattern for c in "*?[")


def terminal_width() -> int:
    """The terminal's width when stdout is a terminal, else DEFAULT_WIDTH."""
    if sys.stdout.isatty():
        return shutil.get_terminal_size((DEFAULT_WIDTH, 24)).columns
    return DEFAULT_WIDTH


def format_text(infos: list[dict[str, Any]], width: int = DEFAULT_WIDTH) -> str:
    """The list view, no line wider than `width`."""
    return format_list(infos, width)


@click.command("benchmarks")
@click.argument("names", nargs=-1)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "markdown"]),
    default="text",
    show_default=True,
    help="text fits the terminal; json and markdown hold every column.",
)
@click.option(
    "--width",
    type=click.IntRange(min=40),
    default=None,
    help=f"Text width in columns (default: the terminal's, {DEFAULT_WIDTH} when not a terminal).",
)
@click.option(
    "--dataset-dir",
    type=click.Path(file_okay=False),
    envvar="EVALSCOPE_DATASET_DIR",
    help="Local dataset root; shows whether each benchmark's folder is there. [env: EVALSCOPE_DATASET_DIR]",
)
@click.option(
    "--max-subsets",
    type=click.IntRange(min=0),
    default=3,
    show_default=True,
    help="Subsets named per benchmark in JSON.",
)
def benchmarks_command(
    names: tuple[str, ...], fmt: str, width: int | None, dataset_dir: str | None, max_subsets: int
) -> None:
    """List registered benchmarks, or describe one.

    NAMES filters the list (exact names or wildcards such as 'mmlu*'). One exact name, or a YAML
    benchmark file, shows that benchmark: data source and local layout, subsets, one rendered
    prompt, extraction, metrics, output types, few-shot default and the command to run it.
    """
    from evalscope.app.benchmark_files import is_benchmark_file
    from evalscope.benchmarks import benchmark_names

    width = width or terminal_width()
    if len(names) == 1 and not _is_wildcard(names[0]):
        name = names[0]
        if not is_benchmark_file(name):
            select_names(names, benchmark_names())  # an unknown name: "Did you mean" and exit 2
        _show_one(name, fmt, width, dataset_dir, max_subsets)
        return
    files = [n for n in names if is_benchmark_file(n)]
    rest = tuple(n for n in names if not is_benchmark_file(n))
    selected = select_names(rest, benchmark_names()) if rest or not files else []
    infos = [benchmark_info(n, dataset_dir, max_subsets) for n in [*selected, *files]]
    if fmt == "json":
        click.echo(json.dumps(infos, ensure_ascii=False, indent=2))
    elif fmt == "markdown":
        click.echo(format_markdown(infos))
    else:
        click.echo(format_list(infos, width))


def _show_one(name: str, fmt: str, width: int, dataset_dir: str | None, max_subsets: int) -> None:
    from evalscope.app.catalogue import describe_benchmark, summary, to_json

    card = describe_benchmark(name, dataset_dir)
    if fmt == "json":  # a list of one, as the list view: the list's keys and the card's
        click.echo(
            json.dumps([{**summary(card, max_subsets), **to_json(card)}], ensure_ascii=False, indent=2)
        )
    elif fmt == "markdown":
        click.echo(format_markdown_card(card))
    else:
        click.echo(format_card(card, width))
