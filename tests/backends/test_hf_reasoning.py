"""Issue 16, item 2 with local models: answers cut at max_tokens counted (the real SmolLM2, locally
and through `evalscope serve`), `<think>` text kept apart from the answer (the HF adapter's step,
serve's JSON and SSE), thinking controls reaching the chat template."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence

import aiohttp
import pytest

from evalscope.backends.hf.model import HFModelAPI
from evalscope.backends.serve.app import create_app
from evalscope.core.ports import ModelAPI
from evalscope.core.reasoning import with_reasoning_apart
from evalscope.core.types import ChatMessage, GenerationConfig, ModelOutput, ModelRequest, RequestKind, Usage
from evalscope.run import run_task

try:
    from .serve_fixture import local_app, serve_server, sse_events  # noqa: F401 - fixture
except ImportError:  # run as a rootdir-less module
    from serve_fixture import local_app, serve_server, sse_events  # type: ignore[no-redef]  # noqa: F401

pytestmark = pytest.mark.slow
LIMIT = 3
#: renders the template keyword it is given, so the prompt shows whether it arrived
THINKING_TEMPLATE = (
    "{% if enable_thinking is defined and not enable_thinking %}/no_think thinking is off today.\n{% endif %}"
    "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n{% endfor %}"
    "<|im_start|>assistant\n"
)


def _chat(text: str, **config: object) -> ModelRequest:
    return ModelRequest(RequestKind.GENERATE, messages=[ChatMessage("user", text)], config=GenerationConfig(**config))


def _report(run_dir, dataset: str) -> dict:
    (path,) = run_dir.glob(f"**/reports/*/{dataset}.json")
    return json.loads(path.read_text())


def test_smollm2_at_max_tokens_8_on_gsm8k_every_answer_is_counted_cut(dataset_dir, tmp_path):
    result = run_task(
        {
            "model": "smollm2-135m-instruct",
            "datasets": ["gsm8k"],
            "limit": LIMIT,
            "generation_config": {"max_tokens": 8},
            "dataset_dir": str(dataset_dir),
            "work_dir": str(tmp_path),
        }
    )
    report = _report(tmp_path, "gsm8k")
    assert report["counts"]["cut"] == LIMIT == report["counts"]["scored"]
    assert report["usage"]["output_tokens"] == 8 * LIMIT and report["usage"]["mean_output_tokens"] == 8.0
    assert result.reports["gsm8k"].counts.cut == LIMIT


def test_through_serve_the_same_run_sees_the_same_cut_count(serve_server, dataset_dir, tmp_path):
    run_task(
        {
            "model": "smollm2-135m-instruct",
            "eval_type": "service",
            "api_url": serve_server.base_url,
            "datasets": ["gsm8k"],
            "limit": LIMIT,
            "generation_config": {"max_tokens": 8, "chat_template_kwargs": {"enable_thinking": False}},
            "dataset_dir": str(dataset_dir),
            "work_dir": str(tmp_path),
        }
    )
    report = _report(tmp_path, "gsm8k")
    assert report["counts"]["cut"] == LIMIT == report["counts"]["scored"]
    assert report["usage"]["output_tokens"] == 8 * LIMIT


def test_serve_answers_finish_reason_length_streamed_and_not(serve_server):
    import openai

    client = openai.OpenAI(base_url=serve_server.base_url, api_key="x")
    messages = [{"role": "user", "content": "Write a long story about a dragon."}]
    whole = client.chat.completions.create(model="smollm2-135m-instruct", messages=messages, max_tokens=4)
    assert whole.choices[0].finish_reason == "length" and whole.usage.completion_tokens == 4
    stream = client.chat.completions.create(
        model="smollm2-135m-instruct", messages=messages, max_tokens=4, stream=True
    )
    reasons = [c.choices[0].finish_reason for c in stream if c.choices and c.choices[0].finish_reason]
    assert reasons == ["length"]
    with pytest.raises(openai.BadRequestError, match="chat_template_kwargs"):
        client.chat.completions.create(
            model="smollm2-135m-instruct", messages=messages, max_tokens=4, extra_body={"chat_template_kwargs": 3}
        )


def test_chat_template_kwargs_reach_the_template_of_the_real_model():
    api = HFModelAPI("smollm2-135m-instruct", {"chat_template": THINKING_TEMPLATE})
    plain, off = asyncio.run(
        api.call([_chat("Hi", max_tokens=1), _chat("Hi", max_tokens=1, chat_template_kwargs={"enable_thinking": False})])
    )
    words = len(api.tokenizer("/no_think thinking is off today.\n", add_special_tokens=False)["input_ids"])
    assert off.usage.input_tokens == plain.usage.input_tokens + words


def test_the_hf_adapter_keeps_think_text_apart_and_counts_its_tokens(hf_api):
    closed = hf_api._reasoning_apart(ModelOutput(text="<think>7 apples, minus 2</think>\nThe answer is 5.", finish_reason="stop"))
    assert (closed.text, closed.reasoning) == ("The answer is 5.", "7 apples, minus 2")
    assert closed.usage.reasoning_tokens == len(hf_api.tokenizer("7 apples, minus 2", add_special_tokens=False)["input_ids"])
    unclosed = hf_api._reasoning_apart(ModelOutput(text="<think>so the answer is 5", finish_reason="length"))
    assert (unclosed.text, unclosed.reasoning) == ("", "so the answer is 5")


class ThinkingAPI(ModelAPI):
    """A local model that writes `<think>…</think>` before its answer, token by token, and stops at
    max_tokens pieces (a model of that kind cannot be made from SmolLM2)."""

    streams = True
    PIECES = ["<th", "ink>I guess", " 7", "</think", ">", "The answer", " is 42."]

    def __init__(self) -> None:
        super().__init__("thinker")
        self.max_batch_size = 4

    async def call(self, requests: Sequence[ModelRequest]) -> list[ModelOutput]:
        return await self.call_streaming(requests, lambda i, piece: None)

    async def call_streaming(self, requests, on_delta):  # type: ignore[override]
        outs = []
        for i, r in enumerate(requests):
            pieces = self.PIECES[: r.config.max_tokens or len(self.PIECES)]
            for piece in pieces:
                on_delta(i, piece)
            reason = "length" if len(pieces) < len(self.PIECES) else "stop"
            out = ModelOutput(text="".join(pieces), usage=Usage(3, len(pieces)), finish_reason=reason)
            outs.append(with_reasoning_apart(out))
        return outs


def test_serve_sends_think_text_as_reasoning_content_never_as_content():
    async def go():
        async with local_app(create_app(ThinkingAPI())) as base, aiohttp.ClientSession() as s:
            body = {"model": "thinker", "messages": [{"role": "user", "content": "q"}]}
            async with s.post(f"{base}/chat/completions", json=body) as resp:
                whole = await resp.json()
            async with s.post(f"{base}/chat/completions", json={**body, "stream": True}) as resp:
                streamed = sse_events(await resp.read())
            async with s.post(f"{base}/chat/completions", json={**body, "max_tokens": 3}) as resp:
                cut = await resp.json()
            return whole, streamed, cut

    whole, streamed, cut = asyncio.run(go())
    message = whole["choices"][0]["message"]
    assert (message["content"], message["reasoning_content"]) == ("The answer is 42.", "I guess 7")
    assert whole["choices"][0]["finish_reason"] == "stop"
    deltas = [json.loads(e)["choices"][0]["delta"] for e in streamed[:-1] if json.loads(e)["choices"]]
    content = "".join(d.get("content") or "" for d in deltas)
    reasoning = "".join(d.get("reasoning_content") or "" for d in deltas)
    assert (content, reasoning) == ("The answer is 42.", "I guess 7")
    assert cut["choices"][0]["finish_reason"] == "length"
    assert cut["choices"][0]["message"]["content"] == "" and cut["choices"][0]["message"]["reasoning_content"] == "I guess 7"
