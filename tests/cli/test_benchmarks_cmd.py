"""`evalscope benchmarks`: the catalogue in text and JSON, filters, and a light import footprint."""

from __future__ import annotations

import json
import subprocess
import sys

from click.testing import CliRunner

from evalscope.cli.benchmarks_cmd import benchmarks_command


def test_text_lists_every_benchmark(dataset_dir):
    result = CliRunner().invoke(benchmarks_command, ["--dataset-dir", str(dataset_dir)])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    arc = next(line for line in lines if line.startswith("arc "))
    assert "2: ARC-Easy, ARC-Challenge" in arc and "multiple_choice, generation, continuation" in arc
    assert "modelscope/ai2_arc" in arc and "local:arc/ (found)" in arc
    mmlu = next(line for line in lines if line.startswith("mmlu "))
    assert "57: abstract_algebra, anatomy, astronomy, …" in mmlu
    gsm8k = next(line for line in lines if line.startswith("gsm8k "))
    assert "AverageAccuracy" in gsm8k and " 4 " in gsm8k  # 4-shot


def test_json_with_filters(dataset_dir):
    result = CliRunner().invoke(benchmarks_command, ["gsm8k", "mmlu*", "--format", "json", "--dataset-dir", str(dataset_dir)])
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
