"""TaskConfig structuring from dicts, files, lists and the CLI; errors name the key and path."""

from __future__ import annotations

import json

import pytest

from evalscope.config import ConfigError, TaskConfig, load_config_file, parse_kv_pairs
from evalscope.run import as_task_configs


def test_dict_structures_nested_dataset_args_and_generation_config():
    cfg = TaskConfig.from_dict(
        {
            "model": "Qwen/Qwen2.5-0.5B-Instruct",
            "datasets": ["gsm8k", "arc"],
            "dataset_args": {"gsm8k": {"few_shot_num": 0, "filters": ["strip_think"]}},
            "generation_config": {"max_new_tokens": 64, "temperature": 0},
            "limit": 5,
        }
    )
    assert cfg.args_for("gsm8k").few_shot_num == 0
    assert cfg.args_for("arc").few_shot_num is None
    assert cfg.generation_config.max_tokens == 64  # max_new_tokens is EvalScope's spelling
    assert cfg.generation_config.temperature == 0.0
    assert cfg.resolved_model_id == "Qwen2.5-0.5B-Instruct"


@pytest.mark.parametrize(
    "data, fragment",
    [
        ({"modle": "x"}, "config: unknown key 'modle'. Did you mean: model"),
        ({"limit": "abc"}, "config: limit: expected"),
        ({"dataset_args": {"gsm8k": {"fewshot": 1}}}, "config: dataset_args['gsm8k']: unknown key 'fewshot'"),
        ({"generation_config": {"temperature": "hot"}}, "config: generation_config.temperature: expected"),
        ({"generation_config": {"max_length": 3}}, "generation_config.max_length"),
        ({"eval_type": "foo"}, "eval_type: must be one of"),
        ({"eval_batch_size": 0}, "eval_batch_size: must be positive"),
        ({"datasets": [1]}, "config: datasets[0]: expected str"),
        ({"stream": "false"}, "config: stream: expected bool"),
    ],
)
def test_bad_input_names_the_key(data, fragment):
    with pytest.raises(ConfigError) as info:
        TaskConfig.from_dict(data)
    assert fragment in str(info.value)


def test_eval_type_aliases():
    assert TaskConfig.from_dict({"eval_type": "openai_api"}).eval_type == "service"
    assert TaskConfig.from_dict({"eval_type": "llm_ckpt"}).eval_type == "checkpoint"


def test_yaml_json_and_list_files(tmp_path):
    yaml_file = tmp_path / "cfg.yaml"
    yaml_file.write_text("model: m\ndatasets: [gsm8k]\nlimit: 3\n")
    json_file = tmp_path / "cfg.json"
    json_file.write_text(json.dumps([{"model": "a", "datasets": ["arc"]}, {"model": "b", "datasets": ["mmlu"]}]))
    one = load_config_file(yaml_file)
    assert isinstance(one, TaskConfig) and one.limit == 3
    many = as_task_configs(str(json_file))
    assert [c.model for c in many] == ["a", "b"]


def test_file_errors_name_file_and_line(tmp_path):
    bad_yaml = tmp_path / "bad.yaml"
    bad_yaml.write_text("model: m\ndatasets: [gsm8k\n")
    with pytest.raises(ConfigError, match=r"bad.yaml:\d+"):
        load_config_file(bad_yaml)
    bad_key = tmp_path / "key.json"
    bad_key.write_text(json.dumps([{"model": "a"}, {"modle": "b"}]))
    with pytest.raises(ConfigError, match=r"key.json\[1\]"):
        load_config_file(bad_key)


def test_kv_pairs_are_typed_never_evaluated():
    parsed = parse_kv_pairs("revision=main,precision=float32,max_tokens=64,do_sample=false,stop=[a,b]", where="--x")
    assert parsed == {"revision": "main", "precision": "float32", "max_tokens": 64, "do_sample": False, "stop": ["a", "b"]}
    # a Python expression stays a string: nothing is executed
    assert parse_kv_pairs("x=__import__('os').getcwd()", where="--x")["x"] == "__import__('os').getcwd()"
    with pytest.raises(ConfigError, match="--x"):
        parse_kv_pairs("novalue", where="--x")


def test_api_key_is_hidden_from_repr_and_dumps():
    cfg = TaskConfig.from_dict({"api_key": "sk-very-secret"})
    assert "sk-very-secret" not in repr(cfg)
    assert cfg.to_dict()["api_key"] == "***"
