"""The shapes the next issues build on: messages with content parts, tool calls and tool results,
requests offering tools, outputs with tool calls, reasoning, usage and per-choice finish reasons,
multi-turn items, repeats (`SampleKey`), and provider features.

Each new type round-trips through the project's cattrs converter (as JSON text) and through both
stores (the run dir's JSONL files and the SQL store), read back as a user reads a run (`open_reader`);
records written before these shapes (no such fields) still load, today's records keep their exact
JSON and today's request keys their digest; a task needing a feature its provider lacks is refused
in one line.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from pathlib import Path

import attrs
import pytest

from evalscope.core.features import (
    UnsupportedFeatureError,
    request_features,
    require_features,
    sample_features,
)
from evalscope.core.models.mock import MockModelAPI
from evalscope.core.ports import ResultFilter, RunInfo, new_run_id
from evalscope.core.serialization import structure, unstructure
from evalscope.core.stores import WorkDirStore, open_reader
from evalscope.core.stores.select import store_for_url
from evalscope.core.stores.workdir import RECORD_KEY
from evalscope.core.types import (
    ChatMessage,
    ContentImage,
    ContentText,
    Feature,
    GenerationConfig,
    ModelChoice,
    ModelOutput,
    ModelRequest,
    RequestKind,
    Sample,
    SampleKey,
    SampleResult,
    SampleStatus,
    ToolCall,
    ToolSpec,
    Usage,
)

WEATHER = ToolSpec(
    "get_weather",
    "Current weather of a city",
    {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
)
GOOD_CALL = ToolCall.parse("call_1", "get_weather", '{"city": "Paris"}')
BAD_CALL = ToolCall.parse("call_2", "get_weather", '{"city": Paris')  # what a small model writes


def conversation() -> list[ChatMessage]:
    """A tool-using conversation: a system prompt, a user turn in parts, the model's calls, a result."""
    return [
        ChatMessage("system", "You can call tools."),
        ChatMessage(
            "user", [ContentText("Weather in Paris?"), ContentImage("data:image/png;base64,iVBORw0=", "low")]
        ),
        ChatMessage("assistant", "", tool_calls=[GOOD_CALL, BAD_CALL]),
        ChatMessage("tool", '{"temp_c": 21}', tool_call_id="call_1"),
    ]


def shaped_output() -> ModelOutput:
    return ModelOutput(
        text="It is 21 C in Paris.",
        texts=["It is 21 C in Paris.", "Sunny."],
        usage=Usage(input_tokens=40, output_tokens=30, reasoning_tokens=12),
        finish_reason="stop",
        reasoning="The tool said 21.",
        tool_calls=[GOOD_CALL],
        choices=[
            ModelChoice("It is 21 C in Paris.", "stop", [GOOD_CALL], "The tool said 21."),
            ModelChoice("Sunny.", "length", [BAD_CALL], None),
        ],
        model="m",
    )


def shaped_result(repeat: int = 0, answer: str = "It is 21 C in Paris.") -> SampleResult:
    sample = Sample(
        id="q1",
        input=conversation(),
        target="21",
        subset="main",
        turns=[ChatMessage("user", "And tomorrow?"), ChatMessage("user", [ContentText("In Fahrenheit.")])],
    )
    key = SampleKey("main", "q1", repeat)
    output = attrs.evolve(shaped_output(), text=answer)
    return SampleResult(
        sample_id=key.record_id,
        subset="main",
        request_key=f"abc123:{repeat}",
        output=output,
        sample=sample,
        filtered=answer,
        prediction="21",
        gold="21",
        scores={"acc": 1.0},
        status=SampleStatus.SCORED,
        repeat=repeat,
    )


def json_round_trip(obj, cls):
    return structure(json.loads(json.dumps(unstructure(obj))), cls)


# -- the converter ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "obj",
    [
        GOOD_CALL,
        BAD_CALL,
        WEATHER,
        ContentText("hi"),
        ContentImage("https://example.org/cat.png", "high"),
        *conversation(),
        ModelChoice("x", "length", [BAD_CALL], "thinking"),
        Usage(3, 5, 2),
        shaped_output(),
        Sample("q1", conversation(), turns=[ChatMessage("user", "And tomorrow?")]),
        SampleKey("main", "q1", 3),
        shaped_result(2),
        ModelRequest(
            RequestKind.GENERATE,
            messages=conversation(),
            config=GenerationConfig(n=4),
            tools=[WEATHER],
            tool_choice="get_weather",
            parallel_tool_calls=False,
        ),
    ],
    ids=lambda o: type(o).__name__,
)
def test_each_shape_round_trips_through_the_converter_as_json(obj):
    assert json_round_trip(obj, type(obj)) == obj


