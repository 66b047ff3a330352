"""Small LaTeX scanning helpers shared by math extraction and normalisation (no heavy imports)."""

from __future__ import annotations


def read_group(s: str, i: int, open_ch: str = "{", close_ch: str = "}") -> tuple[str, int] | None:
    """Read a balanced group starting at ``s[i] == open_ch``; return (inner text, index after close).

    Escaped delimiters (``\\{`` / ``\\}``) do not count. Returns None when unbalanced.
    """
    if i >= len(s) or s[i] != open_ch:
        return None
    depth = 0
    j = i
    while j < len(s):
        c = s[j]
        if c == "\\" and j + 1 < len(s) and s[j + 1] in "{}[]":
            j += 2
            continue
        if c == open_ch:
            depth += 1
        elif c == close_ch:
            depth -= 1
            if depth == 0:
                return s[i + 1 : j], j + 1
        j += 1
    return None


def read_arg(s: str, i: int) -> tuple[str, int] | None:
    """Read one macro argument at ``i``: a ``{...}`` group, a ``\\command`` or a single character."""
    while i < len(s) and s[i] == " ":
        i += 1
    if i >= len(s):
        return None
    if s[i] == "{":
        return read_group(s, i)
    if s[i] == "\\":
        j = i + 1
        while j < len(s) and s[j].isalpha():
            j += 1
        if j == i + 1 and j < len(s):  # escaped symbol such as \{ or \%
            j += 1
        return s[i:j], j
    if s[i] in "}^_&":
        return None
    return s[i], i + 1


def split_top_level(s: str, sep: str = ",") -> list[str]:
    """Split on ``sep`` outside of (), [], {} (escaped braces count as brackets too)."""
    parts: list[str] = []
    depth = 0
    start = 0
    i = 0
    while i < len(s):
        c = s[i]
        if c == "\\" and i + 1 < len(s) and s[i + 1] in "{}":
            depth += 1 if s[i + 1] == "{" else -1
            i += 2
            continue
        if c in "([{":
            depth += 1
        elif c in ")]}":
            depth -= 1
        elif depth == 0 and s.startswith(sep, i):
            parts.append(s[start:i])
            i += len(sep)
            start = i
            continue
        i += 1
    parts.append(s[start:])
    return parts


def matching_close(s: str, i: int) -> int:
    """Index of the bracket closing the one opened at ``s[i]`` (any of ([{ closed by any of )]}), or -1."""
    depth = 0
    j = i
    while j < len(s):
        c = s[j]
        if c == "\\" and j + 1 < len(s) and s[j + 1] in "{}":
            depth += 1 if s[j + 1] == "{" else -1
            if depth == 0:
                return j
            j += 2
            continue
        if c in "([{":
            depth += 1
        elif c in ")]}":
            depth -= 1
            if depth == 0:
                return j
        j += 1
    return -1
