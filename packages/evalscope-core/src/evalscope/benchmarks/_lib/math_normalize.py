"""LaTeX answer normalisation for math benchmarks (pure string work, no sympy)."""

from __future__ import annotations

import re

from evalscope.benchmarks._lib.math_latex import read_arg, read_group

_UNIT_WORDS = (
    "square units|sq units|cubic units|units|unit|sq ft|square feet|square inches|square meters|"
    "square centimeters|cubic feet|cubic inches|cubic meters|cubic centimeters|"
    "centimeters|centimetres|centimeter|cm|millimeters|mm|kilometers|km|meters|metres|meter|m|"
    "inches|inch|feet|foot|ft|yards|yard|miles|mile|mph|"
    "hours|hour|hrs|hr|minutes|minute|mins|min|seconds|second|sec|days|day|weeks|week|months|month|"
    "years|year|degrees|degree|dollars|dollar|cents|cent|pounds|pound|lbs|lb|ounces|ounce|oz|"
    "kilograms|kg|grams|gram|g|liters|litres|liter|l|milliliters|ml|gallons|gallon|"
    "people|persons|students|children|ways|times|points|percent"
)
_EXP = r"(?:\^\s*\{?\s*[23]\s*\}?)?"
_TEXT_UNIT_RE = re.compile(
    r"^(?P<val>.*\d.*?)\s*\\(?:text|mbox|mathrm|textrm|textnormal)\s*\{\s*(?:"
    + _UNIT_WORDS
    + r")\s*\.?\s*\}"
    + _EXP
    + r"\s*$",
    re.IGNORECASE,
)
_PLAIN_UNIT_RE = re.compile(
    r"^(?P<val>.*\d[^a-zA-Z]*?)\s+(?:" + _UNIT_WORDS + r")\b\.?" + _EXP + r"\s*$", re.IGNORECASE
)
_WRAPPERS = (
    "text",
    "textbf",
    "textit",
    "textrm",
    "textnormal",
    "mbox",
    "mathrm",
    "mathbf",
    "mathit",
    "boldsymbol",
)
_VAR_PREFIX_RE = re.compile(r"^\s*(?:[a-zA-Z](?:_\{?\w+\}?)?|\\[a-zA-Z]+|[a-zA-Z]\([a-zA-Z]\))\s*=(?!=)")
_VAR_SUFFIX_RE = re.compile(
    r"(?<![=<>!])=\s*(?:[a-zA-Z](?:_\{?\w+\}?)?|\\[a-zA-Z]+|[a-zA-Z]\([a-zA-Z]\))\s*$"
)
_THOUSANDS_RE = re.compile(r"^-?\d{1,3}(?:,\d{3})+(?:\.\d+)?$")


def strip_math_delimiters(s: str) -> str:
    """Remove one pair of surrounding ``$..$``, ``$$..$$``, ``\\(..\\)`` or ``\\[..\\]``."""
    s = s.strip()
    for left, right in (("$$", "$$"), ("\\(", "\\)"), ("\\[", "\\]"), ("$", "$")):
        if len(s) >= len(left) + len(right) and s.startswith(left) and s.endswith(right):
            return s[len(left) : len(s) - len(right)].strip()
    return s


def unwrap_boxed(s: str) -> str:
    """If ``s`` is ``\\boxed{X}`` (or ``\\fbox{X}``) as a whole, return ``X``."""
    m = re.match(r"^\\(?:boxed|fbox)\s*", s)
    if not m:
        return s
    got = read_group(s, m.end())
    if got and got[1] == len(s):
        return got[0].strip()
    return s


def _unwrap_commands(s: str, names: tuple[str, ...]) -> str:
    """Replace ``\\name{X}`` by ``X`` for each macro name (nested groups handled)."""
    pattern = re.compile(r"\\(?:" + "|".join(names) + r")\s*(?=\{)")
    while True:
        m = pattern.search(s)
        if not m:
            return s
        got = read_group(s, m.end())
        if got is None:
            return s[: m.start()] + s[m.end() :]
        s = s[: m.start()] + got[0] + s[got[1] :]


def fix_fracs(s: str) -> str:
    r"""``\frac12`` -> ``\frac{1}{2}``, ``\frac1{2}`` -> ``\frac{1}{2}``; leaves well-formed fractions as they are."""
    out: list[str] = []
    i = 0
    while True:
        j = s.find("\\frac", i)
        if j < 0:
            out.append(s[i:])
            return "".join(out)
        out.append(s[i:j])
        k = j + len("\\frac")
        if k < len(s) and s[k].isalpha():  # some other macro starting with \frac...
            out.append(s[j:k])
            i = k
            continue
        num = read_arg(s, k)
        den = read_arg(s, num[1]) if num else None
        if num is None or den is None:
            out.append(s[j:])
            return "".join(out)
        out.append("\\frac{" + fix_fracs(num[0]) + "}{" + fix_fracs(den[0]) + "}")
        i = den[1]


