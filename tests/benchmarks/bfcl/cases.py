"""Recorded model outputs for the differential test, made from BFCL's possible answers: right
answers and each kind of wrong one, in BFCL's decoded form `[{name: {param: value}}]`."""

from __future__ import annotations

import copy
import random
from typing import Any

AST_CATEGORIES = (
    "simple_python", "simple_java", "simple_javascript", "multiple", "parallel", "parallel_multiple",
    "live_simple", "live_multiple", "live_parallel", "live_parallel_multiple",
)  # fmt: skip


def _code(value: Any, language: str) -> Any:
    """A value as Java/JavaScript source text (the way such parameters are answered)."""
    if language == "python":
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, list):
        inner = ", ".join(str(_code(v, language)) for v in value)
        if language == "java":
            return f"new ArrayList<>(Arrays.asList({inner}))"
        return f"[{inner}]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_code(v, language)}" for k, v in value.items()) + "}"
    return value


def _pick(allowed: list[Any], last: bool) -> tuple[Any, bool]:
    present = [v for v in allowed if v != ""]
    if not present:
        return None, False
    return (present[-1] if last else present[0]), True


def _call(
    expected: dict[str, Any], language: str, *, last: bool = False, optional: bool = True
) -> dict[str, Any]:
    name, allowed = next(iter(expected.items()))
    args = {}
    for param, values in allowed.items():
        if not optional and "" in values:
            continue
        value, present = _pick(values, last)
        if present:
            args[param] = _code(value, language)
    return {name.replace(".", "_"): args}


def _wrong_type(value: Any) -> Any:
    if isinstance(value, bool):
        return "true"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(value)
    if isinstance(value, str):
        return 12345
    if isinstance(value, list):
        return "not a list"
    if isinstance(value, dict):
        return ["not", "a", "dict"]
    return "?"


def _wrong_value(value: Any) -> Any:
    if isinstance(value, bool):
        return not value
    if isinstance(value, (int, float)):
        return value + 7
    if isinstance(value, str):
        return value + " zq"
    if isinstance(value, list):
        return [*value, value[0] if value else 1]
    if isinstance(value, dict):
        return {**value, "zq_key": 1}
    return value


def _shout(value: Any) -> Any:
    """String normalisation: the same text upper-cased with spaces and punctuation BFCL ignores."""
    if isinstance(value, str):
        return " " + value.upper().replace(" ", "  ") + "."
    return value


def variants(
    item: dict[str, Any], category: str, language: str, rng: random.Random
) -> list[tuple[str, list[dict[str, Any]]]]:
    """(kind, calls) for one item."""
    answer = item["ground_truth"]
    functions = {f["name"]: f for f in item["function"]}
    right = [_call(e, language) for e in answer]
    out: list[tuple[str, list[dict[str, Any]]]] = [
        ("correct", right),
        ("alternate_values", [_call(e, language, last=True) for e in answer]),
        ("optional_omitted", [_call(e, language, optional=False) for e in answer]),
        ("no_call", []),
        ("extra_call", [*right, copy.deepcopy(right[0])]),
    ]
    first_name = next(iter(right[0]))
    out.append(("wrong_function_name", [{first_name + "_x": right[0][first_name]}, *right[1:]]))
    if len(right) > 1:
        out.append(("reordered", list(reversed(right))))
        shuffled = right[:]
        rng.shuffle(shuffled)
        out.append(("shuffled", shuffled))
    args = right[0][first_name]
    expected_name = next(iter(answer[0]))
    schema = functions.get(expected_name, {}).get("parameters", {})
    required = list(schema.get("required", []))
    params = list(args)
    extra = copy.deepcopy(right)
    next(iter(extra[0].values()))["zq_extra"] = 1
    out.append(("extra_param", extra))
    if required and required[0] in args:
        missing = copy.deepcopy(right)
        del next(iter(missing[0].values()))[required[0]]
        out.append(("missing_required", missing))
    if params:
        param = rng.choice(params)
        for kind, change in (
            ("wrong_type", _wrong_type),
            ("wrong_value", _wrong_value),
            ("normalised_string", _shout),
        ):
            changed = copy.deepcopy(right)
            target = next(iter(changed[0].values()))
            target[param] = change(target[param])
            out.append((kind, changed))
        properties = schema.get("properties", {})
        for name, value in args.items():
            if (
                properties.get(name, {}).get("type") == "float"
                and isinstance(value, float)
                and value.is_integer()
            ):
                as_int = copy.deepcopy(right)
                next(iter(as_int[0].values()))[name] = int(value)
                out.append(("int_for_float", as_int))
                break
        optional_given = [p for p in params if p not in required]
        if optional_given:
            dropped = copy.deepcopy(right)
            del next(iter(dropped[0].values()))[optional_given[0]]
            out.append(("optional_dropped", dropped))
    return out


def generate(
    records: dict[str, list[dict[str, Any]]], per_category: int, seed: int = 7
) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    cases = []
    for category in AST_CATEGORIES:
        language = {"simple_java": "java", "simple_javascript": "javascript"}.get(category, "python")
        items = records[category]
        chosen = items if len(items) <= per_category else rng.sample(items, per_category)
        for item in chosen:
            for kind, calls in variants(item, category, language, rng):
                cases.append({
                    "id": item["id"], "kind": kind, "category": category, "language": language,
                    "functions": item["function"], "answer": item["ground_truth"], "calls": calls,
                })  # fmt: skip
    return cases
