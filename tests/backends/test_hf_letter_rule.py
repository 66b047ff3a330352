"""The option-letter rules on the real SmolLM2: EvalScope 0.12's bare letter token vs our sum of
"A" and " A", checked against one manual forward pass over an MMLU prompt of the 0.12 style."""

from __future__ import annotations

import asyncio

import pytest
import torch

from evalscope.backends.hf.model import HFModelAPI
from evalscope.benchmarks import get_benchmark
from evalscope.config import DatasetArgs
from evalscope.core.tasks import DatasetLoader, build_task, load_samples
from evalscope.core.types import ModelRequest, RequestKind

pytestmark = pytest.mark.slow


def mmlu_012_requests(dataset_dir, n: int) -> list[ModelRequest]:
    args = DatasetArgs(prompt_style="evalscope-0.12", subset_list=["world_religions"])
    task = build_task(get_benchmark("mmlu"), args=args, capabilities=frozenset(RequestKind), generation_config=None, seed=42)
    return [task.build_request(s) for s in load_samples(task, DatasetLoader(str(dataset_dir)), args, n)]


def next_token_probs(api: HFModelAPI, prompt: str) -> torch.Tensor:
    """Softmax of the last position after the raw prompt, one unpadded forward."""
    ids = api.tokenizer(prompt)["input_ids"]
    with torch.inference_mode():
        logits = api.hf_model(torch.tensor([ids])).logits[0, -1].float()
    return torch.softmax(logits, dim=-1)


def test_bare_rule_is_the_bare_letter_token_probability(hf_api: HFModelAPI, dataset_dir) -> None:
    bare_request, longer = mmlu_012_requests(dataset_dir, 2)
    assert bare_request.letter_rule == "bare" and bare_request.messages is None
    summed_request = ModelRequest(RequestKind.CHOICE_PROBS, prompt=bare_request.prompt, choices=bare_request.choices)
    bare, summed = asyncio.run(hf_api.call([bare_request, summed_request]))

    tok = hf_api.tokenizer
    probs = next_token_probs(hf_api, bare_request.prompt)
    bare_ids = [tok(letter)["input_ids"][-1] for letter in "ABCD"]  # how 0.12 picked the token
    space_ids = [tok.encode(" " + letter, add_special_tokens=False) for letter in "ABCD"]
    assert all(len(ids) == 1 for ids in space_ids) and [i[0] for i in space_ids] != bare_ids
    assert bare.scores == pytest.approx([probs[i].item() for i in bare_ids], abs=1e-5)
    assert summed.scores == pytest.approx([probs[b].item() + probs[s[0]].item() for b, s in zip(bare_ids, space_ids)], abs=1e-5)
    assert all(s > b for s, b in zip(summed.scores, bare.scores))  # " A" adds real mass after "Answer:"

    # no batch-dependent padding: alone or beside a longer prompt, the same numbers
    alone = asyncio.run(hf_api.call([bare_request]))[0]
    beside = asyncio.run(hf_api.call([longer, bare_request]))[1]
    assert len(longer.prompt) != len(bare_request.prompt)
    assert alone.scores == pytest.approx(bare.scores, abs=1e-5)
    assert beside.scores == pytest.approx(bare.scores, abs=1e-4)
