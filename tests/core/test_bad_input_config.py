"""Bad configs: every malformed file or value is a ConfigError naming the file, line or field and
what was expected -- checked before any object is built, fast, and never echoing a huge value."""

from __future__ import annotations

import json
import time

import pytest

from evalscope.config import (
    MAX_CONFIG_BYTES,
    ConfigError,
    TaskConfig,
    load_config_file,
    normalise_limit,
    parse_kv_pairs,
)
from evalscope.core.serialization import MAX_MESSAGE_CHARS

SHORT = MAX_MESSAGE_CHARS + 1  # no error message about a config is longer than this


def config_error(path) -> str:
    with pytest.raises(ConfigError) as info:
        load_config_file(path)
    message = str(info.value)
    assert "\n" not in message and len(message) < SHORT, message
    return message


# -- keys and types ----------------------------------------------------------------------------


def test_misspelled_key_names_file_and_suggests(tmp_path):
    path = tmp_path / "task.yaml"
    path.write_text("modle: qwen\ndatasets: [gsm8k]\n")
    message = config_error(path)
    assert message.startswith(f"{path}: unknown key 'modle'. Did you mean: model")


def test_misspelled_nested_key_names_its_path(tmp_path):
    path = tmp_path / "task.yaml"
    path.write_text("datasets: [gsm8k]\ndataset_args:\n  gsm8k:\n    fewshot_num: 3\ngeneration_config:\n  temprature: 0\n")
    message = config_error(path)
    assert f"{path}: dataset_args['gsm8k']: unknown key 'fewshot_num'. Did you mean: few_shot_num" in message
    assert "generation_config: unknown key 'temprature'. Did you mean: temperature" in message


def test_unknown_key_without_a_close_match_lists_the_known_ones(tmp_path):
    path = tmp_path / "task.json"
    path.write_text(json.dumps({"zzzz": 1}))
    message = config_error(path)
    assert "unknown key 'zzzz'" in message and "known keys: model, model_id" in message


@pytest.mark.parametrize(
    "text, fragment",
    [
        ("limit: lots\n", "limit: expected"),
        ("eval_batch_size: [1, 2]\n", "eval_batch_size: expected int, got list"),
        ("stream: 'yes please'\n", "stream: expected bool, got str"),
        ("datasets: [gsm8k, 3]\n", "datasets[1]: expected str, got int 3"),
        ("eval_type: servise\n", "eval_type: must be one of checkpoint, service"),
        ("generation_config: {max_length: 10}\n", "generation_config.max_length: not supported"),
    ],
)
def test_wrong_type_names_file_and_field(tmp_path, text, fragment):
    path = tmp_path / "task.yaml"
    path.write_text(text)
    message = config_error(path)
    assert message.startswith(f"{path}: ") and fragment in message


def test_list_file_names_the_task_index(tmp_path):
    path = tmp_path / "tasks.json"
    path.write_text(json.dumps([{"model": "a"}, {"model": "b", "seed": "x"}]))
    assert config_error(path).startswith(f"{path}[1]: seed: expected int, got str 'x'")


# -- file level -----------------------------------------------------------------------------------


def test_not_utf8_names_line_and_byte(tmp_path):
    path = tmp_path / "task.yaml"
    path.write_bytes(b"datasets: [gsm8k]\nmodel: caf\xe9\n")
    assert config_error(path) == f"{path}:2: not UTF-8 text (byte 0xe9 at column 11); save the file as UTF-8"


def test_utf8_byte_order_mark_is_accepted(tmp_path):
    path = tmp_path / "task.yaml"
    path.write_bytes("model: café\n".encode("utf-8-sig"))
    assert load_config_file(path).model == "café"


def test_yaml_syntax_error_names_line(tmp_path):
    path = tmp_path / "task.yaml"
    path.write_text("model: m\ndatasets: [gsm8k\nlimit: 3\n")
    assert config_error(path).startswith(f"{path}:")
    assert "invalid YAML" in config_error(path)


def test_json_syntax_error_names_line_and_column(tmp_path):
    path = tmp_path / "task.json"
    path.write_text('{\n  "model": "m",\n  "limit": ,\n}')
    assert config_error(path).startswith(f"{path}:3: invalid JSON (Expecting value at column 12)")


def test_duplicate_key_names_its_line(tmp_path):
    path = tmp_path / "task.yaml"
    path.write_text("model: m\nlimit: 3\nlimit: 30\n")
    assert config_error(path) == f"{path}:3: invalid YAML (key 'limit' is given twice)"


@pytest.mark.parametrize("text, fragment", [("", "the file is empty"), ("# only a comment\n", "expected a mapping"), ("- 1\n- 2\n", "[0]: expected a mapping")])
def test_empty_or_shapeless_file(tmp_path, text, fragment):
    path = tmp_path / "task.yaml"
    path.write_text(text)
    assert fragment in config_error(path)


def test_python_tags_are_refused(tmp_path):
    path = tmp_path / "task.yaml"
    path.write_text('model: !!python/object/apply:os.system ["touch pwned"]\n')
    assert "could not determine a constructor" in config_error(path)
    assert not (tmp_path / "pwned").exists()


def test_missing_file_and_directory(tmp_path):
    assert config_error(tmp_path / "nope.yaml") == f"{tmp_path / 'nope.yaml'}: no such config file"
    assert config_error(tmp_path) == f"{tmp_path}: not a file"


