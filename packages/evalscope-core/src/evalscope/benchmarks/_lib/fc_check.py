"""BFCL's AST check of function calls, written from its rules (bfcl-eval 2026.3.23's `ast_checker`).

Calls are BFCL's decoded form, `[{name: {param: value}}]`; functions are BFCL function docs
(`{"name", "description", "parameters": {"properties", "required"}}`, types as BFCL writes them:
integer, float, string, boolean, array, tuple, dict, any; Java and JavaScript type names; JSON
Schema's number and object are read as float and dict); an answer is `{name: {param: [allowed
values]}}`, where `""` among the allowed values marks an optional parameter that may be left out.

The rules, as BFCL applies them:
- one call per expected call (a wrong count fails); simple categories take the one function,
  `multiple` the expected function among several, parallel categories match every expected call
  to a distinct call in any order (greedily, in the expected order, each taking the first call
  that passes);
- the function name must equal the expected one (dots written as underscores when the tools were
  offered with underscores, as OpenAI-style names must be);
- every required parameter present; no parameter the function or the answer does not know;
- types exact (`bool` is no `int`), an int allowed for a float; arrays checked one level deep;
  a value whose type is that of the allowed values (a variable's name) passes the type check;
- values among the allowed ones: strings compared lower-cased without spaces and `,./-_*^` and
  with `'` read as `"`, also inside lists and dicts; dicts key by key; lists of dicts in order;
- an allowed-values list without `""` means the parameter must be given.
Java and JavaScript values are strings in the language's syntax, read by `fc_convert` first.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

import attrs

from evalscope.benchmarks._lib.fc_convert import JAVA_TYPES, JS_TYPES, java_value, js_value

PYTHON_TYPES: dict[str, type] = {
    "string": str, "integer": int, "float": float, "boolean": bool, "array": list, "tuple": list,
    "dict": dict, "any": str,
    # JSON Schema's names (general_fc tools)
    "number": float, "object": dict, "null": type(None),
}  # fmt: skip
_NESTED = {"python": ("array", "tuple"), "java": ("Array", "ArrayList"), "javascript": ("array",)}
_FLOATS = ("float", "number")
_STRIP = re.compile(r"[ ,./\-_*^]")

Call = Mapping[str, Mapping[str, Any]]


@attrs.frozen
class Verdict:
    """Whether the calls pass, and if not, BFCL's error type and a message."""

    valid: bool
    error: str = ""
    error_type: str = ""


PASS = Verdict(True)


def standardize(text: str) -> str:
    """BFCL's string normalisation: no spaces or `,./-_*^`, lower case, `'` read as `"`."""
    return _STRIP.sub("", text).lower().replace("'", '"')


def _std(value: Any) -> Any:
    return standardize(value) if type(value) is str else value


def tool_name(name: str, underscore: bool) -> str:
    """A function's name as offered: dots become underscores when `underscore` (OpenAI-style names)."""
    return name.replace(".", "_") if underscore else name


def check_calls(
    functions: Sequence[Mapping[str, Any]],
    calls: Sequence[Call],
    answer: Sequence[Call],
    *,
    category: str,
    language: str = "python",
    underscore: bool = True,
) -> Verdict:
    """BFCL's verdict on `calls` against the expected `answer` for a category (its name decides:
    `parallel` in it matches in any order, else `multiple` picks the expected function)."""
    if "parallel" in category:
        return _parallel(functions, calls, answer, language, underscore)
    if len(calls) != len(answer):
        kind = "multiple_function_checker" if "multiple" in category else "simple_function_checker"
        return Verdict(False, "Wrong number of functions.", f"{kind}:wrong_count")
    if "multiple" in category:
        return check_one(
            _describe(functions, next(iter(answer[0]))), calls[0], answer[0], language, underscore
        )
    return check_one(functions[0], calls[0], answer[0], language, underscore)


def _describe(functions: Sequence[Mapping[str, Any]], name: str) -> Mapping[str, Any]:
    for function in functions:
        if function["name"] == name:
            return function
    raise KeyError(f"no function {name!r} among the tools")


