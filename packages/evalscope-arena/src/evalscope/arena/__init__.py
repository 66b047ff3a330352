"""evalscope arena: rank models by pairwise battles (or single-answer grading) judged by a model.

`from evalscope.arena import run_arena`; `evalscope arena --config arena.yaml`. The judge is core's
`LLMJudge` (any registered provider); ratings (numpy/scipy) load only when an arena runs.
"""

from __future__ import annotations

from typing import Any


def run_arena(*args: Any, **kwargs: Any) -> Any:
    """See `evalscope.arena.runner.run_arena`."""
    from evalscope.arena.runner import run_arena as run

    return run(*args, **kwargs)


__all__ = ["run_arena"]
