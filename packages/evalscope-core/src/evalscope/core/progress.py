"""A terminal progress bar as a ProgressSink (tqdm)."""

from __future__ import annotations

import sys
from typing import Any

from evalscope.core.events import SampleFinished, TaskFinished, TaskStarted


class TqdmProgress:
    """One bar per task; cached samples count as done at once."""

    def __init__(self, file: Any = None, disable: bool = False) -> None:
        self.file = file or sys.stderr
        self.disable = disable
        self.bar: Any = None

    def on_event(self, event: object) -> None:
        if self.disable:
            return
        if isinstance(event, TaskStarted):
            from tqdm import tqdm

            self.bar = tqdm(total=event.total, desc=f"{event.dataset}", file=self.file, unit="sample", dynamic_ncols=True)
            if event.cached:
                self.bar.set_postfix_str(f"{event.cached} cached")
        elif isinstance(event, SampleFinished) and self.bar is not None:
            self.bar.update(1)
        elif isinstance(event, TaskFinished) and self.bar is not None:
            self.bar.close()
            self.bar = None
