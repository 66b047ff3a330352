"""File-backed prompt sources: openqa, longalpaca, line_by_line, custom."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

from evalscope.perf.apis import Prompt
from evalscope.perf.datasets.base import DatasetContext
from evalscope.perf.tokenizer import count_tokens


def _length_ok(ctx: DatasetContext, text: str) -> bool:
    """Length filter: tokens with a tokenizer, characters without one."""
    n = count_tokens(ctx.tokenizer, text) if ctx.tokenizer is not None else len(text)
    return ctx.min_prompt_length <= n <= ctx.max_prompt_length


def _need_path(ctx: DatasetContext, name: str, hint: str) -> Path:
    if ctx.path:
        return Path(os.path.expanduser(ctx.path))
    raise ValueError(f"dataset {name!r} needs --dataset-path ({hint}); it is not downloaded automatically")


def _jsonl_field(path: Path, fields: tuple[str, ...]) -> Iterator[str]:
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".json":
        rows = json.loads(text)
    else:
        rows = (json.loads(line) for line in text.splitlines() if line.strip())
    for row in rows:
        for f in fields:
            if isinstance(row, dict) and row.get(f):
                yield str(row[f])
                break


def _emit(ctx: DatasetContext, texts: Iterator[str]) -> Iterator[Prompt]:
    for text in texts:
        if _length_ok(ctx, text):
            yield Prompt(text=text)


# Used when no open_qa.jsonl is given or reachable (offline machines): our own short questions.
BUILTIN_QUESTIONS = (
    "What is the difference between weather and climate?",
    "How does a refrigerator keep food cold?",
    "Why do leaves change colour in autumn?",
    "Explain what a prime number is with two examples.",
    "What are the main causes of inflation?",
    "How do vaccines help the immune system?",
    "Give three tips for writing a clear email.",
    "Why is the sky blue during the day?",
    "What does a database index do?",
    "How do bees make honey?",
    "What is the purpose of a central bank?",
    "Describe how a bicycle stays upright while moving.",
    "What is photosynthesis?",
    "How should I prepare for a job interview?",
    "Why do we have leap years?",
    "What is the difference between a virus and a bacterium?",
    "How does compound interest work?",
    "Summarise the water cycle in a few sentences.",
    "What makes a good password?",
    "Why does bread rise when it bakes?",
    "How do airplanes generate lift?",
    "What is a black hole?",
    "Suggest a simple recipe for a vegetable soup.",
    "How can I improve my sleep?",
)


def openqa(ctx: DatasetContext) -> Iterator[Prompt]:
    """HC3-Chinese open_qa.jsonl (``question`` field); built-in questions when it is unavailable."""
    if ctx.path:
        yield from _emit(ctx, _jsonl_field(Path(os.path.expanduser(ctx.path)), ("question",)))
        return
    import warnings

    warnings.warn(
        "openqa: no --dataset-path given (HC3-Chinese open_qa.jsonl); using 24 built-in questions", stacklevel=2
    )
    yield from _emit(ctx, iter(BUILTIN_QUESTIONS))


def longalpaca(ctx: DatasetContext) -> Iterator[Prompt]:
    """LongAlpaca-12k json/jsonl (``instruction`` field)."""
    path = _need_path(ctx, "longalpaca", "LongAlpaca-12k json/jsonl")
    yield from _emit(ctx, _jsonl_field(path, ("instruction",)))


def line_by_line(ctx: DatasetContext) -> Iterator[Prompt]:
    """Each non-empty line of a text file is one prompt."""
    path = _need_path(ctx, "line_by_line", "a text file, one prompt per line")
    lines = (line.strip() for line in path.read_text(encoding="utf-8").splitlines())
    yield from _emit(ctx, (line for line in lines if line))


def custom(ctx: DatasetContext) -> Iterator[Prompt]:
    """A file of prompts: .txt (one per line) or .jsonl/.json rows with ``prompt``/``question``/``messages``/``turns``."""
    path = _need_path(ctx, "custom", "a .txt or .jsonl file of prompts")
    if path.suffix not in (".jsonl", ".json"):
        yield from line_by_line(ctx)
        return
    text = path.read_text(encoding="utf-8")
    rows = json.loads(text) if path.suffix == ".json" else [json.loads(x) for x in text.splitlines() if x.strip()]
    for row in rows:
        if isinstance(row, str):
            if _length_ok(ctx, row):
                yield Prompt(text=row)
        elif "turns" in row:
            yield Prompt(text=str(row["turns"][0]), turns=tuple(str(t) for t in row["turns"]))
        elif "messages" in row:
            msgs = tuple(row["messages"])
            yield Prompt(text=str(msgs[-1].get("content", "")), messages=msgs)
        else:
            for f in ("prompt", "question", "instruction", "text"):
                if row.get(f):
                    if _length_ok(ctx, str(row[f])):
                        yield Prompt(text=str(row[f]))
                    break
