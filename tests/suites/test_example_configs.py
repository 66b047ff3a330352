"""The eval_configs shipped in examples/backends/ stay valid (no model calls, no suite run).

- Every YAML there loads and passes its suite's `check_config`, read from the repository root as
  the folder's README says (`../shared/datasets` stands for the shared datasets: the tests'
  EVALSCOPE_DATASET_DIR); the RAGAS testset is the one make_ragas_testset.py writes, built here
  from the same PubMedQA rows with a fixed response instead of the served model's.
- Relative data paths reach the suite's worker (which runs in the run's own folder) as absolute
  paths to the same files.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from typing import Any

import pytest

from evalscope.app.requests import suite_request
from evalscope.app.suites import load_eval_config
from evalscope.config import TaskConfig
from evalscope.core.registry import eval_backends

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples" / "backends"
SHIPPED = {
    "opencompass.yaml": "OpenCompass",
    "mteb.yaml": "RAGEval",
    "ragas.yaml": "RAGEval",
    "longbench_write.yaml": "ThirdParty",
    "toolbench.yaml": "ThirdParty",
}
SHARED = "../shared/datasets"


def example(name: str, dataset_dir: Path) -> dict[str, Any]:
    """The shipped eval_config, its `../shared/datasets` paths pointed at the tests' dataset dir."""
    text = json.dumps(load_eval_config(str(EXAMPLES / name)))
    return json.loads(text.replace(json.dumps(SHARED)[1:-1], json.dumps(str(dataset_dir))[1:-1]))


def make_testset_module() -> Any:
    spec = importlib.util.spec_from_file_location("make_ragas_testset", EXAMPLES / "make_ragas_testset.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_shipped_yaml_is_covered():
    assert sorted(p.name for p in EXAMPLES.glob("*.yaml")) == sorted(SHIPPED)
    readme = (EXAMPLES / "README.md").read_text(encoding="utf-8")
    for name, backend in SHIPPED.items():
        assert f"--eval-backend {backend} --eval-config examples/backends/{name}" in readme, name


@pytest.mark.parametrize("name", sorted(set(SHIPPED) - {"ragas.yaml"}))
def test_shipped_config_passes_check_config(name, dataset_dir, monkeypatch):
    monkeypatch.chdir(REPO)
    eval_config = example(name, dataset_dir)
    eval_backends.get(SHIPPED[name])().check_config(eval_config, where="eval_config")


def test_shipped_ragas_config_passes_check_config_with_the_generated_testset(tmp_path, dataset_dir, monkeypatch):
    rows = make_testset_module().pubmedqa_rows(dataset_dir, 1)
    assert rows[0]["user_input"] and rows[0]["retrieved_contexts"] and rows[0]["reference"]
    eval_config = example("ragas.yaml", dataset_dir)
    testset = tmp_path / eval_config["eval"]["testset_file"]
    testset.parent.mkdir(parents=True)
    testset.write_text(json.dumps([{**rows[0], "response": "Yes."}]), encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    eval_backends.get("RAGEval")().check_config(eval_config, where="eval_config")


def test_relative_data_paths_reach_the_worker_absolute(tmp_path, dataset_dir, monkeypatch):
    """The configs name their data relative to the current directory; the workers run in the run's
    folder, so the adapters hand them absolute paths to the same files."""
    from evalscope.backends.suites.opencompass.config import parse_config
    from evalscope.backends.suites.opencompass.suite import resolve_plan

    root = dataset_dir.resolve()
    monkeypatch.chdir(root)
    oc = example("opencompass.yaml", root)
    oc["datasets"][0]["path"] = "ceval/val/computer_network_val.csv"
    plan = resolve_plan(parse_config(oc, where="eval_config"), suite_request(TaskConfig()), tmp_path / "run")
    (dataset,) = plan.datasets
    assert dataset.name == "computer_network_val"
    assert dataset.custom.path == str(root / "ceval" / "val" / "computer_network_val.csv")

    if importlib.util.find_spec("mteb") is None:  # scripts/install_dev.sh installs the [rag] extra
        pytest.fail("mteb is not installed; run: pip install 'evalscope-backends[rag]'")
    from evalscope.backends.suites.rageval import config as cfgmod
    from evalscope.backends.suites.rageval.suite import RAGEvalSuite

    mteb_cfg = example("mteb.yaml", root)
    mteb_cfg["eval"]["dataset_path"] = "cranfield/beir_format"
    parsed = cfgmod.parse(mteb_cfg, "eval_config")
    RAGEvalSuite()._mteb(parsed, suite_request(TaskConfig()), tmp_path / "run")
    assert parsed.eval.dataset_path == str(root / "cranfield" / "beir_format")
