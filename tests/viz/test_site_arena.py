"""The arena page of the report site in headless Chromium, over a real arena run (answer files,
every pair, both orders, judged by a scripted OpenAI-compatible server on 127.0.0.1): the rating
table is the run's ratings.json, the ratings chart exports, the battle browser filters by pair,
verdict (judge invalid included) and search, and a battle shows the question, both answers, both
orders' verdicts and the judge's raw replies folded away."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.viz.conftest import CHROMIUM, SiteProcess, arena_answer, shot

pytestmark = pytest.mark.slow


@pytest.fixture
def page(browser, arena_site):
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    pg = context.new_page()
    pg.set_default_timeout(30_000)
    yield pg
    context.close()


def rating_rows(ratings: dict) -> list[list[str]]:
    """The table `evalscope arena` prints, written here from ratings.json alone."""

    def ci(value, interval, digits):
        return f"{value:.{digits}f} [{interval['low']:.{digits}f}, {interval['high']:.{digits}f}]"

    return [
        [
            m["model"],
            ci(m["bt"], m["bt_ci"], 1),
            f"{m['elo']:.1f}",
            str(m["battles"]),
            str(m["wins"]),
            str(m["losses"]),
            str(m["ties"]),
            ci(m["win_rate"], m["win_rate_ci"], 3),
            str(m["judge_invalid"]),
        ]
        for m in ratings["models"]
    ]


def table_rows(pg, selector: str) -> list[list[str]]:
    return pg.eval_on_selector_all(
        f"{selector} tbody tr", "rows => rows.map(r => [...r.cells].map(c => c.innerText.trim()))"
    )


def open_arena(pg, site) -> None:
    pg.goto(site.url + "/")
    pg.click("#nav-arena")
    pg.wait_for_selector("#arena-ratings")
    pg.wait_for_selector(".battle")


def choose(pg, group: str, label: str) -> None:
    pg.locator(f"#{group} label", has_text=re.compile(rf"^{re.escape(label)}$")).click()


def expect_total(pg, total: int) -> None:
    expect(pg.locator("#arena-page-info")).to_have_text(re.compile(rf"· {total} battles$"))


def verdicts(pg) -> list[str]:
    return [c.get_attribute("data-verdict") for c in pg.query_selector_all(".battle")]


def test_rating_table_is_the_runs_ratings_json(page, arena_site, arena_outputs):
    open_arena(page, arena_site)
    ratings = arena_outputs.ratings
    assert [m["model"] for m in ratings["models"]] == ["strong", "medium", "weak"]
    assert table_rows(page, "#arena-ratings") == rating_rows(ratings)
    assert page.get_attribute("#arena-source", "data-source") == "file"
    stats = {el.get_attribute("data-stat"): el.inner_text() for el in page.query_selector_all(".stat")}
    assert stats["judged"].endswith(str(ratings["battles_total"]))
    assert stats["invalid"].endswith(str(ratings["battles_invalid"]))
    assert "scripted-judge" in stats["judge"]
    by_pair = ", ".join(f"{k}: {v}" for k, v in sorted(ratings["invalid_by_pair"].items()))
    assert page.inner_text("#arena-invalid-by-pair").endswith(by_pair)
    # the chart shows the same ratings with their intervals as error bars
    page.wait_for_selector("[data-chart=arena-bt] .main-svg")
    figure = page.evaluate(
        "() => document.querySelector('[data-chart=arena-bt] .js-plotly-plot').data[0]"
    )
    assert figure["x"] == [m["model"] for m in ratings["models"]]
    assert figure["y"] == pytest.approx([m["bt"] for m in ratings["models"]])
    assert figure["error_y"]["array"] == pytest.approx([m["bt_ci"]["high"] - m["bt"] for m in ratings["models"]])
    assert page.locator("[data-chart=arena-win-rate] .main-svg").count() > 0
    shot(page, "site-arena")


def test_judge_invalid_filter_shows_only_invalid_battles(page, arena_site, arena_outputs):
    open_arena(page, arena_site)
    records = arena_outputs.battles()
    invalid = [r for r in records if r["choices"][0]["review"].get("status") == "invalid"]
    assert len(invalid) == arena_outputs.ratings["battles_invalid"] == 3
    expect_total(page, len(records))
    choose(page, "arena-verdict", "Judge invalid")
    expect_total(page, 3)
    assert verdicts(page) == ["invalid"] * 3
    for card in page.query_selector_all(".battle"):
        assert "Question number 5?" in card.inner_text()  # the question the judge never decided
        assert "judge verdict invalid" in card.query_selector("[data-field=reason]").inner_text()
    shot(page, "site-arena-invalid")
    # narrowed to one pair, then the other verdicts of that pair
    choose(page, "arena-pair", "weak vs strong")
    expect_total(page, 1)
    choose(page, "arena-verdict", "strong wins")
    expect_total(page, 4)  # questions 1, 2, 4, 6; 3 is a tie (the orders disagree), 5 invalid
    assert set(verdicts(page)) == {"b"}
    choose(page, "arena-verdict", "Tie")
    expect_total(page, 1)
    assert "Question number 3?" in page.inner_text(".battle")
    choose(page, "arena-verdict", "weak wins")
    expect_total(page, 0)
    # the totals of every verdict over all pairs are those of the stored records
    choose(page, "arena-pair", "All pairs")
    kinds = Counter(
        "invalid" if r["choices"][0]["review"].get("status") == "invalid" else
        {1.0: "a", 0.0: "b", 0.5: "tie"}[r["choices"][0]["review"]["result"]["score"]]
        for r in records
    )
    for label, kind in (("First model wins", "a"), ("Second model wins", "b"), ("Tie", "tie")):
        choose(page, "arena-verdict", label)
        expect_total(page, kinds[kind])
        assert set(verdicts(page)) <= {kind}


def test_a_battle_shows_the_question_both_answers_and_both_orders(page, arena_site):
    open_arena(page, arena_site)
    choose(page, "arena-pair", "weak vs strong")
    page.fill("#arena-search", "Question number 2?")
    page.press("#arena-search", "Enter")
    expect_total(page, 1)
    card = page.locator(".battle")
    expect(card.locator("[data-field=question]")).to_contain_text("Question number 2?")
    expect(card.locator("[data-side=a]")).to_contain_text("weak")
    expect(card.locator("[data-side=a]")).to_contain_text(arena_answer("weak", "2"))
    expect(card.locator("[data-side=b]")).to_contain_text(arena_answer("strong", "2"))
    games = table_rows(page, ".battle table.games")
    # both orders, each with its verdict: the judge saw weak first, then strong first, and chose strong twice
    assert [row[1:5] for row in games] == [["weak", "strong", "B", "strong"], ["strong", "weak", "A", "strong"]]
    replies = card.locator("details.judge-replies")
    assert replies.get_attribute("open") is None  # folded
    expect(replies.locator("pre.judge-reply").first).to_be_hidden()
    replies.locator("summary").first.click()
    expect(replies.locator("pre.judge-reply").nth(0)).to_have_text("[[B]]")
    expect(replies.locator("pre.judge-reply").nth(1)).to_have_text("[[A]]")
    # a search over the answers' text finds the battles of that answer
    page.fill("#arena-search", arena_answer("strong", "6"))
    page.press("#arena-search", "Enter")
    expect_total(page, 1)


def test_ratings_chart_exports_png_and_html(page, arena_site):
    open_arena(page, arena_site)
    chart = page.locator("[data-chart=arena-bt]")
    chart.locator(".main-svg").first.wait_for()
    with page.expect_download(timeout=90_000) as png:
        chart.locator("button", has_text="PNG").click()
    assert png.value.suggested_filename == "arena-bt.png"
    assert Path(png.value.path()).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with page.expect_download() as html:
        chart.locator("button", has_text="HTML").click()
    text = Path(html.value.path()).read_text(encoding="utf-8")
    assert "strong" in text and "Plotly.newPlot" in text and '<script src="http' not in text


def test_a_store_url_alone_recomputes_the_ratings_when_the_file_is_not_there(browser, arena_outputs, tmp_path):
    """The arena's database on its own (its run dir's ratings.json gone): the page reads the battles
    through the store and recomputes; the exact numbers are the file's."""
    assert Path(CHROMIUM).exists()
    ratings = arena_outputs.ratings
    (tmp_path / "empty").mkdir()
    (arena_outputs.run_dir / "ratings.json").rename(tmp_path / "ratings.json")
    try:
        url = f"sqlite:///{arena_outputs.run_dir / 'evalscope.db'}"
        with SiteProcess("--outputs", str(tmp_path / "empty"), "--store-url", url) as server:
            context = browser.new_context(viewport={"width": 1400, "height": 1000})
            pg = context.new_page()
            pg.set_default_timeout(30_000)
            open_arena(pg, server)
            assert pg.get_attribute("#arena-source", "data-source") == "records"
            shown = table_rows(pg, "#arena-ratings")
            expected = rating_rows(ratings)
            # everything but the bootstrap intervals is exact; the intervals are there, redrawn
            assert [[r[0], r[1].split(" [")[0], *r[2:7], r[7].split(" [")[0], r[8]] for r in shown] == [
                [e[0], e[1].split(" [")[0], *e[2:7], e[7].split(" [")[0], e[8]] for e in expected
            ]
            assert all(" [" in r[1] and " [" in r[7] for r in shown)
            choose(pg, "arena-verdict", "Judge invalid")
            expect_total(pg, 3)
            context.close()
    finally:
        (tmp_path / "ratings.json").rename(arena_outputs.run_dir / "ratings.json")
