"""A real MT-Bench run: SmolLM2-135M answers 3 questions (both turns) through `evalscope serve`, and the
same SmolLM2 behind the same server judges each turn with MT-Bench's prompts. A 135M judge rarely
writes one `[[n]]` in 1..10, so many judgements are invalid: the test checks they are counted and
excluded honestly, never turned into numbers (docs/mt-bench.md shows this run's table)."""

from __future__ import annotations

import os

import pytest

from evalscope.core.report import format_table
from evalscope.core.stores import open_reader
from evalscope.core.types import SampleStatus
from evalscope.run import run_task
from tests.backends.serve_fixture import serve_server  # noqa: F401 - session fixture

#: a loaded 2-core box answers a 48-token request of SmolLM2 in 30-70 s; 12+ requests in all
pytestmark = [pytest.mark.slow, pytest.mark.timeout(3000)]


def test_smollm2_answers_both_turns_and_judges_them_with_invalid_verdicts_counted(
    serve_server, tmp_path, dataset_dir  # noqa: F811 - the imported fixture
):
    result = run_task(
        {
            "model": "smollm2-135m-instruct",
            "eval_type": "service",
            "api_url": serve_server.base_url,
            "datasets": ["mt_bench"],
            "dataset_args": {"mt_bench": {"subset_list": ["math"]}},  # CI time; 3 questions: docs/mt-bench.md
            "limit": 1,
            "eval_batch_size": 1,
            "judge_worker_num": 2,
            "generation_config": {"max_tokens": 32, "temperature": 0},
            "judge_model_args": {
                "model_id": "smollm2-135m-instruct",
                "api_url": serve_server.base_url,
                "generation_config": {"max_tokens": 32, "temperature": 0},
                "max_attempts": 1,
            },
            "dataset_dir": str(dataset_dir),
            "work_dir": str(tmp_path),
            "no_timestamp": True,
        },
        print_table=False,
    )
    report = result["mt_bench"]
    table = format_table([report])
    if os.environ.get("EVALSCOPE_MT_BENCH_TABLE"):  # docs/mt-bench.md: the table of this run
        with open(os.environ["EVALSCOPE_MT_BENCH_TABLE"], "w", encoding="utf-8") as fh:
            fh.write(table + "\n")
    quality = report.judge_quality
    assert quality is not None and quality.asked == 2  # 1 question x 2 turns
    reader = open_reader(str(result.run_dir))
    stored = list(reader.iter_results(result.run_id))
    assert len(stored) == 1
    for r in stored:
        assert len(r.output.turns) == 2 and all(t.text.strip() for t in r.output.turns)
        turns = r.details["judge"]["turns"]
        for t in turns:  # a rating only where the judge gave one valid [[n]]
            assert (t["rating"] is None) == (not t["valid"])
            assert t["rating"] is None or 1 <= t["rating"] <= 10
        rated = [t for t in turns if t["valid"]]
        assert (r.status is SampleStatus.INVALID) == (not rated)
    invalid = sum(1 for r in stored for t in r.details["judge"]["turns"] if not t["valid"])
    assert quality.invalid == invalid
    assert f"{invalid} of 2 judgement(s) invalid" in table
