"""Prompt styles are registered strategies chosen when a task is built (`prompt_style`).

A style overrides only the benchmarks it names; a benchmark spec knows no style (the 0.12 style
registers its own overrides, so no spec imports it); an unknown style is one error naming the
setting and the close names.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from evalscope.benchmarks import get_benchmark
from evalscope.config import TaskConfig
from evalscope.core.dataset_args import DatasetArgs
from evalscope.core.prompt_styles import PromptStyle, StyleOverride
from evalscope.core.registry import prompt_styles
from evalscope.core.serialization import ConfigError
from evalscope.core.tasks import build_task
from evalscope.core.types import RequestKind, Sample

GENERATE = frozenset({RequestKind.GENERATE})


def _text(name: str, style: str, sample: Sample) -> str:
    task = build_task(
        get_benchmark(name),
        args=DatasetArgs(few_shot_num=0),
        capabilities=GENERATE,
        generation_config=None,
        seed=None,
        prompt_style=style,
    )
    return task.build_request(sample).messages[-1].content


@pytest.fixture
def shout():
    prompt_styles.register(
        "shout",
        PromptStyle(
            name="shout",
            overrides={
                "gsm8k": StyleOverride(
                    format_query=lambda sample, ctx: f"SOLVE: {str(sample.input).upper()}"
                ),
            },
        ),
    )
    yield "shout"
    prompt_styles._items.pop("shout", None)


def test_a_registered_style_overrides_only_the_benchmarks_it_names(shout):
    question = Sample(id="1", input="What is 2 + 3?", target="5")
    assert _text("gsm8k", shout, question) == "SOLVE: WHAT IS 2 + 3?"
    assert (
        _text("gsm8k", "default", question) == "Question: What is 2 + 3?\nLet's think step by step\nAnswer:"
    )
    mcq = Sample(id="2", input="Pick one", choices=["yes", "no"], target="A")
    assert _text("arc", shout, mcq) == _text("arc", "default", mcq)  # not named by the style: its own prompt
    # a plug-in style is a valid setting, globally and per benchmark
    cfg = TaskConfig.from_dict({"prompt_style": shout, "dataset_args": {"arc": {"prompt_style": shout}}})
    assert cfg.prompt_style == cfg.dataset_args["arc"].prompt_style == shout


def test_unknown_style_names_the_setting_and_the_close_name():
    with pytest.raises(ConfigError) as err:
        TaskConfig.from_dict({"prompt_style": "evalscope-012"})
    message = str(err.value)
    assert "prompt_style: unknown prompt style 'evalscope-012'" in message
    assert "Did you mean: evalscope-0.12" in message


def test_no_benchmark_spec_imports_the_012_style():
    code = (
        "import sys\n"
        "from evalscope.benchmarks import get_benchmark\n"
        "for name in ('arc', 'mmlu', 'ceval', 'cmmlu', 'gsm8k', 'hellaswag'):\n"
        "    get_benchmark(name)\n"
        "print('evalscope.benchmarks._evalscope012' in sys.modules)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    assert out.stdout.strip() == "False"
