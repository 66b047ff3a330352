"""Collection schema: JSON round trip, strict errors with paths, weight flattening."""

from __future__ import annotations

import json

import pytest

from evalscope.core.collections import CollectionSchema, DatasetInfo
from evalscope.core.serialization import ConfigError

NESTED = {
    "name": "root",
    "datasets": [
        {"name": "math", "weight": 3, "datasets": [{"name": "gsm8k", "tags": ["en"]}, {"name": "arc", "weight": 2}]},
        {"name": "mmlu", "task_type": "knowledge", "args": {"subset_list": ["anatomy"], "few_shot_num": 0}},
    ],
}


def test_round_trip_through_json(tmp_path):
    schema = CollectionSchema.from_dict(NESTED)
    assert isinstance(schema.datasets[0], CollectionSchema)
    assert schema.datasets[1] == DatasetInfo(name="mmlu", task_type="knowledge", args={"subset_list": ["anatomy"], "few_shot_num": 0})
    path = tmp_path / "schema.json"
    schema.dump_json(path)
    assert CollectionSchema.from_json(path) == schema
    assert json.loads(path.read_text())["datasets"][0]["datasets"][1]["weight"] == 2.0


def test_flatten_normalises_weights_down_the_tree():
    leaves = CollectionSchema.from_dict(NESTED).flatten()
    assert [leaf.name for leaf in leaves] == ["gsm8k", "arc", "mmlu"]
    # root: math 3/4, mmlu 1/4; inside math: gsm8k 1/3, arc 2/3
    assert [round(leaf.weight, 6) for leaf in leaves] == [0.25, 0.5, 0.25]
    assert leaves[0].hierarchy == ("root", "math")
    assert leaves[2].hierarchy == ("root",)
    assert sum(leaf.weight for leaf in leaves) == pytest.approx(1.0)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"name": "r", "datasets": [{"name": "m", "datasets": [{"name": "gsm8k", "wieght": 2}]}]}, "(wieght) @ schema.datasets[0].datasets[0]"),
        ({"name": "r", "colour": 1, "datasets": [{"name": "gsm8k"}]}, "(colour) @ schema"),
        ({"name": "r", "datasets": [{"name": "gsm8k", "weight": "heavy"}]}, "@ schema.datasets[0].weight"),
        ({"name": "r", "datasets": [{"name": "gsm8k", "weight": 0}]}, "weight must be positive"),
        ({"name": "r", "datasets": [{"name": "m", "datasets": []}]}, "schema.datasets[0]: collection 'm' has no datasets"),
        ({"name": "r", "datasets": [3]}, "expected a mapping"),
        ({"name": "r", "datasets": [{"name": "arc", "args": {"subset": ["x"]}}]}, "schema.datasets[0].args"),
    ],
)
def test_strict_errors_name_the_path(data, message):
    with pytest.raises(ConfigError) as err:
        CollectionSchema.from_dict(data)
    assert message in str(err.value)


def test_bad_json_file_names_the_line(tmp_path):
    path = tmp_path / "bad.json"
    path.write_text('{"name": "r",\n "datasets": [}')
    with pytest.raises(ConfigError, match=r"bad.json:2: invalid JSON"):
        CollectionSchema.from_json(path)
