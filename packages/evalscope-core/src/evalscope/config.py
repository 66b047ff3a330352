"""`TaskConfig`: every setting of an evaluation run, structured with cattrs from a dict, a YAML or
JSON file, a list of tasks, or the command line. Unknown keys and wrong types are errors that name
the key and its path. No user string is ever evaluated."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import attrs

from evalscope.core.dataset_args import DatasetArgs
from evalscope.core.judge.config import JUDGE_STRATEGIES, JudgeModelArgs
from evalscope.core.prompt_styles import check_prompt_style
from evalscope.core.serialization import ConfigError, short_message, short_repr, structure_strict, unstructure
from evalscope.core.types import GenerationConfig

EVAL_TYPES = ("checkpoint", "service", "custom", "mock")
EVAL_TYPE_ALIASES = {"llm_ckpt": "checkpoint", "openai_api": "service", "server": "service", "mock_llm": "mock"}
STAGES = ("all", "infer", "review")
HUBS = ("modelscope", "huggingface", "local")
TRUNCATION = ("error", "left")
DATASET_DIR_ENV = "EVALSCOPE_DATASET_DIR"
SECRET_FIELDS = ("api_key",)


def _one_of(choices: tuple[str, ...]) -> Any:
    def check(_inst: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        if value not in choices:
            raise ValueError(f"{attribute.name}: must be one of {', '.join(choices)}, not {short_repr(value)}")

    return check


def _positive(_inst: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if value is not None and value <= 0:
        raise ValueError(f"{attribute.name}: must be positive, not {short_repr(value)}")


def _eval_type(value: Any) -> Any:
    """An `eval_type` by its current name (EvalScope's older aliases accepted)."""
    return EVAL_TYPE_ALIASES.get(value, value)


def _limit(value: Any) -> int | float | None:
    """`normalise_limit`'s rule for TaskConfig(limit=...) built directly; only numbers are limits."""
    value = normalise_limit(value)
    if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float))):
        raise TypeError(f"limit: expected a count (int) or a fraction in (0, 1), got {type(value).__name__} {short_repr(value)}")
    return value


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
    prompt_style: str = attrs.field(default="default", validator=check_prompt_style)
    datasets: list[str] = attrs.field(factory=list)
    dataset_args: dict[str, DatasetArgs] = attrs.field(factory=dict)
    dataset_dir: str | None = None
    #: dataset source by registry name (modelscope, huggingface, a plug-in) or "local" (files only)
    dataset_hub: str = "modelscope"
    eval_type: str = attrs.field(default="checkpoint", converter=_eval_type, validator=_one_of(EVAL_TYPES))
    eval_backend: str = "Native"
    eval_config: dict[str, Any] | str | None = None
    limit: int | float | None = attrs.field(default=None, converter=_limit, validator=_positive)
    eval_batch_size: int = attrs.field(default=1, validator=_positive)
    #: answers per item (EvalScope 1.x `repeats`): k >= 2 adds mean ± std, pass@k and vote@k
    #: (generation benchmarks; docs/repeats.md); `dataset_args.<name>.repeats` overrides it
    repeats: int = attrs.field(default=1, validator=_positive)
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
    #: LLM judge (evalscope.core.judge): auto | rule | llm | llm_recall, the judge model, its concurrency
    judge_strategy: str = attrs.field(default="auto", validator=_one_of(JUDGE_STRATEGIES))
    judge_model_args: JudgeModelArgs = attrs.field(factory=JudgeModelArgs)
    judge_worker_num: int = attrs.field(default=1, validator=_positive)
    #: where samples are evaluated: local (this process) or an executor by registry name (ray)
    executor: str = "local"
    #: the Ray cluster to join (`ray://host:10001`, `auto`); unset: a local Ray started for the run
    ray_address: str | None = None
    #: the executor's own settings (ray: workers, num_cpus, num_gpus, shard_size, api_urls, ...)
    executor_args: dict[str, Any] = attrs.field(factory=dict)

    # -- construction ----------------------------------------------------------------------------
    @classmethod
    def from_dict(cls, data: dict[str, Any], *, where: str = "config") -> TaskConfig:
        if not isinstance(data, dict):
            raise ConfigError(f"{where}: expected a mapping of settings, got {type(data).__name__}")
        return structure_strict(_normalise(data, where), cls, where=where)

    @classmethod
    def from_file(cls, path: str | os.PathLike[str]) -> TaskConfig | list[TaskConfig]:
        return load_config_file(path)

    def to_dict(self, *, redact: bool = True) -> dict[str, Any]:
        data: dict[str, Any] = unstructure(self)
        if redact:
            for key in SECRET_FIELDS:
                if data.get(key):
                    data[key] = "***"
            judge = data.get("judge_model_args") or {}
            if judge.get("api_key"):
                judge["api_key"] = "***"
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


