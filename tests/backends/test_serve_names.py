"""`evalscope serve` answers only the model names it serves, takes its port before the model loads,
and refuses out-of-range generation settings with 400 naming the field.

In-process: the real app over the mock provider on 127.0.0.1. Subprocess (slow): the real command
with SmolLM2, `--served-model-name` as an alias beside `--model`, and a port someone else holds.
"""

from __future__ import annotations

import asyncio
import json
import socket
import subprocess
import sys
import urllib.error
import urllib.request

import aiohttp
import pytest

from evalscope.backends.serve.app import create_app
from evalscope.core.models.mock import MockModelAPI

try:
    from .serve_fixture import SERVE_MODEL, local_app, start_serve
except ImportError:  # tests/backends is not a package
    from serve_fixture import SERVE_MODEL, local_app, start_serve

MODEL_NOT_FOUND = {"type": "invalid_request_error", "param": "model", "code": "model_not_found"}


def _chat(model: str | None, **extra) -> dict:
    body = {"messages": [{"role": "user", "content": "hi"}], "max_tokens": 4, **extra}
    return body if model is None else {"model": model, **body}


async def _post(session: aiohttp.ClientSession, url: str, body: dict) -> tuple[int, dict]:
    async with session.post(url, json=body) as resp:
        return resp.status, await resp.json()


def _ask(app, requests: list[tuple[str, dict]]) -> tuple[list[str], list[tuple[int, dict]]]:
    async def go():
        async with local_app(app) as base, aiohttp.ClientSession() as s:
            async with s.get(f"{base}/models") as resp:
                models = [m["id"] for m in (await resp.json())["data"]]
            return models, [await _post(s, f"{base}{path}", body) for path, body in requests]

    return asyncio.run(go())


def test_a_model_name_the_server_does_not_serve_is_404_model_not_found_and_served_names_answer():
    app = create_app(MockModelAPI(), model_name="smol", aliases=("org/smol-135m",))
    models, answers = _ask(
        app,
        [
            ("/chat/completions", _chat("gpt-4o")),
            ("/completions", {"model": "gpt-4o", "prompt": "hi"}),
            ("/chat/completions", _chat("gpt-4o", stream=True)),
            ("/chat/completions", _chat("smol")),
            ("/chat/completions", _chat("org/smol-135m")),
            ("/chat/completions", _chat(None)),
        ],
    )
    assert models == ["smol", "org/smol-135m"]
    for status, body in answers[:3]:
        assert status == 404
        assert {k: body["error"][k] for k in MODEL_NOT_FOUND} == MODEL_NOT_FOUND
        assert "'gpt-4o'" in body["error"]["message"] and "'smol'" in body["error"]["message"]
    (s1, b1), (s2, b2), (s3, b3) = answers[3:]
    assert (s1, s2, s3) == (200, 200, 200)
    assert (b1["model"], b2["model"], b3["model"]) == ("smol", "org/smol-135m", "smol")


@pytest.mark.parametrize(
    ("field", "value"),
    [("top_p", 0), ("repetition_penalty", 0), ("seed", -1)],
)
def test_generation_values_out_of_range_are_400_naming_the_field_not_a_500(field, value):
    (_, [(status, body)]) = _ask(create_app(MockModelAPI()), [("/chat/completions", _chat("mock", **{field: value}))])
    assert status == 400, body
    assert body["error"]["param"] == field and body["error"]["type"] == "invalid_request_error"
    assert field in body["error"]["message"]


@pytest.mark.slow
def test_real_serve_answers_its_served_name_and_model_and_404s_others():
    server = start_serve("--served-model-name", "smol")
    try:
        with urllib.request.urlopen(f"{server.base_url}/models", timeout=10) as resp:
            assert [m["id"] for m in json.load(resp)["data"]] == ["smol", SERVE_MODEL]

        def post(model: str) -> tuple[int, dict]:
            request = urllib.request.Request(
                f"{server.base_url}/chat/completions",
                data=json.dumps(_chat(model, max_tokens=2)).encode(),
                headers={"Content-Type": "application/json"},
            )
            try:
                with urllib.request.urlopen(request, timeout=120) as resp:
                    return resp.status, json.load(resp)
            except urllib.error.HTTPError as exc:
                return exc.code, json.load(exc)

        status, body = post("not-a-model")
        assert status == 404 and body["error"]["code"] == "model_not_found" and body["error"]["param"] == "model"
        assert post("smol")[0] == 200 and post(SERVE_MODEL)[0] == 200
    finally:
        server.stop()


@pytest.mark.slow
def test_serve_on_a_busy_port_fails_with_one_line_naming_the_port_before_loading_the_model(tmp_path):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        done = subprocess.run(
            [sys.executable, "-m", "evalscope.cli.main", "serve", "--model", SERVE_MODEL, "--host", "127.0.0.1",
             "--port", str(port), "--log-level", "info"],
            capture_output=True, text=True, timeout=300,
        )
    assert done.returncode == 1, done.stderr[-2000:]
    errors = [line for line in done.stderr.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1 and f"--port {port}" in errors[0] and f"127.0.0.1:{port}" in errors[0], done.stderr[-2000:]
    assert "Traceback" not in done.stderr
    assert "loaded " not in done.stderr  # the loader logs "loaded <model> ..." once the model is in memory
