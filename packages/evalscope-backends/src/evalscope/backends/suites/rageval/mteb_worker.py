"""The MTEB worker: one- or two-stage evaluation of sentence-transformers models (imports mteb).

Runs as its own process (`python -m evalscope.backends.suites.rageval.mteb_worker REQUEST RESPONSE`)
with the main environment's interpreter: mteb and sentence-transformers install there without
moving a core package (docs/backends.md). The request is the checked eval_config plus the
resolved model directories; the response is our records (records.py), one Report per task and one
SampleResult per query (retrieval) or sentence pair (STS).
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from typing import Any

from evalscope.backends.suites.boundary import WorkerConfigError, WorkerRequest, worker_main
from evalscope.backends.suites.rageval import records
from evalscope.backends.suites.rageval.config import MTEBConfig, custom_tasks, registry_tasks
from evalscope.core.serialization import structure
from evalscope.core.suites import SuiteRun

#: metrics shown in the score table after the task's main score (all of MTEB's are in its files)
TABLE_METRICS = {
    "Retrieval": ("ndcg_at_10", "map_at_10", "mrr_at_10", "recall_at_10", "precision_at_1"),
    "Reranking": ("map_at_1000", "mrr_at_10", "ndcg_at_10"),
    "STS": ("cosine_spearman", "cosine_pearson"),
}


def _load_model(spec: dict[str, Any]) -> Any:
    import torch
    from sentence_transformers import CrossEncoder, SentenceTransformer, models  # type: ignore[attr-defined]  # a subpackage, not re-exported

    path = spec["path"]
    kwargs = dict(spec.get("model_kwargs") or {})
    dtype = kwargs.pop("torch_dtype", None) or kwargs.pop("dtype", None)
    if isinstance(dtype, str) and dtype != "auto":
        kwargs["torch_dtype"] = getattr(torch, dtype)
    try:
        if spec.get("is_cross_encoder"):
            from mteb.models.sentence_transformer_wrapper import CrossEncoderWrapper

            return CrossEncoderWrapper(CrossEncoder(path, device="cpu", max_length=spec["max_seq_length"], model_kwargs=kwargs))
        if spec.get("pooling_mode"):
            word = models.Transformer(path, max_seq_length=spec["max_seq_length"], model_args=kwargs,
                                      config_args=spec.get("config_kwargs") or {})
            pooling = models.Pooling(word.get_word_embedding_dimension(), pooling_mode=spec["pooling_mode"])
            model = SentenceTransformer(modules=[word, pooling], device="cpu")
        else:
            model = SentenceTransformer(path, device="cpu", model_kwargs=kwargs, config_kwargs=spec.get("config_kwargs") or {})
    except OSError as exc:
        raise WorkerConfigError(f"model {spec['label']!r}: cannot load {path}: {exc}") from None
    model.max_seq_length = min(spec["max_seq_length"], model.max_seq_length or spec["max_seq_length"])
    if spec.get("prompt"):
        model.default_prompt_name = None
        model.prompts = {"query": spec["prompt"]}
    from mteb.models.sentence_transformer_wrapper import SentenceTransformerEncoderWrapper

    return SentenceTransformerEncoderWrapper(model)


def _build_tasks(cfg: MTEBConfig, limit: int | None) -> list[Any]:
    import mteb

    from evalscope.backends.suites.rageval import mteb_tasks

    tasks: list[Any] = []
    for custom in custom_tasks(cfg):
        build = mteb_tasks.custom_retrieval if custom.type == "Retrieval" else mteb_tasks.custom_sts
        tasks.append(build(custom.name, Path(custom.data_path).expanduser(), custom.eval_splits, limit, custom.main_score))
    for name in registry_tasks(cfg):
        try:
            tasks.append(mteb.get_task(name))
        except KeyError as exc:
            raise WorkerConfigError(f"eval.tasks: {exc.args[0] if exc.args else name}") from None
    return tasks


def _load(task: Any, limit: int | None) -> None:
    """Load a task's data; `limit` cuts a registry task's loaded queries or pairs (custom tasks cut while reading)."""
    from evalscope.backends.suites.rageval import mteb_tasks

    try:
        task.load_data()
    except mteb_tasks.DataFileError as exc:
        raise WorkerConfigError(str(exc)) from None
    except Exception as exc:  # noqa: BLE001 - hub/cache failures of registry tasks: say where the data must be
        raise WorkerConfigError(
            f"task {task.metadata.name}: its data could not be loaded ({type(exc).__name__}: {exc}); offline, an MTEB "
            "task's dataset must already be in the local Hugging Face cache (HF_HOME), otherwise use eval.custom_tasks "
            "with local files"
        ) from None
    mteb_tasks.limit_loaded(task, limit)


def _evaluate(model: Any, task: Any, folder: Path | None) -> dict[str, Any]:
    import mteb

    result = mteb.evaluate(model, task, cache=None, show_progress_bar=False, prediction_folder=folder,
                           overwrite_strategy="always")
    task_result = result.task_results[0]
    return {split: entries for split, entries in task_result.scores.items()}


def run(request: WorkerRequest) -> SuiteRun:
    """Evaluate every task and return our records: a Report per task, a SampleResult per query or pair."""
    cfg = structure(request.eval_config, MTEBConfig)
    models_spec: list[dict[str, Any]] = request.options["models"]
    out = Path(request.options["output_folder"])
    out.mkdir(parents=True, exist_ok=True)
    limit = cfg.eval.limits or request.options.get("limit")
    custom_names = {t.name for t in custom_tasks(cfg)}
    started = time.monotonic()
    built = _build_tasks(cfg, limit)
    for task in built:
        _load(task, None if task.metadata.name in custom_names else limit)
    embedder = _load_model(models_spec[0])
    reranker = _load_model(models_spec[1]) if len(models_spec) > 1 else None
    label = request.model_id or "+".join(m["label"] for m in models_spec)
    run_records = SuiteRun(artefacts=[str(out)])
    for task in built:
        meta = task.metadata
        kind = meta.type
        stages: list[tuple[str, dict[str, Any], list[dict[str, Any]]]] = []
        rows = _capture(task)
        first = _evaluate(embedder, task, out / "stage1" if reranker is not None else out)
        stages.append(("embedding" if reranker is not None else "", first, rows))
        if reranker is not None and kind == "Retrieval":
            custom = meta.name in custom_names
            second_task = type(task)() if custom else __import__("mteb").get_task(meta.name)
            _load(second_task, None if custom else limit)
            try:
                second_task.convert_to_reranking(out / "stage1", top_k=cfg.eval.top_k)
            except FileNotFoundError as exc:
                raise RuntimeError(f"task {meta.name}: stage 1 wrote no predictions to rerank ({exc})") from None
            rows2 = _capture(second_task)
            second = _evaluate(reranker, second_task, out / "stage2")
            stages.append((f"rerank top{cfg.eval.top_k}", second, rows2))
        names = [meta.main_score] + [m for m in TABLE_METRICS.get(kind, ()) if m != meta.main_score]
        report = records.mteb_report(meta.name, label, stages, names, kind)
        report.stats.seconds = round(time.monotonic() - started, 2)
        run_records.reports.append(report)
        run_records.results[meta.name] = [s for stage, _, rows in stages for s in records.mteb_samples(rows, kind, stage)]
    print(f"mteb worker: {_versions()} in {time.monotonic() - started:.1f} s", flush=True)
    return run_records


def _capture(task: Any) -> list[dict[str, Any]]:
    from evalscope.backends.suites.rageval import mteb_tasks

    return mteb_tasks.capture(task)


def _versions() -> dict[str, str]:
    from importlib import metadata

    return {name: metadata.version(name) for name in ("mteb", "sentence-transformers", "torch")}


if __name__ == "__main__":
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    sys.exit(worker_main(run))
