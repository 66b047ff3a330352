"""HFModelAPI against the real SmolLM2-135M: generation, option-letter probabilities, loglikelihood."""

from __future__ import annotations

import asyncio
import math

import pytest
import torch

from evalscope.backends.hf.model import HFModelAPI
from evalscope.core.types import ChatMessage, GenerationConfig, ModelRequest, RequestKind

pytestmark = pytest.mark.slow

QUESTIONS = [
    "What is 2+2?",
    "Write a short poem about the sea, the moon and the stars at night.",
    "Hi",
    "Name three colours.",
]
MCQ = (
    "Question: What is the capital of France?\n"
    "A. Berlin\nB. Paris\nC. Madrid\nD. Rome\n"
    "Answer with the letter only."
)


def chat(question: str, **config) -> ModelRequest:
    return ModelRequest(
        RequestKind.GENERATE,
        messages=[ChatMessage("user", question)],
        config=GenerationConfig(**{"max_tokens": 8, **config}),
    )


def run(api: HFModelAPI, requests: list[ModelRequest]):
    return asyncio.run(api.call(requests))


def test_capabilities_and_identity(hf_api: HFModelAPI) -> None:
    assert hf_api.capabilities == {RequestKind.GENERATE, RequestKind.CHOICE_PROBS, RequestKind.LOGLIKELIHOOD}
    assert hf_api.max_batch_size == 4
    ident = hf_api.identity()
    assert ident["provider"] == "hf" and ident["model"] == "smollm2-135m-instruct"
    assert ident["path"].endswith("SmolLM2-135M-Instruct.Q4_1.gguf")
    assert ident["precision"] == "float32"  # the CPU default
    assert "revision" in ident


def test_batched_greedy_generation_equals_one_by_one(hf_api: HFModelAPI) -> None:
    requests = [chat(q) for q in QUESTIONS]  # prompts of different lengths: left padding matters
    batched = run(hf_api, requests)
    single = [run(hf_api, [r])[0] for r in requests]
    assert [o.text for o in batched] == [o.text for o in single]
    assert [o.usage.output_tokens for o in batched] == [o.usage.output_tokens for o in single]
    assert all(o.text.strip() for o in batched)
    for out in batched:
        assert out.usage.input_tokens > 20  # the chat template's system turn is included
        assert 0 < out.usage.output_tokens <= 8
        assert out.finish_reason in {"stop", "length"}
        assert out.latency is not None and out.latency > 0
    assert batched[1].finish_reason == "length" and batched[1].usage.output_tokens == 8


def test_length_stop_strings_and_logprobs(hf_api: HFModelAPI) -> None:
    counting = "1, 2, 3, 4, 5,"
    short, stopped, scored = run(
        hf_api,
        [
            ModelRequest(RequestKind.GENERATE, prompt=counting, config=GenerationConfig(max_tokens=3)),
            ModelRequest(
                RequestKind.GENERATE, prompt=counting, config=GenerationConfig(max_tokens=16, stop=["8"])
            ),
            ModelRequest(
                RequestKind.GENERATE, prompt=counting, config=GenerationConfig(max_tokens=4, logprobs=True)
            ),
        ],
    )
    assert short.finish_reason == "length" and short.usage.output_tokens == 3
    assert short.usage.input_tokens == len(hf_api.tokenizer(counting)["input_ids"])  # raw prompt, as-is
    assert stopped.finish_reason == "stop" and "8" not in stopped.text
    assert stopped.text.replace(" ", "").startswith("6,7,")
    assert scored.logprobs is not None and len(scored.logprobs) == scored.usage.output_tokens == 4
    assert "".join(t.token for t in scored.logprobs) == scored.text
    assert all(t.logprob <= 0 for t in scored.logprobs)
    assert math.exp(scored.logprobs[1].logprob) > 0.5  # "6" after "5," is near certain


def test_sampling_with_a_seed_is_reproducible(hf_api: HFModelAPI) -> None:
    request = chat("Tell me a word.", temperature=1.0, seed=7, max_tokens=5)
    first, second = run(hf_api, [request])[0].text, run(hf_api, [request])[0].text
    assert first == second


def test_choice_probs_prefer_the_right_letter(hf_api: HFModelAPI) -> None:
    chat_request = ModelRequest(
        RequestKind.CHOICE_PROBS, messages=[ChatMessage("user", MCQ)], choices=["A", "B", "C", "D"]
    )
    raw_request = ModelRequest(
        RequestKind.CHOICE_PROBS,
        prompt=MCQ.replace("Answer with the letter only.", "Answer:"),
        choices=["A", "B", "C", "D"],
    )
    batched = run(hf_api, [chat_request, raw_request])
    for out in batched:
        assert out.scores is not None and len(out.scores) == 4
        assert all(0 <= p <= 1 for p in out.scores)
        assert 0 < sum(out.scores) <= 1 + 1e-6
    chat_scores = batched[0].scores
    assert max(range(4), key=chat_scores.__getitem__) == 1  # B. Paris
    assert sum(chat_scores) > 0.5  # after the chat template the answer starts with a letter
    single = [run(hf_api, [r])[0] for r in (chat_request, raw_request)]
    for a, b in zip(batched, single, strict=True):
        assert a.scores == pytest.approx(b.scores, abs=1e-4)


