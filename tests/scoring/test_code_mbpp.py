"""MBPP through the real data, the spec and the sandbox."""

from __future__ import annotations

import pytest

from evalscope.benchmarks.mbpp import SPEC, program_for
from evalscope.config import DatasetArgs
from evalscope.core.sandbox import SandboxJob, default_workers, run_many
from evalscope.core.tasks import DatasetLoader, build_task, load_samples
from evalscope.core.types import ModelOutput, RequestKind


@pytest.fixture(scope="module")
def task_and_samples(dataset_dir):
    args = DatasetArgs()
    task = build_task(SPEC, args=args, capabilities=frozenset({RequestKind.GENERATE}), generation_config=None, seed=42)
    samples = load_samples(task, DatasetLoader(str(dataset_dir), hub="local"), args, None)
    return task, samples


def test_test_split_and_three_shot_prompt(task_and_samples):
    task, samples = task_and_samples
    assert [s.id for s in samples] == [str(i) for i in range(11, 511)]
    request = task.build_request(samples[0])
    text = request.messages[-1].content
    assert text.count("[BEGIN]") == 4 and text.count("[DONE]") == 3
    assert text.startswith("You are an expert Python programmer, and here is your task: Write a function to find the similar")
    assert "def heap_queue_largest" in text  # exemplar task 4
    assert text.endswith("Your code should pass these tests:\n\n" + "\n".join(samples[0].metadata["test_list"]) + "\n[BEGIN]\n")
    assert request.config.stop == ["[DONE]"]


def test_reference_code_passes_on_a_slice_of_the_test_split(task_and_samples):
    # every 5th task (100); bench/sandbox_code_refs.py runs all 500. Task 123 is left out: its
    # reference needs ~3 s of CPU idle and nears the 10 s limit on a loaded 2-core machine.
    _, samples = task_and_samples
    chosen = [s for i, s in enumerate(samples) if i % 5 == 0 and s.id != "123"]
    results = run_many([SandboxJob(code=program_for(s, s.target), timeout=10.0) for s in chosen],
                       workers=max(2, default_workers()))
    failed = [(s.id, r.status, r.stderr[-200:]) for s, r in zip(chosen, results, strict=True) if not r.passed]
    assert failed == []
    wrong = run_many([SandboxJob(code=program_for(s, "def unrelated():\n    pass\n"), timeout=10.0) for s in chosen[:10]])
    assert not any(r.passed for r in wrong)


def test_spec_scores_a_model_answer(task_and_samples):
    task, samples = task_and_samples
    sample = samples[0]  # task 11: remove first and last occurrence of a char
    good = ModelOutput(text=" " + sample.target.replace("\r\n", "\n") + " \n")
    bad = ModelOutput(text="```python\ndef remove_Occ(s, ch):\n    return s\n```")
    for output, expected in ((good, 1.0), (bad, 0.0)):
        _, prediction = task.predict(sample, output)
        assert SPEC.scoring.score(prediction, sample, output) == {"Pass@1": expected}
