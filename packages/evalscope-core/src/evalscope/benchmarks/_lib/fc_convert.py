"""Java and JavaScript argument strings read as values, the way BFCL's AST checker reads them.

BFCL offers Java and JavaScript parameters to the model as strings in the language's own syntax
(`"new ArrayList<>(Arrays.asList(1, 2))"`, `"42L"`, `"[1, 2]"`); its checker converts each string
by the declared type before comparing it with the allowed values. A string the type's syntax does
not match stays the string (and then fails the type check). Collections are read one level deep
by splitting on commas, as BFCL does (no nesting beyond what BFCL reads).
"""

from __future__ import annotations

import re
from typing import Any

JAVA_TYPES: dict[str, type] = {
    "byte": int, "short": int, "integer": int, "long": int, "float": float, "double": float,
    "boolean": bool, "char": str, "Array": list, "ArrayList": list, "Set": set, "HashMap": dict,
    "Hashtable": dict, "Queue": list, "Stack": list, "String": str, "any": str,
}  # fmt: skip
JS_TYPES: dict[str, type] = {
    "String": str, "integer": int, "float": float, "Bigint": int, "Boolean": bool, "dict": dict,
    "array": list, "any": str,
}  # fmt: skip

_INT = re.compile(r"^-?\d+$")
_JAVA_FLOAT = re.compile(r"^-?\d+(\.\d+)?([eE][+-]?\d+)?[fF]$")
_JAVA_DOUBLE = re.compile(r"^-?\d+(\.\d+)?([eE][+-]?\d+)?$")
_JAVA_LONG = re.compile(r"^-?\d+[lL]$")
_JS_FLOAT = re.compile(r"^-?\d+(\.\d+)?$")
_JS_BIGINT = re.compile(r"^-?\d+n$")


class UnsupportedType(ValueError):
    """A declared type the language's table does not know."""


def _number(text: str) -> Any:
    """An int, else a float, else the text itself."""
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            continue
    return text


# -- Java ------------------------------------------------------------------------------------------


def java_value(text: str, declared: str, item_type: str | None = None) -> Any:
    """`text` (a Java expression) as the value of a parameter declared `declared`."""
    if declared not in JAVA_TYPES:
        raise UnsupportedType(f"unsupported Java type {declared!r}")
    if declared in ("byte", "short", "integer"):
        return int(text) if _INT.match(text) else text
    if declared == "float":
        return float(text.rstrip("fF")) if _JAVA_FLOAT.match(text) else text
    if declared == "double":
        return float(text) if _JAVA_DOUBLE.match(text) else text
    if declared == "long":
        return int(text[:-1]) if _JAVA_LONG.match(text) else text
    if declared == "boolean":
        return text == "true" if text in ("true", "false") else text
    if declared == "ArrayList":
        return _java_arraylist(text, item_type)
    if declared == "Array":
        return _java_array(text, item_type)
    if declared == "HashMap":
        return _java_hashmap(text)
    # char (BFCL's pattern for a char literal never matches: the text stays), String, any; Set,
    # Hashtable, Queue and Stack, which BFCL does not convert
    return text


def _java_literal(text: str) -> Any:
    """A Java literal without a declared type: boolean, "string", 5L, 1.5f, a number, else the text."""
    if text in ("true", "false"):
        return text == "true"
    if text.startswith('"') and text.endswith('"'):
        return text[1:-1]
    if _JAVA_LONG.match(text):
        return int(text[:-1])
    if _JAVA_FLOAT.match(text):
        return float(text[:-1])
    return _number(text)


def _java_item(text: str, item_type: str | None) -> Any:
    if item_type in ("char", "String"):  # the quotes are dropped, nothing else
        return text[1:-1]
    return java_value(text, item_type) if item_type else _java_literal(text)


def _java_arraylist(text: str, item_type: str | None) -> Any:
    as_list = re.search(r"new\s+ArrayList<\w*>\(Arrays\.asList\((.+?)\)\)", text)
    if as_list:
        return [_java_item(part.strip(), item_type) for part in as_list.group(1).split(",")]
    double_brace = re.search(r"new\s+ArrayList<\w*>\(\)\s*\{\{\s*(.+?)\s*\}\}", text, re.DOTALL)
    if double_brace:
        return [
            _java_item(added.strip(), item_type)
            for added in re.findall(r"add\((.+?)\)", double_brace.group(1))
        ]
    if re.search(r"new\s+ArrayList<\w*>\(\)", text):
        return []
    return text


