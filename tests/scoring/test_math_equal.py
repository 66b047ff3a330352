"""Table-driven equivalence cases for math_equal, plus normalisation, gsm8k numbers and time limits."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time

import pytest

from evalscope.benchmarks._lib.math_answer import math_equal, normalize_math_answer, numbers_equal
from evalscope.benchmarks._lib.math_symbolic import run_with_timeout, symbolic_equal

EQUAL = [
    # fractions
    (r"\frac{1}{2}", "0.5"),
    ("1/2", r"\frac{1}{2}"),
    (r"\dfrac12", "0.5"),
    (r"\tfrac{1}{2}", "1/2"),
    (r"\frac{2}{4}", r"\frac{1}{2}"),
    (r"-\frac{3}{4}", "-0.75"),
    # percentages
    (r"50\%", "0.5"),
    ("50", r"50\%"),
    ("0.5", r"50\%"),
    ("50 percent", "0.5"),
    # numbers, thousands, dollars, trailing zeros
    ("1,000", "1000"),
    (r"\$1,000", "1000"),
    ("12.0", "12"),
    (".5", "0.5"),
    (r"1{,}000", "1000"),
    # intervals (order and spacing)
    ("(0,1]", "(0, 1]"),
    (r"\left[ 0, \infty \right)", r"[0,\infty)"),
    # tuples and sets
    ("(1, 2)", r"\left( 1, 2 \right)"),
    (r"\{1, 2, 3\}", r"\{3, 1, 2\}"),
    ("2, 3", "3, 2"),
    (r"\{1, 2\}", "2, 1"),
    ("(1, 2)", "1, 2"),
    (r"\left(\frac{1}{2}, 3\right)", "(0.5, 3)"),
    # matrices
    (r"\begin{pmatrix} 1 \\ 2 \end{pmatrix}", r"\begin{pmatrix}1\\2\end{pmatrix}"),
    (
        r"\begin{pmatrix} 1 & \frac12 \\ 3 & 4 \end{pmatrix}",
        r"\begin{bmatrix} 1 & 0.5 \\ 3 & 4 \end{bmatrix}",
    ),
    (r"\begin{pmatrix} 1 \\ 2 \end{pmatrix}", "(1, 2)"),
    # units, degrees, text
    (r"10 \text{ cm}", "10"),
    (r"10\text{ cm}^2", "10"),
    ("10 inches", "10"),
    (r"30^\circ", "30"),
    (r"30^{\circ}", r"30"),
    (r"\text{(B)}", "B"),
    # sqrt forms and symbolic expressions
    (r"\sqrt{8}", r"2\sqrt{2}"),
    (r"\sqrt2", r"\sqrt{2}"),
    (r"\frac{\sqrt3}2", r"\frac{\sqrt{3}}{2}"),
    ("x^2+2x+1", "(x+1)^2"),
    (r"\pi/2", r"\frac{\pi}{2}"),
    (r"2\pi", r"\pi \cdot 2"),
    (r"\frac{1}{\sqrt{2}}", r"\frac{\sqrt{2}}{2}"),
    # variable prefixes and equations
    ("x = 3", "3"),
    ("y=2x+3", "2x+3"),
    ("2x+3=y", "y = 3 + 2x"),
    # multiple choice
    ("(A)", "A"),
    ("The correct option is C", "C"),
    # case
    (r"\text{Monday}", "monday"),
]

NOT_EQUAL = [
    ("1/2", "2"),
    ("(0,1)", "[0,1]"),
    ("(0,1]", "(0,1)"),
    ("3", "3.1"),
    ("-1", "1"),
    ("(1, 2)", "(2, 1)"),
    (r"\{1, 2\}", r"\{1, 2, 3\}"),
    (r"\begin{pmatrix} 1 & 2 \\ 3 & 4 \end{pmatrix}", r"\begin{pmatrix} 1 & 2 \\ 3 & 5 \end{pmatrix}"),
    (r"\begin{pmatrix} 1 \\ 2 \end{pmatrix}", r"\begin{pmatrix} 1 & 2 \end{pmatrix}"),
    (r"\sqrt{8}", r"3\sqrt{2}"),
    ("x^2+2x+1", "(x-1)^2"),
    ("B", "A"),
    ("", "0"),
    ("2, 3", "2, 3, 4"),
    ("7", r"\frac{7}{2}"),
    ("2", "200"),  # no percent sign on either side: no x100 tolerance
    (r"\left( 3, \frac{\pi}{2} \right)", "p - q"),
    ("[0, 1]", "0, 1"),
]


@pytest.mark.parametrize(("pred", "gold"), EQUAL)
def test_equal(pred: str, gold: str) -> None:
    assert math_equal(pred, gold) is True


@pytest.mark.parametrize(("pred", "gold"), NOT_EQUAL)
def test_not_equal(pred: str, gold: str) -> None:
    assert math_equal(pred, gold) is False


def test_percent_tolerance_modes() -> None:
    assert math_equal("0.5", "50") is False  # auto: neither side mentions a percent
    assert math_equal("0.5", "50", percent_tolerance=True) is True  # EvalScope v0.12 behaviour
    assert math_equal("2", "200", percent_tolerance=True) is True
    assert math_equal("0.5", r"50\%", percent_tolerance=False) is False
    assert math_equal("0.5", r"\frac12", percent_tolerance=False) is True


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (r"\left( \dfrac{1}{2}, 3 \right)", r"(\frac{1}{2},3)"),
        (r"\frac12", r"\frac{1}{2}"),
        (r"\frac1{x}", r"\frac{1}{x}"),
        (r"\sqrt3+\sqrt{5}", r"\sqrt{3}+\sqrt{5}"),
        (r"$\boxed{42}$", "42"),
        (r"45^\circ", "45"),
        (r"12\%", "12"),
        (r"\$ 5.00", "5"),
        ("1,234,567", "1234567"),
        ("x = 5", "5"),
        (r"5 \text{ dollars}", "5"),
        (r"\mathbf{v}", "v"),
        ("3.50", "3.5"),
        ("-.25", "-0.25"),
        ("7.", "7"),
        (r"x \in [1, 2]", "[1,2]"),
    ],
)
def test_normalize(raw: str, expected: str) -> None:
    assert normalize_math_answer(raw) == expected


@pytest.mark.parametrize(
    ("a", "b", "equal"),
    [
        ("18", "18.00", True),
        ("1,000", "1000", True),
        ("$1,000.50", "1000.5", True),
        ("-7", "-7.00001", True),
        ("3", "3.1", False),
        ("3", "3.001", False),
        ("abc", "1", False),
        (None, "1", False),
        ("__import__('os')", "0", False),
    ],
)
def test_numbers_equal(a: str, b: str, equal: bool) -> None:
    assert numbers_equal(a, b) is equal


def test_symbolic_work_is_time_limited() -> None:
    # a huge power that sympy would expand forever is refused before sympy starts
    start = time.monotonic()
    assert math_equal("10^{10^{10}}", "10^{10^{10}}+1", timeout=1.0) is False
    assert time.monotonic() - start < 8  # milliseconds when refused; sympy expanding it never returns


def test_run_with_timeout_interrupts_in_main_and_other_threads() -> None:
    def spin() -> int:
        x, stop = 0, time.monotonic() + 5  # bounded, in case it is ever not interrupted
        while time.monotonic() < stop:
            x += 1
        return x

    start = time.monotonic()
    outer = signal.getitimer(signal.ITIMER_REAL)[0]  # pytest-timeout's timer, when it runs one
    with pytest.raises(TimeoutError):
        run_with_timeout(spin, 0.2)  # main thread: SIGALRM
    assert time.monotonic() - start < 4  # ~0.2 s; not interrupted, spin runs its 5 s
    if outer:
        assert 0 < signal.getitimer(signal.ITIMER_REAL)[0] <= outer
    assert run_with_timeout(lambda: 41 + 1, 1.0) == 42

    outcome: dict[str, object] = {}

    def in_worker() -> None:
        t0 = time.monotonic()
        try:
            run_with_timeout(lambda: time.sleep(5), 0.2)
        except TimeoutError:
            outcome["elapsed"] = time.monotonic() - t0

    worker = threading.Thread(target=in_worker)
    worker.start()
    worker.join(10)
    assert "elapsed" in outcome and outcome["elapsed"] < 4  # type: ignore[operator]  # ~0.2 s, not the 5 s sleep


def test_symbolic_equal_from_worker_thread() -> None:
    box: dict[str, bool] = {}
    worker = threading.Thread(target=lambda: box.update(ok=symbolic_equal("(x+1)^2", "x^2+2x+1", 5.0)))
    worker.start()
    worker.join(10)
    assert box == {"ok": True}


def test_import_is_light() -> None:
    code = (
        "import sys; import evalscope.benchmarks._lib.math_answer, evalscope.benchmarks._lib.ifeval;"
        "print(sorted(m for m in ('sympy', 'langdetect', 'latex2sympy2_extended', 'mpmath') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip().splitlines()[-1] == "[]"
