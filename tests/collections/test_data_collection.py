"""A mixed JSONL evaluated end to end (eval_type mock): each row scored by its own benchmark,
reports per dataset, subset, task type, tag and category."""

from __future__ import annotations

import json
from collections import defaultdict

import attrs
import pytest
from click.testing import CliRunner

from evalscope.benchmarks import data_collection as dc
from evalscope.benchmarks import get_benchmark
from evalscope.cli.collection_cmd import collection_command
from evalscope.core.benchmark import BenchmarkSpec
from evalscope.core.collections import CollectionSchema, WeightedSampler, dump_jsonl, load_jsonl
from evalscope.core.collections.report import REPORT_FILE
from evalscope.core.models.mock import MockModelAPI
from evalscope.core.types import ModelOutput, RequestKind
from evalscope.run import run_task

SCHEMA = {
    "name": "mix",
    "datasets": [
        {"name": "reasoning", "datasets": [
            {"name": "arc", "tags": ["en", "mcq"], "args": {"subset_list": ["ARC-Easy"]}},
            {"name": "gsm8k", "tags": ["en", "math"], "task_type": "math"},
        ]},
        {"name": "mmlu", "tags": ["en", "mcq"], "args": {"subset_list": ["anatomy", "virology"], "few_shot_num": 0}},
    ],
}
HOOKED = "build_request" in attrs.fields_dict(BenchmarkSpec)


