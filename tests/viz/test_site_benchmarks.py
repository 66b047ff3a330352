"""The site's Benchmarks page in headless Chromium: the catalogue `evalscope benchmarks` prints, and
a detail view per benchmark with the prompt rendered from the local data (the same card as
`evalscope benchmarks NAME`)."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from evalscope.cli.benchmarks_cmd import benchmarks_command
from tests.viz.conftest import SiteProcess, shot

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def bench_site(tmp_path_factory, dataset_dir):
    # the site looks for local data where `evalscope benchmarks` does: $EVALSCOPE_DATASET_DIR (inherited)
    outputs = tmp_path_factory.mktemp("bench-site")  # no runs needed: the catalogue is not a run
    with SiteProcess("--outputs", str(outputs)) as server:
        yield server


@pytest.fixture
def bench_page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    pg = context.new_page()
    pg.set_default_timeout(30_000)
    yield pg
    context.close()


def test_gsm8k_detail_shows_the_rendered_example(bench_page, bench_site, dataset_dir):
    (card,) = json.loads(
        CliRunner()
        .invoke(benchmarks_command, ["gsm8k", "--format", "json", "--dataset-dir", str(dataset_dir)])
        .output
    )
    pg = bench_page
    pg.goto(bench_site.url + "/benchmarks")
    pg.wait_for_selector("#benchmarks-table tbody tr")
    names = pg.eval_on_selector_all(
        "#benchmarks-table tbody tr td:first-child", "cells => cells.map(c => c.innerText)"
    )
    assert {"gsm8k", "arc", "mmlu"} <= set(names)
    pg.click("#benchmarks-table a.bench-link:text-is('gsm8k')")
    pg.wait_for_selector("#benchmark-example")
    example = pg.inner_text("#benchmark-example")
    assert "Janet’s ducks lay 16 eggs per day." in example and example.count("Question:") == 5
    assert "Expected answer: 18" in example
    assert example.startswith("[user]\n" + card["example"]["messages"][0]["content"][:200])
    assert "modelscope/gsm8k" in pg.inner_text("#benchmark-data") and "found:" in pg.inner_text(
        "#benchmark-data"
    )
    assert pg.inner_text("#benchmark-command") == card["command"]
    assert "the last number of the reply" in pg.inner_text("#benchmark-extraction")
    shot(pg, "site-benchmarks-gsm8k")


def test_a_link_opens_the_detail_directly(bench_page, bench_site):
    bench_page.goto(bench_site.url + "/benchmarks?name=arc")
    bench_page.wait_for_selector("#benchmark-example")
    assert "[options scored by next-token probability] A, B, C, D" in bench_page.inner_text(
        "#benchmark-example"
    )
    assert bench_page.inner_text("#benchmark-title") == "arc (ARC)"
