"""`TaskConfig`: every setting of an evaluation run, structured with cattrs from a dict, a YAML or
JSON file, a list of tasks, or the command line. Unknown keys and wrong types are errors that name
the key and its path. No user string is ever evaluated."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import attrs

from evalscope.core.serialization import ConfigError, structure_strict, unstructure
from evalscope.core.types import GenerationConfig

EVAL_TYPES = ("checkpoint", "service", "custom", "mock")
EVAL_TYPE_ALIASES = {"llm_ckpt": "checkpoint", "openai_api": "service", "server": "service", "mock_llm": "mock"}
STAGES = ("all", "infer", "review")
HUBS = ("modelscope", "huggingface", "local")
#: "default": our prompts; "evalscope-0.12": EvalScope 0.12's prompt text, byte for byte (docs/evalscope-0.12-compat.md)
PROMPT_STYLES = ("default", "evalscope-0.12")
TRUNCATION = ("error", "left")
DATASET_DIR_ENV = "EVALSCOPE_DATASET_DIR"
SECRET_FIELDS = ("api_key",)


def _one_of(choices: tuple[str, ...]) -> Any:
    def check(_inst: Any, attribute: attrs.Attribute, value: Any) -> None:
        if value not in choices:
            raise ValueError(f"{attribute.name} must be one of {', '.join(choices)}, not {value!r}")

    return check


def _positive(_inst: Any, attribute: attrs.Attribute, value: Any) -> None:
    if value is not None and value <= 0:
        raise ValueError(f"{attribute.name} must be positive, not {value!r}")


@attrs.define(kw_only=True)
class DatasetArgs:
    """Per-benchmark overrides (`dataset_args: {gsm8k: {...}}`)."""

    dataset_id: str | None = None
    local_path: str | None = None
    subset_list: list[str] | None = None
    few_shot_num: int | None = None
    few_shot_random: bool = False
    prompt_template: str | None = None
    system_prompt: str | None = None
    metric_list: list[str] | None = None
    filters: list[str] | dict[str, Any] | None = None
    output_type: str | None = attrs.field(default=None, validator=attrs.validators.optional(_one_of(("generation", "multiple_choice", "continuation"))))
    prompt_style: str | None = attrs.field(default=None, validator=attrs.validators.optional(_one_of(PROMPT_STYLES)))
    generation_config: GenerationConfig | None = None
    extra_params: dict[str, Any] = attrs.field(factory=dict)


@attrs.define(kw_only=True)
class TaskConfig:
    """One evaluation run. Field names and defaults follow EvalScope 0.12."""

    model: str | None = None
    model_id: str | None = None
    model_args: dict[str, Any] = attrs.field(factory=dict)
    generation_config: GenerationConfig | None = None
    chat_template: str | None = None
    #: model provider by registry name (hf, openai, mock or a plug-in); default from eval_type
    model_api: str | None = None
    #: prompts longer than the model's context: "error" (the sample fails) or "left" (cut, counted)
    truncation: str = attrs.field(default="error", validator=_one_of(TRUNCATION))
    prompt_style: str = attrs.field(default="default", validator=_one_of(PROMPT_STYLES))
    datasets: list[str] = attrs.field(factory=list)
    dataset_args: dict[str, DatasetArgs] = attrs.field(factory=dict)
    dataset_dir: str | None = None
    dataset_hub: str = attrs.field(default="modelscope", validator=_one_of(HUBS))
    eval_type: str = attrs.field(default="checkpoint", converter=lambda v: EVAL_TYPE_ALIASES.get(v, v), validator=_one_of(EVAL_TYPES))
    eval_backend: str = "Native"
    eval_config: dict[str, Any] | str | None = None
    limit: int | float | None = attrs.field(default=None, validator=_positive)
    eval_batch_size: int = attrs.field(default=1, validator=_positive)
    use_cache: str | None = None
    work_dir: str = "./outputs"
    no_timestamp: bool = False
    seed: int | None = 42
    api_url: str | None = None
    api_key: str | None = attrs.field(default=None, repr=False)
    timeout: float | None = None
    stream: bool = False
    retries: int = 5
    stage: str = attrs.field(default="all", validator=_one_of(STAGES))
    store: str = "auto"
    store_url: str | None = None
    ignore_errors: bool = False
    debug: bool = False

    # -- construction ----------------------------------------------------------------------------
    @classmethod
    def from_dict(cls, data: dict[str, Any], *, where: str = "config") -> TaskConfig:
        if not isinstance(data, dict):
            raise ConfigError(f"{where}: expected a mapping of settings, got {type(data).__name__}")
        return structure_strict(_normalise(data), cls, where=where)

    @classmethod
    def from_file(cls, path: str | os.PathLike[str]) -> TaskConfig | list[TaskConfig]:
        return load_config_file(path)

    def to_dict(self, *, redact: bool = True) -> dict[str, Any]:
        data = unstructure(self)
        if redact:
            for key in SECRET_FIELDS:
                if data.get(key):
                    data[key] = "***"
        return data

    # -- resolved values -------------------------------------------------------------------------
    @property
    def resolved_model_id(self) -> str:
        if self.model_id:
            return self.model_id
        if not self.model:
            return "mock"
        return Path(self.model.rstrip("/")).name or self.model

    @property
    def resolved_dataset_dir(self) -> str | None:
        return self.dataset_dir or os.environ.get(DATASET_DIR_ENV) or None

    def args_for(self, dataset: str) -> DatasetArgs:
        return self.dataset_args.get(dataset) or DatasetArgs()


def _normalise(data: dict[str, Any]) -> dict[str, Any]:
    """Accept EvalScope's spellings: `max_new_tokens`, dataset_args as a JSON string."""
    data = dict(data)
    if isinstance(data.get("datasets"), str):
        data["datasets"] = [data["datasets"]]
    gen = data.get("generation_config")
    if isinstance(gen, dict):
        data["generation_config"] = normalise_generation_config(gen)
    dargs = data.get("dataset_args")
    if isinstance(dargs, dict):
        data["dataset_args"] = {
            k: (dict(v, generation_config=normalise_generation_config(v["generation_config"])) if isinstance(v, dict) and isinstance(v.get("generation_config"), dict) else v)
            for k, v in dargs.items()
        }
    return data


