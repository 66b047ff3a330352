"""Issue 16, item 2 over a service: answers cut at max_tokens are counted, reasoning is kept apart
from the answer (extraction never reads it), and per-sample token usage is stored and summed.

A scripted OpenAI-compatible server on 127.0.0.1 answers the first four gsm8k questions, streamed
and not, with `reasoning_content`, `finish_reason` and usage known per question:

0. right answer, reasoning naming a wrong number: scored 1;
1. no answer, the right number only in the reasoning, cut at max_tokens (an unclosed <think>): 0, cut;
2. a wrong answer cut at max_tokens: 0, cut;
3. right answer, reasoning naming a wrong number: 1.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.e2e.scripted_server import Reply, ScriptedServer

pytestmark = pytest.mark.slow
LIMIT = 4
#: (completion tokens, of them reasoning) per question, as the server reports them
TOKENS = [(20, 7), (30, 30), (10, 0), (20, 8)]


def _questions(dataset_dir: Path) -> list[tuple[str, str]]:
    lines = (dataset_dir / "gsm8k" / "test.jsonl").read_text().splitlines()[:LIMIT]
    rows = [json.loads(line) for line in lines]
    return [(r["question"], r["answer"].rsplit("####", 1)[1].strip()) for r in rows]


def _reply(index: int, answer: str) -> Reply:
    tokens, thinking = TOKENS[index]
    if index == 1:
        return Reply("", f"so the answer is {answer}, let me check", "length", tokens, thinking)
    if index == 2:
        return Reply(f"The answer is {int(answer) + 1} because", None, "length", tokens, thinking)
    return Reply(f"The answer is {answer}.", "Perhaps 99999? No.", "stop", tokens, thinking)


@pytest.fixture
def server(dataset_dir):
    questions = _questions(dataset_dir)

    def script(text: str, body: dict) -> Reply | str:
        found = [i for i, (q, _) in enumerate(questions) if q in text]
        return _reply(found[-1], questions[found[-1]][1]) if found else "I do not know."

    with ScriptedServer(script) as srv:
        yield srv


def _eval(url: str, dataset_dir: Path, run_dir: Path, *extra: str) -> subprocess.CompletedProcess:
    command = [
        sys.executable, "-m", "evalscope.cli.main", "eval", "--model", "scripted", "--eval-type", "service",
        "--api-url", url, "--datasets", "gsm8k", "--limit", str(LIMIT), "--dataset-dir", str(dataset_dir),
        "--work-dir", str(run_dir), "--no-timestamp", *extra,
    ]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    return done


@pytest.mark.parametrize("stream", [False, True], ids=["whole", "streamed"])
def test_cut_answers_are_counted_reasoning_kept_apart_usage_summed(server, dataset_dir, tmp_path, stream):
    run_dir = tmp_path / "run"
    done = _eval(server.url, dataset_dir, run_dir, *(["--stream"] if stream else []))
    assert all(bool(body.get("stream")) is stream for _, body in server.requests)

    # the table: EvalScope's columns, the count in the last column, one usage line under it
    assert "2 cut at max_tokens" in done.stdout
    assert "| Model Name" in done.stdout and "| Not scored" in done.stdout
    assert "gsm8k: 20 output tokens/sample (mean, 11.25 reasoning), 80 in all over 4 samples" in done.stdout

    (path,) = (run_dir / "reports").glob("*/gsm8k.json")
    report = json.loads(path.read_text())
    assert report["score"] == 0.5  # extraction read the answers only: 0 and 3 right, 1 and 2 not
    assert report["counts"]["cut"] == 2 and report["counts"]["scored"] == 4
    usage = report["usage"]
    assert (usage["samples"], usage["output_tokens"], usage["reasoning_tokens"], usage["input_tokens"]) == (4, 80, 45, 20)
    assert (usage["mean_output_tokens"], usage["mean_reasoning_tokens"]) == (20.0, 11.25)
    (subset,) = report["metrics"][0]["categories"][0]["subsets"]
    assert subset["counts"]["cut"] == 2 and subset["usage"]["output_tokens"] == 80

    # both stores keep the reasoning apart from the answer, the finish reason and the usage
    (jsonl,) = (run_dir / "reviews").glob("*/gsm8k_*.jsonl")
    records = {}
    for line in jsonl.read_text().splitlines():
        row = json.loads(line)
        records[int(row["sample_id"])] = row["evalscope_record"]
    db = sqlite3.connect(run_dir / "evalscope.db")
    rows = {int(i): json.loads(o) for i, o in db.execute("select sample_id, output from predictions")}
    db.close()
    questions = _questions(dataset_dir)
    for i in range(LIMIT):
        for output in (records[i]["output"], rows[i]):
            assert output["finish_reason"] == ("length" if i in (1, 2) else "stop")
            assert output["usage"]["output_tokens"] == TOKENS[i][0]
            assert output["usage"].get("reasoning_tokens", 0) == TOKENS[i][1]
    assert records[1]["output"]["text"] == "" and questions[1][1] in records[1]["output"]["reasoning"]
    assert records[1]["prediction"] in (None, "") and records[1]["scores"]["AverageAccuracy"] == 0.0
    assert "99999" in rows[0]["reasoning"] and "99999" not in rows[0]["text"]
    assert records[0]["scores"]["AverageAccuracy"] == 1.0


def test_reasoning_effort_and_chat_template_kwargs_reach_the_request_body(server, dataset_dir, tmp_path):
    config = {"max_tokens": 64, "reasoning_effort": "low", "chat_template_kwargs": {"enable_thinking": False}}
    _eval(server.url, dataset_dir, tmp_path / "run", "--limit", "1", "--generation-config", json.dumps(config))
    (_, body), *_ = server.requests
    assert body["reasoning_effort"] == "low"
    assert body["chat_template_kwargs"] == {"enable_thinking": False}
    assert body["max_tokens"] == 64


def test_an_unknown_generation_key_is_still_an_error(server, dataset_dir, tmp_path):
    command = [
        sys.executable, "-m", "evalscope.cli.main", "eval", "--model", "scripted", "--eval-type", "service",
        "--api-url", server.url, "--datasets", "gsm8k", "--limit", "1", "--dataset-dir", str(dataset_dir),
        "--work-dir", str(tmp_path / "run"), "--generation-config", json.dumps({"enable_thinking": False}),
    ]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert done.returncode == 1 and "unknown key 'enable_thinking'" in done.stderr
    assert not server.requests
