"""The result store on a real PostgreSQL server (`--store-url postgresql://...`).

The read/write contract runs against PostgreSQL in tests/core/test_store_contract.py; here: whole
evaluations writing into PostgreSQL (and resuming from it), several evaluation processes writing into
one database at once, text PostgreSQL cannot hold, ordering under a locale-aware default collation,
and an unreachable server. Needs EVALSCOPE_TEST_PG_URL (see tests/pg.py).
"""

from __future__ import annotations

import subprocess
import sys
import uuid

import attrs
import pytest
import sqlalchemy as sa

from evalscope.core.ports import ResultFilter, RunInfo, new_run_id
from evalscope.core.serialization import ConfigError
from evalscope.core.stores import open_reader
from evalscope.core.types import ModelOutput, Sample, SampleResult, SampleStatus
from evalscope.run import run_task
from tests.pg import _admin, pg_database, pg_server_url

pytestmark = pytest.mark.slow
LIMIT = 6  # per subset: ARC-Easy + ARC-Challenge


@pytest.fixture
def pg_url():
    with pg_database() as url:
        yield url


def _eval(url: str, work_dir, dataset_dir, **extra) -> dict:
    cfg = {"model": "mock", "eval_type": "mock", "datasets": ["arc"], "limit": LIMIT, "dataset_dir": str(dataset_dir),
           "work_dir": str(work_dir), "no_timestamp": True, "store_url": url, **extra}
    return run_task(cfg, print_table=False)


def scores_of(report):
    """A report without its run statistics (time, cache hits), which differ between runs by design."""
    return attrs.evolve(report, stats=None)


def test_a_run_is_stored_in_postgres_and_resumes_from_it(pg_url, tmp_path, dataset_dir):
    first = _eval(pg_url, tmp_path / "run", dataset_dir)
    assert not (tmp_path / "run" / "evalscope.db").exists(), "the server holds the run, not a SQLite file"
    reader = open_reader(pg_url)
    (run,) = reader.list_runs()
    assert (run.run_id, run.status, run.datasets) == (first.run_id, "finished", ["arc"])
    assert reader.load_reports(run.run_id) == [first["arc"]]
    assert reader.count_results(run.run_id, ResultFilter(status=SampleStatus.SCORED)) == 2 * LIMIT
    again = _eval(pg_url, tmp_path / "run", dataset_dir, use_cache=str(tmp_path / "run"))
    assert again.run_id == first.run_id and scores_of(again["arc"]) == scores_of(first["arc"])
    log = (tmp_path / "run" / "logs" / "eval_log.log").read_text()
    assert f"{2 * LIMIT} from cache, 0 inferred" in log
    assert reader.count_results(run.run_id) == 2 * LIMIT, "nothing stored twice"


WRITER = """
import sys
from evalscope.run import run_task
url, work_dir, dataset_dir = sys.argv[1:4]
out = run_task({"model": "mock", "eval_type": "mock", "datasets": ["arc"], "limit": 20, "dataset_dir": dataset_dir,
                "work_dir": work_dir, "no_timestamp": True, "store_url": url, "eval_batch_size": 4}, print_table=False)
print(out.run_id, flush=True)
"""


def test_four_evaluations_write_into_one_database_at_once(pg_url, tmp_path, dataset_dir):
    script = tmp_path / "writer.py"
    script.write_text(WRITER)
    procs = [
        # four run dirs of one name (one writer per run dir: the same dir would be refused, issue 15)
        subprocess.Popen([sys.executable, str(script), pg_url, str(tmp_path / f"w{i}" / "same-name"), str(dataset_dir)],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for i in range(4)
    ]
    ids = []
    for proc in procs:
        out, err = proc.communicate(timeout=180)
        assert proc.returncode == 0, err[-2000:]
        ids.append(out.split()[-1])
    assert len(set(ids)) == 4, "every run has its own id although they share a run dir name"
    reader = open_reader(pg_url)
    assert sorted(r.run_id for r in reader.list_runs()) == sorted(ids)
    for run_id in ids:
        assert reader.count_results(run_id) == 40
        assert reader.count_results(run_id, ResultFilter(status=SampleStatus.SCORED)) == 40
        assert [r.dataset_name for r in reader.load_reports(run_id)] == ["arc"]


def _write(url: str, results: list[SampleResult]) -> str:
    from evalscope.backends.store.sqlite import SQLiteResultStore

    store = SQLiteResultStore(url)
    run = RunInfo(run_id=new_run_id(), work_dir="/tmp/x", model_id="m", name="r")
    store.open(run)
    for r in results:
        store.save_prediction("d", r)
        store.save_review("d", r)
    store.close()
    return run.run_id


def _result(sid: str, text: str) -> SampleResult:
    return SampleResult(sid, "main", f"k{sid}", ModelOutput(text=text), sample=Sample(id=sid, input=text),
                        filtered=text, prediction=text, scores={"acc": 1.0}, status=SampleStatus.SCORED)


def test_nul_characters_are_stored_as_replacement(pg_url):
    run_id = _write(pg_url, [_result("0", "a\x00b")])
    (got,) = open_reader(pg_url).iter_results(run_id)
    assert got.output.text == "a\ufffdb" and got.filtered == "a\ufffdb" and got.sample.input == "a\ufffdb"


def test_order_is_bytewise_under_a_locale_collation(tmp_path):
    """A database whose default collation is ICU en-US (case- and punctuation-insensitive order)
    still lists samples in the byte order SQLite and the work-dir store use."""
    url = pg_server_url()
    name = f"t_icu_{uuid.uuid4().hex[:12]}"
    admin = _admin(url)
    with admin.connect() as conn:
        try:
            conn.execute(sa.text(f"CREATE DATABASE \"{name}\" TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE 'en-US' LOCALE 'C'"))
        except sa.exc.DBAPIError as exc:
            pytest.skip(f"server has no ICU collations: {exc.orig}")
    try:
        db = sa.make_url(url).set(database=name).render_as_string(hide_password=False)
        ids = ["b", "B10", "a-c", "ab", "A", "_z", "10", "9"]
        run_id = _write(db, [_result(i, i) for i in ids])
        got = [r.sample_id for r in open_reader(db).iter_results(run_id)]
        assert got == sorted(ids)
        page = [r.sample_id for r in open_reader(db).iter_results(run_id, ResultFilter(offset=2, limit=3))]
        assert page == sorted(ids)[2:5]
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_unreachable_server_is_one_clear_error(tmp_path, dataset_dir):
    from tests.conftest import find_free_port

    url = f"postgresql://evalscope:s3cret-pw@127.0.0.1:{find_free_port()}/nowhere"
    with pytest.raises(ConfigError) as info:
        _eval(url, tmp_path / "run", dataset_dir)
    message = str(info.value)
    assert message.startswith("store_url: postgresql://evalscope:***@127.0.0.1:") and "cannot open" in message
    assert "s3cret-pw" not in message
