"""Benchmarks written in YAML (`evalscope eval --datasets my_bench.yaml`), run as a user runs them.

Each YAML benchmark here restates a built-in (arc, gsm8k) over a slice of the real data copied into
tmp_path at test time; run with the mock model it must send the very same requests (equal request
keys) and earn the same scores as the built-in. A bad YAML is one `Error:` line naming the file and
the key, before any model call.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

_SCRIPT = Path(sys.executable).with_name("evalscope")
EVALSCOPE = [str(_SCRIPT)] if _SCRIPT.is_file() else [sys.executable, "-m", "evalscope.cli.main"]

ARC_YAML = """\
name: my_arc
type: multiple_choice
description: ARC-Easy restated in YAML
data:
  path: arc/{subset}/{split}.jsonl
  subsets: [ARC-Easy]
  split: test
  fewshot_split: train
  columns:
    id: id
    choices: choices.text
    choice_labels: choices.label
    target: answerKey
prompt:
  template: "{question}\\n{choices}\\nAnswer:"
  few_shot_num: 2
scoring:
  metrics: [AverageAccuracy]
"""

GSM8K_YAML = """\
name: my_gsm8k
data:
  path: gsm8k/{split}.jsonl
  subsets: [main]
  columns:
    target: answer
  target_extract: last_number
prompt:
  template: "Question: {question}\\nLet's think step by step\\nAnswer:"
scoring:
  extract: last_number
  metrics: [AverageAccuracy]
generation_config:
  stop: ["Question:"]
