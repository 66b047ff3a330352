"""Client process count: from --num-workers, else from the asked load and the usable cores."""

import evalscope.perf.runner as runner
from evalscope.perf.args import PerfArgs
from evalscope.perf.runner import RunShape, auto_workers


def test_auto_workers_scale_with_load_and_cores(monkeypatch):
    monkeypatch.setattr(runner, "cpu_count", lambda: 4)
    small = PerfArgs(model="m", max_tokens=16)
    assert auto_workers(small, RunShape(1, None, 100)) == 1
    assert auto_workers(small, RunShape(64, None, 1000)) == 1
    assert auto_workers(small, RunShape(512, None, 1000)) == 3
    assert auto_workers(small, RunShape(4096, None, 10_000)) == 4  # capped by cores
    assert auto_workers(small, RunShape(None, 200.0, 1000)) == 1
    assert auto_workers(PerfArgs(model="m", max_tokens=2048), RunShape(None, 200.0, 1000)) == 4
    assert auto_workers(PerfArgs(model="m", num_workers=3), RunShape(1, None, 10)) == 3
    assert auto_workers(PerfArgs(model="m", multi_turn=True), RunShape(4096, None, 10)) == 1
    assert auto_workers(small, RunShape(4096, None, 2)) == 2  # never more processes than requests
    monkeypatch.setattr(runner, "cpu_count", lambda: 1)
    assert auto_workers(small, RunShape(4096, None, 10_000)) == 1  # e.g. pinned with taskset
