"""SQLiteResultStore against a real SQLite file: round trips, upserts, resume, crashes, secrets, concurrency."""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from evalscope.backends.store.redact import is_secret_key, redact
from evalscope.backends.store.sqlite import DB_FILE_NAME, SQLiteResultStore
from evalscope.core import registry
from evalscope.core.ports import RunInfo
from evalscope.core.report import build_report
from evalscope.core.types import (
    ChatMessage,
    ModelOutput,
    Sample,
    SampleResult,
    SampleStatus,
    TokenLogprob,
    Usage,
)


def make_result(i: int, subset: str = "main", text: str | None = None) -> SampleResult:
    return SampleResult(
        sample_id=str(i),
        subset=subset,
        request_key=f"key{i}",
        output=ModelOutput(
            text=text if text is not None else f"The answer is {i}",
            usage=Usage(input_tokens=12, output_tokens=5),
            logprobs=[TokenLogprob("The", -0.5)],
            finish_reason="stop",
            latency=0.25,
            model="m",
        ),
        sample=Sample(
            id=str(i),
            input=[ChatMessage("system", "Be brief."), ChatMessage("user", f"What is {i}+0? 答")],
            target=str(i),
            choices=None,
            subset=subset,
            metadata={"level": i % 3, "tags": ["a", "b"]},
        ),
        status=SampleStatus.PREDICTED,
    )


def reviewed(result: SampleResult) -> SampleResult:
    result.filtered = result.output.text.rsplit(" ", 1)[-1]
    result.prediction = result.filtered
    result.gold = [result.sample.target, "alias"] if result.sample else None
    result.scores = {"acc": 1.0 if result.prediction == result.sample_id else 0.0, "f1": 0.5}
    result.category = ("math", "easy")
    result.status = SampleStatus.SCORED
    return result


def open_store(work_dir: Path, run_id: str = "run1", config: dict | None = None) -> SQLiteResultStore:
    store = SQLiteResultStore()
    store.open(RunInfo(run_id=run_id, work_dir=str(work_dir), model_id="smollm2", config=config or {}))
    return store


def raw_rows(db: Path, sql: str) -> list[tuple]:
    with sqlite3.connect(db) as conn:
        return conn.execute(sql).fetchall()


def test_registered_as_entry_point() -> None:
    assert registry.stores.get("sqlite") is SQLiteResultStore


def test_default_database_lives_in_work_dir_in_wal_mode(tmp_path: Path) -> None:
    store = open_store(tmp_path / "outputs" / "run")
    try:
        db = tmp_path / "outputs" / "run" / DB_FILE_NAME
        assert db.is_file()
        assert store.url == f"sqlite:///{db.resolve()}"
        assert raw_rows(db, "PRAGMA journal_mode") == [("wal",)]
    finally:
        store.close()


def test_use_before_open_is_a_clear_error() -> None:
    with pytest.raises(RuntimeError, match="before open"):
        SQLiteResultStore().save_prediction("d", make_result(0))


def test_round_trip_predictions_reviews_and_reports(tmp_path: Path) -> None:
    store = open_store(tmp_path)
    expected = {}
    for i in range(6):
        subset = "main" if i < 4 else "other"
        result = make_result(i, subset)
        store.save_prediction("gsm8k", result)
        if i % 2 == 0:  # half reviewed, half only predicted
            reviewed(result)
            store.save_review("gsm8k", result)
        expected[(subset, str(i))] = result
    report = build_report(dataset="gsm8k", model="smollm2", results=expected.values())
    store.save_report(report)
    store.close()

    again = open_store(tmp_path)
    try:
        loaded = again.load_results("gsm8k")
        assert loaded == expected
        assert loaded[("main", "0")].category == ("math", "easy")
        assert loaded[("main", "1")].scores == {} and loaded[("main", "1")].filtered is None
        assert again.load_report("gsm8k") == report
        assert again.load_report("nope") is None
        assert again.load_results("other_dataset") == {}
    finally:
        again.close()


