"""Issue 20, item 1: tools through the providers (OpenAI-compatible adapter, `evalscope serve`, HF).

Real parts: a scripted OpenAI-compatible server and `evalscope serve`'s app on 127.0.0.1, SmolLM2's
real tokenizer and chat template; the one stand-in is the served model that answers with tool calls
(`ScriptedToolModel`), since a real model's calls cannot be chosen.
"""

from __future__ import annotations

import asyncio
import json

import pytest

from evalscope.backends.openai_api.model import OpenAIModelAPI
from evalscope.backends.serve.app import create_app
from evalscope.core.features import UnsupportedFeatureError
from evalscope.core.models.mock import MockModelAPI
from evalscope.core.types import ChatMessage, ModelOutput, ModelRequest, RequestKind, ToolCall, ToolSpec
from evalscope.run import run_task
from tests.benchmarks.fc_models import ScriptedToolModel
from tests.e2e.scripted_server import Reply, ScriptedServer

try:
    from .serve_fixture import local_app, sse_events
except ImportError:  # tests/backends is not a package
    from serve_fixture import local_app, sse_events

WEATHER = ToolSpec(
    "get_weather",
    "Current weather of a city.",
    {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
)
TIME = ToolSpec(
    "get_time", "Local time of a city.", {"type": "object", "properties": {"city": {"type": "string"}}}
)
BAD = '{"city": "Paris"'


def _request(**extra) -> ModelRequest:
    return ModelRequest(
        RequestKind.GENERATE,
        messages=[ChatMessage("user", "Weather and time in Paris?")],
        tools=[WEATHER, TIME],
        **extra,
    )


def _ask(url: str, request: ModelRequest, *, stream: bool) -> ModelOutput:
    async def go() -> ModelOutput:
        api = OpenAIModelAPI("scripted", api_url=url, stream=stream)
        try:
            (out,) = await api.call([request])
            return out
        finally:
            await api.aclose()

    return asyncio.run(go())


@pytest.mark.slow
@pytest.mark.usefixtures("http_client")
def test_openai_adapter_sends_tools_choice_and_a_tool_conversation():
    with ScriptedServer(lambda text, body: Reply("It is sunny.")) as server:
        conversation = [
            ChatMessage("user", "Weather in Paris?"),
            ChatMessage(
                "assistant",
                "",
                tool_calls=[
                    ToolCall("c1", "get_weather", {"city": "Paris"}),
                    ToolCall.parse("c2", "get_time", BAD),
                ],
            ),
            ChatMessage("tool", "sunny, 21 C", tool_call_id="c1"),
        ]
        request = ModelRequest(
            RequestKind.GENERATE,
            messages=conversation,
            tools=[WEATHER, TIME],
            tool_choice="get_weather",
            parallel_tool_calls=False,
        )
        out = _ask(server.url, request, stream=False)
    ((_, body),) = server.requests
    assert out.text == "It is sunny." and out.tool_calls is None
    assert body["tools"] == [
        {
            "type": "function",
            "function": {"name": t.name, "description": t.description, "parameters": t.parameters},
        }
        for t in (WEATHER, TIME)
    ]
    assert body["tool_choice"] == {"type": "function", "function": {"name": "get_weather"}}
    assert body["parallel_tool_calls"] is False
    assistant, tool = body["messages"][1:]
    assert assistant["content"] is None
    assert [c["function"] for c in assistant["tool_calls"]] == [
        {"name": "get_weather", "arguments": '{"city": "Paris"}'},
        {"name": "get_time", "arguments": BAD},  # sent back as the model wrote it
    ]
    assert [c["id"] for c in assistant["tool_calls"]] == ["c1", "c2"]
    assert tool == {"role": "tool", "content": "sunny, 21 C", "tool_call_id": "c1"}


def _served_calls(request: ModelRequest) -> list[tuple[str, dict]] | str:
    text = request.messages[-1].text
    if "time" in text:
        return [("get_weather", {"city": "Paris"}), ("get_time", {"city": "Paris"})]
    return "No tool needed."


class BrokenCallModel(ScriptedToolModel):
    """Answers with one call whose arguments are not valid JSON."""

    async def call(self, requests):  # type: ignore[no-untyped-def]
        self.requests.extend(requests)
        call = ToolCall.parse("x", "get_weather", BAD)
        return [ModelOutput(text="", tool_calls=[call], finish_reason="tool_calls") for _ in requests]


def _through_serve(api, requests: list[ModelRequest], *, stream: bool) -> tuple[list[ModelOutput], list]:
    async def go():
        raw = []
        async with local_app(create_app(api, model_name="served")) as url:
            import aiohttp

            async with aiohttp.ClientSession() as session:
                body = {"model": "served", "messages": [{"role": "user", "content": "Weather and time?"}],
                        "tools": [{"type": "function", "function": {"name": "get_weather", "parameters": WEATHER.parameters}}],
                        "stream": stream}  # fmt: skip
                async with session.post(f"{url}/chat/completions", json=body) as response:
                    assert response.status == 200
                    raw.append(await response.read())
            client = OpenAIModelAPI("served", api_url=url, stream=stream)
            try:
                return await client.call(requests), raw
            finally:
                await client.aclose()

    return asyncio.run(go())


@pytest.mark.slow
@pytest.mark.parametrize("stream", [False, True], ids=["whole", "streamed"])
@pytest.mark.usefixtures("http_client")
def test_serve_returns_tool_calls_and_the_adapter_reads_them_back(stream):
    model = ScriptedToolModel(_served_calls)
    asked = [
        _request(tool_choice="auto", parallel_tool_calls=True),
        ModelRequest(RequestKind.GENERATE, messages=[ChatMessage("user", "Hello")], tools=[WEATHER]),
    ]
    (calls, text), (raw,) = _through_serve(model, asked, stream=stream)
    # the served model got the tools, the choice and the flag
    seen = model.requests[-2] if model.requests[-1].messages[-1].text == "Hello" else model.requests[-1]
    assert [t.name for t in seen.tools] == ["get_weather", "get_time"] and seen.tool_choice == "auto"
    assert seen.parallel_tool_calls is True
    assert [(c.name, c.arguments, c.parse_error) for c in calls.tool_calls] == [
        ("get_weather", {"city": "Paris"}, None), ("get_time", {"city": "Paris"}, None)]  # fmt: skip
    assert calls.finish_reason == "tool_calls" and calls.text == ""
    assert text.tool_calls is None and text.text == "No tool needed." and text.finish_reason == "stop"
    if stream:
        events = [json.loads(e) for e in sse_events(raw) if e != "[DONE]"]
        deltas = [d for e in events for c in e["choices"] for d in c["delta"].get("tool_calls", [])]
        assert deltas[0]["function"] == {"name": "get_weather", "arguments": ""} and deltas[0][
            "id"
        ].startswith("call_")
        assert events[-1]["choices"][0]["finish_reason"] == "tool_calls"
    else:
        message = json.loads(raw)["choices"][0]["message"]
        assert message["content"] is None and message["tool_calls"][0]["type"] == "function"


@pytest.mark.slow
@pytest.mark.parametrize("stream", [False, True], ids=["whole", "streamed"])
@pytest.mark.usefixtures("http_client")
def test_arguments_that_are_not_json_pass_through_serve_verbatim_and_flagged(stream):
    (out,), _ = _through_serve(BrokenCallModel(_served_calls), [_request()], stream=stream)
    (call,) = out.tool_calls
    assert call.name == "get_weather" and call.raw_arguments == BAD and call.arguments == {}
    assert call.parse_error.startswith("not valid JSON")


def test_serve_refuses_a_tool_choice_naming_no_offered_tool():
    from evalscope.backends.serve.protocol import BadRequest, parse_body

    body = {"messages": [{"role": "user", "content": "hi"}], "tools": [
        {"type": "function", "function": {"name": "get_weather"}}], "tool_choice": {"type": "function", "function": {"name": "nope"}}}  # fmt: skip
    with pytest.raises(BadRequest, match="nope"):
        parse_body(body, chat=True)
    body["tool_choice"] = "required"
    assert parse_body(body, chat=True).request.tool_choice == "required"


class NoTools(MockModelAPI):
    features = frozenset()


def test_a_provider_without_tools_is_refused_a_tool_benchmark(tmp_path):
    with pytest.raises(
        UnsupportedFeatureError, match=r"bfcl_v4: needs tools, which the model provider NoTools"
    ):
        run_task(
            {"model": "mock", "datasets": ["bfcl_v4"], "limit": 1, "work_dir": str(tmp_path), "no_timestamp": True,
             "dataset_args": {"bfcl_v4": {"subset_list": ["simple_python"]}}},
            model=NoTools(), print_table=False,
        )  # fmt: skip
    assert not list(tmp_path.rglob("*.jsonl"))  # refused while planning: nothing asked, nothing written


# ---- HF: the chat template or the prompt ---------------------------------------------------------

TOOLS_TEMPLATE = (
    "{% if tools %}<|im_start|>system\nTOOLS: {{ tools | tojson }}<|im_end|>\n{% endif %}"
    "{% for message in messages %}<|im_start|>{{ message['role'] }}\n{{ message['content'] }}"
    "{% if message.tool_calls %}{% for c in message.tool_calls %}<tool_call>{{ c.function | tojson }}</tool_call>"
    "{% endfor %}{% endif %}<|im_end|>\n{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)


@pytest.fixture(scope="module")
def tokenizer(smollm2_path):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(smollm2_path)


def test_smollm2_template_takes_no_tools_so_they_go_into_the_system_prompt(tokenizer):
    from evalscope.backends.hf import prompts

    assert prompts.tool_mode(tokenizer) == "prompt"
    conversation = [
        ChatMessage("user", "Weather in Paris?"),
        ChatMessage("assistant", "", tool_calls=[ToolCall("c1", "get_weather", {"city": "Paris"})]),
        ChatMessage("tool", "sunny", tool_call_id="c1"),
    ]
    request = ModelRequest(RequestKind.GENERATE, messages=conversation, tools=[WEATHER])
    text, templated = prompts.render_prompt(tokenizer, request)
    assert templated and text.startswith("<|im_start|>system\nYou are an expert in composing function calls.")
    assert '"name": "get_weather", "description": "Current weather of a city."' in text
    assert "[func_name1(param1=value1" in text
    assert "<|im_start|>assistant\n[get_weather(city='Paris')]<|im_end|>" in text
    assert "<|im_start|>user\nResult of get_weather: sunny<|im_end|>" in text
    # tool_choice "none": the model is shown no tools
    plain, _ = prompts.render_prompt(tokenizer, ModelRequest(
        RequestKind.GENERATE, messages=conversation[:1], tools=[WEATHER], tool_choice="none"))  # fmt: skip
    assert "get_weather" not in plain


def test_a_template_that_reads_tools_gets_them_natively(tokenizer):
    from evalscope.backends.hf import prompts

    tokenizer = tokenizer.__class__.from_pretrained(tokenizer.name_or_path)
    tokenizer.chat_template = TOOLS_TEMPLATE
    assert prompts.tool_mode(tokenizer) == "native chat template"
    request = ModelRequest(RequestKind.GENERATE, messages=[
        ChatMessage("user", "Weather?"), ChatMessage("assistant", "", tool_calls=[ToolCall("c1", "get_weather", {"city": "Rome"})])],
        tools=[WEATHER])  # fmt: skip
    text, _ = prompts.render_prompt(tokenizer, request)
    assert text.startswith(
        '<|im_start|>system\nTOOLS: [{"type": "function", "function": {"name": "get_weather", "description"'
    )
    assert '<tool_call>{"name": "get_weather", "arguments": {"city": "Rome"}}</tool_call>' in text
    assert "composing function calls" not in text


@pytest.mark.parametrize(
    ("text", "calls", "flagged"),
    [
        (
            "[get_weather(city='Paris'), get_time(city='Rome')]",
            [("get_weather", {"city": "Paris"}), ("get_time", {"city": "Rome"})],
            False,
        ),
        (
            '<tool_call>\n{"name": "get_weather", "arguments": {"city": "Oslo"}}\n</tool_call>',
            [("get_weather", {"city": "Oslo"})],
            False,
        ),
        (
            '<tool_call>{"name": "get_weather", "arguments": {"city": "Oslo",}}</tool_call>',
            [("get_weather", {})],
            True,
        ),
        ("It is sunny in Paris.", None, False),
    ],
)
def test_answers_read_back_into_tool_calls(text, calls, flagged):
    from evalscope.backends.hf import prompts

    out = prompts.with_tool_calls(ModelOutput(text=text, finish_reason="stop"), _request())
    got = None if out.tool_calls is None else [(c.name, c.arguments) for c in out.tool_calls]
    assert got == calls
    assert out.text == text  # the answer's text is kept
    assert out.finish_reason == ("tool_calls" if calls else "stop")
    assert bool(out.tool_calls and out.tool_calls[0].parse_error) is flagged