def _parallel(
    functions: Sequence[Mapping[str, Any]],
    calls: Sequence[Call],
    answer: Sequence[Call],
    language: str,
    underscore: bool,
) -> Verdict:
    if len(calls) != len(answer):
        return Verdict(False, "Wrong number of functions.", "parallel_function_checker_no_order:wrong_count")
    taken: set[int] = set()
    for position, expected in enumerate(answer):
        function = _describe(functions, next(iter(expected)))
        found = False
        for index, call in enumerate(calls):
            if index in taken:
                continue
            if check_one(function, call, expected, language, underscore).valid:
                taken.add(index)
                found = True
                break
        if not found:
            return Verdict(
                False,
                f"no call matches expected call {position + 1} ({next(iter(expected))})",
                "parallel_function_checker_no_order:cannot_find_match",
            )
    return PASS


def check_one(
    function: Mapping[str, Any], call: Call, expected: Call, language: str = "python", underscore: bool = True
) -> Verdict:
    """One call against one expected call of `function` (BFCL's simple function check)."""
    allowed: Mapping[str, list[Any]] = next(iter(expected.values()))
    schema = function["parameters"]
    properties: Mapping[str, Any] = schema["properties"]
    name = tool_name(function["name"], underscore)
    if name not in call:
        return Verdict(
            False,
            f"Function name {name!r} not found in model output.",
            "simple_function_checker:wrong_func_name",
        )
    given = call[name]
    for param in schema.get("required", []):
        if param not in given:
            return Verdict(
                False, f"Missing required parameter: {param!r}.", "simple_function_checker:missing_required"
            )
    for param, value in given.items():
        if param not in properties or param not in allowed:
            return Verdict(
                False, f"Unexpected parameter: {param!r}.", "simple_function_checker:unexpected_param"
            )
        verdict = _check_param(param, value, properties[param], allowed[param], language)
        if not verdict.valid:
            return verdict
    for param, values in allowed.items():
        if param not in given and "" not in values:
            return Verdict(
                False,
                f"Optional parameter {param!r} not provided and not marked as optional.",
                "simple_function_checker:missing_optional",
            )
    return PASS


def _types(language: str) -> Mapping[str, type]:
    return {"java": JAVA_TYPES, "javascript": JS_TYPES}.get(language, PYTHON_TYPES)


def _check_param(
    param: str, value: Any, details: Mapping[str, Any], allowed: list[Any], language: str
) -> Verdict:
    declared = details["type"]
    table = _types(language)
    expected = table[declared]
    item: type | None = None
    if language in ("java", "javascript"):
        if type(value) is not str:
            return Verdict(
                False,
                f"Incorrect type for parameter {param!r}. Expected type String, got {type(value).__name__}.",
                f"type_error:{'java' if language == 'java' else 'js'}",
            )
        convert = java_value if language == "java" else js_value
        if declared in _NESTED[language]:
            item_type = details["items"]["type"]
            item = table[item_type]
            value = convert(value, declared, item_type)
        else:
            value = convert(value, declared)
    elif (
        declared in _NESTED["python"]
        and isinstance(details.get("items"), Mapping)
        and "type" in details["items"]
    ):
        item = table[
            details["items"]["type"]
        ]  # an array without item types: no nested check (BFCL's data always has them)
    if language == "python" and declared in _FLOATS and type(value) is int:
        value = float(value)
    typed = _type_check(param, value, allowed, declared, expected, item)
    if not typed.valid:
        return typed.verdict
    if not typed.variable:
        if expected is dict:
            return _dict_check(param, value, allowed)
        if expected is list and item is dict:
            return _list_of_dicts_check(param, value, allowed)
        if expected is str:
            if _std(value) not in [standardize(a) for a in allowed if type(a) is str]:
                return Verdict(
                    False,
                    f"Invalid value for parameter {param!r}: {value!r}. Expected one of {allowed}.",
                    "value_error:string",
                )
            return PASS
        if expected is list:
            mine = [_std(v) for v in value]
            if mine not in [[_std(v) for v in a] for a in allowed]:
                return Verdict(
                    False,
                    f"Invalid value for parameter {param!r}: {value!r}. Expected one of {allowed}.",
                    "value_error:list/tuple",
                )
            return PASS
    if value not in allowed:
        return Verdict(
            False,
            f"Invalid value for parameter {param!r}: {value!r}. Expected one of {allowed}.",
            "value_error:others",
        )
    return PASS


