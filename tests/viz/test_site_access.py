"""The site's edges: the access token (required beyond loopback, or when asked for), a file given as
`--outputs`, and unknown component scripts — each met through the real `evalscope app` process."""

from __future__ import annotations

import http.client
import os
import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from evalscope.viz.site.access import cookie_name, is_loopback, token_required
from tests.viz.conftest import LoggedSite

EXE = str(Path(sys.executable).with_name("evalscope"))
TOKEN = "s3cret-Token_for-tests"


def request(url: str, path: str, method: str = "GET", headers: dict | None = None, body: bytes | None = None):
    """One request exactly as written; the response's status, headers and body."""
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        resp = conn.getresponse()
        return resp.status, resp.headers, resp.read()
    finally:
        conn.close()


@pytest.fixture
def outputs(tmp_path: Path) -> Path:
    root = tmp_path / "outputs"
    (root / "run-x").mkdir(parents=True)
    (root / "run-x" / "answers.txt").write_text("every prompt and answer")
    return root


# -- the decision --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("host", "required"),
    [
        ("127.0.0.1", False),
        ("127.1.2.3", False),
        ("localhost", False),
        ("::1", False),
        ("[::1]", False),
        ("0.0.0.0", True),
        ("::", True),
        ("192.168.1.20", True),
        ("10.0.0.1", True),
        ("fe80::1", True),
        ("my-laptop.lan", True),
        ("", True),
    ],
)
def test_token_is_required_beyond_loopback(host, required):
    assert is_loopback(host) is not required
    assert token_required(host, None) is required


def test_an_explicit_token_or_the_switch_requires_it_on_loopback_too():
    assert token_required("127.0.0.1", "abc")
    assert token_required("localhost", None, require=True)
    assert not token_required("::1", "")


# -- one-line errors ------------------------------------------------------------------------------


def test_outputs_that_is_a_file_is_one_clear_line(tmp_path):
    a_file = tmp_path / "evalscope.db"
    a_file.write_bytes(b"SQLite format 3\x00")
    out = subprocess.run(
        [EXE, "app", "--outputs", str(a_file), "--port", "0"],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "NO_COLOR": "1"},
    )
    assert out.returncode == 1
    lines = out.stderr.strip().splitlines()
    assert lines == [f"Error: --outputs {a_file}: is a file, not an outputs directory"], out.stderr


@pytest.mark.slow
def test_unknown_component_script_is_a_404_without_traceback(outputs):
    with LoggedSite("--outputs", str(outputs)) as site:
        assert request(site.url, "/")[0] == 200  # the index registers the real component scripts
        for path in (
            "/_dash-component-suites/no_such_package/bundle.v1_0_0m1.min.js",
            "/_dash-component-suites/dash/no-such-script.js",
            "/_dash-component-suites/dash",
            "/_dash-no-such-route",
        ):
            status, _headers, body = request(site.url, path)
            assert status == 404, (path, body[:300])
    assert "Traceback" not in site.log and "Exception" not in site.log, site.log


# -- the token ----------------------------------------------------------------------------------


def token_of(banner: str) -> str:
    (token,) = parse_qs(urlsplit(banner).query)["token"]
    return token


