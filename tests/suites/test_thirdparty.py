"""ThirdParty backend: LongBench-Write and ToolBench-static as tasks, in the main environment.

- Scoring, by EvalScope's definitions, on hand-computed cases: LongWriter's length score S_l and
  word count, the judge's six-dimension verdict and S_q, ToolBench's step parsing, Plan.EM/Act.EM,
  argument F1, HalluRate and the items it leaves out.
- Bad eval_configs: one line naming the key (did you mean) or the missing file.
- Real runs (slow): `evalscope eval --eval-backend ThirdParty --eval-config cfg.yaml` against
  `evalscope serve --model smollm2-135m-instruct` on 127.0.0.1 (also the quality judge), on small
  files in each tool's real format written under tmp (the real LongBench-Write data lives in
  THUDM/LongWriter; ToolBench-static's in EvalScope's data.zip): the table prints, the run is in
  the store, and every score is recomputed from the stored answers.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from evalscope.backends.suites.thirdparty import longbench_write as lbw
from evalscope.backends.suites.thirdparty import toolbench_static as tbs
from evalscope.cli.main import main
from evalscope.core.stores import open_reader
from evalscope.core.types import SampleStatus

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "backends"))
from serve_fixture import SERVE_MODEL, serve_server  # noqa: E402,F401 - fixture

LBW_ROWS = [  # LongBench-Write's row format: prompt, type, length (required words)
    {"prompt": "Write a 30-word note thanking a neighbour for watering your plants while you were away.",
     "type": "Functional Writing", "length": 30},
    {"prompt": "Describe a rainy morning in a small harbour town in about 40 words.",
     "type": "Literature and Creative Writing", "length": 40},
    {"prompt": "写一段大约40字的短文，介绍秋天的特点。", "type": "科普介绍", "length": 40},
]

SYSTEM = (
    "You are a tool-using assistant. Reply with exactly one step:\nThought: <why>\nAction: <a tool name, or Finish>\n"
    "Action Input: <the arguments as JSON>\nTools: get_weather(city), convert_currency(amount, source, target), "
    "list_holidays(). To answer, use Action: Finish with Action Input: "
    '{"return_type": "give_answer", "final_answer": "<answer>"}.'
)
TOOLS = [{"name": "get_weather", "description": "weather of a city"},
         {"name": "convert_currency", "description": "convert an amount"},
         {"name": "list_holidays", "description": "public holidays this year"},
         {"name": "Finish", "description": "give the final answer, or give up"}]  # ToolBench lists Finish among the tools


def _call(tool: str, args: dict) -> str:
    return f"Thought: I should use {tool}.\nAction: {tool}\nAction Input: {json.dumps(args)}"


def _finish(answer: str) -> str:
    return "Thought: I can answer now.\nAction: Finish\nAction Input: " + json.dumps(
        {"return_type": "give_answer", "final_answer": answer})


TOOLBENCH = {  # ToolBench-static's item format: messages (system first), tools, target
    "in_domain": [
        {"id": "w1", "messages": [{"role": "system", "content": SYSTEM}, {"role": "user", "content": "What is the weather in Paris?"}],
         "tools": TOOLS, "target": _call("get_weather", {"city": "Paris"})},
        {"id": "c1", "messages": [
            {"role": "system", "content": SYSTEM}, {"role": "user", "content": "How much is 100 USD in EUR?"},
            {"role": "assistant", "content": _call("convert_currency", {"amount": 100, "source": "USD", "target": "EUR"})},
            {"role": "function", "content": '{"result": 92.5}'}],
         "tools": TOOLS, "target": _finish("100 USD is 92.5 EUR.")},
        {"id": "h1", "messages": [{"role": "system", "content": SYSTEM}, {"role": "user", "content": "Which days are holidays?"}],
         "tools": TOOLS, "target": _call("list_holidays", {})},
    ],
    "out_of_domain": [
        {"id": "w2", "messages": [{"role": "system", "content": SYSTEM}, {"role": "user", "content": "Is it raining in Oslo?"}],
         "tools": TOOLS, "target": _call("get_weather", {"city": "Oslo"})},
        {"id": "c2", "messages": [{"role": "system", "content": SYSTEM}, {"role": "user", "content": "Convert 5 GBP to JPY."}],
         "tools": TOOLS, "target": _call("convert_currency", {"amount": 5, "source": "GBP", "target": "JPY"})},
    ],
}


def write_lbw(path: Path) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in LBW_ROWS), encoding="utf-8")
    return path


def write_toolbench(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for domain, items in TOOLBENCH.items():
        (folder / f"{domain}.json").write_text(json.dumps(items, ensure_ascii=False, indent=1), encoding="utf-8")
    return folder


def run_cli(cfg: dict, tmp_path: Path, *extra: str):
    path = tmp_path / "cfg.yaml"
    path.write_text(yaml.safe_dump(cfg, allow_unicode=True), encoding="utf-8")
    return CliRunner().invoke(main, ["eval", "--eval-backend", "ThirdParty", "--eval-config", str(path),
                                     "--work-dir", str(tmp_path / "out"), "--no-timestamp", *extra])


# -- scoring by EvalScope's definitions ------------------------------------------------------------


def test_length_score_and_word_count():
    assert lbw.length_score(100, 100) == 100.0
    assert lbw.length_score(100, 250) == pytest.approx(50.0)  # 2.5x: 1 - 1.5/3
    assert lbw.length_score(100, 400) == 0.0                  # 4x: past the 3x excess
    assert lbw.length_score(100, 50) == pytest.approx(50.0)   # half: 1 - 1/2
    assert lbw.length_score(100, 25) == 0.0
    assert lbw.length_score(100, 0) == 0.0                    # empty answer: 0, not a division by zero
    assert lbw.count_words("Hello, world! It's 2024.") == 4   # 'It', 's' are words; numbers are not
    assert lbw.count_words("秋天来了 autumn") == 5


def test_judge_verdict_and_quality_score():
    reply = 'Analysis first.\n```json\n{"Analysis": "ok", "Relevance": 5, "Accuracy": 4, "Coherence": 3, "Clarity": 4, "Breadth and Depth": 2, "Reading Experience": 3}\n```'
    verdict = lbw.parse_verdict(reply)
    assert verdict == {"Relevance": 5, "Accuracy": 4, "Coherence": 3, "Clarity": 4, "Breadth and Depth": 2, "Reading Experience": 3}
    scores = lbw.quality_scores(verdict)
    assert scores["q_Relevance"] == 100.0 and scores["q_Breadth and Depth"] == 25.0
    assert scores["score_q"] == pytest.approx((100 + 75 + 50 + 75 + 25 + 50) / 6)
    assert lbw.parse_verdict("The response is good. 5/5") is None
    assert lbw.parse_verdict('{"Relevance": 5, "Accuracy": 4}') is None            # dimensions missing
    assert lbw.parse_verdict(reply.replace('"Clarity": 4', '"Clarity": 9')) is None  # out of 1-5


def test_unusable_verdicts_are_counted_beside_s_q_never_hidden():
    """Two rows judged, one verdict unusable: S_q averages the parsed one and its subset says
    "1 judge invalid"; with every verdict unusable the S_q row still shows, n/a over 0."""
    from evalscope.core.report import build_report, table_rows
    from evalscope.core.types import ModelOutput

    good = {d: 8.0 for d in lbw.DIMENSIONS}
    outputs = [ModelOutput(text="word " * 90), ModelOutput(text="word " * 40)]

    def report_of(verdicts):
        results = [lbw._result(i, row, out, v, ["infer", "eval_l", "eval_q"])
                   for i, (row, out, v) in enumerate(zip(LBW_ROWS[:2], outputs, verdicts))]
        report = build_report(dataset="longbench_write", model="m", results=results, metric_names=["score_l", "score_q"])
        lbw._count_unusable_verdicts(report, results)
        return {m.name: m for m in report.metrics}, table_rows([report])

    metrics, _ = report_of([("ok", good, None), ("?", None, "no scores found")])
    assert metrics["score_q"].num == 1
    assert sum(s.counts.invalid for c in metrics["score_q"].categories for s in c.subsets) == 1
    assert sum(s.counts.invalid for c in metrics["score_l"].categories for s in c.subsets) == 0  # S_l is unaffected
    metrics, rows = report_of([("?", None, "no scores found"), ("?", None, "no scores found")])
    assert metrics["score_q"].num == 0 and metrics["score_l"].num == 2
    quality_rows = [r for r in rows if r[2] == "score_q"]
    assert quality_rows and all(r[6] == "n/a" and r[-1] == "1 judge invalid" for r in quality_rows if r[4] != "OVERALL")
    overall = {r[2]: r for r in rows if r[4] == "OVERALL"}
    assert overall["score_q"][-1] == "2 judge invalid" and overall["score_l"][-1] == ""  # per metric, not per report


def test_toolbench_step_parsing_and_scores():
    call = tbs.parse_step(_call("get_weather", {"city": "Paris"}))
    assert (call.plan, call.action, json.loads(call.action_input or "")) == ("call", "get_weather", {"city": "Paris"})
    assert tbs.parse_step(_finish("It is sunny.")).answer == "It is sunny."
    assert tbs.parse_step('Action: Finish\nAction Input: {"return_type": "give_up_and_restart"}').plan == "give up"
    assert tbs.parse_step("I do not know").action == "none"
    names = [t["name"] for t in TOOLS]

    scores, _ = tbs.score_step(_call("get_weather", {"city": "Paris"}), _call("get_weather", {"city": "Paris"}), names)
    assert scores == {"HalluRate": 0.0, "Plan.EM": 1.0, "Act.EM": 1.0, "Avg.F1": 1.0}
    # one of two arguments right, one with another value: recall = precision = (1 + 0.5) / 2
    scores, _ = tbs.score_step(_call("convert_currency", {"amount": 5, "source": "EUR"}),
                               _call("convert_currency", {"amount": 5, "source": "GBP"}), names)
    assert scores["Avg.F1"] == pytest.approx(0.75) and scores["Act.EM"] == 1.0
    scores, details = tbs.score_step(_call("get_time", {}), _call("get_weather", {"city": "Paris"}), names)
    assert scores == {"HalluRate": 1.0, "Plan.EM": 1.0, "Act.EM": 0.0, "Avg.F1": 0.0} and details["hallucinated"]
    scores, _ = tbs.score_step(_finish("It is sunny in Paris."), _finish("It is sunny in Paris today."), names)
    assert set(scores) == {"HalluRate", "Plan.EM", "Rouge-L"} and 0.8 < scores["Rouge-L"] < 1.0
    scores, _ = tbs.score_step(_call("get_weather", {"city": "Paris"}), _finish("Sunny."), names)
    assert scores["Plan.EM"] == 0.0 and scores["Rouge-L"] == 0.0  # no answer given: 'none'
    # a reference naming a tool that is not offered is left out of all but HalluRate
    scores, details = tbs.score_step(_call("get_weather", {}), _call("get_stock", {}), names)
    assert scores == {"HalluRate": 0.0} and details["left_out"]
    assert tbs.argument_f1("{}", "{}") == 1.0 and tbs.argument_f1('{"a": 1}', "{}") == 0.0
    assert tbs.argument_f1("not json", '{"a": 1}') == 0.0 and tbs.argument_f1("{}", "not json") is None


# -- bad eval_configs ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cfg", "expected"),
    [
        ({"input_data_path": "x"}, "eval_config: tool: required, one of longbench_write, toolbench_static"),
        ({"tool": "longbench_writ"}, "unknown ThirdParty tool 'longbench_writ'. Did you mean: longbench_write"),
        ({"tool": "LongBench-Write", "input_data_path": "{lbw}", "infer_confg": {}},
         "eval_config: unknown key 'infer_confg'. Did you mean: infer_config"),
        ({"tool": "longbench_write", "input_data_path": "{lbw}", "eval_config": {"openai_gpt_modle": "m"}},
         "eval_config: eval_config: unknown key 'openai_gpt_modle'. Did you mean: openai_gpt_model"),
        ({"tool": "longbench_write", "input_data_path": "{lbw}", "stage": ["infer", "eval_x"]},
         "eval_config: stage: unknown stage 'eval_x'. Did you mean: eval_q, eval_l"),
        ({"tool": "longbench_write"}, "input_data_path: required. LongBench-Write's data is not bundled"),
        ({"tool": "longbench_write", "input_data_path": "{tmp}/missing.jsonl"}, "input_data_path: dataset file not found: {tmp}/missing.jsonl"),
        ({"tool": "toolbench_static", "infer_args": {"data_path": "{tbs}", "max_new_token": 5}},
         "eval_config: infer_args: unknown key 'max_new_token'. Did you mean: max_new_tokens"),
        ({"tool": "toolbench_static", "infer_args": {"data_path": "{tmp}/nowhere.json"}},
         "infer_args.data_path: dataset file not found: {tmp}/nowhere.json"),
        ({"tool": "toolbench_static", "infer_args": {"data_path": "{tmp}"}}, "holds neither in_domain.json nor out_of_domain.json"),
        ({"tool": "toolbench_static", "infer_args": {"data_path": "{tbs}", "deploy_type": "minimax"}},
         "deploy_type: 'minimax' is not one of swift, openai"),
    ],
)
def test_bad_eval_config_names_the_key_or_file(tmp_path, cfg, expected):
    paths = {"lbw": str(write_lbw(tmp_path / "lbw.jsonl")), "tbs": str(write_toolbench(tmp_path / "tbs")), "tmp": str(tmp_path)}
    fill = json.loads(json.dumps(cfg).replace("{lbw}", paths["lbw"]).replace("{tbs}", paths["tbs"]).replace("{tmp}", paths["tmp"]))
    result = run_cli(fill, tmp_path)
    assert result.exit_code == 1, result.output
    assert result.output.startswith("Error: ") and result.output.count("\n") == 1, result.output
    assert expected.replace("{tmp}", paths["tmp"]) in result.output


def test_bad_rows_name_file_and_line(tmp_path):
    bad = tmp_path / "lbw.jsonl"
    bad.write_text(json.dumps(LBW_ROWS[0]) + "\n" + json.dumps({"prompt": "Write.", "length": "long"}) + "\n", encoding="utf-8")
    result = run_cli({"tool": "longbench_write", "input_data_path": str(bad), "model": "m",
                      "infer_config": {"openai_api_base": "http://127.0.0.1:9/v1"}}, tmp_path)
    assert result.exit_code == 1 and f"{bad}:2" in result.output and "'length' must be a positive integer" in result.output


# -- real runs against a served SmolLM2 ------------------------------------------------------------


@pytest.fixture
def served(request):
    """The session's real `evalscope serve --model smollm2-135m-instruct` (tests/backends/serve_fixture.py)."""
    return request.getfixturevalue("serve_server")


