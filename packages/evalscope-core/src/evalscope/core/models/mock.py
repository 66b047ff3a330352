"""A deterministic mock provider for dry runs and tests of the pipeline itself."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from evalscope.core.ports import ModelAPI, ModelOptions

if TYPE_CHECKING:
    from typing_extensions import Unpack
from evalscope.core.types import Feature, ModelOutput, ModelRequest, RequestKind, Usage


class MockModelAPI(ModelAPI):
    """Answers every prompt with a fixed text (default: "The answer is A.") and uniform choice scores;
    a reply longer than `max_tokens` words is cut there (finish reason "length")."""

    capabilities = frozenset({RequestKind.GENERATE, RequestKind.CHOICE_PROBS, RequestKind.LOGLIKELIHOOD})
    #: it answers a whole conversation (its one reply, whatever came before); tools are taken and
    #: ignored, its reply read as text (`tool_mode` "text"), so tool benchmarks dry-run too
    features = frozenset({Feature.MULTI_TURN, Feature.TOOLS})
    #: tokens are whitespace-separated words (`count_tokens`); its context is the `context_length` model arg
    counts_tokens = True

    def __init__(
        self, model: str | None = "mock", model_args: dict[str, Any] | None = None, **options: Unpack[ModelOptions]
    ) -> None:
        super().__init__(model or "mock", model_args, **options)
        self.reply = str(self.model_args.get("reply", "The answer is A."))
        self.delay = float(self.model_args.get("delay", 0.0))
        self.calls = 0
        self.max_batch_size = int(self.batch_size or 1)

    def identity(self) -> dict[str, object]:
        """As any model's; a `revision` model arg (a checkpoint's step) makes it another identity."""
        identity = super().identity()
        if self.model_args.get("revision") is not None:
            identity["revision"] = str(self.model_args["revision"])
        return identity

    def count_tokens(self, prompts: Sequence[str | ModelRequest]) -> list[int]:
        """Whitespace-separated words: of a string, or of a request's message texts (or prompt) together."""
        return [len(p.split()) if isinstance(p, str) else _request_words(p) for p in prompts]

    def context_length(self) -> int | None:
        value = self.model_args.get("context_length")
        return int(value) if value is not None else None

    def tool_mode(self) -> str | None:
        return "text"

    async def call(self, requests: Sequence[ModelRequest]) -> list[ModelOutput]:
        if self.delay:
            await asyncio.sleep(self.delay)
        self.calls += len(requests)
        outs = []
        for r in requests:
            if r.kind is RequestKind.GENERATE:
                outs.append(self._generate(r))
            else:
                n = len(r.choices or [])
                outs.append(ModelOutput(scores=[1.0 / max(n, 1)] * n, token_counts=[1] * n))
        return outs

    def _generate(self, request: ModelRequest) -> ModelOutput:
        """The reply, one token a word; cut to `max_tokens` words (finish reason "length") when longer."""
        words = self.reply.split()
        limit = request.config.max_tokens
        if limit is not None and len(words) > limit:
            text = " ".join(words[:limit])
            return ModelOutput(text=text, usage=Usage(1, limit), latency=0.0, finish_reason="length")
        return ModelOutput(text=self.reply, usage=Usage(1, len(words)), latency=0.0, finish_reason="stop")


def _request_words(request: ModelRequest) -> int:
    if request.messages:
        return sum(len(m.text.split()) for m in request.messages)
    return len((request.prompt or "").split())
