"""The OpenCompass backend's `eval_config`: EvalScope's keys, checked strictly (attrs + cattrs).

Shared by the adapter (main env: checks before anything runs) and the worker (inside the
opencompass env: builds the suite's config). Imports nothing but attrs and evalscope-core.

eval_config keys (as EvalScope's OpenCompass backend takes them, i.e. ms-opencompass `Arguments`):
`datasets`, `models`, `work_dir`, `limit`, `dry_run`, `debug`, `reuse`, `generation_kwargs`, `mode`,
`max_num_workers`, `dump_eval_details`, `custom_dataset_path` / `_data_type` / `_infer_method` /
`_meta_path`; and one of ours, `data_dir` (OpenCompass's data root, `COMPASS_DATA_CACHE`).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import attrs

#: EvalScope's OpenCompass dataset names -> (config module under opencompass/configs/datasets, variable)
BUILTIN_DATASETS: dict[str, tuple[str, str]] = {
    "agieval": ("agieval/agieval_gen_64afd3", "agieval_datasets"),
    "ARC_c": ("ARC_c/ARC_c_gen_1e0de5", "ARC_c_datasets"),
    "ARC_e": ("ARC_e/ARC_e_gen_1e0de5", "ARC_e_datasets"),
    "ceval": ("ceval/ceval_gen_5f30c7", "ceval_datasets"),
    "afqmc": ("CLUE_afqmc/CLUE_afqmc_gen_901306", "afqmc_datasets"),
    "C3": ("CLUE_C3/CLUE_C3_gen_8c358f", "C3_datasets"),
    "cmnli": ("CLUE_cmnli/CLUE_cmnli_gen_1abf97", "cmnli_datasets"),
    "CMRC": ("CLUE_CMRC/CLUE_CMRC_gen_1bd3c8", "CMRC_datasets"),
    "DRCD": ("CLUE_DRCD/CLUE_DRCD_gen_1bd3c8", "DRCD_datasets"),
    "ocnli": ("CLUE_ocnli/CLUE_ocnli_gen_c4cb6c", "ocnli_datasets"),
    "cmb": ("cmb/cmb_gen_dfb5c4", "cmb_datasets"),
    "cmmlu": ("cmmlu/cmmlu_gen_c13365", "cmmlu_datasets"),
    "bustm": ("FewCLUE_bustm/FewCLUE_bustm_gen_634f41", "bustm_datasets"),
    "chid": ("FewCLUE_chid/FewCLUE_chid_gen_0a29a2", "chid_datasets"),
    "cluewsc": ("FewCLUE_cluewsc/FewCLUE_cluewsc_gen_c68933", "cluewsc_datasets"),
    "csl": ("FewCLUE_csl/FewCLUE_csl_gen_28b223", "csl_datasets"),
    "eprstmt": ("FewCLUE_eprstmt/FewCLUE_eprstmt_gen_740ea0", "eprstmt_datasets"),
    "ocnli_fc": ("FewCLUE_ocnli_fc/FewCLUE_ocnli_fc_gen_f97a97", "ocnli_fc_datasets"),
    "tnews": ("FewCLUE_tnews/FewCLUE_tnews_gen_b90e4a", "tnews_datasets"),
    "GaokaoBench": ("GaokaoBench/GaokaoBench_gen_5cfe9e", "GaokaoBench_datasets"),
    "gsm8k": ("gsm8k/gsm8k_gen_1d7fe4", "gsm8k_datasets"),
    "hellaswag": ("hellaswag/hellaswag_gen_6faab5", "hellaswag_datasets"),
    "lambada": ("lambada/lambada_gen_217e11", "lambada_datasets"),
    "lcsts": ("lcsts/lcsts_gen_8ee1fe", "lcsts_datasets"),
    "math": ("math/math_gen_265cce", "math_datasets"),
    "mmlu": ("mmlu/mmlu_gen_4d595a", "mmlu_datasets"),
    "nq": ("nq/nq_gen_c788f6", "nq_datasets"),
    "obqa": ("obqa/obqa_gen_9069e4", "obqa_datasets"),
    "piqa": ("piqa/piqa_gen_1194eb", "piqa_datasets"),
    "PMMEval": ("PMMEval/pmmeval_gen", "PMMEval_datasets"),
    "race": ("race/race_gen_69ee4f", "race_datasets"),
    "siqa": ("siqa/siqa_gen_e78df3", "siqa_datasets"),
    "storycloze": ("storycloze/storycloze_gen_7f656a", "storycloze_datasets"),
    "strategyqa": ("strategyqa/strategyqa_gen_1180a7", "strategyqa_datasets"),
    "summedits": ("summedits/summedits_gen_315438", "summedits_datasets"),
    "AX_b": ("SuperGLUE_AX_b/SuperGLUE_AX_b_gen_4dfefa", "AX_b_datasets"),
    "AX_g": ("SuperGLUE_AX_g/SuperGLUE_AX_g_gen_68aac7", "AX_g_datasets"),
    "BoolQ": ("SuperGLUE_BoolQ/SuperGLUE_BoolQ_gen_883d50", "BoolQ_datasets"),
    "CB": ("SuperGLUE_CB/SuperGLUE_CB_gen_854c6c", "CB_datasets"),
    "COPA": ("SuperGLUE_COPA/SuperGLUE_COPA_gen_91ca53", "COPA_datasets"),
    "MultiRC": ("SuperGLUE_MultiRC/SuperGLUE_MultiRC_gen_27071f", "MultiRC_datasets"),
    "ReCoRD": ("SuperGLUE_ReCoRD/SuperGLUE_ReCoRD_gen_30dea0", "ReCoRD_datasets"),
    "RTE": ("SuperGLUE_RTE/SuperGLUE_RTE_gen_68aac7", "RTE_datasets"),
    "WiC": ("SuperGLUE_WiC/SuperGLUE_WiC_gen_d06864", "WiC_datasets"),
    "WSC": ("SuperGLUE_WSC/SuperGLUE_WSC_gen_7902a7", "WSC_datasets"),
    "triviaqa": ("triviaqa/triviaqa_gen_2121ce", "triviaqa_datasets"),
    "winogrande": ("winogrande/winogrande_gen_458220", "winogrande_datasets"),
    "Xsum": ("Xsum/Xsum_gen_31397e", "Xsum_datasets"),
}

#: datasets EvalScope lists that we refuse: OpenCompass would execute model-written code outside
#: evalscope's sandbox (house rule: such code runs only in core/sandbox)
REFUSED_DATASETS = {
    "humaneval": "use the native humaneval benchmark, which runs the code in evalscope's sandbox",
    "mbpp": "use the native mbpp benchmark, which runs the code in evalscope's sandbox",
}

CUSTOM_DATA_TYPES = ("mcq", "qa", "circular-mcq")
INFER_METHODS = ("gen", "ppl")
CUSTOM_SUFFIXES = (".jsonl", ".csv")


def _one_of(options: tuple[str, ...]) -> Any:
    def check(_inst: Any, attribute: attrs.Attribute, value: Any) -> None:
        if value is not None and value not in options:
            raise ValueError(f"{attribute.name}: {value!r} is not one of {', '.join(options)}")

    return check


@attrs.define
class OCModel:
    """One model entry: ms-opencompass `ApiModelConfig` (an OpenAI-compatible API model)."""

    path: str
    openai_api_base: str
    abbr: str | None = None
    key: str = "EMPTY"
    is_chat: bool = True
    batch_size: int = 8
    temperature: float = 0.0
    max_out_len: int = 2048
    max_seq_len: int = 4096
    query_per_second: int = 64
    meta_template: dict[str, Any] | str | None = None
    type: str = "opencompass.models.OpenAIExtra"
    run_cfg: dict[str, Any] = attrs.field(factory=lambda: {"num_gpus": 0})


@attrs.define
class OCCustomDataset:
    """A local JSONL/CSV dataset (OpenCompass's custom dataset: MCQ columns question,A,B,...,answer;
    QA columns question,answer)."""

    path: str
    data_type: str | None = attrs.field(default=None, validator=_one_of(CUSTOM_DATA_TYPES))
    infer_method: str = attrs.field(default="gen", validator=_one_of(INFER_METHODS))
    meta_path: str | None = None
    abbr: str | None = None


@attrs.define
class OpenCompassConfig:
    """EvalScope's OpenCompass eval_config."""

    #: EvalScope's dataset names (ARC_c, gsm8k, mmlu, ...), local .jsonl/.csv paths, or custom entries
    datasets: list[Any] = attrs.field(factory=list)  # str | OCCustomDataset, parsed by _parse_datasets
    models: list[OCModel] = attrs.field(factory=list)
    work_dir: str | None = None
    #: int: the first N samples of each dataset; float in (0, 1): that fraction; '[a:b]': that slice
    limit: int | float | str | None = None
    dry_run: bool = False
    debug: bool = False
    reuse: str | None = None
    generation_kwargs: dict[str, Any] = attrs.field(factory=dict)
    mode: str = attrs.field(default="all", validator=_one_of(("all", "infer", "eval")))
    max_num_workers: int = 4
    dump_eval_details: bool = True
    custom_dataset_path: str | None = None
    custom_dataset_data_type: str | None = attrs.field(default=None, validator=_one_of(CUSTOM_DATA_TYPES))
    custom_dataset_infer_method: str | None = attrs.field(default=None, validator=_one_of(INFER_METHODS))
    custom_dataset_meta_path: str | None = None
    #: OpenCompass's data root (its COMPASS_DATA_CACHE: files at <data_dir>/data/<dataset>/...)
    data_dir: str | None = None


