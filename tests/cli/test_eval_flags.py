"""Every flag of `evalscope eval` reaches the TaskConfig field it names, and the flags that configure
the model reach the model adapter.

The options are read from the click command itself, so a flag added later is tested here without
anyone remembering to: a plain flag (a string, number, choice or switch named like its TaskConfig
field) gets a generated value; a flag this file cannot derive a value for fails until a case is
added to SPECIAL.
"""

from __future__ import annotations

import copy
import socket
from pathlib import Path
from typing import Any

import attrs
import click
import pytest
from click.testing import CliRunner

from evalscope.cli.eval_cmd import eval_command
from evalscope.cli.main import main
from evalscope.cli.options import LimitType
from evalscope.config import TaskConfig
from evalscope.core.models.mock import MockModelAPI
from evalscope.core.registry import model_apis
from evalscope.core.types import GenerationConfig

FIELDS = attrs.fields_dict(TaskConfig)
DEFAULTS = TaskConfig()

#: name -> (arguments, expected field value or a check of the `Captured` run) for flags whose value
#: is structured or that are not TaskConfig settings
SPECIAL: dict[str, tuple[list[str], Any]] = {
    "model_args": (["--model-args", "revision=main,precision=float32,trust_remote_code=true"],
                   {"revision": "main", "precision": "float32", "trust_remote_code": True}),
    "generation_config": (["--generation-config", "max_new_tokens=7,temperature=0,stop=[a,b]"],
                          GenerationConfig(max_tokens=7, temperature=0.0, stop=["a", "b"])),
    "datasets": (["--datasets", "arc", "gsm8k"], ["arc", "gsm8k"]),
    "dataset_args": (["--datasets", "arc", "--dataset-args", '{"arc": {"few_shot_num": 2, "subset_list": ["ARC-Easy"]}}'],
                     lambda run: run.config.args_for("arc").few_shot_num == 2 and run.config.args_for("arc").subset_list == ["ARC-Easy"]),
    "eval_type": (["--eval-type", "openai_api"], "service"),  # EvalScope's alias arrives as our name
    "limit": (["--limit", "7.0"], 7),
    "prompt_style": (["--prompt-style", "evalscope-0.12-verbatim"], "evalscope-0.12-verbatim"),  # checked against the registry
    "stream": (["--stream"], True),
    "config_file": ([], None),  # tested below: a file plus flags that override it
    "display": (["--tui"], lambda run: run.displays == ["tui"]),  # the live display runs the task
    "executor_args": (["--executor-args", "workers=2,num_gpus=0.5,api_urls=[http://a/v1,http://b/v1]"],
                      {"workers": 2, "num_gpus": 0.5, "api_urls": ["http://a/v1", "http://b/v1"]}),
    "judge_model_args": (["--judge-model-args", "model_id=judge-x,max_attempts=3"],
                         lambda run: (run.config.judge_model_args.model_id, run.config.judge_model_args.max_attempts) == ("judge-x", 3)),
}


def eval_options() -> list[click.Option]:
    return [p for p in eval_command.params if isinstance(p, click.Option) and p.name != "help"]


def generated_case(option: click.Option) -> tuple[list[str], Any]:
    """A flag and the value its field must hold, derived from the option's click type."""
    flag, kind = option.opts[0], option.type
    default = getattr(DEFAULTS, option.name)
    if option.is_flag and option.secondary_opts:
        return [flag if not default else option.secondary_opts[0]], not default
    if option.is_flag:
        return [flag], True
    if isinstance(kind, click.Choice):
        choice = [c for c in kind.choices if c != default][-1]
        return [flag, str(choice)], choice
    if isinstance(kind, click.types.IntParamType):
        return [flag, "3"], 3
    if isinstance(kind, click.types.FloatParamType):
        return [flag, "2.5"], 2.5
    if kind is click.STRING:
        value = f"value-of-{option.name.replace('_', '-')}"
        return [flag, value], value
    raise AssertionError(f"{flag}: add a case to SPECIAL (cannot derive a value for type {kind!r})")


