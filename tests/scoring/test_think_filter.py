"""Reasoning blocks: `strip_think` per task, raw and filtered text both stored, unclosed blocks fail."""

from __future__ import annotations

import pytest

from evalscope.core.filters import FilterError, strip_think
from evalscope.core.metrics import PASS_AT_1
from tests.fixtures.gen.runner import mock_run, review, task_and_samples

AIME_I_1 = "204"  # gold of the first AIME 2024 row


def test_strip_think_unit() -> None:
    assert strip_think("<think>a\nb</think>\n answer") == "answer"
    assert strip_think("<think>1</think>x<think>2</think>y") == "xy"
    assert strip_think("reasoning without opening tag</think>final") == "final"
    with pytest.raises(FilterError):
        strip_think("<think>never closed")
    assert strip_think("<reasoning>r</reasoning>z", "<reasoning>", "</reasoning>") == "z"


def test_raw_and_filtered_are_both_stored(tmp_path) -> None:
    reply = f"<think>Maybe \\boxed{{1}}? No.</think>So the answer is \\boxed{{{AIME_I_1}}}."
    report, records = mock_run(tmp_path, "aime24", reply, limit=1)
    (rec,) = records
    assert rec["output"]["text"] == reply  # raw model text kept
    assert rec["filtered"] == f"So the answer is \\boxed{{{AIME_I_1}}}."
    assert rec["prediction"] == AIME_I_1 and rec["scores"] == {PASS_AT_1: 1.0}
    assert report.score == 1.0


def test_unclosed_think_scores_zero(tmp_path) -> None:
    reply = f"<think>I guess \\boxed{{{AIME_I_1}}} but I ran out of tokens"
    _, (rec,) = mock_run(tmp_path, "aime24", reply, limit=1)
    assert rec["output"]["text"] == reply
    assert rec["filtered"] is None and rec["prediction"] is None
    assert rec["scores"] == {PASS_AT_1: 0.0}


def test_filters_are_set_per_task() -> None:
    unclosed = f"<think>so \\boxed{{{AIME_I_1}}}"
    on, (sample, *_) = task_and_samples("aime24", limit=1)
    assert on.filters == ["strip_think"]  # default for math
    assert review(on, sample, unclosed).scores == {PASS_AT_1: 0.0}
    off, _ = task_and_samples("aime24", limit=1, filters=[])  # dataset_args.aime24.filters: []
    assert review(off, sample, unclosed).scores == {PASS_AT_1: 1.0}
    bbh, (bsample, *_) = task_and_samples("bbh", limit=1, few_shot_num=0, subset_list=["navigate"], filters=["strip_think"])
    assert review(bbh, bsample, "<think>So the answer is Yes.</think>So the answer is No.").prediction == "No"
    assert review(bbh, bsample, "<think>So the answer is No.").scores == {"AverageAccuracy": 0.0}


def test_tags_are_configurable() -> None:
    tags = {"strip_think": {"open_tag": "<reasoning>", "close_tag": "</reasoning>"}}
    task, (sample, *_) = task_and_samples("aime24", limit=1, filters=tags)
    result = review(task, sample, f"<reasoning>\\boxed{{7}}</reasoning>\\boxed{{{AIME_I_1}}}")
    assert result.filtered == f"\\boxed{{{AIME_I_1}}}" and result.scores == {PASS_AT_1: 1.0}
    assert review(task, sample, "<reasoning>\\boxed{204}").scores == {PASS_AT_1: 0.0}
