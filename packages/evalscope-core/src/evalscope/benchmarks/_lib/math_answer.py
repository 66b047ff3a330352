"""Math answer scoring API used by gsm8k, competition_math, math_500, aime24/25 and amc23.

    extract_math_answer(output)        -> normalised final answer ("" when none)
    normalize_math_answer(latex)       -> normalised LaTeX string
    math_equal(pred, gold, timeout=5)  -> bool (string, letter, numeric, structural, sympy)
    last_number(output)                -> last number as a string, or None (gsm8k)
    numbers_equal(a, b)                -> bool, abs_tol 1e-4 (gsm8k)

Importing this module is cheap: sympy and latex2sympy2_extended load only when a symbolic check runs.
"""

from __future__ import annotations

from evalscope.benchmarks._lib.math_compare import math_equal, numbers_equal, parse_number
from evalscope.benchmarks._lib.math_extract import extract_math_answer, last_boxed, last_number
from evalscope.benchmarks._lib.math_normalize import normalize_math_answer

__all__ = [
    "extract_math_answer",
    "last_boxed",
    "last_number",
    "math_equal",
    "normalize_math_answer",
    "numbers_equal",
    "parse_number",
]