def test_results_without_sample_and_with_errors(tmp_path: Path) -> None:
    with open_store(tmp_path) as store:
        failed = SampleResult(
            "7", "main", "k7", ModelOutput(error="timeout"), error="model call failed", status=SampleStatus.ERROR
        )
        store.save_prediction("d", failed)
        assert store.load_results("d") == {("main", "7"): failed}


def test_upsert_never_duplicates_and_drops_stale_reviews(tmp_path: Path) -> None:
    store = open_store(tmp_path)
    try:
        store.save_prediction("d", make_result(1, text="first"))
        store.save_review("d", reviewed(make_result(1, text="first")))
        store.save_review("d", reviewed(make_result(1, text="first")))  # review saved twice
        assert store.count("predictions") == 1 and store.count("scores") == 1 and store.count("samples") == 1

        store.save_prediction("d", make_result(1, text="second 1"))  # rerun: new output
        assert store.count("predictions") == 1 and store.count("samples") == 1
        assert store.count("scores") == 0  # the old review judged another output
        (only,) = store.load_results("d").values()
        assert only.output.text == "second 1" and only.scores == {}

        report = build_report(dataset="d", model="m", results=[reviewed(make_result(1))])
        store.save_report(report)
        store.save_report(report)
        assert store.count("reports") == 1
    finally:
        store.close()
    db = tmp_path / DB_FILE_NAME
    assert raw_rows(db, "SELECT count(*) FROM predictions") == [(1,)]


def test_resume_after_reopening_sees_only_this_run(tmp_path: Path) -> None:
    first = open_store(tmp_path, "run1")
    for i in range(5):
        first.save_prediction("d", make_result(i))
    first.close()

    resumed = open_store(tmp_path, "run1")
    try:
        done = resumed.load_results("d")
        assert sorted(done) == [("main", str(i)) for i in range(5)]
        for i in range(5, 10):  # the resumed run finishes the rest
            resumed.save_prediction("d", make_result(i))
        assert len(resumed.load_results("d")) == 10
    finally:
        resumed.close()

    other = open_store(tmp_path, "run2")
    try:
        assert other.load_results("d") == {}
        assert other.count("predictions", all_runs=True) == 10
        assert sorted(r[0] for r in raw_rows(tmp_path / DB_FILE_NAME, "SELECT run_id FROM runs")) == [
            "run1",
            "run2",
        ]
    finally:
        other.close()


def test_saves_from_worker_threads_of_an_event_loop(tmp_path: Path) -> None:
    store = open_store(tmp_path)

    async def main() -> None:
        await asyncio.gather(
            *(asyncio.to_thread(store.save_prediction, "d", make_result(i)) for i in range(60))
        )

    try:
        asyncio.run(main())
        assert len(store.load_results("d")) == 60
    finally:
        store.close()


def test_api_keys_never_reach_the_database(tmp_path: Path) -> None:
    secrets = [
        "sk-live-0123456789abcdefABCDEF",
        "hf_SECRETSECRETSECRET",
        "pg-pass-XYZ",
        "bearer-tok-987654321",
    ]
    config = {
        "model": "gpt",
        "api_key": secrets[0],
        "model_args": {"api_key": secrets[0], "hf_token": secrets[1], "eos_token": "</s>"},
        "headers": {"Authorization": f"Bearer {secrets[3]}"},
        "store_url": f"postgresql://evalscope:{secrets[2]}@db.internal/evals",
        "notes": [f"key was {secrets[0]}"],
        "generation_config": {"max_tokens": 64, "top_logprobs": 3},
    }
    store = open_store(tmp_path, config=config)
    try:
        stored = store.run_config()
        assert stored["api_key"] == "***" and stored["model_args"]["hf_token"] == "***"
        assert stored["model_args"]["eos_token"] == "</s>"
        assert stored["generation_config"] == {"max_tokens": 64, "top_logprobs": 3}
        assert stored["store_url"] == "postgresql://evalscope:***@db.internal/evals"
        store.save_prediction("d", make_result(0))
    finally:
        store.close()
    assert config["api_key"] == secrets[0]  # the caller's dict is left alone
    blob = b"".join(p.read_bytes() for p in tmp_path.iterdir() if p.name.startswith(DB_FILE_NAME))
    for secret in secrets:
        assert secret.encode() not in blob


