"""`eval_backend: RAGEval`: MTEB/CMTEB, RAGAS and CLIP benchmark behind evalscope's EvalSuite port.

Which tool runs where (docs/backends.md):
- MTEB: mteb and sentence-transformers install into the main environment without moving a core
  package (`pip install 'evalscope-backends[rag]'`), so its worker runs under this interpreter, in
  a process of its own (mteb's globals, threads and HF settings stay out of ours).
- RAGAS: ragas 0.4.3 caps openai at 3.3.0 (the main env has 3.5x), so it runs in the managed env
  `rag` (`evalscope backend install rag`).
- clip_benchmark: open_clip/torchvision need the CUDA torch 2.14.1 build, so it runs in the managed
  env `clip` (`evalscope backend install clip`).
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from evalscope.backends.suites.boundary import user_path
from evalscope.backends.suites.rageval import config as cfgmod
from evalscope.core.ports import ProgressSink
from evalscope.core.serialization import unstructure
from evalscope.core.suites import EvalSuite, SuiteRun, SuiteUnavailableError

if TYPE_CHECKING:
    from evalscope.core.suites import SuiteRequest

MTEB_INSTALL = "pip install 'evalscope-backends[rag]'"
WORKERS = {
    "MTEB": "evalscope.backends.suites.rageval.mteb_worker",
    "RAGAS": "evalscope.backends.suites.rageval.ragas_worker",
    "clip_benchmark": "evalscope.backends.suites.rageval.clip_worker",
}
ENVS = {"RAGAS": "rag", "clip_benchmark": "clip"}


class RAGEvalSuite(EvalSuite):
    name = "RAGEval"
    install_command = "evalscope backend install rag"

    def check_config(self, eval_config: dict[str, Any], *, where: str) -> None:
        cfgmod.parse(eval_config, where)

    def model_id(self, task: SuiteRequest, eval_config: dict[str, Any]) -> str | None:
        """MTEB: the embedding model (+ reranker); RAGAS: the critic; CLIP: the first model."""
        from evalscope.backends.suites.rageval.models import model_label

        parsed = cfgmod.parse(eval_config, "eval_config")
        if isinstance(parsed, cfgmod.MTEBConfig):
            return "+".join(model_label(m.model_name_or_path) for m in parsed.model)
        if isinstance(parsed, cfgmod.RagasConfig):
            llm = parsed.eval.critic_llm if parsed.eval else parsed.testset_generation.generator_llm  # type: ignore[union-attr]  # a RAGAS config holds eval or testset_generation
            return llm.model_name or None
        return model_label(parsed.eval.models[0].model_name) if parsed.eval.models else None

    def run(self, task: SuiteRequest, eval_config: dict[str, Any], run_dir: Path, sink: ProgressSink) -> SuiteRun:
        parsed = cfgmod.parse(eval_config, "eval_config")
        tool = cfgmod.tool_of(eval_config, "eval_config")
        if isinstance(parsed, cfgmod.MTEBConfig):
            python, options = self._mteb(parsed, task, run_dir)
        elif isinstance(parsed, cfgmod.RagasConfig):
            python, options = self._ragas(parsed, run_dir)
        else:
            python, options = self._clip(parsed, run_dir)
        model_id = task.model_id or (None if task.model else self.model_id(task, eval_config)) or ""
        return self._call(tool, python, task, unstructure(parsed), run_dir, options, _secrets(parsed), model_id)

    # -- per tool -------------------------------------------------------------------------------

    def _mteb(self, cfg: cfgmod.MTEBConfig, task: SuiteRequest, run_dir: Path) -> tuple[Path, dict[str, Any]]:
        from evalscope.backends.suites.rageval.models import resolve_model_dir

        missing = [m for m in ("mteb", "sentence_transformers") if importlib.util.find_spec(m) is None]
        if missing:
            raise SuiteUnavailableError(
                f"RAGEval (MTEB) needs {' and '.join(missing)} in this environment; install with: {MTEB_INSTALL}"
            )
        models = []
        for i, model in enumerate(cfg.model):
            path, label = resolve_model_dir(model.model_name_or_path, hub=model.hub, where=f"eval_config: model[{i}].model_name_or_path")
            models.append({**unstructure(model), "path": path, "label": label})
        # the worker runs in the run's folder: local data paths are resolved where they were checked
        if cfg.eval.dataset_path:
            cfg.eval.dataset_path = user_path(cfg.eval.dataset_path)
        for custom in cfg.eval.custom_tasks:
            custom.data_path = user_path(custom.data_path)
        # the run's model id (suite.model_id, or the task's --model-id) names the reports too
        limit = task.limit if isinstance(task.limit, int) else None
        output = Path(cfg.eval.output_folder).expanduser().resolve() if cfg.eval.output_folder else run_dir / "mteb"
        return Path(sys.executable), {"models": models, "output_folder": str(output), "limit": limit}

    def _ragas(self, cfg: cfgmod.RagasConfig, run_dir: Path) -> tuple[Path, dict[str, Any]]:
        from evalscope.backends.suites.envs import require_env
        from evalscope.backends.suites.rageval.models import resolve_model_dir

        embeddings = {}
        for key, section in (("testset_generation", cfg.testset_generation), ("eval", cfg.eval)):
            if section is not None:
                emb = section.embeddings
                path, _ = resolve_model_dir(emb.model_name_or_path, hub=emb.hub, where=f"eval_config: {key}.embeddings.model_name_or_path")
                embeddings[key] = path
        python = require_env("rag", suite="RAGEval (RAGAS)")
        gen = cfg.testset_generation
        if gen is not None:  # the worker runs in the run's folder: resolve the documents where they were checked
            gen.docs = [user_path(doc) for doc in gen.docs]
        testset_out = (
            Path(gen.output_file).expanduser().resolve() if gen is not None and gen.output_file else run_dir / "ragas" / "testset.json"
        )
        options = {
            "embeddings": embeddings,
            "testset_output": str(testset_out),
            "knowledge_graph": str(Path(gen.knowledge_graph).expanduser().resolve()) if gen and gen.knowledge_graph else str(run_dir / "ragas" / "knowledge_graph.json"),
            "testset_file": str(Path(cfg.eval.testset_file).expanduser().resolve()) if cfg.eval and cfg.eval.testset_file else str(testset_out),
            "metrics": [cfgmod.ragas_metric(m, "eval_config: eval.metrics") for m in cfg.eval.metrics] if cfg.eval else [],
            "output_dir": str(run_dir / "ragas"),
        }
        return python, options

    def _clip(self, cfg: cfgmod.ClipConfig, run_dir: Path) -> tuple[Path, dict[str, Any]]:
        from evalscope.backends.suites.envs import require_env

        python = require_env("clip", suite="RAGEval (clip_benchmark)")
        ev = cfg.eval
        output = Path(ev.output_dir).expanduser().resolve() if ev.output_dir else run_dir / "clip_benchmark"
        return python, {"output_dir": str(output), "data_dir": str(Path(ev.data_dir or ".").expanduser().resolve())}

    # -- the boundary ---------------------------------------------------------------------------

    def _call(
        self, tool: str, python: Path, task: SuiteRequest, eval_config: dict[str, Any], run_dir: Path,
        options: dict[str, Any], secrets: list[str], model_id: str,
    ) -> SuiteRun:
        from evalscope.backends.suites.boundary import call_worker

        request = build_request(tool, task, eval_config, run_dir, options, model_id=model_id)
        return call_worker(
            python=python, module=WORKERS[tool], request=request,
            log_path=run_dir / "logs" / f"rageval_{tool.lower()}_worker.log", cwd=run_dir,
            secrets=secrets, env=_worker_env(), install_command=self._install_command(tool),
        )

    @staticmethod
    def _install_command(tool: str) -> str:
        return MTEB_INSTALL if tool == "MTEB" else f"evalscope backend install {ENVS[tool]}"


def build_request(
    tool: str, task: SuiteRequest, eval_config: dict[str, Any], run_dir: Path, options: dict[str, Any], *, model_id: str = ""
) -> Any:
    """The JSON request a RAGEval worker receives (tests build it without running a worker)."""
    from evalscope.backends.suites.boundary import WorkerRequest

    return WorkerRequest(
        suite=f"RAGEval/{tool}", task=task.worker_settings(), eval_config=eval_config, run_dir=str(run_dir),
        model_id=model_id or task.model_id or "", options=options,
    )


def _worker_env() -> dict[str, str]:
    """Telemetry off and caches kept out of the home directory where the suites allow it."""
    return {"RAGAS_DO_NOT_TRACK": "true", "TOKENIZERS_PARALLELISM": "false", "HF_HUB_DISABLE_TELEMETRY": "1"}


def _secrets(parsed: Any) -> list[str]:
    keys = []
    for section in ("testset_generation", "eval"):
        part = getattr(parsed, section, None)
        for llm in ("generator_llm", "critic_llm"):
            key = getattr(getattr(part, llm, None), "api_key", None)
            if key:
                keys.append(key)
    return keys

