"""`--executor ray`: samples sharded across Ray actors write the same records and report as a local
run; a worker killed with SIGKILL loses nothing (its shards go to the other worker) and nothing is
recorded twice; settings are checked before any actor starts.

One local Ray (127.0.0.1, no dashboard) serves the module; each run starts its own actors.
"""

from __future__ import annotations

import os
import signal
import threading
import time

import attrs
import pytest

from evalscope.core.events import SampleFinished
from evalscope.core.models.mock import MockModelAPI
from evalscope.core.ports import ResultFilter
from evalscope.core.serialization import ConfigError
from evalscope.core.stores import open_reader
from evalscope.core.types import SampleStatus
from evalscope.run import run_task

ray = pytest.importorskip("ray", reason="Ray is not installed (pip install evalscope-backends[ray])")
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module", autouse=True)
def local_ray():
    os.environ.setdefault("RAY_AUTH_MODE", "disabled")
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    ray.init(num_cpus=2, include_dashboard=False, _node_ip_address="127.0.0.1", log_to_driver=False)
    yield
    ray.shutdown()


def config(tmp_path, dataset_dir, name: str, **extra) -> dict:
    return {"model": "mock", "eval_type": "mock", "datasets": ["arc", "gsm8k"], "limit": 8,
            "dataset_dir": str(dataset_dir), "work_dir": str(tmp_path / name), "no_timestamp": True,
            "eval_batch_size": 2, **extra}


def records(run_dir) -> dict:
    """Every stored sample of a run: what was asked (request key), answered and scored."""
    reader = open_reader(run_dir / "evalscope.db")
    (run,) = reader.list_runs()
    out = {}
    for r in reader.iter_results(run.run_id):
        out[(r.subset, r.sample_id)] = (r.request_key, r.output.text, r.output.scores, r.prediction, r.scores, r.status)
    return out


def scores(result) -> dict:
    return {name: attrs.evolve(report, stats=None) for name, report in result.items()}


def test_ray_run_writes_what_a_local_run_writes(tmp_path, dataset_dir):
    local = run_task(config(tmp_path, dataset_dir, "local"), print_table=False)
    events = []

    class Sink:
        def on_event(self, event):
            events.append(event)

    distributed = run_task(
        config(tmp_path, dataset_dir, "ray", executor="ray", executor_args={"workers": 2, "shard_size": 3}),
        print_table=False, sink=Sink(),
    )
    assert scores(distributed) == scores(local)
    assert records(tmp_path / "ray") == records(tmp_path / "local")
    finished = [e for e in events if isinstance(e, SampleFinished)]
    assert len(finished) == 16 + 8 and len({(e.dataset, e.subset, e.sample_id) for e in finished}) == 24
    # the predictions files match a local run's line for line (JSONL work dir store)
    for path in sorted((tmp_path / "local" / "predictions").rglob("*.jsonl")):
        twin = tmp_path / "ray" / path.relative_to(tmp_path / "local")
        assert len(twin.read_text().splitlines()) == len(path.read_text().splitlines()), path.name


def _worker_pids() -> list[int]:
    import psutil

    me = psutil.Process()
    found = []
    for proc in psutil.process_iter(["cmdline"]):
        cmd = " ".join(proc.info["cmdline"] or [])
        if cmd.startswith("ray::EvalWorker"):
            found.append(proc.pid)
    return [pid for pid in found if pid != me.pid]


def test_a_killed_worker_loses_nothing_and_nothing_is_recorded_twice(tmp_path, dataset_dir, caplog):
    """SIGKILL one of two workers part-way: its shards are redone by the other worker."""
    killed: list[int] = []
    seen: list[tuple[str, str]] = []

    class KillOnce:
        def on_event(self, event):
            if isinstance(event, SampleFinished):
                seen.append((event.subset, event.sample_id))
                if len(seen) == 6 and not killed:
                    pids = _worker_pids()
                    assert len(pids) == 2
                    os.kill(pids[0], signal.SIGKILL)
                    killed.append(pids[0])

    cfg = config(tmp_path, dataset_dir, "ray", executor="ray", model_args={"delay": 0.05}, datasets=["arc"], limit=20,
                 executor_args={"workers": 2, "shard_size": 2, "replacements": 0})
    result = run_task(cfg, print_table=False, sink=KillOnce())
    assert killed, "a worker must have been killed part-way"
    assert any("died" in r.message for r in caplog.records)
    assert len(seen) == len(set(seen)) == 40, "every sample finished exactly once"
    assert result["arc"].metrics[0].num == 40
    got = records(tmp_path / "ray")
    assert len(got) == 40 and all(status.value == "scored" for *_, status in got.values())
    local = run_task(config(tmp_path, dataset_dir, "local", datasets=["arc"], limit=20), print_table=False)
    assert scores(result) == scores(local) and got == records(tmp_path / "local")


