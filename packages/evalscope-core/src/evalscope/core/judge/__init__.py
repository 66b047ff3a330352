"""LLM-as-judge: the scoring policy (strategies auto | rule | llm | llm_recall), the grading contract,
fail-closed verdict reading, and the judge cache. The judge model is any registered provider,
reached through core's `Model` wrapper. Light: attrs and the standard library only."""

from evalscope.core.judge.config import JUDGE_KEY_ENV, JUDGE_STRATEGIES, SCORE_TYPES, JudgeModelArgs
from evalscope.core.judge.judge import JudgeCache, JudgeCall, JudgeCallError, LLMJudge
from evalscope.core.judge.verdict import Verdict, json_parser, numeric_parser, pattern_parser

__all__ = [
    "JUDGE_KEY_ENV",
    "JUDGE_STRATEGIES",
    "SCORE_TYPES",
    "JudgeCache",
    "JudgeCall",
    "JudgeCallError",
    "JudgeModelArgs",
    "LLMJudge",
    "Verdict",
    "json_parser",
    "numeric_parser",
    "pattern_parser",
]
