"""`ResultStore` over SQL (SQLite by default, any SQLAlchemy URL works).

Each save is one short transaction committed before the call returns. SQLite runs in WAL mode with
synchronous=NORMAL: a killed process loses nothing that a save already returned from (a power cut
may lose the last transactions, never the file). Per-sample rows are upserted on
(run_id, dataset, subset, sample_id), so reruns and resumed runs never duplicate a sample, and runs
with distinct ids (many processes at once) share one database. `SqlResultStore(url)` reads
without `open`: list runs, load reports, page through per-sample results.

PostgreSQL (`postgresql://user@host/db`, `--store-url`) goes through the same tables: a URL without a
driver uses psycopg 3 (`pip install evalscope-backends[postgresql]`), schemas are created under an
advisory lock, key columns compare bytes (collation "C"), and NUL characters, which PostgreSQL text
cannot hold, are stored as U+FFFD. A server that cannot be reached is one clear error naming the URL
without its password.
"""

from __future__ import annotations

import base64
import json
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs
import sqlalchemy as sa

from evalscope.backends.store import reads, schema
from evalscope.backends.store.redact import redact, redact_text
from evalscope.backends.store.tables import TABLES
from evalscope.backends.store.tables import predictions as _predictions
from evalscope.backends.store.tables import reports as _reports
from evalscope.backends.store.tables import runs as _runs
from evalscope.backends.store.tables import samples as _samples
from evalscope.backends.store.tables import scores as _scores
from evalscope.core.ports import ResultFilter, ResultStore, RunInfo
from evalscope.core.serialization import ConfigError, structure, unstructure
from evalscope.core.stores.damage import DamagedStoreError
from evalscope.core.stores.lock import reader_status_of
from evalscope.core.stores.query import matches, needs_python_filter, page
from evalscope.core.stores.select import RUN_DATABASE
from evalscope.core.stores.workdir import run_name
from evalscope.core.types import SampleResult

if TYPE_CHECKING:
    from evalscope.core.report import Report

DB_FILE_NAME = RUN_DATABASE
BUSY_TIMEOUT_S = 30.0

_KEY = ("run_id", "dataset", "subset", "sample_id")


def _json_default(value: Any) -> Any:
    if attrs.has(type(value)):
        return unstructure(value)
    if isinstance(value, (bytes, bytearray)):
        return base64.b64encode(bytes(value)).decode("ascii")
    if isinstance(value, (set, frozenset)):
        return sorted(value, key=repr)
    return str(value)


def dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=_json_default)


def _with_driver(url: sa.URL) -> sa.URL:
    """`postgresql://` means psycopg 3 here when psycopg2 (SQLAlchemy's default) is not installed."""
    if url.drivername == "postgresql":
        import importlib.util

        if importlib.util.find_spec("psycopg2") is None and importlib.util.find_spec("psycopg") is not None:
            return url.set(drivername="postgresql+psycopg")
    return url


def _first_line(exc: BaseException) -> str:
    orig = getattr(exc, "orig", None) or exc
    text = str(orig).strip().splitlines()
    return redact_text(text[0]) if text else type(orig).__name__


#: what SQLite says of a file that is no (longer a whole) database: SQLITE_CORRUPT, SQLITE_NOTADB
_DAMAGE = ("malformed", "not a database", "sqlite_corrupt", "sqlite_notadb")


def _damage(exc: BaseException) -> str | None:
    """What the driver said, when `exc` means the database file is damaged; else None."""
    orig = getattr(exc, "orig", None) or exc
    text = f"{getattr(orig, 'sqlite_errorname', '')} {orig}".lower()
    return _first_line(exc) if any(key in text for key in _DAMAGE) else None


class StoreWriteError(ConfigError):
    """The database refused a write for a reason outside the run (a full disk, a read-only file):
    one clear line; everything committed before it is intact and a rerun resumes from it."""


_WRITE_PROBLEMS = {
    "full": "the disk is full",
    "no space": "the disk is full",
    "readonly": "the database is read-only",
    "read-only": "the database is read-only",
    "unable to open": "the database file cannot be opened for writing",
    "disk i/o error": "the disk failed a write",
}


