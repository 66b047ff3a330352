"""`evalscope benchmarks`: the catalogue in text and JSON, filters, and a light import footprint."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from click.testing import CliRunner

from evalscope.cli.benchmarks_cmd import benchmarks_command


def lines_of(args: list[str]) -> list[str]:
    result = CliRunner().invoke(benchmarks_command, args)
    assert result.exit_code == 0, result.output
    return result.output.splitlines()


def row(lines: list[str], name: str) -> list[str]:
    return next(line for line in lines if line.startswith(name + " ")).split()


@pytest.mark.parametrize("width", [80, 100])
def test_list_fits_the_width(dataset_dir, width):
    lines = lines_of(["--dataset-dir", str(dataset_dir), "--width", str(width)])
    print("\n".join(lines))  # the list at 80 and 100 columns (pytest -s shows it)
    assert max(len(line) for line in lines) <= width
    assert row(lines, "gsm8k")[:6] == ["gsm8k", "1", "4", "gen", "found", "AverageAccuracy"]
    assert row(lines, "arc")[:6] == ["arc", "2", "0", "mc,gen,cont", "found", "AverageAccuracy"]
    assert row(lines, "mmlu")[:2] == ["mmlu", "57"] and row(lines, "gpqa")[4] == "no"
    assert row(lines, "general_qa")[5:8] == ["bleu-1,", "bleu-2", "+11"]  # 13 metrics, shortened
    assert ("Description" in lines[0]) is (width == 100)


def test_list_is_100_columns_when_not_a_terminal(dataset_dir):
    lines = lines_of(["--dataset-dir", str(dataset_dir)])  # CliRunner's stdout is not a tty
    assert max(len(line) for line in lines) <= 100 and "Description" in lines[0]


def test_markdown_holds_every_column(dataset_dir):
    lines = lines_of(["--format", "markdown", "--dataset-dir", str(dataset_dir)])
    assert lines[0].startswith(
        "| Name | Pretty name | Description | Subsets | Metrics | Output types | Shots |"
    )
    assert set(lines[1]) == {"|", "-"}
    cells = {
        line.split(" | ")[0][2:]: [c.strip() for c in line.strip("| ").split(" | ")] for line in lines[2:]
    }
    mmlu = cells["mmlu"]
    assert len(mmlu) == len(lines[0].strip("| ").split(" | "))
    assert mmlu[3].startswith("57: abstract_algebra, anatomy,") and mmlu[3].endswith("world_religions")
    assert cells["gsm8k"][8:12] == ["modelscope/gsm8k", "openai/gsm8k", "gsm8k/", "yes"]
    assert "bleu-4, rouge-1-f" in cells["general_qa"][4]


def test_json_with_filters(dataset_dir):
    result = CliRunner().invoke(
        benchmarks_command, ["gsm8k", "mmlu*", "--format", "json", "--dataset-dir", str(dataset_dir)]
    )
    assert result.exit_code == 0, result.output
    infos = {i["name"]: i for i in json.loads(result.output)}
    assert set(infos) >= {"gsm8k", "mmlu"} and all(n == "gsm8k" or n.startswith("mmlu") for n in infos)
    gsm8k = infos["gsm8k"]
    assert gsm8k["subsets"] == ["main"] and gsm8k["few_shot_num"] == 4
    assert gsm8k["dataset_id"] == "modelscope/gsm8k" and gsm8k["hf_dataset_id"] == "openai/gsm8k"
    assert gsm8k["local_found"] is True and gsm8k["local_path"].endswith("gsm8k")
    assert infos["mmlu"]["num_subsets"] == 57


def test_unknown_name_suggests():
    result = CliRunner().invoke(benchmarks_command, ["gsm8kk"])
    assert result.exit_code == 2 and "Did you mean: gsm8k" in result.output


def test_imports_nothing_heavy():
    code = (
        "import sys\n"
        "from click.testing import CliRunner\n"
        "from evalscope.cli.main import main\n"
        "r = CliRunner().invoke(main, ['benchmarks', '--format', 'json'])\n"
        "assert r.exit_code == 0, r.output\n"
        "heavy = {'torch', 'transformers', 'openai', 'aiohttp', 'sqlmodel', 'sqlalchemy', 'modelscope', 'datasets'}\n"
        "print(sorted(heavy & set(sys.modules)))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"
