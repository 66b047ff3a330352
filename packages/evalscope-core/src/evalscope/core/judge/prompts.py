"""The grading contract: what the judge is asked (system prompt, template) and how its reply is read.

Templates take `{question}`, `{gold}` (the reference answer) and `{pred}` (the model's answer); they
are filled by plain replacement, so other braces (JSON examples) stay as written.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping

import attrs

from evalscope.core.judge.config import JudgeModelArgs
from evalscope.core.judge.verdict import Parser, json_parser, numeric_parser, pattern_parser, self_consistent

#: a system prompt for judges that want one (none by default: the instructions open the user message
#: and the verdict format closes it, which small judges follow far more often)
GRADER_SYSTEM = "You are a careful, impartial grader of answers to questions."

_TASK = (
    "Act as a careful, impartial grader. Decide whether the predicted answer to the question below is correct, "
    "using the reference answer as the truth. Wording, formatting and extra explanation do not matter; the answer "
    "counts as correct when it states the same final answer as the reference, and as incorrect when it "
    "contradicts it, misses it or hedges between several answers.\n\n"
    "[Question]\n{question}\n\n[Reference answer]\n{gold}\n\n[Predicted answer]\n{pred}\n\n"
)

PATTERN_TEMPLATE = _TASK + 'Is the predicted answer correct? Give your verdict as "[[A]]" if it is correct or "[[B]]" if it is incorrect.'
#: "[[A]]"; a single-bracket "[A]" is read too (small judges drop a bracket), never a bare letter in prose
PATTERN = r"\[\[?\s*([AB])\s*\]\]?"
PATTERN_MAPPING = {"A": 1.0, "B": 0.0}
PATTERN_REMINDER = 'Your reply did not contain a single verdict. Reply with only "[[A]]" (correct) or "[[B]]" (incorrect).'

NUMERIC_TEMPLATE = (
    "Rate how correct the predicted answer to the question below is, using the reference answer as the truth, "
    "from 0 (wrong) to 1 (fully correct).\n\n"
    "[Question]\n{question}\n\n[Reference answer]\n{gold}\n\n[Predicted answer]\n{pred}\n\n"
    'End your reply with the rating in double brackets, for example "[[0.5]]".'
)
NUMERIC_PATTERN = r"\[\[\s*([0-9]*\.?[0-9]+)\s*\]\]"
NUMERIC_REMINDER = 'Your reply did not contain a single rating. Reply with only the rating, e.g. "[[1]]" or "[[0]]".'

JSON_TEMPLATE = _TASK + 'Reply with only a JSON object: {"verdict": "correct"} or {"verdict": "incorrect"}, optionally with a "reason".'
JSON_MAPPING = {"correct": 1.0, "incorrect": 0.0}
JSON_REMINDER = 'Your reply was not a valid verdict. Reply with only {"verdict": "correct"} or {"verdict": "incorrect"}.'


@attrs.frozen
class Contract:
    """One judge's prompt and reading rules, with a stable description for cache keys."""

    system_prompt: str | None
    template: str
    parser: Parser
    #: sent (after the judge's own reply) when a reply does not parse
    reminder: str
    #: what determines the reading of a reply (part of the cache key)
    description: str


def grading_contract(args: JudgeModelArgs) -> Contract:
    """The correctness-grading contract of `args` (defaults by score_type)."""
    if args.score_type == "numeric":
        pattern = args.score_pattern or NUMERIC_PATTERN
        parser, template, reminder = numeric_parser(pattern), NUMERIC_TEMPLATE, NUMERIC_REMINDER
        mapping: Mapping[str, float] = {}
    elif args.score_type == "json":
        mapping = args.score_mapping or JSON_MAPPING
        parser, template, reminder = json_parser(mapping), JSON_TEMPLATE, JSON_REMINDER
        pattern = ""
    else:
        pattern = args.score_pattern or PATTERN
        mapping = args.score_mapping or PATTERN_MAPPING
        parser, template, reminder = pattern_parser(pattern, mapping), PATTERN_TEMPLATE, PATTERN_REMINDER
    low, high = (min(mapping.values()), max(mapping.values())) if mapping else (0.0, 1.0)
    parser = self_consistent(parser, float(low), float(high))  # a verdict its own words contradict is invalid
    if args.prompt_template is not None or args.score_pattern is not None:
        reminder = "Your reply did not contain a verdict in the required format. Give your verdict again, exactly in that format."
    description = json.dumps(
        {"type": args.score_type, "pattern": pattern, "mapping": dict(mapping), "self_consistent": 1}, sort_keys=True
    )
    return Contract(args.system_prompt or None, args.prompt_template or template, parser, reminder, description)


def fill(template: str, **values: str) -> str:
    """Replace `{name}` placeholders of the given names in one pass (other braces stay, and text
    inserted for one placeholder is never searched for another)."""
    if not values:
        return template
    names = "|".join(re.escape(name) for name in values)
    return re.sub(r"\{(" + names + r")\}", lambda m: values[m.group(1)], template)


__all__ = ["Contract", "grading_contract", "fill", "GRADER_SYSTEM"]
