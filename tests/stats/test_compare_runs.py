"""`compare_runs` / `evalscope compare` on real mock runs, read through the stores (work-dir files, SQLite)."""

from __future__ import annotations

import json
import math

import attrs
import pytest
from click.testing import CliRunner

from evalscope.cli.compare_cmd import compare_command
from evalscope.config import DatasetArgs
from evalscope.core.ports import RunInfo, new_run_id
from evalscope.core.stats import RunRef, compare_runs, load_run_scores
from evalscope.core.stores import WorkDirStore
from evalscope.core.types import ModelOutput, SampleResult, SampleStatus
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


def test_compare_runs_inside_one_database(dataset_dir, tmp_path):
    """Two runs written into one SQLite file: compared by name with --store-url, same numbers as the dirs."""
    url = f"sqlite:///{tmp_path / 'all.db'}"
    for name, reply in (("run_a", "The answer is A."), ("run_b", "The answer is B.")):
        cfg = {
            "model": "mock", "eval_type": "mock", "model_args": {"reply": reply}, "datasets": ["arc"], "limit": 30,
            "dataset_args": {"arc": {"output_type": "generation"}}, "dataset_dir": str(dataset_dir),
            "work_dir": str(tmp_path / name), "no_timestamp": True, "store": "sqlite", "store_url": url,
        }
        run_task(cfg, print_table=False)
    by_db = compare_runs(RunRef(url, "run_a"), RunRef(url, "run_b"), n_bootstrap=200)
    by_dir = compare_runs(tmp_path / "run_a", tmp_path / "run_b", n_bootstrap=200)
    assert [(c.dataset, c.n, c.mean_a, c.mean_b, c.p_value) for c in by_db] == [
        (c.dataset, c.n, c.mean_a, c.mean_b, c.p_value) for c in by_dir
    ]
    assert by_db[0].n == 60
    result = CliRunner().invoke(compare_command, ["--store-url", url, "run_a", "run_b", "--format", "json", "--bootstrap", "200"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)[0]["n"] == 60
    result = CliRunner().invoke(compare_command, ["--store-url", url, "run_a", "run_c"])
    assert result.exit_code != 0 and "no single run 'run_c'" in result.output
    result = CliRunner().invoke(compare_command, ["run_a", "run_b"])  # names without --store-url
    assert result.exit_code != 0 and "--store-url" in result.output


def _write_run(root, name, outcomes):
    """A work-dir run whose samples end as `outcomes` = {sample_id: (status, score)}."""
    store = WorkDirStore()
    store.open(RunInfo(run_id=new_run_id(), work_dir=str(root / name), model_id="m", name=name, datasets=["d"]))
    for sid, (status, score) in outcomes.items():
        r = SampleResult(sid, "main", f"k{sid}", ModelOutput(text="x"), status=SampleStatus.PREDICTED)
        store.save_prediction("d", r)
        if status is not SampleStatus.PREDICTED:
            r = attrs.evolve(r, status=status, scores={} if score is None else {"acc": score},
                             error=None if status is SampleStatus.SCORED else "why")
            store.save_review("d", r)
    store.close()
    return root / name


def test_only_scored_samples_are_compared(tmp_path):
    S = SampleStatus
    a = _write_run(tmp_path, "a", {"0": (S.SCORED, 1.0), "1": (S.SCORED, 0.0), "2": (S.SCORED, 1.0), "3": (S.SCORED, 1.0),
                                   "4": (S.SCORED, 0.0)})
    b = _write_run(tmp_path, "b", {"0": (S.SCORED, 1.0), "1": (S.SCORED, 1.0), "2": (S.ERROR, None), "3": (S.SKIPPED, None),
                                   "4": (S.INVALID, None)})
    (comp,) = compare_runs(a, b, n_bootstrap=200)
    assert (comp.n, comp.only_in_a, comp.only_in_b) == (2, 3, 0)
    assert (comp.mean_a, comp.mean_b) == (0.5, 1.0)
    assert load_run_scores(b) == {("d", "main", "0"): {"acc": 1.0}, ("d", "main", "1"): {"acc": 1.0}}


def test_compare_prints_the_minimum_detectable_difference(runs):
    """MDE = (z_0.975 + z_0.8) * sqrt(discordant / n) / sqrt(n) for 0/1 scores; '-' where no pair differs."""
    a, b = runs
    result = CliRunner().invoke(compare_command, [str(a), str(b), "--format", "json", "--bootstrap", "200"])
    comps = {c["dataset"]: c for c in json.loads(result.output)}
    arc = comps["arc"]
    discordant = arc["b_only_a_right"] + arc["c_only_b_right"]
    assert arc["min_detectable_diff"] == pytest.approx(2.801585 * math.sqrt(discordant / arc["n"]) / math.sqrt(arc["n"]))
    assert comps["gsm8k"]["min_detectable_diff"] is None
    text = CliRunner().invoke(compare_command, [str(a), str(b), "--bootstrap", "200"]).output
    assert "| MDE " in text and f"{arc['min_detectable_diff']:.4f}" in text and "80% power" in text
