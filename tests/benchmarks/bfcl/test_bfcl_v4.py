"""bfcl_v4: BFCL's items as requests with tools, and answers scored by BFCL's rules end to end."""

from __future__ import annotations

import json

from evalscope.benchmarks import get_benchmark
from evalscope.benchmarks._lib import bfcl_data
from evalscope.benchmarks._lib.fc_tools import bfcl_tools
from evalscope.core.metrics import ACCURACY
from evalscope.core.types import ChatMessage
from evalscope.run import run_task
from tests.benchmarks.fc_models import ScriptedToolModel
from tests.fixtures.gen.runner import task_and_samples


def _request(category: str, index: int = 0):
    task, samples = task_and_samples("bfcl_v4", limit=index + 1, subset_list=[category])
    return task.build_request(list(samples)[index])


def test_request_carries_the_question_and_tools_converted_as_bfcl_does(bfcl_folder):
    request = _request("simple_python")
    (item,) = bfcl_data.category_records(bfcl_folder, "simple_python")[:1]
    assert request.messages == [ChatMessage("user", item["question"][0][0]["content"])]
    (tool,) = request.tools
    assert tool.name == "calculate_triangle_area"
    assert tool.description.endswith(" Note that the provided function is in Python 3 syntax.")
    assert tool.parameters["type"] == "object"  # BFCL writes "dict"
    assert {k: v["type"] for k, v in tool.parameters["properties"].items()} == {
        "base": "integer",
        "height": "integer",
        "unit": "string",
    }
    assert tool.parameters["required"] == ["base", "height"]


def test_dotted_names_floats_tuples_and_dicts(bfcl_folder):
    names = [t.name for t in _request("parallel_multiple").tools]
    assert names == [
        "math_toolkit_sum_of_multiples",
        "math_toolkit_product_of_primes",
    ]  # dots cannot be OpenAI names
    declared: dict = {}
    for item in bfcl_data.category_records(bfcl_folder, "simple_python"):
        (function,), (tool,) = item["function"], bfcl_tools(item["function"])
        for param, details in function["parameters"]["properties"].items():
            declared.setdefault(details["type"], (tool.parameters["properties"][param], details))
    assert {t: declared[t][0]["type"] for t in ("float", "tuple", "dict", "any")} == {
        "float": "number",
        "tuple": "array",
        "dict": "object",
        "any": "string",
    }
    assert declared["float"][0]["format"] == "float"
    assert (
        declared["float"][0]["description"]
        == declared["float"][1]["description"] + " This is a float type value."
    )


def test_java_parameters_are_offered_as_strings(bfcl_folder):
    tool = _request("simple_java").tools[0]
    assert tool.name == "GeometryPresentation_createPresentation"
    assert {p["type"] for p in tool.parameters["properties"].values()} == {"string"}
    assert "Java 8 SDK syntax" in tool.description
    assert "in string representation" in tool.parameters["properties"]["controller"]["description"]


def _ground_truth_calls(answer: list[dict]) -> list[tuple[str, dict]]:
    calls = []
    for expected in answer:
        name, allowed = next(iter(expected.items()))
        args = {
            p: next(v for v in values if v != "")
            for p, values in allowed.items()
            if any(v != "" for v in values)
        }
        calls.append((name.replace(".", "_"), args))
    return calls


def _records(tmp_path, name: str):
    return [
        json.loads(line)["evalscope_record"]
        for path in sorted((tmp_path / "reviews").glob(f"*/{name}_*.jsonl"))
        for line in path.read_text(encoding="utf-8").splitlines()
    ]


def test_ground_truth_calls_for_a_known_subset_give_exactly_that_fraction(tmp_path, bfcl_folder):
    items = bfcl_data.category_records(bfcl_folder, "simple_python")[:10]
    right = {0, 2, 3, 5, 7, 8}  # items answered with their ground truth; the others with a wrong value
    script = {}
    for i, item in enumerate(items):
        ((name, args),) = _ground_truth_calls(item["ground_truth"])
        if i not in right:
            args = {**args, "base" if "base" in args else next(iter(args)): "wrong value zq"}
        script[item["question"][0][-1]["content"]] = [(name, args)]
    model = ScriptedToolModel(lambda request: script[request.messages[-1].text])
    report = run_task(
        {"model": "scripted", "datasets": ["bfcl_v4"], "limit": 10, "work_dir": str(tmp_path), "no_timestamp": True,
         "store": "workdir", "dataset_args": {"bfcl_v4": {"subset_list": ["simple_python"]}}},
        model=model, print_table=False,
    )["bfcl_v4"]  # fmt: skip
    assert report.metrics[0].score == 0.6
    scores = {r["sample_id"]: r["scores"][ACCURACY] for r in _records(tmp_path, "bfcl_v4")}
    assert scores == {item["id"]: float(i in right) for i, item in enumerate(items)}
    assert all(request.tools for request in model.requests)


def test_text_answers_in_the_prompting_format_and_irrelevance(tmp_path, bfcl_folder):
    multiple = bfcl_data.category_records(bfcl_folder, "multiple")[:2]
    script: dict[str, str] = {}
    for item in multiple:
        ((name, args),) = _ground_truth_calls(item["ground_truth"])
        script[item["question"][0][-1]["content"]] = (
            f"[{name}({', '.join(f'{k}={v!r}' for k, v in args.items())})]"
        )
    irrelevant = bfcl_data.category_records(bfcl_folder, "irrelevance")[:2]
    script[irrelevant[0]["question"][0][-1]["content"]] = "I cannot help with that using these tools."
    script[irrelevant[1]["question"][0][-1]["content"]] = "[determine_body_mass_index(weight=70, height=1.8)]"
    model = ScriptedToolModel(lambda request: script[request.messages[-1].text])
    reports = run_task(
        {"model": "scripted", "datasets": ["bfcl_v4"], "limit": 2, "work_dir": str(tmp_path), "no_timestamp": True,
         "store": "workdir", "dataset_args": {"bfcl_v4": {"subset_list": ["multiple", "irrelevance"]}}},
        model=model, print_table=False,
    )  # fmt: skip
    scores = {r["sample_id"]: r["scores"][ACCURACY] for r in _records(tmp_path, "bfcl_v4")}
    assert scores == {
        multiple[0]["id"]: 1.0,
        multiple[1]["id"]: 1.0,
        irrelevant[0]["id"]: 1.0,
        irrelevant[1]["id"]: 0.0,
    }
    assert reports["bfcl_v4"].metrics[0].score == 0.75


def test_bfcl_v3_is_the_same_categories():
    v3, v4 = get_benchmark("bfcl_v3"), get_benchmark("bfcl_v4")
    assert v3.subsets == v4.subsets and len(v4.subsets) == 13 and v3.name == "bfcl_v3"
