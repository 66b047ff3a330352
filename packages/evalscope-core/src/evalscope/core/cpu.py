"""Client CPU per request: the one definition, for `evalscope perf` and the evaluation engine.

CPU is the process's user + system time (``time.process_time``: every thread of the process)
over the measured block, not start-up or imports before it. With several client processes their
seconds are summed. Per request: that sum divided by the requests completed (answered or failed),
in milliseconds. Stdlib only, so any layer may use it (docs/perf-metrics.md).
"""

from __future__ import annotations

import math
import time
from types import TracebackType


class CpuMeter:
    """Process CPU and wall seconds over a block; readable while running.

    ``with CpuMeter() as m: ...`` then ``m.cpu_s``, ``m.wall_s``, ``m.ms_per_request(n)``;
    or ``m = CpuMeter().start()`` ... ``m.stop()`` around asynchronous work.
    """

    __slots__ = ("_cpu0", "_wall0", "_cpu", "_wall")

    def __init__(self) -> None:
        self._cpu0: float | None = None
        self._wall0 = 0.0
        self._cpu = 0.0
        self._wall = 0.0

    def start(self) -> CpuMeter:
        self._cpu0 = time.process_time()
        self._wall0 = time.perf_counter()
        return self

    def stop(self) -> CpuMeter:
        if self._cpu0 is not None:
            self._cpu = time.process_time() - self._cpu0
            self._wall = time.perf_counter() - self._wall0
            self._cpu0 = None
        return self

    @property
    def cpu_s(self) -> float:
        """Process CPU seconds so far (final once stopped)."""
        return self._cpu if self._cpu0 is None else time.process_time() - self._cpu0

    @property
    def wall_s(self) -> float:
        """Wall seconds so far (final once stopped)."""
        return self._wall if self._cpu0 is None else time.perf_counter() - self._wall0

    def ms_per_request(self, completed: int) -> float:
        return cpu_ms_per_request(self.cpu_s, completed)

    def __enter__(self) -> CpuMeter:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


def cpu_ms_per_request(cpu_s: float, completed: int) -> float:
    """CPU seconds (summed over the client processes) per completed request, in ms; NaN for none."""
    return cpu_s * 1000.0 / completed if completed > 0 else math.nan