def test_a_tool_call_whose_arguments_are_not_json_is_kept_verbatim_and_flagged():
    assert GOOD_CALL.arguments == {"city": "Paris"} and GOOD_CALL.parse_error is None
    assert BAD_CALL.arguments == {}
    assert BAD_CALL.raw_arguments == '{"city": Paris'
    assert BAD_CALL.parse_error.startswith("not valid JSON")
    listed = ToolCall.parse("c", "f", "[1, 2]")
    assert listed.parse_error == "not a JSON object: list" and listed.raw_arguments == "[1, 2]"


def test_content_reads_as_text_either_way_and_stores_tagged_parts():
    parts = conversation()[1]
    assert parts.text == "Weather in Paris?"
    assert ChatMessage("user", "plain").text == "plain"
    assert ChatMessage("user", "plain").parts == [ContentText("plain")]
    assert unstructure(parts)["content"] == [
        {"type": "text", "text": "Weather in Paris?"},
        {"type": "image", "image": "data:image/png;base64,iVBORw0=", "detail": "low"},
    ]
    # OpenAI's spelling of an image part reads as the same part
    openai = {"role": "user", "content": [{"type": "image_url", "image_url": {"url": "https://x/c.png"}}]}
    assert structure(openai, ChatMessage).content == [ContentImage("https://x/c.png")]


def test_completions_and_the_assistant_message_of_an_output():
    out = shaped_output()
    assert [c.finish_reason for c in out.completions()] == ["stop", "length"]
    legacy = ModelOutput(
        text="a", texts=["a", "b"], finish_reason="stop", reasoning="r", tool_calls=[GOOD_CALL]
    )
    assert legacy.completions() == [ModelChoice("a", "stop", [GOOD_CALL], "r"), ModelChoice("b")]
    assert out.message == ChatMessage("assistant", "It is 21 C in Paris.", tool_calls=[GOOD_CALL])


def test_tool_choice_names_an_offered_tool():
    with pytest.raises(ValueError, match="tool_choice: 'get_time' is neither"):
        ModelRequest(RequestKind.GENERATE, messages=conversation(), tools=[WEATHER], tool_choice="get_time")


def test_repeat_zero_keeps_the_item_id_and_later_repeats_are_their_own_records():
    assert SampleKey("main", "q1").record_id == "q1"
    assert SampleKey("main", "q1", 3).record_id == "q1@r3"
    assert SampleKey.repeat_of("q1@r3", "q1") == 3
    assert SampleKey.repeat_of("q1", "q1") == 0
    assert SampleKey.repeat_of("item@r2", "item@r2") == 0  # an id that merely looks like a repeat
    assert shaped_result(3).key == SampleKey("main", "q1", 3)
    assert shaped_result(0).sample_id == "q1"


# -- records written before these shapes --------------------------------------------------------


OLD_RECORD = {  # a SampleResult as records were written before tools, parts, turns and repeats
    "sample_id": "7",
    "subset": "default",
    "request_key": "abc123:ff00",
    "output": {
        "text": "The answer is A.",
        "texts": None,
        "scores": None,
        "token_counts": None,
        "logprobs": None,
        "usage": {"input_tokens": 1, "output_tokens": 4},
        "finish_reason": "stop",
        "latency": 0.0,
        "ttft": None,
        "model": "mock",
        "error": None,
        "reasoning": None,
        "prompt_truncated": False,
    },
    "sample": {
        "id": "7",
        "input": [{"role": "user", "content": "Pick one"}],
        "target": "A",
        "choices": None,
        "subset": "default",
        "metadata": {},
    },
    "filtered": "A",
    "prediction": "A",
    "gold": "A",
    "scores": {"acc": 1.0},
    "category": [],
    "error": None,
    "status": "scored",
    "details": {},
}


def test_an_old_record_loads_and_todays_shapes_write_exactly_the_old_json():
    old = structure(OLD_RECORD, SampleResult)
    assert old.repeat == 0 and old.key == SampleKey("default", "7", 0)
    assert old.sample.turns == [] and old.sample.input == [ChatMessage("user", "Pick one")]
    assert old.output.tool_calls is None and old.output.choices is None
    assert old.output.usage == Usage(1, 4, 0)
    # nothing new is written while nothing new is used: old readers and byte-compared files agree
    assert unstructure(old) == OLD_RECORD


