"""`compare_runs` / `evalscope compare` on two real mock runs (work-dir review files)."""

from __future__ import annotations

import json
import math

import pytest
from click.testing import CliRunner

from evalscope.cli.compare_cmd import compare_command
from evalscope.config import DatasetArgs
from evalscope.core.stats import compare_runs, load_run_scores
from evalscope.run import run_task


def _run(dataset_dir, work_dir, reply, limit):
    cfg = {
        "model": "mock",
        "eval_type": "mock",
        "model_args": {"reply": reply},
        "datasets": ["arc", "gsm8k"],
        "dataset_args": {"arc": {"output_type": "generation"}},
        "limit": limit,
        "dataset_dir": str(dataset_dir),
        "work_dir": str(work_dir),
        "store": "workdir",
    }
    run_task(cfg, print_table=False)
    (run,) = [p for p in work_dir.iterdir() if p.is_dir()]
    return run


@pytest.fixture(scope="module")
def runs(dataset_dir, tmp_path_factory):
    a = _run(dataset_dir, tmp_path_factory.mktemp("a"), "The answer is A.", 40)
    b = _run(dataset_dir, tmp_path_factory.mktemp("b"), "The answer is B.", 50)
    return a, b


def _arc_targets(dataset_dir, limit):
    from evalscope.benchmarks import get_benchmark
    from evalscope.core.tasks import DatasetLoader, build_task, load_samples
    from evalscope.core.types import RequestKind

    spec = get_benchmark("arc")
    task = build_task(spec, args=DatasetArgs(), capabilities=frozenset(RequestKind), generation_config=None, seed=42)
    return [s.target for s in load_samples(task, DatasetLoader(str(dataset_dir), "local"), DatasetArgs(), limit)]


def test_compare_two_mock_runs(runs, dataset_dir):
    a, b = runs
    comps = {c.dataset: c for c in compare_runs(a, b, n_bootstrap=500)}
    assert set(comps) == {"arc", "gsm8k"}
    arc = comps["arc"]
    targets = _arc_targets(dataset_dir, 40)  # A answered 40 per subset, B 50: 80 shared samples
    n_a, n_b = targets.count("A"), targets.count("B")
    assert (arc.n, arc.only_in_a, arc.only_in_b) == (80, 0, 20)
    assert (arc.test, arc.b_only_a_right, arc.c_only_b_right) == ("mcnemar", n_a, n_b)
    assert arc.mean_a == pytest.approx(n_a / 80) and arc.mean_b == pytest.approx(n_b / 80)
    k, n = min(n_a, n_b), n_a + n_b
    assert arc.p_value == pytest.approx(min(1.0, 2 * sum(math.comb(n, i) for i in range(k + 1)) / 2**n))
    assert arc.ci_low <= arc.diff <= arc.ci_high
    gsm = comps["gsm8k"]  # neither reply holds a number: no difference at all
    assert (gsm.diff, gsm.p_value, gsm.ci_low, gsm.ci_high) == (0.0, 1.0, 0.0, 0.0)


def test_compare_by_subset_and_filter(runs):
    a, b = runs
    comps = compare_runs(a, b, "arc", by_subset=True, n_bootstrap=200)
    assert [(c.dataset, c.subset, c.n) for c in comps] == [("arc", "ARC-Challenge", 40), ("arc", "ARC-Easy", 40)]
    keys = load_run_scores(a, "arc")
    assert len(keys) == 80 and all(k[0] == "arc" for k in keys)


def test_compare_cli(runs):
    a, b = runs
    result = CliRunner().invoke(compare_command, [str(a), str(b), "--dataset", "arc", "--bootstrap", "200"])
    assert result.exit_code == 0, result.output
    assert "mcnemar" in result.output and "only in A" in result.output
    result = CliRunner().invoke(compare_command, [str(a.parent), str(b), "--format", "json", "--bootstrap", "200"])
    assert result.exit_code == 0, result.output
    assert {c["dataset"] for c in json.loads(result.output)} == {"arc", "gsm8k"}
    result = CliRunner().invoke(compare_command, [str(a), str(b), "--dataset", "mmlu"])
    assert result.exit_code != 0 and "share no scored samples" in result.output


def test_evalscope_review_lines_are_read(tmp_path):
    """EvalScope's own reviews carry the score in choices[0].review.result."""
    for run, scores in (("a", [1, 0, 1]), ("b", [1, 1, 1])):
        folder = tmp_path / run / "reviews" / "qwen"
        folder.mkdir(parents=True)
        lines = [{"subset_name": "main", "choices": [{"review": {"result": s}}]} for s in scores]
        (folder / "gsm8k_main.jsonl").write_text("\n".join(json.dumps(x) for x in lines))
    (comp,) = compare_runs(tmp_path / "a", tmp_path / "b", n_bootstrap=200)
    assert (comp.dataset, comp.n, comp.c_only_b_right, comp.b_only_a_right) == ("gsm8k", 3, 1, 0)
