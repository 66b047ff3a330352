"""The run page in headless Chromium over the real `evalscope app`: an evaluation started, watched,
stopped and resumed from the page, a perf run against the mock server, the API key kept out of every
place a user or a log could see it, and the token and `--read-only` refusing what they must."""

from __future__ import annotations

import http.server
import json
import re
import sys
import threading
import time
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.viz.conftest import LoggedSite, report_json, shot
from tests.viz.test_site_access import request

pytestmark = pytest.mark.slow

KEY = "sk-site-SECRET-4b1d7c0ffee"


class RunSite(LoggedSite):
    """`evalscope app` with its run page: `run_url` is the printed run-page URL with its token; what
    the site printed is kept in `log` after exit."""

    def __enter__(self) -> RunSite:
        super().__enter__()
        self.run_url = ""
        if "--read-only" not in self.args:  # read-only: no run page line
            found = self.wait_for_line(r"Run page .*: (http://\S+/run\?token=\S+)")
            if found:
                self.run_url = found.group(1)
        return self


@pytest.fixture
def ctx(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    context.set_default_timeout(60_000)
    yield context
    context.close()


def pick_dataset(pg, name: str) -> None:
    pg.click("#runpage-datasets")
    pg.keyboard.type(name)
    pg.locator(".dash-dropdown-option", has_text=re.compile(rf"^{name}$")).first.click()
    pg.keyboard.press("Escape")


def pick(pg, dropdown: str, value: str) -> None:
    pg.click(dropdown)
    pg.locator(".dash-dropdown-option", has_text=re.compile(rf"^{value}$")).first.click()


def progress(pg, dataset: str) -> tuple[int, int | None]:
    cells = pg.locator("#runpage-table tbody tr", has_text=dataset).first.locator("td")
    done, total = cells.nth(1).inner_text().split("/")
    return int(done), None if total == "?" else int(total)


def status(pg) -> str:
    return pg.get_attribute("#runpage-status > div", "data-status") or ""


def wait_status(pg, *wanted: str, timeout: float = 120) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pg.locator("#runpage-status > div").count() and status(pg) in wanted:
            return status(pg)
        pg.wait_for_timeout(250)
    raise AssertionError(f"status {status(pg)!r}, wanted {wanted}; log:\n{pg.inner_text('#runpage-log')}")


def files_holding(root: Path, text: str) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file() and text.encode() in p.read_bytes()]


def test_eval_started_watched_stopped_resumed_and_listed(ctx, tmp_path, dataset_dir):
    outputs = tmp_path / "outputs"
    outputs.mkdir()
    limit = 16
    with RunSite("--outputs", str(outputs)) as site:
        assert site.run_url, "no run page line after the banner"
        pg = ctx.new_page()
        pg.goto(site.run_url)
        pg.fill("#runpage-model", "mock")
        pick(pg, "#runpage-eval-type", "mock")
        pick_dataset(pg, "gsm8k")
        pg.fill("#runpage-limit", str(limit))
        pg.fill("#runpage-eval-batch-size", "1")
        pg.fill("#runpage-model-args", "delay=0.4")
        pg.fill("#runpage-dataset-dir", str(dataset_dir))
        pg.fill("#runpage-api-key", KEY)  # the mock model ignores it; it must still leak nowhere
        pg.click("#runpage-start-eval")

        # progress advances as the run's store grows
        wait_status(pg, "running")
        expect(pg.locator("#runpage-table tbody tr", has_text="gsm8k")).to_be_visible()
        deadline = time.monotonic() + 90
        first = None
        while time.monotonic() < deadline:
            done, total = progress(pg, "gsm8k")
            if done >= 1 and first is None:
                first = done
            if first is not None and done >= first + 2:
                break
            pg.wait_for_timeout(200)
        assert first is not None and done >= first + 2 and total == limit, (first, done, total)
        shot(pg, "site-run-mid")

        pg.click("#runpage-stop")
        wait_status(pg, "stopped")
        run_dir = Path(pg.get_attribute("#runpage-status > div", "data-run-dir"))
        from evalscope.viz.data.catalog import Catalog

        catalog = Catalog(run_dir)
        (entry,) = catalog.runs()
        kept = catalog.count(entry.key)
        assert entry.info.status == "stopped" and 0 < kept < limit
        catalog.close()

        pg.click("#runpage-resume")
        wait_status(pg, "finished", timeout=180)
        expect(pg.locator("#runpage-table tbody tr", has_text="gsm8k").locator("td").nth(1)).to_have_text(
            f"{limit}/{limit}"
        )
        html = pg.content()

        # the finished run is in the run list without a restart: load it and read its score
        label = f"{run_dir.name}@mock"
        expect(pg.locator("#run-picker label", has_text=label)).to_be_visible()
        pg.locator("#run-picker label", has_text=label).locator("input").check()
        pg.click("#load")
        pg.wait_for_selector("#score-table")
        shown = pg.inner_text("#score-table")
        pg.close()

    # the same config through the CLI gives the same score
    cli_dir = tmp_path / "cli"
    import subprocess

    subprocess.run(
        [
            sys.executable, "-m", "evalscope.cli.main", "eval", "--model", "mock", "--eval-type", "mock",
            "--datasets", "gsm8k", "--limit", str(limit), "--dataset-dir", str(dataset_dir),
            "--work-dir", str(cli_dir), "--no-timestamp",
        ],
        check=True, capture_output=True, timeout=300,
    )  # fmt: skip
    ours, cli = report_json(run_dir, "gsm8k"), report_json(cli_dir, "gsm8k")
    assert ours["score"] == cli["score"] and ours["metrics"][0]["num"] == cli["metrics"][0]["num"] == limit
    assert f"{cli['score']:.4f}" in shown

    # the key reached nothing a person or a log reads
    assert KEY not in html
    assert KEY not in site.log
    assert files_holding(outputs, KEY) == []


