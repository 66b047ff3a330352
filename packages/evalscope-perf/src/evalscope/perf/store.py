"""Per-request SQLite database (sqlmodel): ``benchmark_data.db``, table ``request``."""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from pathlib import Path

from sqlalchemy import insert
from sqlmodel import Field, Session, SQLModel, create_engine, select

from evalscope.perf.records import RequestRecord


def _f(x: float) -> float | None:
    return None if x is None or math.isnan(x) else x


class RequestRow(SQLModel, table=True):
    """One request; times in seconds from the run start (first intended send)."""

    __tablename__ = "request"

    id: int | None = Field(default=None, primary_key=True)
    idx: int
    conversation: int = -1
    turn: int = 0
    worker: int = 0
    intended_send: float
    send: float | None = None
    first_byte: float | None = None
    first_token: float | None = None
    end: float | None = None
    chunk_times: str = "[]"  # JSON list
    status: int = 0
    success: bool = False
    error: str = ""
    stream: bool = True
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    tokens_source: str = "none"
    intended_prompt_tokens: int | None = None
    server_prompt_tokens: int | None = None
    latency: float | None = None
    ttft: float | None = None
    tpot: float | None = None
    output_text: str = ""


def write_records(path: Path, records: Sequence[RequestRecord]) -> None:
    """Create ``path`` (replacing an old file) and insert every record."""
    if path.exists():
        path.unlink()
    engine = create_engine(f"sqlite:///{path}")
    SQLModel.metadata.create_all(engine)
    rows = [
        dict(
            idx=r.index, conversation=r.conversation, turn=r.turn, worker=r.worker,
            intended_send=r.intended_send, send=_f(r.send), first_byte=_f(r.first_byte),
            first_token=_f(r.first_token), end=_f(r.end), chunk_times=json.dumps(r.chunk_times),
            status=r.status, success=r.success, error=r.error, stream=r.stream,
            prompt_tokens=r.prompt_tokens, completion_tokens=r.completion_tokens,
            tokens_source=r.tokens_source, intended_prompt_tokens=r.intended_prompt_tokens,
            server_prompt_tokens=r.server_prompt_tokens, latency=_f(r.latency), ttft=_f(r.ttft),
            tpot=_f(r.tpot), output_text=r.output_text,
        )
        for r in records
    ]
    with Session(engine) as session:
        if rows:  # one executemany, not one ORM object per request
            session.execute(insert(RequestRow), rows)
        session.commit()
    engine.dispose()


def read_records(path: Path) -> list[RequestRecord]:
    """Load records back (for re-analysis and the report site)."""
    engine = create_engine(f"sqlite:///{path}")
    nan = math.nan
    with Session(engine) as session:
        rows = session.exec(select(RequestRow).order_by(RequestRow.id)).all()  # type: ignore[arg-type]  # a SQLModel field reads as its value type
        out = [
            RequestRecord(
                index=row.idx, intended_send=row.intended_send,
                send=nan if row.send is None else row.send,
                first_byte=nan if row.first_byte is None else row.first_byte,
                first_token=nan if row.first_token is None else row.first_token,
                end=nan if row.end is None else row.end,
                chunk_times=json.loads(row.chunk_times), status=row.status, success=row.success,
                error=row.error, stream=row.stream, prompt_tokens=row.prompt_tokens,
                completion_tokens=row.completion_tokens, tokens_source=row.tokens_source,
                intended_prompt_tokens=row.intended_prompt_tokens, server_prompt_tokens=row.server_prompt_tokens,
                output_text=row.output_text, conversation=row.conversation, turn=row.turn, worker=row.worker,
            )
            for row in rows
        ]
    engine.dispose()
    return out