def _normalise(data: dict[str, Any], where: str = "config") -> dict[str, Any]:
    """Accept EvalScope's spellings (`max_new_tokens`, one dataset as a string) and apply the
    one `limit` rule (see `normalise_limit`)."""
    data = dict(data)
    if isinstance(data.get("datasets"), str):
        data["datasets"] = [data["datasets"]]
    if "limit" in data:
        data["limit"] = normalise_limit(data["limit"], where=f"{where}: limit")
    gen = data.get("generation_config")
    if isinstance(gen, dict):
        data["generation_config"] = normalise_generation_config(gen, where=f"{where}: generation_config")
    dargs = data.get("dataset_args")
    if isinstance(dargs, dict):
        data["dataset_args"] = {k: normalise_dataset_args(v, f"{where}: dataset_args[{k!r}]") for k, v in dargs.items()}
    if isinstance(data.get("judge_model_args"), dict):
        data["judge_model_args"] = normalise_judge_model_args(data["judge_model_args"], f"{where}: judge_model_args")
    return data


def normalise_judge_model_args(value: Any, where: str) -> Any:
    """`judge_model_args` with EvalScope's generation spellings (`max_new_tokens`) accepted."""
    if isinstance(value, dict) and isinstance(value.get("generation_config"), dict):
        return dict(value, generation_config=normalise_generation_config(value["generation_config"], where=f"{where}.generation_config"))
    return value


def normalise_dataset_args(value: Any, where: str) -> Any:
    if isinstance(value, dict) and isinstance(value.get("generation_config"), dict):
        return dict(value, generation_config=normalise_generation_config(value["generation_config"], where=f"{where}.generation_config"))
    return value


LIMIT_HELP = (
    "Samples per subset: a whole number is a count (5, or 5.0); a number between 0 and 1 is a "
    "fraction of each subset (0.1 = the first 10%)."
)


def normalise_limit(value: Any, *, where: str = "limit") -> Any:
    """The one `limit` rule: an int, or an integral float >= 1 (`1.0`, `5.0`), is a count; a float
    in (0, 1) is a fraction. Anything else (1.5, 0, -3, 'abc') is an error naming `where`.
    Values of the wrong type pass through for the structuring step to report."""
    if value is None or isinstance(value, bool) or not isinstance(value, (int, float)):
        return value
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise ConfigError(f"{where}: {value!r} is not a number of samples. {LIMIT_HELP}")
        if value >= 1:
            if not value.is_integer():
                raise ConfigError(f"{where}: {value!r} is neither a whole count nor a fraction below 1. {LIMIT_HELP}")
            return int(value)
    if value <= 0:
        raise ConfigError(f"{where}: must be positive, not {value!r}. {LIMIT_HELP}")
    return value


HF_ONLY_KEYS = {
    "max_length": "it counts prompt and output tokens together; use max_tokens (new tokens)",
    "num_beams": "beam search is not supported; remove it",
    "num_return_sequences": "use n",
}


def normalise_generation_config(gen: dict[str, Any], where: str = "generation_config") -> dict[str, Any]:
    """EvalScope/transformers spellings -> ours: `max_new_tokens` is `max_tokens`,
    `num_return_sequences` is `n`; keys we cannot honour are errors naming `where`."""
    gen = dict(gen)
    if "max_new_tokens" in gen:
        value = gen.pop("max_new_tokens")
        gen.setdefault("max_tokens", value)
    for key, why in HF_ONLY_KEYS.items():
        if key in gen:
            if key == "num_return_sequences":
                gen.setdefault("n", gen.pop(key))
                continue
            raise ConfigError(f"{where}.{key}: not supported ({why})")
    return gen


#: largest config file read; a task config is a few KB, so anything bigger is a mistake or an attack
MAX_CONFIG_BYTES = 1 << 20


def load_config_file(path: str | os.PathLike[str]) -> TaskConfig | list[TaskConfig]:
    """A YAML or JSON file holding one task (mapping) or several (list).

    Checked before any object is built: the size (at most `MAX_CONFIG_BYTES`, read from the file
    system before parsing), UTF-8 text, and for YAML no aliases (`*name`; see `ConfigYamlLoader`).
    Every error is a ConfigError naming the file, and the line where there is one.
    """
    data = load_document(path, empty_hint="; expected a mapping of settings (model:, datasets:, ...)")
    if isinstance(data, list):
        return [TaskConfig.from_dict(item, where=f"{path}[{i}]") for i, item in enumerate(data)]
    return TaskConfig.from_dict(data, where=str(path))