"""


def run_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    return subprocess.run([*EVALSCOPE, *args], cwd=cwd, capture_output=True, text=True, timeout=300, env=env)


def copy_lines(src: Path, dst: Path, n: int) -> None:
    dst.parent.mkdir(parents=True, exist_ok=True)
    with src.open(encoding="utf-8") as fh:
        dst.write_text("".join(line for _, line in zip(range(n), fh)), encoding="utf-8")


def evaluate(tmp_path: Path, name: str, *args: str) -> tuple[dict, list[str]]:
    """(report of `name`, request keys in sample order) of one `evalscope eval` with the mock model."""
    work = tmp_path / f"out_{name}"
    proc = run_cli(
        "eval",
        "--model",
        "mock",
        "--eval-type",
        "mock",
        "--work-dir",
        str(work),
        "--no-timestamp",
        *args,
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    report = json.loads((work / "reports" / "mock" / f"{name}.json").read_text())
    keys = []
    for path in sorted((work / "predictions" / "mock").glob(f"{name}_*.jsonl")):
        rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
        keys += [row["evalscope_record"]["request_key"] for row in sorted(rows, key=lambda r: r["sample_id"])]
    return report, keys


def subset_scores(report: dict) -> list[tuple[str, str, float, int]]:
    return [
        (metric["name"], sub["name"], sub["score"], sub["num"])
        for metric in report["metrics"]
        for cat in metric["categories"]
        for sub in cat["subsets"]
    ]


@pytest.mark.slow
def test_yaml_mcq_benchmark_matches_builtin_arc(dataset_dir, tmp_path):
    arc = tmp_path / "bench" / "arc" / "ARC-Easy"
    copy_lines(dataset_dir / "arc" / "ARC-Easy" / "test.jsonl", arc / "test.jsonl", 12)
    copy_lines(dataset_dir / "arc" / "ARC-Easy" / "train.jsonl", arc / "train.jsonl", 4)
    (tmp_path / "bench" / "my_arc.yaml").write_text(ARC_YAML, encoding="utf-8")

    mine, mine_keys = evaluate(tmp_path, "my_arc", "--datasets", str(tmp_path / "bench" / "my_arc.yaml"))
    builtin, builtin_keys = evaluate(
        tmp_path,
        "arc",
        "--datasets",
        "arc",
        "--limit",
        "12",
        "--dataset-dir",
        str(dataset_dir),
        "--dataset-args",
        json.dumps({"arc": {"subset_list": ["ARC-Easy"], "few_shot_num": 2}}),
    )
    assert mine["dataset_name"] == "my_arc"
    assert subset_scores(mine) == subset_scores(builtin)
    assert mine["metrics"][0]["num"] == 12
    assert mine_keys == builtin_keys and len(mine_keys) == 12  # the same prompts, few-shot included


@pytest.mark.slow
def test_yaml_generation_benchmark_matches_builtin_gsm8k(dataset_dir, tmp_path):
    bench = tmp_path / "bench"
    copy_lines(dataset_dir / "gsm8k" / "test.jsonl", bench / "gsm8k" / "test.jsonl", 6)
    (bench / "my_gsm8k.yaml").write_text(GSM8K_YAML, encoding="utf-8")
    reply = ["--model-args", json.dumps({"reply": "She makes 9 * 2 = 18 dollars. The answer is 18."})]

    mine, mine_keys = evaluate(
        tmp_path, "my_gsm8k", "--datasets", str(bench), *reply
    )  # a folder of YAML files
    builtin, builtin_keys = evaluate(
        tmp_path,
        "gsm8k",
        "--datasets",
        "gsm8k",
        "--limit",
        "6",
        "--dataset-dir",
        str(dataset_dir),
        *reply,
        "--dataset-args",
        json.dumps({"gsm8k": {"few_shot_num": 0}}),
    )
    assert mine["dataset_name"] == "my_gsm8k"
    assert subset_scores(mine) == subset_scores(builtin)
    assert 0 < mine["score"] < 1  # the first question's answer is 18: one hit, five misses
    assert mine_keys == builtin_keys and len(mine_keys) == 6


# -- bad YAML: one Error line naming the file and the key, before any model call ----------------------


def error_of(tmp_path: Path, yaml_text: str, *, data: bool = True) -> str:
    bench = tmp_path / "bench"
    if data:
        gsm = bench / "gsm8k"
        gsm.mkdir(parents=True, exist_ok=True)
        (gsm / "test.jsonl").write_text(
            '{"question": "1+1?", "answer": "#### 2"}\n{"query": "2+2?", "answer": "#### 4"}\n'
        )
    bench.mkdir(exist_ok=True)
    path = bench / "bad.yaml"
    path.write_text(yaml_text, encoding="utf-8")
    proc = run_cli(
        "eval",
        "--model",
        "mock",
        "--eval-type",
        "mock",
        "--datasets",
        str(path),
        "--work-dir",
        str(tmp_path / "out"),
        cwd=tmp_path,
    )
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stdout + proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("Error: "), proc.stderr
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").rglob("predictions/*/*.jsonl"))
    return lines[0]


@pytest.mark.slow
def test_unknown_key_names_its_path_and_the_file(tmp_path):
    line = error_of(tmp_path, GSM8K_YAML.replace("  template:", "  templat:", 1))
    assert str(tmp_path / "bench" / "bad.yaml") in line
    assert "prompt" in line and "unknown key 'templat'" in line and "Did you mean: template" in line


@pytest.mark.slow
def test_missing_column_names_data_file_and_line(tmp_path):
    line = error_of(tmp_path, GSM8K_YAML)
    # the second record has no `question`: its file and line, and the YAML key that names the column
    assert f"{tmp_path / 'bench' / 'gsm8k' / 'test.jsonl'}:2" in line
    assert "missing column 'question'" in line and "prompt.template in bad.yaml" in line


@pytest.mark.slow
def test_unknown_metric_name_suggests_the_close_one(tmp_path):
    line = error_of(tmp_path, GSM8K_YAML.replace("[AverageAccuracy]", "[AverageAcuracy]"))
    assert f"{tmp_path / 'bench' / 'bad.yaml'}: scoring.metrics[0]: unknown metric 'AverageAcuracy'" in line
    assert "Did you mean: AverageAccuracy" in line


@pytest.mark.slow
def test_yaml_benchmark_name_may_not_shadow_a_builtin(tmp_path):
    line = error_of(tmp_path, GSM8K_YAML.replace("name: my_gsm8k", "name: gsm8k"))
    assert "name: 'gsm8k' is a registered benchmark" in line


@pytest.mark.slow
def test_benchmarks_command_shows_a_yaml_benchmark_and_its_errors(tmp_path):
    (tmp_path / "my_gsm8k.yaml").write_text(GSM8K_YAML, encoding="utf-8")
    (tmp_path / "bad.yaml").write_text(GSM8K_YAML.replace("[AverageAccuracy]", "[nope]"), encoding="utf-8")
    shown = run_cli("benchmarks", "my_gsm8k.yaml", "--format", "json", cwd=tmp_path)
    assert shown.returncode == 0, shown.stderr
    (info,) = json.loads(shown.stdout)
    assert (info["name"], info["subsets"], info["metrics"]) == ("my_gsm8k", ["main"], ["AverageAccuracy"])
    bad = run_cli("benchmarks", "bad.yaml", cwd=tmp_path)
    assert bad.returncode == 1
    lines = [line for line in bad.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith(
        "Error: bad.yaml: scoring.metrics[0]: unknown metric 'nope'."
    ), bad.stderr
