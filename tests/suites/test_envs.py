"""Managed environments of third-party suites and the process boundary to their workers.

- A missing, half-installed or stale env is one line naming the command that fixes it.
- `evalscope backend list|remove|install` on a scratch EVALSCOPE_BACKEND_HOME.
- The boundary: records cross it through cattrs unchanged; a worker that dies, hangs past its
  timeout or cannot import its suite is a clear error quoting its log.
- The real `opencompass` env (scripts/install_dev.sh creates it): `pip check` is clean inside it, the
  main environment's core packages are the versions recorded before it was installed, and
  `evalscope backend plan opencompass` (a pip dry run) shows why it cannot share the main env.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from evalscope.backends.suites import envs
from evalscope.backends.suites.boundary import (
    SuiteRunError,
    WorkerRequest,
    WorkerResponse,
    call_worker,
    worker_main,
)
from evalscope.cli.main import main
from evalscope.core.report import build_report
from evalscope.core.serialization import structure, unstructure
from evalscope.core.suites import SuiteRun, SuiteUnavailableError
from evalscope.core.types import ChatMessage, ModelOutput, Sample, SampleResult

MCQ_ROW = {"question": "What is 2 + 2?", "A": "3", "B": "4", "C": "5", "D": "6", "answer": "B"}


@pytest.fixture
def scratch_home(tmp_path, monkeypatch) -> Path:
    home = tmp_path / "backends"
    monkeypatch.setenv(envs.HOME_ENV, str(home))
    return home


def _cfg_file(tmp_path: Path) -> Path:
    data = tmp_path / "mcq.jsonl"
    data.write_text(json.dumps(MCQ_ROW) + "\n", encoding="utf-8")
    cfg = tmp_path / "cfg.yaml"
    cfg.write_text(
        "datasets: [" + str(data) + "]\n"
        "models:\n  - path: smollm2-135m-instruct\n    openai_api_base: http://127.0.0.1:9/v1/chat/completions\n",
        encoding="utf-8",
    )
    return cfg


def test_missing_env_is_one_line_naming_the_install_command(scratch_home, tmp_path):
    result = CliRunner().invoke(
        main, ["eval", "--eval-backend", "OpenCompass", "--eval-config", str(_cfg_file(tmp_path)),
               "--work-dir", str(tmp_path / "out")],
    )
    assert result.exit_code == 1, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1, result.output
    assert lines[0].startswith("Error: OpenCompass runs in its own environment, which is not installed")
    assert lines[0].endswith("install it with: evalscope backend install opencompass")
    assert "--debug" not in lines[0] and "Traceback" not in result.output


def test_half_installed_and_stale_envs_name_the_forced_reinstall(scratch_home):
    (scratch_home / "opencompass" / "bin").mkdir(parents=True)
    with pytest.raises(SuiteUnavailableError, match=r"incomplete .* evalscope backend install opencompass --force"):
        envs.require_env("opencompass", suite="OpenCompass")
    python = scratch_home / "opencompass" / "bin" / "python"
    python.symlink_to(sys.executable)
    manifest = envs.EnvManifest(
        name="opencompass", steps=[["ms-opencompass==0.0.1"]], python_version="3", evalscope_source="x",
        installed_at=0.0, install_seconds=1.0, size_bytes=1,
    )
    (scratch_home / "opencompass" / envs.MANIFEST).write_text(json.dumps(unstructure(manifest)), encoding="utf-8")
    assert envs.status("opencompass").state == "stale"
    with pytest.raises(SuiteUnavailableError, match=r"other pins; reinstall it with: evalscope backend install opencompass --force"):
        envs.require_env("opencompass", suite="OpenCompass")
    manifest.steps = [list(step) for step in envs.ENV_SPECS["opencompass"].steps]
    (scratch_home / "opencompass" / envs.MANIFEST).write_text(json.dumps(unstructure(manifest)), encoding="utf-8")
    assert envs.require_env("opencompass", suite="OpenCompass") == python


def test_backend_list_and_remove(scratch_home):
    runner = CliRunner()
    listed = runner.invoke(main, ["backend", "list"])
    assert listed.exit_code == 0, listed.output
    assert str(scratch_home) in listed.output
    for name in envs.ENV_SPECS:
        row = next(line for line in listed.output.splitlines() if line.startswith(name + " "))
        assert "missing" in row and f"evalscope backend install {name}" in row
    (scratch_home / "rag" / "bin").mkdir(parents=True)
    assert "incomplete" in runner.invoke(main, ["backend", "list"]).output
    removed = runner.invoke(main, ["backend", "remove", "rag"])
    assert removed.exit_code == 0 and "rag: removed" in removed.output
    assert not (scratch_home / "rag").exists()
    unknown = runner.invoke(main, ["backend", "remove", "opencompas"])
    assert unknown.exit_code == 2 and "Did you mean: opencompass?" in unknown.output
    unknown = runner.invoke(main, ["backend", "install", "vlmevel"])
    assert unknown.exit_code == 2 and "Did you mean: vlmeval?" in unknown.output


# -- the boundary ----------------------------------------------------------------------------------


def _records() -> SuiteRun:
    results = [
        SampleResult(
            sample_id=f"mcq/{i}", subset="mcq", request_key=f"k{i}",
            output=ModelOutput(text=text, model="m"),
            sample=Sample(id=f"mcq/{i}", input=[ChatMessage("user", "Question?")] if i else "Question?", target="B"),
            prediction=text[:1], gold="B", scores={"accuracy": float(text.startswith("B"))},
        )
        for i, text in enumerate(["B. 4", "C. 5", "B"])
    ]
    report = build_report(dataset="mcq", model="m", results=results)
    return SuiteRun(reports=[report], results={"mcq": results}, artefacts=["/tmp/x"])


def test_records_cross_the_boundary_unchanged(tmp_path):
    request = WorkerRequest(suite="S", task={"model": "m"}, eval_config={"k": [1, 2]}, run_dir=str(tmp_path))
    (tmp_path / "req.json").write_text(json.dumps(unstructure(request)), encoding="utf-8")
    seen: list[WorkerRequest] = []

    def handler(req: WorkerRequest) -> SuiteRun:
        seen.append(req)
        return _records()

    assert worker_main(handler, [str(tmp_path / "req.json"), str(tmp_path / "resp.json")]) == 0
    assert seen == [request]
    response = structure(json.loads((tmp_path / "resp.json").read_text(encoding="utf-8")), WorkerResponse)
    assert response.ok and response.run == _records()
    assert response.run.reports[0].score == pytest.approx(2 / 3, abs=1e-4)


def test_worker_config_error_and_crash_cross_as_kinds(tmp_path):
    from evalscope.backends.suites.boundary import WorkerConfigError

    request = WorkerRequest(suite="S", task={}, eval_config={}, run_dir=str(tmp_path))
    (tmp_path / "req.json").write_text(json.dumps(unstructure(request)), encoding="utf-8")

    def bad_config(_req: WorkerRequest) -> SuiteRun:
        raise WorkerConfigError("eval_config: eval.testset_file: not found: /x.json")

    def crash(_req: WorkerRequest) -> SuiteRun:
        raise KeyError("answer")

    for handler, kind, text in ((bad_config, "config", "eval.testset_file"), (crash, "failed", "KeyError: 'answer'")):
        assert worker_main(handler, [str(tmp_path / "req.json"), str(tmp_path / "resp.json")]) == 1
        response = structure(json.loads((tmp_path / "resp.json").read_text(encoding="utf-8")), WorkerResponse)
        assert (response.ok, response.error_kind) == (False, kind) and text in (response.error or "")


def _request(tmp_path: Path) -> WorkerRequest:
    return WorkerRequest(suite="OpenCompass", task={}, eval_config={}, run_dir=str(tmp_path), options={})


def test_worker_that_dies_without_an_answer_quotes_its_log(tmp_path):
    log = tmp_path / "logs" / "w.log"
    with pytest.raises(SuiteRunError, match=r"exited with 1 without an answer; log: .*w\.log") as err:
        call_worker(python=Path(sys.executable), module="evalscope.backends.suites.no_such_worker",
                    request=_request(tmp_path), log_path=log, cwd=tmp_path / "cwd")
    assert "No module named evalscope.backends.suites.no_such_worker" in str(err.value)
    assert "No module named" in log.read_text(encoding="utf-8")


def test_worker_past_its_timeout_is_stopped(tmp_path):
    started = time.monotonic()
    with pytest.raises(SuiteRunError, match=r"ran past its timeout of 0 s \(env EVALSCOPE_SUITE_TIMEOUT\)"):
        call_worker(python=Path(sys.executable), module="evalscope.backends.suites.opencompass.worker",
                    request=_request(tmp_path), log_path=tmp_path / "w.log", cwd=tmp_path, timeout=0.05)
    assert time.monotonic() - started < 30


def test_suite_that_does_not_import_names_the_reinstall(tmp_path):
    """The OpenCompass worker under the main interpreter: ms-opencompass is not there (a broken env)."""
    from evalscope.backends.suites.opencompass.config import OCModel, ResolvedDataset, ResolvedPlan

    plan = ResolvedPlan(
        datasets=[ResolvedDataset(name="gsm8k", kind="builtin", module="gsm8k/gsm8k_gen_1d7fe4", variable="gsm8k_datasets")],
        model=OCModel(path="m", openai_api_base="http://127.0.0.1:9/v1/chat/completions"), work_dir=str(tmp_path / "oc"),
        test_range="[0:1]", data_dir=None, dry_run=False, debug=False, reuse=None, mode="all", max_num_workers=1,
        dump_eval_details=True, generation_kwargs={},
    )
    request = WorkerRequest(suite="OpenCompass", task={}, eval_config={}, run_dir=str(tmp_path),
                            options={"plan": unstructure(plan)})
    with pytest.raises(SuiteUnavailableError, match=r"does not import in its environment \(ModuleNotFoundError: No module named '(mmengine|opencompass)'\); reinstall it with: evalscope backend install opencompass --force"):
        call_worker(python=Path(sys.executable), module="evalscope.backends.suites.opencompass.worker", request=request,
                    log_path=tmp_path / "w.log", cwd=tmp_path, install_command="evalscope backend install opencompass")


# -- the real opencompass env ----------------------------------------------------------------------


def _ready(name: str) -> envs.EnvStatus:
    state = envs.status(name)
    if state.state != "ready":
        if name == "opencompass":  # CI creates it (scripts/install_dev.sh): its absence is a failure there
            pytest.fail(f"the opencompass env is {state.state} at {state.path}; run: evalscope backend install opencompass")
        pytest.skip(f"the {name} env is {state.state} ({envs.install_command(name)} installs it)")
    return state


@pytest.mark.parametrize("name", list(envs.ENV_SPECS))
def test_installed_env_is_clean_and_left_the_main_env_alone(name):
    state = _ready(name)
    assert state.manifest is not None
    clean, report = envs.pip_check(envs.env_python(name), envs.ENV_SPECS[name].pip_check_allow)
    assert clean, report
    main_now = envs.package_versions(sys.executable, envs.CORE_PACKAGES)
    moved = {k: (v, main_now.get(k)) for k, v in state.manifest.main_versions.items() if main_now.get(k) != v}
    assert not moved, f"the main environment's core packages moved since the {name} env was installed: {moved}"
    # the env really holds its own pins: the suite's packages at their pinned versions
    pinned = {envs.requirement_name(r): r.split("==")[1] for step in envs.ENV_SPECS[name].steps for r in step if "==" in r}
    inside = envs.package_versions(envs.env_python(name), list(pinned))
    assert {k: v.split("+")[0] for k, v in inside.items()} == pinned  # 2.13.0+cpu is torch==2.13.0
    if name == "opencompass":  # the very conflict that keeps it apart: numpy<2 inside, the main env's 2.x untouched
        assert state.manifest.versions["numpy"].startswith("1.") and main_now["numpy"].split(".")[0] >= "2"


def test_install_keeps_a_ready_env():
    _ready("opencompass")
    started = time.monotonic()
    result = CliRunner().invoke(main, ["backend", "install", "opencompass"])
    assert result.exit_code == 0, result.output
    assert "opencompass: already installed at" in result.output
    assert time.monotonic() - started < 30
    listed = CliRunner().invoke(main, ["backend", "list"]).output
    row = next(line for line in listed.splitlines() if line.startswith("opencompass "))
    assert "ready" in row and "GiB" in row


@pytest.mark.slow
def test_plan_shows_opencompass_cannot_share_the_main_env():
    """A pip dry run against the main environment: ms-opencompass would move numpy (and pyarrow) down."""
    result = CliRunner().invoke(main, ["backend", "plan", "opencompass"])
    assert result.exit_code == 0, result.output
    assert "opencompass: cannot share the main environment" in result.output
    numpy = next(line for line in result.output.splitlines() if line.strip().startswith("numpy:"))
    old, new = (part.strip() for part in numpy.split(":", 1)[1].split("->"))
    assert old.startswith("2.") and new.startswith("1."), numpy
