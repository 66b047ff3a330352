"""`evalscope eval`: every TaskConfig field as a flag (kebab-case), or a config file.

Each flag's value is checked on its own first, so an error names the flag (`--dataset-args gsm8k:
unknown key 'fewshot'. Did you mean: few_shot_num?`). A service run checks that something listens
at --api-url before any sample is sent.
"""

from __future__ import annotations

import json
import sys
from typing import Any

import click

from evalscope.cli.options import LimitType, SpaceSeparatedOption
from evalscope.config import LIMIT_HELP, TRUNCATION

#: flags whose value is a k=v list or a JSON object
KV_FLAGS = ("model_args", "generation_config", "judge_model_args", "executor_args")


def _json_option(value: str | None, name: str) -> Any:
    if not value:
        return None
    try:
        return json.loads(value)
    except json.JSONDecodeError as exc:
        raise click.BadParameter(f"not valid JSON ({exc.msg} at column {exc.colno})", param_hint=name) from None
    except RecursionError:
        raise click.BadParameter("JSON nested too deeply", param_hint=name) from None


@click.command("eval", context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--config", "config_file", type=click.Path(dir_okay=False), help="YAML or JSON task config (flags override it).")
@click.option("--model", help="Model: ModelScope/HF id, local path, alias (smollm2-135m-instruct) or served model name.")
@click.option("--model-id", help="Name used in reports and output paths (default: basename of --model).")
@click.option("--model-api", help="Model provider by registry name (hf, openai, mock or a plug-in); default from --eval-type.")
@click.option("--model-args", help='k=v,... or a JSON object, e.g. revision=main,precision=float32,device_map=cpu')
@click.option("--generation-config", help='k=v,... or a JSON object, e.g. max_tokens=256,temperature=0')
@click.option("--chat-template", help="Jinja chat template overriding the tokenizer's.")
@click.option("--prompt-style", help="Prompts: default (ours), evalscope-0.12 (EvalScope 0.12's byte for byte), evalscope-0.12-verbatim (0.12's with its prompt bugs), or a plug-in's.")
@click.option("--truncation", type=click.Choice(TRUNCATION), help="Prompts longer than the model's context: error (the sample fails) or left (cut from the left, counted).")
@click.option("--datasets", cls=SpaceSeparatedOption, help="Benchmark names or YAML benchmark files/folders: --datasets gsm8k arc my_bench.yaml")
@click.option("--dataset-args", help='JSON: {"gsm8k": {"few_shot_num": 0}}')
@click.option("--dataset-dir", help="Local dataset directory (env EVALSCOPE_DATASET_DIR).")
@click.option("--dataset-hub", help="Dataset source by registry name: modelscope (default), huggingface, local, or a plug-in.")
@click.option("--eval-type", type=click.Choice(["checkpoint", "service", "custom", "mock", "llm_ckpt", "openai_api", "server"]))
@click.option("--eval-backend", help="Native (default), or a third-party suite: OpenCompass, VLMEvalKit, RAGEval, ThirdParty.")
@click.option("--eval-config", help="The suite's settings (EvalScope's keys): a YAML/JSON file, or inline JSON. See docs/backends.md.")
@click.option("--limit", type=LimitType(), help=LIMIT_HELP)
@click.option("--repeats", type=click.IntRange(min=1), help="Answer every item k times: mean ± std, pass@k, vote@k (generation benchmarks; docs/repeats.md).")
@click.option("--eval-batch-size", type=click.IntRange(min=1), help="Samples in flight (local: batch size; service: concurrency).")
@click.option("--use-cache", help="Resume the run in this directory (or the newest run under it).")
@click.option("--work-dir", help="Output root (default ./outputs).")
@click.option("--no-timestamp", is_flag=True, default=None, help="Write into --work-dir directly.")
@click.option("--seed", type=int)
@click.option("--api-url", help="OpenAI-compatible base URL (service).")
@click.option("--api-key", envvar="EVALSCOPE_API_KEY", show_envvar=True, help="API key (service); never written to logs or reports.")
@click.option("--timeout", type=click.FloatRange(min=0, min_open=True), help="Per-request timeout in seconds.")
@click.option("--stream/--no-stream", default=None, help="Stream service responses.")
@click.option("--retries", type=click.IntRange(min=0), help="Retries of transient model errors (default 5).")
@click.option("--stage", type=click.Choice(["all", "infer", "review"]))
@click.option("--store", help="Result store: auto (SQLite when installed), sqlite, workdir.")
@click.option("--store-url", help="Database URL for the store (default: evalscope.db in the run dir).")
@click.option("--ignore-errors", is_flag=True, default=None, help="Report what finished even if some samples failed.")
@click.option("--debug", is_flag=True, default=None, help="Debug logging, and a full traceback on any error.")
@click.option("--judge-strategy", type=click.Choice(["auto", "rule", "llm", "llm_recall"]),
              help="LLM judge: auto (the benchmark decides), rule, llm (judge every answer), llm_recall (re-check rule misses).")
@click.option("--judge-model-args", help='Judge model, k=v,... or JSON: model_id, api_url, score_type... (key: env EVALSCOPE_JUDGE_API_KEY).')
@click.option("--judge-worker-num", type=click.IntRange(min=1), help="Judge calls in flight (default 1).")
@click.option("--executor", help="Where samples are evaluated: local (default) or ray (pip install evalscope-backends[ray]).")
@click.option("--ray-address", help="Ray cluster to join (ray://head:10001, auto); default: a local Ray for this run.")
@click.option("--executor-args", help='Executor settings, k=v,... or JSON: workers=2,num_gpus=1,shard_size=16 (see docs/scale.md).')
@click.option("--tui", "display", flag_value="tui", default=None, help="Show a live terminal dashboard while it runs (evalscope-viz).")
def eval_command(config_file: str | None, display: str | None, **flags: Any) -> None:
    """Run benchmarks against a model and print the score table."""
    from evalscope.cli.errors import user_errors
    from evalscope.config import ConfigError, TaskConfig, load_config_file
    from evalscope.core.serialization import unstructure

    with user_errors(["--debug"] if flags.get("debug") else []):
        data: dict[str, Any] = {}
        if config_file:
            loaded = load_config_file(config_file)
            if isinstance(loaded, list):
                raise ConfigError(f"{config_file}: holds several tasks; use run_task() or one file per task")
            data = dict(unstructure(loaded))
        data = merge_flag_settings(data, flag_settings(flags))
        if data.get("generation_config") is None:
            data.pop("generation_config", None)
        cfg = TaskConfig.from_dict(data, where="evalscope eval")
        _run(cfg, display)


def _display(name: str) -> Any:
    """A live display from the `displays` registry (entry points `evalscope.displays`: `module:function(cfg)`)."""
    from evalscope.core.registry import displays

    if name not in displays:
        raise click.ClickException(f"--{name}: no live display {name!r} installed (pip install evalscope-viz)")
    return displays.get(name)


def _run(cfg: Any, display: str | None = None) -> None:
    import asyncio

    from evalscope.core.engine import EvaluationError
    from evalscope.core.stopping import EXIT_SIGINT, EXIT_SIGTERM, sigterm_stops_runs
    from evalscope.run import run_task

    with sigterm_stops_runs() as terminated:  # SIGTERM: the run records itself as stopped, exit 143
        try:
            if display is not None:  # a display flag, not a TaskConfig setting: the front-end runs the task
                _display(display)(cfg)
            else:
                run_task(cfg)
        except EvaluationError as exc:
            click.echo(f"Error: {exc}", err=True)
            sys.exit(2)
        except (KeyboardInterrupt, asyncio.CancelledError):  # Ctrl-C (130) or SIGTERM (143): recorded as stopped
            sys.exit(EXIT_SIGTERM if terminated[0] else EXIT_SIGINT)


#: settings inside a key-value flag that are themselves merged key by key (judge_model_args')
NESTED_KV = ("generation_config", "model_args")


def merge_flag_settings(data: dict[str, Any], flags: dict[str, Any]) -> dict[str, Any]:
    """A config file's settings overridden by the flags given. A key-value flag (--model-args,
    --generation-config, --judge-model-args, --executor-args) overrides the file's value key by key
    (`--judge-model-args max_attempts=3` keeps the file's model_id and api_url), and so do the
    generation_config and model_args inside --judge-model-args; any other flag replaces the value."""
    out = dict(data)
    for key, value in flags.items():
        base = out.get(key)
        if key in KV_FLAGS and isinstance(base, dict) and isinstance(value, dict):
            merged = {k: v for k, v in base.items() if v is not None}
            for name, given in value.items():
                inner = merged.get(name)
                if name in NESTED_KV and isinstance(inner, dict) and isinstance(given, dict):
                    given = {**{k: v for k, v in inner.items() if v is not None}, **given}
                merged[name] = given
            value = merged
        out[key] = value
    return out


def flag_settings(flags: dict[str, Any]) -> dict[str, Any]:
    """TaskConfig settings from the flags given (None: not given), each checked on its own so an
    error names the flag."""
    out: dict[str, Any] = {}
    for key, value in flags.items():
        if value is None or value == ():
            continue
        flag = f"--{key.replace('_', '-')}"
        if key in KV_FLAGS:
            from evalscope.config import parse_kv_pairs

            value = parse_kv_pairs(value, where=flag)
        elif key == "dataset_args" or (key == "eval_config" and value.lstrip().startswith("{")):
            value = _json_option(value, flag)
        elif key == "datasets":
            value = list(value)
        out[key] = check_flag(key, value, flag)
    return out


def check_flag(key: str, value: Any, flag: str) -> Any:
    """Structure one flag's value as its TaskConfig field would be (types, unknown keys), naming
    the flag in the error. Cross-field checks happen when the whole TaskConfig is built."""
    import attrs

    from evalscope.config import (
        ConfigError,
        DatasetArgs,
        TaskConfig,
        normalise_dataset_args,
        normalise_generation_config,
    )
    from evalscope.core.serialization import short_repr, structure_strict

    if key == "dataset_args":
        if not isinstance(value, dict):
            raise ConfigError(f'{flag}: expected a JSON object like {{"gsm8k": {{"few_shot_num": 0}}}}, got {short_repr(value)}')
        for name, args in value.items():
            structure_strict(normalise_dataset_args(args, f"{flag} {name}"), DatasetArgs, where=f"{flag} {name}")
        return value
    if key == "generation_config":
        value = normalise_generation_config(value, where=flag)
    if key == "judge_model_args":
        from evalscope.config import normalise_judge_model_args

        value = normalise_judge_model_args(value, flag)
    fields = attrs.fields_dict(attrs.resolve_types(TaskConfig))
    if key in fields:
        structure_strict(value, fields[key].type, where=flag)  # type: ignore[arg-type]  # resolve_types() typed every field
    return value