# -- hostile documents: refused before anything is built, fast, with a short message ----------


def test_yaml_alias_bomb_is_refused_fast(tmp_path):
    """Nine levels of nine aliases would expand to 9**9 strings when walked."""
    lines = ['l0: &l0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for level in range(1, 10):
        refs = ",".join([f"*l{level - 1}"] * 9)
        lines.append(f"l{level}: &l{level} [{refs}]")
    lines.append("model: *l9")
    path = tmp_path / "bomb.yaml"
    path.write_text("\n".join(lines) + "\n")
    started = time.perf_counter()
    message = config_error(path)
    assert time.perf_counter() - started < 10  # ~10 ms; walking the 9**9 strings takes minutes and GiBs
    assert message == f"{path}:2: invalid YAML (aliases (*l0) are not allowed in config files; write the value out)"


def test_even_one_alias_is_refused_but_anchors_alone_are_fine(tmp_path):
    path = tmp_path / "merge.yaml"
    path.write_text("base: &b {temperature: 0}\ngeneration_config:\n  <<: *b\n")
    assert "aliases (*b) are not allowed" in config_error(path)
    path.write_text("model: &name qwen\n")
    assert load_config_file(path).model == "qwen"


def test_oversized_document_is_refused_before_parsing(tmp_path, monkeypatch):
    import evalscope.config as config

    def must_not_parse(*_args, **_kwargs):
        raise AssertionError("the oversized file was parsed")

    monkeypatch.setattr(config, "_parse_yaml", must_not_parse)
    path = tmp_path / "big.yaml"
    path.write_text("model: " + "x" * (MAX_CONFIG_BYTES + 10) + "\n")
    message = config_error(path)
    assert message == f"{path}: {MAX_CONFIG_BYTES + 18} bytes is too large for a config file (limit {MAX_CONFIG_BYTES} bytes)"


@pytest.mark.parametrize("suffix, text", [(".json", "[" * 200_000 + "]" * 200_000), (".yaml", "[" * 200_000 + "]" * 200_000)])
def test_deep_nesting_is_an_error_not_a_crash(tmp_path, suffix, text):
    path = tmp_path / f"deep{suffix}"
    path.write_text(text)
    assert "nested too deeply" in config_error(path)


@pytest.mark.parametrize(
    "text, fragment",
    [
        ("eval_type: " + "y" * 500_000 + "\n", "eval_type: must be one of checkpoint, service, custom, mock, not 'yyy"),
        ("seed: [" + ", ".join(["1"] * 50_000) + "]\n", "seed: expected int, got list [1, 1, 1, 1, 1, 1, ...] (50000 items)"),
        ("model: " + "m" * 500_000 + "\nlimit: " + "9" * 5000 + ".5\n", "limit: "),
        ("model: {" + ", ".join(f"k{i}: {i}" for i in range(20_000)) + "}\n", "model: expected str, got dict"),
    ],
)
def test_huge_value_is_not_echoed(tmp_path, text, fragment):
    path = tmp_path / "task.yaml"
    path.write_text(text)
    message = config_error(path)  # also checks the message is short
    assert fragment in message


# -- the one limit rule -------------------------------------------------------------------------


@pytest.mark.parametrize("value, expected", [(5, 5), (5.0, 5), (1.0, 1), (1, 1), (0.5, 0.5), (0.01, 0.01), (None, None)])
def test_limit_rule(value, expected):
    got = TaskConfig.from_dict({"limit": value}).limit
    assert got == expected and type(got) is type(expected)
    assert normalise_limit(value) == expected


@pytest.mark.parametrize("value, fragment", [(1.5, "neither a whole count nor a fraction below 1"), (0, "must be positive"), (-2, "must be positive"), (0.0, "must be positive")])
def test_limit_rule_errors(tmp_path, value, fragment):
    path = tmp_path / "task.yaml"
    path.write_text(f"limit: {value}\n")
    message = config_error(path)
    assert message.startswith(f"{path}: limit: ") and fragment in message


# -- --model-args / --generation-config text --------------------------------------------------


def test_kv_pairs_and_json_objects():
    assert parse_kv_pairs("precision=float16,device_map=cpu", where="--model-args") == {"precision": "float16", "device_map": "cpu"}
    assert parse_kv_pairs('{"precision": "float16", "max_memory": {"0": "1GB"}}', where="--model-args") == {
        "precision": "float16",
        "max_memory": {"0": "1GB"},
    }


@pytest.mark.parametrize(
    "text, fragment",
    [
        ('{"precision": }', "--model-args: not valid JSON (Expecting value at column 15)"),
        ('{"precision": "x"', "--model-args: not valid JSON"),
        ("precision", "--model-args: expected key=value, got 'precision'"),
        ("=float16", "--model-args: expected key=value"),
        ("precision=a,precision=b", "--model-args: 'precision' is given twice"),
    ],
)
def test_kv_pair_errors_name_the_flag(text, fragment):
    with pytest.raises(ConfigError) as info:
        parse_kv_pairs(text, where="--model-args")
    assert fragment in str(info.value)


def test_kv_values_never_expand_aliases():
    assert parse_kv_pairs("a=*x,b=[*x]", where="--model-args") == {"a": "*x", "b": "[*x]"}
