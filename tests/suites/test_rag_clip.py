"""RAGEval / CLIP benchmark: open_clip + clip_benchmark in the managed env `clip` (CUDA torch 2.14.1, ~6 GB).

In CI the env is not installed (its size): tests reach the process boundary — the eval_config is
checked, the worker's JSON request is built, a missing env is one line naming `evalscope backend
install clip` — and the real run is SKIPPED with that reason, never passed. `scripts/test_backends.sh`
installs the env and runs the real test: a ViT-S-32 with random weights saved to a local file (no
pretrained weights are reachable offline; scores are near chance by construction) on a generated
coloured-shapes set (scripts/make_clip_shapes.py): zero-shot classification from a WebDataset folder
and image-text retrieval from EvalScope's image_queries.jsonl layout.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from evalscope.app.requests import suite_request
from evalscope.backends.suites import envs
from evalscope.backends.suites.rageval import config as ragcfg
from evalscope.backends.suites.rageval.suite import RAGEvalSuite, build_request
from evalscope.cli.main import main
from evalscope.config import TaskConfig
from evalscope.core.serialization import unstructure
from evalscope.core.stores import open_reader

ROOT = Path(__file__).resolve().parents[2]


def make_shapes(dest: Path) -> dict[str, Path]:
    spec = importlib.util.spec_from_file_location("make_clip_shapes", ROOT / "scripts" / "make_clip_shapes.py")
    module = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    spec.loader.exec_module(module)
    return module.make(dest, per_class=2, size=48)


def clip_cfg(data_dir: Path, weights: Path | None = None, **extra: object) -> dict:
    model = {"model_name": "ViT-S-32"}
    if weights is not None:
        model["pretrained"] = str(weights)
    return {"tool": "clip_benchmark", "eval": {"models": [model], "dataset_name": ["shapes_cls", "shapes_ret"],
                                               "data_dir": str(data_dir), "batch_size": 8, **extra}}


def write_cfg(path: Path, cfg: dict) -> Path:
    path.write_text(yaml.safe_dump(cfg), encoding="utf-8")
    return path


def run_cli(*args: str):
    return CliRunner().invoke(main, ["eval", "--eval-backend", "RAGEval", *args])


def test_generated_set_is_real_images_with_captions(tmp_path):
    made = make_shapes(tmp_path)
    lines = (made["retrieval"] / "image_queries.jsonl").read_text().splitlines()
    assert len(lines) == 12 * 2
    first = json.loads(lines[0])
    image = made["retrieval"] / first["image_path"]
    assert image.read_bytes().startswith(b"\x89PNG\r\n\x1a\n") and first["query"][0].startswith("a ")
    classes = (made["classification"] / "classnames.txt").read_text().split("\n")[:-1]
    assert len(classes) == 12 and "red circle" in classes
    assert (made["classification"] / "test" / "0.tar").stat().st_size > 0


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda c: c["eval"].update(dataset_names=c["eval"].pop("dataset_name")),
         "eval_config: eval: unknown key 'dataset_names'. Did you mean: dataset_name"),
        (lambda c: c["eval"].update(task="zero_shot_classification"),
         "eval_config: eval: task: must be one of zeroshot_classification, zeroshot_retrieval"),
        (lambda c: c["eval"]["models"][0].update(pretrained="/nonexistent/w.pt"),
         "eval_config: eval.models[0].pretrained: weights file /nonexistent/w.pt does not exist"),
        (lambda c: c["eval"].update(dataset_name=["shapes_nope"]),
         "eval_config: eval.dataset_name[0]: missing file"),
    ],
)
def test_bad_eval_config_names_the_key(tmp_path, change, expected):
    make_shapes(tmp_path / "data")
    cfg = clip_cfg(tmp_path / "data")
    change(cfg)
    result = run_cli("--eval-config", str(write_cfg(tmp_path / "cfg.yaml", cfg)), "--work-dir", str(tmp_path / "out"))
    assert result.exit_code == 1, result.output
    assert result.output.startswith(f"Error: {expected}"), result.output
    assert not (tmp_path / "out").exists()


def test_request_is_built_and_a_missing_env_names_the_install_command(tmp_path, monkeypatch):
    make_shapes(tmp_path / "data")
    cfg = clip_cfg(tmp_path / "data")
    task = suite_request(TaskConfig(eval_backend="RAGEval", eval_config=cfg))
    parsed = ragcfg.parse(cfg, "eval_config")
    request = build_request("clip_benchmark", task, unstructure(parsed), tmp_path / "run",
                            {"output_dir": str(tmp_path / "run" / "clip_benchmark"), "data_dir": str(tmp_path / "data")})
    sent = json.loads(json.dumps(unstructure(request)))
    assert sent["suite"] == "RAGEval/clip_benchmark"
    assert sent["eval_config"]["eval"]["dataset_name"] == ["shapes_cls", "shapes_ret"]
    assert RAGEvalSuite().model_id(task, cfg) == "ViT-S-32"

    monkeypatch.setenv("EVALSCOPE_BACKEND_HOME", str(tmp_path / "no-envs"))
    result = run_cli("--eval-config", str(write_cfg(tmp_path / "cfg.yaml", cfg)), "--work-dir", str(tmp_path / "out"))
    assert result.exit_code == 1, result.output
    assert result.output.startswith("Error: RAGEval (clip_benchmark) runs in its own environment, which is not installed")
    assert result.output.rstrip().endswith("install it with: evalscope backend install clip")


@pytest.fixture(scope="module")
def clip_env() -> Path:
    state = envs.status("clip")
    if state.state != "ready":
        pytest.skip(f"the clip env (~6 GB, CUDA torch 2.14.1) is {state.state}: not installed in CI; "
                    "scripts/test_backends.sh installs it and runs this test for real")
    return envs.env_python("clip")


@pytest.mark.slow
def test_real_run_prints_the_table_and_lands_in_both_stores(tmp_path, clip_env, monkeypatch):
    import subprocess

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    make_shapes(tmp_path / "data")
    weights = tmp_path / "vit-s-32-random.pt"
    subprocess.run([str(clip_env), "-c", (
        "import torch, open_clip, sys; torch.manual_seed(0); "
        "m, _, _ = open_clip.create_model_and_transforms('ViT-S-32', pretrained=None); "
        "torch.save(m.state_dict(), sys.argv[1])"), str(weights)], check=True, timeout=600)
    out = tmp_path / "out"
    result = run_cli("--eval-config", str(write_cfg(tmp_path / "cfg.yaml", clip_cfg(tmp_path / "data", weights))),
                     "--work-dir", str(out), "--no-timestamp")
    assert result.exit_code == 0, result.output
    print(result.output)
    rows = {(r[2].strip(), r[3].strip()): (int(r[6]), float(r[7])) for r in
            (line.split("|") for line in result.output.splitlines() if line.startswith("| ViT-S-32"))}
    assert rows[("shapes_cls", "acc1")][0] == 24 and 0.0 <= rows[("shapes_cls", "acc1")][1] <= 1.0
    assert ("shapes_ret", "image_retrieval_recall@5") in rows and ("shapes_ret", "text_retrieval_recall@5") in rows
    for reader in (open_reader(out / "evalscope.db"), open_reader(out)):
        (run,) = reader.list_runs()
        assert (run.model_id, run.status, sorted(run.datasets)) == ("ViT-S-32", "finished", ["shapes_cls", "shapes_ret"])
        reports = {r.dataset_name: r for r in reader.load_reports(run.run_id)}
        per_image = [r for r in reader.iter_results(run.run_id) if r.request_key.startswith("clip:shapes_cls")]
        assert len(per_image) == 24
        # clip_benchmark's own acc1 is the mean of the per-image hits we stored
        assert reports["shapes_cls"].metrics[0].score == pytest.approx(sum(r.scores["acc1"] for r in per_image) / 24, abs=1e-3)
