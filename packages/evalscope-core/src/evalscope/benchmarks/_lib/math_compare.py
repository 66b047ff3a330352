"""Equivalence of math answers: string, choice letter, numeric, structural, then symbolic (sympy)."""

from __future__ import annotations

import math
import re
import time
from typing import cast

from evalscope.benchmarks._lib.math_latex import matching_close, split_top_level
from evalscope.benchmarks._lib.math_normalize import normalize_math_answer

_NUM_RE = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")
_FRAC_RE = re.compile(r"([-+]?)\\frac\{([-+]?\d+(?:\.\d+)?)\}\{([-+]?\d+(?:\.\d+)?)\}")
_SLASH_RE = re.compile(r"([-+]?\d+(?:\.\d+)?)/([-+]?\d+(?:\.\d+)?)")
_MATRIX_RE = re.compile(r"^\\begin\{([pbvBV]?matrix|array)\}(?:\{[^{}]*\})?(.*)\\end\{\1\}$", re.DOTALL)
_CHOICE_RE = re.compile(r"^\(?([A-E])\)?$")


def parse_number(s: str) -> float | None:
    r"""A plain number, ``a/b`` or ``\frac{a}{b}`` (after normalisation) as a float; else None. No eval()."""
    s = s.strip()
    if _NUM_RE.fullmatch(s):
        return float(s)
    for regex in (_SLASH_RE, _FRAC_RE):
        m = regex.fullmatch(s)
        if m:
            groups = m.groups()
            sign = -1.0 if len(groups) == 3 and groups[0] == "-" else 1.0
            num, den = float(groups[-2]), float(groups[-1])
            return None if den == 0 else sign * num / den
    return None


def numbers_equal(a: str, b: str, abs_tol: float = 1e-4) -> bool:
    """gsm8k comparison: both parse as numbers (commas, ``$``, spaces ignored) and differ by <= ``abs_tol``."""
    x, y = _loose_number(a), _loose_number(b)
    if x is None or y is None:
        return False
    return math.isclose(x, y, rel_tol=0.0, abs_tol=abs_tol)


def _loose_number(s: object) -> float | None:
    if s is None:
        return None
    t = re.sub(r"[,\s$]", "", str(s)).replace("−", "-").rstrip(".")
    if _NUM_RE.fullmatch(t):
        return float(t)
    m = _SLASH_RE.fullmatch(t)
    if m and float(m.group(2)) != 0:
        return float(m.group(1)) / float(m.group(2))
    return None


def _choice_letter(s: str) -> str | None:
    m = _CHOICE_RE.match(s.strip())
    return m.group(1).upper() if m else None


def _clean_choice(pred: str) -> str:
    """Last standalone option letter A-E in ``pred`` (for multiple-choice golds), else ``pred``."""
    letter = _choice_letter(pred)
    if letter:
        return letter
    hits = re.findall(r"(?<![A-Za-z])([A-E])(?![A-Za-z])", pred)
    return hits[-1] if hits else pred


def _numbers_close(p: float, g: float, percent: bool) -> bool:
    candidates = (g, g / 100, g * 100) if percent else (g,)
    return any(p == c or math.isclose(p, c, rel_tol=1e-4) for c in candidates)


def _matrix_rows(s: str) -> list[list[str]] | None:
    m = _MATRIX_RE.match(s)
    if not m:
        return None
    rows = [r for r in m.group(2).split("\\\\") if r.strip()]
    return [r.split("&") for r in rows]


def _bracketed(s: str) -> tuple[str, str, str] | None:
    """(open, inner, close) when ``s`` is wholly enclosed by one pair of (), [] or \\{\\}."""
    if len(s) < 2:
        return None
    if s.startswith("\\{") and s.endswith("\\}"):
        return ("{", s[2:-2], "}") if matching_close(s, 0) == len(s) - 2 else None
    if s[0] in "([" and s[-1] in ")]" and matching_close(s, 0) == len(s) - 1:
        return s[0], s[1:-1], s[-1]
    return None


