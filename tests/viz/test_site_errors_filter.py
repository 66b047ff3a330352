"""The report site's Errors filter in headless Chromium, over a run with genuine ERROR samples.

The run is a real service run against a scripted OpenAI-compatible server on 127.0.0.1 that answers
HTTP 500 to some gsm8k questions (no retries, `ignore_errors`), right to some and wrong to others.
The Errors filter must show exactly the errored samples, with their error; Pass and Fail none of them.
"""

from __future__ import annotations

import json
import re
import zlib
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.e2e.scripted_server import ScriptedServer
from tests.viz.conftest import SiteProcess, shot

pytestmark = pytest.mark.slow
LIMIT = 12


def _fate(question: str) -> str:
    return ("error", "right", "wrong")[zlib.crc32(question.encode()) % 3]


@pytest.fixture(scope="module")
def errored_run(tmp_path_factory, dataset_dir) -> Path:
    from evalscope.run import run_task

    answers = {}
    for line in (dataset_dir / "gsm8k" / "test.jsonl").read_text().splitlines()[:LIMIT]:
        row = json.loads(line)
        answers[row["question"]] = row["answer"].split("####")[-1].strip()

    def script(text: str, body: dict) -> str | int:
        question = next(q for q in answers if q in text)
        fate, number = _fate(question), answers[question]
        return 500 if fate == "error" else f"#### {number if fate == 'right' else number + '7'}"

    root = tmp_path_factory.mktemp("errors") / "outputs"
    with ScriptedServer(script) as server:
        run_task(
            {
                "model": "scripted",
                "eval_type": "service",
                "api_url": server.url,
                "datasets": ["gsm8k"],
                "dataset_args": {"gsm8k": {"few_shot_num": 0}},
                "limit": LIMIT,
                "retries": 0,
                "ignore_errors": True,
                "dataset_dir": str(dataset_dir),
                "work_dir": str(root / "run-err"),
                "no_timestamp": True,
            },  # fmt: skip
            print_table=False,
        )
    return root / "run-err"


def _records(run_dir: Path) -> dict[str, dict]:
    """sample id -> the run's last record of it, from the prediction and review JSONL files."""
    out: dict[str, dict] = {}
    for folder in ("predictions", "reviews"):
        for path in (run_dir / folder).glob("*/gsm8k_*.jsonl"):
            for line in path.read_text().splitlines():
                record = json.loads(line)["evalscope_record"]
                out[str(record["sample_id"])] = record
    return out


def test_errors_filter_shows_exactly_the_errored_samples(browser, errored_run):
    records = _records(errored_run)
    errored = {sid for sid, r in records.items() if r["status"] == "error"}
    scored = {sid: r["scores"] for sid, r in records.items() if r["status"] == "scored"}
    failing = {sid for sid, s in scored.items() if next(iter(s.values())) < 1.0}
    assert len(records) == LIMIT and errored and failing and len(failing) < len(scored), "a mixed run"

    with SiteProcess("--outputs", str(errored_run.parent)) as site:
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        page = context.new_page()
        page.set_default_timeout(30_000)
        try:
            page.goto(site.url + "/")
            page.wait_for_selector("#run-picker input")
            page.locator("#run-picker label", has_text="run-err@scripted").locator("input").check()
            page.click("#load")
            page.click("#nav-dataset")
            page.locator("#ds-dataset label", has_text="gsm8k").click()
            expect(page.locator("#ds-page-info")).to_have_text(re.compile(rf"· {LIMIT} samples$"))

            page.locator("#ds-filter label", has_text="Errors").click()
            expect(page.locator("#ds-page-info")).to_have_text(re.compile(rf"· {len(errored)} samples$"))
            cards = page.query_selector_all("#ds-samples .sample")
            assert {c.get_attribute("data-sample-id") for c in cards} == errored
            assert {c.get_attribute("data-verdict") for c in cards} == {"error"}
            for card in cards:
                assert "500" in card.query_selector("[data-field=error] .field-body").inner_text()
            shot(page, "site-dataset-errors")

            for label, expected in (("Fail", failing), ("Pass", set(scored) - failing)):
                page.locator("#ds-filter label", has_text=label).click()
                expect(page.locator("#ds-page-info")).to_have_text(re.compile(rf"· {len(expected)} samples$"))
                shown = {
                    c.get_attribute("data-sample-id") for c in page.query_selector_all("#ds-samples .sample")
                }
                assert shown == expected and not shown & errored, label
        finally:
            context.close()
