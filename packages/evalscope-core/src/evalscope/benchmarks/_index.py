"""Benchmark name -> module holding its `SPEC`. Importing this costs nothing."""

_B = "evalscope.benchmarks."

BUILTIN_BENCHMARKS: dict[str, str] = {
    # multiple choice
    "arc": _B + "arc",
    "mmlu": _B + "mmlu",
    "ceval": _B + "ceval",
    "cmmlu": _B + "cmmlu",
    "race": _B + "race",
    "general_mcq": _B + "general_mcq",
    "hellaswag": _B + "hellaswag",
    "truthful_qa": _B + "truthful_qa",
    "mmlu_pro": _B + "mmlu_pro",
    "musr": _B + "musr",
    "gpqa": _B + "gpqa",
    "iquiz": _B + "iquiz",
    "winogrande": _B + "winogrande",
    "piqa": _B + "piqa",
    # math and reasoning
    "gsm8k": _B + "gsm8k",
    "competition_math": _B + "competition_math",
    "math_500": _B + "math_500",
    "aime24": _B + "aime24",
    "aime25": _B + "aime25",
    "amc23": _B + "amc23",
    "bbh": _B + "bbh",
    "process_bench": _B + "process_bench",
    # code
    "humaneval": _B + "humaneval",
    "mbpp": _B + "mbpp",
    # instruction following, QA
    "ifeval": _B + "ifeval",
    "trivia_qa": _B + "trivia_qa",
    "general_qa": _B + "general_qa",
    # function calling
    "bfcl_v4": _B + "bfcl_v4",
    "bfcl_v3": _B + "bfcl_v3",
    "general_fc": _B + "general_fc",
    # long context
    "needle_haystack": _B + "needle_haystack",
    # conversations judged by a model
    "mt_bench": _B + "mt_bench",
    # mixtures
    "data_collection": _B + "data_collection",
}
