"""Local generation speed: raw `model.generate` vs the HFModelAPI adapter vs the core Model wrapper.

Prints output tokens/s at batch 1 and batch 8 (greedy, same prompts, same max_new_tokens) and the
ratios against raw generate. The adapter runs torch in a worker thread (asyncio.to_thread), so raw
generate is timed both on the main thread and on a worker thread; ratios use the worker-thread
raw number (same threading, so the ratio is the adapter's own overhead). On an oversubscribed CPU
torch's thread pool is much slower when driven from the main thread; the two raw columns show it. Run: python bench/hf_generation.py [--model smollm2-135m-instruct] [--max-new-tokens 32]
"""

from __future__ import annotations

import argparse
import asyncio
import threading
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


def have_model_wrapper() -> bool:
    try:
        from evalscope.core.model import Model  # noqa: F401
    except ImportError:
        return False
    return True


def in_worker_thread(fn: Callable[[], int]) -> int:
    """Run `fn` on a fresh thread, as the adapter's asyncio.to_thread does."""
    result: list[int] = []
    worker = threading.Thread(target=lambda: result.append(fn()))
    worker.start()
    worker.join()
    return result[0]


def timed_round_robin(methods: dict[str, Callable[[], int]], repeats: int) -> dict[str, float]:
    """Best tokens/s of each method over `repeats` rounds; every round runs each method once, in
    turn, so a change in machine load hits all methods alike."""
    best = dict.fromkeys(methods, 0.0)
    for _ in range(repeats):
        for name, fn in methods.items():
            started = time.perf_counter()
            tokens = fn()
            best[name] = max(best[name], tokens / (time.perf_counter() - started))
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", default="smollm2-135m-instruct")
    parser.add_argument("--max-new-tokens", type=int, default=32)
    parser.add_argument("--repeats", type=int, default=3)
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
        f"{'batch':>5} {'raw main':>9} {'raw worker':>11} {'adapter':>8} {'ratio':>6} {'Model':>8} {'ratio':>6}"
        "   (output tokens/s; ratios vs raw worker)"
    )
    for size, api in ((1, api1), (8, api8)):

        def raw_all(size: int = size) -> int:
            return sum(
                raw_generate(model, tokenizer, texts[i : i + size], args.max_new_tokens, eos_ids)
                for i in range(0, len(texts), size)
            )

        methods: dict[str, Callable[[], int]] = {
            "raw main": raw_all,
            "raw worker": lambda raw_all=raw_all: in_worker_thread(raw_all),
            "adapter": lambda size=size, api=api: adapter(api, size),
        }
        if have_model_wrapper():
            methods["Model"] = lambda api=api: wrapper(api) or 0
        rates = timed_round_robin(methods, args.repeats)
        raw_main, raw, ours = rates["raw main"], rates["raw worker"], rates["adapter"]
        if "Model" in rates:
            wrapped_text = f"{rates['Model']:8.1f} {rates['Model'] / raw:6.2f}"
        else:
            wrapped_text = f"{'n/a':>8} {'':>6}"
        print(
            f"{size:5d} {raw_main:9.1f} {raw:11.1f} {ours:8.1f} {ours / raw:6.2f} {wrapped_text}", flush=True
        )


if __name__ == "__main__":
    main()
