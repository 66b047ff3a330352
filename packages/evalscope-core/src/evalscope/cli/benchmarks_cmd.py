"""`evalscope benchmarks` (placeholder until the catalogue command lands)."""

from __future__ import annotations

import click


@click.command("benchmarks")
def benchmarks_command() -> None:
    """List registered benchmarks."""
    from evalscope.benchmarks import benchmark_names

    for name in benchmark_names():
        click.echo(name)
