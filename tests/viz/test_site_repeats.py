"""Issue 16, item 1: a repeated run (`--repeats 4`) where a person reads it. The run is the real
`evalscope eval` against a scripted server that is right on a known set of (item, repeat) pairs
(tests/e2e/repeats_runs.py: items solved 4, 1, 0, 2 and 2 times of 4).

- The site's dataset page (`evalscope app` in headless Chromium): the "solved j of 4" histogram
  (items solved 0..4 times: 1, 1, 2, 0, 1) and the prediction browser grouped by item (one card per
  item with its j/4, folding out each repeat's answer, extracted answer and score); the Pass filter
  keeps the items any answer solved. The screenshot goes to docs/images/site-repeats.png.
- The TUI (Textual's pilot): the samples list has one row per item with its Solved j/4 column and
  each repeat's extracted answer; the details show every repeat.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
from pathlib import Path

import pytest
from playwright.sync_api import expect

from evalscope.viz.data.catalog import Catalog
from evalscope.viz.tui.browse import BrowseApp
from tests.e2e.repeats_runs import ANSWERS_A, questions, repeats_run
from tests.viz.conftest import SiteProcess, shot
from tests.viz.test_site_browser import load_runs

pytestmark = pytest.mark.slow
IMAGE = Path(__file__).resolve().parents[2] / "docs" / "images" / "site-repeats.png"
K = len(ANSWERS_A[0])
SOLVED = [sum(a == "A" for a in row) for row in ANSWERS_A]  # 4, 1, 0, 2, 2
HISTOGRAM = [SOLVED.count(j) for j in range(K + 1)]  # 1, 1, 2, 0, 1


def extracted(dataset_dir: Path) -> list[list[str]]:
    """Each item's extracted answer per repeat: the right number, or it + j for "Wj"."""
    rights = [right for _, right in questions(dataset_dir, len(ANSWERS_A))]
    return [[r if a == "A" else str(int(r) + int(a[1:])) for a in row] for r, row in zip(rights, ANSWERS_A, strict=True)]


@pytest.fixture(scope="module")
def repeats_outputs(dataset_dir, tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("repeats") / "outputs"
    repeats_run(dataset_dir, root / "repeats-run", ANSWERS_A)
    return root


def test_tui_samples_list_grouped_by_item_with_solved_column(repeats_outputs, dataset_dir):
    # first in the module: the Chromium test's Playwright loop, open until the module ends, would
    # stop asyncio.run here
    want = extracted(dataset_dir)

    async def scenario():
        app = BrowseApp(Catalog(repeats_outputs))
        async with app.run_test(size=(140, 36)) as pilot:
            await pilot.pause()
            await pilot.press("f")  # the samples tab (filter: pass)
            await pilot.press("f", "f", "f")  # back round to all
            await pilot.pause()
            screen = app.screen
            table = screen.query_one("#samples")
            headers = [str(c.label) for c in table.columns.values()]
            rows = [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]
            label = str(screen.query_one("#page-label").render())
            detail = str(screen.query_one("#detail").render())
            await pilot.press("down")
            await pilot.pause()
            second = str(screen.query_one("#detail").render())
            return headers, rows, label, detail, second

    headers, rows, label, detail, second = asyncio.run(scenario())
    assert headers[:3] == ["Id", "Solved", "Mean"]
    assert [row[:3] for row in rows] == [[str(i), f"{j}/{K}", f"{j / K:.4f}"] for i, j in enumerate(SOLVED)]
    assert [row[3] for row in rows] == [" · ".join(w) for w in want]
    assert label.endswith("· 5 items")
    assert detail.startswith(f"#0  subset main  solved {K}/{K}")
    assert second.startswith("#1  subset main  solved 1/4  mean score 0.2500")
    for r, a in enumerate(ANSWERS_A[1]):
        verdict, score = ("pass", "1.0000") if a == "A" else ("fail", "0.0000")
        assert f"── Repeat {r} · {verdict} · score {score} · extracted {want[1][r]}\nThe answer is {want[1][r]}." in second


def test_site_histogram_and_prediction_browser_grouped_by_item(repeats_outputs, browser, dataset_dir):
    with SiteProcess("--outputs", str(repeats_outputs)) as site:
        context = browser.new_context(viewport={"width": 1300, "height": 1000})
        page = context.new_page()
        page.set_default_timeout(30_000)
        load_runs(page, site, "repeats-run@scripted")
        page.click("#nav-dataset")
        page.wait_for_selector("#solved-hist .js-plotly-plot")
        bars = page.eval_on_selector("#solved-hist .js-plotly-plot", "el => [el.data[0].x, el.data[0].y]")
        assert bars == [[f"{j}/{K}" for j in range(K + 1)], HISTOGRAM]
        assert "Items solved j of 4 times · gsm8k · 5 items" in page.inner_text("#solved-hist")

        expect(page.locator("#ds-page-info")).to_have_text(re.compile(r"· 5 items$"))
        cards = page.query_selector_all("#ds-samples details.item")
        assert [c.get_attribute("data-solved") for c in cards] == [f"{j}/{K}" for j in SOLVED]
        assert [c.get_attribute("data-item-id") for c in cards] == [str(i) for i in range(len(ANSWERS_A))]
        want = extracted(dataset_dir)
        for i, card in enumerate(cards):  # each card: a badge per repeat, pass where the table says "A"
            badges = card.eval_on_selector_all("summary .badge", "els => els.map(e => e.className)")
            assert badges == [f"badge {'pass' if a == 'A' else 'fail'}" for a in ANSWERS_A[i]]
        second = cards[1]  # solved 1 of 4: folded until clicked, then every repeat's answer
        assert not second.query_selector("table.repeats").is_visible()
        second.query_selector("summary").click()
        rows = second.eval_on_selector_all(
            "table.repeats tbody tr", "rows => rows.map(r => [...r.cells].map(c => c.innerText.trim()))"
        )
        assert [r[:4] for r in rows] == [
            [str(r), "pass" if a == "A" else "fail", "1.0000" if a == "A" else "0.0000", want[1][r]]
            for r, a in enumerate(ANSWERS_A[1])
        ]
        assert all(row[4] == f"The answer is {want[1][r]}." for r, row in enumerate(rows))
        path = shot(page, "site-repeats")

        page.locator("#ds-filter label", has_text="Pass").click()  # items any answer solved
        expect(page.locator("#ds-page-info")).to_have_text(re.compile(r"· 4 items$"))
        solved = [c.get_attribute("data-solved") for c in page.query_selector_all("#ds-samples details.item")]
        assert solved == [f"{j}/{K}" for j in SOLVED if j]
        context.close()
    if os.environ.get("EVALSCOPE_UPDATE_DOC_IMAGES") == "1":  # refresh the README's picture on request only
        IMAGE.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, IMAGE)