def test_a_service_eval_gets_the_key_through_its_environment(ctx, tmp_path, dataset_dir):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "judge"))
    from judge_server import judge_server

    outputs = tmp_path / "outputs"
    outputs.mkdir()
    with (
        judge_server(lambda messages: "The answer is 18.") as server,
        RunSite("--outputs", str(outputs)) as site,
    ):
        pg = ctx.new_page()
        pg.goto(site.run_url)
        pg.fill("#runpage-model", "served-model")
        pick(pg, "#runpage-eval-type", "service")
        pg.fill("#runpage-api-url", server.base_url)
        pg.fill("#runpage-api-key", KEY)
        pick_dataset(pg, "gsm8k")
        pg.fill("#runpage-limit", "3")
        pg.fill("#runpage-dataset-dir", str(dataset_dir))
        pg.click("#runpage-start-eval")
        wait_status(pg, "finished", timeout=180)
        html = pg.content()
        pg.close()
    assert server.calls == 3 and set(server.authorizations) == {f"Bearer {KEY}"}
    assert KEY not in html and KEY not in site.log
    assert files_holding(outputs, KEY) == []


def test_perf_run_started_and_finished_from_the_page(ctx, tmp_path):
    from evalscope.perf.mock_server import MockServerProcess

    outputs = tmp_path / "outputs"
    outputs.mkdir()
    with (
        MockServerProcess(ttft_ms=1, itl_ms=1, tokens=4) as server,
        RunSite("--outputs", str(outputs)) as site,
    ):
        pg = ctx.new_page()
        pg.goto(site.run_url)
        pg.fill("#runpage-perf-url", server.base_url)
        pg.fill("#runpage-perf-model", "mock-model")
        pg.fill("#runpage-parallel", "2")
        pg.fill("#runpage-number", "12")
        pg.fill("#runpage-perf-max-tokens", "4")
        pg.fill("#runpage-prompt", "hello there")
        pg.click("#runpage-start-perf")
        wait_status(pg, "finished", timeout=180)
        pg.click("#nav-perf")
        pg.wait_for_selector("#perf-verdict")
        summary = pg.inner_text("#perf-summary")
        pg.close()
    (run_json,) = outputs.rglob("run.json")
    assert json.loads(run_json.read_text())["status"] == "succeeded"
    assert "12" in summary


class CrossSite(http.server.ThreadingHTTPServer):
    """Another page on this machine (another port: same site for cookies, another origin)."""


def serve_page(body: str) -> tuple[CrossSite, str]:
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            data = body.encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: object) -> None:
            pass

    server = CrossSite(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/"


def test_without_the_token_no_run_starts(ctx, tmp_path, dataset_dir):
    outputs = tmp_path / "outputs"
    outputs.mkdir()
    with RunSite("--outputs", str(outputs)) as site:
        # the page itself: 403 without the token; the rest of the site stays open on loopback
        assert request(site.url, "/run")[0] == 403
        assert request(site.url, "/model")[0] == 200

        # a real start, its callback request recorded
        pg = ctx.new_page()
        posts: list = []
        pg.on("request", lambda r: posts.append(r) if "runpage-start-eval" in (r.post_data or "") else None)
        pg.goto(site.run_url)
        pg.fill("#runpage-model", "mock")
        pick(pg, "#runpage-eval-type", "mock")
        pick_dataset(pg, "arc")
        pg.fill("#runpage-limit", "1")
        pg.fill("#runpage-dataset-dir", str(dataset_dir))
        pg.click("#runpage-start-eval")
        wait_status(pg, "finished", timeout=120)
        body = posts[0].post_data
        before = sorted(outputs.iterdir())
        assert len(before) == 1

        # the same request without the cookie: 403, nothing started
        status, _h, text = request(
            site.url, "/_dash-update-component", "POST", {"Content-Type": "application/json"}, body.encode()
        )
        assert status == 403 and b"access token" in text
        # from another page in the same browser (same site, another origin; the cookie goes along)
        target, payload = json.dumps(site.url + "/_dash-update-component"), json.dumps(body)
        page_server, page_url = serve_page(
            f"<script>fetch({target}, {{method: 'POST', credentials: 'include', mode: 'no-cors', "
            f"headers: {{'Content-Type': 'text/plain'}}, body: {payload}}})"
            ".then(() => document.title = 'sent', () => document.title = 'sent')</script>"
        )
        try:
            other = ctx.new_page()
            other.goto(page_url)
            expect(other).to_have_title("sent")
            other.close()
        finally:
            page_server.shutdown()
        time.sleep(2)
        assert sorted(outputs.iterdir()) == before
        pg.close()


def test_read_only_has_no_run_page_and_needs_no_token(tmp_path):
    outputs = tmp_path / "outputs"
    outputs.mkdir()
    with RunSite("--outputs", str(outputs), "--read-only") as site:
        assert site.run_url == "" and "token" not in site.url
        assert request(site.url, "/run")[0] == 404
        assert request(site.url, "/")[0] == 200
        layout = request(site.url, "/_dash-layout")[2]
        assert b"nav-run" not in layout
    assert "Run page" not in site.log
