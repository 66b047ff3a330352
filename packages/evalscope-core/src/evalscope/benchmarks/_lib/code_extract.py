"""Get runnable code out of a model's answer and assemble the programs that test it."""

from __future__ import annotations

import re
import textwrap

_FENCE = re.compile(r"```[ \t]*([\w+#.-]*)[^\n]*\n(.*?)(?:```|\Z)", re.S)
_PY_TAGS = {"python", "py", "python3", "py3"}
_MAIN_GUARD = re.compile(r"^if\s+__name__\s*==\s*['\"]__main__['\"]\s*:", re.M)
_IMPORT = re.compile(r"^(?:import\s+\w|from\s+[\w.]+\s+import\s)")


def extract_code(text: str) -> str:
    """The first ```python block, else the first ``` block, else the text itself.

    An unterminated fence (output cut by max_tokens) yields everything after it.
    """
    blocks = _FENCE.findall(text)
    for tag, body in blocks:
        if tag.lower() in _PY_TAGS:
            return body.rstrip()
    if blocks:
        return blocks[0][1].rstrip()
    return text.rstrip()


def drop_main_guard(code: str) -> str:
    """Cut a top-level ``if __name__ == "__main__":`` block (demo calls, input() reads)."""
    m = _MAIN_GUARD.search(code)
    if not m:
        return code
    lines = code[m.end() :].split("\n")
    rest = [i for i, line in enumerate(lines[1:], 1) if line.strip() and not line[0].isspace()]
    tail = "\n".join(lines[rest[0] :]) if rest else ""
    return code[: m.start()] + tail


def _defines(code: str, name: str) -> re.Match[str] | None:
    return re.search(rf"^([ \t]*)(?:async\s+)?def\s+{re.escape(name)}\s*\(", code, re.M)


def humaneval_program(prompt: str, completion: str, test: str, entry_point: str) -> str:
    """prompt + completion + tests + ``check(entry_point)``.

    The completion may be a bare function body (the HumanEval convention), a body without its
    indentation, or a whole program that repeats the imports and the ``def`` line; in the last case it
    is appended after the prompt so its definition replaces the prompt's stub.
    """
    code = drop_main_guard(extract_code(completion))
    found = _defines(code, entry_point)
    if found:
        if found.group(1):
            code = textwrap.dedent(code)
        body = "\n\n" + code
    else:
        lines = code.split("\n")
        hoisted = [ln for ln in lines if _IMPORT.match(ln)]
        rest = [ln for ln in lines if not _IMPORT.match(ln)]
        first = next((ln for ln in rest if ln.strip()), "")
        code = "\n".join(rest)
        if first and not first[0].isspace():
            code = textwrap.indent(textwrap.dedent(code), "    ")
        body = code
        if hoisted:
            prompt = "\n".join(hoisted) + "\n" + prompt
    if not body.startswith("\n") and not prompt.endswith("\n"):
        prompt += "\n"
    return f"{prompt}{body}\n\n{test}\n\ncheck({entry_point})\n"


def mbpp_extract(text: str) -> str:
    """Code between ``[BEGIN]`` and ``[DONE]`` (either may be missing), unfenced and unquoted."""
    if "[BEGIN]" in text:
        text = text.split("[BEGIN]", 1)[1]
    text = text.split("[DONE]", 1)[0]
    code = extract_code(text).strip()
    if len(code) >= 2 and code[0] == code[-1] and code[0] in "'\"":
        inner = code[1:-1].strip()
        if inner.startswith(("def ", "import ", "from ", "class ")):
            code = inner
    return drop_main_guard(code.replace("\r\n", "\n"))


def mbpp_program(code: str, test_list: list[str], setup: str = "") -> str:
    """The solution, the setup code and the assert lines of one MBPP task."""
    parts = [code.replace("\r\n", "\n"), setup.replace("\r\n", "\n"), "\n".join(test_list)]
    return "\n\n".join(p for p in parts if p.strip()) + "\n"
