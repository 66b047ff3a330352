"""pass@k with n = 5 completions per problem, end to end over a service: humaneval and mbpp.

A scripted OpenAI-compatible server on 127.0.0.1 answers each problem's request with 5 choices of
which a known number c are the dataset's reference solution and the rest a wrong program (at
positions that vary per problem). The programs run in the project's sandbox, as in any run. The
report's Pass@k must equal the unbiased estimator 1 - C(n-c, k) / C(n, k), averaged over the
problems, computed here by hand.
"""

from __future__ import annotations

import gzip
import json
import random
from math import comb
from pathlib import Path

import pytest

from evalscope.run import run_task
from tests.e2e.scripted_server import ScriptedServer

pytestmark = pytest.mark.slow
N, LIMIT = 5, 5
CORRECT = [0, 1, 2, 4, 5]  # c of the i-th problem
KS = {"humaneval": [1, 3, 5], "mbpp": [1, 2, 4]}
WRONG = {"humaneval": "    raise NotImplementedError\n", "mbpp": "def unrelated():\n    pass\n"}


def _problems(dataset_dir: Path) -> dict[str, list[tuple[str, str]]]:
    """Per benchmark, the first LIMIT problems as (text that identifies its prompt, reference solution)."""
    with gzip.open(dataset_dir / "humaneval" / "HumanEval.jsonl.gz", "rt") as fh:
        humaneval = [json.loads(line) for line in fh][:LIMIT]
    mbpp = [json.loads(line) for line in (dataset_dir / "mbpp" / "mbpp.jsonl").read_text().splitlines()]
    tests = sorted((r for r in mbpp if 11 <= int(r["task_id"]) <= 510), key=lambda r: int(r["task_id"]))[
        :LIMIT
    ]
    return {
        "humaneval": [(r["prompt"], r["canonical_solution"]) for r in humaneval],
        "mbpp": [(r["text"], r["code"].replace("\r\n", "\n")) for r in tests],
    }


def _choices(benchmark: str, index: int, solution: str) -> list[str]:
    c = CORRECT[index]
    right = set(random.Random(f"{benchmark}{index}").sample(range(N), c))  # where the correct ones are
    return [solution if i in right else WRONG[benchmark] for i in range(N)]


def _expected(k: int) -> float:
    return sum(1 - comb(N - c, k) / comb(N, k) for c in CORRECT) / len(CORRECT)


@pytest.fixture
def server(dataset_dir):
    problems = _problems(dataset_dir)

    def script(text: str, body: dict) -> list[str] | int:
        assert body.get("n") == N, body.get("n")
        for benchmark, items in problems.items():
            # the problem asked last in the prompt (mbpp's exemplars come first)
            found = [(text.rfind(key), i) for i, (key, _) in enumerate(items) if key in text]
            if found:
                _, index = max(found)
                return _choices(benchmark, index, items[index][1])
        return 404

    with ScriptedServer(script) as srv:
        yield srv


def test_pass_at_k_of_five_completions_over_a_service_is_the_unbiased_estimator(
    server, dataset_dir, tmp_path
):
    result = run_task(
        {
            "model": "scripted",
            "eval_type": "service",
            "api_url": server.url,
            "datasets": ["humaneval", "mbpp"],
            "dataset_args": {name: {"extra_params": {"k": ks}} for name, ks in KS.items()},
            "generation_config": {"n": N, "temperature": 0.8},
            "limit": LIMIT,
            "eval_batch_size": 5,
            "dataset_dir": str(dataset_dir),
            "work_dir": str(tmp_path),
            "no_timestamp": True,
        },
        print_table=False,
    )
    assert len(server.requests) == 2 * LIMIT, "one request per problem, carrying n=5"
    for name, ks in KS.items():
        report = json.loads((tmp_path / "reports" / "scripted" / f"{name}.json").read_text())
        shown = {m["name"]: m for m in report["metrics"]}
        assert report["counts"]["scored"] == LIMIT and report["counts"]["skipped"] == 0, name
        for k in ks:
            metric = shown.get(f"Pass@{k}")
            assert metric is not None, f"{name}: Pass@{k} is not in the report ({sorted(shown)})"
            assert metric["num"] == LIMIT
            assert metric["score"] == pytest.approx(_expected(k), abs=1e-4), f"{name} Pass@{k}"
        assert result[name].score == pytest.approx(_expected(1), abs=1e-4)
        # per problem: the review holds each estimate for that problem's c
        reviews = [
            json.loads(line)
            for path in (tmp_path / "reviews" / "scripted").glob(f"{name}_*.jsonl")
            for line in path.read_text().splitlines()
        ]
        by_c = sorted(r["choices"][0]["review"]["result"][f"Pass@{ks[-1]}"] for r in reviews)
        assert by_c == pytest.approx(sorted(1 - comb(N - c, ks[-1]) / comb(N, ks[-1]) for c in CORRECT))
