"""The arena reads and writes through core's one of each (issue 19): its win-rate and mean-rating
intervals are core's bootstrap of a mean, and `use_cache` finds an earlier arena run as core's run-dir helper does
(a perf run's folder beside it is not an arena run)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from evalscope.arena import run_arena
from evalscope.arena.ratings import Interval, mean_interval, win_record
from evalscope.core.stats import bootstrap_ci

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "judge"))
from judge_server import judge_server  # noqa: E402

from tests.arena.test_arena_run import arena_files, config, fair_judge  # noqa: E402,F401


def test_win_rate_interval_is_cores_bootstrap_of_the_outcomes():
    battles = (
        [("m", "base", 1.0)] * 9 + [("base", "m", 0.5)] * 4 + [("base", "m", 1.0)] * 7 + [("m", "x", 0.0)] * 3
    )
    record = win_record(battles, "m", "base", rounds=300, seed=5)
    outcomes = [1.0] * 9 + [0.5] * 4 + [0.0] * 7  # m's score per battle against base, in battle order
    assert record.win_rate_ci == Interval(*bootstrap_ci(outcomes, 300, 5))
    assert mean_interval([7.0, 8.0, 3.0, 9.0], rounds=200, seed=1) == Interval(
        *bootstrap_ci([7.0, 8.0, 3.0, 9.0], 200, 1)
    )


@pytest.mark.slow
def test_use_cache_of_an_outputs_dir_skips_a_newer_perf_run(arena_files):  # noqa: F811 - the fixture imported above
    with judge_server(fair_judge) as judge:
        first = run_arena(config(arena_files, judge.base_url), print_table=False)
        out = Path(first.run_dir).parent
        perf = out / "29991231_235959"  # a perf run folder, newer by name than the arena run
        perf.mkdir()
        (perf / "run.json").write_text(
            json.dumps({"kind": "perf", "run_id": "p1", "status": "finished"}), encoding="utf-8"
        )
        calls = judge.calls
        again = run_arena(config(arena_files, judge.base_url, use_cache=str(out)), print_table=False)
        assert judge.calls == calls  # every verdict reused from the arena run
    assert again.run_dir == first.run_dir
    assert not (perf / "ratings.json").exists()