def test_a_replacement_worker_takes_over(tmp_path, dataset_dir, caplog):
    """With one worker and one replacement allowed, killing the worker does not stop the run."""
    done = []

    class KillOnce:
        def on_event(self, event):
            if isinstance(event, SampleFinished):
                done.append(event)
                if len(done) == 4:
                    threading.Thread(target=lambda: os.kill(_worker_pids()[0], signal.SIGKILL)).start()

    cfg = config(tmp_path, dataset_dir, "ray", executor="ray", model_args={"delay": 0.05}, datasets=["arc"], limit=10,
                 executor_args={"workers": 1, "shard_size": 2, "replacements": 1})
    result = run_task(cfg, print_table=False, sink=KillOnce())
    assert result["arc"].metrics[0].num == 20
    assert any("in its place" in r.message for r in caplog.records)
    reader = open_reader(tmp_path / "ray" / "evalscope.db")
    (run,) = reader.list_runs()
    assert reader.count_results(run.run_id) == reader.count_results(run.run_id, ResultFilter(status=SampleStatus.SCORED)) == 20


def test_losing_every_worker_stops_the_run_and_use_cache_finishes_it(tmp_path, dataset_dir):
    from evalscope.backends.executors.ray_executor import AllWorkersLostError

    class KillAll:
        def __init__(self):
            self.done = 0

        def on_event(self, event):
            if isinstance(event, SampleFinished):
                self.done += 1
                if self.done == 4:
                    for pid in _worker_pids():
                        os.kill(pid, signal.SIGKILL)

    cfg = config(tmp_path, dataset_dir, "ray", executor="ray", model_args={"delay": 0.05}, datasets=["arc"], limit=10,
                 executor_args={"workers": 1, "shard_size": 2, "replacements": 0})
    with pytest.raises(AllWorkersLostError, match="use-cache"):
        run_task(cfg, print_table=False, sink=KillAll())
    stored = len(records(tmp_path / "ray"))
    assert 4 <= stored < 20
    resumed = run_task({**cfg, "executor": "local", "use_cache": str(tmp_path / "ray")}, print_table=False)
    assert resumed["arc"].metrics[0].num == 20 and len(records(tmp_path / "ray")) == 20


def test_settings_are_checked_before_actors_start(tmp_path, dataset_dir):
    with pytest.raises(ConfigError, match=r"executor_args.*worker"):
        run_task(config(tmp_path, dataset_dir, "a", executor="ray", executor_args={"worker": 2}), print_table=False)
    with pytest.raises(ConfigError, match="Did you mean: ray"):
        run_task(config(tmp_path, dataset_dir, "b", executor="rya"), print_table=False)
    with pytest.raises(ConfigError, match="model object"):
        run_task(config(tmp_path, dataset_dir, "c", executor="ray"), model=MockModelAPI(), print_table=False)


def test_cli_flags_reach_the_executor(tmp_path, dataset_dir):
    from click.testing import CliRunner

    from evalscope.cli.main import main

    started = time.perf_counter()
    result = CliRunner().invoke(main, [
        "eval", "--model", "mock", "--eval-type", "mock", "--datasets", "arc", "--limit", "3",
        "--dataset-dir", str(dataset_dir), "--work-dir", str(tmp_path / "cli"), "--no-timestamp",
        "--executor", "ray", "--executor-args", "workers=2,shard_size=1",
    ])
    assert result.exit_code == 0, result.output
    assert "OVERALL" in result.output and time.perf_counter() - started < 120
    assert len(records(tmp_path / "cli")) == 6


def test_ray_shards_repeats_like_a_local_run(tmp_path, dataset_dir):
    """repeats: each (sample, repeat) is a unit of work; a Ray run stores the same k records per
    item (`<id>@r<k>`) and the same mean/pass@k/vote@k report as a local run."""
    extra = {"datasets": ["gsm8k"], "limit": 4, "repeats": 3}
    local = run_task(config(tmp_path, dataset_dir, "local", **extra), print_table=False)
    distributed = run_task(
        config(tmp_path, dataset_dir, "ray", executor="ray", executor_args={"workers": 2, "shard_size": 2}, **extra),
        print_table=False,
    )
    assert scores(distributed) == scores(local)
    assert [m.name for m in local["gsm8k"].metrics] == ["mean_acc", "pass@1", "pass@2", "pass@3", "vote@3"]
    stored = records(tmp_path / "ray")
    assert stored == records(tmp_path / "local")
    assert len(stored) == 12 and sum("@r" in sid for _, sid in stored) == 8
