"""HumanEval through the real data, the spec and the sandbox: canonical solutions pass, bare prompts fail."""

from __future__ import annotations

import os

import pytest

from evalscope.benchmarks.humaneval import SPEC, program_for
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


def test_prompt_matches_evalscope(task_and_samples):
    task, samples = task_and_samples
    assert len(samples) == 164 and samples[0].id == "HumanEval/0"
    (msg,) = task.build_request(samples[0]).messages
    assert msg.content == "Complete the following python code:\n" + samples[0].input


def _run_all(samples, completion_of):
    jobs = [SandboxJob(code=program_for(s, completion_of(s)), timeout=5.0) for s in samples]
    return run_many(jobs, workers=max(2, default_workers()))


def test_canonical_solutions_all_pass_and_bare_prompts_all_fail(task_and_samples):
    _, samples = task_and_samples
    good = _run_all(samples, lambda s: s.target)
    failed = [(s.id, r.status, r.stderr[-300:]) for s, r in zip(samples, good, strict=True) if not r.passed]
    assert failed == []
    bare = _run_all(samples, lambda s: "")
    assert sum(r.passed for r in bare) == 0
    assert {r.status for r in bare} == {"failed"}
    assert all(r.isolation in {"namespaces", "userns"} for r in good + bare)


def test_spec_scores_model_answers_in_the_sandbox(task_and_samples):
    task, samples = task_and_samples
    sample = samples[2]  # truncate_number: return number % 1.0
    answers = {
        "```python\ndef truncate_number(number: float) -> float:\n    return number % 1.0\n```": 1.0,
        "    return number % 1.0\n": 1.0,
        "    return number\n": 0.0,
        "    import os\n    os.system('touch /tmp/pwned'); return number % 1.0\n": 1.0,
        "    while True:\n        pass\n": 0.0,
    }
    for text, expected in answers.items():
        output = ModelOutput(text=text)
        _, prediction = task.predict(sample, output)
        assert SPEC.scoring.score(prediction, sample, output) == {"Pass@1": expected}, text
    assert not os.path.exists("/tmp/pwned")


SLOW_BUT_RIGHT = (
    "```python\nimport time\ntime.sleep(1.0)\n\n"
    "def has_close_elements(numbers, threshold):\n"
    "    return any(abs(a - b) < threshold for i, a in enumerate(numbers) for b in numbers[i + 1:])\n```"
)


@pytest.mark.parametrize(("extra_params", "expected"), [({}, 1.0), ({"timeout": 0.5}, 0.0)])
def test_user_timeout_from_dataset_args_reaches_the_sandbox(extra_params, expected, dataset_dir, tmp_path):
    from evalscope.run import run_task

    reports = run_task(
        {"model": "mock", "eval_type": "mock", "model_args": {"reply": SLOW_BUT_RIGHT}, "datasets": ["humaneval"],
         "dataset_args": {"humaneval": {"extra_params": extra_params}}, "limit": 1, "dataset_dir": str(dataset_dir),
         "work_dir": str(tmp_path), "store": "workdir"},
        print_table=False,
    )
    assert reports["humaneval"].score == expected
