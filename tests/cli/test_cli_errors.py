"""A user's mistake at the command line ends in one clear line and a non-zero exit, never a Python
traceback (unless --debug). Real processes for what a user types; CliRunner for the rest."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from evalscope.cli.main import main
from evalscope.core.registry import commands
from evalscope.core.serialization import ConfigError

_SCRIPT = Path(sys.executable).with_name("evalscope")  # the command a user types
EVALSCOPE = [str(_SCRIPT)] if _SCRIPT.is_file() else [sys.executable, "-m", "evalscope.cli.main"]


def run_cli(*args: str, cwd: Path, timeout: float = 120) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    return subprocess.run([*EVALSCOPE, *args], cwd=cwd, capture_output=True, text=True, timeout=timeout, env=env)


def error_line(output: str) -> str:
    """The single non-empty line of `output`, which must be an `Error:` line."""
    lines = [line for line in output.splitlines() if line.strip()]
    assert len(lines) == 1, output
    assert lines[0].startswith("Error: "), output
    return lines[0]


def invoke(*args: str) -> click.testing.Result:
    return CliRunner().invoke(main, list(args))


# -- real processes -----------------------------------------------------------------------------


def test_unknown_model_name_is_one_line_saying_what_was_tried(tmp_path):
    proc = run_cli("eval", "--model", "no-such-model", "--datasets", "arc", "--limit", "1", cwd=tmp_path)
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr + proc.stdout
    line = error_line(proc.stderr)
    assert line.startswith("Error: Cannot load model 'no-such-model'. Tried: a local path")
    for tried in ("ModelScope", "the HF hub", "smollm2-135m-instruct", "--model /path/to/model"):
        assert tried in line


def test_refused_api_url_fails_at_once_naming_the_url(tmp_path, free_port):
    url = f"http://127.0.0.1:{free_port}/v1"  # nothing listens there
    started = time.perf_counter()
    proc = run_cli(
        "eval", "--model", "m", "--eval-type", "service", "--api-url", url, "--datasets", "arc", "--limit", "3",
        "--work-dir", str(tmp_path / "out"), cwd=tmp_path,
    )
    elapsed = time.perf_counter() - started
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert error_line(proc.stderr) == (
        f"Error: Cannot reach the API at {url} (connection refused on port {free_port}). "
        "Is the server running, and is api_url (--api-url) right?"
    )
    assert elapsed < 30  # no retry storm: 3 samples x 5 backoffs would take minutes
    assert not (tmp_path / "out").exists()


def test_unresolvable_api_host_names_the_host(tmp_path):
    proc = run_cli("eval", "--model", "m", "--eval-type", "service", "--api-url", "http://no-such-host.invalid:8000/v1",
                   "--datasets", "arc", cwd=tmp_path)
    assert proc.returncode == 1
    assert "cannot resolve host 'no-such-host.invalid'" in error_line(proc.stderr)


def test_unknown_precision_is_one_line_before_loading(tmp_path):
    proc = run_cli("eval", "--model", "smollm2-135m-instruct", "--model-args", "precision=float99",
                   "--datasets", "arc", "--limit", "1", cwd=tmp_path)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert error_line(proc.stderr) == (
        "Error: model_args.precision: Unknown precision 'float99'; use float16, bfloat16, float32 or auto "
        "(aliases: fp16, half, bf16, fp32)."
    )


def test_misspelled_model_arg_gets_did_you_mean(tmp_path):
    proc = run_cli("eval", "--model", "smollm2-135m-instruct", "--model-args", "precison=float16",
                   "--datasets", "arc", "--limit", "1", cwd=tmp_path)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert "Error: model_args: unknown key 'precison'. Did you mean: precision" in proc.stderr


def test_bad_config_file_is_one_line_and_debug_shows_the_traceback(tmp_path):
    config = tmp_path / "task.yaml"
    config.write_text("modle: m\n")
    proc = run_cli("eval", "--config", str(config), cwd=tmp_path)
    assert proc.returncode == 1
    assert error_line(proc.stderr) == f"Error: {config}: unknown key 'modle'. Did you mean: model, model_id, model_api?"
    debug = run_cli("eval", "--config", str(config), "--debug", cwd=tmp_path)
    assert debug.returncode == 1
    assert "Traceback" in debug.stderr and "ConfigError" in debug.stderr


# -- in-process: each category of eval flag ---------------------------------------------------


@pytest.mark.parametrize(
    "args, exit_code, fragment",
    [
        (["--dataset-args", '{"arc": {few_shot_num: 1}}'], 2, "Invalid value for --dataset-args: not valid JSON"),
        (["--dataset-args", '{"arc": {"fewshot_num": 1}}'], 1, "Error: --dataset-args arc: unknown key 'fewshot_num'. Did you mean: few_shot_num"),
        (["--dataset-args", '{"arc": {"few_shot_num": "two"}}'], 1, "Error: --dataset-args arc: few_shot_num: expected int, got str 'two'"),
        (["--dataset-args", '["arc"]'], 1, "Error: --dataset-args: expected a JSON object"),
        (["--dataset-args", '{"arc": {"output_type": "essay"}}'], 1, "output_type: must be one of generation, multiple_choice"),
        (["--model-args", '{"precision": }'], 1, "Error: --model-args: not valid JSON (Expecting value at column 15)"),
        (["--model-args", "precision"], 1, "Error: --model-args: expected key=value, got 'precision'"),
        (["--generation-config", "temprature=0"], 1, "Error: --generation-config: unknown key 'temprature'. Did you mean: temperature?"),
        (["--generation-config", "max_tokens=lots"], 1, "Error: --generation-config: max_tokens: expected int"),
        (["--generation-config", "max_length=5"], 1, "Error: --generation-config.max_length: not supported"),
        (["--limit", "1.5"], 2, "Invalid value for '--limit': 1.5 is neither a whole count nor a fraction below 1"),
        (["--limit", "0"], 2, "Invalid value for '--limit': must be positive"),
        (["--limit", "all"], 2, "Invalid value for '--limit': 'all' is not a number"),
        (["--eval-batch-size", "0"], 2, "Invalid value for '--eval-batch-size'"),
        (["--eval-type", "servise"], 2, "Invalid value for '--eval-type'"),
        (["--datasets", "arcc"], 1, "Error: Unknown benchmarks 'arcc'. Did you mean: arc"),
    ],
)
def test_eval_flag_errors(tmp_path, args, exit_code, fragment):
    base = ["eval", "--model", "mock", "--eval-type", "mock", "--work-dir", str(tmp_path / "out")]
    if "--datasets" not in args:
        base += ["--datasets", "arc", "--limit", "1"] if "--limit" not in args else ["--datasets", "arc"]
    result = invoke(*base, *args)
    assert result.exit_code == exit_code, result.output
    assert "Traceback" not in result.output
    assert fragment in result.output
    assert not (tmp_path / "out").exists()


def test_bad_config_file_categories_through_the_cli(tmp_path):
    bomb = tmp_path / "bomb.yaml"
    bomb.write_text('a: &a ["x","x","x","x","x","x","x","x","x"]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nmodel: *b\n')
    latin1 = tmp_path / "latin1.yaml"
    latin1.write_bytes(b"model: caf\xe9\n")
    big = tmp_path / "big.json"
    big.write_text(json.dumps({"model": "x" * (2 << 20)}))
    for path, fragment in [(bomb, ":2: invalid YAML (aliases (*a) are not allowed"), (latin1, ":1: not UTF-8 text"), (big, "too large for a config file")]:
        result = invoke("eval", "--config", str(path))
        assert result.exit_code == 1 and "Traceback" not in result.output
        line = error_line(result.output)
        assert str(path) in line and fragment in line and len(line) < 300


# -- the policy covers every command, not only eval --------------------------------------------


@click.command("boom")
@click.option("--debug", is_flag=True)
def boom_command(debug: bool) -> None:
    """A command that fails like a bug would (registered only by the test below)."""
    raise KeyError("answer")


@click.command("bad-setting")
def bad_setting_command() -> None:
    raise ConfigError("settings.yaml: store: unknown store 'sqlit'")


def test_every_command_gets_the_policy(monkeypatch):
    monkeypatch.setitem(commands._items, "boom", boom_command)
    monkeypatch.setitem(commands._items, "bad-setting", bad_setting_command)
    result = invoke("boom")
    assert result.exit_code == 1
    assert error_line(result.output) == "Error: KeyError: 'answer' (rerun with --debug for the traceback)"
    known = invoke("bad-setting")
    assert known.exit_code == 1
    assert error_line(known.output) == "Error: settings.yaml: store: unknown store 'sqlit'"
    debug = invoke("boom", "--debug")
    assert isinstance(debug.exception, KeyError)  # propagates: Python prints the traceback


def test_debug_from_the_environment(monkeypatch):
    monkeypatch.setitem(commands._items, "boom", boom_command)
    monkeypatch.setenv("EVALSCOPE_DEBUG", "1")
    assert isinstance(invoke("boom").exception, KeyError)


def test_unexpected_error_during_a_run_is_one_line(monkeypatch, tmp_path):
    import evalscope.run

    def broken(_cfg, **_kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(evalscope.run, "run_task", broken)
    result = invoke("eval", "--model", "mock", "--eval-type", "mock", "--datasets", "arc", "--limit", "1")
    assert result.exit_code == 1
    assert error_line(result.output) == "Error: OSError: [Errno 28] No space left on device (rerun with --debug for the traceback)"


def test_a_listening_endpoint_passes_the_check(free_port):
    from evalscope.core.preflight import check_endpoint

    with socket.socket() as server:
        server.bind(("127.0.0.1", free_port))
        server.listen()
        check_endpoint(f"http://127.0.0.1:{free_port}/v1")  # no error


@pytest.mark.parametrize("url, fragment", [("ftp://host/v1", "expected an http:// or https:// URL"), ("http://127.0.0.1:99999/v1", "port")])
def test_malformed_api_urls(url, fragment):
    from evalscope.core.preflight import EndpointUnreachableError, check_endpoint

    with pytest.raises(EndpointUnreachableError, match=fragment):
        check_endpoint(url)
