"""The aiohttp application behind `evalscope serve`.

Requests arriving together are answered in one adapter call: core's `Model` wrapper queues
concurrent requests and hands the adapter batches of up to ``model_api.max_batch_size``.

Streaming (``"stream": true``) sends text as the model produces it: the request joins a batch
like any other, with a delta callback that feeds a per-request queue; each delta leaves as an SSE
chunk at once (token by token with the hf adapter, which streams every decoding step; one chunk
of the whole text with an adapter that does not stream). The HTTP status is sent with the first
text, so a request that fails before any text still gets an OpenAI-shaped error response.

A prompt that does not fit the model's context with its `max_tokens` is the client's error: 400
with code ``context_length_exceeded`` (never cut silently). With ``n > 1`` the choices come from
the output's `texts`; streamed, choice 0 streams live and the others follow when it is done.
Each choice's `finish_reason` is its own ("length" when it stopped at `max_tokens`); `<think>…</think>`
text of a local model leaves as `reasoning_content` (streamed as it comes), never in `content`;
a body's `chat_template_kwargs` (`{"enable_thinking": false}`) reaches the chat template.
After a request with a body over ``memory.TRIM_AFTER_CHARS`` bytes the freed heap goes back to
the OS once the request is done (see `evalscope.backends.memory`).

Model names: the server answers to its served name and aliases (`evalscope serve`: the
``--served-model-name`` and the ``--model`` it was started with), all listed by /v1/models; a body
naming another model gets 404 with OpenAI's ``model_not_found`` error, as vLLM answers (a body
naming no model is served).

Guards: with ``api_key`` every /v1 request needs ``Authorization: Bearer <key>`` (401 otherwise,
compared in constant time); with ``max_queue`` at most that many completion requests are queued or
running, and one more is answered 503 with ``Retry-After`` at once (before its body is read). A 500
never carries internals (exception text, paths): the client gets a reference, the log the details.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import time
import uuid
from typing import Any

import attrs
from aiohttp import web

from evalscope.backends import memory
from evalscope.backends.context_window import is_context_error
from evalscope.backends.serve.protocol import (
    BadRequest,
    ParsedRequest,
    StreamChunks,
    completion_body,
    error_body,
    offers_tools,
    parse_body,
    sse,
)
from evalscope.core.model import Model
from evalscope.core.models.spec import ModelSpec, open_model
from evalscope.core.ports import ModelAPI
from evalscope.core.reasoning import ThinkSplitter
from evalscope.core.types import ModelOutput

log = logging.getLogger("evalscope.serve")

MODEL_KEY: web.AppKey[Model] = web.AppKey("model", Model)
NAME_KEY: web.AppKey[str] = web.AppKey("model_name", str)
#: every model name the server answers to (its served name first); others get 404 model_not_found
NAMES_KEY: web.AppKey[tuple[str, ...]] = web.AppKey("model_names", tuple)


@attrs.define
class Guards:
    """The server's admission rules: the bearer key and the bound on queued requests."""

    api_key: str | None = attrs.field(default=None, repr=False)
    max_queue: int | None = None
    #: completion requests admitted and not yet answered
    active: int = 0
    #: seconds a client refused with 503 is told to wait
    retry_after_s: int = 1


GUARDS_KEY: web.AppKey[Guards] = web.AppKey("guards", Guards)


def _reference() -> str:
    return uuid.uuid4().hex[:12]


def _json_error(
    status: int,
    message: str,
    *,
    kind: str = "invalid_request_error",
    param: str | None = None,
    code: Any = None,
) -> web.Response:
    return web.json_response(
        error_body(message, kind=kind, param=param, code=status if code is None else code), status=status
    )


def _failed(output: ModelOutput, parsed: ParsedRequest) -> web.Response:
    """The response to an output with an `error`: 400 for a prompt too long for the context, else 500."""
    error = output.error or "unknown error"
    if is_context_error(error):
        param = "messages" if parsed.chat else "prompt"
        return _json_error(400, error, param=param, code="context_length_exceeded")
    ref = _reference()
    log.error("generation failed (reference %s): %s", ref, error)
    return _json_error(500, f"generation failed (reference {ref}; the details are in the server's log)", kind="server_error")


@web.middleware
async def require_key(request: web.Request, handler: Any) -> web.StreamResponse:
    """With an api_key, /v1 requests need `Authorization: Bearer <key>`."""
    key = request.app[GUARDS_KEY].api_key
    if key and request.path.startswith("/v1/"):
        given = request.headers.get("Authorization", "")
        token = given[7:].strip() if given[:7].lower() == "bearer " else ""
        if not hmac.compare_digest(token.encode(), key.encode()):
            response = _json_error(401, "missing or wrong API key (send Authorization: Bearer <key>)", code="invalid_api_key")
            response.headers["WWW-Authenticate"] = "Bearer"
            return response
    return await handler(request)