def load_document(path: str | os.PathLike[str], *, empty_hint: str = "") -> Any:
    """A YAML or JSON document (a task config, a suite's eval_config), checked before any object is
    built: the size (read from the file system before parsing), UTF-8 text, and for YAML no aliases."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"{path}: no such config file" if not path.exists() else f"{path}: not a file")
    try:
        size = path.stat().st_size
        if size > MAX_CONFIG_BYTES:
            raise ConfigError(f"{path}: {size} bytes is too large for a config file (limit {MAX_CONFIG_BYTES} bytes)")
        raw = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read ({exc.strerror or exc})") from None
    text = decode_utf8(raw, str(path))
    if not text.strip():
        raise ConfigError(f"{path}: the file is empty{empty_hint}")
    return _parse_json(text, path) if path.suffix.lower() == ".json" else _parse_yaml(text, path)


def decode_utf8(raw: bytes, where: str) -> str:
    """UTF-8 text (a leading BOM is dropped); bad bytes are a ConfigError naming the line."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        column = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        raise ConfigError(
            f"{where}:{line}: not UTF-8 text (byte 0x{raw[exc.start]:02x} at column {column}); save the file as UTF-8"
        ) from None


def _parse_json(text: str, path: Path) -> Any:
    import json

    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{path}:{exc.lineno}: invalid JSON ({exc.msg} at column {exc.colno})") from None
    except RecursionError:
        raise ConfigError(f"{path}: JSON nested too deeply") from None


def _parse_yaml(text: str, path: Path) -> Any:
    import yaml

    try:
        return yaml.load(text, Loader=config_yaml_loader())
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        line = f":{mark.line + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ConfigError(short_message(f"{path}{line}: invalid YAML ({problem})")) from None
    except RecursionError:
        raise ConfigError(f"{path}: YAML nested too deeply") from None


_LOADER: Any = None


def config_yaml_loader() -> Any:
    """`ConfigYamlLoader`: yaml's SafeLoader that refuses aliases and duplicate keys.

    Aliases (`*name`, including merge keys `<<: *name`) are refused outright: a config does not
    need them, and nested aliases expand exponentially when the result is walked (the "billion
    laughs" attack). Anchors alone are harmless and allowed. A key given twice in one mapping is
    an error (YAML would silently keep the last one). Built on first use so `import yaml` stays
    out of `evalscope --help`.
    """
    global _LOADER
    if _LOADER is not None:
        return _LOADER
    import yaml

    class ConfigYamlLoader(yaml.SafeLoader):  # type: ignore[misc]  # PyYAML has no stubs here: its base is Any
        def compose_node(self, parent: Any, index: Any) -> Any:
            if self.check_event(yaml.AliasEvent):
                event = self.peek_event()
                raise yaml.composer.ComposerError(
                    None, None, f"aliases (*{event.anchor}) are not allowed in config files; write the value out", event.start_mark
                )
            return super().compose_node(parent, index)

        def construct_mapping(self, node: Any, deep: bool = False) -> Any:
            seen: set[Any] = set()
            for key_node, _value in node.value:
                key = self.construct_object(key_node, deep=True)
                if isinstance(key, (str, int, float, bool)) or key is None:
                    if key in seen:
                        raise yaml.constructor.ConstructorError(
                            None, None, f"key {short_repr(key, 40)} is given twice", key_node.start_mark
                        )
                    seen.add(key)
            return super().construct_mapping(node, deep=deep)

    _LOADER = ConfigYamlLoader
    return _LOADER


def parse_kv_pairs(text: str | None, *, where: str) -> dict[str, Any]:
    """Settings from the command line: a JSON object (`{"precision": "float16"}`) or `k=v,k=v`,
    each value read as a YAML scalar (numbers, booleans, null, strings, `[a, b]`) -- never
    evaluated as code."""
    if not text or not text.strip():
        return {}
    if text.lstrip().startswith("{"):
        import json

        try:
            value = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ConfigError(f"{where}: not valid JSON ({exc.msg} at column {exc.colno}); use a JSON object or k=v,k=v") from None
        except RecursionError:
            raise ConfigError(f"{where}: JSON nested too deeply") from None
        if not isinstance(value, dict):
            raise ConfigError(f"{where}: expected a JSON object, got {type(value).__name__}")
        return value
    import yaml

    out: dict[str, Any] = {}
    for item in _split_top_level(text):
        if not item.strip():
            continue
        key, sep, raw = item.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"{where}: expected key=value, got {short_repr(item)}")
        key = key.strip()
        if key in out:
            raise ConfigError(f"{where}: {short_repr(key)} is given twice")
        try:
            value = yaml.load(raw, Loader=config_yaml_loader()) if raw.strip() else ""
        except (yaml.YAMLError, RecursionError):
            value = raw
        out[key] = value
    return out


def _split_top_level(text: str) -> list[str]:
    """Split on commas that are not inside brackets or quotes (lists like stop=[a,b] stay whole)."""
    parts: list[str] = []
    current: list[str] = []
    depth, quote = 0, ""
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