def _writes(method: Any) -> Any:
    """Turn a refused write into a StoreWriteError (or a damaged file into a DamagedStoreError) that
    says what happened and what to do."""
    import functools

    @functools.wraps(method)
    def wrapper(self: SqlResultStore, *args: Any, **kwargs: Any) -> Any:
        try:
            return method(self, *args, **kwargs)
        except sa.exc.DatabaseError as exc:
            if _damage(exc) is not None:
                raise self.damaged(exc) from None
            if not isinstance(exc, sa.exc.OperationalError):
                raise
            text = str(getattr(exc, "orig", exc)).lower()
            problem = next((why for key, why in _WRITE_PROBLEMS.items() if key in text), None)
            if problem is None:
                raise
            raise StoreWriteError(
                f"{self.display_url}: {problem} ({_first_line(exc)}). Every sample stored before this is intact; "
                "fix it, then rerun with --use-cache to resume"
            ) from None

    return wrapper


def _intact(method: Any) -> Any:
    """Turn a read of a damaged file into a DamagedStoreError naming the file."""
    import functools

    @functools.wraps(method)
    def wrapper(self: SqlResultStore, *args: Any, **kwargs: Any) -> Any:
        try:
            return method(self, *args, **kwargs)
        except sa.exc.DatabaseError as exc:
            if _damage(exc) is None:
                raise
            raise self.damaged(exc) from None

    return wrapper


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute(f"PRAGMA busy_timeout={int(BUSY_TIMEOUT_S * 1000)}")
    cur.close()


