"""One door to a model: `ModelSpec` + `open_model` (core/models/spec.py). Every place that builds a
model goes through it, the key never shows, and the judge's settings are checked as the judge's."""

from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path

from click.testing import CliRunner

from evalscope.cli.main import main
from evalscope.core.models.spec import ModelSpec, open_model
from evalscope.core.types import GenerationConfig, ModelRequest, RequestKind

ROOT = Path(__file__).resolve().parents[2]
#: the only modules that may construct `Model(...)` or a `RetryPolicy(...)`
DOOR = {
    "packages/evalscope-core/src/evalscope/core/model.py",
    "packages/evalscope-core/src/evalscope/core/models/spec.py",
}
BUILDS = re.compile(r"(?<![\w.])(?:Model|RetryPolicy)\(")


def test_every_model_is_built_through_open_model():
    """run.py, the judge, the arena, the Ray worker, the ThirdParty suites and serve used to wrap
    `Model(api, retry=RetryPolicy(...))` each their own way; now only the door does."""
    found = []
    for path in sorted(ROOT.glob("packages/*/src/evalscope/**/*.py")):
        rel = str(path.relative_to(ROOT))
        if rel in DOOR:
            continue
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if BUILDS.search(line.split("#", 1)[0]):
                found.append(f"{rel}:{n}: {line.strip()}")
    assert not found, "models built outside open_model:\n" + "\n".join(found)


def test_spec_opens_a_model_with_its_policy_and_hides_the_key():
    spec = ModelSpec(
        provider="mock",
        model="m",
        api_key="sk-secret-1",
        model_args={"reply": "B"},
        concurrency=3,
        retries=2,
        timeout=7.0,
        cache=False,
        generation=GenerationConfig(max_tokens=4),
    )
    assert "sk-secret-1" not in repr(spec) and "sk-secret-1" not in json.dumps(spec.to_dict())
    model = open_model(spec)
    assert (model.max_concurrency, model.retry.retries, model.timeout) == (3, 2, 7.0)
    assert model.api.batch_size == 3 and model.api.model_name == "m"
    output = asyncio.run(model.call(ModelRequest(RequestKind.GENERATE, prompt="Which?")))
    assert output.text == "B"


def test_judge_settings_are_checked_as_the_judges(tmp_path):
    """A judge of eval_type service without api_url: the error names judge_model_args.api_url (it
    said `api_url: required ...`, as if the evaluated model's --api-url were missing)."""
    data = tmp_path / "qa"
    data.mkdir()
    (data / "default.jsonl").write_text(
        json.dumps({"query": "Capital of France?", "response": "Paris"}) + "\n"
    )
    result = CliRunner().invoke(
        main,
        [
            "eval",
            "--model",
            "mock",
            "--eval-type",
            "mock",
            "--datasets",
            "general_qa",
            "--dataset-args",
            json.dumps({"general_qa": {"local_path": str(data)}}),
            "--judge-strategy",
            "llm",
            "--judge-model-args",
            json.dumps({"model_id": "judge", "eval_type": "service"}),
            "--work-dir",
            str(tmp_path / "out"),
        ],
    )
    assert result.exit_code == 1, result.output
    assert "Error: judge_model_args.api_url: required when eval_type is 'service'" in result.output
    assert not (tmp_path / "out").exists()  # refused before any run dir was made
