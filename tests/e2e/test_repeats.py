"""Issue 16, item 1: `repeats: k` over a service. Every item is answered k times, each answer its own
record; the report's mean_acc (± std across repeats), unbiased pass@k and vote@k equal the values
computed here by hand; a kill -9 mid-run and `--use-cache` completes every (item, repeat) once; a
larger k adds only the missing repeats, a smaller one reuses a subset.

A scripted OpenAI-compatible server on 127.0.0.1 answers the first five gsm8k questions. Which
answer of an item is right depends on the item and the repeat: repeat r of a request per repeat is
its seed minus the run's seed (42); with `n` choices, choice j is repeat (seed - 42) + j.
"""

from __future__ import annotations

import json
import math
import os
import signal
import sqlite3
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from tests.e2e.scripted_server import ScriptedServer

pytestmark = pytest.mark.slow
LIMIT, K, SEED = 5, 4, 42
#: per item, per repeat: "A" the right answer, "Wj" a wrong one (the right number + j)
ANSWERS = [
    ["A", "A", "A", "A"],  # 4 of 4
    ["W1", "A", "W1", "W2"],  # 1 of 4, the majority wrong
    ["W1", "W2", "W3", "W4"],  # 0 of 4, a four-way tie: the first given (wrong)
    ["A", "W1", "A", "W1"],  # 2 of 4, a tie won by the right answer given first
    ["W1", "A", "A", "W1"],  # 2 of 4, a tie won by the wrong answer given first
]


def _questions(dataset_dir: Path) -> list[tuple[str, str]]:
    lines = (dataset_dir / "gsm8k" / "test.jsonl").read_text().splitlines()[:LIMIT]
    rows = [json.loads(line) for line in lines]
    return [(r["question"], r["answer"].rsplit("####", 1)[1].strip().replace(",", "")) for r in rows]


def expected(k: int = K) -> dict[str, float]:
    """The report's values, by hand from ANSWERS (only the first k repeats)."""
    right = [[a == "A" for a in row[:k]] for row in ANSWERS]
    out = {"mean_acc": sum(map(sum, right)) / (k * LIMIT)}
    for kk in [p for p in (1, 2, 4) if p < k] + [k]:
        per_item = [1 - math.comb(k - sum(r), kk) / math.comb(k, kk) for r in right]
        out[f"pass@{kk}"] = sum(per_item) / LIMIT
    votes = []
    for row in ANSWERS:
        given = row[:k]
        top = max(given.count(a) for a in given)
        votes.append(next(a for a in given if given.count(a) == top) == "A")
    out[f"vote@{k}"] = sum(votes) / LIMIT
    per_repeat = [sum(r[j] for r in right) / LIMIT for j in range(k)]
    out["std"] = statistics.stdev(per_repeat)
    return out


class Script:
    """The server's answers, and a gate that holds the server once `hold_at` calls came in."""

    def __init__(self, questions: list[tuple[str, str]]) -> None:
        self.questions = questions
        self.hold_at: int | None = None
        self.calls = 0
        self.held = threading.Event()
        self.release = threading.Event()

    def text(self, item: int, repeat: int) -> str:
        answer = self.questions[item][1]
        given = ANSWERS[item][repeat]
        number = answer if given == "A" else str(int(answer) + int(given[1:]))
        return f"The answer is {number}."

    def __call__(self, text: str, body: dict) -> str | list[str]:
        self.calls += 1
        if self.hold_at is not None and self.calls >= self.hold_at:
            self.held.set()
            self.release.wait(60)
        (item,) = [i for i, (q, _) in enumerate(self.questions) if q in text]
        first = int(body["seed"]) - SEED
        n = int(body.get("n") or 1)
        if n == 1:
            return self.text(item, first)
        return [self.text(item, first + j) for j in range(n)]


@pytest.fixture
def scripted(dataset_dir):
    script = Script(_questions(dataset_dir))
    with ScriptedServer(script) as srv:
        srv.script_state = script  # type: ignore[attr-defined]
        yield srv
        script.release.set()


def _command(url: str, dataset_dir: Path, run_dir: Path, *extra: str) -> list[str]:
    return [
        sys.executable, "-m", "evalscope.cli.main", "eval", "--model", "scripted", "--eval-type", "service",
        "--api-url", url, "--datasets", "gsm8k", "--limit", str(LIMIT), "--dataset-dir", str(dataset_dir),
        "--work-dir", str(run_dir), "--no-timestamp", "--generation-config", "temperature=0.7", *extra,
    ]  # fmt: skip


