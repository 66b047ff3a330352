"""The sandbox's "cannot isolate" path, reached for real: the evaluator runs in a child process where
creating namespaces is denied, as in a container.

* As root without CAP_SYS_ADMIN (`setpriv` keeps Docker's default capabilities only): unshare() of
  the mount/net/pid namespaces fails with EPERM.
* As a non-root user that may not create user namespaces (`unshare -U` without a uid map: the
  process is `nobody`, whose nested user namespace the kernel refuses).

No fake: the real launcher meets the real EPERM, and `evalscope eval` must stop, name the setting,
and score nothing.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(
    shutil.which("setpriv") is None or shutil.which("unshare") is None,
    reason="needs util-linux setpriv and unshare",
)
#: Docker's default capability set: no CAP_SYS_ADMIN, so no namespaces
DOCKER_CAPS = "-all," + ",".join(
    f"+{cap}"
    for cap in (
        "chown", "dac_override", "fowner", "fsetid", "kill", "setgid", "setuid", "setpcap",
        "net_bind_service", "net_raw", "sys_chroot", "mknod", "audit_write", "setfcap",
    )
)  # fmt: skip
AS_CONTAINER_ROOT = ["setpriv", f"--bounding-set={DOCKER_CAPS}", "--inh-caps=-all", "--"]
AS_NOBODY_WITHOUT_USERNS = ["unshare", "--user", "--"]

PROBE = """
import json, sys
from evalscope.core.sandbox import run_sandboxed
r = run_sandboxed("print(6 * 7)", timeout=10, require_isolation=sys.argv[1] == "strict")
print(json.dumps({"status": r.status, "reason": r.reason, "isolation": r.isolation, "stdout": r.stdout}))
"""


def _root_only() -> None:
    import os

    if os.geteuid() != 0:
        pytest.skip("dropping capabilities needs root")


def _sandbox_in(prefix: list[str], mode: str, cwd: Path) -> dict:
    done = subprocess.run(
        [*prefix, sys.executable, "-c", PROBE, mode], capture_output=True, text=True, timeout=60, cwd=cwd
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize(
    ("prefix", "refused"),
    [
        (AS_CONTAINER_ROOT, "unshare: Operation not permitted"),
        (AS_NOBODY_WITHOUT_USERNS, "unshare(user): Operation not permitted"),
    ],
    ids=["root-without-sys-admin", "nobody-without-userns"],
)
def test_a_sandbox_that_cannot_isolate_says_so_and_runs_nothing(prefix, refused, tmp_path):
    _root_only()
    tmp_path.chmod(0o1777)  # `nobody` runs there too
    result = _sandbox_in(prefix, "strict", tmp_path)
    assert result["status"] == "error", result
    assert result["reason"] == f"isolation unavailable: {refused}"
    assert result["stdout"] == "", "the program did not run"


def test_without_user_namespaces_the_weaker_sandbox_runs_the_program_when_allowed(tmp_path):
    _root_only()
    tmp_path.chmod(0o1777)
    result = _sandbox_in(AS_NOBODY_WITHOUT_USERNS, "weak", tmp_path)
    assert result == {"status": "passed", "reason": None, "isolation": "none", "stdout": "42\n"}


def test_eval_stops_naming_the_setting_when_the_sandbox_cannot_isolate(tmp_path, dataset_dir):
    """`evalscope eval` of humaneval in a container without CAP_SYS_ADMIN: the first sample is
    left unevaluated with the kernel's reason, the run stops (exit 2) naming the setting, no sample
    is scored 0."""
    _root_only()
    run_dir = tmp_path / "run"
    command = [
        *AS_CONTAINER_ROOT, sys.executable, "-m", "evalscope.cli.main", "eval", "--model", "mock", "--eval-type", "mock",
        "--model-args", json.dumps({"reply": "```python\n    return 1\n```"}), "--datasets", "humaneval",
        "--limit", "5", "--eval-batch-size", "1", "--dataset-dir", str(dataset_dir), "--work-dir", str(run_dir),
        "--no-timestamp",
    ]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert done.returncode == 2, (done.returncode, done.stderr[-2000:])
    assert "unshare: Operation not permitted" in done.stderr
    assert "dataset_args.humaneval.extra_params.require_isolation=false" in done.stderr
    report = json.loads(next((run_dir / "reports").rglob("humaneval.json")).read_text())
    assert report["counts"]["skipped"] == 1 and report["counts"]["scored"] == 0
    assert report["metrics"] == [] or report["metrics"][0]["num"] == 0, "no sample was scored 0 in silence"
    (reviews,) = (run_dir / "reviews").rglob("humaneval_*.jsonl")
    records = [json.loads(line)["evalscope_record"] for line in reviews.read_text().splitlines()]
    assert [r["status"] for r in records] == ["skipped"], "the run stopped at the first sample"
    assert "isolation unavailable: unshare: Operation not permitted" in records[0]["error"]
