"""The site's server over raw HTTP: it binds loopback, serves only its pages, Dash's routes and files
below the outputs directory, answers 404 to path traversal, and speaks the language asked for."""

from __future__ import annotations

import http.client
import json
import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.viz.conftest import SiteProcess, report_json

pytestmark = pytest.mark.slow


def raw_get(url: str, path: str) -> tuple[int, bytes]:
    """GET `path` exactly as written (no client-side normalisation of `..`)."""
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        conn.putrequest("GET", path, skip_accept_encoding=True)
        conn.endheaders()
        resp = conn.getresponse()
        return resp.status, resp.read()
    finally:
        conn.close()


def test_binds_loopback_by_default(site):
    assert urlsplit(site.url).hostname == "127.0.0.1"


@pytest.mark.parametrize(
    "path",
    [
        "/files/../../../../etc/passwd",
        "/files/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
        "/files/%252e%252e/%252e%252e/etc/passwd",
        "/files/..%2f..%2f..%2f..%2fetc%2fpasswd",
        "/files//etc/passwd",
        "/_dash-component-suites/dash/../../../../../../etc/passwd",
        "/assets/../../../../../etc/passwd",
        "/../../etc/passwd",
        "/etc/passwd",
        "/static/../app.py",
    ],
)
def test_path_traversal_gets_404(site, path):
    status, body = raw_get(site.url, path)
    assert status == 404, (path, body[:200])
    assert b"root:" not in body


def test_a_symlink_out_of_the_outputs_directory_gets_404(site, viz_outputs, tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("not for the site")
    link = viz_outputs.root / "escape.txt"
    link.symlink_to(secret)
    try:
        status, body = raw_get(site.url, "/files/escape.txt")
    finally:
        link.unlink()
    assert status == 404 and b"not for the site" not in body


def test_report_files_below_the_outputs_directory_are_served(site, viz_outputs):
    rel = next((viz_outputs.run_a / "reports").glob("*/gsm8k.json")).relative_to(viz_outputs.root)
    status, body = raw_get(site.url, f"/files/{rel.as_posix()}")
    assert status == 200
    assert json.loads(body) == report_json(viz_outputs.run_a, "gsm8k")


def test_pages_and_dash_routes_answer(site):
    for path in ("/", "/model", "/dataset", "/compare", "/perf", "/_dash-layout", "/_dash-dependencies"):
        status, _ = raw_get(site.url, path)
        assert status == 200, path
    status, _ = raw_get(site.url, "/no-such-page")
    assert status == 404


def test_chinese_interface(viz_outputs):
    with SiteProcess("--outputs", str(viz_outputs.root), "--lang", "zh") as server:
        status, body = raw_get(server.url, "/_dash-layout")
    layout = body.decode("utf-8")
    assert status == 200
    for words in ("单模型", "数据集详情", "多模型对比", "设置", "加载"):
        assert words in layout


def test_missing_outputs_directory_is_a_clear_error(tmp_path):
    exe = Path(sys.executable).with_name("evalscope")
    out = subprocess.run(
        [str(exe), "app", "--outputs", str(tmp_path / "nope")],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "NO_COLOR": "1"},
    )
    assert out.returncode != 0
    assert "no such directory" in out.stderr and "Traceback" not in out.stderr


def test_runs_of_a_store_url_alone(viz_outputs, tmp_path):
    url = f"sqlite:///{viz_outputs.run_b / 'evalscope.db'}"
    with SiteProcess("--outputs", str(tmp_path / "none"), "--store-url", url) as server:
        status, body = raw_get(server.url, "/_dash-layout")
        assert status == 200
        layout = json.dumps(json.loads(body), ensure_ascii=False)
        assert "run-b@mock-b" in layout and "run-a@mock-a" not in layout
        assert url in layout  # the settings say where the runs come from
        status, _ = raw_get(server.url, "/files/run-b/run.json")
        assert status == 404  # no outputs directory: no files are served