def test_request_keys_of_plain_requests_keep_their_digest():
    """A resumed run finds its stored answers only if the key of an unchanged request is unchanged."""
    request = ModelRequest(
        RequestKind.GENERATE, messages=[ChatMessage("system", "Be brief."), ChatMessage("user", "2+2?")]
    )
    payload = {  # the digest's payload as it was before tools, parts and tool calls
        "kind": "generate",
        "messages": [["system", "Be brief."], ["user", "2+2?"]],
        "prompt": None,
        "choices": None,
        # the config's fields as they were before the thinking controls (chat_template_kwargs,
        # reasoning_effort), which join the key only when set
        "config": {
            k: v
            for k, v in attrs.asdict(GenerationConfig()).items()
            if k not in ("chat_template_kwargs", "reasoning_effort")
        },
    }
    raw = json.dumps(payload, sort_keys=True, ensure_ascii=False)
    assert request.cache_key() == hashlib.sha256(raw.encode("utf-8")).hexdigest()[:16]
    thinking = attrs.evolve(request, config=GenerationConfig(chat_template_kwargs={"enable_thinking": False}))
    assert thinking.cache_key() != request.cache_key()
    with_tools = attrs.evolve(request, tools=[WEATHER])
    with_call = attrs.evolve(
        request, messages=[*request.messages, ChatMessage("assistant", "", tool_calls=[GOOD_CALL])]
    )
    parts = attrs.evolve(
        request, messages=[ChatMessage("system", "Be brief."), ChatMessage("user", [ContentText("2+2?")])]
    )
    assert len({request.cache_key(), with_tools.cache_key(), with_call.cache_key(), parts.cache_key()}) == 4


# -- both stores ---------------------------------------------------------------------------------


def _run(tmp_path: Path) -> RunInfo:
    return RunInfo(
        run_id=new_run_id(), work_dir=str(tmp_path / "outputs" / "run1"), model_id="m", name="run1"
    )


def _writer(kind: str, tmp_path: Path):
    if kind == "workdir":
        return WorkDirStore(), str(tmp_path / "outputs")
    url = f"sqlite:///{tmp_path / 'results.db'}"
    return store_for_url(url), url


@pytest.mark.parametrize("kind", ["workdir", "sqlite"])
def test_shapes_and_repeats_round_trip_through_both_stores(kind, tmp_path):
    store, location = _writer(kind, tmp_path)
    run = _run(tmp_path)
    store.open(run)
    written = [shaped_result(0, "It is 21 C in Paris."), shaped_result(1, "Sunny."), shaped_result(2, "21")]
    for r in written:
        store.save_prediction(
            "weather", attrs.evolve(r, status=SampleStatus.PREDICTED, scores={}, prediction=None)
        )
        store.save_review("weather", r)
    loaded = store.load_results("weather")  # what a resumed run sees
    assert sorted(loaded) == [("main", "q1"), ("main", "q1@r1"), ("main", "q1@r2")]
    again = loaded[("main", "q1@r2")]  # the prediction (the work-dir store reads no review here)
    assert (again.key, again.sample, again.output) == (written[2].key, written[2].sample, written[2].output)
    store.update_run(attrs.evolve(run, status="finished", datasets=["weather"]))
    store.close()

    reader = open_reader(location)
    read = list(reader.iter_results(run.run_id))
    assert read == written
    assert [r.key for r in read] == [SampleKey("main", "q1", k) for k in (0, 1, 2)]
    got = read[0]
    assert got.sample.input[2].tool_calls[1].parse_error.startswith("not valid JSON")
    assert got.sample.input[3].tool_call_id == "call_1"
    assert got.sample.turns[1].text == "In Fahrenheit."
    assert got.output.usage.reasoning_tokens == 12 and got.output.choices[1].finish_reason == "length"
    # the text of parts and later turns is searchable like any prompt
    assert reader.count_results(run.run_id, ResultFilter(search="fahrenheit")) == 3


def _old_workdir_run(tmp_path: Path) -> str:
    """A run dir as written before these shapes: run info and one prediction line of the old form."""
    run = _run(tmp_path)
    store = WorkDirStore()
    store.open(run)
    store.update_run(attrs.evolve(run, status="finished", datasets=["arc"]))
    store.close()
    line = {
        "model": "mock",
        "object": "chat.completion",
        "created": 1_700_000_000,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": "The answer is A."},
                "finish_reason": "stop",
            }
        ],
        "usage": {"prompt_tokens": 1, "completion_tokens": 4, "total_tokens": 5},
        "subset_name": "default",
        "sample_id": "7",
        "answer_id": "abc123:ff00",
        "raw_input": OLD_RECORD["sample"]["input"],
        RECORD_KEY: {**OLD_RECORD, "status": "predicted", "scores": {}, "prediction": None, "filtered": None},
    }
    predictions = Path(run.work_dir) / "predictions" / "m"
    predictions.mkdir(parents=True, exist_ok=True)
    (predictions / "arc_default.jsonl").write_text(json.dumps(line) + "\n", encoding="utf-8")
    return run.run_id