@pytest.mark.slow
def test_every_request_needs_the_token_and_the_cookie_it_sets(outputs):
    with LoggedSite("--outputs", str(outputs), "--token", TOKEN) as site:
        assert site.banner == f"{site.url}/?token={TOKEN}"
        # nothing answers without the token: pages, Dash's routes and callbacks, files, unknown paths
        for method, path in (
            ("GET", "/"),
            ("GET", "/model"),
            ("GET", "/_dash-layout"),
            ("GET", "/_dash-dependencies"),
            ("POST", "/_dash-update-component"),
            ("GET", "/files/run-x/answers.txt"),
            ("GET", "/files/evalscope.db"),
            ("GET", "/no-such-page"),
            ("GET", "/?token=wrong"),
        ):
            status, _headers, body = request(site.url, path, method, body=b"{}" if method == "POST" else None)
            assert status == 403, (method, path)
            assert TOKEN.encode() not in body and b"every prompt" not in body
        status, _headers, _body = request(site.url, "/", headers={"Cookie": f"{cookie_name(TOKEN)}=wrong"})
        assert status == 403
        # the token in the query string: the page, and a cookie for the browser's later requests
        status, headers, body = request(site.url, f"/?token={TOKEN}")
        assert status == 200 and b"_dash-config" in body
        cookie = headers["Set-Cookie"]
        assert cookie.startswith(f"{cookie_name(TOKEN)}={TOKEN};")
        attrs = {a.strip().lower() for a in cookie.split(";")[1:]}
        assert {"httponly", "samesite=strict", "path=/"} <= attrs
        jar = {"Cookie": cookie.split(";", 1)[0]}
        for path in ("/_dash-layout", "/model", "/files/run-x/answers.txt"):
            status, _headers, body = request(site.url, path, headers=jar)
            assert status == 200, path
        assert body == b"every prompt and answer"
        # and the file with the token instead of the cookie
        status, _headers, body = request(site.url, f"/files/run-x/answers.txt?token={TOKEN}")
        assert status == 200 and body == b"every prompt and answer"
    assert "Access token required" in site.log


@pytest.mark.slow
def test_require_token_prints_a_random_token_in_the_url(outputs):
    with LoggedSite("--outputs", str(outputs), "--require-token") as site:
        token = token_of(site.banner)
        assert len(token) >= 24 and re.fullmatch(r"[A-Za-z0-9_-]+", token)
        assert request(site.url, "/_dash-layout")[0] == 403
        assert request(site.url, f"/_dash-layout?token={token}")[0] == 200
    with LoggedSite("--outputs", str(outputs), "--require-token") as again:
        assert token_of(again.banner) != token  # a new one each start


@pytest.mark.slow
def test_the_token_from_the_environment(outputs, monkeypatch):
    monkeypatch.setenv("EVALSCOPE_APP_TOKEN", TOKEN)
    with LoggedSite("--outputs", str(outputs)) as site:
        assert token_of(site.banner) == TOKEN
        assert request(site.url, "/")[0] == 403
        assert request(site.url, f"/?token={TOKEN}")[0] == 200


@pytest.mark.slow
def test_loopback_stays_token_free_by_default(outputs, monkeypatch):
    monkeypatch.delenv("EVALSCOPE_APP_TOKEN", raising=False)
    with LoggedSite("--outputs", str(outputs)) as site:
        assert "token" not in site.banner
        assert request(site.url, "/_dash-layout")[0] == 200
    assert "Access token" not in site.log


@pytest.mark.slow
def test_a_browser_with_the_token_url_uses_every_page(browser, outputs):
    """Chromium opens the printed URL once; the cookie carries Dash's own requests and later pages.
    A browser without it sees the 403 text and none of the site."""
    with LoggedSite("--outputs", str(outputs), "--token", TOKEN) as site:
        context = browser.new_context()
        pg = context.new_page()
        statuses: list[tuple[str, int]] = []
        pg.on("response", lambda r: statuses.append((r.url, r.status)))
        pg.goto(site.banner)
        pg.wait_for_selector("#page-model")  # layout and the routing callback answered
        pg.goto(site.url + "/dataset")  # no token in the URL: the cookie suffices
        pg.wait_for_selector("#page-dataset")
        assert any("/_dash-update-component" in u for u, _ in statuses)
        assert all(status < 400 for _, status in statuses), [s for s in statuses if s[1] >= 400]
        cookies = {c["name"]: c for c in context.cookies()}
        assert cookies[cookie_name(TOKEN)]["httpOnly"] and cookies[cookie_name(TOKEN)]["sameSite"] == "Strict"
        context.close()

        stranger = browser.new_context()
        other = stranger.new_page()
        response = other.goto(site.url + "/")
        assert response.status == 403 and "access token" in other.inner_text("body")
        assert other.query_selector("#run-picker") is None
        stranger.close()