def test_loglikelihood_ranks_and_matches_a_manual_forward(hf_api: HFModelAPI) -> None:
    context = "The capital of France is"
    requests = [
        ModelRequest(RequestKind.LOGLIKELIHOOD, prompt=context, choices=[" Paris", " a banana sandwich"]),
        ModelRequest(RequestKind.LOGLIKELIHOOD, prompt="One, two, three,", choices=[" four", " nineteen"]),
    ]
    batched = run(hf_api, requests)
    for out in batched:
        assert out.scores is not None and out.token_counts is not None
        assert out.scores[0] > out.scores[1]
        assert all(s < 0 for s in out.scores)
    assert batched[0].token_counts[1] > batched[0].token_counts[0] >= 1

    # manual: one unpadded forward over context + continuation
    tok, model = hf_api.tokenizer, hf_api.hf_model
    context_ids = tok(context)["input_ids"]
    whole = tok(context + " Paris")["input_ids"]
    assert whole[: len(context_ids)] == context_ids
    with torch.inference_mode():
        logits = model(torch.tensor([whole])).logits[0].float()
    logprobs = torch.log_softmax(logits, dim=-1)
    expected = sum(logprobs[i - 1, whole[i]].item() for i in range(len(context_ids), len(whole)))
    assert batched[0].scores[0] == pytest.approx(expected, abs=1e-3)
    assert batched[0].token_counts[0] == len(whole) - len(context_ids)

    single = [run(hf_api, [r])[0] for r in requests]
    for a, b in zip(batched, single, strict=True):
        assert a.scores == pytest.approx(b.scores, abs=1e-3)


def test_per_choice_contexts_score_the_shared_rest(hf_api: HFModelAPI) -> None:
    """Partial scoring (WinoGrande): `choices[i]` after `prompt + contexts[i]` is the same number
    as an ordinary request whose prompt already holds that context."""
    rest = " always got the easier cases."
    partial = ModelRequest(
        RequestKind.LOGLIKELIHOOD, prompt="Sarah was a much better surgeon than Maria so",
        contexts=[" Sarah", " Maria"], choices=[rest, rest],
    )
    plain = [
        ModelRequest(RequestKind.LOGLIKELIHOOD, prompt=f"Sarah was a much better surgeon than Maria so {name}", choices=[rest])
        for name in ("Sarah", "Maria")
    ]
    out, *singles = run(hf_api, [partial, *plain])
    assert out.scores == pytest.approx([s.scores[0] for s in singles], abs=1e-3)
    assert out.scores[0] != pytest.approx(out.scores[1], abs=1e-3)
    assert out.token_counts == [singles[0].token_counts[0]] * 2  # only the shared rest is scored
    bad = ModelRequest(RequestKind.LOGLIKELIHOOD, prompt="x", contexts=[" a"], choices=[" b", " c"])
    assert "contexts" in run(hf_api, [bad])[0].error


def test_loglikelihood_of_chat_context(hf_api: HFModelAPI) -> None:
    request = ModelRequest(
        RequestKind.LOGLIKELIHOOD,
        messages=[ChatMessage("user", "What is the capital of France?")],
        choices=["The capital of France is Paris.", "The capital of France is Tokyo."],
    )
    out = run(hf_api, [request])[0]
    assert out.scores[0] > out.scores[1]
    assert out.token_counts[0] == out.token_counts[1]


def test_core_model_wrapper_batches_concurrent_requests(hf_api: HFModelAPI) -> None:
    from evalscope.core.model import Model

    requests = [chat(q, max_tokens=6) for q in QUESTIONS]

    async def go():
        model = Model(hf_api, max_concurrency=1, cache=False)
        outs = await asyncio.gather(*(model.generate(r) for r in requests))
        return model.calls, outs

    calls, outs = asyncio.run(go())
    assert calls == 1  # four concurrent requests, one batch of four
    assert [o.text for o in outs] == [o.text for o in run(hf_api, requests)]


def test_mixed_kinds_in_one_call_are_refused(hf_api: HFModelAPI) -> None:
    with pytest.raises(ValueError, match="one request kind"):
        run(hf_api, [chat("hi"), ModelRequest(RequestKind.CHOICE_PROBS, prompt="x", choices=["A"])])


def test_n_completions_and_a_malformed_request_in_one_batch(hf_api: HFModelAPI) -> None:
    sampled = chat("Say a word.", temperature=1.0, seed=3, n=2, max_tokens=4)
    greedy = chat("Say a word.", n=2, max_tokens=4)
    broken = ModelRequest(RequestKind.GENERATE)  # neither messages nor prompt
    out_sampled, out_greedy, out_broken = run(hf_api, [sampled, greedy, broken])
    assert out_sampled.texts is not None and len(out_sampled.texts) == 2
    assert out_sampled.text == out_sampled.texts[0]
    assert out_greedy.texts is not None and out_greedy.texts[0] == out_greedy.texts[1]
    assert out_broken.error and "neither messages nor prompt" in out_broken.error
    assert out_sampled.error is None and out_greedy.error is None


def test_model_args_chat_template_and_precision() -> None:
    template = "{% for m in messages %}Q: {{ m['content'] }}\n{% endfor %}A:"
    api = HFModelAPI("SmolLM2-135M-Instruct", {"chat_template": template, "precision": "torch.bfloat16"})
    assert api.identity()["precision"] == "bfloat16" and api.hf_model.dtype == torch.bfloat16
    request = ModelRequest(RequestKind.CHOICE_PROBS, messages=[ChatMessage("user", "hi")], choices=["A", "B"])
    out = run(api, [request])[0]
    assert out.usage.input_tokens == len(api.tokenizer("Q: hi\nA:", add_special_tokens=False)["input_ids"])
    assert 0 < sum(out.scores) <= 1 + 1e-3
