"""Resuming a multi-turn run: `evalscope eval` (a real subprocess) is killed with SIGKILL while the model
server holds its turn-2 request of one question; `--use-cache` then completes the run without asking
any turn 1 again (the stored turn-1 answer is reused), counted per (question, turn) at the server."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from collections import Counter
from pathlib import Path

try:
    from .judge_server import judge_server
except ImportError:  # pytest's rootdir import mode
    from judge_server import judge_server

#: the three writing questions a limit of 3 takes
QUESTIONS = {
    "Compose an engaging travel blog": "81",
    "Draft a professional email": "82",
    "Imagine you are writing a blog": "83",
}
HELD = ("82", 2)


class Model:
    """Answers `ANSWER-q<id>-t<turn>`; holds the first turn-2 request of question 82 until released."""

    def __init__(self) -> None:
        self.asked: Counter[tuple[str, int]] = Counter()
        self.reached = threading.Event()
        self.release = threading.Event()
        self.seen_turn2: list[list[dict]] = []

    def __call__(self, messages: list[dict]) -> str:
        first = next(m["content"] for m in messages if m["role"] == "user")
        qid = next(q for head, q in QUESTIONS.items() if first.startswith(head))
        turn = sum(1 for m in messages if m["role"] == "user")
        self.asked[(qid, turn)] += 1
        if turn == 2:
            self.seen_turn2.append(messages)
        if (qid, turn) == HELD and self.asked[HELD] == 1:
            self.reached.set()
            self.release.wait(60)  # the client is killed meanwhile
        return f"ANSWER-q{qid}-t{turn}"


def _command(model_url: str, judge_url: str, work: Path, dataset_dir: Path, *extra: str) -> list[str]:
    return [
        sys.executable, "-m", "evalscope.cli.main", "eval",
        "--model", "scripted-model", "--eval-type", "service", "--api-url", model_url,
        "--datasets", "mt_bench", "--dataset-args", json.dumps({"mt_bench": {"subset_list": ["writing"]}}),
        "--limit", "3", "--eval-batch-size", "1",
        "--judge-model-args", json.dumps({"model_id": "judge", "api_url": judge_url}),
        "--dataset-dir", str(dataset_dir), "--work-dir", str(work), "--no-timestamp", *extra,
    ]  # fmt: skip


def test_kill_during_turn_two_then_use_cache_does_not_ask_turn_one_again(tmp_path, dataset_dir):
    model = Model()
    work = tmp_path / "run"
    env = {**os.environ, "EVALSCOPE_DATASET_DIR": str(dataset_dir)}
    with judge_server(model) as server, judge_server(lambda m: "Rating: [[7]]") as judge:
        cmd = _command(server.base_url, judge.base_url, work, dataset_dir)
        child = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        try:
            assert model.reached.wait(120), child.communicate(timeout=5)[0].decode()[-2000:]
            os.kill(child.pid, signal.SIGKILL)
            child.wait(30)
        finally:
            model.release.set()
            if child.poll() is None:
                child.kill()
        assert child.returncode == -signal.SIGKILL
        # what survived the kill: question 82's turn-1 answer, stored as a partial record
        lines = [
            json.loads(x)
            for x in (work / "predictions" / "scripted-model" / "mt_bench_writing.jsonl")
            .read_text()
            .splitlines()
        ]
        held = [x for x in lines if x["sample_id"] == "82"]
        assert (
            len(held) == 1 and "#turns=1" in held[0]["answer_id"]
        )  # a partial record: never taken as finished
        assert [t["text"] for t in held[0]["evalscope_record"]["output"]["turns"]] == ["ANSWER-q82-t1"]
        assert model.asked[("82", 1)] == 1 and model.asked[("81", 1)] == 1

        again = subprocess.run([*_command(server.base_url, judge.base_url, work, dataset_dir), "--use-cache", str(work)], env=env, capture_output=True, text=True, timeout=300)  # fmt: skip
        assert again.returncode == 0, again.stdout[-3000:] + again.stderr[-3000:]

    # turn 1 of every question was asked once; only the held turn 2 was asked again
    assert model.asked[("81", 1)] == 1 and model.asked[("82", 1)] == 1 and model.asked[("83", 1)] == 1
    assert model.asked[HELD] == 2
    assert model.asked[("81", 2)] == 1 and model.asked[("83", 2)] == 1
    # the resumed turn 2 carried the stored turn-1 answer
    last = [m for m in model.seen_turn2 if m[0]["content"].startswith("Draft a professional email")][-1]
    assert [m["role"] for m in last] == ["user", "assistant", "user"] and last[1][
        "content"
    ] == "ANSWER-q82-t1"
    # the finished run: three conversations of two answers each, each turn rated 7
    report = json.loads((work / "reports" / "scripted-model" / "mt_bench.json").read_text())
    overall = next(m for m in report["metrics"] if m["name"] == "score")
    assert overall["num"] == 3 and overall["score"] == 7.0
    from evalscope.core.stores import open_reader

    reader = open_reader(str(work))
    run = reader.list_runs()[0]
    stored = {r.sample_id: r for r in reader.iter_results(run.run_id)}
    assert [t.text for t in stored["82"].output.turns] == ["ANSWER-q82-t1", "ANSWER-q82-t2"]
    assert len(stored) == 3
