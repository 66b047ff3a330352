"""The RAGAS worker (runs in the managed env `rag`: ragas 0.4.3, openai<=3.3.0).

Two stages, as in EvalScope: `testset_generation` (questions, reference contexts and references
from local documents by a generator LLM, then answers by that LLM from the contexts) and `eval`
(RAGAS metrics of each row, judged by a critic LLM with a local embedding model). Every LLM is
reached through an OpenAI-compatible URL.

Each (row, metric) is scored on its own with ragas' metric classes (`ragas.metrics.collections`),
so one unparseable critic reply costs one value, not the run: a reply that does not parse
(instructor gives up) or leaves nothing to score (RAGAS's NaN) is recorded as `invalid` with the
reason and left out of that metric's mean; a failed call (connection, timeout) is `error`.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import math
import os
import sys
import time
from pathlib import Path
from typing import Any

from evalscope.backends.suites.boundary import WorkerConfigError, WorkerRequest, worker_main
from evalscope.backends.suites.rageval import records
from evalscope.backends.suites.rageval.config import RAGAS_METRICS, LLMConfig, RagasConfig
from evalscope.core.serialization import structure
from evalscope.core.suites import SuiteRun

#: instructor's re-asks after a reply that does not parse (0: one attempt per critic call): a small
#: critic's unparseable reply is recorded as judge-invalid rather than asked again and again
CRITIC_RETRIES = 0
REQUIRED_COLUMNS = ("user_input", "response")


def _client(llm: LLMConfig) -> Any:
    from openai import AsyncOpenAI

    return AsyncOpenAI(base_url=llm.api_base, api_key=llm.api_key or "EMPTY", timeout=600.0, max_retries=1)


def _llm(llm: LLMConfig) -> Any:
    from ragas.llms import llm_factory

    args: dict[str, Any] = {"temperature": 0.0 if llm.temperature is None else llm.temperature, "max_retries": CRITIC_RETRIES}
    if llm.max_tokens is not None:
        args["max_tokens"] = llm.max_tokens
    for key, value in (llm.generation_config or {}).items():
        args["max_tokens" if key == "max_new_tokens" else key] = value
    return llm_factory(llm.model_name, client=_client(llm), **args)


def _embeddings(path: str) -> Any:
    from ragas.embeddings import HuggingFaceEmbeddings

    return HuggingFaceEmbeddings(model=path)


def _metric(name: str, llm: Any, embeddings: Any) -> Any:
    from ragas.metrics import collections

    cls = getattr(collections, RAGAS_METRICS[name])
    params = inspect.signature(cls.__init__).parameters
    kwargs: dict[str, Any] = {"llm": llm}
    if "embeddings" in params:
        kwargs["embeddings"] = embeddings
    return cls(**kwargs)


def load_testset(path: Path) -> list[dict[str, Any]]:
    """Rows of a testset file: a JSON list (EvalScope's output) or JSON lines."""
    text = path.read_text(encoding="utf-8")
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        try:
            data = [json.loads(line) for line in text.splitlines() if line.strip()]
        except json.JSONDecodeError as exc:
            raise WorkerConfigError(f"{path}: neither a JSON list nor JSON lines ({exc.msg} at line {exc.lineno})") from None
    if not isinstance(data, list) or not all(isinstance(row, dict) for row in data):
        raise WorkerConfigError(f"{path}: expected a list of objects (user_input, retrieved_contexts, response, reference)")
    for i, row in enumerate(data):
        for column in REQUIRED_COLUMNS:
            if not row.get(column):
                raise WorkerConfigError(f"{path}: row {i}: missing {column!r}")
        if "retrieved_contexts" in row and not isinstance(row["retrieved_contexts"], list):
            raise WorkerConfigError(f"{path}: row {i}: retrieved_contexts must be a list of strings")
    return data


def _needed(metric: Any) -> list[str]:
    return [p for p in inspect.signature(metric.ascore).parameters if p != "self"]


def _outcome_of(exc: BaseException) -> dict[str, str]:
    """Why a (row, metric) has no value: the critic's reply did not parse (invalid) or the call failed."""
    name = type(exc).__name__
    text = " ".join(str(exc).split())[:300]
    parse_failures = ("InstructorRetryException", "ValidationError", "JSONDecodeError", "IncompleteOutputException", "OutputParserException")
    if name in parse_failures or "validation error" in text.lower() or "json" in text.lower():
        return {"invalid": f"critic reply did not parse ({name})"}
    return {"error": f"{name}: {text}"}


async def _score_rows(rows: list[dict[str, Any]], metrics: dict[str, Any], concurrency: int, log: Any) -> None:
    gate = asyncio.Semaphore(concurrency)

    async def one(i: int, row: dict[str, Any]) -> None:
        async with gate:
            row["outcomes"] = {}
            for name, metric in metrics.items():
                needed = _needed(metric)
                missing = [p for p in needed if not row.get(p)]
                if missing:
                    row["outcomes"][name] = {"invalid": f"row has no {', '.join(missing)}"}
                    continue
                started = time.monotonic()
                try:
                    result = await metric.ascore(**{p: row[p] for p in needed})
                    value = float(result.value)
                    row["outcomes"][name] = (
                        {"invalid": "RAGAS returned NaN (nothing to score in the critic's reply)"} if math.isnan(value) else {"value": value}
                    )
                except Exception as exc:  # noqa: BLE001 - one (row, metric) failing must not end the run
                    row["outcomes"][name] = _outcome_of(exc)
                log(f"row {i} {name}: {row['outcomes'][name]} ({time.monotonic() - started:.1f} s)")

    await asyncio.gather(*(one(i, row) for i, row in enumerate(rows)))


# -- testset generation --------------------------------------------------------------------------


def _read_docs(paths: list[str]) -> list[Any]:
    from langchain_core.documents import Document

    docs = []
    for path in paths:
        p = Path(path).expanduser()
        if p.suffix.lower() not in (".txt", ".md", ".markdown", ".rst", ".text", ""):
            raise WorkerConfigError(f"{p}: only plain-text documents (.txt, .md) are read; convert it to text first")
        text = p.read_text(encoding="utf-8", errors="replace")
        if not text.strip():
            raise WorkerConfigError(f"{p}: the document is empty")
        docs.append(Document(page_content=text, metadata={"source": str(p)}))
    return docs


def _local_token_counting(model_dir: str, log: Any) -> None:
    """ragas counts tokens with tiktoken's cl100k/o200k files, which tiktoken downloads on first use.
    When they cannot be had (offline), count with the local embedding model's tokenizer instead
    (it only sizes chunks and filters short documents; the counts differ slightly from tiktoken's)."""
    import importlib

    import tiktoken

    try:
        tiktoken.get_encoding("cl100k_base")
        tiktoken.get_encoding("o200k_base")
        return
    except Exception as exc:  # noqa: BLE001 - no network: a connection error of some kind
        log(f"tiktoken's encodings are not available ({type(exc).__name__}); counting tokens with {model_dir}'s tokenizer")
    import ragas.tokenizers as tokenizers
    import ragas.utils as utils

    local = tokenizers.HuggingFaceTokenizer(model_name=model_dir)
    tokenizers._default_tokenizer = local

    def count(string: str, encoding_name: str = "", tokenizer: Any = None) -> int:
        return (tokenizer or local).count_tokens(string)

    utils.num_tokens_from_string = count
    for name in ("ragas.testset.transforms.splitters.headline", "ragas.testset.transforms.default"):
        module = importlib.import_module(name)
        if hasattr(module, "num_tokens_from_string"):
            module.num_tokens_from_string = count  # type: ignore[attr-defined]  # present (hasattr above): patched to our counter


def generate_testset(cfg: RagasConfig, embeddings_path: str, out: Path, log: Any) -> list[dict[str, Any]]:
    """Generate questions with ragas' TestsetGenerator, then answer them from their contexts."""
    from ragas.embeddings import HuggingFaceEmbeddings
    from ragas.run_config import RunConfig
    from ragas.testset import TestsetGenerator

    gen = cfg.testset_generation
    assert gen is not None
    docs = _read_docs(gen.docs)
    _local_token_counting(embeddings_path, log)
    llm = _llm(gen.generator_llm)
    generator = TestsetGenerator(llm=llm, embedding_model=HuggingFaceEmbeddings(model=embeddings_path))
    started = time.monotonic()
    try:
        testset = generator.generate_with_langchain_docs(
            docs, testset_size=gen.test_size, run_config=RunConfig(max_retries=max(1, CRITIC_RETRIES), max_workers=2, timeout=600),
            raise_exceptions=False, with_debugging_logs=False,
        )
    except ImportError:
        raise  # a package ragas needs for generation is missing from the env: "unavailable", reinstall hint
    except Exception as exc:  # noqa: BLE001 - a small generator fails inside ragas' transforms: say so plainly
        raise RuntimeError(
            f"testset generation failed: {type(exc).__name__}: {' '.join(str(exc).split())[:400]} "
            f"(generator {gen.generator_llm.model_name}; small models often cannot produce the JSON ragas asks for)"
        ) from None
    rows = []
    for sample in testset.to_list():
        rows.append({
            "user_input": sample.get("user_input") or "",
            "retrieved_contexts": list(sample.get("reference_contexts") or []),
            "reference": sample.get("reference") or "",
        })
    log(f"testset generation: {len(rows)} questions in {time.monotonic() - started:.1f} s")
    if not rows:
        raise RuntimeError(
            f"testset generation produced no questions from {len(docs)} document(s) with {gen.generator_llm.model_name} "
            "(its replies did not parse into ragas' structures)"
        )
    asyncio.run(_answer(rows, gen.generator_llm))
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(rows, ensure_ascii=False, indent=2), encoding="utf-8")
    return rows


