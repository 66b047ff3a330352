"""`evalscope eval ... --stage infer` then `evalscope eval ... --stage review --use-cache <run>` (the
README's form, as child processes) gives, sample by sample, the report of one `--stage all` run.

The model is a scripted OpenAI-compatible server on 127.0.0.1 whose answer depends on the question:
right for some questions, wrong for others, so a review that paired predictions with the wrong
samples, scored a stale or empty prediction, or re-asked the model would show in the scores.
"""

from __future__ import annotations

import json
import subprocess
import sys
import zlib
from pathlib import Path

import pytest

from tests.e2e.scripted_server import ScriptedServer

pytestmark = pytest.mark.slow
LIMIT = 6


def _right(question: str) -> bool:
    return zlib.crc32(question.encode()) % 3 != 0  # about two in three right, fixed per question


def _answer_key(dataset_dir: Path) -> dict[str, tuple[str, str]]:
    """question text -> (right answer, wrong answer) for gsm8k and ARC-Easy test questions."""
    key: dict[str, tuple[str, str]] = {}
    for line in (dataset_dir / "gsm8k" / "test.jsonl").read_text().splitlines()[:200]:
        row = json.loads(line)
        number = row["answer"].split("####")[-1].strip().replace(",", "")
        key[row["question"]] = (
            f"So the answer is {number}.\n#### {number}",
            f"So the answer is {number}1.\n#### {number}1",
        )
    for line in (dataset_dir / "arc" / "ARC-Easy" / "test.jsonl").read_text().splitlines()[:200]:
        row = json.loads(line)
        labels = row["choices"]["label"]
        wrong = next(label for label in labels if label != row["answerKey"])
        key[row["question"]] = (f"The answer is {row['answerKey']}.", f"The answer is {wrong}.")
    return key


@pytest.fixture
def server(dataset_dir):
    key = _answer_key(dataset_dir)

    def script(text: str, body: dict) -> str:
        # the question asked last in the prompt (few-shot exemplars come before it)
        question = max((q for q in key if q in text), key=text.rfind, default=None)
        if question is None:
            return "I do not know."
        right, wrong = key[question]
        return right if _right(question) else wrong

    with ScriptedServer(script) as srv:
        yield srv


def _eval(server_url: str, dataset_dir: Path, run_dir: Path, *extra: str) -> subprocess.CompletedProcess:
    command = [
        sys.executable, "-m", "evalscope.cli.main", "eval", "--model", "scripted", "--eval-type", "service",
        "--api-url", server_url, "--datasets", "gsm8k", "arc",
        "--dataset-args", json.dumps({"arc": {"subset_list": ["ARC-Easy"]}}),
        "--limit", str(LIMIT), "--eval-batch-size", "4", "--dataset-dir", str(dataset_dir),
        "--work-dir", str(run_dir), "--no-timestamp", *extra,
    ]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    return done


def _scores(run_dir: Path, dataset: str) -> dict[str, dict]:
    """sample id -> the review's scores, from the review JSONL files."""
    out = {}
    for path in (run_dir / "reviews").glob(f"*/{dataset}_*.jsonl"):
        for line in path.read_text().splitlines():
            row = json.loads(line)
            out[str(row["sample_id"])] = row["choices"][0]["review"]["result"]
    return out


def _report(run_dir: Path, dataset: str) -> dict:
    (path,) = (run_dir / "reports").glob(f"*/{dataset}.json")
    return json.loads(path.read_text())


def test_infer_then_review_gives_the_whole_runs_report_sample_by_sample(server, dataset_dir, tmp_path):
    whole, split = tmp_path / "all", tmp_path / "split"
    _eval(server.url, dataset_dir, whole)
    asked = len(server.requests)
    assert asked == 2 * LIMIT

    _eval(server.url, dataset_dir, split, "--stage", "infer")
    assert len(server.requests) == 2 * asked, "the infer stage asks every question once"
    assert not list(split.glob("reviews/*/*.jsonl")), "the infer stage reviews nothing"
    assert not list(split.glob("reports/*/*.json")), "the infer stage reports nothing"

    url = server.url
    server.stop()  # the review stage must not need the model at all
    done = _eval(url, dataset_dir, split, "--stage", "review", "--use-cache", str(split))
    assert "gsm8k" in done.stdout and "arc" in done.stdout  # the score table

    for dataset in ("gsm8k", "arc"):
        expected, reviewed = _scores(whole, dataset), _scores(split, dataset)
        assert len(expected) == LIMIT
        assert reviewed == expected, dataset
        primary = [next(iter(result.values())) for result in expected.values()]
        assert 0 < sum(primary) < len(primary), f"{dataset}: neither all right nor all wrong: {primary}"
        a, b = _report(whole, dataset), _report(split, dataset)
        assert b["score"] == a["score"] and b["metrics"] == a["metrics"], dataset