@pytest.mark.slow
def test_longbench_write_runs_and_scores_from_stored_answers(tmp_path, served):
    cfg = {
        "tool": "longbench_write", "model": SERVE_MODEL, "input_data_path": str(write_lbw(tmp_path / "lbw.jsonl")),
        "infer_config": {"openai_api_base": f"{served.base_url}/chat/completions", "proc_num": 3,
                         "generation_kwargs": {"max_new_tokens": 48, "temperature": 0.0}},
        "eval_config": {"openai_api_base": f"{served.base_url}/chat/completions", "openai_gpt_model": SERVE_MODEL,
                        "openai_api_key": "sk-judge-secret-987654", "proc_num": 3,
                        "generation_kwargs": {"max_new_tokens": 96, "temperature": 0.0}},
    }
    result = run_cli(cfg, tmp_path)
    assert result.exit_code == 0, result.output
    print(result.output)
    assert "| Model Name" in result.output and "longbench_write" in result.output and "score_l" in result.output
    out = tmp_path / "out"
    reader = open_reader(out / "evalscope.db")
    (run,) = reader.list_runs()
    assert (run.model_id, run.status) == (SERVE_MODEL, "finished")
    (report,) = reader.load_reports(run.run_id)
    results = list(reader.iter_results(run.run_id))
    assert len(results) == 3 and all(r.status is SampleStatus.SCORED and r.output.text for r in results)
    lengths = []
    for r in results:  # S_l recomputed from the stored answer
        row = next(x for x in LBW_ROWS if x["prompt"] == r.sample.input)
        produced = lbw.count_words(r.output.text)
        assert r.details["response_length"] == produced
        assert r.scores["score_l"] == pytest.approx(lbw.length_score(row["length"], produced), abs=1e-3)
        lengths.append(r.scores["score_l"])
        if "score_q" in r.scores:  # a parsed verdict: S_q from its six dimensions
            assert r.scores["score_q"] == pytest.approx(lbw.quality_scores(r.details["judge_scores"])["score_q"], abs=1e-3)
        else:  # SmolLM2 is a poor judge: an unparsed verdict is kept with its reason, out of S_q
            assert r.details["judge_error"] and "judge_reply" in r.details
    metrics = {m.name: m for m in report.metrics}
    assert metrics["score_l"].score == pytest.approx(sum(lengths) / 3, abs=1e-3) and metrics["score_l"].num == 3
    judged = [r for r in results if "score_q" in r.scores]
    unusable = [r for r in results if r.details.get("judge_error")]
    assert metrics["score_q"].num == len(judged)  # the S_q row is there even when no verdict parsed
    assert sum(s.counts.invalid for c in metrics["score_q"].categories for s in c.subsets) == len(unusable)
    if unusable:
        assert "judge invalid" in result.output
    assert (out / "longbench_write" / "eval_length.jsonl").is_file()
    assert not any(b"sk-judge-secret-987654" in p.read_bytes() for p in out.rglob("*") if p.is_file())

    rerun = run_cli(cfg, tmp_path, "--use-cache", str(out))  # answers and verdicts are reused, not asked again
    assert rerun.exit_code == 0, rerun.output
    asked = served.log_text().count("/v1/chat/completions answered in")
    again = run_cli(cfg, tmp_path, "--use-cache", str(out))
    assert again.exit_code == 0 and served.log_text().count("/v1/chat/completions answered in") == asked