def test_old_records_still_load_from_both_stores(tmp_path):
    run_id = _old_workdir_run(tmp_path)
    (old,) = open_reader(tmp_path / "outputs").iter_results(run_id)
    assert (old.sample_id, old.repeat, old.output.usage, old.sample.turns) == ("7", 0, Usage(1, 4, 0), [])

    # SQL: rows whose JSON columns hold the old shapes (written by an older version)
    url = f"sqlite:///{tmp_path / 'old.db'}"
    store = store_for_url(url)
    run = _run(tmp_path)
    store.open(run)
    store.save_prediction("arc", structure(OLD_RECORD, SampleResult))
    store.close()
    with sqlite3.connect(tmp_path / "old.db") as db:
        db.execute("UPDATE predictions SET output = ?", (json.dumps(OLD_RECORD["output"]),))
        db.execute("UPDATE samples SET input = ?", (json.dumps(OLD_RECORD["sample"]),))
    (row,) = open_reader(url).iter_results(run.run_id)
    assert row.output == structure(OLD_RECORD["output"], ModelOutput)
    assert (row.repeat, row.sample.turns, row.sample.input[0].text) == (0, [], "Pick one")


# -- provider features ---------------------------------------------------------------------------


def test_a_task_needing_a_feature_its_provider_lacks_is_refused_in_one_line():
    from evalscope.backends.hf.model import HFModelAPI
    from evalscope.backends.openai_api.model import OpenAIModelAPI

    class NoToolsMock(MockModelAPI):  # the mock itself takes tools (and ignores them)
        features = frozenset({Feature.MULTI_TURN})

    with pytest.raises(UnsupportedFeatureError) as caught:
        require_features(NoToolsMock(), {Feature.TOOLS, Feature.MULTI_TURN}, task="bfcl_v4")
    message = str(caught.value)
    assert (
        message
        == "bfcl_v4: needs tools, which the model provider NoToolsMock (mock) does not support (it supports: multi_turn)"
    )
    assert "\n" not in message
    # what each adapter declares, read from its class (no model loaded, no server needed)
    require_features(OpenAIModelAPI, {Feature.TOOLS, Feature.N_CHOICES, Feature.REASONING}, task="bfcl_v4")
    require_features(HFModelAPI, {Feature.MULTI_TURN}, task="mt_bench")
    require_features(HFModelAPI, {Feature.REASONING}, task="aime24")  # <think> text kept apart
    require_features(HFModelAPI, {Feature.TOOLS}, task="bfcl_v4")  # the template or the system prompt
    with pytest.raises(UnsupportedFeatureError, match="mt_bench: needs images, .* HFModelAPI"):
        require_features(HFModelAPI, {Feature.TOOLS, Feature.IMAGES}, task="mt_bench")


def test_the_refusal_is_a_users_error_in_the_cli():
    import click

    from evalscope.cli.errors import user_errors

    with pytest.raises(click.ClickException) as caught, user_errors([]):
        require_features(
            MockModelAPI(),
            sample_features(Sample("1", "q", turns=[ChatMessage("user", "q2")])) | {Feature.N_CHOICES},
            task="mt_bench",
        )
    assert caught.value.message == (
        "mt_bench: needs n_choices, which the model provider MockModelAPI (mock) does not support (it supports: multi_turn, tools)"
    )


def test_what_requests_and_items_need():
    plain = ModelRequest(RequestKind.GENERATE, messages=[ChatMessage("user", "hi")])
    assert request_features(plain) == frozenset()
    tools = ModelRequest(
        RequestKind.GENERATE, messages=conversation(), tools=[WEATHER], config=GenerationConfig(n=3)
    )
    assert request_features(tools) == {Feature.TOOLS, Feature.N_CHOICES, Feature.IMAGES}
    assert sample_features(Sample("1", "q")) == frozenset()
    assert sample_features(shaped_result().sample) == {Feature.MULTI_TURN, Feature.TOOLS, Feature.IMAGES}
