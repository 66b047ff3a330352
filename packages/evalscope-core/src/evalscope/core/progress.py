"""A terminal progress bar as a ProgressSink (tqdm).

One bar per dataset, rendered from the one progress reducer (`core/progress_state.py`, which the
TUI and the site's Run page render too). Local generation finishes a whole batch at once, so the bar also moves with
the tokens being generated: its postfix shows tokens so far, tokens/s and an ETA that counts the
tokens still to come (unfinished samples x the mean tokens of finished ones, or their max_tokens
budget before any finished).
"""

from __future__ import annotations

import sys
import time
from typing import Any

from evalscope.core.events import SampleFinished, TaskFinished, TaskStarted, TokensGenerated
from evalscope.core.progress_state import DatasetProgress, ProgressState

#: at most this many postfix refreshes per second (token events can arrive hundreds of times a second)
REFRESH_HZ = 4.0


class TqdmProgress:
    """One bar per task; cached samples count as done at once. Renders core's progress reducer."""

    def __init__(self, file: Any = None, disable: bool = False) -> None:
        self.file = file or sys.stderr
        self.disable = disable
        self.bar: Any = None
        self.state = ProgressState()
        self.current = DatasetProgress("")
        self._last_refresh = 0.0

    @property
    def started(self) -> float:
        """When the current dataset started (monotonic seconds)."""
        return self.current.started or 0.0

    @started.setter
    def started(self, value: float) -> None:
        self.current.started = value

    def on_event(self, event: object) -> None:
        if self.disable:
            return
        self.state.apply(event)
        if isinstance(event, TaskStarted):
            from tqdm import tqdm

            self.current = self.state.dataset(event.dataset)
            self._last_refresh = 0.0
            self.bar = tqdm(
                total=event.total, desc=f"{event.dataset}", file=self.file, unit="sample", dynamic_ncols=True
            )
            if event.cached:
                self.bar.set_postfix_str(f"{event.cached} cached", refresh=False)
        elif isinstance(event, TokensGenerated) and self.bar is not None:
            now = time.monotonic()
            if now - self._last_refresh >= 1.0 / REFRESH_HZ:
                self._last_refresh = now
                self.bar.set_postfix_str(self.token_status(now))
        elif isinstance(event, SampleFinished) and self.bar is not None:
            self.bar.update(1)
            if self.current.streamed:
                self.bar.set_postfix_str(self.token_status(time.monotonic()), refresh=False)
        elif isinstance(event, TaskFinished) and self.bar is not None:
            self.bar.close()
            self.bar = None

    def token_status(self, now: float) -> str:
        """'1,234 tok, 56.7 tok/s, ETA 1:23' (the ETA once a rate is known)."""
        ds = self.current
        elapsed = max(now - self.started, 1e-6)
        rate = ds.streamed / elapsed
        text = f"{ds.streamed:,} tok, {rate:.1f} tok/s"
        eta = self.eta_seconds(rate)
        if eta is not None:
            text += f", ETA {_clock(eta)}"
        if ds.failed:
            text += f", {ds.failed} failed"
        return text

    def eta_seconds(self, rate: float) -> float | None:
        """Seconds of generation left: tokens still expected over the current token rate."""
        return self.current.token_eta(rate)


def _clock(seconds: float) -> str:
    seconds = int(seconds)
    hours, rest = divmod(seconds, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60}:{rest % 60:02d}"
