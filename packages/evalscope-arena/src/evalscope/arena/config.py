"""`arena.yaml`: the questions, the models (answers generated through the normal adapters, read from
an earlier run through the store, or read from a file), the mode, the judge, the ratings."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import attrs

from evalscope.core.judge.config import JudgeModelArgs
from evalscope.core.serialization import ConfigError, short_repr, structure_strict, unstructure
from evalscope.core.types import GenerationConfig

MODES = ("pairwise", "pairwise_baseline", "single")
MITIGATIONS = ("none", "swap_position", "randomize_order")
VERDICT_FORMATS = ("lmsys", "ranking")


def _one_of(choices: tuple[str, ...]) -> Any:
    def check(_inst: Any, attribute: attrs.Attribute, value: Any) -> None:
        if value not in choices:
            raise ValueError(f"{attribute.name}: must be one of {', '.join(choices)}, not {short_repr(value)}")

    return check


@attrs.define(kw_only=True)
class ArenaModel:
    """One contestant. Exactly one source of answers: `model` (generated now, through the normal
    adapters), `run` (an earlier run's predictions, read through the store) or `answers_file`."""

    name: str
    model: str | None = None
    #: checkpoint (a local model), service (an OpenAI-compatible api_url; the default when api_url is set), mock
    eval_type: str = "checkpoint"
    model_api: str | None = None
    api_url: str | None = None
    api_key: str | None = attrs.field(default=None, repr=False)
    model_args: dict[str, Any] = attrs.field(factory=dict)
    generation_config: GenerationConfig | None = None
    chat_template: str | None = None
    system_prompt: str | None = None
    eval_batch_size: int = 1
    timeout: float | None = None
    #: an earlier run: its run dir, an outputs dir, or a database URL
    run: str | None = None
    run_id: str | None = None
    #: the dataset of that run whose predictions answer the questions (sample id = question_id)
    dataset: str | None = None
    #: JSONL rows {question_id, answer} (or `text`)
    answers_file: str | None = None

    def __attrs_post_init__(self) -> None:
        sources = [s for s in ("model", "run", "answers_file") if getattr(self, s)]
        if len(sources) != 1:
            raise ValueError(
                f"model {self.name!r}: give exactly one of model (generate), run (an earlier run) or answers_file; "
                f"got {', '.join(sources) or 'none'}"
            )


@attrs.define(kw_only=True)
class ArenaConfig:
    """An arena run."""

    #: JSONL rows {question_id, text, category}
    question_file: str
    models: list[ArenaModel]
    #: JSONL rows {question_id, answer} (or `text`): reference answers shown to the judge
    reference_file: str | None = None
    mode: str = attrs.field(default="pairwise", validator=_one_of(MODES))
    baseline: str | None = None
    judge_model_args: JudgeModelArgs = attrs.field(factory=JudgeModelArgs)
    judge_worker_num: int = attrs.field(default=1, validator=attrs.validators.ge(1))
    position_bias_mitigation: str = attrs.field(default="swap_position", validator=_one_of(MITIGATIONS))
    verdict_format: str = attrs.field(default="lmsys", validator=_one_of(VERDICT_FORMATS))
    elo_k: float = 32.0
    elo_init: float = 1000.0
    bootstrap_rounds: int = 200
    seed: int = 42
    #: the first N questions only
    limit: int | None = None
    name: str = "arena"
    work_dir: str = "./outputs/arena"
    use_cache: str | None = None
    store: str = "auto"
    store_url: str | None = None
    debug: bool = False

    def __attrs_post_init__(self) -> None:
        names = [m.name for m in self.models]
        if len(names) != len(set(names)):
            raise ValueError(f"models: names must be unique, got {names}")
        needed = 1 if self.mode == "single" else 2
        if len(names) < needed:
            raise ValueError(f"models: mode {self.mode} needs at least {needed} models")
        if self.mode == "pairwise_baseline":
            if not self.baseline:
                raise ValueError("baseline: required in mode pairwise_baseline (the name of one of the models)")
        if self.baseline is not None and self.baseline not in names:
            raise ValueError(f"baseline: {self.baseline!r} is not one of the models ({', '.join(names)})")

    def to_dict(self) -> dict[str, Any]:
        """The config without secrets (keys of the models and of the judge show as ***)."""
        data = unstructure(self)
        for model in data.get("models", []):
            if model.get("api_key"):
                model["api_key"] = "***"
        if (data.get("judge_model_args") or {}).get("api_key"):
            data["judge_model_args"]["api_key"] = "***"
        return data

    def secrets(self) -> list[str]:
        keys = [m.api_key for m in self.models if m.api_key]
        judge = self.judge_model_args.resolved_api_key()
        return [k for k in [*keys, judge] if k]


PATH_FIELDS = ("question_file", "reference_file", "work_dir", "use_cache")


def _absolute(value: str | None, base: Path) -> str | None:
    if not value or "://" in value:
        return value
    path = Path(value).expanduser()
    return str(path if path.is_absolute() else (base / path))


def arena_config(data: Any, *, where: str = "arena config", base: str | os.PathLike[str] | None = None) -> ArenaConfig:
    """Structure a mapping into an ArenaConfig (unknown keys and wrong types name their path).
    Relative paths (question and reference files, work_dir, use_cache, models' run and answers_file)
    are taken from `base` (the config file's folder), when given."""
    if isinstance(data, ArenaConfig):
        return data
    if not isinstance(data, dict):
        raise ConfigError(f"{where}: expected a mapping of settings, got {type(data).__name__}")
    data = dict(data)
    if base is not None:
        root = Path(base)
        for key in PATH_FIELDS:
            if data.get(key):
                data[key] = _absolute(data[key], root)
        models = []
        for item in data.get("models") or []:
            if isinstance(item, dict):
                item = dict(item)
                for key in ("run", "answers_file"):
                    if item.get(key):
                        item[key] = _absolute(item[key], root)
            models.append(item)
        if "models" in data:
            data["models"] = models
    from evalscope.config import normalise_generation_config, normalise_judge_model_args

    for item in data.get("models") or []:
        if isinstance(item, dict) and isinstance(item.get("generation_config"), dict):
            item["generation_config"] = normalise_generation_config(item["generation_config"], where=f"{where}: models.generation_config")
    if isinstance(data.get("judge_model_args"), dict):
        data["judge_model_args"] = normalise_judge_model_args(data["judge_model_args"], f"{where}: judge_model_args")
    return structure_strict(data, ArenaConfig, where=where)


def load_arena_config(path: str | os.PathLike[str]) -> ArenaConfig:
    """An arena config file (YAML or JSON), read by core's document loader: the same checks as task
    configs (size, UTF-8, empty file, YAML without aliases or duplicate keys)."""
    from evalscope.config import load_document

    data = load_document(path, empty_hint="; expected a mapping of arena settings (question_file:, models:, ...)")
    return arena_config(data, where=str(path), base=Path(path).resolve().parent)


__all__ = ["ArenaConfig", "ArenaModel", "MODES", "MITIGATIONS", "VERDICT_FORMATS", "arena_config", "load_arena_config"]
