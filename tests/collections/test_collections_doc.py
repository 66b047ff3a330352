"""docs/collections.md's example, run as written: its schema, its commands (the real `evalscope` CLI in
child processes, the mock model, the local datasets) and the output it shows, line by line."""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from evalscope.benchmarks import get_benchmark
from evalscope.core.collections import CollectionSchema, WeightedSampler, dump_jsonl

DOC = Path(__file__).resolve().parents[2] / "docs" / "collections.md"
EXE = str(Path(sys.executable).with_name("evalscope"))
SHARED = "../shared/datasets"


def block(marker: str) -> str:
    """The fenced block right after `<!-- collections-example:MARKER -->`."""
    found = re.search(
        rf"<!-- collections-example:{re.escape(marker)} -->\s*```\w*\n(.*?)```",
        DOC.read_text(encoding="utf-8"),
        re.S,
    )
    assert found, f"docs/collections.md lost its {marker!r} block"
    return found.group(1)


def commands(dataset_dir: Path) -> list[list[str]]:
    """The documented command lines (continuations joined), the datasets path pointed at the tests'."""
    text = block("commands").replace("\\\n", " ").replace(SHARED, str(dataset_dir))
    return [shlex.split(line) for line in text.splitlines() if line.strip()]


def test_the_documented_example_runs_and_prints_what_the_doc_shows(dataset_dir, tmp_path):
    schema = json.loads(block("schema"))
    (tmp_path / "mix.json").write_text(json.dumps(schema), encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k != "EVALSCOPE_DATASET_DIR"}  # the flags say where
    outputs = []
    for argv in commands(dataset_dir):
        assert argv[0] == "evalscope"
        out = subprocess.run(
            [EXE, *argv[1:]],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=300,
            env={**env, "NO_COLOR": "1"},
        )
        assert out.returncode == 0, (argv, out.stderr[-2000:])
        outputs.append(out.stdout)
    create, evaluate, report = outputs
    assert create.splitlines() == block("output create").splitlines()
    assert report.splitlines() == block("output report").splitlines()
    # eval prints the same collection tables before its score table
    assert block("output report").split("Written:")[0].strip() in evaluate
    assert (tmp_path / "outputs/mix-run/reports/mock/collection/collection_report.json").is_file()


def test_the_documented_python_draws_the_same_rows(dataset_dir, tmp_path):
    (tmp_path / "mix.json").write_text(block("schema"), encoding="utf-8")
    create = next(argv for argv in commands(dataset_dir) if argv[1:3] == ["collection", "create"])
    subprocess.run([EXE, *create[1:]], cwd=tmp_path, check=True, capture_output=True, timeout=300)
    schema = CollectionSchema.from_json(tmp_path / "mix.json")
    rows = WeightedSampler(schema, resolve=get_benchmark, dataset_dir=str(dataset_dir), hub="local", seed=3).sample(20)
    mine = dump_jsonl(rows, tmp_path / "python.jsonl")
    assert mine.read_text(encoding="utf-8") == (tmp_path / "outputs" / "mix.jsonl").read_text(
        encoding="utf-8"
    )


@pytest.mark.parametrize("word", ["weighted", "uniform", "stratified", "--generation-only", "--no-shuffle"])
def test_every_sampler_and_switch_of_the_command_is_documented(word):
    from click.testing import CliRunner

    from evalscope.cli.collection_cmd import collection_command

    assert word in CliRunner().invoke(collection_command, ["create", "--help"]).output
    assert f"`{word}`" in DOC.read_text(encoding="utf-8")