@pytest.mark.parametrize(
    ("key", "secret"),
    [
        ("api_key", True),
        ("OPENAI_API_KEY", True),
        ("hf_token", True),
        ("token", True),
        ("client_secret", True),
        ("password", True),
        ("Authorization", True),
        ("max_tokens", False),
        ("max_new_tokens", False),
        ("tokenizer", False),
        ("eos_token", False),
        ("top_logprobs", False),
    ],
)
def test_secret_key_names(key: str, secret: bool) -> None:
    assert is_secret_key(key) is secret
    assert (redact({key: "v"})[key] == "***") is secret


WRITER = textwrap.dedent(
    """
    import sys, time
    from evalscope.backends.store.sqlite import SQLiteResultStore
    from evalscope.core.ports import RunInfo
    from evalscope.core.types import ModelOutput, Sample, SampleResult

    url, run_id, n, pause = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
    store = SQLiteResultStore(url)
    store.open(RunInfo(run_id=run_id, work_dir=".", model_id="m"))
    print("open", flush=True)
    for i in range(n):
        result = SampleResult(str(i), "main", f"k{i}", ModelOutput(text="x" * 200 + str(i)),
                              sample=Sample(id=str(i), input="q" * 100))
        store.save_prediction("d", result)
        print(i, flush=True)  # only after save_prediction returned
        if pause:
            time.sleep(pause)
    store.close()
    print("done", flush=True)
    """
)


def start_writer(tmp_path: Path, url: str, run_id: str, n: int, pause: float) -> subprocess.Popen[str]:
    script = tmp_path / "writer.py"
    script.write_text(WRITER)
    return subprocess.Popen(
        [sys.executable, str(script), url, run_id, str(n), str(pause)],
        stdout=subprocess.PIPE,
        text=True,
        cwd=tmp_path,
    )


def test_killed_writer_loses_nothing_it_reported_saved(tmp_path: Path) -> None:
    db = tmp_path / "crash.db"
    proc = start_writer(tmp_path, f"sqlite:///{db}", "crash", n=100_000, pause=0.0)
    acknowledged = -1
    deadline = time.monotonic() + 60
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "open"
        while acknowledged < 300 and time.monotonic() < deadline:
            acknowledged = int(proc.stdout.readline())
        os.kill(proc.pid, signal.SIGKILL)  # mid-stream: it keeps writing until the signal lands
    finally:
        proc.kill()
        proc.wait(10)
    assert proc.returncode == -signal.SIGKILL
    assert acknowledged >= 300

    assert raw_rows(db, "PRAGMA integrity_check") == [("ok",)]
    store = SQLiteResultStore(f"sqlite:///{db}")
    store.open(RunInfo(run_id="crash", work_dir=str(tmp_path), model_id="m"))
    try:
        results = store.load_results("d")
    finally:
        store.close()
    ids = sorted(int(sid) for _, sid in results)
    assert ids == list(range(len(ids)))  # a prefix: no holes, no half-written row
    assert len(ids) > acknowledged  # every acknowledged save survived
    assert results[("main", str(acknowledged))].output.text.endswith(str(acknowledged))
    assert results[("main", "0")].sample is not None


def test_two_runs_write_one_file_at_the_same_time(tmp_path: Path) -> None:
    db = tmp_path / "shared.db"
    url = f"sqlite:///{db}"
    n = 150
    procs = [start_writer(tmp_path, url, run_id, n, pause=0.001) for run_id in ("alpha", "beta")]
    for proc in procs:
        out, _ = proc.communicate(timeout=120)
        assert proc.returncode == 0, out
        assert out.strip().endswith("done")
    assert raw_rows(db, "PRAGMA integrity_check") == [("ok",)]
    assert raw_rows(db, "SELECT run_id, count(*) FROM predictions GROUP BY run_id ORDER BY run_id") == [
        ("alpha", n),
        ("beta", n),
    ]
    for run_id in ("alpha", "beta"):
        store = SQLiteResultStore(url)
        store.open(RunInfo(run_id=run_id, work_dir=str(tmp_path), model_id="m"))
        try:
            assert len(store.load_results("d")) == n
        finally:
            store.close()


