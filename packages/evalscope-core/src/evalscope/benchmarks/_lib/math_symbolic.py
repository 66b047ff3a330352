"""Symbolic equivalence of two LaTeX answers with sympy, always under a time limit.

sympy and latex2sympy2_extended are imported lazily, inside the worker, never at module import.
"""

from __future__ import annotations

import math
import re
import signal
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")

# Inputs that make sympy compute astronomically large integers in C code, where no timeout can stop it.
_DANGEROUS_RE = re.compile(r"\^\s*\{[^{}]*\^|\^\s*\{?\s*\d{5,}|\d{4,}\s*!|\\binom\s*\{\s*\d{5,}")
_MAX_LEN = 1000


class _Timeout(BaseException):
    """Raised by the SIGALRM handler; a BaseException so that sympy's ``except Exception`` cannot swallow it."""


def run_with_timeout(fn: Callable[[], T], timeout: float) -> T:
    """Run ``fn()`` and return its result, raising ``TimeoutError`` after ``timeout`` seconds.

    In the main thread (Unix) a SIGALRM interval timer interrupts ``fn`` itself; an outer ITIMER_REAL that
    expires later is restored afterwards. Elsewhere ``fn`` runs in a daemon thread that is abandoned on
    timeout (it keeps running until it returns; the caller does not wait).
    """
    if timeout <= 0:
        raise TimeoutError("no time left")
    in_main = threading.current_thread() is threading.main_thread()
    if in_main and hasattr(signal, "setitimer"):
        pending = signal.getitimer(signal.ITIMER_REAL)[0]
        if pending == 0 or pending > timeout + 0.05:  # an outer timer (e.g. pytest-timeout) is kept
            return _run_with_alarm(fn, timeout, pending)
    return _run_in_thread(fn, timeout)


def _run_with_alarm(fn: Callable[[], T], timeout: float, pending: float) -> T:
    def _handler(signum: int, frame: Any) -> None:
        raise _Timeout()

    start = time.monotonic()
    old = signal.signal(signal.SIGALRM, _handler)
    signal.setitimer(signal.ITIMER_REAL, timeout)
    try:
        return fn()
    except _Timeout:
        raise TimeoutError(f"timed out after {timeout:.2f}s") from None
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)
        if pending:
            signal.setitimer(signal.ITIMER_REAL, max(pending - (time.monotonic() - start), 0.001))


def _run_in_thread(fn: Callable[[], T], timeout: float) -> T:
    box: dict[str, Any] = {}

    def _target() -> None:
        try:
            box["value"] = fn()
        except BaseException as exc:  # noqa: BLE001 - re-raised in the caller's thread
            box["error"] = exc

    worker = threading.Thread(target=_target, name="math-symbolic", daemon=True)
    worker.start()
    worker.join(timeout)
    if worker.is_alive():
        raise TimeoutError(f"timed out after {timeout:.2f}s")
    if "error" in box:
        raise box["error"]
    return box["value"]


def parse_latex(s: str) -> Any:
    """Parse a LaTeX string into a sympy object (lazy import); returns None when it cannot be parsed."""
    from latex2sympy2_extended import latex2sympy

    try:
        return latex2sympy(s)
    except Exception:  # noqa: BLE001 - any parse failure means "not comparable"
        return None


def sympy_equal(a: Any, b: Any, rel_tol: float = 1e-4) -> bool:
    """Equivalence of two parsed sympy objects (expressions, equations, matrices, sets, intervals)."""
    import sympy

    if a is None or b is None:
        return False
    try:
        if a == b:
            return True
    except Exception:  # noqa: BLE001
        pass
    if isinstance(a, sympy.Eq) and isinstance(b, sympy.Eq):
        da, db = a.lhs - a.rhs, b.lhs - b.rhs
        return _expr_zero(da - db) or _expr_zero(da + db)
    if isinstance(a, sympy.MatrixBase) or isinstance(b, sympy.MatrixBase):
        if not (isinstance(a, sympy.MatrixBase) and isinstance(b, sympy.MatrixBase)) or a.shape != b.shape:
            return False
        return all(sympy_equal(x, y, rel_tol) for x, y in zip(a, b, strict=False))
    if isinstance(a, sympy.Set) or isinstance(b, sympy.Set):
        if not (isinstance(a, sympy.Set) and isinstance(b, sympy.Set)):
            return False
        return _sets_equal(a, b, rel_tol)
    if isinstance(a, sympy.Expr) and isinstance(b, sympy.Expr):
        return _exprs_equal(a, b, rel_tol)
    return False


def _expr_zero(e: Any) -> bool:
    import sympy

    try:
        return sympy.simplify(e) == 0
    except Exception:  # noqa: BLE001
        return False


def _exprs_equal(a: Any, b: Any, rel_tol: float) -> bool:
    if _expr_zero(a - b):
        return True
    try:
        if a.equals(b) is True:
            return True
    except Exception:  # noqa: BLE001
        pass
    if not a.free_symbols and not b.free_symbols:
        try:
            x, y = complex(a.evalf()), complex(b.evalf())
        except Exception:  # noqa: BLE001
            return False
        return math.isclose(x.real, y.real, rel_tol=rel_tol, abs_tol=1e-12) and math.isclose(
            x.imag, y.imag, rel_tol=rel_tol, abs_tol=1e-12
        )
    return False


def _sets_equal(a: Any, b: Any, rel_tol: float) -> bool:
    import sympy

    if isinstance(a, sympy.FiniteSet) and isinstance(b, sympy.FiniteSet):
        xs, ys = list(a.args), list(b.args)
        if len(xs) != len(ys):
            return False
        for x in xs:
            hit = next((y for y in ys if sympy_equal(x, y, rel_tol)), None)
            if hit is None:
                return False
            ys.remove(hit)
        return True
    if isinstance(a, sympy.Interval) and isinstance(b, sympy.Interval):
        return (
            a.left_open == b.left_open
            and a.right_open == b.right_open
            and sympy_equal(a.start, b.start, rel_tol)
            and sympy_equal(a.end, b.end, rel_tol)
        )
    try:
        return bool(sympy.simplify(sympy.Complement(a, b)) == sympy.S.EmptySet) and bool(
            sympy.simplify(sympy.Complement(b, a)) == sympy.S.EmptySet
        )
    except Exception:  # noqa: BLE001
        return False


def symbolic_equal(a: str, b: str, timeout: float) -> bool:
    """Whether LaTeX strings ``a`` and ``b`` are symbolically equal; False on parse failure or timeout."""
    if len(a) + len(b) > _MAX_LEN or _DANGEROUS_RE.search(a) or _DANGEROUS_RE.search(b):
        return False

    try:  # imported outside the timed section: slow once, and must never be interrupted half-way
        import latex2sympy2_extended  # noqa: F401
        import sympy  # noqa: F401
    except ImportError as exc:
        raise ImportError(
            "symbolic math comparison needs sympy and latex2sympy2_extended: pip install 'evalscope-core[math]'"
        ) from exc

    def work() -> bool:
        return sympy_equal(parse_latex(a), parse_latex(b))

    try:
        return bool(run_with_timeout(work, timeout))
    except TimeoutError:
        return False
