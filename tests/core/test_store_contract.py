"""The ResultStore read side, one contract for every store: the work-dir files, SQLite and PostgreSQL.

A run is written through the write side (predictions, reviews of every status, reports, run state),
then read back through a reader opened by location (`open_reader`): runs, reports, per-sample
results with every filter field and paging. Also: run ids stay unique when run dirs share a name,
old SQLite files and old run dirs are read (and migrated), and two processes writing at once lose
nothing.

PostgreSQL runs when EVALSCOPE_TEST_PG_URL names a server (`.ci/run` starts one with
`scripts/pg_test_server.sh`); each test gets a database of its own there.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import attrs
import pytest

from evalscope.core.ports import ResultFilter, ResultStore, RunInfo, new_run_id
from evalscope.core.report import build_report
from evalscope.core.serialization import ConfigError
from evalscope.core.stores import WorkDirStore, open_reader
from evalscope.core.types import ChatMessage, ModelOutput, Sample, SampleResult, SampleStatus
from tests.pg import PG_KIND, SQL_KINDS, pg_database

KINDS = ["workdir", "sqlite", PG_KIND]
S = SampleStatus


@attrs.define
class Harness:
    """Writes runs of one store kind under `tmp` and opens readers the way a user would."""

    kind: str
    tmp: Path
    db_name: str = "shared.db"
    #: the database of this test on the PostgreSQL server (kind "postgresql")
    pg_url: str | None = None

    @property
    def db_url(self) -> str:
        if self.kind == PG_KIND:
            return self.pg_url
        return f"sqlite:///{self.tmp / self.db_name}"

    def outputs(self, root: str = "outputs") -> Path:
        return self.tmp / root

    def writer(self) -> ResultStore:
        if self.kind == "workdir":
            return WorkDirStore()
        from evalscope.backends.store.sqlite import SQLiteResultStore

        return SQLiteResultStore(self.db_url)  # every run into one database

    def reader(self, root: str = "outputs") -> ResultStore:
        return open_reader(self.db_url if self.kind in SQL_KINDS else str(self.outputs(root)))

    def new_run(self, name: str, root: str = "outputs", **fields) -> RunInfo:
        return RunInfo(
            run_id=new_run_id(),
            work_dir=str(self.outputs(root) / name),
            model_id="qwen/Qwen2-0.5B",
            config={"model": "qwen/Qwen2-0.5B", "api_key": None},
            started_at=1_700_000_000.0,
            name=name,
            **fields,
        )


@pytest.fixture(params=KINDS)
def harness(request, tmp_path) -> Harness:
    if request.param == PG_KIND:
        with pg_database() as url:
            yield Harness(request.param, tmp_path, pg_url=url)
        return
    yield Harness(request.param, tmp_path)


def result(sid: str, subset: str, question: str, answer: str, status: SampleStatus = S.PREDICTED) -> SampleResult:
    return SampleResult(
        sample_id=sid,
        subset=subset,
        request_key=f"abc123:key{sid}",
        output=ModelOutput(text=answer, model="m"),
        sample=Sample(id=sid, input=[ChatMessage("user", question)], target="A", subset=subset),
        gold="A",
        status=status,
    )


def reviewed(r: SampleResult, status: SampleStatus, prediction=None, scores=None, error=None, details=None) -> SampleResult:
    return attrs.evolve(
        r, prediction=prediction, scores=scores or {}, status=status, error=error, details=details or {}, filtered=r.output.text
    )


# gsm8k/main: every status; gsm8k/other: ids that sort differently as text and as numbers; arc: two metrics
def write_standard_run(h: Harness, name: str = "20250101_120000", root: str = "outputs") -> tuple[RunInfo, dict]:
    run = h.new_run(name, root, datasets=["gsm8k"])
    store = h.writer()
    store.open(run)
    samples = {
        ("gsm8k", "main", "0"): reviewed(result("0", "main", "What is 2+2?", "The answer is A"), S.SCORED, "A", {"acc": 1.0},
                                        details={"judge": {"prompt": "grade it", "verdict": "CORRECT"}}),
        ("gsm8k", "main", "1"): reviewed(result("1", "main", "Capital of France?", "Paris, Köln"), S.SCORED, "B", {"acc": 0.0}),
        ("gsm8k", "main", "2"): attrs.evolve(result("2", "main", "Timeout q", ""), status=S.ERROR, error="ReadTimeout: 30s",
                                             output=ModelOutput(error="ReadTimeout: 30s")),
        ("gsm8k", "main", "3"): reviewed(result("3", "main", "Write code", "def f(): pass"), S.SKIPPED,
                                        error="no usable sandbox", details={"sandbox": "docker missing"}),
        ("gsm8k", "main", "4"): reviewed(result("4", "main", "Judge me", 'He said "yes"'), S.INVALID,
                                        error="judge verdict did not parse", details={"raw": "maybe?"}),
        ("gsm8k", "main", "5"): result("5", "main", "Only predicted", "not reviewed yet"),
        ("gsm8k", "other", "10"): attrs.evolve(reviewed(result("10", "other", "答案是什么", "答 A"), S.SCORED, "A", {"acc": 1.0}),
                                               gold=["Zebra", "A"]),
        ("gsm8k", "other", "9"): reviewed(result("9", "other", "Nine", "no idea"), S.SCORED, "QUUX-pred", {"acc": 0.0}),
        ("arc", "ARC-Easy", "7"): reviewed(result("7", "ARC-Easy", "Pick one", "B"), S.SCORED, "B", {"f1": 0.25, "acc": 1.0}),
        ("arc", "ARC-Easy", "8"): reviewed(result("8", "ARC-Easy", "Pick two", "C"), S.SCORED, "C", {"f1": 0.75, "acc": 0.0}),
    }
    for (dataset, _, _), r in samples.items():
        if r.status is S.ERROR:
            store.save_prediction(dataset, r)
        else:  # what the engine stores before reviewing
            store.save_prediction(dataset, attrs.evolve(r, status=S.PREDICTED, error=None, scores={}, prediction=None, details={}))
        if r.status not in (S.PREDICTED, S.ERROR):
            store.save_review(dataset, r)
    reports = {}
    for dataset in ("gsm8k", "arc"):
        scored = [r for (d, _, _), r in samples.items() if d == dataset and r.status is S.SCORED]
        reports[dataset] = build_report(dataset=dataset, model=run.model_id, results=scored)
        store.save_report(reports[dataset])
    run = attrs.evolve(run, status="finished", finished_at=1_700_000_100.0, datasets=["gsm8k", "arc"], model_identity="abc123")
    store.update_run(run)
    store.close()
    return run, {"samples": samples, "reports": reports}


def keys(results) -> list[tuple[str, str]]:
    return [(r.subset, r.sample_id) for r in results]


def ordered_keys(samples: dict, dataset: str | None = None) -> list[tuple[str, str]]:
    return [(sub, sid) for (d, sub, sid) in sorted(samples) if dataset in (None, d)]


def test_runs_and_reports_read_back(harness):
    run, written = write_standard_run(harness)
    reader = harness.reader()
    (found,) = reader.list_runs()
    assert (found.run_id, found.name, found.model_id) == (run.run_id, "20250101_120000", "qwen/Qwen2-0.5B")
    assert (found.model_identity, found.kind, found.status, found.finished_at) == ("abc123", "eval", "finished", 1_700_000_100.0)
    assert found.datasets == ["gsm8k", "arc"] and found.started_at == 1_700_000_000.0
    assert reader.list_runs(kind="eval") == [found] and reader.list_runs(kind="perf") == []
    assert reader.find_run(run.run_id) == found and reader.find_run("20250101_120000") == found
    assert reader.find_run("nope") is None
    assert reader.load_reports(run.run_id) == [written["reports"]["gsm8k"], written["reports"]["arc"]]
    with pytest.raises(LookupError, match="no run"):
        reader.load_reports("missing")
    with pytest.raises(LookupError, match="no run"):
        list(reader.iter_results("missing"))


def test_every_sample_with_its_status_and_details(harness):
    run, written = write_standard_run(harness)
    reader = harness.reader()
    results = list(reader.iter_results(run.run_id))
    samples = written["samples"]
    # dataset, subset, then sample id as text ("10" before "9")
    assert [(d, sub, sid) for (d, sub, sid) in sorted(samples)] == [
        ("arc", "ARC-Easy", "7"), ("arc", "ARC-Easy", "8"),
        *[("gsm8k", "main", str(i)) for i in range(6)],
        ("gsm8k", "other", "10"), ("gsm8k", "other", "9"),
    ]
    assert keys(results) == ordered_keys(samples)
    by_key = {(r.subset, r.sample_id): r for r in results}
    for (_, sub, sid), expected in samples.items():
        got = by_key[(sub, sid)]
        assert got.status is expected.status, (sub, sid)
        assert (got.error, got.details, got.scores, got.prediction) == (
            expected.error, expected.details, expected.scores, expected.prediction
        ), (sub, sid)
        assert got.sample == expected.sample and got.output.text == expected.output.text
        assert got.request_key == expected.request_key
    assert by_key[("main", "0")].details["judge"]["verdict"] == "CORRECT"
    assert by_key[("main", "5")].scores == {} and by_key[("main", "5")].filtered is None
    assert reader.count_results(run.run_id) == len(samples)


FILTERS: list[tuple[str, ResultFilter, list[tuple[str, str]]]] = [
    ("dataset", ResultFilter(dataset="arc"), [("ARC-Easy", "7"), ("ARC-Easy", "8")]),
    ("subset", ResultFilter(subset="other"), [("other", "10"), ("other", "9")]),
    ("dataset+subset", ResultFilter(dataset="gsm8k", subset="ARC-Easy"), []),
    ("scored", ResultFilter(status=S.SCORED), [("ARC-Easy", "7"), ("ARC-Easy", "8"), ("main", "0"), ("main", "1"),
                                               ("other", "10"), ("other", "9")]),
    ("error", ResultFilter(status=S.ERROR), [("main", "2")]),
    ("skipped", ResultFilter(status=S.SKIPPED), [("main", "3")]),
    ("invalid", ResultFilter(status=S.INVALID), [("main", "4")]),
    ("predicted", ResultFilter(status=S.PREDICTED), [("main", "5")]),
    ("sample_ids", ResultFilter(sample_ids=["9", "0", "404"]), [("main", "0"), ("other", "9")]),
    ("passed", ResultFilter(dataset="gsm8k", passed=True), [("main", "0"), ("other", "10")]),
    ("failed", ResultFilter(dataset="gsm8k", passed=False), [("main", "1"), ("other", "9")]),
    ("passed: first metric", ResultFilter(dataset="arc", passed=True, threshold=0.5), [("ARC-Easy", "8")]),
    ("passed: named metric", ResultFilter(dataset="arc", passed=True, metric="acc"), [("ARC-Easy", "7")]),
    ("passed: threshold", ResultFilter(dataset="arc", passed=False, threshold=0.3), [("ARC-Easy", "7")]),
    ("passed, not scored", ResultFilter(passed=True, status=S.ERROR), []),
    ("search prompt", ResultFilter(search="CAPITAL of"), [("main", "1")]),
    ("search output", ResultFilter(search="def f()"), [("main", "3")]),
    ("search prediction", ResultFilter(search="quux"), [("other", "9")]),
    ("search gold", ResultFilter(search="zebra"), [("other", "10")]),
    ("search non-ASCII cased", ResultFilter(search="KÖLN"), [("main", "1")]),
    ("search CJK", ResultFilter(search="答案"), [("other", "10")]),
    ("search quote", ResultFilter(search='said "yes'), [("main", "4")]),
    ("search wildcard chars", ResultFilter(search="%_"), []),
    ("everything", ResultFilter(dataset="gsm8k", subset="main", status=S.SCORED, passed=True, search="2+2",
                                sample_ids=["0", "1"]), [("main", "0")]),
]


@pytest.mark.parametrize(("label", "where", "expected"), FILTERS, ids=[f[0] for f in FILTERS])
def test_filters(harness, label, where, expected):
    run, _ = write_standard_run(harness)
    reader = harness.reader()
    assert keys(reader.iter_results(run.run_id, where)) == expected
    assert reader.count_results(run.run_id, where) == len(expected)


PAGED = [
    ResultFilter(),
    ResultFilter(dataset="gsm8k"),
    ResultFilter(status=S.SCORED),
    ResultFilter(search="e"),  # filtered in Python after SQL narrowing
    ResultFilter(passed=False),
]


@pytest.mark.parametrize("where", PAGED, ids=["all", "dataset", "status", "search", "passed"])
def test_paging_is_a_slice_of_the_filtered_order(harness, where):
    run, _ = write_standard_run(harness)
    reader = harness.reader()
    if harness.kind in SQL_KINDS:
        reader.READ_BATCH = 3  # several keyset pages even for this small run
    full = keys(reader.iter_results(run.run_id, where))
    assert full, "the filter must keep something for paging to be tested"
    for offset in (0, 1, 3, len(full) - 1, len(full), len(full) + 5):
        for limit in (None, 0, 1, 2, 4):
            page = keys(reader.iter_results(run.run_id, attrs.evolve(where, offset=offset, limit=limit)))
            end = None if limit is None else offset + limit
            assert page == full[offset:end], (offset, limit)
            assert reader.count_results(run.run_id, attrs.evolve(where, offset=offset, limit=limit)) == len(full)


def test_run_ids_unique_when_run_dirs_share_a_name(harness):
    first, _ = write_standard_run(harness, "20250101_120000", root="outputs")
    second = harness.new_run("20250101_120000", root="elsewhere")
    store = harness.writer()
    store.open(second)
    store.save_prediction("gsm8k", result("0", "main", "Other run", "other answer"))
    store.close()
    assert first.run_id != second.run_id
    if harness.kind in SQL_KINDS:  # one database holds both
        reader = harness.reader()
        assert sorted(r.run_id for r in reader.list_runs()) == sorted([first.run_id, second.run_id])
        assert reader.find_run("20250101_120000") is None  # the name is ambiguous; ids are not
        readers = {first.run_id: reader, second.run_id: reader}
    else:
        readers = {first.run_id: harness.reader("outputs"), second.run_id: harness.reader("elsewhere")}
    assert readers[first.run_id].find_run(first.run_id).run_id == first.run_id
    assert readers[second.run_id].find_run(second.run_id).run_id == second.run_id
    assert len(list(readers[first.run_id].iter_results(first.run_id))) == 10
    (only,) = readers[second.run_id].iter_results(second.run_id)
    assert only.output.text == "other answer" and only.status is S.PREDICTED


def test_writer_reads_its_own_open_run(harness):
    run = harness.new_run("live")
    store = harness.writer()
    store.open(run)
    try:
        store.save_prediction("gsm8k", result("0", "main", "q", "a"))
        store.save_review("gsm8k", reviewed(result("0", "main", "q", "a"), S.SCORED, "A", {"acc": 1.0}))
        (listed,) = store.list_runs()
        assert (listed.run_id, listed.status, listed.datasets) == (run.run_id, "running", ["gsm8k"])
        (only,) = store.iter_results(run.run_id)
        assert only.status is S.SCORED and only.scores == {"acc": 1.0}
        assert store.load_reports(run.run_id) == []
    finally:
        store.close()


def test_resume_path_load_results_keeps_statuses(harness):
    run, _ = write_standard_run(harness)
    store = harness.writer()
    store.open(run)
    try:
        done = store.load_results("gsm8k")
    finally:
        store.close()
    assert done[("main", "2")].status is S.ERROR and done[("main", "2")].error == "ReadTimeout: 30s"
    assert done[("main", "5")].status is S.PREDICTED
    assert {k for k, r in done.items() if r.status is not S.ERROR} >= {("main", "0"), ("main", "5"), ("other", "9")}


# -- opening readers ---------------------------------------------------------------------------------
def test_open_reader_locations(tmp_path):
    h = Harness("workdir", tmp_path)
    run, _ = write_standard_run(h)
    by_root = open_reader(tmp_path / "outputs")
    by_dir = open_reader(Path(run.work_dir))
    assert [r.run_id for r in by_root.list_runs()] == [r.run_id for r in by_dir.list_runs()] == [run.run_id]
    with pytest.raises(FileNotFoundError, match="no such"):
        open_reader(tmp_path / "missing")
    with pytest.raises(FileNotFoundError, match="no such database"):
        open_reader(f"sqlite:///{tmp_path / 'missing.db'}").list_runs()
    assert not (tmp_path / "missing.db").exists()  # a reader never creates a database
    with pytest.raises(ConfigError, match="Did you mean: sqlite"):
        open_reader("sqlit:///x.db")
    not_a_db = tmp_path / "notes.jsonl"
    not_a_db.write_text('{"a": 1}\n' * 200)
    with pytest.raises(ValueError, match="not a readable result database"):
        open_reader(not_a_db).list_runs()
    db_file = tmp_path / "db" / "evalscope.db"
    run2, _ = write_standard_run(Harness("sqlite", tmp_path / "db", "evalscope.db"))
    for location in (str(db_file), f"sqlite:///{db_file}"):
        assert [r.run_id for r in open_reader(location).list_runs()] == [run2.run_id]


# -- older data --------------------------------------------------------------------------------------
OLD_SCHEMA = """
CREATE TABLE runs (run_id VARCHAR NOT NULL, model_id VARCHAR NOT NULL, work_dir VARCHAR NOT NULL, config JSON,
    started_at FLOAT NOT NULL, updated_at FLOAT NOT NULL, PRIMARY KEY (run_id));
