"""The byte-level chunk fast path gives exactly what a full JSON parse of every event gives."""

import json
import math
import random

import pytest

from evalscope.core.net.sse import SSEParser
from evalscope.perf.apis import parse_event
from evalscope.perf.chunks import ChunkTemplate
from evalscope.perf.client import _StreamSink
from evalscope.perf.records import RequestRecord


def _ev(obj, sep=(",", ":"), field=b"data: ") -> bytes:
    raw = obj if isinstance(obj, bytes) else json.dumps(obj, separators=sep, ensure_ascii=False).encode()
    return field + raw + b"\n\n"


def _chat(text, key="content", rid="chatcmpl-1", finish=None, **extra):
    delta = {key: text}
    return {"id": rid, "object": "chat.completion.chunk", "created": 1,
            "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}], **extra}


ROLE = {"id": "chatcmpl-1", "choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}}]}
USAGE = {"id": "chatcmpl-1", "choices": [], "usage": {"prompt_tokens": 3, "completion_tokens": 9}}


def _streams():
    toks = [f" tok{i}" for i in range(40)]
    plain = [_ev(ROLE)] + [_ev(_chat(t)) for t in toks] + [_ev(_chat("", finish="stop")), _ev(USAGE), b"data: [DONE]\n\n"]
    yield "plain", b"".join(plain)
    yield "crlf", b"".join(plain).replace(b"\n", b"\r\n")
    mixed = [_ev(ROLE), _ev(_chat("a")), _ev(_chat("b\nc")), _ev(_chat('say "hi"')), _ev(_chat("é中")),
             _ev(_chat("d")), _ev(_chat("\\")), _ev(_chat("e")), b": ping\n\n", _ev(_chat("f"), sep=(", ", ": ")),
             _ev(_chat("g"), sep=(", ", ": ")), b"event: x\n" + _ev(_chat("h")), _ev(_chat("i")) + b"\n",
             _ev(_chat("j"), field=b"data:"), _ev(_chat("k", rid="other")), _ev(_chat("l")),
             _ev(_chat("m", key="reasoning_content")), _ev(_chat("n", key="reasoning_content")),
             _ev(_chat("", finish="stop")), _ev(USAGE), b"data: [DONE]\n\n"]
    yield "mixed", b"".join(mixed)
    bad = [_ev(_chat("a")), _ev(_chat("b")),
           b'data: {"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,"choices":[{"index":0,"delta":{"content":"\xff"},"logprobs":null,"finish_reason":null}]}\n\n',
           b'data: {"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,"choices":[{"index":0,"delta":{"content":"x\x01"},"logprobs":null,"finish_reason":null}]}\n\n',
           b'data: {"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,"choices":[{"index":0,"delta":{"content":"\xe4\xb8"},"logprobs":null,"finish_reason":null}]}\n\n',
           b'data: {"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,"choices":[{"index":0,"delta":{"content":"\xad"},"logprobs":null,"finish_reason":null}]}\n\n',
           b'data: {"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,"choices":[{"index":0,"delta":{"content":"c"},"logprobs":null,"finish_reason":null}]}\ndata: x\n\n',
           _ev(_chat("d")), _ev(_chat("e"))]
    yield "invalid-json-pieces", b"".join(bad)
    compl = [_ev({"id": "c", "choices": [{"index": 0, "text": t, "finish_reason": None}]}) for t in toks[:10]]
    yield "completions", b"".join(compl) + _ev(USAGE)
    two_contents = [_ev(_chat("a", logprobs={"content": [{"token": "a"}]}))] * 5
    yield "second-content-key", b"".join(two_contents)
    # a template whose text could be the content of choice 1 (n=2): never learned (two keys)
    n2 = [_ev({"id": "x", "choices": [{"index": 0, "delta": {"content": f"p{i}"}}, {"index": 1, "delta": {"content": "q"}}]}) for i in range(5)]
    yield "n2", b"".join(n2)


def _reference(stream: bytes, cuts: list[int]):
    """Full parse of every event: (first_token read index, chunk read indexes, text, usage)."""
    p = SSEParser()
    first, times, texts, usage = None, [], [], None
    pieces = [stream[a:b] for a, b in zip([0, *cuts], [*cuts, len(stream)])]
    for k, piece in enumerate(pieces):
        for payload in p.feed(piece):
            text, u = parse_event(payload)
            if text:
                first = k if first is None else first
                times.append(k)
                texts.append(text)
            if u is not None:
                usage = u
    for payload in p.flush():
        text, u = parse_event(payload)
        if text:
            times.append(len(pieces))
            texts.append(text)
        if u is not None:
            usage = u
    return first, times, "".join(texts), usage


def _fast(stream: bytes, cuts: list[int], keep_text: bool):
    rec = RequestRecord(0, 0.0)
    sink = _StreamSink(rec, keep_text)
    pieces = [stream[a:b] for a, b in zip([0, *cuts], [*cuts, len(stream)])]
    for k, piece in enumerate(pieces):
        sink(piece, float(k))
    sink.finish(float(len(pieces)))
    first = None if math.isnan(rec.first_token) else int(rec.first_token)
    return first, [int(t) for t in rec.chunk_times], "".join(sink.texts), sink.usage


@pytest.mark.parametrize("name,stream", list(_streams()), ids=[n for n, _ in _streams()])
def test_fast_path_equals_full_parse_at_every_split(name, stream):
    for cut in range(1, len(stream)):
        want = _reference(stream, [cut])
        assert _fast(stream, [cut], True) == want, cut
        assert _fast(stream, [cut], False)[:2] == want[:2], cut
    rng = random.Random(7)
    for _ in range(200):
        cuts = sorted(rng.sample(range(1, len(stream)), rng.randint(1, 12)))
        assert _fast(stream, cuts, True) == _reference(stream, cuts), cuts
    assert _fast(stream, [], True) == _reference(stream, [])  # everything merged in one read


def test_role_only_first_chunk_is_not_a_token_and_template_is_used():
    stream = b"".join([_ev(ROLE), _ev(_chat("a")), _ev(_chat("b")), _ev(_chat("c")), _ev(USAGE), b"data: [DONE]\n\n"])
    rec = RequestRecord(0, 0.0)
    sink = _StreamSink(rec, True)
    sink(stream[: stream.index(b'"a"')], 1.0)  # role chunk alone: no token yet
    assert math.isnan(rec.first_token)
    sink(stream[stream.index(b'"a"') :], 2.0)
    assert rec.first_token == 2.0 and rec.chunk_times == [2.0, 2.0, 2.0]
    assert "".join(sink.texts) == "abc" and sink.usage["completion_tokens"] == 9
    assert sink.tpl is not None and sink.tpl.head.endswith(b'"content":"')


def test_template_learning_rules():
    ev = _ev(_chat("hello"))[:-2]
    tpl = ChunkTemplate.learn(ev, "hello", "content")
    assert tpl is not None and tpl.head.startswith(b"data: {") and tpl.tail.startswith(b'"},')
    assert ChunkTemplate.learn(ev, "other", "content") is None  # text must be the located value
    assert ChunkTemplate.learn(_ev(_chat("a\nb"))[:-2], "a\nb", "content") is None  # escapes: no
    assert ChunkTemplate.learn(_ev(_chat("x", logprobs={"content": []}))[:-2], "x", "content") is None
    spaced = _ev(_chat("hi"), sep=(", ", ": "))[:-2]
    assert ChunkTemplate.learn(spaced, "hi", "content") is not None


def test_template_events_skip_json_parsing(monkeypatch):
    import evalscope.perf.client as client

    calls = []
    real = client.parse_event_src
    monkeypatch.setattr(client, "parse_event_src", lambda p: calls.append(p) or real(p))
    stream = b"".join([_ev(ROLE)] + [_ev(_chat(f"t{i}")) for i in range(256)] + [_ev(USAGE), b"data: [DONE]\n\n"])
    rec = RequestRecord(0, 0.0)
    sink = _StreamSink(rec, False)
    sink(stream, 1.0)
    assert len(rec.chunk_times) == 256 and sink.usage is not None
    assert len(calls) == 4  # role, first content (learns), usage, [DONE]
