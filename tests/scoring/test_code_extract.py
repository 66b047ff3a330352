"""Code extraction from model answers and program assembly, each checked by running it."""

from __future__ import annotations

import subprocess
import sys

from evalscope.benchmarks._lib.code_extract import (
    drop_main_guard,
    extract_code,
    humaneval_program,
    mbpp_extract,
    mbpp_program,
)

PROMPT = 'from typing import List\n\n\ndef add(a: int, b: int) -> int:\n    """Add two numbers."""\n'
TEST = "def check(candidate):\n    assert candidate(2, 3) == 5\n    assert candidate(-1, 1) == 0\n"


def _runs(program: str) -> bool:
    return subprocess.run([sys.executable, "-I", "-c", program], capture_output=True, timeout=30).returncode == 0


def test_extract_prefers_python_fence():
    text = "Here:\n```\nplain\n```\nand\n```python\nx = 1\n```\n"
    assert extract_code(text) == "x = 1"
    assert extract_code("```\ny = 2\n```") == "y = 2"
    assert extract_code("```py\nz = 3\n") == "z = 3"  # cut by max_tokens: no closing fence
    assert extract_code("    return 1\n") == "    return 1"


def test_humaneval_body_completion():
    program = humaneval_program(PROMPT, "    return a + b\n", TEST, "add")
    assert program.endswith("check(add)\n") and _runs(program)
    assert not _runs(humaneval_program(PROMPT, "    return a - b\n", TEST, "add"))
    assert not _runs(humaneval_program(PROMPT, "", TEST, "add"))


def test_humaneval_unindented_body_and_hoisted_import():
    assert _runs(humaneval_program(PROMPT, "import math\nreturn int(math.fsum([a, b]))", TEST, "add"))


def test_humaneval_full_function_with_imports_in_a_fence():
    answer = (
        "Sure! Here is the code:\n```python\nimport operator\n\ndef add(a: int, b: int) -> int:\n"
        "    return operator.add(a, b)\n\nif __name__ == '__main__':\n    print(add(input(), 1))\n```\n"
    )
    program = humaneval_program(PROMPT, answer, TEST, "add")
    assert "input()" not in program
    assert _runs(program)


def test_drop_main_guard_keeps_code_after_it():
    code = "x = 1\nif __name__ == \"__main__\":\n    run()\n\ny = 2\n"
    assert drop_main_guard(code) == "x = 1\ny = 2\n"


def test_mbpp_extract_and_program():
    out = " 'def f(x):\n    return x * 2' \n[DONE]\nmore text"
    assert mbpp_extract(out) == "def f(x):\n    return x * 2"
    assert mbpp_extract("[BEGIN]\n```python\ndef f(x):\n    return x*2\n```\n[DONE]") == "def f(x):\n    return x*2"
    program = mbpp_program("def f(x):\r\n  return x * 2", ["assert f(2) == 4", "assert f(0) == 0"])
    assert _runs(program)
    assert not _runs(mbpp_program("def f(x):\n  return x", ["assert f(2) == 4"]))