CREATE TABLE samples (run_id VARCHAR NOT NULL, dataset VARCHAR NOT NULL, subset VARCHAR NOT NULL,
    sample_id VARCHAR NOT NULL, input JSON, PRIMARY KEY (run_id, dataset, subset, sample_id));
CREATE TABLE predictions (run_id VARCHAR NOT NULL, dataset VARCHAR NOT NULL, subset VARCHAR NOT NULL,
    sample_id VARCHAR NOT NULL, request_key VARCHAR NOT NULL, output JSON, error VARCHAR, created_at FLOAT NOT NULL,
    PRIMARY KEY (run_id, dataset, subset, sample_id));
CREATE TABLE scores (run_id VARCHAR NOT NULL, dataset VARCHAR NOT NULL, subset VARCHAR NOT NULL,
    sample_id VARCHAR NOT NULL, filtered VARCHAR, prediction JSON, gold JSON, scores JSON, category JSON, error VARCHAR,
    created_at FLOAT NOT NULL, PRIMARY KEY (run_id, dataset, subset, sample_id));
CREATE TABLE reports (run_id VARCHAR NOT NULL, dataset VARCHAR NOT NULL, report JSON, created_at FLOAT NOT NULL,
    PRIMARY KEY (run_id, dataset));
"""


def make_old_database(path: Path) -> None:
    """A database as the previous version wrote it: run id = run dir name, no statuses."""
    out = lambda text: json.dumps({"text": text})  # noqa: E731
    with sqlite3.connect(path) as db:
        db.executescript(OLD_SCHEMA)
        db.execute("INSERT INTO runs VALUES ('20240101_000000', 'm', '/x/outputs/20240101_000000', '{}', 5.0, 6.0)")
        rows = [("0", out("A"), None), ("1", out("B"), None), ("2", out(""), "timeout"), ("3", out("C"), None)]
        for sid, output, error in rows:
            db.execute("INSERT INTO predictions VALUES ('20240101_000000', 'gsm8k', 'main', ?, ?, ?, ?, 1.0)",
                       (sid, f"k{sid}", output, error))
        for sid, score in (("0", 1.0), ("1", 0.0)):
            db.execute("INSERT INTO scores VALUES ('20240101_000000', 'gsm8k', 'main', ?, 'x', '\"A\"', '\"A\"', ?, '[]', NULL, 1.0)",
                       (sid, json.dumps({"acc": score})))


def test_old_sqlite_database_is_read_and_migrated(tmp_path):
    from evalscope.backends.store.sqlite import SQLiteResultStore

    db = tmp_path / "evalscope.db"
    make_old_database(db)
    reader = open_reader(f"sqlite:///{db}")
    (old,) = reader.list_runs()
    assert (old.run_id, old.name, old.kind, old.datasets, old.model_identity) == (
        "20240101_000000", "20240101_000000", "eval", ["gsm8k"], ""
    )
    statuses = {r.sample_id: r.status for r in reader.iter_results(old.run_id)}
    assert statuses == {"0": S.SCORED, "1": S.SCORED, "2": S.ERROR, "3": S.PREDICTED}
    assert keys(reader.iter_results(old.run_id, ResultFilter(status=S.SCORED, passed=True))) == [("main", "0")]
    reader.close()
    columns = {row[1] for row in sqlite3.connect(db).execute("PRAGMA table_info(scores)")}
    assert {"status", "details"} <= columns

    writer = SQLiteResultStore(f"sqlite:///{db}")  # a new run writes into the migrated file
    new = RunInfo(run_id=new_run_id(), work_dir=str(tmp_path / "new"), model_id="m", model_identity="id9")
    writer.open(new)
    writer.save_review("gsm8k", reviewed(result("0", "main", "q", "a"), S.SKIPPED, error="no sandbox", details={"k": 1}))
    writer.close()
    again = open_reader(str(db))
    assert [r.run_id for r in again.list_runs()] == ["20240101_000000", new.run_id]
    (skipped,) = again.iter_results(new.run_id)
    assert (skipped.status, skipped.details, skipped.error) == (S.SKIPPED, {"k": 1}, "no sandbox")


def test_run_dirs_without_run_json_are_read(tmp_path):
    """EvalScope's own run dirs and ours from before run.json: id and name are the dir's name."""
    run_dir = tmp_path / "outputs" / "20240101_000000"
    preds, reviews = run_dir / "predictions" / "qwen", run_dir / "reviews" / "qwen"
    preds.mkdir(parents=True)
    reviews.mkdir(parents=True)
    (run_dir / "configs").mkdir()
    (run_dir / "configs" / "task_config_abcdef.yaml").write_text("model: qwen\n")
    # ours, older: full records without status; EvalScope's: only its own keys
    ours = {"sample_id": "0", "subset": "main", "request_key": "ident7:abc", "output": {"text": "A"}, "scores": {"acc": 1.0}}
    (preds / "gsm8k_main.jsonl").write_text(
        json.dumps({"subset_name": "main", "evalscope_record": {**ours, "scores": {}}}) + "\n"
        + json.dumps({"subset_name": "main", "evalscope_record": {**ours, "sample_id": "1", "error": "boom"}}) + "\n"
        + '{"torn line'
    )
    (reviews / "gsm8k_main.jsonl").write_text(json.dumps({"subset_name": "main", "evalscope_record": ours}) + "\n")
    legacy = [{"subset_name": "high_school", "origin_prompt": {"index": i}, "choices": [{"message": {"content": f"ans {i}"},
               "review": {"gold": "A", "pred": "A" if i else "B", "result": float(i == 1)}}]} for i in range(2)]
    (reviews / "mmlu_high_school.jsonl").write_text("\n".join(json.dumps(x) for x in legacy))
    reader = open_reader(tmp_path / "outputs")
    (run,) = reader.list_runs()
    assert (run.run_id, run.name, run.model_id, run.model_identity) == ("20240101_000000",) * 2 + ("qwen", "ident7")
    assert run.config == {"model": "qwen"} and sorted(run.datasets) == ["gsm8k", "mmlu"]
    got = {(r.subset, r.sample_id): r for r in reader.iter_results(run.run_id)}
    assert got[("main", "0")].status is S.SCORED and got[("main", "1")].status is S.ERROR
    assert got[("high_school", "1")].scores == {"score": 1.0} and got[("high_school", "1")].output.text == "ans 1"
    assert keys(reader.iter_results(run.run_id, ResultFilter(dataset="mmlu", passed=False))) == [("high_school", "0")]


# -- several writers at once -------------------------------------------------------------------------
WRITER = textwrap.dedent(
    """
    import sys
    from evalscope.core.ports import RunInfo
    from evalscope.core.types import ModelOutput, Sample, SampleResult, SampleStatus

    kind, where, run_id, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    if kind != "workdir":
        from evalscope.backends.store.sqlite import SQLiteResultStore
        store, work_dir = SQLiteResultStore(where), "."
    else:
        from evalscope.core.stores import WorkDirStore
        store, work_dir = WorkDirStore(), f"{where}/{run_id}"
    store.open(RunInfo(run_id=run_id, work_dir=work_dir, model_id="m", name="same-name"))
    for i in range(n):
        r = SampleResult(str(i), "main", f"k{i}", ModelOutput(text="x" * 50), sample=Sample(id=str(i), input="q"),
                         scores={"acc": 1.0}, status=SampleStatus.SCORED)
        store.save_prediction("d", r)
        store.save_review("d", r)
    store.close()
    print("done", flush=True)
    """
)


def test_two_processes_write_at_once_and_lose_nothing(harness):
    script = harness.tmp / "writer.py"
    script.write_text(WRITER)
    where = harness.db_url if harness.kind in SQL_KINDS else str(harness.outputs())
    n, ids = 120, [new_run_id(), new_run_id()]
    procs = [
        subprocess.Popen([sys.executable, str(script), harness.kind, where, run_id, str(n)], stdout=subprocess.PIPE, text=True)
        for run_id in ids
    ]
    for proc in procs:
        out, _ = proc.communicate(timeout=120)
        assert proc.returncode == 0 and out.strip() == "done"
    reader = harness.reader()
    assert sorted(r.run_id for r in reader.list_runs()) == sorted(ids)
    for run_id in ids:
        assert reader.count_results(run_id, ResultFilter(status=S.SCORED)) == n
        assert [r.sample_id for r in reader.iter_results(run_id)] == sorted(str(i) for i in range(n))

