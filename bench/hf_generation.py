"""Local generation speed: raw `model.generate` vs the HFModelAPI adapter vs the core Model wrapper.

Prints output tokens/s at batch 1 and batch 8 (greedy, same prompts, same max_new_tokens) and the
ratios against raw generate called on the main thread, as a user would call it. Every measurement
runs in a fresh process: a process that has driven torch from two threads (raw on the main thread,
then the adapter's worker thread) runs ~30% slower on the second one on this CPU, which would charge
the benchmark's own artefact to the adapter. The rounds alternate methods so load changes hit all
alike; the best of the rounds is shown.

Run: python bench/hf_generation.py [--model smollm2-135m-instruct] [--max-new-tokens 32] [--repeats 3]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import time

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


METHODS = ("raw", "adapter", "Model")


def measure(model_name: str, method: str, size: int, max_new: int) -> float:
    """Output tokens/s of one method at one batch size (one timed pass after a warm-up)."""
    model, tokenizer, resolved = load_model_and_tokenizer(model_name)
    texts = [
        tokenizer.apply_chat_template(
            [{"role": "user", "content": q}], tokenize=False, add_generation_prompt=True
        )
        for q in QUESTIONS
    ]
    config = GenerationConfig(max_tokens=max_new, temperature=0.0)
    requests = [ModelRequest(RequestKind.GENERATE, prompt=t, config=config) for t in texts]
    api = HFModelAPI.from_loaded(model, tokenizer, name=model_name, resolved=resolved, batch_size=size)
    eos_ids = api.eos_ids

    def raw() -> int:
        # the chat text already holds its special tokens; raw tokenises without adding more
        return sum(
            raw_generate(model, tokenizer, texts[i : i + size], max_new, eos_ids)
            for i in range(0, len(texts), size)
        )

    def adapter() -> int:
        async def go() -> int:
            total = 0
            for i in range(0, len(requests), size):
                outs = await api.call(requests[i : i + size])
                total += sum(o.usage.output_tokens for o in outs)
            return total

        return asyncio.run(go())

    def wrapped() -> int:
        from evalscope.core.model import Model

        async def go() -> int:
            model_ = Model(api, max_concurrency=1, cache=False)
            outs = await asyncio.gather(*(model_.generate(r) for r in requests))
            return sum(o.usage.output_tokens for o in outs)

        return asyncio.run(go())

    fn = {"raw": raw, "adapter": adapter, "Model": wrapped}[method]
    if method == "raw":
        raw_generate(model, tokenizer, texts[:2], 4, eos_ids)  # warm-up on the same thread
    else:
        asyncio.run(api.call(requests[:2]))
    started = time.perf_counter()
    tokens = fn()
    return tokens / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--model", default="smollm2-135m-instruct")
    parser.add_argument("--max-new-tokens", type=int, default=32)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--child", nargs=2, metavar=("METHOD", "BATCH"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        rate = measure(args.model, args.child[0], int(args.child[1]), args.max_new_tokens)
        print(json.dumps({"rate": rate}))
        return

    best: dict[tuple[str, int], float] = {}
    for _ in range(args.repeats):
        for size in (1, 8):
            for method in METHODS:
                cmd = [
                    sys.executable,
                    __file__,
                    "--model",
                    args.model,
                    "--max-new-tokens",
                    str(args.max_new_tokens),
                    "--child",
                    method,
                    str(size),
                ]
                out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
                rate = json.loads(out.strip().splitlines()[-1])["rate"]
                best[(method, size)] = max(best.get((method, size), 0.0), rate)
    print(
        f"torch threads {torch.get_num_threads()}; greedy, max_new_tokens={args.max_new_tokens}, "
        f"{len(QUESTIONS)} prompts, best of {args.repeats} fresh processes"
    )
    print(
        f"{'batch':>5} {'raw':>8} {'adapter':>8} {'ratio':>6} {'Model':>8} {'ratio':>6}   (output tokens/s; ratios vs raw)"
    )
    for size in (1, 8):
        raw, ours, wrapped = (best[(m, size)] for m in METHODS)
        print(
            f"{size:5d} {raw:8.1f} {ours:8.1f} {ours / raw:6.2f} {wrapped:8.1f} {wrapped / raw:6.2f}",
            flush=True,
        )


if __name__ == "__main__":
    main()
