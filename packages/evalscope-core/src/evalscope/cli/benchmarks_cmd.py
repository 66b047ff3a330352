"""`evalscope benchmarks`: the catalogue of registered benchmarks (built-in and plug-in).

Imports each benchmark's spec module (they are light) and nothing else.
"""

from __future__ import annotations

import fnmatch
import json
import os
from pathlib import Path
from typing import Any

import click


def benchmark_info(name: str, dataset_dir: str | None = None, max_subsets: int = 4) -> dict[str, Any]:
    """What `evalscope benchmarks` shows for one benchmark (an `error` key where its spec fails to load)."""
    from evalscope.app.benchmark_files import is_benchmark_file, load_benchmark_file
    from evalscope.benchmarks import get_benchmark
    from evalscope.core.serialization import ConfigError

    try:
        if is_benchmark_file(name):  # a YAML benchmark (docs/yaml-benchmarks.md): its errors are the user's
            spec = load_benchmark_file(name)
        else:
            spec = get_benchmark(name)
    except ConfigError:
        raise
    except Exception as exc:  # noqa: BLE001 - a broken or missing spec module is listed, not fatal
        return {"name": name, "error": f"{type(exc).__name__}: {exc}"}
    local = str(Path(dataset_dir) / spec.local_dir) if dataset_dir and spec.local_dir else None
    return {
        "name": spec.name,
        "pretty_name": spec.pretty_name or spec.name,
        "description": spec.description,
        "tags": list(spec.tags),
        "num_subsets": len(spec.subsets),
        "subsets": list(spec.subsets),
        "first_subsets": list(spec.subsets[:max_subsets]),
        "metrics": list(spec.metrics),
        "output_types": list(spec.output_types),
        "few_shot_num": spec.few_shot_num,
        "eval_split": spec.eval_split,
        "dataset_id": spec.dataset_id,
        "hf_dataset_id": spec.hf_dataset_id,
        "local_dir": spec.local_dir,
        "local_path": local,
        "local_found": bool(local and os.path.isdir(local)),
    }


def select_names(patterns: tuple[str, ...], names: list[str]) -> list[str]:
    """Names matching any pattern (exact names or shell wildcards); unknown exact names are errors."""
    if not patterns:
        return names
    chosen: list[str] = []
    for pattern in patterns:
        hits = fnmatch.filter(names, pattern) if any(c in pattern for c in "*?[") else [pattern] if pattern in names else []
        if not hits:
            from evalscope.core.registry import did_you_mean

            raise click.BadParameter(f"no benchmark {pattern!r}.{did_you_mean(pattern, names)}", param_hint="NAMES")
        chosen.extend(h for h in hits if h not in chosen)
    return chosen


def _subsets_text(info: dict[str, Any]) -> str:
    shown = ", ".join(info["first_subsets"])
    more = ", …" if info["num_subsets"] > len(info["first_subsets"]) else ""
    return f"{info['num_subsets']}: {shown}{more}"


def _data_text(info: dict[str, Any]) -> str:
    parts = []
    if info["dataset_id"]:
        parts.append(info["dataset_id"])
    if info["local_dir"]:
        mark = " (found)" if info["local_found"] else ""
        parts.append(f"local:{info['local_dir']}/{mark}")
    return ", ".join(parts) or "-"


def format_text(infos: list[dict[str, Any]]) -> str:
    from tabulate import tabulate

    ok = [i for i in infos if "error" not in i]
    rows = [
        [i["name"], _subsets_text(i), ", ".join(i["metrics"]), ", ".join(i["output_types"]), i["few_shot_num"], _data_text(i)]
        for i in ok
    ]
    text = tabulate(
        rows, headers=["Name", "Subsets", "Metrics", "Output types", "Shots", "Data"], tablefmt="simple", disable_numparse=True
    )
    broken = [i for i in infos if "error" in i]
    if broken:
        text += "\n\nNot available:\n" + "\n".join(f"  {i['name']}: {i['error']}" for i in broken)
    return text


@click.command("benchmarks")
@click.argument("names", nargs=-1)
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option(
    "--dataset-dir",
    type=click.Path(file_okay=False),
    envvar="EVALSCOPE_DATASET_DIR",
    help="Local dataset root; shows whether each benchmark's folder is there. [env: EVALSCOPE_DATASET_DIR]",
)
@click.option("--max-subsets", type=click.IntRange(min=0), default=3, show_default=True, help="Subsets named per benchmark in text.")
def benchmarks_command(names: tuple[str, ...], fmt: str, dataset_dir: str | None, max_subsets: int) -> None:
    """List registered benchmarks: subsets, metrics, output types and data source.

    NAMES filters the list (exact names or wildcards such as 'mmlu*'); a YAML benchmark file is shown too.
    """
    from evalscope.app.benchmark_files import is_benchmark_file
    from evalscope.benchmarks import benchmark_names

    files = [n for n in names if is_benchmark_file(n)]
    rest = tuple(n for n in names if not is_benchmark_file(n))
    selected = select_names(rest, benchmark_names()) if rest or not files else []
    infos = [benchmark_info(n, dataset_dir, max_subsets) for n in [*selected, *files]]
    if fmt == "json":
        click.echo(json.dumps(infos, ensure_ascii=False, indent=2))
    else:
        click.echo(format_text(infos))