@pytest.mark.slow
def test_toolbench_static_runs_per_domain(tmp_path, served):
    cfg = {"tool": "toolbench_static",
           "infer_args": {"model_name_or_path": SERVE_MODEL, "data_path": str(write_toolbench(tmp_path / "toolbench")),
                          "deploy_type": "openai", "openai_api_base": served.base_url, "max_new_tokens": 48}}
    result = run_cli(cfg, tmp_path, "--eval-batch-size", "4")
    assert result.exit_code == 0, result.output
    print(result.output)
    for metric in tbs.METRICS:
        assert metric in result.output
    reader = open_reader(tmp_path / "out")
    (run,) = reader.list_runs()
    (report,) = reader.load_reports(run.run_id)
    results = list(reader.iter_results(run.run_id))
    assert sorted(r.sample_id for r in results) == ["in_domain/c1", "in_domain/h1", "in_domain/w1", "out_of_domain/c2", "out_of_domain/w2"]
    names = [t["name"] for t in TOOLS]
    for r in results:  # every stored score is what the scorer gives for the stored answer
        assert r.scores == pytest.approx(tbs.score_step(r.prediction, r.gold, names)[0], abs=1e-4)
    metrics = {m.name: m for m in report.metrics}
    assert [m.name for m in report.metrics][:2] == ["Plan.EM", "Act.EM"] and metrics["HalluRate"].higher_is_better is False
    assert metrics["HalluRate"].num == 5 and metrics["Plan.EM"].num == 5 - sum(r.details["left_out"] for r in results)
    subsets = [s.name for s in metrics["HalluRate"].categories[0].subsets]
    assert subsets == ["in_domain", "out_of_domain"]
    domain_metrics = json.loads((tmp_path / "out" / "toolbench_static" / "in_domain" / "metrics.json").read_text())
    assert set(domain_metrics) == {"rouge", "plan_em", "action_em", "f1", "hallu_rate"}
