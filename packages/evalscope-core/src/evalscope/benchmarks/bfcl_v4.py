"""BFCL v4 (Berkeley Function Calling Leaderboard): its single-turn categories, scored by BFCL's AST check.

Data: the `bfcl-eval` 2026.3.23 wheel's `bfcl_eval/data/BFCL_v4_<category>.json` and
`possible_answer/` (see `_lib/bfcl_data.py`: downloaded alone, never installed). Each item's request
carries its functions as `tools` (converted as BFCL does for OpenAI-style tools, `_lib/fc_tools.py`)
and its question messages. The answer's `tool_calls`, or else its text in BFCL's prompting format
(`[func(a=1), g(b="x")]`), are the calls; `_lib/fc_check.py` applies BFCL's AST rules; irrelevance
categories pass when no call is made, live_relevance when at least one is. Multi-turn, memory,
web-search and format-sensitivity categories are left out (docs/function-calling.md).
"""

from __future__ import annotations

from typing import Any

import attrs

from evalscope.benchmarks._lib import bfcl_data
from evalscope.benchmarks._lib.fc_check import calls_of, check_calls
from evalscope.benchmarks._lib.fc_tools import answer_calls, bfcl_tools
from evalscope.core.benchmark import BenchmarkSpec, DataSpec, ScoringSpec, Task
from evalscope.core.metrics import ACCURACY
from evalscope.core.types import ChatMessage, ModelOutput, ModelRequest, Sample

CATEGORIES = (
    "simple_python", "simple_java", "simple_javascript", "multiple", "parallel", "parallel_multiple",
    "irrelevance", "live_simple", "live_multiple", "live_parallel", "live_parallel_multiple",
    "live_irrelevance", "live_relevance",
)  # fmt: skip


def language_of(category: str) -> str:
    return {"simple_java": "java", "simple_javascript": "javascript"}.get(category, "python")


def rule_of(category: str) -> str:
    """ast (calls checked against the allowed ones), no_call (irrelevance) or any_call (relevance)."""
    if "irrelevance" in category:
        return "no_call"
    if "relevance" in category:
        return "any_call"
    return "ast"


def record_to_sample(record: dict[str, Any], index: int, subset: str) -> Sample:
    question = record["question"]
    if len(question) != 1:
        raise ValueError(f"a single-turn item has one turn of messages, this one {len(question)}")
    messages = [ChatMessage(str(m["role"]), str(m["content"])) for m in question[0]]
    return Sample(
        id=str(record["id"]),
        input=messages,
        target=record.get("ground_truth"),
        subset=subset,
        metadata={"functions": record["function"], "category": subset, "language": language_of(subset)},
    )


class _Categories(dict[str, list[dict[str, Any]]]):
    """subset -> records, each category's files read when asked for."""

    def __init__(self, folder: Any) -> None:
        super().__init__()
        self.folder = folder

    def __iter__(self) -> Any:
        return iter(CATEGORIES)

    def get(self, key: Any, default: Any = None) -> Any:
        if key not in CATEGORIES:
            return default
        return bfcl_data.category_records(self.folder, key)


def build_records(params: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    return _Categories(bfcl_data.data_dir(params))


def build_request(task: Task, sample: Sample) -> ModelRequest:
    request = task.default_build_request(sample)
    return attrs.evolve(request, tools=bfcl_tools(sample.metadata["functions"], sample.metadata["language"]))


def predict(task: Task, sample: Sample, output: ModelOutput) -> tuple[str | None, Any]:
    text = task.filter_text(output.text)
    calls, _how = answer_calls(output, text)
    return text, calls


def has_call(calls: Any) -> bool:
    """BFCL's relevance reading: a decodable, non-empty call list (`[]` and `[{}]` are no call)."""
    valid = calls_of(calls)
    return valid is not None and bool(valid) and not (len(valid) == 1 and not valid[0])


def score_calls(
    calls: Any,
    functions: list[dict[str, Any]],
    answer: Any,
    category: str,
    language: str,
    *,
    underscore: bool = True,
) -> float:
    """1.0 when the calls pass the category's rule, else 0.0."""
    rule = rule_of(category)
    if rule == "no_call":
        return float(not has_call(calls))
    if rule == "any_call":
        return float(has_call(calls))
    valid = calls_of(calls)
    if valid is None:
        return 0.0
    try:
        verdict = check_calls(
            functions, valid, answer, category=category, language=language, underscore=underscore
        )
    except (KeyError, ValueError, TypeError):  # an answer naming a function the item lacks
        return 0.0
    return float(verdict.valid)


def score(
    prediction: Any, sample: Sample, output: ModelOutput, params: dict[str, Any] | None = None
) -> dict[str, float]:
    meta = sample.metadata
    return {
        ACCURACY: score_calls(
            prediction, meta["functions"], sample.target, meta["category"], meta["language"]
        )
    }


def make_spec(name: str, pretty: str) -> BenchmarkSpec:
    return BenchmarkSpec(
        name=name,
        data=DataSpec(subsets=CATEGORIES, build_records=build_records, record_to_sample=record_to_sample),
        scoring=ScoringSpec(score=score, metrics=(ACCURACY,), extra_params={"data_dir": None}),
        pretty_name=pretty,
        description=(
            "Berkeley Function Calling Leaderboard, single-turn categories: tools offered with each question, "
            "calls checked by BFCL's AST rules (irrelevance: no call; live_relevance: some call)."
        ),
        tags=("function_calling", "tools"),
        build_request=build_request,
        predict=predict,
        category=lambda subset: ("live" if subset.startswith("live_") else "non_live",),
    )


SPEC = make_spec("bfcl_v4", "BFCL-v4")
