"""Tool calls written as text in BFCL's prompting format: `[func(a=1), mod.g(b="x")]`.

`parse_call_text` reads the text with `ast` (never `eval`): each call's name (dotted names kept),
its keyword arguments as Python values (constants, lists, tuples as lists, dicts, negative
numbers, arithmetic on number literals computed safely); a bare name becomes its name as a
string and a call used as a value its source text, and positional arguments are left out, as
BFCL's decoder does; `raw_arguments` keeps the call's source text. The text may be fenced in
backticks or lack its brackets. Text that is no list of calls raises `CallTextError`.
"""

from __future__ import annotations

import ast
import operator
from typing import Any

from evalscope.core.types import ToolCall

_BINOPS: dict[type[ast.operator], Any] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
    ast.Pow: operator.pow,
}
#: the largest exponent and operand computed; beyond it the expression stays text
_MAX_POW = 64
_MAX_NUMBER = 10**30


class CallTextError(ValueError):
    """The text is not a list of function calls."""


def parse_call_text(text: str) -> list[ToolCall]:
    """The calls in `text` (`[f(a=1), g(b=2)]`, or one bare call), in the order written."""
    body = text.strip("`\n ")
    if body.startswith("python\n"):  # a ```python fence
        body = body[len("python\n") :]
    if not body.startswith("["):
        body = "[" + body
    if not body.endswith("]"):
        body = body + "]"
    try:
        tree = ast.parse(body.strip().strip("'"), mode="eval")
    except (SyntaxError, ValueError) as exc:
        raise CallTextError(f"not a list of function calls: {exc}") from None
    node = tree.body
    elements = [node] if isinstance(node, ast.Call) else getattr(node, "elts", None)
    if elements is None:
        raise CallTextError(f"not a list of function calls: a {type(node).__name__}")
    calls = []
    for index, element in enumerate(elements):
        if not isinstance(element, ast.Call):
            raise CallTextError(f"item {index + 1} is not a function call: {ast.unparse(element)[:80]}")
        name, arguments = _call(element)
        calls.append(ToolCall(f"call_{index}", name, arguments, ast.unparse(element)))
    return calls


def _call(node: ast.Call) -> tuple[str, dict[str, Any]]:
    parts: list[str] = []
    func: ast.expr = node.func
    while isinstance(func, ast.Attribute):
        parts.append(func.attr)
        func = func.value
    if isinstance(func, ast.Name):
        parts.append(func.id)
    else:
        raise CallTextError(f"not a function name: {ast.unparse(node.func)[:80]}")
    # positional arguments are left out, as BFCL's decoder leaves them (the call itself still counts)
    arguments = {kw.arg: _value(kw.value) for kw in node.keywords if kw.arg is not None}
    return ".".join(reversed(parts)), arguments


def _value(node: ast.expr) -> Any:
    if isinstance(node, ast.Constant):
        return "..." if node.value is Ellipsis else node.value
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        inner = _value(node.operand)
        if isinstance(inner, (int, float)) and not isinstance(inner, bool):
            return -inner if isinstance(node.op, ast.USub) else inner
        return ast.unparse(node)
    if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
        return [_value(v) for v in node.elts]
    if isinstance(node, ast.Dict):
        return {_value(k) if k is not None else None: _value(v) for k, v in zip(node.keys, node.values)}
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.BinOp):
        return _arithmetic(node)
    if isinstance(node, ast.Call):
        if node.keywords:  # a call as an argument: {name: arguments}, as BFCL keeps it
            name, arguments = _call(node)
            return {name: arguments}
        return ast.unparse(node)
    return ast.unparse(node)


def _arithmetic(node: ast.BinOp) -> Any:
    """A BinOp of number literals computed (bounded); anything else stays its source text."""
    left, right = _value(node.left), _value(node.right)
    op = _BINOPS.get(type(node.op))
    numbers = all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in (left, right))
    if op is None or not numbers or abs(left) > _MAX_NUMBER or abs(right) > _MAX_NUMBER:
        if isinstance(node.op, ast.Add) and isinstance(left, str) and isinstance(right, str):
            return left + right
        return ast.unparse(node)
    if op is operator.pow and abs(right) > _MAX_POW:
        return ast.unparse(node)
    try:
        return op(left, right)
    except (ArithmeticError, ValueError):
        return ast.unparse(node)
