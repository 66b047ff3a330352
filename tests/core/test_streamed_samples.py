"""A large JSONL dataset is never all in memory: its records stream from disk (checked once up
front), the engine takes the samples in one pass, and the report keeps scores, not results.

Memory itself is measured by bench/scale_memory.py; these tests check the behaviour that keeps it
flat: how many Sample and SampleResult objects are alive while a run is under way.
"""

from __future__ import annotations

import gc
import json
import sys
from pathlib import Path

import attrs
import pytest

from evalscope.benchmarks import get_benchmark
from evalscope.config import DatasetArgs
from evalscope.core.benchmark import BenchmarkSpec
from evalscope.core.datasets import DatasetFormatError, read_records
from evalscope.core.events import SampleFinished
from evalscope.core.tasks import DatasetLoader, build_task, load_samples
from evalscope.core.types import RequestKind, Sample, SampleResult
from evalscope.run import run_task

ROWS = 3000


def write_qa(folder: Path, rows: int) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / "default.jsonl", "w", encoding="utf-8") as f:
        for i in range(rows):
            answer = "The answer is A." if i % 3 == 0 else f"answer {i}"
            f.write(json.dumps({"query": f"Question {i}: what is the answer?", "response": answer}) + "\n")
    return folder


def alive(kind: type) -> int:
    gc.collect()
    return sum(1 for o in gc.get_objects() if type(o) is kind)


def general_qa(folder: Path, limit=None):
    spec: BenchmarkSpec = get_benchmark("general_qa")
    args = DatasetArgs(local_path=str(folder))
    task = build_task(spec, args=args, capabilities=frozenset({RequestKind.GENERATE}), generation_config=None, seed=42)
    return load_samples(task, DatasetLoader(None, "local"), args, limit)


def test_streamed_samples_are_not_held_and_each_pass_is_equal(tmp_path):
    before = alive(Sample)
    samples = general_qa(write_qa(tmp_path / "qa", ROWS))
    assert len(samples) == ROWS
    assert alive(Sample) - before < 10, "a JSONL dataset's samples are converted on each pass, not kept"
    first, second = list(samples), list(samples)
    assert first == second and first[1234].id == samples[1234].id
    assert [s.input for s in samples[:2]] == [first[0].input, first[1].input]
    limited = general_qa(tmp_path / "qa", limit=0.1)
    assert len(limited) == ROWS // 10 and [s.id for s in limited] == [s.id for s in first[: ROWS // 10]]


def test_a_bad_record_deep_in_a_streamed_file_fails_before_any_sample_runs(tmp_path):
    folder = write_qa(tmp_path / "qa", 50)
    with open(folder / "default.jsonl", "a", encoding="utf-8") as f:
        f.write(json.dumps({"query": "no response column"}) + "\n")
    with pytest.raises(DatasetFormatError, match=r"default\.jsonl:51"):
        general_qa(folder)
    (folder / "default.jsonl").write_text('{"query": "q", "response": "r"}\n{"query": broken\n', encoding="utf-8")
    with pytest.raises(DatasetFormatError, match=r"default\.jsonl:2: invalid JSON"):
        general_qa(folder)


class CountAlive:
    """A progress sink that counts live samples and results half-way through the run."""

    def __init__(self) -> None:
        self.finished = 0
        self.mid_run: tuple[int, int] | None = None

    def on_event(self, event) -> None:
        if isinstance(event, SampleFinished):
            self.finished += 1
            if self.finished == ROWS // 2:
                self.mid_run = (alive(Sample), alive(SampleResult))


def test_a_run_holds_neither_the_samples_nor_their_results(tmp_path):
    folder = write_qa(tmp_path / "qa", ROWS)
    sink = CountAlive()
    result = run_task(
        {
            "model": "mock", "eval_type": "mock", "datasets": ["general_qa"], "eval_batch_size": 8,
            "dataset_args": {"general_qa": {"local_path": str(folder)}}, "work_dir": str(tmp_path / "out"),
        },
        sink=sink, print_table=False,
    )
    assert sink.mid_run is not None
    samples_alive, results_alive = sink.mid_run
    assert samples_alive < 100 and results_alive < 100, f"{samples_alive} samples, {results_alive} results alive mid-run"
    report = result["general_qa"]
    assert report.metrics[0].num == ROWS and report.counts.scored == ROWS


#: each file this process opens while `OPENS_ON` is set (a `sys.audit` hook: the loader's own
#: opens, not a patched `open`)
OPENS: list[Path] = []
OPENS_ON = [False]


def _audit(event: str, args: tuple) -> None:
    if event == "open" and OPENS_ON[0] and isinstance(args[0], str | Path):
        OPENS.append(Path(args[0]))


sys.addaudithook(_audit)


def gsm8k(dataset_dir: Path, limit=None):
    """gsm8k's samples and 4-shot pool, loaded the way a run plans them, and the files opened."""
    spec: BenchmarkSpec = get_benchmark("gsm8k")
    args = DatasetArgs()
    task = build_task(spec, args=args, capabilities=frozenset({RequestKind.GENERATE}), generation_config=None, seed=42)
    OPENS.clear()
    OPENS_ON[0] = True
    try:
        samples = load_samples(task, DatasetLoader(str(dataset_dir), "local"), args, limit)
    finally:
        OPENS_ON[0] = False
    return samples, task.few_shot_pool, sorted(p.name for p in OPENS if p.parent == dataset_dir / "gsm8k")


@pytest.mark.parametrize("limit", [None, 5, 0.1])
def test_loading_gsm8k_reads_its_test_and_train_files_once(tmp_path, dataset_dir, limit):
    """Planning a run read gsm8k's test file twice (checking its lines, then converting them) and its
    train file twice (the same, for the few-shot pool): each is read once, the samples unchanged."""
    folder = tmp_path / "gsm8k"
    folder.mkdir()
    for name, rows in (("test.jsonl", 200), ("train.jsonl", 50)):
        lines = (dataset_dir / "gsm8k" / name).read_text(encoding="utf-8").splitlines(keepends=True)
        (folder / name).write_text("".join(lines[:rows]), encoding="utf-8")
    samples, pool, opened = gsm8k(tmp_path, limit)
    assert opened == ["test.jsonl", "train.jsonl"]
    spec = get_benchmark("gsm8k")

    def read_whole(name: str) -> list[Sample]:  # the file read into memory, each record converted
        out = [spec.data.record_to_sample(r, i, "main") for i, r in enumerate(read_records(folder / name))]
        return [attrs.evolve(s, subset="main") for s in out]

    expected = read_whole("test.jsonl")[: {None: 200, 5: 5, 0.1: 20}[limit]]
    assert list(samples) == list(samples) == expected  # each pass the same samples, ids and order
    assert pool == {"main": read_whole("train.jsonl")}
