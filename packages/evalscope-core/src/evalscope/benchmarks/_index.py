"""Benchmark name -> module holding its `SPEC`. Importing this costs nothing."""

BUILTIN_BENCHMARKS: dict[str, str] = {
    "gsm8k": "evalscope.benchmarks.gsm8k",
    "arc": "evalscope.benchmarks.arc",
    "mmlu": "evalscope.benchmarks.mmlu",
}
