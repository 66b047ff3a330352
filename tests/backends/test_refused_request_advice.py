"""A sample failure that a retry cannot fix (the provider refused the request as invalid: HTTP 400)
never advises a `--use-cache` retry. The provider is the real `evalscope serve` app (mock model) on
127.0.0.1, which refuses `top_logprobs` over 20 with 400 as OpenAI does: a value the run's own
config check lets through (other providers accept more)."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Iterator

import pytest
from aiohttp import web

from evalscope.backends.serve.app import create_app
from evalscope.core.engine import EvaluationError
from evalscope.core.models.mock import MockModelAPI
from evalscope.run import run_task


@contextlib.contextmanager
def serving(app: web.Application) -> Iterator[str]:
    """Run `app` on 127.0.0.1:<free port> in a thread of its own; yields its /v1 URL."""
    loop = asyncio.new_event_loop()
    runner = web.AppRunner(app)
    loop.run_until_complete(runner.setup())
    site = web.TCPSite(runner, "127.0.0.1", 0)
    loop.run_until_complete(site.start())
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}/v1"
    finally:
        asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()


def test_requests_the_provider_refuses_as_invalid_fail_without_retry_advice(tmp_path):
    with serving(create_app(MockModelAPI())) as base:
        with pytest.raises(EvaluationError) as failed:
            run_task(
                {
                    "eval_type": "service", "model": "mock", "api_url": base, "datasets": ["gsm8k"], "limit": 2,
                    "generation_config": {"logprobs": True, "top_logprobs": 50}, "retries": 0,
                    "work_dir": str(tmp_path), "no_timestamp": True,
                },
                print_table=False,
            )
    message = str(failed.value)
    assert "2 sample(s) failed" in message and "HTTP 400" in message and "top_logprobs" in message
    assert "--use-cache" not in message and "retry would fail the same way" in message
