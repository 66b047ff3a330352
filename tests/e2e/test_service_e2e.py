"""gsm8k, ARC and MMLU in service mode, over real HTTP, against `evalscope serve` with SmolLM2."""

from __future__ import annotations

import json

import pytest

from evalscope.run import run_task
from tests.backends.serve_fixture import serve_server  # noqa: F401 - session fixture

pytestmark = pytest.mark.slow


def test_three_benchmarks_end_to_end_over_http(serve_server, tmp_path, dataset_dir):  # noqa: F811
    reports = run_task(
        {
            "model": "smollm2-135m-instruct",
            "eval_type": "service",
            "api_url": serve_server.base_url,
            "api_key": "sk-test-key-never-logged",
            "datasets": ["gsm8k", "arc", "mmlu"],
            "dataset_args": {"mmlu": {"subset_list": ["marketing"]}, "gsm8k": {"few_shot_num": 1}},
            "generation_config": {"max_tokens": 24, "temperature": 0},
            "limit": 2,
            "eval_batch_size": 4,
            "dataset_dir": str(dataset_dir),
            "work_dir": str(tmp_path),
            "no_timestamp": True,
        },
        print_table=False,
    )
    assert reports["gsm8k"].metrics[0].num == 2
    assert reports["arc"].metrics[0].num == 4  # ARC-Easy + ARC-Challenge
    assert reports["mmlu"].metrics[0].num == 2
    for report in reports.values():
        assert 0.0 <= report.score <= 1.0
    # real generations were stored, with usage from the server
    lines = (tmp_path / "predictions" / "smollm2-135m-instruct" / "arc_ARC-Easy.jsonl").read_text().splitlines()
    first = json.loads(lines[0])
    assert first["choices"][0]["message"]["content"].strip()
    assert first["usage"]["completion_tokens"] > 0
    # the API key reached neither the log, the config dump, the JSONL files nor the database
    for path in tmp_path.rglob("*"):
        if path.is_file():
            assert b"sk-test-key-never-logged" not in path.read_bytes(), path