ANSWER_PROMPT = (
    "You are an assistant for question-answering tasks. Use the following pieces of retrieved context to answer "
    "the question. If you don't know the answer, just say that you don't know.\nQuestion: {question}\nContext: {context}\nAnswer:"
)


async def _answer(rows: list[dict[str, Any]], llm: LLMConfig) -> None:
    client = _client(llm)
    for row in rows:
        reply = await client.chat.completions.create(
            model=llm.model_name, temperature=0.0, max_tokens=llm.max_tokens or 256,
            messages=[{"role": "user", "content": ANSWER_PROMPT.format(question=row["user_input"], context="\n".join(row["retrieved_contexts"]))}],
        )
        row["response"] = reply.choices[0].message.content or ""


# -- entry ---------------------------------------------------------------------------------------


def run(request: WorkerRequest) -> SuiteRun:
    cfg = structure(request.eval_config, RagasConfig)
    opts = request.options
    out_dir = Path(opts["output_dir"])
    out_dir.mkdir(parents=True, exist_ok=True)

    def log(line: str) -> None:
        print(f"ragas worker: {line}", flush=True)

    result = SuiteRun(artefacts=[str(out_dir)])
    if cfg.testset_generation is not None:
        generate_testset(cfg, opts["embeddings"]["testset_generation"], Path(opts["testset_output"]), log)
        result.artefacts.append(opts["testset_output"])
    if cfg.eval is None:
        return result
    testset = Path(opts["testset_file"])
    rows = load_testset(testset)
    limit = request.task.get("limit")
    if isinstance(limit, int):
        rows = rows[:limit]
    llm = _llm(cfg.eval.critic_llm)
    embeddings = _embeddings(opts["embeddings"]["eval"])
    names: list[str] = opts["metrics"]
    metrics = {name: _metric(name, llm, embeddings) for name in names}
    started = time.monotonic()
    asyncio.run(_score_rows(rows, metrics, cfg.eval.concurrency, log))
    dataset = testset.stem
    model = request.model_id or cfg.eval.critic_llm.model_name
    report, samples = records.ragas_records(dataset, model, rows, names)
    report.stats.seconds = round(time.monotonic() - started, 2)
    report.dataset_pretty_name = f"RAGAS ({cfg.eval.critic_llm.model_name} as critic): {dataset}"
    scores_path = out_dir / f"{dataset}_score.json"
    scores_path.write_text(json.dumps(rows, ensure_ascii=False, indent=2), encoding="utf-8")
    result.artefacts.append(str(scores_path))
    result.reports.append(report)
    result.results[dataset] = samples
    return result


if __name__ == "__main__":
    os.environ.setdefault("RAGAS_DO_NOT_TRACK", "true")
    sys.exit(worker_main(run))