@attrs.define
class ResolvedDataset:
    """One dataset as the worker gets it: a built-in config to load, or a custom file."""

    name: str
    #: builtin | custom
    kind: str
    module: str = ""
    variable: str = ""
    custom: OCCustomDataset | None = None


@attrs.define
class ResolvedPlan:
    """Everything the worker needs, resolved and checked in the main env."""

    datasets: list[ResolvedDataset]
    model: OCModel
    work_dir: str
    #: OpenCompass test_range: '[0:N]', a float fraction, or the user's slice string; None: all
    test_range: str | float | None
    data_dir: str | None
    dry_run: bool
    debug: bool
    reuse: str | None
    mode: str
    max_num_workers: int
    dump_eval_details: bool
    generation_kwargs: dict[str, Any]
    #: max_tokens of the task's generation config: caps every dataset's output length
    max_out_len: int | None = None


def parse_config(eval_config: dict[str, Any], *, where: str) -> OpenCompassConfig:
    """Structure and check an eval_config; ConfigError names the key (did you mean) or the file."""
    from evalscope.core.serialization import ConfigError, structure_strict

    if not isinstance(eval_config, dict):
        raise ConfigError(f"{where}: expected a mapping of OpenCompass settings, got {type(eval_config).__name__}")
    data = dict(eval_config)
    raw_datasets = data.pop("datasets", None)
    cfg = structure_strict(data, OpenCompassConfig, where=where)
    cfg.datasets = _parse_datasets(raw_datasets, where)
    if cfg.custom_dataset_path:
        _check_file(cfg.custom_dataset_path, f"{where}: custom_dataset_path")
    for key in ("custom_dataset_meta_path",):
        value = getattr(cfg, key)
        if value:
            _check_file(value, f"{where}: {key}", suffixes=None)
    if len(cfg.models) > 1:
        raise ConfigError(f"{where}: models: one model per run (got {len(cfg.models)}); run one task per model")
    if isinstance(cfg.limit, str):
        _check_slice(cfg.limit, f"{where}: limit")
    elif cfg.limit is not None and (cfg.limit <= 0 or isinstance(cfg.limit, bool)):
        raise ConfigError(f"{where}: limit: expected a positive count, a fraction in (0, 1) or '[a:b]', got {cfg.limit!r}")
    if cfg.mode == "eval" and not cfg.reuse:
        raise ConfigError(f"{where}: mode: 'eval' scores an earlier run's answers: set reuse (a time folder, or latest) and work_dir")
    if cfg.data_dir and not Path(cfg.data_dir).expanduser().is_dir():
        raise ConfigError(f"{where}: data_dir: no such directory: {cfg.data_dir}")
    return cfg


