"""`evalscope serve`'s HTTP layer (create_app) on 127.0.0.1 with a fast in-test adapter.

The adapter here records the batches it receives, so the server's request batching, validation,
error shapes and SSE framing are tested without loading a model; `test_serve_real.py` repeats
the user-facing paths against the real SmolLM2 server.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence

import aiohttp
import openai
import pytest

from evalscope.backends.serve.app import create_app
from evalscope.backends.serve.cli import parse_model_args
from evalscope.backends.serve.protocol import BadRequest, parse_body
from evalscope.core.ports import ModelAPI
from evalscope.core.types import ModelOutput, ModelRequest, RequestKind, Usage

try:
    from .serve_fixture import local_app, sse_events
except ImportError:  # tests/backends is not a package
    from serve_fixture import local_app, sse_events


class StreamingAPI(ModelAPI):
    """Streams the reversed words of the last user message, one word per `step` seconds."""

    streams = True

    def __init__(self, batch_size: int = 4, step: float = 0.05, fail_at: int | None = None) -> None:
        super().__init__("words")
        self.max_batch_size = batch_size
        self.step = step
        self.fail_at = fail_at  # raise at this step
        self.batches: list[int] = []
        self.step_times: list[float] = []  # loop time at which each step's words were handed out

    async def call(self, requests: Sequence[ModelRequest]) -> list[ModelOutput]:
        raise AssertionError("streaming requests must go through call_streaming")

    async def call_streaming(self, requests, on_delta):  # type: ignore[override]
        self.batches.append(len(requests))
        answers = [[w + " " for w in reversed(r.messages[-1].content.split())] for r in requests]
        for step in range(max(map(len, answers))):
            await asyncio.sleep(self.step)
            if step == self.fail_at:
                raise RuntimeError("device on fire")
            self.step_times.append(asyncio.get_running_loop().time())
            for i, words in enumerate(answers):
                if step < len(words):
                    on_delta(i, words[step])
        return [ModelOutput(text="".join(a), usage=Usage(3, len(a)), finish_reason="length") for a in answers]


async def timed_stream(session: aiohttp.ClientSession, url: str, body: dict) -> tuple[float, list]:
    """POST a streaming body; (start, [(arrival, event payload), ...]) read as the events arrive."""
    start = asyncio.get_running_loop().time()
    events = []
    async with session.post(url, json=body) as resp:
        assert resp.status == 200 and resp.content_type == "text/event-stream"
        async for line in resp.content:
            if line.startswith(b"data: "):
                events.append((asyncio.get_running_loop().time(), line[6:].strip().decode()))
    return start, events


def contents(events: list) -> list[tuple[float, str]]:
    out = []
    for t, payload in events:
        if payload != "[DONE]":
            chunk = json.loads(payload)
            if chunk.get("choices") and chunk["choices"][0]["delta"].get("content"):
                out.append((t, chunk["choices"][0]["delta"]["content"]))
    return out


def test_streamed_deltas_leave_as_the_adapter_produces_them_and_requests_share_a_batch():
    api = StreamingAPI(batch_size=4, step=0.05)
    url_body = chat_body("a b c d e f", model="words", stream=True, stream_options={"include_usage": True})

    async def go():
        async with local_app(create_app(api)) as base, aiohttp.ClientSession() as s:
            url = f"{base}/chat/completions"
            return await asyncio.gather(
                timed_stream(s, url, url_body), timed_stream(s, url, chat_body("x y", model="words", stream=True))
            )

    (start, events), (_, short) = run(go())
    assert api.batches == [2]
    pieces = contents(events)
    assert [p for _, p in pieces] == ["f ", "e ", "d ", "c ", "b ", "a "]
    # the first word reached the client before the adapter produced the sixth (not a burst at the end),
    # and the words came spread over the steps: a burst has every gap ~0, the steps are 50 ms apart
    # (one gap may shrink on a loaded machine when a late chunk is read together with the next step's)
    assert len(api.step_times) == 6 and start < pieces[0][0] < api.step_times[-1] <= pieces[-1][0]
    gaps = [b[0] - a[0] for a, b in zip(pieces, pieces[1:])]
    assert sorted(gaps)[len(gaps) // 2] > api.step / 2, gaps
    chunks = [json.loads(p) for _, p in events[:-1]]
    assert chunks[0]["choices"][0]["delta"] == {"role": "assistant", "content": ""}
    assert chunks[-2]["choices"][0]["finish_reason"] == "length"
    assert chunks[-1]["usage"] == {"prompt_tokens": 3, "completion_tokens": 6, "total_tokens": 9}
    assert [p for _, p in contents(short)] == ["y ", "x "]


def test_stream_failing_before_text_is_a_500_and_after_text_an_error_event():
    async def go(fail_at):
        api = StreamingAPI(step=0.01, fail_at=fail_at)
        async with local_app(create_app(api)) as base, aiohttp.ClientSession() as s:
            return await post(s, f"{base}/chat/completions", chat_body("a b c", model="words", stream=True))

    status, raw = run(go(0))
    # a 500 names a reference into the server's log, never the exception's text
    assert status == 500 and "reference" in json.loads(raw)["error"]["message"] and b"device on fire" not in raw
    status, raw = run(go(2))
    events = sse_events(raw)
    assert status == 200 and events[-1] == "[DONE]"
    assert (
        "".join(c["choices"][0]["delta"].get("content", "") for c in map(json.loads, events[:-2])) == "c b "
    )
    assert "reference" in json.loads(events[-2])["error"]["message"] and b"device on fire" not in raw


class RecordingAPI(ModelAPI):
    """Echoes the last user message reversed; records each batch; can be told to fail."""

    def __init__(self, batch_size: int = 4, delay: float = 0.05) -> None:
        super().__init__("echo")
        self.max_batch_size = batch_size
        self.delay = delay
        self.batches: list[list[ModelRequest]] = []
        self.fail = False

    async def call(self, requests: Sequence[ModelRequest]) -> list[ModelOutput]:
        self.batches.append(list(requests))
        await asyncio.sleep(self.delay)
        if self.fail:
            raise RuntimeError("device on fire")
        outs = []
        for r in requests:
            source = r.messages[-1].content if r.messages else (r.prompt or "")
            text = " ".join(reversed(source.split()))
            outs.append(
                ModelOutput(
                    text=text, usage=Usage(len(source.split()), len(text.split())), finish_reason="stop"
                )
            )
        return outs


def run(coro):
    return asyncio.run(coro)


async def post(session: aiohttp.ClientSession, url: str, body) -> tuple[int, bytes]:
    data = body if isinstance(body, (bytes, str)) else json.dumps(body)
    async with session.post(url, data=data, headers={"Content-Type": "application/json"}) as resp:
        return resp.status, await resp.read()


def chat_body(text: str = "one two three", **extra) -> dict:
    return {"model": "echo", "messages": [{"role": "user", "content": text}], **extra}


def test_concurrent_requests_are_batched_up_to_batch_size():
    api = RecordingAPI(batch_size=4, delay=0.2)

    async def go():
        async with local_app(create_app(api)) as base, aiohttp.ClientSession() as s:
            bodies = [chat_body(f"q{i} end") for i in range(10)]
            return await asyncio.gather(*(post(s, f"{base}/chat/completions", b) for b in bodies))

    results = run(go())
    assert all(status == 200 for status, _ in results)
    texts = [json.loads(raw)["choices"][0]["message"]["content"] for _, raw in results]
    assert texts == [f"end q{i}" for i in range(10)]  # each caller gets its own answer
    sizes = [len(b) for b in api.batches]
    assert sum(sizes) == 10 and max(sizes) == 4 and len(sizes) <= 4, sizes


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({"model": "echo"}, "messages"),
        (chat_body(temperature="hot"), "temperature"),
        (chat_body(max_tokens=0), "max_tokens"),
        (chat_body(n=0), "n"),
        (chat_body(n=129), "n"),
        (chat_body(stop=[1]), "stop"),
        ({"messages": [{"role": "wizard", "content": "x"}]}, "messages[0].role"),
        ({"messages": [{"role": "user", "content": [{"type": "image_url"}]}]}, "messages[0].content[0]"),
    ],
)
def test_bad_chat_bodies_name_the_field(body, param):
    with pytest.raises(BadRequest) as info:
        parse_body(body, chat=True)
    assert info.value.param == param and param.split("[")[0] in str(info.value)


def test_http_errors_are_openai_shaped():
    api = RecordingAPI()

    async def go():
        async with local_app(create_app(api)) as base, aiohttp.ClientSession() as s:
            out = {
                "bad_field": await post(s, f"{base}/chat/completions", chat_body(top_p=3)),
                "bad_json": await post(s, f"{base}/chat/completions", b"{not json"),
                "not_object": await post(s, f"{base}/completions", [1, 2]),
                "no_prompt": await post(s, f"{base}/completions", {"model": "echo"}),
            }
            async with s.get(f"{base}/nowhere") as resp:
                out["missing"] = (resp.status, await resp.read())
            api.fail = True
            out["adapter_fails"] = await post(s, f"{base}/chat/completions", chat_body())
            return out

    out = run(go())
    expect = {
        "bad_field": 400,
        "bad_json": 400,
        "not_object": 400,
        "no_prompt": 400,
        "missing": 404,
        "adapter_fails": 500,
    }
    for name, status in expect.items():
        got, raw = out[name]
        assert got == status, (name, raw)
        error = json.loads(raw)["error"]
        assert error["message"] and error["type"], name
    assert json.loads(out["bad_field"][1])["error"]["param"] == "top_p"
    assert json.loads(out["no_prompt"][1])["error"]["param"] == "prompt"
    assert "reference" in json.loads(out["adapter_fails"][1])["error"]["message"]
    assert b"device on fire" not in out["adapter_fails"][1]


def test_sse_stream_shape_chat_and_completions():
    api = RecordingAPI()

    async def go():
        async with local_app(create_app(api)) as base, aiohttp.ClientSession() as s:
            with_usage = chat_body("alpha beta gamma", stream=True, stream_options={"include_usage": True})
            a = await post(s, f"{base}/chat/completions", with_usage)
            b = await post(s, f"{base}/chat/completions", chat_body("alpha beta", stream=True))
            c = await post(
                s,
                f"{base}/completions",
                {"prompt": ["x y"], "stream": True, "stream_options": {"include_usage": True}},
            )
            return a, b, c

    (sa, ra), (sb, rb), (sc, rc) = run(go())
    assert sa == sb == sc == 200
    events = sse_events(ra)
    assert events[-1] == "[DONE]"
    chunks = [json.loads(e) for e in events[:-1]]
    assert chunks[0]["choices"][0]["delta"]["role"] == "assistant"
    assert (
        "".join(c["choices"][0]["delta"].get("content", "") for c in chunks if c["choices"])
        == "gamma beta alpha"
    )
    assert chunks[-2]["choices"][0]["finish_reason"] == "stop"
    assert chunks[-1]["choices"] == [] and chunks[-1]["usage"] == {
        "prompt_tokens": 3,
        "completion_tokens": 3,
        "total_tokens": 6,
    }
    assert all(c["object"] == "chat.completion.chunk" and c["id"] == chunks[0]["id"] for c in chunks)
    plain = [json.loads(e) for e in sse_events(rb)[:-1]]
    assert all("usage" not in c for c in plain) and plain[-1]["choices"][0]["finish_reason"] == "stop"
    comp = [json.loads(e) for e in sse_events(rc)[:-1]]
    assert "".join(c["choices"][0]["text"] for c in comp if c["choices"]) == "y x"
    assert comp[-1]["usage"]["total_tokens"] == 4 and comp[0]["object"] == "text_completion"


def test_official_openai_client_reads_our_stream_and_json():
    api = RecordingAPI()

    async def go():
        async with local_app(create_app(api)) as base:
            client = openai.AsyncOpenAI(base_url=base, api_key="EMPTY", max_retries=0)
            whole = await client.chat.completions.create(
                model="echo", messages=[{"role": "user", "content": "a b"}]
            )
            stream = await client.chat.completions.create(
                model="echo",
                messages=[{"role": "user", "content": "c d e"}],
                stream=True,
                stream_options={"include_usage": True},
            )
            pieces, usage = [], None
            async for chunk in stream:
                if chunk.choices and chunk.choices[0].delta.content:
                    pieces.append(chunk.choices[0].delta.content)
                usage = chunk.usage or usage
            models = await client.models.list()
            await client.close()
            return whole, "".join(pieces), usage, [m.id for m in models.data]

    whole, streamed, usage, models = run(go())
    assert whole.choices[0].message.content == "b a" and whole.usage.total_tokens == 4
    assert streamed == "e d c" and usage.completion_tokens == 3
    assert models == ["echo"]


def test_parse_model_args():
    assert parse_model_args("precision=float32,max_length=512,trust_remote_code=true,x=none") == {
        "precision": "float32",
        "max_length": 512,
        "trust_remote_code": True,
        "x": None,
    }
    assert parse_model_args(None) == {}
    req = parse_body({"prompt": "hi", "logprobs": 2, "top_k": 5, "seed": 7}, chat=False).request
    assert req.kind is RequestKind.GENERATE and req.prompt == "hi"
    assert (
        req.config.top_logprobs == 2
        and req.config.logprobs
        and req.config.top_k == 5
        and req.config.seed == 7
    )


class ChoicesAPI(ModelAPI):
    """Answers n completions ("<word>-<i>"), or a context-length error for prompts over 5 words."""

    def __init__(self) -> None:
        super().__init__("choices")

    async def call(self, requests: Sequence[ModelRequest]) -> list[ModelOutput]:
        from evalscope.backends.context_window import fit_generation

        outs = []
        for r in requests:
            words = r.messages[-1].content.split()
            fit = fit_generation(len(words), r.config.max_tokens or 1, 5, "error", hint="Shorten it.")
            if fit.error:
                outs.append(ModelOutput(error=fit.error))
                continue
            texts = [f"{words[0]}-{i}" for i in range(r.config.n)]
            outs.append(
                ModelOutput(text=texts[0], texts=texts if r.config.n > 1 else None, finish_reason="stop")
            )
        return outs


def test_n_choices_and_context_errors_on_the_wire():
    async def go():
        async with local_app(create_app(ChoicesAPI())) as base, aiohttp.ClientSession() as s:
            url = f"{base}/chat/completions"
            return (
                await post(s, url, chat_body("cat", model="choices", n=3)),
                await post(s, url, chat_body("cat", model="choices", n=3, stream=True)),
                await post(s, url, chat_body("a b c d e f", model="choices", max_tokens=1)),
                await post(s, url, chat_body("a b", model="choices", max_tokens=9, stream=True)),
            )

    (s1, whole), (s2, streamed), (s3, long_prompt), (s4, many_tokens) = run(go())
    assert s1 == s2 == 200
    choices = json.loads(whole)["choices"]
    assert [(c["index"], c["message"]["content"]) for c in choices] == [
        (0, "cat-0"),
        (1, "cat-1"),
        (2, "cat-2"),
    ]
    texts: dict[int, str] = {}
    finished = []
    for chunk in map(json.loads, sse_events(streamed)[:-1]):
        for choice in chunk["choices"]:
            texts[choice["index"]] = texts.get(choice["index"], "") + (choice["delta"].get("content") or "")
            if choice["finish_reason"]:
                finished.append(choice["index"])
    assert texts == {0: "cat-0", 1: "cat-1", 2: "cat-2"} and finished == [0, 1, 2]
    for status, raw in ((s3, long_prompt), (s4, many_tokens)):
        error = json.loads(raw)["error"]
        assert status == 400 and error["code"] == "context_length_exceeded" and error["param"] == "messages"
        assert "context of 5 tokens" in error["message"] and error["message"].endswith("Shorten it.")
