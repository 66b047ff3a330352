"""`evalscope benchmarks NAME`: what a user needs before running one benchmark, with one prompt
rendered from the local data through the code path of a run."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from evalscope.cli.benchmarks_cmd import benchmarks_command


def show(*args: str) -> str:
    result = CliRunner().invoke(benchmarks_command, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def section(text: str, title: str) -> str:
    """The lines of one section of the card (from its title to the next blank line before a title)."""
    return (
        text.split(f"\n{title}", 1)[1].split("\n\n", 1)[0]
        if title != "Prompt"
        else text.split("\nPrompt\n", 1)[1].split("\nExtraction", 1)[0]
    )


@pytest.mark.parametrize("width", [80, 100])
def test_gsm8k_card_renders_the_first_local_sample(dataset_dir, width):
    out = show("gsm8k", "--dataset-dir", str(dataset_dir), "--width", str(width))
    print(out)
    assert max(len(line) for line in out.splitlines()) <= width
    data = section(out, "Data")
    assert "ModelScope: modelscope/gsm8k" in data and "Hugging Face: openai/gsm8k" in data
    assert "<dataset-dir>/gsm8k/ with {split}.jsonl" in data and f"found: {dataset_dir / 'gsm8k'}" in data
    assert section(out, "Subsets (1)").strip() == "main"
    assert "a local model gets generation; a service gets generation" in out
    assert "Few-shot default: 4 from the train split" in out
    prompt = section(out, "Prompt")
    # 4 train exemplars, then the first test question, as the run sends it
    assert prompt.count("Question:") == 5 and "[user]" in prompt
    assert "Janet’s ducks lay 16 eggs per day." in prompt.replace("\n  ", " ")
    assert "Expected answer: 18" in prompt
    assert "the last number of the reply" in section(out, "Extraction and scoring")
    assert "evalscope eval --model smollm2-135m-instruct --datasets gsm8k --limit 5" in out


def test_the_rendered_prompt_is_what_a_run_sends(dataset_dir):
    from evalscope.app.plan import plan_run
    from evalscope.benchmarks import get_benchmark
    from evalscope.config import TaskConfig
    from evalscope.core.types import RequestKind

    listed = json.loads(show("gsm8k", "arc", "--format", "json", "--dataset-dir", str(dataset_dir)))
    assert [i["name"] for i in listed] == ["gsm8k", "arc"] and "example" not in listed[0]  # several: the list
    for name in ("gsm8k", "arc", "hellaswag"):
        (card,) = json.loads(show(name, "--format", "json", "--dataset-dir", str(dataset_dir)))
        cfg = TaskConfig.from_dict(
            {
                "model": "m",
                "eval_type": "checkpoint",
                "datasets": [name],
                "limit": 1,
                "dataset_dir": str(dataset_dir),
            }
        )
        planned = plan_run(cfg, {name: get_benchmark(name)}, frozenset(RequestKind)).tasks[name]
        request = planned.task.build_request(planned.samples[0])
        ex = card["example"]
        assert ex["rendered"] is True and ex["output_type"] == planned.task.output_type
        assert ex["messages"] == [{"role": m.role, "content": m.text} for m in request.messages or []]
        assert (ex["prompt"], ex["choices"]) == (request.prompt, list(request.choices or []))
    assert card["name"] == "hellaswag" and card["subsets"] == ["default"]  # the list's keys too


def test_mcq_card_names_options_and_output_types(dataset_dir):
    out = show("arc", "--dataset-dir", str(dataset_dir))
    assert "a local model gets multiple_choice; a service gets generation" in out
    assert "[options scored by next-token probability] A, B, C, D" in out
    assert "Subset ARC-Easy, sample" in out and "Expected answer: A" in out
    assert "the option letter with the highest next-token probability" in out


def test_all_subsets_are_listed_wrapped(dataset_dir):
    out = show("mmlu", "--dataset-dir", str(dataset_dir), "--width", "80")
    subsets = section(out, "Subsets (57)")
    assert "world_religions" in subsets and "abstract_algebra" in subsets and "…" not in subsets
    assert max(len(line) for line in out.splitlines()) <= 80
    assert "found: " in out and "(57 of 57 subsets' test files)" in out


def test_without_local_data_the_template_is_shown(tmp_path):
    out = show("gsm8k", "--dataset-dir", str(tmp_path), "--width", "200")
    assert f"not found: {tmp_path / 'gsm8k'} does not exist" in out
    assert f"Not rendered: the data is not local under {tmp_path}" in out
    assert "{query}" in section(out, "Prompt") and "gsm8k.format_query" in out


def test_unknown_name_still_suggests():
    result = CliRunner().invoke(benchmarks_command, ["gsm8kk"])
    assert result.exit_code == 2 and "Did you mean: gsm8k" in result.output
