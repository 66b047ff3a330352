"""Prompts longer than the context on the real SmolLM2: an error naming the numbers and the ways out
(truncation "error", the default), or a left cut that the output reports (truncation "left").

The loaded model is shared with the session's `hf_api`; a context of 64 tokens (`max_length`)
makes a long prompt cheap.
"""

from __future__ import annotations

import asyncio
import math

import pytest

from evalscope.backends.context_window import is_context_error
from evalscope.backends.hf.model import HFModelAPI
from evalscope.core.types import ChatMessage, GenerationConfig, ModelRequest, RequestKind

pytestmark = pytest.mark.slow

CONTEXT = 64
LONG = (
    " ".join(f"Fact {i}: the sky was blue on day {i}." for i in range(12))
    + " Question: what colour was the sky?"
)
SHORT = "The capital of France is"


def adapter(hf_api: HFModelAPI, truncation: str | None) -> HFModelAPI:
    options = {"truncation": truncation} if truncation else {}
    return HFModelAPI.from_loaded(
        hf_api.hf_model,
        hf_api.tokenizer,
        "smollm2-135m-instruct",
        hf_api.resolved,
        batch_size=4,
        max_length=CONTEXT,
        **options,
    )


def tokens(hf_api: HFModelAPI, text: str) -> int:
    return len(hf_api.tokenizer(text)["input_ids"])


def generate(prompt: str, max_tokens: int = 4) -> ModelRequest:
    return ModelRequest(RequestKind.GENERATE, prompt=prompt, config=GenerationConfig(max_tokens=max_tokens))


def run(api: HFModelAPI, requests: list[ModelRequest]):
    return asyncio.run(api.call(requests))


def test_the_default_is_error_and_unknown_modes_are_refused(hf_api: HFModelAPI) -> None:
    assert adapter(hf_api, None).truncation == "error"
    with pytest.raises(ValueError, match="truncation must be one of error, left"):
        adapter(hf_api, "right")


def test_generate_error_names_the_numbers_and_the_ways_out_and_the_batch_runs_on(hf_api: HFModelAPI) -> None:
    n_long = tokens(hf_api, LONG)
    assert n_long > CONTEXT
    fits, too_long, too_many_new = run(
        adapter(hf_api, "error"), [generate(SHORT), generate(LONG), generate(SHORT, max_tokens=CONTEXT)]
    )
    assert fits.error is None and fits.text and not fits.prompt_truncated
    assert fits.text == run(hf_api, [generate(SHORT)])[0].text  # the refused rows change nothing
    assert is_context_error(too_long.error)
    for part in (
        f"the prompt has {n_long} tokens",
        "max_tokens is 4",
        f"context of {CONTEXT} tokens",
        "`truncation: left`",
        "--truncation left",
        "Lower max_tokens",
    ):
        assert part in too_long.error, part
    assert too_long.text == "" and too_long.usage.input_tokens == n_long
    assert f"max_tokens is {CONTEXT}" in too_many_new.error  # a short prompt, but no room left for it


def test_generate_left_cuts_and_says_so(hf_api: HFModelAPI) -> None:
    api = adapter(hf_api, "left")
    cut, fits = run(api, [generate(LONG), generate(SHORT)])
    assert cut.error is None and cut.prompt_truncated and cut.text
    assert cut.usage.input_tokens == CONTEXT - 4  # the newest tokens that leave room for max_tokens
    assert not fits.prompt_truncated and fits.usage.input_tokens == tokens(hf_api, SHORT)
    # the answer is the one to the prompt's newest 60 tokens, given whole
    tail_ids = hf_api.tokenizer(LONG)["input_ids"][-(CONTEXT - 4) :]
    tail = hf_api.tokenizer.decode(tail_ids)
    assert hf_api.tokenizer(tail)["input_ids"] == tail_ids and tail.endswith("what colour was the sky?")
    assert cut.text == run(hf_api, [generate(tail)])[0].text


def test_left_never_cuts_a_prompt_to_a_few_tokens(hf_api: HFModelAPI) -> None:
    api = adapter(hf_api, "left")
    few, none = run(api, [generate(LONG, max_tokens=CONTEXT - 4), generate(LONG, max_tokens=CONTEXT)])
    assert is_context_error(few.error) and "room for only 4" in few.error
    assert f"below a quarter of the model's context ({CONTEXT // 4} tokens)" in few.error
    assert "Lower max_tokens" in few.error
    assert is_context_error(none.error) and "alone fills the model's context" in none.error
    assert not few.prompt_truncated and not none.prompt_truncated


