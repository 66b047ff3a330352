"""Plug-ins installed as packages (entry points) are chosen by name from the CLI, with no code:
a model provider (`--model-api`), a dataset source (`--dataset-hub`) and a metric (`metric_list`)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

PLUGIN = '''
from evalscope.core.metrics import Metric
from evalscope.core.ports import DatasetSource, ModelAPI
from evalscope.core.types import ModelOutput, RequestKind


class ShoutAPI(ModelAPI):
    """Answers every question with its option D, in capitals."""

    capabilities = frozenset({RequestKind.GENERATE})

    async def call(self, requests):
        return [ModelOutput(text="THE ANSWER IS D.") for _ in requests]


class TinySource(DatasetSource):
    name = "tiny"

    def load(self, ref):
        return [
            {"id": f"q{i}", "question": f"Question {i}?", "choices": {"text": ["w", "x", "y", "z"], "label": list("ABCD")},
             "answerKey": "D" if i % 2 else "A"}
            for i in range(4)
        ]


SHOUTED = Metric("shouted", "the answer is in capitals", score=lambda prediction, reference: 1.0)
'''

DIST_INFO_METADATA = "Metadata-Version: 2.1\nName: evalscope-shout\nVersion: 0.1\n"
ENTRY_POINTS = """
[evalscope.model_apis]
shout = shout_plugin:ShoutAPI

[evalscope.dataset_sources]
tiny = shout_plugin:TinySource

[evalscope.metrics]
shouted = shout_plugin:SHOUTED
"""


def _install_plugin(root: Path) -> None:
    (root / "shout_plugin.py").write_text(textwrap.dedent(PLUGIN))
    info = root / "evalscope_shout-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(DIST_INFO_METADATA)
    (info / "entry_points.txt").write_text(ENTRY_POINTS)


def test_plugins_are_chosen_by_name_from_the_cli(tmp_path):
    plugins = tmp_path / "site"
    plugins.mkdir()
    _install_plugin(plugins)
    env = {k: v for k, v in os.environ.items() if k != "EVALSCOPE_DATASET_DIR"}
    env["PYTHONPATH"] = str(plugins)
    out = tmp_path / "out"
    cmd = [
        sys.executable, "-m", "evalscope.cli.main", "eval", "--model", "loud", "--model-api", "shout",
        "--datasets", "arc", "--dataset-hub", "tiny", "--dataset-args",
        json.dumps({"arc": {"subset_list": ["ARC-Easy"], "metric_list": ["AverageAccuracy", "shouted"]}}),
        "--work-dir", str(out), "--no-timestamp", "--store", "workdir",
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 0, proc.stderr
    report = json.loads((out / "reports" / "loud" / "arc.json").read_text())
    scores = {m["name"]: m["score"] for m in report["metrics"]}
    assert scores == {"AverageAccuracy": 0.5, "shouted": 1.0}  # D is right for 2 of the 4 questions
    assert report["metrics"][0]["num"] == 4

    wrong = subprocess.run([*cmd[:7], "shot", *cmd[8:]], capture_output=True, text=True, env=env, timeout=60)
    assert wrong.returncode != 0
    assert "Did you mean: shout" in wrong.stderr and "Traceback" not in wrong.stderr