HF_ONLY_KEYS = {
    "max_length": "it counts prompt and output tokens together; use max_tokens (new tokens)",
    "num_beams": "beam search is not supported; remove it",
    "num_return_sequences": "use n",
}


def normalise_generation_config(gen: dict[str, Any]) -> dict[str, Any]:
    gen = dict(gen)
    if "max_new_tokens" in gen:
        value = gen.pop("max_new_tokens")
        gen.setdefault("max_tokens", value)
    for key, why in HF_ONLY_KEYS.items():
        if key in gen:
            if key == "num_return_sequences":
                gen.setdefault("n", gen.pop(key))
                continue
            raise ConfigError(f"generation_config.{key}: not supported ({why})")
    return gen


def load_config_file(path: str | os.PathLike[str]) -> TaskConfig | list[TaskConfig]:
    """A YAML or JSON file holding one task (mapping) or several (list)."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"{path}: no such config file")
    text = path.read_text(encoding="utf-8")
    if path.suffix.lower() == ".json":
        import json

        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ConfigError(f"{path}:{exc.lineno}: invalid JSON ({exc.msg})") from None
    else:
        import yaml

        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            line = f":{mark.line + 1}" if mark else ""
            raise ConfigError(f"{path}{line}: invalid YAML ({getattr(exc, 'problem', exc)})") from None
    if isinstance(data, list):
        return [TaskConfig.from_dict(item, where=f"{path}[{i}]") for i, item in enumerate(data)]
    return TaskConfig.from_dict(data, where=str(path))


def parse_kv_pairs(text: str | None, *, where: str) -> dict[str, Any]:
    """`k=v,k=v` from the command line; each value is read as a YAML scalar (numbers, booleans,
    null, strings) -- never evaluated as code."""
    if not text:
        return {}
    import yaml

    out: dict[str, Any] = {}
    for item in _split_top_level(text):
        if not item.strip():
            continue
        key, sep, raw = item.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"{where}: expected key=value, got {item!r}")
        try:
            value = yaml.safe_load(raw) if raw.strip() else ""
        except yaml.YAMLError:
            value = raw
        out[key.strip()] = value
    return out


def _split_top_level(text: str) -> list[str]:
    """Split on commas that are not inside brackets or quotes (lists like stop=[a,b] stay whole)."""
    parts, depth, quote, current = [], 0, "", []
    for ch in text:
        if quote:
            quote = "" if ch == quote else quote
        elif ch in "\"'":
            quote = ch
        elif ch in "[{(":
            depth += 1
        elif ch in "]})":
            depth -= 1
        elif ch == "," and depth == 0:
            parts.append("".join(current))
            current = []
            continue
        current.append(ch)
    parts.append("".join(current))
    return parts


__all__ = ["TaskConfig", "DatasetArgs", "ConfigError", "load_config_file", "parse_kv_pairs"]
