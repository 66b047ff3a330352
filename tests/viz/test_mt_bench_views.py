"""mt_bench where a person looks: the site's dataset page draws the per-category radar (plotly
Scatterpolar: overall, turn 1, turn 2) with the judge's invalid judgements per category and a Judge
column in the subset table, and the prediction browser (site card and TUI text) shows the whole
conversation, both turns and both answers. The run is the scripted mt_bench run of
tests/judge/test_mt_bench.py (known ratings per question and turn)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from evalscope.run import run_task
from evalscope.viz.data.catalog import Catalog
from evalscope.viz.data.samples import sample_view
from evalscope.viz.site.context import SiteContext
from evalscope.viz.site.i18n import Translator
from evalscope.viz.site.pages.dataset import sample_card, scores
from evalscope.viz.tui.browse import sample_text
from tests.judge.judge_server import judge_server
from tests.judge.test_mt_bench import config, judge_reply, model_reply


@pytest.fixture(scope="module")
def mt_run(tmp_path_factory: pytest.TempPathFactory, dataset_dir: Path):
    root = tmp_path_factory.mktemp("mt") / "outputs"
    with judge_server(model_reply) as model, judge_server(judge_reply) as judge:
        result = run_task(config(model.base_url, judge.base_url, root, dataset_dir), print_table=False)
    return root, result


def _text(component) -> str:
    return json.dumps(
        component.to_plotly_json(),
        default=lambda o: o.to_plotly_json() if hasattr(o, "to_plotly_json") else str(o),
    )


def test_dataset_page_draws_the_category_radar_and_judge_counts(mt_run):
    root, result = mt_run
    ctx = SiteContext(Catalog(root), Translator("en"))
    page = _text(scores(result["mt_bench"], ctx))
    assert "mt-bench-radar" in page and "scatterpolar" in page
    radar = json.loads(page)
    # the radar's traces: writing and math (closed back to writing); math has no valid turn-2 rating
    figure = _find(radar, "mt-bench-radar")["props"]["figure"]
    traces = {tr["name"]: dict(zip(tr["theta"], tr["r"], strict=True)) for tr in figure["data"]}
    assert (
        traces["overall"]["writing"] == pytest.approx(6.3333, abs=1e-4) and traces["overall"]["math"] == 9.0
    )
    assert traces["turn 1"] == {"writing": 6.5, "math": 9.0}
    assert traces["turn 2"]["writing"] == 6.0 and traces["turn 2"]["math"] is None  # a gap, never 0
    # the category table's judge column and the subset table's Judge column
    assert "1/4" in page and "3/4" in page
    assert "4 of 8 judgement(s) invalid (50.0%)" in page


def _find(node, component_id):
    if isinstance(node, dict):
        if node.get("props", {}).get("id") == {"type": "chart", "name": component_id}:
            return node
        for value in node.values():
            found = _find(value, component_id)
            if found is not None:
                return found
    elif isinstance(node, list):
        for value in node:
            found = _find(value, component_id)
            if found is not None:
                return found
    return None


def test_browser_shows_the_whole_conversation(mt_run):
    root, result = mt_run
    catalog = Catalog(root)
    key = next(e.key for e in catalog.runs())
    stored = {r.sample_id: r for r in catalog.results(key, None)}
    view = sample_view(stored["81"])
    roles = [role for role, _ in view.conversation]
    assert roles == ["user", "assistant", "user", "assistant"]
    assert view.conversation[1][1] == "ANSWER-q81-t1" and view.conversation[3][1] == "ANSWER-q81-t2"
    assert view.conversation[2][1].startswith("Rewrite your previous response")
    card = _text(sample_card(view, Translator("en")))
    assert "ANSWER-q81-t1" in card and "ANSWER-q81-t2" in card and "Rewrite your previous response" in card
    text = sample_text(view)
    assert (
        "── Conversation" in text
        and "[assistant 1] ANSWER-q81-t1" in text
        and "[assistant 2] ANSWER-q81-t2" in text
    )