@web.middleware
async def openai_errors(request: web.Request, handler: Any) -> web.StreamResponse:
    """Every failure leaves in OpenAI's ``{"error": {...}}`` shape."""
    try:
        return await handler(request)
    except BadRequest as exc:
        return _json_error(400, str(exc), param=exc.param)
    except ModelNotServed as exc:
        return _json_error(404, str(exc), param="model", code="model_not_found")
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        kind = "not_found_error" if exc.status == 404 else "invalid_request_error"
        return _json_error(exc.status, f"{exc.reason}: {request.method} {request.path}", kind=kind)
    except Exception:  # noqa: BLE001 - the client gets a 500 and a reference, the log gets the trace
        ref = _reference()
        log.exception("request failed (reference %s)", ref)
        return _json_error(500, f"internal error (reference {ref}; the details are in the server's log)", kind="server_error")


async def list_models(request: web.Request) -> web.Response:
    data = [
        {"id": name, "object": "model", "created": 0, "owned_by": "evalscope"}
        for name in request.app[NAMES_KEY]
    ]
    return web.json_response({"object": "list", "data": data})


class ModelNotServed(Exception):
    """A request for a model this server does not serve."""

    def __init__(self, wanted: str, names: tuple[str, ...]) -> None:
        served = ", ".join(map(repr, names))
        super().__init__(f"The model {wanted!r} does not exist on this server; it serves {served}")


def _served_name(request: web.Request, parsed: ParsedRequest) -> str:
    """The name to answer with: the one the client asked for (it must be one this server serves;
    404 `model_not_found` otherwise, as OpenAI and vLLM answer), or the served name when the body
    names none."""
    names = request.app[NAMES_KEY]
    wanted = parsed.requested_model
    if wanted is None:
        return request.app[NAME_KEY]
    if wanted not in names:
        raise ModelNotServed(wanted, names)
    return wanted


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
    name = _served_name(request, parsed)
    model = request.app[MODEL_KEY]
    if parsed.stream and offers_tools(parsed):
        return await _stream_whole(request, parsed, model, name)
    if parsed.stream:
        return await _stream(request, parsed, model, name)
    start = time.perf_counter()
    # streamed internally and discarded: if the client hangs up, the handler is cancelled and the
    # adapter learns from the stream that nobody waits, so it stops generating this request
    output = await model.call(parsed.request, on_delta=_discard)
    if output.error:
        return _failed(output, parsed)
    _log_answer(request, start, output)
    return web.json_response(completion_body(parsed, output, name))


def _discard(text: str) -> None:
    """Text of a non-streaming request as it is generated: only the final output is sent."""


def _log_answer(request: web.Request, start: float, output: ModelOutput, first: float | None = None) -> None:
    ttft = f", first text after {first - start:.3f}s" if first is not None else ""
    log.info(
        "%s answered in %.3fs (%d tokens%s)",
        request.path,
        time.perf_counter() - start,
        output.usage.output_tokens,
        ttft,
    )