class RecordingMock(MockModelAPI):
    """The mock provider, remembering which request kinds it was asked."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.kinds: list[RequestKind] = []

    async def call(self, requests):
        self.kinds.extend(r.kind for r in requests)
        return await super().call(requests)


@pytest.fixture(scope="module")
def mixed(dataset_dir, tmp_path_factory):
    rows = WeightedSampler(CollectionSchema.from_dict(SCHEMA), resolve=get_benchmark, dataset_dir=str(dataset_dir), seed=3).sample(40)
    return dump_jsonl(rows, tmp_path_factory.mktemp("mix") / "mixed.jsonl")


def _expected(rows):
    """The mock answers A (text "The answer is A." or uniform letter scores, argmax A): MCQ rows are
    right iff their gold letter is A; gsm8k rows hold no number and are wrong."""
    groups = defaultdict(list)
    for r in rows:
        right = float(r.dataset_name != "gsm8k" and r.sample["target"] == "A")
        groups[("dataset", r.dataset_name)].append(right)
        groups[("subset", f"{r.dataset_name}/{r.subset_name}")].append(right)
        for tag in r.tags:
            groups[("tag", tag)].append(right)
        groups[("task_type", r.task_type)].append(right)
        for k in range(len(r.categories)):
            groups[("category", "/".join(r.categories[: k + 1]))].append(right)
    return {k: (round(sum(v) / len(v), 4), len(v)) for k, v in groups.items()}


def test_mixed_jsonl_end_to_end(mixed, dataset_dir, tmp_path):
    rows = load_jsonl(mixed)
    model = RecordingMock("mock")
    cfg = {
        "model": "mock",
        "eval_type": "mock",
        "datasets": ["data_collection"],
        "dataset_args": {"data_collection": {"local_path": str(mixed)}},
        "dataset_dir": str(dataset_dir),
        "work_dir": str(tmp_path),
        "no_timestamp": True,
        "store": "workdir",
    }
    reports = run_task(cfg, model=model, print_table=False)
    report = reports["data_collection"]
    expected = _expected(rows)
    overall = sum(float(r.dataset_name != "gsm8k" and r.sample["target"] == "A") for r in rows) / len(rows)
    assert report.metrics[0].num == 40
    assert report.score == pytest.approx(overall, abs=1e-4)
    assert 0 < overall < 1  # the data mixes right and wrong answers: the check can fail
    # core report: subsets `<dataset>/<subset>` under category `<dataset>` (one "default" bucket
    # where the core still renames every sample's subset)
    subsets = {(c.name, s.name, s.num) for c in report.metrics[0].categories for s in c.subsets}
    per_subset = {((k[1].split("/")[0],), k[1], v[1]) for k, v in expected.items() if k[0] == "subset"}
    assert subsets in ({(("default",), "default", 40)}, per_subset)
    # items of one source benchmark share a cluster: the OVERALL interval is the clustered one
    from evalscope.core.intervals import clustered_standard_error

    right = [float(r.dataset_name != "gsm8k" and r.sample["target"] == "A") for r in rows]
    se = clustered_standard_error(right, [r.dataset_name for r in rows])
    metric = report.metrics[0]
    assert metric.ci_method == "clustered"
    assert metric.ci_low == pytest.approx(max(0.0, overall - 1.959964 * se), abs=1e-4)
    assert metric.ci_high == pytest.approx(min(1.0, overall + 1.959964 * se), abs=1e-4)

    # the collection's own views, from the reviews on disk
    path = dc.on_report(report, tmp_path, "mock", print_tables=False)
    assert path == tmp_path / "reports" / "mock" / REPORT_FILE
    saved = json.loads(path.read_text())
    got = {(level, r["name"]): (r["score"], r["num"]) for level, lst in saved["levels"].items() for r in lst}
    assert got == expected
    assert got[("dataset", "gsm8k")][0] == 0.0
    assert ("tag", "mcq") in got and ("category", "mix/reasoning") in got

    # each row was asked as its own benchmark asks it (with the engine hook) or as text (without)
    if HOOKED:
        assert sorted(k.value for k in model.kinds) == sorted(r.prompt["kind"] for r in rows)
    else:
        assert set(model.kinds) == {RequestKind.GENERATE}

    # the CLI prints the same tables
    result = CliRunner().invoke(collection_command, ["report", str(tmp_path), "--model-id", "mock"])
    assert result.exit_code == 0, result.output
    assert "by tag" in result.output and "mix/reasoning" in result.output


def test_rows_rebuild_and_score_through_their_benchmark(mixed):
    rows = load_jsonl(mixed)
    mcq_row = next(r for r in rows if r.dataset_name == "mmlu")
    sample = dc.record_to_sample(mcq_row.to_dict(), 0, "default")
    assert sample.subset == f"mmlu/{mcq_row.subset_name}" and dc.category(sample.subset) == ("mmlu",)
    task = dc.sub_task(sample)
    request = dc.build_request(task, sample)
    assert request.kind is RequestKind.CHOICE_PROBS and request.messages[0].content == mcq_row.prompt["messages"][0]["content"]
    gold = "ABCD".index(mcq_row.sample["target"])
    scores = [0.1] * 4
    scores[gold] = 0.7
    output = ModelOutput(scores=scores)
    _, prediction = dc.predict(task, sample, output)
    assert prediction == mcq_row.sample["target"]
    assert dc.score(prediction, sample, output) == {"AverageAccuracy": 1.0}
    # answered as text, the MCQ extractor of the benchmark reads the letter
    wrong = "ABCD"[(gold + 1) % 4]
    assert dc.extract(f"The answer is {wrong}.", sample) == wrong

    math_row = next(r for r in rows if r.dataset_name == "gsm8k")
    sample = dc.record_to_sample(math_row.to_dict(), 0, "default")
    gold = math_row.sample["target"]
    prediction = dc.extract(f"So the total is {gold}.\nQuestion: next one 12345", sample)
    assert prediction == gold
    assert dc.score(prediction, sample, ModelOutput(text=gold)) == {"AverageAccuracy": 1.0}
    # run settings win over stored ones, stored stop sequence kept
    from evalscope.core.types import GenerationConfig

    req = dc.build_request(attrs.evolve(dc.sub_task(sample), generation_config=GenerationConfig(max_tokens=7)), sample)
    assert req.config.max_tokens == 7 and req.config.stop == ["Question:"]


def test_collection_create_cli(dataset_dir, tmp_path):
    schema = tmp_path / "schema.json"
    schema.write_text(json.dumps(SCHEMA))
    out = tmp_path / "out.jsonl"
    args = ["create", "--schema", str(schema), "--sampler", "uniform", "--count", "30", "--out", str(out), "--dataset-dir", str(dataset_dir)]
    result = CliRunner().invoke(collection_command, args)
    assert result.exit_code == 0, result.output
    rows = load_jsonl(out)
    assert len(rows) == 30 and {r.dataset_name for r in rows} == {"arc", "gsm8k", "mmlu"}
    assert "30 rows (uniform)" in result.output

    schema.write_text(json.dumps({"name": "x", "datasets": [{"name": "arc", "weigth": 1}]}))
    result = CliRunner().invoke(collection_command, args)
    assert result.exit_code != 0 and "weigth" in result.output


def test_collection_report_from_a_database(mixed, dataset_dir, tmp_path):
    """The same levels from a run stored in SQLite (read side) as from its work-dir files; only
    scored samples count."""
    from evalscope.core.collections.report import (
        build_collection_report,
        entries_from_run,
        entries_from_store,
    )
    from evalscope.core.ports import ResultFilter
    from evalscope.core.stores import open_reader
    from evalscope.core.types import SampleStatus

    url = f"sqlite:///{tmp_path / 'runs.db'}"
    cfg = {
        "model": "mock", "eval_type": "mock", "datasets": ["data_collection"],
        "dataset_args": {"data_collection": {"local_path": str(mixed)}}, "dataset_dir": str(dataset_dir),
        "work_dir": str(tmp_path / "run"), "no_timestamp": True, "store": "sqlite", "store_url": url,
    }
    run_task(cfg, print_table=False)
    reader = open_reader(url)
    (run,) = reader.list_runs()
    from_db = entries_from_store(reader, run.run_id)
    assert len(from_db) == reader.count_results(run.run_id, ResultFilter(status=SampleStatus.SCORED)) == 40
    from_files = entries_from_run(tmp_path / "run", "mock")
    key = lambda e: json.dumps(e, sort_keys=True)  # noqa: E731
    assert sorted(map(key, from_db)) == sorted(map(key, from_files))
    db_report = build_collection_report(from_db, model_name="mock")
    assert db_report.levels == build_collection_report(from_files, model_name="mock").levels