def _eval(url: str, dataset_dir: Path, run_dir: Path, *extra: str) -> subprocess.CompletedProcess:
    done = subprocess.run(_command(url, dataset_dir, run_dir, *extra), capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    return done


def _report(run_dir: Path) -> dict:
    (path,) = (run_dir / "reports").glob("*/gsm8k.json")
    return json.loads(path.read_text())


def _scores(report: dict) -> dict[str, float]:
    return {m["name"]: m["score"] for m in report["metrics"]}


def _check(report: dict, k: int = K) -> None:
    want = expected(k)
    got = _scores(report)
    assert list(got) == ["mean_acc", *[f"pass@{p}" for p in (1, 2, 4) if p < k], f"pass@{k}", f"vote@{k}"]
    for name, value in got.items():
        assert value == pytest.approx(want[name], abs=1e-4), name
    mean = report["metrics"][0]
    assert mean["repeat_std"] == pytest.approx(want["std"], abs=1e-4)
    assert mean["num"] == LIMIT * k and mean["ci_method"] == "clustered"  # the interval is over items
    assert report["repeats"] == k


def _records(run_dir: Path, table: str = "scores") -> list[tuple[str, str]]:
    """(record id, status) of every stored prediction or review of the run."""
    with sqlite3.connect(run_dir / "evalscope.db") as db:
        return db.execute(f"SELECT sample_id, status FROM {table} ORDER BY sample_id").fetchall()


@pytest.mark.parametrize("path", ["n_choices", "k_requests"])
def test_mean_pass_at_k_vote_at_k_equal_hand_values(scripted, dataset_dir, tmp_path, path):
    run_dir = tmp_path / "run"
    extra = ["--model-args", "n_choices=false"] if path == "k_requests" else []
    done = _eval(scripted.url, dataset_dir, run_dir, "--repeats", str(K), *extra)
    bodies = [body for _, body in scripted.requests]
    if path == "n_choices":  # one request per item asking k choices
        assert len(bodies) == LIMIT and all(b["n"] == K and b["seed"] == SEED for b in bodies)
    else:  # k requests per item, distinct seeds
        assert len(bodies) == LIMIT * K and all(b.get("n", 1) == 1 for b in bodies)
        assert sorted(b["seed"] for b in bodies) == sorted(SEED + r for r in range(K) for _ in range(LIMIT))
    _check(_report(run_dir))
    want = expected()
    for name in ("mean_acc", "pass@1", "pass@2", "pass@4", "vote@4"):
        assert f"| {name} " in done.stdout
    assert f"mean_acc {want['mean_acc']:.4f} ± {want['std']:.4f}" in done.stdout
    # each answer its own record: repeat 0 under the item's id, repeat r under <id>@r<r>
    records = _records(run_dir)
    assert len(records) == LIMIT * K and all(status == "scored" for _, status in records)
    assert sum(1 for sid, _ in records if "@r" not in sid) == LIMIT


def test_kill_then_use_cache_completes_every_item_repeat_once(scripted, dataset_dir, tmp_path):
    run_dir = tmp_path / "run"
    state = scripted.script_state
    state.hold_at = 8  # seven answers are stored, the eighth call hangs
    command = _command(scripted.url, dataset_dir, run_dir, "--repeats", str(K), "--model-args", "n_choices=false")
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    try:
        assert state.held.wait(120), "the run never reached its eighth call"
        time.sleep(0.5)  # the seventh answer's records are flushed before the eighth call goes out
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(30)
    finally:
        if proc.poll() is None:
            proc.kill()
        state.hold_at = None
        state.release.set()
    first = [(text, body["seed"]) for text, body in scripted.requests]
    assert len(first) == 8
    stored = {sid for sid, _ in _records(run_dir, "predictions")}
    assert len(stored) == 7

    _eval(scripted.url, dataset_dir, run_dir, "--repeats", str(K), "--use-cache", str(run_dir),
          "--model-args", "n_choices=false")  # fmt: skip
    again = [(text, body["seed"]) for text, body in scripted.requests[8:]]
    # the 13 missing answers asked once each; the 7 stored ones never again
    assert len(again) == LIMIT * K - 7 and len(set(again)) == len(again)
    assert set(first[:7]).isdisjoint(again)
    assert len(set(first[:7]) | set(again)) == LIMIT * K
    assert len(_records(run_dir)) == LIMIT * K
    _check(_report(run_dir))


def test_larger_k_adds_only_missing_repeats_smaller_k_reuses(scripted, dataset_dir, tmp_path):
    run_dir = tmp_path / "run"
    _eval(scripted.url, dataset_dir, run_dir, "--repeats", "2")
    _check(_report(run_dir), k=2)
    assert [(b["n"], b["seed"]) for _, b in scripted.requests] == [(2, SEED)] * LIMIT

    _eval(scripted.url, dataset_dir, run_dir, "--repeats", str(K), "--use-cache", str(run_dir))
    added = [(b["n"], b["seed"]) for _, b in scripted.requests[LIMIT:]]
    assert added == [(2, SEED + 2)] * LIMIT  # repeats 2 and 3 only, one request per item
    _check(_report(run_dir))

    before = len(scripted.requests)
    _eval(scripted.url, dataset_dir, run_dir, "--repeats", "2", "--use-cache", str(run_dir))
    assert len(scripted.requests) == before  # a subset of what is stored: nothing asked
    _check(_report(run_dir), k=2)
