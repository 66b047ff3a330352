"""VLMEvalKit's `eval_config`: EvalScope's keys (`data`, `model`, `mode`, `limit`, `nproc`, `judge`...)
plus the fields of ms-vlmeval 0.0.20's `Arguments` that EvalScope passed through, and `data_dir`
(the `LMUData` folder holding `<dataset>.tsv`, default `~/LMUData`)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import attrs

from evalscope.core.registry import did_you_mean
from evalscope.core.serialization import ConfigError, short_repr, structure_strict

MODES = ("all", "infer")
CUSTOM_API_MODEL = "CustomAPIModel"


@attrs.define(kw_only=True)
class VLMEvalConfig:
    data: list[str] = attrs.field(factory=list)
    model: list[dict[str, Any] | str] = attrs.field(factory=list)
    mode: str = "all"
    limit: int | None = None
    reuse: bool = False
    rerun: bool | None = None
    work_dir: str | None = None
    #: concurrent API calls (EvalScope's key; VLMEvalKit calls it api_nproc)
    nproc: int = 4
    api_nproc: int | None = None
    judge: str | None = None
    judge_args: str | None = None
    judge_base_url: str | None = None
    judge_key: str | None = attrs.field(default=None, repr=False)
    retry: int | None = None
    verbose: bool = False
    ignore: bool = False
    nframe: int = 8
    fps: int = -1
    use_subtitle: bool = False
    timeout: int | None = None
    #: the LMUData folder: VLMEvalKit reads `<data_dir>/<name>.tsv` (default: $LMUData or ~/LMUData)
    data_dir: str | None = None


def data_dir(cfg: VLMEvalConfig) -> Path:
    return Path(cfg.data_dir or os.environ.get("LMUData") or "~/LMUData").expanduser().resolve()


def _check_model(entry: dict[str, Any] | str, where: str) -> None:
    if isinstance(entry, str):
        if not entry:
            raise ConfigError(f"{where}: empty model name")
        return
    if "name" not in entry:
        raise ConfigError(f"{where}.name: required (CustomAPIModel for an OpenAI-compatible server, or a VLMEvalKit model name)")
    if entry["name"] == CUSTOM_API_MODEL:
        for key in ("type", "api_base"):
            if not entry.get(key):
                hint = "the model name the server answers to" if key == "type" else "http://127.0.0.1:8000/v1/chat/completions"
                raise ConfigError(f"{where}.{key}: required by CustomAPIModel ({hint})")
        if not str(entry["api_base"]).startswith(("http://", "https://")):
            raise ConfigError(f"{where}.api_base: expected an http(s) URL, got {short_repr(entry['api_base'])}")
        known = ("name", "type", "api_base", "key", "temperature", "img_size", "video_llm", "max_tokens", "timeout",
                 "retry", "wait", "system_prompt", "verbose", "img_detail")
        for key in entry:
            if key not in known:
                raise ConfigError(f"{where}: unknown key {key!r} for CustomAPIModel.{did_you_mean(key, known)} Known: {', '.join(known)}")


def parse(eval_config: dict[str, Any], where: str) -> VLMEvalConfig:
    if not isinstance(eval_config, dict) or not eval_config:
        raise ConfigError(f"{where}: VLMEvalKit needs an eval_config with data: [...] and model: [...]")
    cfg = structure_strict(eval_config, VLMEvalConfig, where=where)
    if cfg.mode not in MODES:
        raise ConfigError(f"{where}: mode: must be one of {', '.join(MODES)}, not {cfg.mode!r}")
    if not cfg.data:
        raise ConfigError(f"{where}: data: name at least one dataset (a <name>.tsv under data_dir)")
    if not cfg.model:
        raise ConfigError(f"{where}: model: give at least one model ({{name: CustomAPIModel, type: <served name>, api_base: <URL>}})")
    if cfg.limit is not None and cfg.limit <= 0:
        raise ConfigError(f"{where}: limit: must be positive, not {cfg.limit}")
    for i, entry in enumerate(cfg.model):
        _check_model(entry, f"{where}: model[{i}]")
    root = data_dir(cfg)
    for i, name in enumerate(cfg.data):
        tsv = root / f"{name}.tsv"
        if not tsv.is_file():
            raise ConfigError(
                f"{where}: data[{i}]: missing file {tsv} (VLMEvalKit reads each dataset from <data_dir>/<name>.tsv; "
                "offline it must already be there)"
            )
    return cfg


def model_names(cfg: VLMEvalConfig) -> list[str]:
    """The names VLMEvalKit registers the models under (a CustomAPIModel takes its `type`)."""
    out = []
    for entry in cfg.model:
        if isinstance(entry, str):
            out.append(entry)
        else:
            out.append(entry["type"] if entry["name"] == CUSTOM_API_MODEL else entry["name"])
    return out
