"""The run page's argument builder (`viz/site/launch.py`): a list of checked arguments, never a
shell; every bad field refused with a message naming it; the API key only in the environment."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from evalscope.viz.site.launch import API_KEY_ENV, FieldError, build_eval, build_perf, resume_eval

NAMES = ["arc", "gsm8k", "math_500"]


def names() -> list[str]:
    return NAMES


def eval_form(**over: object) -> dict:
    form = {"model": "mock", "eval_type": "mock", "datasets": ["gsm8k"], "limit": 5}
    form.update(over)
    return form


def test_eval_is_an_argument_list_of_flag_value_pairs(tmp_path):
    launch = build_eval(
        eval_form(
            datasets=["gsm8k", "arc"],
            eval_batch_size="4",
            max_tokens=64,
            temperature=0.5,
            dataset_dir=str(tmp_path),
            model_args="delay=0.5,reply=x",
        ),
        tmp_path,
        names,
    )
    argv = list(launch.argv)
    assert argv[:4] == [sys.executable, "-m", "evalscope.cli.main", "eval"]
    assert "--model=mock" in argv and "--eval-type=mock" in argv and "--limit=5" in argv
    assert argv[argv.index("--datasets") + 1 : argv.index("--datasets") + 3] == ["gsm8k", "arc"]
    assert "--eval-batch-size=4" in argv and "--model-args=delay=0.5,reply=x" in argv
    assert '--generation-config={"max_tokens": 64, "temperature": 0.5}' in argv
    assert f"--work-dir={launch.run_dir}" in argv and "--no-timestamp" in argv
    assert launch.run_dir.parent == tmp_path and not launch.run_dir.exists()


def test_shell_metacharacters_stay_one_argument_or_are_refused(tmp_path):
    odd = tmp_path / "data; rm -rf ~ $(id) `x` | y"
    odd.mkdir()
    launch = build_eval(eval_form(dataset_dir=str(odd)), tmp_path, names)
    assert f"--dataset-dir={odd}" in launch.argv  # one list item: no shell ever splits or runs it
    for bad in ("mock; rm -rf /", "$(id)", "mock`id`", "a|b", "x && y"):
        with pytest.raises(FieldError, match="^model: ") as info:
            build_eval(eval_form(model=bad), tmp_path, names)
        assert info.value.field == "model"


@pytest.mark.parametrize(
    ("field", "value", "why"),
    [
        ("model", "", "required"),
        ("model", "--config=/etc/passwd", "must not start with '-'"),
        ("model", "mock\n--debug", "control characters"),
        ("eval_type", "shell", "is not one of"),
        ("datasets", ["gsm8k", "no_such_bench"], "not a registered benchmark"),
        ("datasets", [], "pick at least one"),
        ("limit", "0", "between 1 and"),
        ("limit", "ten", "expected a number"),
        ("limit", "2.5", "whole number"),
        ("eval_batch_size", 10**6, "between 1 and 4096"),
        ("temperature", "3", "between 0 and 2"),
        ("temperature", "nan", "finite"),
        ("dataset_dir", "/no/such/dir", "no such directory"),
        ("config", "/no/such.yaml", "no such file"),
        ("model_args", "delay=1;rm", "k=v pairs"),
        ("use_cache", "/no/such/run", "no such directory"),
    ],
)
def test_bad_eval_fields_are_refused_naming_the_field(tmp_path, field, value, why):
    with pytest.raises(FieldError, match=f"^{field}: .*{why}") as info:
        build_eval(eval_form(**{field: value}), tmp_path, names)
    assert info.value.field == field


@pytest.mark.parametrize(
    "value",
    [
        "file:///etc/passwd",
        "ftp://host/v1",
        "javascript:alert(1)",
        "http://",
        "http://user:pw@host/v1",
        "http://a b",
    ],
)
def test_service_urls_are_http_or_https_without_credentials(tmp_path, value):
    with pytest.raises(FieldError, match="^api_url: "):
        build_eval(eval_form(eval_type="service", api_url=value), tmp_path, names)
    with pytest.raises(FieldError, match="^api_url: required"):
        build_eval(eval_form(eval_type="service"), tmp_path, names)


def test_the_api_key_goes_to_the_environment_only(tmp_path):
    key = "sk-never-in-argv-0123456789"
    launch = build_eval(
        eval_form(eval_type="service", api_url="https://api.example.com/v1", api_key=key), tmp_path, names
    )
    assert launch.env == {API_KEY_ENV: key}
    assert not any(key in a for a in launch.argv)
    assert key not in repr(launch)
    with pytest.raises(FieldError, match="^api_key: ") as info:
        build_eval(eval_form(api_key="sk-1\n--debug"), tmp_path, names)
    assert "sk-1" not in str(info.value)


def test_a_config_file_and_resume(tmp_path):
    config = tmp_path / "task.yaml"
    config.write_text("model: mock\n")
    launch = build_eval({"config": str(config)}, tmp_path, names)
    assert launch.argv[4] == f"--config={config}" and "--model=mock" not in launch.argv
    (tmp_path / "task.txt").write_text("model: mock\n")
    with pytest.raises(FieldError, match="^config: a YAML or JSON"):
        build_eval({"config": str(tmp_path / "task.txt")}, tmp_path, names)

    run_dir = launch.run_dir
    (run_dir / "configs").mkdir(parents=True)
    resumed = resume_eval(launch)
    assert f"--use-cache={run_dir}" in resumed.argv
    assert not any(a.startswith("--work-dir=") or a == "--no-timestamp" for a in resumed.argv)
    # a folder of runs resumes its newest run
    picked = build_eval(eval_form(use_cache=str(tmp_path)), tmp_path, names)
    assert f"--use-cache={run_dir}" in picked.argv and picked.run_dir == run_dir


def test_perf_arguments_and_refusals(tmp_path):
    launch = build_perf(
        {
            "perf_url": "http://127.0.0.1:8000/v1",
            "perf_model": "qwen",
            "parallel": 2,
            "number": "10",
            "prompt": "hello; $(id)",
            "perf_api_key": "k-1",
        },
        tmp_path,
    )
    argv = list(launch.argv)
    assert argv[:4] == [sys.executable, "-m", "evalscope.cli.main", "perf"]
    assert "--parallel=2" in argv and "--number=10" in argv and "--prompt=hello; $(id)" in argv
    assert f"--outputs-dir={tmp_path}" in argv and launch.env == {API_KEY_ENV: "k-1"}
    base = {"perf_url": "http://127.0.0.1:8000/v1", "perf_model": "qwen", "parallel": 1, "number": 1}
    for field, value in (
        ("perf_url", "file:///etc/passwd"),
        ("parallel", 0),
        ("number", None),
        ("prompt", "@/etc/passwd"),
        ("dataset", "evil"),
        ("perf_model", "-x"),
    ):
        with pytest.raises(FieldError, match=f"^{field}: "):
            build_perf({**base, field: value}, tmp_path)


def test_the_registry_lists_real_benchmarks():
    from evalscope.viz.site.launch import benchmark_names

    found = benchmark_names()
    assert {"gsm8k", "arc"} <= set(found)
    assert Path(sys.executable).exists()
