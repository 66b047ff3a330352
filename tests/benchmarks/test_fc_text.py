"""Tool calls written as text in BFCL's prompting format, read with `ast` and never executed."""

from __future__ import annotations

import pytest

from evalscope.benchmarks._lib.fc_text import CallTextError, parse_call_text


def _calls(text: str) -> list[tuple[str, dict]]:
    return [(c.name, c.arguments) for c in parse_call_text(text)]


@pytest.mark.parametrize(
    ("text", "calls"),
    [
        ('[func(a=1), g(b="x")]', [("func", {"a": 1}), ("g", {"b": "x"})]),
        ("math.factorial(number=5)", [("math.factorial", {"number": 5})]),
        (
            "```\n[f(xs=[1, -2.5, (3, 4)], d={'k': True, 'n': None})]\n```",
            [("f", {"xs": [1, -2.5, [3, 4]], "d": {"k": True, "n": None}})],
        ),
        ("```python\n[f(x=2**10, y=3*1.5)]\n```", [("f", {"x": 1024, "y": 4.5})]),
        ("[f(city=paris_var, when=now())]", [("f", {"city": "paris_var", "when": "now()"})]),
        ("[f(inner=g(a=1))]", [("f", {"inner": {"g": {"a": 1}}})]),
        ("[]", []),
        ("[f(1, 2, a=3)]", [("f", {"a": 3})]),
    ],
)
def test_calls_read_from_text(text, calls):
    assert _calls(text) == calls


def test_code_in_an_argument_is_text_never_run(tmp_path):
    marker = tmp_path / "ran"
    text = f"[f(x=__import__('pathlib').Path({str(marker)!r}).touch(), y=9**9**9)]"
    ((name, args),) = _calls(text)
    assert not marker.exists()
    assert args["x"].startswith("__import__(") and args["y"] == "9 ** 9 ** 9"


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("The weather is sunny.", "not a list of function calls"),
        ("[f(a=1), 42]", "item 2 is not a function call"),
        ("{'a': 1}", "item 1 is not a function call"),
        ("(lambda: 1)()", "not a function name"),
    ],
)
def test_text_that_is_no_call_list(text, problem):
    with pytest.raises(CallTextError, match=problem):
        parse_call_text(text)


def test_raw_arguments_keep_the_call_text():
    (call,) = parse_call_text("[f(a=1, b='x')]")
    assert call.raw_arguments == "f(a=1, b='x')" and call.parse_error is None
