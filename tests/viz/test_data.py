"""The front-ends' read model: runs found in an outputs directory and a SQL store, filters and pairs,
checked against the run files themselves."""

from __future__ import annotations

import pytest

from evalscope.viz.data.catalog import Catalog
from evalscope.viz.data.pairs import filter_pairs, pair_results
from evalscope.viz.data.samples import browser_filter, sample_view
from tests.viz.conftest import REPLY_A, review_lines


def scores_of(run_dir, dataset):
    return {
        str(line["sample_id"]): next(iter(line["choices"][0]["review"]["result"].values()))
        for line in review_lines(run_dir, dataset)
    }


def test_outputs_directory_lists_both_runs(eval_outputs):
    catalog = Catalog(eval_outputs.root)
    labels = [e.label for e in catalog.runs()]
    assert labels == ["run-judged@mock-j", "run-a@mock-a", "run-b@mock-b"]  # oldest first
    entry = catalog.find("run-a@mock-a")
    assert entry is not None and entry.finished
    assert catalog.datasets(entry.key) == ["gsm8k", "arc", "math_500"]


def test_sql_store_and_files_give_the_same_run_once(eval_outputs):
    url = f"sqlite:///{eval_outputs.run_a / 'evalscope.db'}"
    both = Catalog(eval_outputs.root, [url])
    assert [e.label for e in both.runs()] == ["run-judged@mock-j", "run-a@mock-a", "run-b@mock-b"]
    store_only = Catalog(None, [url])
    (sql_entry,) = store_only.runs()
    files_entry = Catalog(eval_outputs.root).find("run-a")
    assert sql_entry.info.run_id == files_entry.info.run_id
    for dataset in ("gsm8k", "arc"):
        sql_report = store_only.report(sql_entry.key, dataset)
        assert sql_report.score == both.report(files_entry.key, dataset).score
        sql_fail = {
            r.sample_id
            for r in store_only.results(sql_entry.key, browser_filter(dataset=dataset, kind="fail"))
        }
        assert sql_fail == {sid for sid, s in scores_of(eval_outputs.run_a, dataset).items() if s < 1.0}


def test_runs_one_folder_down_and_runs_of_other_kinds(eval_outputs, arena_outputs, tmp_path):
    """`outputs/judged/<run>` and `outputs/arena/<run>` (a work_dir below the outputs directory) are
    listed with the outputs directory's runs; arena runs only when asked for by kind."""
    import shutil

    root = tmp_path / "outputs"
    shutil.copytree(eval_outputs.run_a, root / "run-a")
    shutil.copytree(eval_outputs.run_b, root / "judged" / "run-b")
    shutil.copytree(arena_outputs.run_dir, root / "arena" / arena_outputs.run_dir.name)
    (root / "notes").mkdir()
    catalog = Catalog(root)
    assert sorted(e.label for e in catalog.runs()) == ["run-a@mock-a", "run-b@mock-b"]
    (arena,) = catalog.runs(kind="arena")
    assert arena.label == f"{arena_outputs.run_dir.name}@scripted-arena"
    assert catalog.run(arena.key).info.kind == "arena" and catalog.count(arena.key) == 18
    assert [r.dataset_name for r in catalog.reports(arena.key)] == ["arena"]


def test_an_unreadable_source_is_reported_not_fatal(eval_outputs):
    catalog = Catalog(eval_outputs.root, ["nosuchstore://somewhere"])
    assert len(catalog.runs()) == 3
    assert catalog.errors and "nosuchstore://somewhere" in catalog.errors[0]


@pytest.mark.parametrize("kind", ["all", "pass", "fail", "error"])
def test_browser_filters_match_the_review_files(eval_outputs, kind):
    catalog = Catalog(eval_outputs.root)
    key = catalog.find("run-a").key
    scores = scores_of(eval_outputs.run_a, "gsm8k")
    expected = {
        "all": set(scores),
        "pass": {s for s, v in scores.items() if v >= 1.0},
        "fail": {s for s, v in scores.items() if v < 1.0},
        "error": set(),
    }[kind]
    where = browser_filter(dataset="gsm8k", kind=kind)
    assert {r.sample_id for r in catalog.results(key, where)} == expected
    assert catalog.count(key, where) == len(expected)


def test_sample_view_shows_what_the_model_said(eval_outputs):
    catalog = Catalog(eval_outputs.root)
    key = catalog.find("run-a").key
    (result,) = catalog.results(key, browser_filter(dataset="gsm8k", kind="all", search="ducks"))
    view = sample_view(result)
    assert view.output == REPLY_A and view.extracted == "18" and view.gold == "18"
    assert view.passed is True and view.score == 1.0 and "ducks" in view.prompt


def test_pairs_and_their_filters(eval_outputs):
    catalog = Catalog(eval_outputs.root)
    key_a, key_b = catalog.find("run-a").key, catalog.find("run-b").key
    pairs = pair_results(catalog, key_a, key_b, "gsm8k")
    a, b = scores_of(eval_outputs.run_a, "gsm8k"), scores_of(eval_outputs.run_b, "gsm8k")
    assert {p.sample_id for p in pairs} == set(a) == set(b)
    for kind, want in {
        "a_right_b_wrong": lambda s: a[s] == 1 and b[s] < 1,
        "a_wrong_b_right": lambda s: a[s] < 1 and b[s] == 1,
        "both_right": lambda s: a[s] == 1 and b[s] == 1,
        "both_wrong": lambda s: a[s] < 1 and b[s] < 1,
    }.items():
        assert {p.sample_id for p in filter_pairs(pairs, kind)} == {s for s in a if want(s)}, kind
    with pytest.raises(ValueError, match="filter 'nope'"):
        filter_pairs(pairs, "nope")


def test_judge_verdict_in_the_sample_view(eval_outputs):
    catalog = Catalog(eval_outputs.root)
    key = catalog.find("run-judged").key
    views = [sample_view(r) for r in catalog.results(key, browser_filter(dataset="gsm8k"))]
    assert len(views) == 3
    first = dict(views[0].judge)
    assert first["judge"] == "mock-judge" and first["strategy"] == "llm" and first["verdict"] == "B"
    assert first["judge score"] == "0" and first["valid"] == "yes"
    assert first["rule scores"] == "AverageAccuracy=1"  # the rule passed it; the judge's verdict counts
    assert (
        views[0].passed is False
        and "[[B]]" in views[0].judge_exchange
        and "[Reference answer]" in views[0].judge_exchange
    )
