"""Run a benchmark's test program in the sandbox and turn the outcome into a verdict.

A program that fails its tests, crashes or times out is a wrong answer (False). A sandbox that
could not run the program at all (status ``error``: e.g. namespaces unavailable in a container) is
no verdict: the sample is left unevaluated with the reason and the run stops, naming the setting that
allows the weaker sandbox, instead of scoring 0 in silence.
"""

from __future__ import annotations

from evalscope.core.benchmark import SampleNotEvaluated
from evalscope.core.sandbox import SandboxJob, run_limited


def passes(benchmark: str, code: str, timeout: float, require_isolation: bool = True) -> bool:
    """Whether `code` exits 0 in the sandbox; raises SampleNotEvaluated when it could not run."""
    result = run_limited(SandboxJob(code=code, timeout=timeout, require_isolation=require_isolation))
    if result.status == "error":
        raise SampleNotEvaluated(
            f"the code sandbox could not run the program ({result.reason or 'no reason given'})",
            hint=(
                "To run with a weaker sandbox (unprivileged uid, resource limits, no network/filesystem "
                f"isolation) set dataset_args.{benchmark}.extra_params.require_isolation=false"
            ),
            stop_run=True,
        )
    return result.passed