def _java_array(text: str, item_type: str | None) -> Any:
    found = re.search(r"new\s+\w+\[\]\s*\{(.*?)\}", text)
    if not found:
        return text
    parts = [p.strip() for p in found.group(1).split(",") if p.strip()]
    return [java_value(p, item_type) if item_type else _java_literal(p) for p in parts]


def _java_hashmap(text: str) -> Any:
    found = re.search(r"new\s+HashMap<.*?>\s*\(\)\s*\{\s*\{?\s*(.*?)\s*\}?\s*\}", text, re.DOTALL)
    if found:
        body = found.group(1)
        if not body.strip():
            return {}
        return {
            key: _java_literal(value.strip()) for key, value in re.findall(r"put\(\"(.*?)\",\s*(.*?)\)", body)
        }
    if re.search(r"new\s+HashMap<.*?>\s*\(\)", text):
        return {}
    return text


# -- JavaScript ------------------------------------------------------------------------------------


def js_value(text: str, declared: str, item_type: str | None = None) -> Any:
    """`text` (a JavaScript expression) as the value of a parameter declared `declared`."""
    if declared not in JS_TYPES:
        raise UnsupportedType(f"unsupported JavaScript type {declared!r}")
    if declared == "String":
        quoted = len(text) >= 1 and text[0] == text[-1] and text[0] in "\"'"
        return text[1:-1] if quoted else text
    if declared == "integer":
        return int(text) if _INT.match(text) else text
    if declared == "float":
        return float(text) if _JS_FLOAT.match(text) else text
    if declared == "Bigint":
        return int(text[:-1]) if _JS_BIGINT.match(text) else text
    if declared == "Boolean":
        return text == "true" if text in ("true", "false") else text
    if declared == "array":
        return _js_array(text.strip(), item_type)
    if declared == "dict":
        return _js_object(text.strip())
    return text  # any


def _js_literal(text: str) -> Any:
    text = text.strip()
    if text in ("true", "false"):
        return text == "true"
    if text and text[0] == text[-1] and text[0] in "\"'":
        return text[1:-1]
    return _number(text)


def _js_array(code: str, item_type: str | None) -> Any:
    nested = re.match(
        r"\[\s*\[.*?\]\s*(,\s*\[.*?\]\s*)*\]|\bnew\s+Array\(\s*\[.*?\]\s*(,\s*\[.*?\]\s*)*\)", code
    )
    try:
        if nested:
            rows = []
            for index, row in enumerate(re.findall(r"\[(.*?)\]", nested.group(0))):
                row = row.strip()
                if index == 0 and row.startswith("["):
                    row = row[1:]
                rows.append([_js_literal(part.strip()) for part in row.split(",")])
            return rows
        flat = re.match(r"\[(.*?)\]|\bnew\s+Array\((.*?)\)", code)
        if not flat:
            return code
        inner = flat.group(1) if flat.group(1) is not None else flat.group(2)
        parts = inner.strip().split(",") if inner is not None and inner.strip() else []
        if item_type:
            return [js_value(p.strip(), item_type) for p in parts]
        return [_js_literal(p.strip()) for p in parts]
    except Exception:  # noqa: BLE001 - like BFCL: what cannot be read stays the text
        return code


def _js_object(code: str) -> Any:
    if code == "{}":
        return {}
    found = re.match(r"\{(.*?)\}", code)
    if not found:
        return code
    try:
        result: dict[str, Any] = {}
        for key, value in re.findall(r"([^:]+):\s*(.*?)(?:,\s*(?=[^,]+:)|$)", found.group(1)):
            key, value = key.strip().strip("'\""), value.strip()
            if value.startswith("[") and value.endswith("]"):
                result[key] = _js_array(value, None)
            elif value.startswith("{") and value.endswith("}"):
                result[key] = _js_object(value)
            else:
                result[key] = _js_literal(value.strip("'\""))
        return result
    except Exception:  # noqa: BLE001
        return code