class Captured:
    """What `evalscope eval` handed on: TaskConfigs to run_task (or to a live display), unrun."""

    def __init__(self) -> None:
        self.configs: list[TaskConfig] = []
        self.displays: list[str] = []

    @property
    def config(self) -> TaskConfig:
        (cfg,) = self.configs
        return cfg


@pytest.fixture
def captured(monkeypatch) -> Captured:
    import evalscope.cli.eval_cmd as eval_cmd
    import evalscope.run

    run = Captured()
    monkeypatch.setattr(evalscope.run, "run_task", lambda cfg, **_kw: run.configs.append(cfg))

    def display(name: str) -> Any:
        run.displays.append(name)
        return run.configs.append

    if hasattr(eval_cmd, "_display"):
        monkeypatch.setattr(eval_cmd, "_display", display)
    return run


def run_eval(*args: str) -> click.testing.Result:
    return CliRunner().invoke(main, ["eval", *args])


@pytest.mark.parametrize("option", eval_options(), ids=lambda o: o.opts[0])
def test_flag_arrives_in_its_field(option, captured):
    if option.name in SPECIAL:
        args, expected = SPECIAL[option.name]
    else:
        assert option.name in FIELDS, f"{option.opts[0]} names no TaskConfig field; add a case to SPECIAL"
        args, expected = generated_case(option)
    if option.name == "config_file":
        pytest.skip("covered by test_config_file_and_flags_that_override_it")
    base = ["--model", "m"] if option.name != "model" else []
    result = run_eval(*base, *args)
    assert result.exit_code == 0, result.output
    if callable(expected):
        assert expected(captured), captured.configs
    else:
        got = getattr(captured.config, option.name)
        assert got == expected and type(got) is type(expected), (option.opts[0], got)


def test_every_option_is_covered():
    """The parametrized test above derives its cases from the command; this checks none is skipped."""
    for option in eval_options():
        if option.name not in SPECIAL:
            assert option.name in FIELDS, f"{option.opts[0]} names no TaskConfig field"
            generated_case(option)


def test_switch_off_forms(captured):
    assert run_eval("--model", "m", "--no-stream").exit_code == 0
    assert captured.config.stream is False


@pytest.mark.parametrize("text, expected", [("5", 5), ("5.0", 5), ("1.0", 1), ("1", 1), ("0.25", 0.25)])
def test_limit_rule_on_the_command_line(captured, text, expected):
    assert run_eval("--model", "m", "--limit", text).exit_code == 0
    assert captured.config.limit == expected and type(captured.config.limit) is type(expected)


def test_limit_help_states_the_rule():
    option = next(o for o in eval_options() if o.name == "limit")
    assert isinstance(option.type, LimitType)
    assert "a whole number is a count (5, or 5.0)" in option.help and "between 0 and 1 is a fraction" in option.help


def test_config_file_and_flags_that_override_it(tmp_path, captured):
    config = tmp_path / "task.yaml"
    config.write_text("model: from-file\ndatasets: [gsm8k]\nlimit: 3\nseed: 1\ngeneration_config: {temperature: 0.5}\n")
    result = run_eval("--config", str(config), "--limit", "0.5", "--datasets", "arc")
    assert result.exit_code == 0, result.output
    cfg = captured.config
    assert (cfg.model, cfg.datasets, cfg.limit, cfg.seed) == ("from-file", ["arc"], 0.5, 1)
    assert cfg.generation_config.temperature == 0.5


# -- flags that configure the model reach the adapter -----------------------------------------


class RecordingAPI(MockModelAPI):
    """The mock model, remembering how run_task constructed it."""

    made: list[RecordingAPI] = []

    def __init__(self, model: str | None = "mock", model_args: dict | None = None, *, api_key: str | None = None, **options: Any) -> None:
        super().__init__(model, model_args, api_key=api_key, **options)
        self.api_key = api_key  # the base keeps no key; this test wants to see it arrive
        RecordingAPI.made.append(self)


@pytest.fixture
def recording_api():
    RecordingAPI.made.clear()
    model_apis.register("recording-test", RecordingAPI)
    yield RecordingAPI.made
    model_apis._items.pop("recording-test", None)


