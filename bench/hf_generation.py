"""Local generation speed: raw `model.generate` vs the HFModelAPI adapter vs the core Model wrapper.

Prints output tokens/s at batch 1 and batch 8 (greedy, same prompts, same max_new_tokens) and the
ratio adapter/raw. Run: python bench/hf_generation.py [--model smollm2-135m-instruct] [--max-new-tokens 32]
"""

from __future__ import annotations

import argparse
import asyncio
import time
from collections.abc import Callable

import torch
from evalscope.backends.hf.loader import load_model_and_tokenizer
from evalscope.backends.hf.model import HFModelAPI
from evalscope.core.types import GenerationConfig, ModelRequest, RequestKind

QUESTIONS = [
    "What is the capital of France?",
    "Explain photosynthesis in one paragraph.",
    "Write a haiku about autumn leaves.",
    "List three uses of a paperclip.",
    "Why is the sky blue?",
    "Give me a tip for learning a new language.",
    "What does a compiler do?",
    "Describe a cat to someone who has never seen one.",
]


def count_new_tokens(new: torch.Tensor, eos_ids: set[int]) -> int:
    """Generated tokens per row up to and including the first EOS (padding after it not counted)."""
    total = 0
    for row in new.tolist():
        end = next((i for i, t in enumerate(row) if t in eos_ids), None)
        total += len(row) if end is None else end + 1
    return total


def raw_generate(model, tokenizer, texts: list[str], max_new: int, eos_ids: set[int]) -> int:
    tokenizer.padding_side = "left"
    enc = tokenizer(texts, return_tensors="pt", padding=True, add_special_tokens=False)
    with torch.inference_mode():
        out = model.generate(
            **enc,
            max_new_tokens=max_new,
            do_sample=False,
            temperature=None,
            top_p=None,
            top_k=None,
            pad_token_id=tokenizer.pad_token_id,
        )
    return count_new_tokens(out[:, enc["input_ids"].shape[1] :], eos_ids)


def timed(fn: Callable[[], int], repeats: int) -> float:
    """Best tokens/s over `repeats` runs."""
    rates = []
    for _ in range(repeats):
        started = time.perf_counter()
        tokens = fn()
        rates.append(tokens / (time.perf_counter() - started))
    return max(rates)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", default="smollm2-135m-instruct")
    parser.add_argument("--max-new-tokens", type=int, default=32)
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()

    started = time.perf_counter()
    model, tokenizer, resolved = load_model_and_tokenizer(args.model)
    print(
        f"model {resolved.name} loaded in {time.perf_counter() - started:.1f} s; torch threads {torch.get_num_threads()}"
    )
    texts = [
        tokenizer.apply_chat_template(
            [{"role": "user", "content": q}], tokenize=False, add_generation_prompt=True
        )
        for q in QUESTIONS
    ]
    config = GenerationConfig(max_tokens=args.max_new_tokens, temperature=0.0)
    requests = [ModelRequest(RequestKind.GENERATE, prompt=t, config=config) for t in texts]
    # the chat text already holds its special tokens; the raw path tokenises without adding more
    api1 = HFModelAPI.from_loaded(model, tokenizer, name=args.model, resolved=resolved, batch_size=1)
    api8 = HFModelAPI.from_loaded(model, tokenizer, name=args.model, resolved=resolved, batch_size=8)
    eos_ids = api1.eos_ids
    raw_generate(model, tokenizer, texts[:2], 4, eos_ids)  # warm-up

    def adapter(api: HFModelAPI, size: int) -> int:
        total = 0
        for i in range(0, len(requests), size):
            outs = asyncio.run(api.call(requests[i : i + size]))
            total += sum(o.usage.output_tokens for o in outs)
        return total

    def wrapper(api: HFModelAPI) -> int | None:
        try:
            from evalscope.core.model import Model
        except ImportError:
            return None

        async def go() -> int:
            wrapped = Model(api, max_concurrency=1, cache=False)
            outs = await asyncio.gather(*(wrapped.generate(r) for r in requests))
            return sum(o.usage.output_tokens for o in outs)

        return asyncio.run(go())

    print(f"greedy, max_new_tokens={args.max_new_tokens}, {len(texts)} prompts, best of {args.repeats}")
    print(
        f"{'batch':>5} {'raw tok/s':>10} {'adapter tok/s':>14} {'ratio':>6} {'Model tok/s':>12} {'ratio':>6}"
    )
    for size, api in ((1, api1), (8, api8)):
        raw = timed(
            lambda size=size: sum(
                raw_generate(model, tokenizer, texts[i : i + size], args.max_new_tokens, eos_ids)
                for i in range(0, len(texts), size)
            ),
            args.repeats,
        )
        ours = timed(lambda size=size, api=api: adapter(api, size), args.repeats)
        if wrapper(api) is None:
            wrapped_text = f"{'n/a':>12} {'':>6}"
        else:
            wrapped = timed(lambda api=api: wrapper(api) or 0, args.repeats)
            wrapped_text = f"{wrapped:12.1f} {wrapped / raw:6.2f}"
        print(f"{size:5d} {raw:10.1f} {ours:14.1f} {ours / raw:6.2f} {wrapped_text}")


if __name__ == "__main__":
    main()