def test_reopening_for_another_run_uses_that_runs_work_dir(tmp_path: Path) -> None:
    store = open_store(tmp_path / "a", "ra")
    store.save_prediction("d", make_result(0))
    store.open(RunInfo(run_id="rb", work_dir=str(tmp_path / "b"), model_id="m"))
    try:
        assert store.url == f"sqlite:///{(tmp_path / 'b' / DB_FILE_NAME).resolve()}"
        assert store.load_results("d") == {}
    finally:
        store.close()


def test_generic_sql_path_without_native_upsert(tmp_path: Path) -> None:
    """Databases without INSERT ... ON CONFLICT get delete-then-insert in the same transaction."""
    from evalscope.backends.store.sqlite import _Writer

    store = open_store(tmp_path)
    store._writer = _Writer("generic")
    try:
        store.save_prediction("d", make_result(1, text="first"))
        store.save_review("d", reviewed(make_result(1, text="first")))
        store.save_review("d", reviewed(make_result(1, text="first")))
        store.save_prediction("d", make_result(1, text="second 1"))
        store.save_review("d", reviewed(make_result(1, text="second 1")))
        assert [store.count(t) for t in ("samples", "predictions", "scores")] == [1, 1, 1]
        (only,) = store.load_results("d").values()
        assert only.output.text == "second 1" and only.scores["acc"] == 1.0
    finally:
        store.close()


def test_values_json_cannot_hold_are_stored_not_fatal(tmp_path: Path) -> None:
    with open_store(tmp_path) as store:
        result = make_result(0)
        assert result.sample is not None
        result.sample.metadata = {"image": b"\x89PNG", "labels": {"b", "a"}, "nan": float("nan")}
        store.save_prediction("d", result)
        meta = store.load_results("d")[("main", "0")].sample.metadata  # type: ignore[union-attr]
        assert meta["image"] == "iVBORw==" and meta["labels"] == ["a", "b"] and meta["nan"] != meta["nan"]


def test_statements_compile_for_postgresql() -> None:
    """No PostgreSQL server here: check the SQL we would send it (DDL and upserts) at least compiles."""
    from sqlalchemy.dialects import postgresql
    from sqlalchemy.schema import CreateTable

    from evalscope.backends.store.sqlite import _Writer
    from evalscope.backends.store.tables import TABLES

    dialect = postgresql.dialect()
    writer = _Writer("postgresql")
    for table in TABLES:
        ddl = str(CreateTable(table).compile(dialect=dialect))
        assert "PRIMARY KEY" in ddl
        sql = str(writer._stmt(table, "upsert").compile(dialect=dialect))
        keys = ", ".join(c.name for c in table.primary_key.columns)
        assert f"ON CONFLICT ({keys}) DO UPDATE SET" in sql
    assert " JSON" in str(CreateTable(TABLES[2]).compile(dialect=dialect))


def test_read_queries_and_migrations_compile_for_postgresql() -> None:
    """The read side's SQL (status CASE, keyset tuple comparison, escaped LIKE) and ADD COLUMN
    statements compile for PostgreSQL too."""
    from sqlalchemy.dialects import postgresql
    from sqlalchemy.schema import CreateColumn

    from evalscope.backends.store import reads
    from evalscope.backends.store.tables import TABLES
    from evalscope.core.ports import ResultFilter

    dialect = postgresql.dialect()
    where = ResultFilter(dataset="d", subset="s", status=SampleStatus.SCORED, sample_ids=["1"], search="50%_off")
    query = reads.after(reads.ordered(reads.narrow(reads.results_query("r"), where)), ("d", "s", "1")).limit(5)
    sql = str(query.compile(dialect=dialect))
    assert "CASE WHEN" in sql and "(predictions.dataset, predictions.subset, predictions.sample_id) >" in sql
    assert "ESCAPE" in sql and "lower(CAST(samples.input AS TEXT))" in sql
    runs = TABLES[0]
    assert str(CreateColumn(runs.c.kind).compile(dialect=dialect)) == "kind VARCHAR DEFAULT 'eval' NOT NULL"
