"""Evaluate a model while it trains (ms-swift / Trainer-callback style), on the live weights.

A few real optimizer steps of SmolLM2-135M-Instruct on a handful of ARC training questions; after
each step, `EvalCallback.on_step_end` scores the live model with `run_task` and prints the score.
Nothing is copied or reloaded: `HFModelAPI.from_loaded` wraps the model in memory, switches it to
eval mode only while answering, puts it back in train mode, and never unloads it. `revision=step-N`
makes each step a distinct model identity, so `use_cache` never serves step N's answers for N+1.

    python examples/training_loop_eval.py --steps 3 --limit 10 --dataset-dir ../shared/datasets
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path
from typing import Any

ARC_TRAIN = Path("arc") / "ARC-Easy" / "train.jsonl"


class EvalCallback:
    """Runs an evaluation of the live model at the end of every `every` optimizer steps."""

    def __init__(self, tokenizer: Any, task: dict[str, Any], every: int = 1) -> None:
        self.tokenizer = tokenizer
        self.task = task
        self.every = every
        self.scores: list[tuple[int, float]] = []

    def on_step_end(self, step: int, model: Any) -> float | None:
        if step % self.every:
            return None
        from evalscope.backends.hf.model import HFModelAPI
        from evalscope.run import run_task

        api = HFModelAPI.from_loaded(model, self.tokenizer, name="smollm2-live", revision=f"step-{step}",
                                     batch_size=self.task.get("eval_batch_size", 4))
        result = run_task({**self.task, "model_id": f"smollm2-step{step}"}, model=api, print_table=False)
        score = next(iter(result.values())).score
        self.scores.append((step, score))
        print(f"step {step}: {next(iter(result))} score {score:.4f} ({result.run_dir})", flush=True)
        return score


def training_batches(dataset_dir: str, tokenizer: Any, n: int) -> list[Any]:
    """`n` ARC training questions with their right answer, as chat-formatted token ids."""
    rows = [json.loads(line) for line in (Path(dataset_dir) / ARC_TRAIN).read_text(encoding="utf-8").splitlines()[:n]]
    batches = []
    for row in rows:
        question, choices = row["question"], row["choices"]
        labels, texts = list(choices["label"]), list(choices["text"])
        answer = texts[labels.index(row["answerKey"])]
        messages = [{"role": "user", "content": question}, {"role": "assistant", "content": answer}]
        text = tokenizer.apply_chat_template(messages, tokenize=False)
        batches.append(tokenizer(text, return_tensors="pt").input_ids)
    return batches


def train(steps: int, limit: int, dataset_dir: str, work_dir: str, lr: float = 5e-5, callback_hook: Any = None) -> list[tuple[int, float]]:
    """Train for `steps` optimizer steps, evaluating after each; returns (step, score) pairs.

    `callback_hook(step, callback, model)` wraps each evaluation (tests use it to check that the
    caller's state is unchanged around it).
    """
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from evalscope.backends.hf.loader import converted_model_path

    path = converted_model_path("smollm2-135m-instruct")
    tokenizer = AutoTokenizer.from_pretrained(path)
    model = AutoModelForCausalLM.from_pretrained(path, torch_dtype=torch.float32)
    model.train()
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr)
    batches = training_batches(dataset_dir, tokenizer, max(steps, 4))
    callback = EvalCallback(
        tokenizer,
        {
            "datasets": ["arc"],
            "dataset_args": {"arc": {"subset_list": ["ARC-Easy"]}},
            "limit": limit,
            "eval_batch_size": 4,
            "dataset_dir": dataset_dir,
            "work_dir": work_dir,
            "eval_type": "checkpoint",
        },
    )
    for step in range(1, steps + 1):
        ids = batches[(step - 1) % len(batches)]
        loss = model(input_ids=ids, labels=ids).loss
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
        print(f"step {step}: loss {loss.item():.4f}", flush=True)
        if callback_hook is not None:
            callback_hook(step, callback, model)
        else:
            callback.on_step_end(step, model)
    return callback.scores


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=3)
    parser.add_argument("--limit", type=int, default=10, help="ARC-Easy questions per evaluation")
    parser.add_argument("--dataset-dir", default=os.environ.get("EVALSCOPE_DATASET_DIR", "../shared/datasets"))
    parser.add_argument("--work-dir", default="./outputs/training_loop")
    args = parser.parse_args()
    scores = train(args.steps, args.limit, args.dataset_dir, args.work_dir)
    print("scores by step:", ", ".join(f"{step}: {score:.4f}" for step, score in scores))


if __name__ == "__main__":
    main()