#: flag -> (value given, where the adapter sees it)
ADAPTER_FLAGS = {
    "--model": ("rec-model", lambda api: api.model_name),
    "--model-args": ("reply=B,foo=1", lambda api: api.model_args),
    "--chat-template": ("{{ messages[0]['content'] }}", lambda api: api.chat_template or api.model_args.get("chat_template")),
    "--eval-batch-size": ("2", lambda api: api.batch_size),
    "--seed": ("7", lambda api: api.seed),
    "--truncation": ("left", lambda api: api.truncation),
    "--api-url": (None, lambda api: api.api_url),  # value: a real listening port
    "--api-key": ("sk-test-123", lambda api: api.api_key),
    "--timeout": ("9", lambda api: api.timeout),
}
EXPECTED_AT_ADAPTER = {
    "--model": "rec-model",
    "--model-args": {"reply": "B", "foo": 1},
    "--chat-template": "{{ messages[0]['content'] }}",
    "--eval-batch-size": 2,
    "--seed": 7,
    "--truncation": "left",
    "--api-key": "sk-test-123",
    "--timeout": 9.0,
}


def test_model_flags_reach_the_adapter(tmp_path, recording_api, free_port, dataset_dir):
    with socket.socket() as server:  # a service run checks that something listens at --api-url
        server.bind(("127.0.0.1", free_port))
        server.listen()
        url = f"http://127.0.0.1:{free_port}/v1"
        args = ["--model-api", "recording-test", "--eval-type", "service", "--stream", "--datasets", "arc",
                "--limit", "1", "--work-dir", str(tmp_path / "out"), "--dataset-dir", str(dataset_dir)]
        for flag, (value, _where) in ADAPTER_FLAGS.items():
            args += [flag, value if value is not None else url]
        result = run_eval(*args)
    assert result.exit_code == 0, result.output
    (api,) = recording_api
    for flag, (_value, where) in ADAPTER_FLAGS.items():
        expected = url if flag == "--api-url" else EXPECTED_AT_ADAPTER[flag]
        assert where(api) == expected, (flag, where(api))
    assert api.stream is True
    assert api.calls >= 1  # the run went through the adapter


@pytest.mark.slow
def test_chat_template_reaches_the_hf_tokenizer(tmp_path, monkeypatch, dataset_dir):
    """--chat-template (inline or a file) is the template the real HF adapter's tokenizer uses."""
    from evalscope.backends.hf.loader import load_model_and_tokenizer
    from evalscope.backends.hf.model import HFModelAPI

    hf_model, tokenizer, resolved = load_model_and_tokenizer("smollm2-135m-instruct")  # weights loaded once
    made: list[HFModelAPI] = []

    def factory(model: str, model_args: dict, **options: Any) -> HFModelAPI:
        """run_task's construction, minus reloading the weights (a fresh tokenizer object each run)."""
        made.append(HFModelAPI.from_loaded(hf_model, copy.deepcopy(tokenizer), model, resolved, **options))
        return made[-1]

    monkeypatch.setattr(model_apis, "_items", {**model_apis._items})  # the registration ends with the test
    model_apis.register("hf-recording-test", factory)
    template = "{% for m in messages %}<<{{ m['content'] }}>>{% endfor %}{% if add_generation_prompt %}=>{% endif %}"
    template_file = Path(tmp_path / "template.jinja")
    template_file.write_text(template)
    for given in (template, str(template_file)):
        result = run_eval("--model", "smollm2-135m-instruct", "--model-api", "hf-recording-test", "--chat-template", given,
                          "--datasets", "arc", "--dataset-args", '{"arc": {"subset_list": ["ARC-Easy"]}}', "--limit", "1",
                          "--work-dir", str(tmp_path / "out"), "--dataset-dir", str(dataset_dir))
        assert result.exit_code == 0, result.output
        tokenizer = made[-1].tokenizer
        assert tokenizer.chat_template == template
        rendered = tokenizer.apply_chat_template([{"role": "user", "content": "hi"}], tokenize=False, add_generation_prompt=True)
        assert rendered == "<<hi>>=>"
