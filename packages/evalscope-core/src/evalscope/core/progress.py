"""A terminal progress bar as a ProgressSink (tqdm).

One bar per dataset. Local generation finishes a whole batch at once, so the bar also moves with
the tokens being generated: its postfix shows tokens so far, tokens/s and an ETA that counts the
tokens still to come (unfinished samples x the mean tokens of finished ones, or their max_tokens
budget before any finished).
"""

from __future__ import annotations

import sys
import time
from typing import Any

from evalscope.core.events import SampleFinished, TaskFinished, TaskStarted, TokensGenerated

#: at most this many postfix refreshes per second (token events can arrive hundreds of times a second)
REFRESH_HZ = 4.0


class TqdmProgress:
    """One bar per task; cached samples count as done at once."""

    def __init__(self, file: Any = None, disable: bool = False) -> None:
        self.file = file or sys.stderr
        self.disable = disable
        self.bar: Any = None
        self._reset()

    def _reset(self) -> None:
        self.total = self.done = self.cached = self.failed = 0
        self.tokens = self.finished_tokens = self.finished_generated = 0
        self.max_tokens: int | None = None
        self.started = time.monotonic()
        self._last_refresh = 0.0

    def on_event(self, event: object) -> None:
        if self.disable:
            return
        if isinstance(event, TaskStarted):
            from tqdm import tqdm

            self._reset()
            self.total, self.cached = event.total, event.cached
            self.bar = tqdm(total=event.total, desc=f"{event.dataset}", file=self.file, unit="sample", dynamic_ncols=True)
            if event.cached:
                self.bar.set_postfix_str(f"{event.cached} cached", refresh=False)
        elif isinstance(event, TokensGenerated) and self.bar is not None:
            self.tokens += event.tokens
            self.max_tokens = event.max_tokens or self.max_tokens
            now = time.monotonic()
            if now - self._last_refresh >= 1.0 / REFRESH_HZ:
                self._last_refresh = now
                self.bar.set_postfix_str(self.token_status(now))
        elif isinstance(event, SampleFinished) and self.bar is not None:
            self.done += 1
            self.failed += int(not event.ok)
            if event.output_tokens and not event.cached:
                self.finished_tokens += event.output_tokens
                self.finished_generated += 1
            self.bar.update(1)
            if self.tokens:
                self.bar.set_postfix_str(self.token_status(time.monotonic()), refresh=False)
        elif isinstance(event, TaskFinished) and self.bar is not None:
            self.bar.close()
            self.bar = None

    def token_status(self, now: float) -> str:
        """'1,234 tok, 56.7 tok/s, ETA 1:23' (the ETA once a rate is known)."""
        elapsed = max(now - self.started, 1e-6)
        rate = self.tokens / elapsed
        text = f"{self.tokens:,} tok, {rate:.1f} tok/s"
        eta = self.eta_seconds(rate)
        if eta is not None:
            text += f", ETA {_clock(eta)}"
        if self.failed:
            text += f", {self.failed} failed"
        return text

    def eta_seconds(self, rate: float) -> float | None:
        """Seconds of generation left: tokens still expected over the current token rate."""
        if rate <= 0:
            return None
        remaining = max(0, self.total - self.done)
        per_sample = self.finished_tokens / self.finished_generated if self.finished_generated else self.max_tokens
        if per_sample is None:
            return None
        still_expected = remaining * per_sample - max(0, self.tokens - self.finished_tokens)
        return max(0.0, still_expected) / rate


def _clock(seconds: float) -> str:
    seconds = int(seconds)
    hours, rest = divmod(seconds, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60}:{rest % 60:02d}"
