"""What the arena page reads, without a browser: the battle browser's filters over both stores agree
with the run's own files, and the ratings come from the run's ratings.json (only its own) or are
recomputed from the stored battles with the same exact numbers."""

from __future__ import annotations

import json
from collections import Counter

import attrs
import pytest

from evalscope.arena.site.records import battle_query, find_battles, ratings_file, ratings_of, recompute
from evalscope.core.ports import ResultFilter
from evalscope.core.stores import open_reader
from tests.viz.conftest import arena_answer


@pytest.fixture(params=["workdir", "sqlite"])
def arena_store(request, arena_outputs):
    location = (
        str(arena_outputs.root) if request.param == "workdir" else f"sqlite:///{arena_outputs.run_dir / 'evalscope.db'}"
    )
    reader = open_reader(location)
    (info,) = reader.list_runs(kind="arena")
    yield reader, info
    reader.close()


def verdict_of_line(line: dict) -> str:
    review = line["choices"][0]["review"]
    if review.get("status") == "invalid":
        return "invalid"
    return {1.0: "a", 0.0: "b", 0.5: "tie"}[review["result"]["score"]]


def finder(reader, info):
    return (
        lambda where: list(reader.iter_results(info.run_id, where)),
        lambda where: reader.count_results(info.run_id, where),
    )


def test_verdict_filters_agree_with_the_runs_files(arena_store, arena_outputs):
    reader, info = arena_store
    lines = arena_outputs.battles()
    expected = Counter(verdict_of_line(line) for line in lines)
    assert expected["invalid"] == 3 and expected["tie"] == 3 and expected["a"] and expected["b"]
    read, count = finder(reader, info)
    for verdict in ("a", "b", "tie", "invalid"):
        battles, total, _ = find_battles(read, count, verdict=verdict, size=100)
        assert total == len(battles) == expected[verdict], verdict
        assert {b.verdict for b in battles} == {verdict}
    _, total, _ = find_battles(read, count, verdict="all")
    assert total == len(lines) == 18
    # paging: the last page holds the rest, a page past the end shows the last one
    battles, total, page = find_battles(read, count, verdict="all", page=5, size=10)
    assert (len(battles), total, page) == (8, 18, 1)


def test_a_battle_view_holds_both_answers_both_games_and_the_replies(arena_store):
    reader, info = arena_store
    read, count = finder(reader, info)
    (battle,), total, _ = find_battles(read, count, subset="weak vs strong", search="question number 2?")
    assert total == 1
    assert (battle.model_a, battle.model_b, battle.verdict, battle.winner) == ("weak", "strong", "b", "strong")
    assert (battle.answer_a, battle.answer_b) == (arena_answer("weak", "2"), arena_answer("strong", "2"))
    assert [(g.first, g.winner) for g in battle.games] == [("weak", "strong"), ("strong", "strong")]
    assert [e.replies for e in battle.exchanges] == [("[[B]]",), ("[[A]]",)]
    assert "weak answer to 2" in battle.exchanges[0].prompt
    # a search reaches the answers and the judge's replies, not only the question
    _, total, _ = find_battles(read, count, search=arena_answer("medium", "4"))
    assert total == 2  # medium's two battles on question 4
    _, total, _ = find_battles(read, count, search="I cannot decide", verdict="invalid")
    assert total == 3


def test_a_verdict_the_mode_does_not_have_is_refused():
    with pytest.raises(ValueError, match="tie"):
        battle_query("tie", single=True)
    where, keep = battle_query("b", subset="x vs y")
    assert (where.passed, where.threshold, where.subset, keep) == (False, 0.5, "x vs y", None)


def test_recomputed_ratings_have_the_files_exact_numbers(arena_store, arena_outputs):
    reader, info = arena_store
    saved = arena_outputs.ratings
    results = list(reader.iter_results(info.run_id, ResultFilter(dataset="arena")))
    (report,) = reader.load_reports(info.run_id)
    again = recompute(info, results, report)
    assert (again.battles_total, again.battles_valid, again.battles_invalid) == (
        saved["battles_total"], saved["battles_valid"], saved["battles_invalid"]
    )
    assert again.invalid_by_pair == saved["invalid_by_pair"]
    for model, ref in zip(again.models, saved["models"]):
        assert (model.model, model.battles, model.wins, model.losses, model.ties, model.judge_invalid) == (
            ref["model"], ref["battles"], ref["wins"], ref["losses"], ref["ties"], ref["judge_invalid"]
        )
        assert model.bt == pytest.approx(ref["bt"], abs=1e-6)
        assert model.win_rate == pytest.approx(ref["win_rate"])
        assert model.elo == pytest.approx(ref["elo"], abs=1e-4)  # the report's, rounded to 4 places
        assert model.bt_ci is not None and model.win_rate_ci is not None


def test_only_the_runs_own_ratings_file_is_read(arena_store, arena_outputs, tmp_path):
    reader, info = arena_store
    found = ratings_file(info)
    assert found is not None and found[1] == arena_outputs.run_dir / "ratings.json"
    assert found[0].run_id == info.run_id
    other = json.loads((arena_outputs.run_dir / "ratings.json").read_text())
    other["run_id"] = "someone-else"
    (tmp_path / "ratings.json").write_text(json.dumps(other))
    elsewhere = attrs.evolve(info, work_dir=str(tmp_path))
    assert ratings_file(elsewhere) is None
    assert ratings_file(elsewhere, places=[arena_outputs.run_dir]) is not None  # where a moved run lies now
    calls = []

    def read():
        calls.append(1)
        return list(reader.iter_results(info.run_id, ResultFilter(dataset="arena")))

    assert ratings_of(elsewhere, read, None).source == "records" and calls
    assert ratings_of(info, read, None).source == "file"
    running = attrs.evolve(info, status="running")  # still judging: the battles so far, not an old file
    assert ratings_of(running, read, None).source == "records"


def test_a_copied_run_dir_is_read_where_it_lies_now(arena_outputs, tmp_path):
    """Its run.json names the old place; the page looks where the catalog found it."""
    import shutil

    from evalscope.arena.site.page import where_it_lies
    from evalscope.viz.data.catalog import Catalog

    copy = tmp_path / "outputs" / "arena" / arena_outputs.run_dir.name
    shutil.copytree(arena_outputs.run_dir, copy)
    original = arena_outputs.run_dir / "ratings.json"
    original.rename(tmp_path / "ratings.json")
    try:
        catalog = Catalog(tmp_path / "outputs")
        (entry,) = catalog.runs(kind="arena")
        assert entry.info.work_dir == str(arena_outputs.run_dir)  # as recorded
        found = ratings_of(entry.info, lambda: [], None, where_it_lies(entry))
        assert (found.source, found.path) == ("file", str(copy / "ratings.json"))
    finally:
        (tmp_path / "ratings.json").rename(original)