@attrs.frozen
class _Typed:
    valid: bool
    variable: bool = False
    verdict: Verdict = PASS


def _answer_type(allowed: Sequence[Any]) -> type | None:
    """The type of the first allowed value that is not the optional marker `""`."""
    for value in allowed:
        if value != "":
            return type(value)
    return None


def _type_check(
    param: str, value: Any, allowed: Any, declared: str, expected: type, item: type | None
) -> _Typed:
    """The type rule: the declared type (arrays one level deep), or the allowed values' own type
    (a variable written in the answer as its name)."""
    answer_type = _answer_type(allowed)
    variable = answer_type is not None and answer_type is not expected
    nested_failed = False
    given: Any = value  # kept apart: `type(value) is expected` narrows `value` to `object`
    if type(value) is expected:
        if item is None:
            return _Typed(True, variable)
        elements: list[Any] = list(given)
        for option in allowed:
            ok = True
            if type(option) is list:
                ok = all(
                    _type_check(param, element, option, item.__name__, item, None).valid
                    for element in elements
                )
            if ok:
                return _Typed(True, variable)
        nested_failed = True
    if answer_type is not None and type(value) is answer_type and not nested_failed:
        return _Typed(True, True)
    if nested_failed:
        message = f"Nested type checking failed for parameter {param!r}. Expected outer type {declared} with inner type {item.__name__ if item else ''}."
        return _Typed(False, verdict=Verdict(False, message, "type_error:nested"))
    message = f"Incorrect type for parameter {param!r}. Expected type {declared}, got {type(value).__name__}."
    return _Typed(False, verdict=Verdict(False, message, "type_error:simple"))


def _dict_check(param: str, value: Mapping[str, Any], options: Sequence[Any]) -> Verdict:
    """A dict against each allowed dict (`""` skipped): every key known with an allowed value,
    every required key present."""
    verdict = Verdict(False, f"Invalid value for parameter {param!r}.", "dict_checker:unclear")
    for option in options:
        if option == "":
            continue
        verdict = PASS
        for key, given in value.items():
            if key not in option:
                verdict = Verdict(False, f"Unexpected dict key parameter: {key!r}.", "value_error:dict_key")
                break
            if _std(given) not in [_std(a) for a in option[key]]:
                verdict = Verdict(
                    False, f"Invalid value for parameter {key!r}: {given!r}.", "value_error:dict_value"
                )
                break
        if verdict.valid:
            for key, allowed in option.items():
                if key not in value and "" not in allowed:
                    verdict = Verdict(False, f"Missing dict key parameter: {key!r}.", "value_error:dict_key")
                    break
        if verdict.valid:
            return PASS
    return verdict


def _list_of_dicts_check(param: str, value: Sequence[Any], options: Sequence[Any]) -> Verdict:
    """A list of dicts against each allowed list, dict by dict in order."""
    verdict = Verdict(False, f"Invalid value for parameter {param!r}.", "list_dict_checker:unclear")
    for option in options:
        if len(value) != len(option):
            verdict = Verdict(
                False, "Wrong number of dictionaries in the list.", "value_error:list_dict_count"
            )
            continue
        verdict = PASS
        for given, wanted in zip(value, option):
            if not isinstance(given, Mapping):
                verdict = Verdict(
                    False,
                    f"Invalid value for parameter {param!r}: {given!r} is no dict.",
                    "value_error:list_dict",
                )
                break
            verdict = _dict_check(param, given, [wanted])
            if not verdict.valid:
                break
        if verdict.valid:
            return PASS
    return verdict


def calls_of(decoded: Any) -> list[dict[str, dict[str, Any]]] | None:
    """`decoded` when it is BFCL's call list (`[{name: {param: value}}]`, each item one name), else None."""
    if type(decoded) is not list:
        return None
    for entry in decoded:
        if type(entry) is not dict or len(entry) != 1 or type(next(iter(entry.values()))) is not dict:
            return None
    return decoded