def test_choice_probs_error_and_left(hf_api: HFModelAPI) -> None:
    n_long = tokens(hf_api, LONG + " Answer A or B:")
    request = ModelRequest(RequestKind.CHOICE_PROBS, prompt=LONG + " Answer A or B:", choices=["A", "B"])
    short = ModelRequest(RequestKind.CHOICE_PROBS, prompt="Answer A or B:", choices=["A", "B"])
    refused, fine = run(adapter(hf_api, "error"), [request, short])
    assert is_context_error(refused.error) and refused.scores is None
    assert (
        f"choice_probs request has {n_long} tokens" in refused.error and "--truncation left" in refused.error
    )
    assert fine.error is None and len(fine.scores) == 2
    cut, uncut = run(adapter(hf_api, "left"), [request, short])
    assert cut.error is None and cut.prompt_truncated and cut.usage.input_tokens == CONTEXT
    assert 0 < sum(cut.scores) <= 1 + 1e-4
    assert not uncut.prompt_truncated and uncut.scores == pytest.approx(fine.scores, abs=1e-5)


def test_loglikelihood_error_and_left_and_the_continuation_is_never_cut(hf_api: HFModelAPI) -> None:
    request = ModelRequest(RequestKind.LOGLIKELIHOOD, prompt=LONG, choices=[" Blue.", " Green."])
    short = ModelRequest(RequestKind.LOGLIKELIHOOD, prompt=SHORT, choices=[" Paris", " Rome"])
    too_long_answer = ModelRequest(RequestKind.LOGLIKELIHOOD, prompt=SHORT, choices=[LONG])
    refused, fine, refused_answer = run(adapter(hf_api, "error"), [request, short, too_long_answer])
    assert is_context_error(refused.error) and "loglikelihood request" in refused.error
    assert "--truncation left" in refused.error and refused.scores is None
    assert fine.error is None and fine.scores[0] > fine.scores[1]
    assert is_context_error(refused_answer.error)

    cut, uncut, still_refused = run(adapter(hf_api, "left"), [request, short, too_long_answer])
    assert cut.error is None and cut.prompt_truncated
    assert all(math.isfinite(s) and s < 0 for s in cut.scores)
    assert cut.token_counts == [
        tokens(hf_api, LONG + c) - tokens(hf_api, LONG) for c in (" Blue.", " Green.")
    ]
    assert cut.usage.input_tokens == 2 * CONTEXT  # each (context, continuation) pair fills the context
    assert not uncut.prompt_truncated and uncut.scores == pytest.approx(fine.scores, abs=1e-4)
    assert (
        is_context_error(still_refused.error) and "continuation leaves room for only" in still_refused.error
    )


def test_chat_prompts_are_checked_with_the_template_applied(hf_api: HFModelAPI) -> None:
    messages = [ChatMessage("user", "Hi")]
    templated = hf_api.tokenizer.apply_chat_template(
        [{"role": "user", "content": "Hi"}], tokenize=False, add_generation_prompt=True
    )
    n = len(hf_api.tokenizer(templated, add_special_tokens=False)["input_ids"])
    request = ModelRequest(
        RequestKind.GENERATE, messages=messages, config=GenerationConfig(max_tokens=CONTEXT - n + 1)
    )
    (out,) = run(adapter(hf_api, "error"), [request])
    # "Hi" is one token; the template's system turn is what leaves no room for max_tokens
    assert is_context_error(out.error) and f"the prompt has {n} tokens" in out.error


def test_a_huge_prompt_is_refused_without_tokenising_it(hf_api: HFModelAPI) -> None:
    from evalscope.backends.hf.length_bound import longest_token

    longest = longest_token(hf_api.tokenizer)
    assert longest == 81  # SmolLM2: byte-level BPE, no normaliser, so C characters >= C / 81 tokens
    huge = "word " * 200_000  # 1 MB: about 200k tokens, 12 500 by the bound
    (out,) = run(adapter(hf_api, "error"), [generate(huge)])
    assert is_context_error(out.error) and f"the prompt has at least {len(huge) // 81} tokens" in out.error
    (cut,) = run(adapter(hf_api, "left"), [generate(huge)])  # left needs the tokens: counted exactly
    assert cut.error is None and cut.prompt_truncated and cut.usage.input_tokens == CONTEXT - 4
