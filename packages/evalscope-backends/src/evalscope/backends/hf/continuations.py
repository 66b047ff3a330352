"""Log-likelihood requests as scoring pairs, shared by the HF and vLLM adapters (they differ only in
how the pairs are scored): tokenise each (context, continuation), fit it to the context window,
and turn the summed log-probabilities back into one output per request."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import attrs

from evalscope.backends import context_window
from evalscope.backends.hf import prompts
from evalscope.backends.hf.scoring import ScoringPair, build_pair
from evalscope.core.types import ModelOutput, ModelRequest, Usage

#: an adapter's early answer to a request it will not score (e.g. a prompt it cannot read whole)
Refusal = Callable[[str, ModelRequest], "ModelOutput | None"]


@attrs.define
class ContinuationPlan:
    """The pairs to score, and for each request its slice of them (or its early output)."""

    outputs: list[ModelOutput | None]
    pairs: list[ScoringPair] = attrs.field(factory=list)
    #: (request index, first pair, end, prompt truncated)
    spans: list[tuple[int, int, int, bool]] = attrs.field(factory=list)

    def finish(self, sums: Sequence[float], latency: float, model_name: str | None) -> list[ModelOutput]:
        """One output per request, given each pair's summed continuation log-probability."""
        for k, a, b, truncated in self.spans:
            chosen = self.pairs[a:b]
            self.outputs[k] = ModelOutput(
                scores=list(sums[a:b]),
                token_counts=[p.continuation for p in chosen],
                usage=Usage(input_tokens=sum(len(p.tokens) for p in chosen)),
                latency=latency,
                model=model_name,
                prompt_truncated=truncated,
            )
        return [o for o in self.outputs if o is not None]


def plan_continuations(
    tokenizer: Any,
    requests: Sequence[ModelRequest],
    *,
    start_id: int | None,
    max_length: int,
    truncation: str,
    model_name: str | None,
    hint: str | None = None,
    refuse: Refusal | None = None,
) -> ContinuationPlan:
    """Pairs for every continuation of every request (`request.choices`, after the prompt, or after
    `request.contexts[i]` when the request has per-choice contexts).

    A continuation is never cut; a context that does not fit before it makes the request an error
    (or, with truncation "left", loses its oldest tokens).
    """
    plan = ContinuationPlan(outputs=[None] * len(requests))
    for k, request in enumerate(requests):
        if not request.choices:
            raise ValueError("a loglikelihood request needs `choices` (continuations)")
        text, templated = prompts.render_prompt(tokenizer, request)
        early = refuse(text, request) if refuse is not None else None
        if early is not None:
            plan.outputs[k] = early
            continue
        shared_ids = prompts.encode(tokenizer, text, templated)
        mine: list[ScoringPair] = []
        error, truncated = None, False
        for i, continuation in enumerate(request.choices):
            context = text + request.contexts[i] if request.contexts else text
            context_ids = prompts.encode(tokenizer, context, templated) if request.contexts else shared_ids
            whole = prompts.encode(tokenizer, context + continuation, templated)
            pair = build_pair(context_ids, whole, start_id, len(whole) + 1)  # whole: cut below
            fit = context_window.fit_scoring(
                len(pair.tokens) - pair.continuation,
                max_length,
                truncation,
                kind="loglikelihood",
                scored_tokens=pair.continuation,
                hint=hint,
            )
            if fit.error:
                error = fit.error
                break
            if fit.keep:
                pair = ScoringPair(tokens=pair.tokens[-(fit.keep + pair.continuation) :], continuation=pair.continuation)
                truncated = True
            mine.append(pair)
        if error:
            plan.outputs[k] = ModelOutput(error=error, model=model_name)
            continue
        plan.spans.append((k, len(plan.pairs), len(plan.pairs) + len(mine), truncated))
        plan.pairs.extend(mine)
    return plan