def _parse_datasets(raw: Any, where: str) -> list[str | OCCustomDataset]:
    """Names, paths and custom entries ({path, data_type, infer_method, meta_path, abbr}), each checked."""
    from evalscope.core.serialization import ConfigError, structure_strict

    if raw is None:
        return []
    items = [raw] if isinstance(raw, (str, dict)) else raw
    if not isinstance(items, list):
        raise ConfigError(f"{where}: datasets: expected a list of dataset names or files, got {type(raw).__name__}")
    out: list[str | OCCustomDataset] = []
    for i, item in enumerate(items):
        here = f"{where}: datasets[{i}]"
        if isinstance(item, dict):
            entry: str | OCCustomDataset = structure_strict(item, OCCustomDataset, where=here)
        elif isinstance(item, str):
            entry = item
        else:
            raise ConfigError(f"{here}: expected a dataset name, a file path or a mapping, got {type(item).__name__}")
        _check_dataset(entry, here)
        out.append(entry)
    return out


def _is_path(text: str) -> bool:
    return os.sep in text or text.endswith(CUSTOM_SUFFIXES)


def _check_dataset(entry: str | OCCustomDataset, where: str) -> None:
    from evalscope.core.registry import did_you_mean
    from evalscope.core.serialization import ConfigError

    if isinstance(entry, OCCustomDataset):
        _check_file(entry.path, f"{where}.path")
        if entry.meta_path:
            _check_file(entry.meta_path, f"{where}.meta_path", suffixes=None)
        return
    if _is_path(entry):
        _check_file(entry, where)
        return
    if entry in REFUSED_DATASETS:
        raise ConfigError(f"{where}: {entry!r} is not run through OpenCompass: it would execute model-written "
                          f"code outside evalscope's sandbox; {REFUSED_DATASETS[entry]}")
    if entry not in BUILTIN_DATASETS:
        raise ConfigError(
            f"{where}: unknown OpenCompass dataset {entry!r}.{did_you_mean(entry, BUILTIN_DATASETS)} "
            "Give one of EvalScope's OpenCompass names or a local .jsonl/.csv file"
        )


