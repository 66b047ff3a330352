"""The report site in headless Chromium over real runs: what a person sees on every page.

Each test loads `evalscope app` (a child process) in Debian's Chromium through Playwright, clicks
through a page and compares what is shown with the run's own files (report JSON, review JSONL,
perf summaries), and saves a screenshot of the page.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from tests.viz.conftest import REPLY_A, REPLY_B, report_json, review_lines, shot

pytestmark = pytest.mark.slow


def load_runs(pg, site, *labels: str) -> None:
    """Open the site, tick the reports `run@model` in the settings and press Load."""
    pg.goto(site.url + "/")
    pg.wait_for_selector("#run-picker input")
    for label in labels:
        pg.locator("#run-picker label", has_text=label).locator("input").check()
    pg.click("#load")


def expect_count(pg, selector: str, total: int) -> None:
    """Wait until the pager under `selector` says `total` samples."""
    expect(pg.locator(selector)).to_have_text(re.compile(rf"· {total} samples$"))


def field_text(card, name: str, within: str = "") -> str:
    """The text shown for one field (prompt, output, extracted...) of a sample card."""
    return card.query_selector(f"{within} [data-field={name}] .field-body".strip()).inner_text().strip()


def table_rows(pg, selector: str) -> list[list[str]]:
    return pg.eval_on_selector_all(
        f"{selector} tbody tr", "rows => rows.map(r => [...r.cells].map(c => c.innerText.trim()))"
    )


def primary_scores(run_dir: Path, dataset: str) -> dict[str, float]:
    return {
        str(line["sample_id"]): next(iter(line["choices"][0]["review"]["result"].values()))
        for line in review_lines(run_dir, dataset)
    }


def test_every_page_renders_offline_from_this_server(page, site, viz_outputs):
    load_runs(page, site, "run-a@mock-a", "run-b@mock-b")
    page.wait_for_selector("#score-table")
    shot(page, "site-model")
    for nav, ready, name in (
        ("#nav-dataset", ".sample", "site-dataset"),
        ("#nav-compare", ".pair", "site-compare"),
        ("#nav-perf", "#perf-verdict", "site-perf"),
    ):
        page.click(nav)
        page.wait_for_selector(ready)
        page.wait_for_load_state("networkidle")
        shot(page, name)
    origin = urlsplit(site.url).netloc
    hosts = {urlsplit(u).netloc for u in page.requests_seen if not u.startswith(("data:", "blob:"))}
    assert hosts == {origin}, f"requests left the site: {hosts - {origin}}"
    assert not page.failed_requests
    assert any(
        "/_dash-component-suites/" in u for u in page.requests_seen
    )  # scripts from the installed packages


def test_single_model_page_shows_the_report_json(page, site, viz_outputs):
    load_runs(page, site, "run-a@mock-a")
    page.wait_for_selector("#score-table")
    rows = table_rows(page, "#score-table")
    expected = []
    for dataset in ("gsm8k", "arc", "math_500"):
        report = report_json(viz_outputs.run_a, dataset)
        metric = report["metrics"][0]
        subsets = [(cat, sub) for cat in metric["categories"] for sub in cat["subsets"]]
        for cat, sub in subsets:
            expected.append(
                [
                    "mock-a",
                    dataset,
                    metric["name"],
                    "/".join(cat["name"]),
                    sub["name"],
                    str(sub["num"]),
                    f"{sub['score']:.4f}",
                ]
            )
        if len(subsets) > 1:
            expected.append(
                [
                    "mock-a",
                    dataset,
                    metric["name"],
                    "-",
                    "OVERALL",
                    str(metric["num"]),
                    f"{metric['score']:.4f}",
                ]
            )
    assert rows == expected
    stats = {el.get_attribute("data-stat"): el.inner_text() for el in page.query_selector_all(".stat")}
    total = sum(report_json(viz_outputs.run_a, d)["stats"]["total"] for d in ("gsm8k", "arc", "math_500"))
    assert str(total) in stats["samples"] and "mock-a" in stats["model"] and "finished" in stats["status"]
    page.click("#page-model summary")
    assert "reply: The answer is 18." in page.inner_text("#task-config")
    assert page.locator("[data-chart=sunburst] .main-svg").count() > 0
    assert page.locator("[data-chart=dataset-scores] .main-svg").count() > 0
    link = page.locator("a.file-link", has_text="gsm8k")
    data = page.request.get(site.url + link.get_attribute("href")).json()
    assert data == report_json(viz_outputs.run_a, "gsm8k")


def test_dataset_page_subsets_and_fail_filter(page, site, viz_outputs):
    load_runs(page, site, "run-a@mock-a")
    page.click("#nav-dataset")
    page.locator("#ds-dataset label", has_text="arc").click()
    page.wait_for_selector("#subset-table >> text=ARC-Challenge")
    report = report_json(viz_outputs.run_a, "arc")
    shown = {row[2]: row for row in table_rows(page, "#subset-table")}
    for sub in report["metrics"][0]["categories"][0]["subsets"]:
        assert shown[sub["name"]][3:6] == [str(sub["num"]), f"{sub['score']:.4f}", f"{sub['stderr']:.4f}"]

    page.locator("#ds-dataset label", has_text="gsm8k").click()
    expect(page.locator("#ds-page-info")).to_contain_text("samples")
    scores = primary_scores(viz_outputs.run_a, "gsm8k")
    failing = {sid for sid, s in scores.items() if s < 1.0}
    assert failing and len(failing) < len(scores)  # mixed: the filter has something to do

    page.locator("#ds-filter label", has_text="Fail").click()
    expect_count(page, "#ds-page-info", len(failing))
    cards = page.query_selector_all("#ds-samples .sample")
    assert {c.get_attribute("data-sample-id") for c in cards} == failing
    assert {c.get_attribute("data-verdict") for c in cards} == {"fail"}
    first = cards[0]
    assert field_text(first, "output") == REPLY_A
    assert field_text(first, "extracted") == "18"
    assert field_text(first, "prompt")
    shot(page, "site-dataset-fail")

    page.locator("#ds-filter label", has_text="Pass").click()
    expect_count(page, "#ds-page-info", len(scores) - len(failing))
    assert {c.get_attribute("data-verdict") for c in page.query_selector_all("#ds-samples .sample")} == {
        "pass"
    }

    page.locator("#ds-filter label", has_text="All").click()
    page.fill("#ds-search", "ducks")
    page.press("#ds-search", "Enter")
    expect_count(page, "#ds-page-info", 1)
    assert "ducks" in page.inner_text("#ds-samples")


def test_dataset_page_threshold_and_paging(page, site, viz_outputs):
    load_runs(page, site, "run-a@mock-a")
    page.click("#nav-dataset")
    page.locator("#ds-dataset label", has_text="arc").click()
    expect(page.locator("#ds-page-info")).to_contain_text("page 1 of 2")
    first_page = {c.get_attribute("data-sample-id") for c in page.query_selector_all("#ds-samples .sample")}
    page.click("#ds-next")
    expect(page.locator("#ds-page-info")).to_contain_text("page 2 of 2")
    second_page = {c.get_attribute("data-sample-id") for c in page.query_selector_all("#ds-samples .sample")}
    assert len(first_page) == 10 and second_page and not first_page & second_page
    page.locator("#ds-filter label", has_text="Fail").click()
    page.fill("#ds-threshold", "0")  # every scored sample reaches 0: none fails
    page.press("#ds-threshold", "Enter")
    expect_count(page, "#ds-page-info", 0)


def test_judge_verdict_is_shown(page, site):
    load_runs(page, site, "run-judged@mock-j")
    page.click("#nav-dataset")
    page.locator("#ds-dataset label", has_text="gsm8k").click()  # the dataset picked, not left to the default
    page.wait_for_selector("#ds-samples .sample", timeout=60_000)
    card = page.query_selector("#ds-samples .sample")
    judge = dict(
        card.eval_on_selector_all(
            "[data-field=judge] table.judge tr",
            "rows => rows.map(r => [r.cells[0].innerText, r.cells[1].innerText])",
        )
    )
    assert (
        judge["judge"] == "mock-judge"
        and judge["verdict"] == "B"
        and judge["rule scores"] == "AverageAccuracy=1"
    )
    assert card.get_attribute("data-verdict") == "fail"
    card.query_selector("[data-field=judge] summary").click()
    assert "[[B]]" in card.query_selector("[data-field=judge] pre").inner_text()
    shot(page, "site-dataset-judge")


def test_latex_is_typeset(page, site, viz_outputs):
    load_runs(page, site, "run-a@mock-a")
    page.click("#nav-dataset")
    page.locator("#ds-dataset label", has_text="math_500").click()
    page.wait_for_selector("#ds-samples mjx-container", timeout=60_000)
    page.wait_for_load_state("networkidle")
    shot(page, "site-dataset-latex")
    hosts = {urlsplit(u).netloc for u in page.requests_seen if not u.startswith(("data:", "blob:"))}
    assert hosts == {urlsplit(site.url).netloc}  # MathJax comes from dash's own bundle


def test_compare_page_pairs_answers_and_statistics(page, site, viz_outputs):
    load_runs(page, site, "run-a@mock-a", "run-b@mock-b")
    page.click("#nav-compare")
    page.wait_for_selector(".pair")
    matrix = {row[0]: row[1:] for row in table_rows(page, "#compare-table")}
    for dataset in ("gsm8k", "arc", "math_500"):
        assert matrix[dataset] == [
            f"{report_json(viz_outputs.run_a, dataset)['score']:.4f}",
            f"{report_json(viz_outputs.run_b, dataset)['score']:.4f}",
        ]

    pair = page.query_selector(".pair")
    sid = pair.get_attribute("data-sample-id")
    assert field_text(pair, "output", ".side-a") == REPLY_A
    assert field_text(pair, "output", ".side-b") == REPLY_B

    scores_a, scores_b = (
        primary_scores(viz_outputs.run_a, "gsm8k"),
        primary_scores(viz_outputs.run_b, "gsm8k"),
    )
    assert sid in scores_a and sid in scores_b
    a_only = {s for s in scores_a if scores_a[s] == 1.0 and scores_b[s] < 1.0}
    page.locator("#cmp-filter label", has_text="A right / B wrong").click()
    expect_count(page, "#cmp-page-info", len(a_only))
    pairs = page.query_selector_all(".pair")
    assert {p.get_attribute("data-sample-id") for p in pairs} == a_only
    for p in pairs:
        assert p.query_selector(".side-a").get_attribute("data-verdict") == "pass"
        assert p.query_selector(".side-b").get_attribute("data-verdict") == "fail"
    shot(page, "site-compare-a-right")

    cli = subprocess.run(
        [
            str(Path(sys.executable).with_name("evalscope")),
            "compare",
            str(viz_outputs.run_a),
            str(viz_outputs.run_b),
            "--format",
            "json",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    expected = {(c["dataset"], c["metric"]): c for c in json.loads(cli.stdout)}
    rows = table_rows(page, "#significance-table")
    assert len(rows) == len(expected)
    for row in rows:
        c = expected[(row[0], row[1])]
        assert row[2:6] == [str(c["n"]), f"{c['mean_a']:.4f}", f"{c['mean_b']:.4f}", f"{c['diff']:+.4f}"]
        assert row[8] == c["test"]


def test_perf_page_verdict_summary_sweep_and_comparison(page, site, viz_outputs):
    page.goto(site.url + "/perf")
    page.wait_for_selector("#perf-verdict")
    newest = viz_outputs.perf[-1]
    selfcheck = json.loads((newest / "client_selfcheck.json").read_text())
    verdict = page.locator("#perf-verdict")
    assert verdict.get_attribute("data-saturated") == str(selfcheck["saturated"]).lower()
    assert ("limited this run" in verdict.inner_text()) == selfcheck["saturated"]
    summary = json.loads((newest / "benchmark_summary.json").read_text())
    shown = dict(table_rows(page, "#perf-summary"))
    assert shown["Total requests"] == str(summary["Total requests"])
    assert shown["Succeeded requests"] == str(summary["Succeeded requests"])
    for name in ("perf-ttft_ms", "perf-itl_ms", "perf-latency_s", "sweep-throughput", "sweep-latency"):
        page.wait_for_selector(f"[data-chart={name}] .main-svg")  # plotly draws after the table shows
    assert [r[0] for r in table_rows(page, "#sweep-table")] == ["1", "2"]

    page.locator("#perf-runs input").first.check()  # a second run: the two are compared
    page.wait_for_selector("#perf-compare")
    metrics = {row[0]: row for row in table_rows(page, "#perf-compare")}
    assert metrics["Concurrency"][1:3] == ["2", "1"] or metrics["Concurrency"][1:3] == ["1", "2"]
    assert page.locator("[data-chart=perf-cmp-ttft_ms] .main-svg").count() > 0
    shot(page, "site-perf-compare")


def test_chart_exports_png_and_self_contained_html(page, site):
    load_runs(page, site, "run-a@mock-a")
    page.wait_for_selector("[data-chart=dataset-scores] .main-svg")
    chart = page.locator("[data-chart=dataset-scores]")
    with page.expect_download(timeout=90_000) as png:
        chart.locator("button", has_text="PNG").click()
    assert png.value.suggested_filename == "dataset-scores.png"
    assert Path(png.value.path()).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with page.expect_download() as html:
        chart.locator("button", has_text="HTML").click()
    text = Path(html.value.path()).read_text(encoding="utf-8")
    assert "gsm8k" in text and "Plotly.newPlot" in text
    assert '<script src="http' not in text  # plotly.js is inlined: the file opens offline