def fix_sqrt(s: str) -> str:
    r"""``\sqrt2`` -> ``\sqrt{2}``, ``\sqrt\pi`` -> ``\sqrt{\pi}`` (an optional ``[n]`` index is kept)."""
    out: list[str] = []
    i = 0
    while True:
        j = s.find("\\sqrt", i)
        if j < 0:
            out.append(s[i:])
            return "".join(out)
        out.append(s[i:j] + "\\sqrt")
        k = j + len("\\sqrt")
        while k < len(s) and s[k] == " ":
            k += 1
        if k < len(s) and s[k] == "[":
            idx = read_group(s, k, "[", "]")
            if idx is None:
                out.append(s[k:])
                return "".join(out)
            out.append("[" + idx[0] + "]")
            k = idx[1]
        arg = read_arg(s, k)
        if arg is None:
            out.append(s[k:])
            return "".join(out)
        out.append("{" + fix_sqrt(arg[0]) + "}")
        i = arg[1]


def _remove_units(s: str) -> str:
    for regex in (_TEXT_UNIT_RE, _PLAIN_UNIT_RE):
        m = regex.match(s)
        if m and m.group("val").strip():
            s = m.group("val").strip()
    return s


def _strip_var_prefix(s: str) -> str:
    """``x = 5`` -> ``5`` when there is exactly one ``=`` and its left side is a single variable."""
    if s.count("=") != 1 or "\\le" in s or "\\ge" in s or "<" in s or ">" in s:
        return s
    m = _VAR_PREFIX_RE.match(s)
    if m and s[m.end() :].strip():
        return s[m.end() :].strip()
    m = _VAR_SUFFIX_RE.search(s)
    if m and s[: m.start()].strip():
        return s[: m.start()].strip()
    return s


def _strip_trailing_zeros(s: str) -> str:
    s = re.sub(r"(?<![\d.])(\d+\.\d*?[1-9])0+(?![\d.])", r"\1", s)
    return re.sub(r"(?<![\d.])(\d+)\.0*(?![\d.])", r"\1", s)


def normalize_math_answer(s: str) -> str:
    """Normalise a LaTeX answer string so that equal answers usually compare equal as strings."""
    if s is None:
        return ""
    s = str(s).replace("\n", " ").strip()
    s = strip_math_delimiters(s)
    s = unwrap_boxed(s)
    s = s.strip().rstrip(".").rstrip("/").strip()
    s = re.sub(r"(?<!\\)\\[!,;: ]", " ", s)  # thin/medium/thick/control spaces (not a \\ row break)
    s = s.replace("~", " ").replace("\\displaystyle", "")
    s = re.sub(r"\\(?:left|right)\.", "", s)
    s = re.sub(r"\\(?:left|right|[bB]igg?[lr]?)(?![a-zA-Z])", "", s)
    s = re.sub(r"\\[dtc]frac(?![a-zA-Z])", r"\\frac", s)
    s = re.sub(r"\^\s*\{\s*\\circ\s*\}|\^\s*\\circ(?![a-zA-Z])|°|\\degree(?![a-zA-Z])", "", s)
    s = re.sub(r"\{\s*,\s*\}", "", s)  # 1{,}000
    s = s.replace("\\$", "").replace("$", "")
    s = s.replace("\\%", "").replace("%", "")
    s = _remove_units(s.strip())
    s = _unwrap_commands(s, _WRAPPERS)
    s = _remove_units(s.strip())
    s = re.sub(r"\\(?:varnothing|emptyset)(?![a-zA-Z])", r"\\emptyset", s)
    s = re.sub(r"\\(le|ge)(?![a-zA-Z])", r"\\\1q", s)
    s = re.sub(r"\binfinity\b|\\inf(?![a-zA-Z])", r"\\infty", s)
    s = re.sub(r"^\s*[a-zA-Z]\s*\\in\s*", "", s)
    s = _strip_var_prefix(s)
    s = fix_sqrt(fix_fracs(s))
    s = re.sub(r"\s+", "", s)
    if _THOUSANDS_RE.match(s):
        s = s.replace(",", "")
    s = re.sub(r"(?<![\d}\w])\.(\d)", r"0.\1", s)
    s = _strip_trailing_zeros(s)
    m = re.fullmatch(r"(-?)(\d+)/(\d+)", s)
    if m:
        s = f"{m.group(1)}\\frac{{{m.group(2)}}}{{{m.group(3)}}}"
    if s.startswith("+") and len(s) > 1:
        s = s[1:]
    return s.rstrip(".").rstrip("/")