def _check_file(path: str, where: str, suffixes: tuple[str, ...] | None = CUSTOM_SUFFIXES) -> None:
    from evalscope.core.serialization import ConfigError

    resolved = Path(path).expanduser()
    if not resolved.is_file():
        raise ConfigError(f"{where}: dataset file not found: {path}")
    if suffixes and not path.endswith(suffixes):
        raise ConfigError(f"{where}: {path}: OpenCompass reads custom datasets from .jsonl or .csv files")


def _check_slice(text: str, where: str) -> None:
    import re

    from evalscope.core.serialization import ConfigError

    if not re.fullmatch(r"\[\s*-?\d*\s*:\s*-?\d*\s*\]", text):
        raise ConfigError(f"{where}: expected a slice like '[0:100]', got {text!r}")


def api_base(url: str) -> str:
    """OpenCompass posts to the full chat URL; a base URL (…/v1) gets `/chat/completions`."""
    url = url.rstrip("/")
    return url if url.endswith("/chat/completions") else f"{url}/chat/completions"


def oc_test_range(limit: int | float | str | None) -> str | float | None:
    """Our limit rule (the first N samples; a fraction) as OpenCompass's `test_range`."""
    if limit is None:
        return None
    if isinstance(limit, str):
        return limit
    if isinstance(limit, float) and 0 < limit < 1:
        return limit
    return f"[0:{int(limit)}]"
