"""The aiohttp application behind `evalscope serve`.

Requests arriving together are answered in one adapter call: core's `Model` wrapper queues
concurrent requests and hands the adapter batches of up to ``model_api.max_batch_size``.

Streaming (``"stream": true``) sends the finished answer as word-sized SSE deltas: the adapter
returns whole texts, so the first chunk arrives when generation has finished (TTFT measured
against this server equals the full latency). The chunk sequence and final usage chunk follow
OpenAI's shape exactly.
"""

from __future__ import annotations

import json
import logging
import time
from typing import Any

import attrs
from aiohttp import web

from evalscope.backends.serve.protocol import (
    BadRequest,
    ParsedRequest,
    completion_body,
    error_body,
    parse_body,
    stream_chunks,
)
from evalscope.core.model import Model, RetryPolicy
from evalscope.core.ports import ModelAPI

log = logging.getLogger("evalscope.serve")

MODEL_KEY: web.AppKey[Model] = web.AppKey("model", Model)
NAME_KEY: web.AppKey[str] = web.AppKey("model_name", str)


def _json_error(
    status: int, message: str, *, kind: str = "invalid_request_error", param: str | None = None
) -> web.Response:
    return web.json_response(error_body(message, kind=kind, param=param, code=status), status=status)


@web.middleware
async def openai_errors(request: web.Request, handler: Any) -> web.StreamResponse:
    """Every failure leaves in OpenAI's ``{"error": {...}}`` shape."""
    try:
        return await handler(request)
    except BadRequest as exc:
        return _json_error(400, str(exc), param=exc.param)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        kind = "not_found_error" if exc.status == 404 else "invalid_request_error"
        return _json_error(exc.status, f"{exc.reason}: {request.method} {request.path}", kind=kind)
    except Exception as exc:  # noqa: BLE001 - the client gets a 500, the log gets the trace
        log.exception("request failed")
        return _json_error(500, f"internal error: {type(exc).__name__}: {exc}", kind="server_error")


async def list_models(request: web.Request) -> web.Response:
    name = request.app[NAME_KEY]
    return web.json_response(
        {"object": "list", "data": [{"id": name, "object": "model", "created": 0, "owned_by": "evalscope"}]}
    )


async def health(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


async def _read_json(request: web.Request) -> Any:
    try:
        return await request.json(loads=json.loads)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise BadRequest(f"request body is not valid JSON: {exc}") from None


async def _answer(request: web.Request, *, chat: bool) -> web.StreamResponse:
    parsed = parse_body(await _read_json(request), chat=chat)
    if log.isEnabledFor(logging.DEBUG):
        config = {k: v for k, v in attrs.asdict(parsed.request.config).items() if v is not None}
        log.debug("%s stream=%s config=%s", request.path, parsed.stream, json.dumps(config, sort_keys=True))
    model = request.app[MODEL_KEY]
    start = time.perf_counter()
    output = await model.call(parsed.request)
    if output.error:
        return _json_error(500, f"generation failed: {output.error}", kind="server_error")
    log.info(
        "%s answered in %.3fs (%d tokens)",
        request.path,
        time.perf_counter() - start,
        output.usage.output_tokens,
    )
    name = request.app[NAME_KEY]
    if not parsed.stream:
        return web.json_response(completion_body(parsed, output, name))
    return await _stream(request, parsed, output, name)


async def _stream(request: web.Request, parsed: ParsedRequest, output: Any, name: str) -> web.StreamResponse:
    response = web.StreamResponse(headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache"})
    await response.prepare(request)
    try:
        for chunk in stream_chunks(parsed, output, name):
            await response.write(b"data: " + json.dumps(chunk, ensure_ascii=False).encode("utf-8") + b"\n\n")
        await response.write(b"data: [DONE]\n\n")
        await response.write_eof()
    except ConnectionResetError:
        log.info("client went away during a stream")
    return response


async def chat_completions(request: web.Request) -> web.StreamResponse:
    return await _answer(request, chat=True)


async def completions(request: web.Request) -> web.StreamResponse:
    return await _answer(request, chat=False)


def create_app(model_api: ModelAPI, *, model_name: str | None = None) -> web.Application:
    """An OpenAI-compatible app over `model_api` (batched by core's `Model`; no retries, no cache)."""
    app = web.Application(middlewares=[openai_errors], client_max_size=8 * 1024 * 1024)
    app[MODEL_KEY] = Model(model_api, max_concurrency=1, retry=RetryPolicy(retries=0), cache=False)
    app[NAME_KEY] = model_name or model_api.model_name or "model"
    app.router.add_get("/v1/models", list_models)
    app.router.add_get("/health", health)
    app.router.add_post("/v1/chat/completions", chat_completions)
    app.router.add_post("/v1/completions", completions)

    async def close_model(app: web.Application) -> None:
        await app[MODEL_KEY].aclose()

    app.on_cleanup.append(close_model)
    return app