class _Comparer:
    def __init__(self, timeout: float, percent: bool, raw_pred: str = "") -> None:
        self.raw_pred = raw_pred
        self.deadline = time.monotonic() + timeout
        self.percent = percent

    def equal(self, pred: str, gold: str, depth: int = 0) -> bool:
        if pred.lower() == gold.lower():
            return True
        if not pred or not gold:
            return False
        gold_letter = _choice_letter(gold)
        if gold_letter is not None and depth == 0:
            return (_choice_letter(pred) or _clean_choice(self.raw_pred)) == gold_letter
        pn, gn = parse_number(pred), parse_number(gold)
        if pn is not None and gn is not None:
            return _numbers_close(pn, gn, self.percent and depth == 0)
        structural = self._structural(pred, gold, depth)
        if structural is not None:
            return structural
        if depth > 3:
            return False
        from evalscope.benchmarks._lib.math_symbolic import symbolic_equal

        left = self.deadline - time.monotonic()
        return left > 0 and symbolic_equal(pred, gold, left)

    def _structural(self, pred: str, gold: str, depth: int) -> bool | None:
        """True/False when both sides are matrices, tuples, intervals, sets or lists; None otherwise."""
        pm, gm = _matrix_rows(pred), _matrix_rows(gold)
        if pm is not None or gm is not None:
            if pm is None or gm is None:
                rows = cast("list[list[str]]", gm if pm is None else pm)  # exactly one of the two is None here
                return self._vector_vs_matrix(pred if pm is None else gold, rows, depth)
            if len(pm) != len(gm) or any(len(a) != len(b) for a, b in zip(pm, gm, strict=False)):
                return False
            return all(
                self.equal(x.strip(), y.strip(), depth + 1)
                for a, b in zip(pm, gm, strict=False)
                for x, y in zip(a, b, strict=False)
            )
        pb, gb = _bracketed(pred), _bracketed(gold)
        if pb is not None and gb is not None:
            p_items, g_items = split_top_level(pb[1]), split_top_level(gb[1])
            if len(p_items) == 1 and len(g_items) == 1 and pb[0] == "(" and gb[0] == "(":
                return None  # plain parentheses around one expression: leave to sympy
            if len(p_items) != len(g_items):
                return False
            if pb[0] == "{" or gb[0] == "{":
                return (pb[0], pb[2]) == (gb[0], gb[2]) and self._unordered(p_items, g_items, depth)
            if (pb[0], pb[2]) != (gb[0], gb[2]):
                return False
            return all(
                self.equal(x.strip(), y.strip(), depth + 1) for x, y in zip(p_items, g_items, strict=False)
            )
        if pb is None and gb is None:
            p_items, g_items = split_top_level(pred), split_top_level(gold)
            if len(p_items) > 1 or len(g_items) > 1:
                return len(p_items) == len(g_items) and self._unordered(p_items, g_items, depth)
            return None
        br, bare = (pb, gold) if pb is not None else (cast("tuple[str, str, str]", gb), pred)  # not both None
        br_items, bare_items = split_top_level(br[1]), split_top_level(bare)
        if len(br_items) < 2:
            return None  # (expr) or {expr} against a single expression: leave to sympy
        if len(bare_items) != len(br_items):
            return False
        if br[0] == "{":  # a set written without braces, e.g. roots "1, 2"
            return self._unordered(bare_items, br_items, depth)
        if (br[0], br[2]) == ("(", ")"):  # a tuple written without parentheses
            return all(
                self.equal(x.strip(), y.strip(), depth + 1) for x, y in zip(bare_items, br_items, strict=True)
            )
        return False  # an interval against a bare list

    def _vector_vs_matrix(self, other: str, rows: list[list[str]], depth: int) -> bool | None:
        flat = [x.strip() for row in rows for x in row]
        if not (len(rows) == 1 or all(len(r) == 1 for r in rows)):
            return False
        br = _bracketed(other)
        if br is None or br[0] == "{":
            return False
        items = split_top_level(br[1])
        return len(items) == len(flat) and all(
            self.equal(x.strip(), y, depth + 1) for x, y in zip(items, flat, strict=False)
        )

    def _unordered(self, p_items: list[str], g_items: list[str], depth: int) -> bool:
        remaining = [g.strip() for g in g_items]
        for p in p_items:
            hit = next((i for i, g in enumerate(remaining) if self.equal(p.strip(), g, depth + 1)), None)
            if hit is None:
                return False
            remaining.pop(hit)
        return True


def math_equal(pred: str, gold: str, *, timeout: float = 5.0, percent_tolerance: bool | None = None) -> bool:
    """Whether answer ``pred`` equals reference ``gold`` (both raw or already-normalised LaTeX).

    Order: case-insensitive string equality after normalisation -> multiple-choice letter -> numbers
    (rel_tol 1e-4; with percentage tolerance also gold/100 and gold*100) -> matrices, tuples, intervals
    (bracket types must match, ordered), sets and bare lists (unordered) element-wise -> sympy symbolic
    equality. ``timeout`` bounds the total symbolic work in seconds; on timeout the answer counts as wrong.

    ``percent_tolerance``: True always accepts x vs x/100 vs x*100 (EvalScope v0.12 behaviour, which also
    accepts 2 for 200); False never; None (default) only when either raw answer mentions a percent.
    """
    if pred is None or gold is None:
        return False
    p, g = normalize_math_answer(str(pred)), normalize_math_answer(str(gold))
    if not p or not g:
        return False
    if percent_tolerance is None:
        percent_tolerance = any("%" in str(x) or "percent" in str(x).lower() for x in (pred, gold))
    return _Comparer(timeout, percent_tolerance, str(pred)).equal(p, g)
