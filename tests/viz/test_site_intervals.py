"""A run whose five answers are all wrong: its report JSON, the report site's subset table and the
TUI's score table show the Wilson interval [0, 0.4345] the run computed, never [0, 0] (normal)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.viz.conftest import SiteProcess, report_json

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def all_wrong(tmp_path_factory: pytest.TempPathFactory, dataset_dir: Path) -> Path:
    """`evalscope eval` (the CLI, a child process): the mock model says no number to 5 gsm8k items."""
    outputs = tmp_path_factory.mktemp("ci") / "outputs"
    exe = Path(sys.executable).with_name("evalscope")
    done = subprocess.run(
        [str(exe), "eval", "--model", "mock", "--eval-type", "mock", "--model-args", json.dumps({"reply": "No idea."}),
         "--datasets", "gsm8k", "--limit", "5", "--dataset-dir", str(dataset_dir),
         "--work-dir", str(outputs / "zero"), "--no-timestamp"],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    # EvalScope's table columns stay as they are: no interval column in what `eval` prints
    (row,) = [line for line in done.stdout.splitlines() if line.startswith("| mock ")]
    assert row.split("|")[-2].strip() == "0.0000" and "95% CI" not in done.stdout
    return outputs


def test_report_json_carries_the_wilson_interval(all_wrong):
    metric = report_json(all_wrong / "zero", "gsm8k")["metrics"][0]
    (sub,) = metric["categories"][0]["subsets"]
    assert (sub["num"], sub["score"]) == (5, 0.0)
    assert (sub["ci_low"], sub["ci_high"], sub["ci_method"]) == (0.0, 0.4345, "wilson")
    assert (metric["ci_low"], metric["ci_high"], metric["ci_method"]) == (0.0, 0.4345, "wilson")


def test_site_subset_table_shows_the_runs_interval(all_wrong, browser):
    from tests.viz.test_site_browser import load_runs, table_rows

    with SiteProcess("--outputs", str(all_wrong)) as site:
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        page = context.new_page()
        page.set_default_timeout(30_000)
        try:
            load_runs(page, site, "zero@mock")
            page.click("#nav-dataset")
            page.wait_for_selector("#subset-table >> text=OVERALL")
            rows = {row[2]: row for row in table_rows(page, "#subset-table")}
        finally:
            context.close()
    assert rows["main"][3:7] == ["5", "0.0000", "0.0000", "[0.0000, 0.4345] (wilson)"]
    assert rows["OVERALL"][6] == "[0.0000, 0.4345] (wilson)"


def test_tui_score_table_shows_the_interval(all_wrong):
    from evalscope.core.stores import open_reader
    from evalscope.viz.tui.browse import report_table

    store = open_reader(str(all_wrong / "zero"))
    (run,) = store.list_runs()
    headers, rows = report_table(store.load_reports(run.run_id))
    assert headers[:5] == ["Dataset Name", "Subset Name", "Num", "Score", "95% CI"]
    assert rows[0][:5] == ["gsm8k", "main", "5", "0.0000", "[0.0000, 0.4345] (wilson)"]
