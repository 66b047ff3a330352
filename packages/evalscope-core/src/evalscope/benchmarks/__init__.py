"""Built-in benchmarks: one small declarative spec per module, found through a lazy index."""

from __future__ import annotations

from typing import Any

from evalscope.benchmarks._index import BUILTIN_BENCHMARKS
from evalscope.core.registry import benchmarks

for _name, _module in BUILTIN_BENCHMARKS.items():
    if _name not in benchmarks._lazy and _name not in benchmarks._items:
        benchmarks.register_lazy(_name, f"{_module}:SPEC")


def get_benchmark(name: str) -> Any:
    """The BenchmarkSpec registered as `name` (built-in or plug-in)."""
    return benchmarks.get(name)


def benchmark_names() -> list[str]:
    return benchmarks.names()
