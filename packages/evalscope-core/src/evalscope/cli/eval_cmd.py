"""`evalscope eval`: every TaskConfig field as a flag (kebab-case), or a config file."""

from __future__ import annotations

import json
import sys
from typing import Any

import click

from evalscope.cli.options import SpaceSeparatedOption


def _json_option(value: str | None, name: str) -> Any:
    if not value:
        return None
    try:
        return json.loads(value)
    except json.JSONDecodeError as exc:
        raise click.BadParameter(f"not valid JSON ({exc.msg} at column {exc.colno})", param_hint=name) from None


@click.command("eval", context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--config", "config_file", type=click.Path(dir_okay=False), help="YAML or JSON task config (flags override it).")
@click.option("--model", help="Model: ModelScope/HF id, local path, alias (smollm2-135m-instruct) or served model name.")
@click.option("--model-id", help="Name used in reports and output paths (default: basename of --model).")
@click.option("--model-args", help="k=v,... e.g. revision=main,precision=float32,device_map=cpu")
@click.option("--generation-config", help="k=v,... e.g. max_tokens=256,temperature=0")
@click.option("--chat-template", help="Jinja chat template overriding the tokenizer's.")
@click.option("--prompt-style", type=click.Choice(["default", "evalscope-0.12"]), help="Prompts: ours, or EvalScope 0.12's byte for byte.")
@click.option("--datasets", cls=SpaceSeparatedOption, help="Benchmark names: --datasets gsm8k arc")
@click.option("--dataset-args", help='JSON: {"gsm8k": {"few_shot_num": 0}}')
@click.option("--dataset-dir", help="Local dataset directory (env EVALSCOPE_DATASET_DIR).")
@click.option("--dataset-hub", type=click.Choice(["modelscope", "huggingface", "local"]))
@click.option("--eval-type", type=click.Choice(["checkpoint", "service", "custom", "mock", "llm_ckpt", "openai_api", "server"]))
@click.option("--eval-backend", help="Native (default).")
@click.option("--limit", type=float, help="First N samples per subset (N<1: a fraction).")
@click.option("--eval-batch-size", type=int, help="Samples in flight (local: batch size; service: concurrency).")
@click.option("--use-cache", help="Resume the run in this directory (or the newest run under it).")
@click.option("--work-dir", help="Output root (default ./outputs).")
@click.option("--no-timestamp", is_flag=True, default=None, help="Write into --work-dir directly.")
@click.option("--seed", type=int)
@click.option("--api-url", help="OpenAI-compatible base URL (service).")
@click.option("--api-key", help="API key (service); never written to logs or reports.")
@click.option("--timeout", type=float, help="Per-request timeout in seconds.")
@click.option("--stream/--no-stream", default=None, help="Stream service responses.")
@click.option("--retries", type=int, help="Retries of transient model errors (default 5).")
@click.option("--stage", type=click.Choice(["all", "infer", "review"]))
@click.option("--store", help="Result store: auto (SQLite when installed), sqlite, workdir.")
@click.option("--store-url", help="Database URL for the store (default: evalscope.db in the run dir).")
@click.option("--ignore-errors", is_flag=True, default=None, help="Report what finished even if some samples failed.")
@click.option("--debug", is_flag=True, default=None)
def eval_command(config_file: str | None, **flags: Any) -> None:
    """Run benchmarks against a model and print the score table."""
    from evalscope.config import ConfigError, TaskConfig, load_config_file, parse_kv_pairs
    from evalscope.core.datasets import DatasetUnavailableError
    from evalscope.core.engine import EvaluationError
    from evalscope.core.registry import UnknownNameError
    from evalscope.core.serialization import unstructure

    try:
        data: dict[str, Any] = {}
        if config_file:
            loaded = load_config_file(config_file)
            if isinstance(loaded, list):
                raise ConfigError(f"{config_file}: holds several tasks; use run_task() or one file per task")
            data = {k: v for k, v in unstructure(loaded).items()}
        overrides: dict[str, Any] = {}
        for key, value in flags.items():
            if value is None or value == ():
                continue
            if key in ("model_args", "generation_config"):
                value = parse_kv_pairs(value, where=f"--{key.replace('_', '-')}")
            elif key == "dataset_args":
                value = _json_option(value, "--dataset-args")
            elif key == "datasets":
                value = list(value)
            elif key == "limit" and float(value).is_integer() and value >= 1:
                value = int(value)
            overrides[key] = value
        data.update(overrides)
        if data.get("generation_config") is None:
            data.pop("generation_config", None)
        cfg = TaskConfig.from_dict(data, where="eval")
        from evalscope.run import run_task

        run_task(cfg)
    except (ConfigError, UnknownNameError, DatasetUnavailableError) as exc:
        raise click.ClickException(str(exc)) from None
    except EvaluationError as exc:
        click.echo(f"Error: {exc}", err=True)
        sys.exit(2)
