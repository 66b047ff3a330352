"""`evalscope collection`: sample a mixed dataset from a schema; print a collection run's report."""

from __future__ import annotations

import click


@click.group("collection")
def collection_command() -> None:
    """Mixed datasets: sample several benchmarks into one JSONL (evaluate it as `data_collection`)."""


@collection_command.command("create")
@click.option("--schema", "schema_path", required=True, type=click.Path(dir_okay=False), help="Collection schema (JSON).")
@click.option("--sampler", type=click.Choice(["weighted", "uniform", "stratified"]), default="weighted", show_default=True)
@click.option("--count", type=click.IntRange(min=1), required=True, help="Rows to draw.")
@click.option("--out", "out_path", required=True, type=click.Path(dir_okay=False), help="Output JSONL.")
@click.option("--dataset-dir", envvar="EVALSCOPE_DATASET_DIR", help="Local dataset root. [env: EVALSCOPE_DATASET_DIR]")
@click.option("--dataset-hub", type=click.Choice(["modelscope", "huggingface", "local"]), default="modelscope", show_default=True)
@click.option("--seed", type=int, default=42, show_default=True)
@click.option(
    "--generation-only",
    is_flag=True,
    help="Render every benchmark in generation mode (for models behind chat APIs without log-probabilities).",
)
@click.option("--no-shuffle", is_flag=True, help="Keep rows grouped by dataset instead of mixing them.")
def create_command(
    schema_path: str,
    sampler: str,
    count: int,
    out_path: str,
    dataset_dir: str | None,
    dataset_hub: str,
    seed: int,
    generation_only: bool,
    no_shuffle: bool,
) -> None:
    """Sample COUNT rows from the benchmarks of a schema into a JSONL file."""
    from collections import Counter

    from evalscope.benchmarks import get_benchmark
    from evalscope.core.collections import SAMPLERS, CollectionSchema, dump_jsonl
    from evalscope.core.datasets import DatasetUnavailableError
    from evalscope.core.registry import UnknownNameError
    from evalscope.core.serialization import ConfigError
    from evalscope.core.types import RequestKind

    try:
        schema = CollectionSchema.from_json(schema_path)
        chosen = SAMPLERS[sampler](
            schema,
            resolve=get_benchmark,
            dataset_dir=dataset_dir,
            hub=dataset_hub,
            seed=seed,
            capabilities={RequestKind.GENERATE} if generation_only else None,
            shuffle=not no_shuffle,
        )
        rows = chosen.sample(count)
    except (ConfigError, UnknownNameError, DatasetUnavailableError, ValueError) as exc:
        raise click.ClickException(str(exc)) from None
    path = dump_jsonl(rows, out_path)
    for note in chosen.notes:
        click.echo(f"note: {note}", err=True)
    per_dataset = Counter(r.dataset_name for r in rows)
    click.echo(f"{len(rows)} rows ({sampler}) -> {path}")
    for name, n in per_dataset.items():
        click.echo(f"  {name}: {n}")
    click.echo(f"Evaluate with: datasets=['data_collection'], dataset_args={{'data_collection': {{'local_path': '{path}'}}}}")


@collection_command.command("report")
@click.argument("run_dir", type=click.Path(exists=True, file_okay=False))
@click.option("--model-id", help="Model folder under reviews/ (default: every model).")
@click.option("--dataset", default="data_collection", show_default=True, help="Benchmark name the collection ran as.")
def report_command(run_dir: str, model_id: str | None, dataset: str) -> None:
    """Per subset / dataset / task type / tag / category tables of an evaluated collection."""
    from evalscope.core.collections.report import (
        build_collection_report,
        entries_from_run,
        format_collection_tables,
        run_models,
        write_collection_report,
    )

    models = [model_id] if model_id else run_models(run_dir)
    found = False
    for model in models:
        entries = entries_from_run(run_dir, model, dataset)
        if not entries:
            continue
        found = True
        report = build_collection_report(entries, model_name=model)
        path = write_collection_report(report, run_dir, model)
        click.echo(format_collection_tables(report))
        click.echo(f"Written: {path}")
    if not found:
        raise click.ClickException(f"{run_dir}: no reviewed {dataset} samples")
