"""`eval_backend: VLMEvalKit`: ms-vlmeval 0.0.20 run in the managed env `vlmeval`.

VLMEvalKit needs torchvision, which imports only with the CUDA torch 2.14.1 build (~7 GB with its
libraries) while the main environment keeps the CPU torch 2.13.0; so it never joins the main env:
`evalscope backend install vlmeval` builds its own, and the worker (worker.py) runs there.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from evalscope.backends.suites.vlmeval import config as cfgmod
from evalscope.core.ports import ProgressSink
from evalscope.core.serialization import unstructure
from evalscope.core.suites import EvalSuite, SuiteRun

if TYPE_CHECKING:
    from evalscope.core.suites import SuiteRequest

ENV = "vlmeval"
WORKER = "evalscope.backends.suites.vlmeval.worker"


class VLMEvalKitSuite(EvalSuite):
    name = "VLMEvalKit"
    install_command = f"evalscope backend install {ENV}"

    def check_config(self, eval_config: dict[str, Any], *, where: str) -> None:
        cfgmod.parse(eval_config, where)

    def model_id(self, task: SuiteRequest, eval_config: dict[str, Any]) -> str | None:
        names = cfgmod.model_names(cfgmod.parse(eval_config, "eval_config"))
        return "+".join(names) or None

    def run(self, task: SuiteRequest, eval_config: dict[str, Any], run_dir: Path, sink: ProgressSink) -> SuiteRun:
        from evalscope.backends.suites.boundary import call_worker
        from evalscope.backends.suites.envs import require_env

        cfg = cfgmod.parse(eval_config, "eval_config")
        python = require_env(ENV, suite="VLMEvalKit")
        request = build_request(task, cfg, run_dir)
        keys = [e.get("key", "") for e in cfg.model if isinstance(e, dict)] + [cfg.judge_key or ""]
        return call_worker(
            python=python, module=WORKER, request=request, log_path=run_dir / "logs" / "vlmeval_worker.log",
            cwd=run_dir, secrets=[k for k in keys if k], env={"LMUData": request.options["data_dir"]},
            install_command=self.install_command,
        )


def build_request(task: SuiteRequest, cfg: cfgmod.VLMEvalConfig, run_dir: Path) -> Any:
    """The JSON request the worker receives (tests build it without the env)."""
    from evalscope.backends.suites.boundary import WorkerRequest

    work_dir = Path(cfg.work_dir).expanduser().resolve() if cfg.work_dir else run_dir / "vlmeval"
    limit = cfg.limit if cfg.limit is not None else (task.limit if isinstance(task.limit, int) else None)
    return WorkerRequest(
        suite="VLMEvalKit", task=task.worker_settings(), eval_config=unstructure(cfg), run_dir=str(run_dir),
        model_id=task.model_id or "",
        options={"data_dir": str(cfgmod.data_dir(cfg)), "work_dir": str(work_dir), "limit": limit,
                 "models": cfgmod.model_names(cfg)},
    )