def _no_nul(value: Any) -> Any:
    """`value` with NUL characters replaced (PostgreSQL text and JSON cannot hold U+0000)."""
    if isinstance(value, str):
        return value.replace("\x00", "\ufffd") if "\x00" in value else value
    if isinstance(value, dict):
        return {k: _no_nul(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_no_nul(v) for v in value]
    return value


_NO_PLAN: Any = object()


class _Writer:
    """Prebuilt upsert / insert-if-missing statements for one SQL dialect.

    On SQLite the per-sample writes skip SQLAlchemy's per-call execution machinery: each statement
    is compiled once per set of parameter names to its SQL text and its columns' own bind processors
    (the JSON columns' serializer), and runs on the driver's connection inside the caller's
    `conn.begin()` block, which commits it. The rows written are the same; a driver error is raised
    as SQLAlchemy's (`sa.exc.DBAPIError.instance`), as `conn.execute` would.
    """

    def __init__(self, dialect: str, sa_dialect: sa.Dialect | None = None) -> None:
        self.dialect = dialect
        self._cache: dict[tuple[str, str], Any] = {}
        self._clean = _no_nul if dialect == "postgresql" else None
        #: SQLite only: (statement key, parameter names) -> (sql, [(name, bind processor)]), or None to use SQLAlchemy
        self._sa_dialect = sa_dialect if dialect == "sqlite" else None
        self._plans: dict[tuple[Any, ...], tuple[str, list[tuple[str, Any]]] | None] = {}

    def execute(self, conn: sa.Connection, key: Any, stmt: Any, params: dict[str, Any], table: sa.Table) -> None:
        """`conn.execute(stmt, params)`, through the driver directly where a plan exists (SQLite)."""
        if self._sa_dialect is None:
            conn.execute(stmt, params)
            return
        plan_key = (key, *params)
        plan = self._plans.get(plan_key, _NO_PLAN)
        if plan is _NO_PLAN:
            plan = self._plans[plan_key] = self._plan(stmt, params, table)
        if plan is None:
            conn.execute(stmt, params)
            return
        sql, binds = plan
        args = tuple(params[n] if proc is None else proc(params[n]) for n, proc in binds)
        raw = conn.connection.driver_connection
        try:
            raw.execute(sql, args)  # type: ignore[union-attr]  # an open sqlite3 connection
        except Exception as exc:
            import sqlite3

            if isinstance(exc, sqlite3.Error):
                raise sa.exc.DBAPIError.instance(sql, args, exc, sqlite3.Error) from exc
            raise

    def _plan(self, stmt: Any, params: dict[str, Any], table: sa.Table) -> tuple[str, list[tuple[str, Any]]] | None:
        """The SQL and bind processors of `stmt` for these parameter names; None when SQLAlchemy
        would add something of its own (a column default for a missing column)."""
        dialect = self._sa_dialect
        assert dialect is not None
        if any((c.default is not None or c.onupdate is not None) and c.name not in params for c in table.columns):
            return None
        compiled = stmt.compile(dialect=dialect, column_keys=list(params))
        names = compiled.positiontup
        if names is None or any(n not in params for n in names):
            return None
        binds = [(n, compiled.binds[n].type.dialect_impl(dialect).bind_processor(dialect)) for n in names]
        return str(compiled), binds

    def _insert_fn(self) -> Any:
        if self.dialect == "sqlite":
            from sqlalchemy.dialects.sqlite import insert
        elif self.dialect == "postgresql":
            from sqlalchemy.dialects.postgresql import insert  # type: ignore[assignment]  # the dialect's own insert, same use
        else:
            return None
        return insert

    def _stmt(self, table: sa.Table, mode: str) -> Any:
        key = (table.name, mode)
        stmt = self._cache.get(key)
        if stmt is None:
            insert = self._insert_fn()
            keys = [c.name for c in table.primary_key.columns]
            if insert is None:
                stmt = None
            elif mode == "upsert":
                base = insert(table)
                rest = [c.name for c in table.columns if c.name not in keys]
                stmt = base.on_conflict_do_update(
                    index_elements=keys, set_={c: base.excluded[c] for c in rest}
                )
            else:
                stmt = insert(table).on_conflict_do_nothing(index_elements=keys)
            self._cache[key] = stmt
        return stmt

    def _where_key(self, table: sa.Table, params: dict[str, Any]) -> Any:
        return sa.and_(*(table.c[c.name] == params[c.name] for c in table.primary_key.columns))

    def upsert(self, conn: sa.Connection, table: sa.Table, params: dict[str, Any]) -> None:
        if self._clean is not None:
            params = self._clean(params)
        stmt = self._stmt(table, "upsert")
        if stmt is not None:
            self.execute(conn, (table.name, "upsert"), stmt, params, table)
            return
        conn.execute(table.delete().where(self._where_key(table, params)))
        conn.execute(table.insert(), params)

    def insert_missing(self, conn: sa.Connection, table: sa.Table, params: dict[str, Any]) -> None:
        if self._clean is not None:
            params = self._clean(params)
        stmt = self._stmt(table, "ignore")
        if stmt is not None:
            self.execute(conn, (table.name, "ignore"), stmt, params, table)
            return
        found = conn.execute(sa.select(sa.literal(1)).where(self._where_key(table, params))).first()
        if found is None:
            conn.execute(table.insert(), params)


class SqlResultStore(ResultStore):
    """Per-sample predictions, reviews and reports of runs in one SQL database.

    `url` is any SQLAlchemy URL; by default `sqlite:///<run.work_dir>/evalscope.db`, decided at
    `open`. With a URL, the read side works without `open`. Calls may come from any thread; they
    are serialised by a lock.
    """

    name = "sqlite"
    #: rows fetched per query while Python filters (search, passed) decide what is kept
    READ_BATCH = 500

    def __init__(self, url: str | None = None) -> None:
        self._written: set[tuple[str, str, str, str]] = set()
        self._configured_url = url
        self.url = url
        self.run: RunInfo | None = None
        self._engine: sa.Engine | None = None
        self._conn: sa.Connection | None = None
        self._writer: _Writer | None = None
        self._lock = threading.RLock()

    # -- lifecycle ---------------------------------------------------------------------------

    @property
    def display_url(self) -> str:
        """The URL without its password, for logs."""
        return redact_text(self.url or "")

    def damaged(self, exc: BaseException | str) -> DamagedStoreError:
        """The error that names this database (its file, for SQLite) as damaged and the way out."""
        where, run_dir = self.display_url, self.run.work_dir if self.run is not None else None
        url = sa.make_url(self.url) if self.url else None
        if url is not None and url.get_backend_name() == "sqlite" and url.database:
            where = url.database
            if run_dir is None and Path(where).name == DB_FILE_NAME:  # a run dir's own database
                run_dir = str(Path(where).parent)
        reason = exc if isinstance(exc, str) else (_damage(exc) or _first_line(exc))
        return DamagedStoreError(where, reason, run_dir)

    def _check_intact(self) -> None:
        """A damaged SQLite file stops the run before any work (`PRAGMA quick_check`, one problem)."""
        assert self._engine is not None
        if self._engine.dialect.name != "sqlite":
            return
        with self._engine.connect() as conn:
            found = conn.exec_driver_sql("PRAGMA quick_check(1)").all()
        verdict = str(found[0][0]) if found else "no answer to quick_check"
        if verdict != "ok":
            raise self.damaged(" ".join(verdict.split()))

    def _connect(self, url: str, *, must_exist: bool) -> sa.Connection:
        """Connect, create missing tables and add columns an older version lacked."""
        self._engine = self._create_engine(url, must_exist=must_exist)
        schema.prepare(self._engine)
        self._conn = self._engine.connect()
        self._writer = _Writer(self._engine.dialect.name, self._engine.dialect)
        return self._conn

    def open(self, run: RunInfo) -> None:
        with self._lock:
            if self._conn is not None:
                self.close()
            self.url = self._configured_url
            if self.url is None:
                work_dir = Path(run.work_dir)
                work_dir.mkdir(parents=True, exist_ok=True)
                self.url = f"sqlite:///{(work_dir / DB_FILE_NAME).resolve()}"
            self.run = run
            try:
                conn = self._connect(self.url, must_exist=False)
                self._check_intact()
                with conn.begin():
                    self._writer.upsert(conn, _runs, self._run_params(run))  # type: ignore[union-attr]  # _connect() set the writer
            except DamagedStoreError:
                self.close()
                raise
            except sa.exc.DatabaseError as exc:
                self.close()
                if _damage(exc) is not None:
                    raise self.damaged(exc) from None
                if not isinstance(exc, sa.exc.OperationalError):
                    raise
                raise ConfigError(f"store_url: {self.display_url}: cannot open the result database ({_first_line(exc)})") from None

    def _run_params(self, run: RunInfo) -> dict[str, Any]:
        return {
            "run_id": run.run_id,
            "model_id": run.model_id,
            "work_dir": run.work_dir,
            "config": redact(run.config),
            "started_at": run.started_at or time.time(),
            "updated_at": time.time(),
            "name": run_name(run),
            "model_identity": run.model_identity,
            "kind": run.kind,
            "status": run.status,
            "finished_at": run.finished_at,
            "datasets": list(run.datasets),
            "planned": dict(run.planned),
        }

    @_writes
    def update_run(self, run: RunInfo) -> None:
        """Record the run's new state (status, finish time, datasets, identity)."""
        with self._lock:
            conn, writer, _ = self._ready()
            self.run = run
            with conn.begin():
                writer.upsert(conn, _runs, self._run_params(run))

    @staticmethod
    def _create_engine(url: str, *, must_exist: bool = False) -> sa.Engine:
        sa_url = sa.make_url(url)
        if sa_url.get_backend_name() == "sqlite":
            database = sa_url.database
            if database and database != ":memory:" and not database.startswith("file:"):
                if must_exist and not Path(database).is_file():
                    raise FileNotFoundError(f"{database}: no such database")
                Path(database).parent.mkdir(parents=True, exist_ok=True)
            engine = sa.create_engine(
                sa_url,
                json_serializer=dumps,
                connect_args={"check_same_thread": False, "timeout": BUSY_TIMEOUT_S},
            )
            sa.event.listen(engine, "connect", _sqlite_pragmas)
            return engine
        return sa.create_engine(_with_driver(sa_url), json_serializer=dumps, pool_pre_ping=True)

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None
            if self._engine is not None:
                self._engine.dispose()
                self._engine = None

    def __enter__(self) -> SqlResultStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _ready(self) -> tuple[sa.Connection, _Writer, str]:
        if self._conn is None or self._writer is None or self.run is None:
            raise RuntimeError("SqlResultStore used before open(run) or after close()")
        return self._conn, self._writer, self.run.run_id

    def _reader(self) -> sa.Connection:
        """The connection for reads: the open run's, or one to `url` (which must exist)."""
        if self._conn is not None:
            return self._conn
        if self.url is None:
            raise RuntimeError("SqlResultStore has no database to read: pass a URL or open(run) first")
        try:
            return self._connect(self.url, must_exist=True)
        except sa.exc.DatabaseError as exc:
            self.close()
            if _damage(exc) is not None and self.url and Path(sa.make_url(self.url).database or "").name == DB_FILE_NAME:
                raise self.damaged(exc) from None  # a run's database: it can be rebuilt
            raise ValueError(f"{self.display_url}: not a readable result database ({exc.orig})") from None

    @_intact
    def _fetch(self, query: Any) -> list[Any]:
        with self._lock:
            conn = self._reader()
            with conn.begin():
                return conn.execute(query).all()  # type: ignore[return-value]  # Result.all() builds a list

    # -- writes ------------------------------------------------------------------------------

    def _sample_params(self, run_id: str, dataset: str, result: SampleResult) -> dict[str, Any]:
        return {
            "run_id": run_id,
            "dataset": dataset,
            "subset": result.subset,
            "sample_id": str(result.sample_id),
            "input": unstructure(result.sample),
        }

    def _prediction_params(
        self, run_id: str, dataset: str, result: SampleResult, now: float
    ) -> dict[str, Any]:
        return {
            "run_id": run_id,
            "dataset": dataset,
            "subset": result.subset,
            "sample_id": str(result.sample_id),
            "request_key": result.request_key,
            "output": unstructure(result.output),
            "error": result.error,
            "created_at": now,
            "status": result.status.value,
        }

    @_writes
    def save_prediction(self, dataset: str, result: SampleResult) -> None:
        """Record the model output of one sample; a stale review of that sample is dropped."""
        with self._lock:
            conn, writer, run_id = self._ready()
            now = time.time()
            pred = self._prediction_params(run_id, dataset, result, now)
            with conn.begin():
                if result.sample is not None:
                    writer.upsert(conn, _samples, self._sample_params(run_id, dataset, result))
                writer.upsert(conn, _predictions, pred)
                writer.execute(conn, "delete_score", self._delete_score_stmt(), pred, _scores)
            self._written.add((run_id, dataset, result.subset, str(result.sample_id)))

    def _delete_score_stmt(self) -> Any:
        stmt = getattr(self, "_delete_score", None)
        if stmt is None:
            stmt = _scores.delete().where(*(_scores.c[k] == sa.bindparam(k) for k in _KEY))
            self._delete_score = stmt
        return stmt

    @_writes
    def save_review(self, dataset: str, result: SampleResult) -> None:
        """Record the review (filtered text, prediction, gold, scores, status, details) of one sample."""
        with self._lock:
            conn, writer, run_id = self._ready()
            now = time.time()
            score = {
                "run_id": run_id,
                "dataset": dataset,
                "subset": result.subset,
                "sample_id": str(result.sample_id),
                "filtered": result.filtered,
                "prediction": result.prediction,
                "gold": result.gold,
                "scores": dict(result.scores),
                "category": list(result.category),
                "error": result.error,
                "created_at": now,
                "status": result.status.value,
                "details": result.details or None,
            }
            # rows this store wrote a moment ago need no existence check (the common path)
            key = (run_id, dataset, result.subset, str(result.sample_id))
            known = key in self._written
            self._written.discard(key)  # a review follows its prediction once: the set stays small
            with conn.begin():
                if not known:
                    if result.sample is not None:
                        writer.insert_missing(conn, _samples, self._sample_params(run_id, dataset, result))
                    writer.insert_missing(
                        conn, _predictions, self._prediction_params(run_id, dataset, result, now)
                    )
                writer.upsert(conn, _scores, score)

    @_writes
    def save_report(self, report: Report) -> None:
        with self._lock:
            conn, writer, run_id = self._ready()
            params = {
                "run_id": run_id,
                "dataset": report.dataset_name,
                "report": unstructure(report),
                "created_at": time.time(),
            }
            with conn.begin():
                writer.upsert(conn, _reports, params)

    # -- reads of the open run -----------------------------------------------------------------

    @_intact
    def load_results(self, dataset: str) -> dict[tuple[str, str], SampleResult]:
        """Every stored prediction of `dataset` in this run, with its review where there is one."""
        with self._lock:
            conn, _, run_id = self._ready()
            with conn.begin():
                rows = conn.execute(reads.results_query(run_id).where(_predictions.c.dataset == dataset)).all()
        out: dict[tuple[str, str], SampleResult] = {}
        for row in rows:
            out[(row.subset, row.sample_id)] = reads.to_result(row)
        return out

    @_intact
    def load_report(self, dataset: str) -> Report | None:
        """The stored report of `dataset` in this run, if any."""
        from evalscope.core.report import Report

        with self._lock:
            conn, _, run_id = self._ready()
            with conn.begin():
                row = conn.execute(
                    sa.select(_reports.c.report).where(
                        _reports.c.run_id == run_id, _reports.c.dataset == dataset
                    )
                ).first()
        return None if row is None else structure(row.report, Report)

    def run_config(self, run_id: str | None = None) -> dict[str, Any] | None:
        """The stored (redacted) configuration of a run."""
        with self._lock:
            current = self.run.run_id if self.run is not None else None
            rows = self._fetch(sa.select(_runs.c.config).where(_runs.c.run_id == (run_id or current)))
        return rows[0].config if rows else None

    @_intact
    def count(self, table: str, *, all_runs: bool = False) -> int:
        """Rows of one table (`runs`, `samples`, `predictions`, `scores`, `reports`) in this run."""
        target = {t.name: t for t in TABLES}[table]
        with self._lock:
            conn, _, run_id = self._ready()
            query = sa.select(sa.func.count()).select_from(target)
            if not all_runs:
                query = query.where(target.c.run_id == run_id)
            with conn.begin():
                return int(conn.execute(query).scalar_one())

    # -- read side -----------------------------------------------------------------------------

    def _run_infos(self, query: Any) -> list[RunInfo]:
        rows = self._fetch(query.order_by(_runs.c.started_at, _runs.c.name, _runs.c.run_id))
        runs = [
            RunInfo(
                run_id=row.run_id,
                work_dir=row.work_dir,
                model_id=row.model_id,
                config=row.config or {},
                started_at=row.started_at,
                name=row.name or Path(row.work_dir).name,
                model_identity=row.model_identity or "",
                kind=row.kind or "eval",
                status=reader_status_of(row.status or "running", row.work_dir, row.run_id),
                finished_at=row.finished_at,
                datasets=list(row.datasets or []),
                planned=dict(row.planned or {}),
            )
            for row in rows
        ]
        # runs written before the datasets column: the datasets their rows name
        bare = [r.run_id for r in runs if not r.datasets]
        if bare:
            present: dict[str, set[str]] = {}
            for table in (_predictions, _reports):
                found = self._fetch(
                    sa.select(table.c.run_id, table.c.dataset).where(table.c.run_id.in_(bare)).distinct()
                )
                for row in found:
                    present.setdefault(row.run_id, set()).add(row.dataset)
            for run in runs:
                if not run.datasets:
                    run.datasets = sorted(present.get(run.run_id, ()))
        return runs

    def list_runs(self, *, kind: str | None = None) -> list[RunInfo]:
        query = sa.select(_runs)
        if kind is not None:
            query = query.where(_runs.c.kind == kind)
        return self._run_infos(query)

    def find_run(self, run_id_or_name: str) -> RunInfo | None:
        by_id = self._run_infos(sa.select(_runs).where(_runs.c.run_id == run_id_or_name))
        if by_id:
            return by_id[0]
        named = self._run_infos(sa.select(_runs).where(_runs.c.name == run_id_or_name))
        return named[0] if len(named) == 1 else None

    def _require_run(self, run_id: str) -> RunInfo:
        found = self._run_infos(sa.select(_runs).where(_runs.c.run_id == run_id))
        if not found:
            raise LookupError(f"{self.display_url}: no run {run_id!r}")
        return found[0]

    def load_reports(self, run_id: str) -> list[Report]:
        from evalscope.core.report import Report

        run = self._require_run(run_id)
        rows = self._fetch(sa.select(_reports.c.dataset, _reports.c.report).where(_reports.c.run_id == run_id))
        order = {name: i for i, name in enumerate(run.datasets)}
        rows = sorted(rows, key=lambda r: (order.get(r.dataset, len(order)), r.dataset))
        return [structure(row.report, Report) for row in rows]

    def iter_results(self, run_id: str, where: ResultFilter | None = None) -> Iterator[SampleResult]:
        self._require_run(run_id)
        query = reads.ordered(reads.narrow(reads.results_query(run_id), where))
        if not needs_python_filter(where):
            return iter([reads.to_result(row) for row in self._fetch(reads.paged(query, where))])

        def kept() -> Iterator[SampleResult]:
            for row in reads.iter_rows(self._fetch, query, self.READ_BATCH):
                result = reads.to_result(row)
                if matches(result, where, dataset=row.dataset):
                    yield result

        return page(kept(), where)

    def count_results(self, run_id: str, where: ResultFilter | None = None) -> int:
        if needs_python_filter(where):
            return super().count_results(run_id, where)
        self._require_run(run_id)
        query = reads.narrow(reads.results_query(run_id), where)
        rows = self._fetch(sa.select(sa.func.count()).select_from(query.subquery()))
        return int(rows[0][0])


#: the name before PostgreSQL was served too (deprecated: plug-ins and tests importing it keep working)
SQLiteResultStore = SqlResultStore

__all__: Sequence[str] = ["SqlResultStore", "SQLiteResultStore", "DB_FILE_NAME"]
