"""Every multiple-choice benchmark end to end through `run_task` with the mock model (limit 2).

The mock gives uniform choice scores (so the first option wins, or the shortest ending where the
spec length-normalises) and answers "The answer is A." in generation mode; each report must hold
exactly the accuracy those predictions earn against the gold letters.
"""

from __future__ import annotations

import pytest
from test_mcq_specs import FIXTURES, load

from evalscope.benchmarks import get_benchmark
from evalscope.core.benchmark import LETTERS
from evalscope.run import run_task

RUNS = [
    ("ceval", None, {"subset_list": ["logic", "physician"]}),
    ("cmmlu", None, {"subset_list": ["arts", "chinese_history"]}),
    ("race", "race", {}),
    ("general_mcq", "general_mcq", {"subset_list": ["example", "yesno", "ten"]}),
    ("hellaswag", None, {}),
    ("hellaswag", None, {"output_type": "generation"}),
    ("mmlu_pro", "mmlu_pro", {"subset_list": ["math", "biology"]}),
    ("musr", "musr", {}),
    ("gpqa", "gpqa", {}),
    ("iquiz", "iquiz", {}),
    ("winogrande", None, {}),
    ("piqa", None, {"output_type": "multiple_choice"}),
    ("piqa", None, {}),
]


def _mock_prediction(request) -> str:
    if request.kind.value == "loglikelihood":
        scores = [1.0 / len(request.choices) / max(1, len(c)) for c in request.choices]
        return LETTERS[max(range(len(scores)), key=scores.__getitem__)]
    return "A"


@pytest.mark.parametrize(("name", "local", "args"), RUNS, ids=[f"{r[0]}-{i}" for i, r in enumerate(RUNS)])
def test_mock_run_scores_match_gold(name, local, args, dataset_dir, tmp_path):
    dargs = dict(args)
    if local:
        dargs["local_path"] = str(FIXTURES / local)
    reports = run_task(
        {"model": "mock", "eval_type": "mock", "datasets": [name], "limit": 2, "dataset_dir": str(dataset_dir),
         "work_dir": str(tmp_path), "store": "workdir", "dataset_args": {name: dargs}},
        print_table=False,
    )
    samples, requests = load(name, dataset_dir, local=local, mode=args.get("output_type"), subsets=args.get("subset_list"))
    normalise = requests[0].kind.value == "loglikelihood" and name in ("hellaswag",)
    hits = [(_mock_prediction(r) if normalise else "A") == s.target for s, r in zip(samples, requests)]
    report = reports[name]
    assert [m.name for m in report.metrics] == list(get_benchmark(name).scoring.metrics)
    assert report.metrics[0].num == len(samples) > 0
    assert report.score == pytest.approx(sum(hits) / len(hits), abs=1e-4)


def test_truthful_qa_reports_mc1_and_mc2(dataset_dir, tmp_path):
    reports = run_task(
        {"model": "mock", "eval_type": "mock", "datasets": ["truthful_qa"], "limit": 3, "dataset_dir": str(dataset_dir),
         "work_dir": str(tmp_path), "store": "workdir"},
        print_table=False,
    )
    metrics = {m.name: m.score for m in reports["truthful_qa"].metrics}
    samples, _ = load("truthful_qa", dataset_dir, limit=3)
    # uniform log-likelihoods: MC1 ties go to the first mc1 answer (the true one in the data);
    # MC2 = share of true answers among the mc2 answers
    mc2 = [sum(lab for _, lab in s.metadata["mc2"]) / len(s.metadata["mc2"]) for s in samples]
    assert metrics == {"MC1": pytest.approx(1.0), "MC2": pytest.approx(sum(mc2) / len(mc2), abs=1e-4)}


def test_truthful_qa_generation_reports_mc1_only(dataset_dir, tmp_path):
    reports = run_task(
        {"model": "mock", "eval_type": "mock", "datasets": ["truthful_qa"], "limit": 4, "dataset_dir": str(dataset_dir),
         "work_dir": str(tmp_path), "store": "workdir", "dataset_args": {"truthful_qa": {"output_type": "generation"}}},
        print_table=False,
    )
    samples, _ = load("truthful_qa", dataset_dir, mode="generation", limit=4)
    assert [m.name for m in reports["truthful_qa"].metrics] == ["MC1"]
    assert reports["truthful_qa"].score == pytest.approx(sum(s.target == "A" for s in samples) / 4, abs=1e-4)


def test_truthful_qa_mc_scores_math():
    from evalscope.benchmarks.truthful_qa import mc_scores, record_to_sample

    sample = record_to_sample(
        {"question": "q", "mc1_targets": {"t": 1, "f1": 0}, "mc2_targets": {"t": 1, "t2": 1, "f1": 0, "f2": 0}}, 0, "multiple_choice"
    )
    assert sample.metadata["answers"] == ["t", "t2", "f1", "f2"]
    import math

    out = mc_scores([math.log(0.4), math.log(0.2), math.log(0.3), math.log(0.1)], sample)
    assert out == {"MC1": 1.0, "MC2": pytest.approx(0.6)}
    out = mc_scores([-5.0, -1.0, -0.5, -9.0], sample)
    assert out["MC1"] == 0.0
