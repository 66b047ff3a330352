"""`evalscope compare RUN_A RUN_B`: paired significance of the score difference between two runs.

RUN_A and RUN_B are run dirs (or outputs dirs: their newest run); with `--store-url` they are run
ids or names inside that database. Results are read through the stores' read side.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from evalscope.core.stats import RunRef


def _ref(run: str, store_url: str | None, model_id: str | None) -> RunRef:
    from pathlib import Path

    from evalscope.core.stats import RunRef

    if store_url:
        return RunRef(store_url, run, model_id)
    if not Path(run).is_dir():
        raise click.BadParameter(f"{run}: no such run directory (name runs inside a database with --store-url)")
    return RunRef(run, None, model_id)


@click.command("compare")
@click.argument("run_a")
@click.argument("run_b")
@click.option(
    "--store-url",
    help="Database holding both runs (e.g. sqlite:///outputs/evalscope.db); RUN_A/RUN_B are then run ids or names.",
)
@click.option("--dataset", help="Compare only this benchmark.")
@click.option("--bootstrap", "n_bootstrap", type=click.IntRange(min=100), default=1000, show_default=True, help="Bootstrap replicates.")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--by-subset", is_flag=True, help="One comparison per subset instead of per dataset.")
@click.option("--model-a", help="Model folder in RUN_A's reviews/ (when it holds several).")
@click.option("--model-b", help="Model folder in RUN_B's reviews/ (when it holds several).")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def compare_command(
    run_a: str,
    run_b: str,
    store_url: str | None,
    dataset: str | None,
    n_bootstrap: int,
    seed: int,
    by_subset: bool,
    model_a: str | None,
    model_b: str | None,
    fmt: str,
) -> None:
    """Compare RUN_B against RUN_A on the samples both scored.

    Items are paired by (dataset, subset, id); a run with repeats gives each item the mean over its
    answers (`mean_<metric>`). Binary scores: exact McNemar test; other scores and per-item means:
    paired bootstrap. The interval is a 95%
    bootstrap interval of the mean difference (B - A). MDE is the smallest difference these pairs
    would detect with 80% power at alpha 0.05: 2.8016 * sd / sqrt(N), sd = sqrt(discordant / N)
    for 0/1 scores, else the standard deviation of the paired differences.
    """
    from evalscope.core.serialization import unstructure
    from evalscope.core.stats import compare_runs, comparison_cells

    refs = [_ref(run, store_url, model) for run, model in ((run_a, model_a), (run_b, model_b))]
    try:
        comparisons = compare_runs(refs[0], refs[1], dataset, n_bootstrap=n_bootstrap, seed=seed, by_subset=by_subset)
    except (FileNotFoundError, LookupError, ValueError) as exc:
        raise click.ClickException(str(exc)) from None
    if not comparisons:
        raise click.ClickException("the two runs share no scored samples" + (f" of {dataset}" if dataset else ""))
    if fmt == "json":
        click.echo(json.dumps(unstructure(comparisons), indent=2))
        return
    from tabulate import tabulate

    rows = [
        [
            c.dataset,
            c.subset or "-",
            c.metric,
            c.n,
            *comparison_cells(c),
            "-" if c.min_detectable_diff is None else f"{c.min_detectable_diff:.4f}",
            c.test,
        ]
        for c in comparisons
    ]
    headers = ["Dataset", "Subset", "Metric", "N", "A", "B", "B-A", "95% CI", "p", "MDE", "Test"]
    click.echo(tabulate(rows, headers=headers, tablefmt="grid", disable_numparse=True))
    unpaired = [(c.dataset, c.only_in_a, c.only_in_b) for c in comparisons if c.only_in_a or c.only_in_b]
    for name, only_a, only_b in dict.fromkeys(unpaired):
        click.echo(f"note: {name}: {only_a} sample(s) only in A, {only_b} only in B (left out)")
    for name, k_a, k_b in dict.fromkeys((c.dataset, c.repeats_a, c.repeats_b) for c in comparisons if c.per_item_means):
        click.echo(
            f"note: {name}: repeats (A {k_a}, B {k_b} answers per item): paired by item on per-item means over the "
            "repeats; N counts items; McNemar does not apply to means, so the test is the paired bootstrap"
        )
    click.echo("MDE: smallest |B-A| detectable at this N (80% power, alpha 0.05, two-sided); '-': the differences show no spread")
