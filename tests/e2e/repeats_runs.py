"""Repeats runs made for tests: the real `evalscope eval` CLI (a child process) with `--repeats k`
against a scripted OpenAI-compatible server on 127.0.0.1 answering the first gsm8k questions.

`answers[i][r]` is what item i's repeat r says: "A" the right number, "Wj" a wrong one (the right
number + j). The server reads the repeat from the request's seed (the run's seed 42 + the first
repeat asked) and, for an `n`-choices request, choice j is that repeat + j.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from tests.e2e.scripted_server import ScriptedServer

SEED = 42
#: tests/e2e/test_repeats.py's table: per item 4, 1, 0, 2 and 2 right answers of 4
ANSWERS_A = [
    ["A", "A", "A", "A"],
    ["W1", "A", "W1", "W2"],
    ["W1", "W2", "W3", "W4"],
    ["A", "W1", "A", "W1"],
    ["W1", "A", "A", "W1"],
]


def questions(dataset_dir: Path, limit: int) -> list[tuple[str, str]]:
    """(question, right number) of the first `limit` gsm8k test items."""
    lines = (dataset_dir / "gsm8k" / "test.jsonl").read_text().splitlines()[:limit]
    rows = [json.loads(line) for line in lines]
    return [(r["question"], r["answer"].rsplit("####", 1)[1].strip().replace(",", "")) for r in rows]


def item_means(answers: Sequence[Sequence[str]]) -> list[float]:
    """Each item's share of right answers (its mean score over the repeats)."""
    return [sum(a == "A" for a in row) / len(row) for row in answers]


class TableScript:
    """The server's answer to a request: the table's repeats of the item the prompt asks."""

    def __init__(self, qs: list[tuple[str, str]], answers: Sequence[Sequence[str]]) -> None:
        self.questions, self.answers = qs, answers

    def text(self, item: int, repeat: int) -> str:
        right = self.questions[item][1]
        given = self.answers[item][repeat]
        return f"The answer is {right if given == 'A' else int(right) + int(given[1:])}."

    def __call__(self, text: str, body: dict) -> str | list[str]:
        (item,) = [i for i, (q, _) in enumerate(self.questions) if q in text]
        first, n = int(body["seed"]) - SEED, int(body.get("n") or 1)
        texts = [self.text(item, first + j) for j in range(n)]
        return texts[0] if n == 1 else texts


def repeats_run(dataset_dir: Path, run_dir: Path, answers: Sequence[Sequence[str]], *extra: str) -> str:
    """`evalscope eval --repeats k` of gsm8k (one item per table row) into `run_dir`; its stdout."""
    k = len(answers[0])
    script = TableScript(questions(dataset_dir, len(answers)), answers)
    with ScriptedServer(script) as srv:
        command = [
            sys.executable, "-m", "evalscope.cli.main", "eval", "--model", "scripted", "--eval-type", "service",
            "--api-url", srv.url, "--datasets", "gsm8k", "--limit", str(len(answers)), "--repeats", str(k),
            "--dataset-dir", str(dataset_dir), "--work-dir", str(run_dir), "--no-timestamp",
            "--generation-config", "temperature=0.7", *extra,
        ]  # fmt: skip
        done = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout
