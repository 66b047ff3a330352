"""Issue 16, item 1: `evalscope compare` pairs two repeats runs by item, on per-item means.

Two real `--repeats 4` runs of five gsm8k items against a scripted server whose per-item share of
right answers is known: compare must pair 5 items (not 20 records), report A and B as the means of
the per-item means, B - A and the MDE from the per-item differences, and test with the paired
bootstrap (McNemar does not apply to means), saying so.
"""

from __future__ import annotations

import json
import math
import statistics

import pytest
from click.testing import CliRunner

from evalscope.cli.compare_cmd import compare_command
from tests.e2e.repeats_runs import ANSWERS_A, item_means, repeats_run

pytestmark = pytest.mark.slow

#: per-item right answers 3, 4, 1, 4 and 0 of 4 (A's: 4, 1, 0, 2, 2)
ANSWERS_B = [
    ["A", "A", "W1", "A"],
    ["A", "A", "A", "A"],
    ["W1", "W2", "A", "W1"],
    ["A", "A", "A", "A"],
    ["W1", "W1", "W2", "W1"],
]


@pytest.fixture(scope="module")
def two_runs(dataset_dir, tmp_path_factory):
    root = tmp_path_factory.mktemp("compare-repeats")
    repeats_run(dataset_dir, root / "a", ANSWERS_A)
    repeats_run(dataset_dir, root / "b", ANSWERS_B)
    return root / "a", root / "b"


def test_compare_pairs_repeats_runs_by_item_on_per_item_means(two_runs):
    a_means, b_means = item_means(ANSWERS_A), item_means(ANSWERS_B)
    diffs = [b - a for a, b in zip(a_means, b_means, strict=True)]
    runner = CliRunner()

    done = runner.invoke(compare_command, [str(two_runs[0]), str(two_runs[1]), "--format", "json"])
    assert done.exit_code == 0, done.output
    (comp,) = json.loads(done.output)
    assert comp["n"] == len(ANSWERS_A)  # items, not the 20 (item, repeat) records
    assert comp["metric"] == "mean_acc"
    assert comp["mean_a"] == pytest.approx(statistics.mean(a_means))  # 0.45
    assert comp["mean_b"] == pytest.approx(statistics.mean(b_means))  # 0.60
    assert comp["diff"] == pytest.approx(statistics.mean(diffs))  # +0.15
    assert comp["test"] == "paired_bootstrap"
    assert comp["b_only_a_right"] is None and comp["repeats_a"] == comp["repeats_b"] == 4
    assert comp["ci_low"] < comp["diff"] < comp["ci_high"]
    assert comp["min_detectable_diff"] == pytest.approx(2.8016 * statistics.stdev(diffs) / math.sqrt(5), rel=1e-3)

    text = runner.invoke(compare_command, [str(two_runs[0]), str(two_runs[1])])
    assert text.exit_code == 0, text.output
    row = next(line for line in text.output.splitlines() if "| gsm8k" in line)
    cells = [c.strip() for c in row.strip("|").split("|")]
    assert cells[2:7] == ["mean_acc", "5", "0.4500", "0.6000", "+0.1500"]
    assert cells[-1] == "paired_bootstrap"
    assert "gsm8k: repeats (A 4, B 4 answers per item): paired by item on per-item means" in text.output
    assert "McNemar does not apply to means" in text.output
