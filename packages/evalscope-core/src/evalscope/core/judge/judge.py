"""`LLMJudge`: asks a judge model through core's `Model` wrapper (concurrency, retries, timeout) and
reads its reply fail-closed; `JudgeCache` makes a rerun reuse every verdict already given.

A judge call is identified by the judge's identity (provider, model, generation settings), the
reading rules and the prompt (`JudgeCall.key`). Its record -- the prompt, every raw reply, the
verdict, the number of attempts -- is stored with the sample's review (`details["judge"]`), so a
resumed run (`--use-cache`) loads the records back from the store and asks the judge nothing again
for a valid verdict. An eval run's judge-invalid verdicts are not reused (`valid_only`): the model's
answer is, and the judge is asked again.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import Awaitable, Iterable, Sequence
from typing import Any

import attrs

from evalscope.core.judge.verdict import Parser, Verdict
from evalscope.core.model import Model
from evalscope.core.serialization import structure, unstructure
from evalscope.core.types import (
    ChatMessage,
    GenerationConfig,
    ModelRequest,
    RequestKind,
    SampleResult,
    SampleStatus,
)


class JudgeCallError(RuntimeError):
    """The judge could not be asked (transport failure after retries, or it returned an error).
    Not a verdict: the sample is recorded as errored and a rerun asks again."""


@attrs.define
class JudgeCall:
    """One question to the judge and what came of it (stored in the review's details)."""

    key: str
    #: the judge's identity (provider, model; never a secret)
    judge: dict[str, Any]
    #: the prompt of the first attempt, as chat messages
    messages: list[dict[str, str]]
    #: every raw reply, one per attempt (later attempts were reminded of the format)
    replies: list[str]
    valid: bool
    score: float | None = None
    label: str | None = None
    reason: str = ""
    attempts: int = 0
    #: True when this record was reused from an earlier run (no call was made)
    cached: bool = False


class JudgeCache:
    """Judge records by key, loaded from the stored reviews of the run being resumed."""

    def __init__(self) -> None:
        self._records: dict[str, JudgeCall] = {}

    def __len__(self) -> int:
        return len(self._records)

    def get(self, key: str) -> JudgeCall | None:
        return self._records.get(key)

    def put(self, call: JudgeCall) -> None:
        self._records[call.key] = call

    def load(self, records: Iterable[Any], *, valid_only: bool = False) -> int:
        """Add stored `JudgeCall` dicts (unreadable ones are skipped, and invalid verdicts with
        `valid_only`); returns how many were added."""
        added = 0
        for raw in records:
            if not isinstance(raw, dict) or not raw.get("key"):
                continue
            if valid_only and raw.get("valid") is not True:
                continue
            try:
                call = structure(raw, JudgeCall)
            except Exception:  # noqa: BLE001 - a record of an older version: just not reused
                continue
            self._records[call.key] = call
            added += 1
        return added

    def load_details(self, details: dict[str, Any] | None, *, valid_only: bool = False) -> int:
        """Add the judge records kept in one review's `details` (under "judge" -> "calls", also nested
        in arena games)."""
        if not details:
            return 0
        return self.load(_calls_in(details), valid_only=valid_only)


def _calls_in(value: Any) -> Iterable[Any]:
    if isinstance(value, dict):
        if "key" in value and "replies" in value and "valid" in value:
            yield value
            return
        for item in value.values():
            yield from _calls_in(item)
    elif isinstance(value, list):
        for item in value:
            yield from _calls_in(item)


def digest(value: Any, length: int = 16) -> str:
    raw = json.dumps(value, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()[:length]


class LLMJudge:
    """A judge model behind the `Model` wrapper, asked with fail-closed reading and a cache."""

    def __init__(
        self,
        model: Model,
        *,
        generation: GenerationConfig,
        max_attempts: int = 2,
        cache: JudgeCache | None = None,
    ) -> None:
        self.model = model
        self.generation = generation
        self.max_attempts = max(1, max_attempts)
        self.cache = cache if cache is not None else JudgeCache()
        self.identity = {**model.api.identity(), "generation": unstructure(generation)}
        self.identity_digest = digest(self.identity)
        #: questions asked of the judge model, records reused from the cache, invalid verdicts
        self.calls = 0
        self.hits = 0
        self.invalid = 0
        self._derived: dict[str, LLMJudge] = {}

    @property
    def name(self) -> str:
        return str(self.model.api.model_name or type(self.model.api).__name__)

    def key(self, messages: Sequence[ChatMessage], contract: str) -> str:
        request = ModelRequest(kind=RequestKind.GENERATE, messages=list(messages), config=self.generation)
        return digest([self.identity_digest, contract, self.max_attempts, request.cache_key()], 24)

    async def ask(self, messages: Sequence[ChatMessage], parser: Parser, *, reminder: str, contract: str) -> JudgeCall:
        """Ask until a reply parses (at most `max_attempts` calls); the record says which it was.

        `contract` describes the reading rules (part of the cache key). Raises JudgeCallError when
        the judge cannot be reached."""
        key = self.key(messages, contract)
        hit = self.cache.get(key)
        if hit is not None:
            self.hits += 1
            self.invalid += int(not hit.valid)
            return attrs.evolve(hit, cached=True)
        history = list(messages)
        replies: list[str] = []
        verdict = Verdict.invalid("no reply")
        for _ in range(self.max_attempts):
            request = ModelRequest(kind=RequestKind.GENERATE, messages=history, config=self.generation)
            try:
                output = await self.model.call(request)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - reported as a failed judge call, never a verdict
                raise JudgeCallError(f"{type(exc).__name__}: {exc}") from exc
            self.calls += 1
            if output.error is not None:
                raise JudgeCallError(output.error)
            replies.append(output.text)
            verdict = parser(output.text)
            if verdict.valid:
                break
            history = [*history, ChatMessage("assistant", output.text), ChatMessage("user", reminder)]
        call = JudgeCall(
            key=key,
            judge=self.identity,
            messages=[{"role": m.role, "content": m.text} for m in messages],
            replies=replies,
            valid=verdict.valid,
            score=verdict.score,
            label=verdict.label,
            reason=verdict.reason,
            attempts=len(replies),
        )
        if not call.valid:
            self.invalid += 1
        self.cache.put(call)
        return call

    def derived(self, generation: GenerationConfig) -> LLMJudge:
        """This judge's model, cache and attempts with `generation` over its generation settings (a
        judge protocol's own, e.g. Arena-Hard's or MT-Bench's): one judge per settings, kept."""
        merged = self.generation.merged(generation)
        key = digest(unstructure(merged))
        own = self._derived.get(key)
        if own is None:
            own = LLMJudge(self.model, generation=merged, max_attempts=self.max_attempts, cache=self.cache)
            self._derived[key] = own
        return own

    def count(self, call: JudgeCall) -> None:
        """Add a call made through a `derived` judge to this judge's counters (its summary line)."""
        if call.cached:
            self.hits += 1
        else:
            self.calls += call.attempts
        self.invalid += int(not call.valid)

    def summary(self) -> str:
        return f"judge {self.name}: {self.calls} call(s), {self.hits} verdict(s) reused from the cache, {self.invalid} invalid"

    async def aclose(self) -> None:
        await self.model.aclose()


async def gather_calls(
    judge: LLMJudge, asks: Iterable[Awaitable[JudgeCall]], record: dict[str, Any], result: SampleResult
) -> list[JudgeCall] | None:
    """A judge protocol's calls for one sample, asked together through a `derived` judge: counted
    into the run's `judge` and kept in `record["calls"]`; None when one failed (the sample is then
    an error, `record["error"]` says why)."""
    try:
        calls = list(await asyncio.gather(*asks))
    except JudgeCallError as exc:
        record["error"] = str(exc)
        result.status, result.error, result.scores = SampleStatus.ERROR, f"judge call failed: {exc}", {}
        return None
    for call in calls:
        judge.count(call)
    record["calls"] = [unstructure(c) for c in calls]
    return calls


__all__ = ["LLMJudge", "JudgeCall", "JudgeCache", "JudgeCallError", "digest", "gather_calls"]