async def _stream_whole(request: web.Request, parsed: ParsedRequest, model: Model, name: str) -> web.StreamResponse:
    """SSE of an answer to a request with tools: whether its text is calls is known only once it is
    complete, so it is generated first, then sent as `delta.tool_calls` (or as content)."""
    start = time.perf_counter()
    output = await model.call(parsed.request, on_delta=_discard)
    if output.error:
        return _failed(output, parsed)
    chunks = StreamChunks(parsed, name)
    (first, *_) = output.completions()
    if first.tool_calls:
        body = [*chunks.first(), *chunks.reasoning(first.reasoning or ""), *chunks.calls(first)]
    else:
        body = [*chunks.first(), *chunks.reasoning(first.reasoning or ""), *([chunks.delta(first.text)] if first.text else [])]
    response = web.StreamResponse(headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache"})
    await response.prepare(request)
    try:
        tail = [*chunks.rest(output), *chunks.finish(output)]
        await response.write(b"".join(sse(c) for c in [*body, *tail]) + sse("[DONE]"))
        await response.write_eof()
    except ConnectionResetError:
        log.info("client went away during a stream")
    _log_answer(request, start, output)
    return response


async def _stream(request: web.Request, parsed: ParsedRequest, model: Model, name: str) -> web.StreamResponse:
    """SSE: each delta is written as soon as the model reports it; None in the queue ends it."""
    start = time.perf_counter()
    pieces: asyncio.Queue[str | None] = asyncio.Queue()
    task = asyncio.create_task(model.call(parsed.request, on_delta=pieces.put_nowait))
    task.add_done_callback(lambda _: pieces.put_nowait(None))  # after every delta already queued
    chunks = StreamChunks(parsed, name)
    output: ModelOutput | None
    try:
        piece = await pieces.get()
        first = time.perf_counter()
        if piece is None:  # finished (or failed) before any text: an ordinary error is still possible
            output = task.result()
            if output.error:
                return _failed(output, parsed)
        response = web.StreamResponse(
            headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache"}
        )
        await response.prepare(request)
        splitter = ThinkSplitter()  # <think>…</think> leaves as reasoning_content, as in a whole answer
        thought = False
        try:
            head = b"".join(sse(c) for c in chunks.first())
            while piece is not None:
                parts = splitter.feed(piece)
                thought = thought or any(thinking for thinking, _ in parts)
                await response.write(head + b"".join(sse(c) for c in chunks.pieces(parts)))
                head = b""
                piece = await pieces.get()
            parts = splitter.end()
            thought = thought or any(thinking for thinking, _ in parts)
            head += b"".join(sse(c) for c in chunks.pieces(parts))
            try:
                output = task.result()
                failure = output.error
            except Exception as exc:  # noqa: BLE001 - the status is sent; report in the stream
                output, failure = None, f"{type(exc).__name__}: {exc}"
            if output is None or failure:
                ref = _reference()
                log.error("generation failed during a stream (reference %s): %s", ref, failure)
                tail = sse(chunks.error(f"generation failed (reference {ref}; the details are in the server's log)"))
            else:
                tail = b"".join(
                    sse(c)
                    for c in [
                        *([] if thought else chunks.reasoning(output.reasoning or "")),
                        *chunks.rest(output),
                        *chunks.finish(output),
                    ]
                )
                _log_answer(request, start, output, first)
            await response.write(head + tail + sse("[DONE]"))
            await response.write_eof()
        except ConnectionResetError:
            log.info("client went away during a stream")
        return response
    finally:
        if not task.done():  # the client left: stop waiting (the batch itself runs on for the others)
            task.cancel()


async def _admitted(request: web.Request, *, chat: bool) -> web.StreamResponse:
    """Answer unless `max_queue` requests are already queued or running: then 503 with Retry-After."""
    guards = request.app[GUARDS_KEY]
    if guards.max_queue is not None and guards.active >= guards.max_queue:
        response = _json_error(
            503,
            f"server busy: {guards.active} requests queued or running (limit {guards.max_queue}); retry later",
            kind="server_error",
            code="overloaded",
        )
        response.headers["Retry-After"] = str(guards.retry_after_s)
        return response
    guards.active += 1
    try:
        return await _answer(request, chat=chat)
    finally:
        guards.active -= 1


async def chat_completions(request: web.Request) -> web.StreamResponse:
    return await _admitted(request, chat=True)


async def completions(request: web.Request) -> web.StreamResponse:
    return await _admitted(request, chat=False)


@web.middleware
async def release_memory(request: web.Request, handler: Any) -> web.StreamResponse:
    """After a request with a huge body, hand the freed heap back to the OS once it is done."""
    try:
        return await handler(request)
    finally:
        if (request.content_length or 0) >= memory.TRIM_AFTER_CHARS:
            # the body and its parsed copies are freed when the request object goes, after the
            # response is sent: trim a moment later, off the event loop
            loop = asyncio.get_running_loop()
            loop.call_later(0.2, _trim_in_thread, loop)


def _trim_in_thread(loop: asyncio.AbstractEventLoop) -> None:
    try:
        loop.run_in_executor(None, memory.release_freed_memory)
    except RuntimeError:  # shutting down: the process is about to give everything back anyway
        pass


def create_app(
    model_api: ModelAPI,
    *,
    model_name: str | None = None,
    aliases: tuple[str, ...] = (),
    api_key: str | None = None,
    max_queue: int | None = None,
) -> web.Application:
    """An OpenAI-compatible app over `model_api` (batched by core's `Model`; no retries, no cache),
    guarded by `api_key` and `max_queue` (see the module docstring). It answers to `model_name`
    (default: the adapter's model name) and `aliases`, all listed by /v1/models; a request naming
    another model gets 404 `model_not_found`."""
    app = web.Application(middlewares=[release_memory, openai_errors, require_key], client_max_size=8 * 1024 * 1024)
    app[GUARDS_KEY] = Guards(api_key=api_key or None, max_queue=max_queue)
    # the adapter is given (loaded by `evalscope serve`); the policy: one batch at a time, no retries, no cache
    policy = ModelSpec(provider="served", model=model_api.model_name, concurrency=1, retries=0, cache=False)
    app[MODEL_KEY] = open_model(policy, api=model_api)
    app[NAME_KEY] = model_name or model_api.model_name or "model"
    app[NAMES_KEY] = tuple(dict.fromkeys([app[NAME_KEY], *(a for a in aliases if a)]))
    app.router.add_get("/v1/models", list_models)
    app.router.add_get("/health", health)
    app.router.add_post("/v1/chat/completions", chat_completions)
    app.router.add_post("/v1/completions", completions)

    async def close_model(app: web.Application) -> None:
        await app[MODEL_KEY].aclose()

    app.on_cleanup.append(close_model)
    return app
