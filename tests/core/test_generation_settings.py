"""Generation settings out of range are one config error naming `generation_config.<field>`, raised
when the config is structured: before any model loads and before a run dir exists (they used to
fail every sample, exit 2, with advice to retry that failed the same way)."""

from __future__ import annotations

import pytest

from evalscope.config import ConfigError, TaskConfig
from evalscope.core.types import GenerationConfig
from evalscope.run import run_task

#: one out-of-range value for every numeric field of GenerationConfig, and the rule it breaks
BAD = [
    ("max_tokens", -5, "must be >= 1, got -5"),
    ("max_tokens", 0, "must be >= 1, got 0"),
    ("temperature", -0.5, "must be >= 0, got -0.5"),
    ("temperature", float("nan"), "must be >= 0, got nan"),
    ("top_p", 0, "must be > 0 and <= 1, got 0.0"),
    ("top_p", 1.5, "must be > 0 and <= 1, got 1.5"),
    ("top_k", -2, "must be >= -1, got -2"),
    ("seed", -1, "must be >= 0 and <= 9223372036854775807, got -1"),
    ("n", 0, "must be >= 1, got 0"),
    ("repetition_penalty", 0, "must be > 0, got 0.0"),
    ("presence_penalty", 2.5, "must be >= -2 and <= 2, got 2.5"),
    ("frequency_penalty", -3, "must be >= -2 and <= 2, got -3.0"),
    ("top_logprobs", -1, "must be >= 0, got -1"),
    ("timeout", 0, "must be > 0, got 0.0"),
]
NUMERIC = {"max_tokens", "temperature", "top_p", "top_k", "seed", "n", "repetition_penalty", "presence_penalty",
           "frequency_penalty", "top_logprobs", "timeout"}


def test_every_numeric_generation_field_has_a_case():
    import attrs

    # types as written, or resolved (the converter's hooks resolve them once a config is unstructured)
    kinds = ("int | None", "float | None", "int", int | None, float | None, int)
    numeric = {f.name for f in attrs.fields(GenerationConfig) if f.type in kinds}
    assert numeric == NUMERIC == {field for field, _, _ in BAD}


def _task(tmp_path, **extra) -> dict:
    return {"eval_type": "mock", "datasets": ["gsm8k"], "limit": 1, "work_dir": str(tmp_path / "out"), **extra}


@pytest.mark.parametrize(("field", "value", "problem"), BAD, ids=[f"{f}={v}" for f, v, _ in BAD])
def test_run_task_refuses_a_bad_generation_value_naming_its_path_before_any_run_dir(tmp_path, field, value, problem):
    with pytest.raises(ConfigError) as refused:
        run_task(_task(tmp_path, generation_config={field: value}))
    assert str(refused.value) == f"config: generation_config.{field}: {problem}"
    assert not (tmp_path / "out").exists()


def test_the_same_check_applies_to_dataset_args_and_hf_spellings(tmp_path):
    with pytest.raises(ConfigError, match=r"dataset_args\['gsm8k'\]\.generation_config\.temperature: must be >= 0"):
        run_task(_task(tmp_path, dataset_args={"gsm8k": {"generation_config": {"temperature": -1}}}))
    with pytest.raises(ConfigError, match=r"generation_config\.max_tokens: must be >= 1, got 0"):
        run_task(_task(tmp_path, generation_config={"max_new_tokens": 0}))
    assert not (tmp_path / "out").exists()


def test_values_at_the_edges_are_accepted(tmp_path):
    cfg = TaskConfig.from_dict(
        {"generation_config": {"max_tokens": 1, "temperature": 0, "top_p": 1, "top_k": -1, "seed": 0, "n": 1,
                               "repetition_penalty": 0.5, "presence_penalty": -2, "frequency_penalty": 2,
                               "top_logprobs": 0, "timeout": 0.5}}
    )
    assert cfg.generation_config.top_k == -1 and cfg.generation_config.top_p == 1.0
    result = run_task(_task(tmp_path, generation_config={"max_tokens": 1, "top_k": -1, "top_p": 1}))
    assert result.reports
