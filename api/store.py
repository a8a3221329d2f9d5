"""The plan store: plans, their progress and their output files, in a SQL database.

SQLAlchemy 2 over an embedded SQLite file by default, or any database SQLAlchemy reaches
(PostgreSQL in production) by URL. Two tables::

    plans       one row a plan: status, progress, summary, diagnostics, why it failed
    plan_files  one row an output file of a finished plan: name, media type, bytes

A plan is written ``queued`` when accepted, ``running`` when a worker takes it, and
``done`` together with all its files in one transaction, so a server killed at any moment
never holds a half-stored plan. :meth:`PlanStore.fail_unfinished` runs at start-up:
plans that were queued or running when the previous server stopped are marked ``failed``
with the reason, never left ``running`` forever.

Every method opens and commits its own short session and returns frozen
:class:`StoredPlan` records, safe to use from any thread.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from sqlalchemy import (
    JSON,
    DateTime,
    Engine,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    create_engine,
    delete,
    event,
    func,
    select,
    update,
)
from sqlalchemy.engine import make_url
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker

__all__ = ["FailureKind", "PlanFileData", "PlanStatus", "PlanStore", "StoredPlan"]

PlanStatus = Literal["queued", "running", "done", "failed"]
FailureKind = Literal["invalid", "time-limit", "memory-limit", "interrupted", "internal"]
UNFINISHED: tuple[PlanStatus, ...] = ("queued", "running")


class _Base(DeclarativeBase):
    pass


class _PlanRow(_Base):
    __tablename__ = "plans"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    id: Mapped[str] = mapped_column(String(32), unique=True, index=True)
    scenario_name: Mapped[str] = mapped_column(String(200))
    scenario_hash: Mapped[str] = mapped_column(String(64), index=True)
    scenario: Mapped[dict[str, Any]] = mapped_column(JSON)
    topo_version: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16), index=True)
    stage: Mapped[str | None] = mapped_column(String(200))
    stages_done: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    summary: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    diagnostics: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)
    notes: Mapped[list[str] | None] = mapped_column(JSON)
    failure: Mapped[str | None] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(Text)
    problems: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)


class _LeaseRow(_Base):
    """The one server that may run plans from this database, renewed while it runs."""

    __tablename__ = "server_lease"

    name: Mapped[str] = mapped_column(String(16), primary_key=True)
    holder: Mapped[str] = mapped_column(String(200))
    renewed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class _FileRow(_Base):
    __tablename__ = "plan_files"

    plan_seq: Mapped[int] = mapped_column(
        ForeignKey("plans.seq", ondelete="CASCADE"), primary_key=True
    )
    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    media_type: Mapped[str] = mapped_column(String(100))
    content: Mapped[bytes] = mapped_column(LargeBinary)


@dataclass(frozen=True, slots=True)
class StoredPlan:
    """One plan as stored: status, progress and (when done) its results, not its files."""

    id: str
    scenario_name: str
    scenario_hash: str
    topo_version: str
    status: PlanStatus
    stage: str | None
    stages_done: int
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    summary: dict[str, Any] | None
    diagnostics: list[dict[str, Any]]
    notes: list[str]
    failure: FailureKind | None
    reason: str | None
    problems: list[dict[str, Any]]
    files: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class PlanFileData:
    """One output file of a finished plan."""

    name: str
    media_type: str
    content: bytes


def _utc(moment: datetime | None) -> datetime | None:
    # SQLite gives back naive datetimes; everything stored is UTC
    if moment is not None and moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment


def _now() -> datetime:
    return datetime.now(UTC)


def _record(row: _PlanRow, files: Iterable[str]) -> StoredPlan:
    created = _utc(row.created_at)
    assert created is not None
    return StoredPlan(
        id=row.id,
        scenario_name=row.scenario_name,
        scenario_hash=row.scenario_hash,
        topo_version=row.topo_version,
        status=row.status,  # type: ignore[arg-type]
        stage=row.stage,
        stages_done=row.stages_done,
        created_at=created,
        started_at=_utc(row.started_at),
        finished_at=_utc(row.finished_at),
        summary=row.summary,
        diagnostics=list(row.diagnostics or ()),
        notes=list(row.notes or ()),
        failure=row.failure,  # type: ignore[arg-type]
        reason=row.reason,
        problems=list(row.problems or ()),
        files=tuple(sorted(files)),
    )


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _engine(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True)
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})
    event.listen(engine, "connect", _sqlite_pragmas)
    return engine


class PlanStore:
    """Plans and their files in a SQL database.

    Args:
        url: a SQLAlchemy database URL; tables are created when missing.

    Example:
        >>> store = PlanStore("sqlite://")
        >>> plan = store.create(name="hall", digest="ab" * 32, scenario={}, topo_version="0")
        >>> store.get(plan.id).status
        'queued'
    """

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = _engine(url)
        _Base.metadata.create_all(self.engine)
        self._session = sessionmaker(self.engine, expire_on_commit=False)

    def close(self) -> None:
        """Release the database connections."""
        self.engine.dispose()

    def ping(self) -> None:
        """Raise if the database cannot be reached."""
        with self._session() as s:
            s.execute(select(1))

    # -- the server lease ----------------------------------------------------------------

    def acquire_lease(
        self, holder: str, *, stale_after_s: float, gone: Callable[[str], bool] = lambda h: False
    ) -> str | None:
        """Take the database for the server ``holder``; None when taken, or the holder
        that has it (renewed within ``stale_after_s`` seconds and not ``gone``) when
        another server runs."""
        with self._session() as s, s.begin():
            row = s.get(_LeaseRow, "server", with_for_update=True)
            now = _now()
            if row is not None and row.holder != holder:
                age = (now - (_utc(row.renewed_at) or now)).total_seconds()
                if age < stale_after_s and not gone(row.holder):
                    return row.holder
            if row is None:
                s.add(_LeaseRow(name="server", holder=holder, renewed_at=now))
            else:
                row.holder, row.renewed_at = holder, now
        return None

    def renew_lease(self, holder: str) -> bool:
        """Renew ``holder``'s lease; False when another server has taken it."""
        return self._lease_update(holder, renewed_at=_now())

    def release_lease(self, holder: str) -> None:
        """Give the database up (at shut-down)."""
        with self._session() as s, s.begin():
            s.execute(delete(_LeaseRow).where(_LeaseRow.holder == holder))

    def _lease_update(self, holder: str, **values: Any) -> bool:
        with self._session() as s, s.begin():
            result = s.execute(update(_LeaseRow).where(_LeaseRow.holder == holder).values(**values))
            return bool(getattr(result, "rowcount", 0))

    # -- reading -------------------------------------------------------------------------

    def _files_of(self, s: Session, seq: int) -> list[str]:
        return list(s.scalars(select(_FileRow.name).where(_FileRow.plan_seq == seq)))

    def get(self, plan_id: str) -> StoredPlan | None:
        """The plan ``plan_id``, or None."""
        with self._session() as s:
            row = s.scalar(select(_PlanRow).where(_PlanRow.id == plan_id))
            return None if row is None else _record(row, self._files_of(s, row.seq))

    def page(self, *, limit: int, offset: int) -> tuple[list[StoredPlan], int]:
        """Plans newest first, and how many there are in all."""
        with self._session() as s:
            total = s.scalar(select(func.count()).select_from(_PlanRow)) or 0
            rows = s.scalars(
                select(_PlanRow).order_by(_PlanRow.seq.desc()).limit(limit).offset(offset)
            ).all()
            names: dict[int, list[str]] = {r.seq: [] for r in rows}
            if names:
                for seq, name in s.execute(
                    select(_FileRow.plan_seq, _FileRow.name).where(_FileRow.plan_seq.in_(names))
                ):
                    names[seq].append(name)
            return [_record(r, names[r.seq]) for r in rows], total

    def find_reusable(self, digest: str, topo_version: str) -> StoredPlan | None:
        """The newest plan of an identical scenario that is done or still on its way."""
        with self._session() as s:
            row = s.scalar(
                select(_PlanRow)
                .where(
                    _PlanRow.scenario_hash == digest,
                    _PlanRow.topo_version == topo_version,
                    _PlanRow.status.in_(("queued", "running", "done")),
                )
                .order_by(_PlanRow.seq.desc())
                .limit(1)
            )
            return None if row is None else _record(row, self._files_of(s, row.seq))

    def file(self, plan_id: str, name: str) -> PlanFileData | None:
        """One output file of a plan, or None."""
        with self._session() as s:
            row = s.execute(
                select(_FileRow.name, _FileRow.media_type, _FileRow.content)
                .join(_PlanRow, _PlanRow.seq == _FileRow.plan_seq)
                .where(_PlanRow.id == plan_id, _FileRow.name == name)
            ).first()
            return None if row is None else PlanFileData(row[0], row[1], row[2])

    def scenario_of(self, plan_id: str) -> dict[str, Any] | None:
        """The scenario a plan was made from, as posted (canonical JSON data)."""
        with self._session() as s:
            return s.scalar(select(_PlanRow.scenario).where(_PlanRow.id == plan_id))

    # -- writing -------------------------------------------------------------------------

    def create(
        self, *, name: str, digest: str, scenario: dict[str, Any], topo_version: str
    ) -> StoredPlan:
        """Store a new plan, ``queued``."""
        row = _PlanRow(
            id=uuid.uuid4().hex,
            scenario_name=name,
            scenario_hash=digest,
            scenario=scenario,
            topo_version=topo_version,
            status="queued",
            stages_done=0,
            created_at=_now(),
        )
        with self._session() as s, s.begin():
            s.add(row)
        return _record(row, ())

    def _update(self, plan_id: str, *where: Any, **values: Any) -> bool:
        with self._session() as s, s.begin():
            result = s.execute(
                update(_PlanRow).where(_PlanRow.id == plan_id, *where).values(**values)
            )
            return bool(result.rowcount)  # type: ignore[attr-defined]

    def mark_running(self, plan_id: str) -> bool:
        """Move a queued plan to ``running``; False if it is gone or not queued."""
        return self._update(
            plan_id, _PlanRow.status == "queued", status="running", started_at=_now()
        )

    def progress(self, plan_id: str, stage: str, stages_done: int) -> None:
        """Record the stage a running plan has reached."""
        self._update(plan_id, _PlanRow.status == "running", stage=stage, stages_done=stages_done)

    def finish(
        self,
        plan_id: str,
        *,
        summary: dict[str, Any],
        diagnostics: list[dict[str, Any]],
        notes: list[str],
        files: Mapping[str, tuple[str, bytes]],
    ) -> bool:
        """Store a finished plan and all its files at once; False if the plan is gone.

        Args:
            files: ``{name: (media type, bytes)}``.
        """
        with self._session() as s, s.begin():
            row = s.scalar(select(_PlanRow).where(_PlanRow.id == plan_id).with_for_update())
            if row is None or row.status not in UNFINISHED:
                return False
            row.status = "done"
            row.stage = "done"
            row.finished_at = _now()
            row.summary = summary
            row.diagnostics = diagnostics
            row.notes = notes
            s.add_all(
                _FileRow(plan_seq=row.seq, name=name, media_type=media, content=content)
                for name, (media, content) in sorted(files.items())
            )
            return True

    def fail(
        self,
        plan_id: str,
        *,
        failure: FailureKind,
        reason: str,
        problems: list[dict[str, Any]] | None = None,
    ) -> bool:
        """Mark an unfinished plan ``failed`` with why; False if it is gone or finished."""
        return self._update(
            plan_id,
            _PlanRow.status.in_(UNFINISHED),
            status="failed",
            failure=failure,
            reason=reason,
            problems=problems or [],
            finished_at=_now(),
        )

    def fail_unfinished(self, reason: str) -> int:
        """Mark every queued or running plan ``failed`` (``interrupted``); how many were."""
        with self._session() as s, s.begin():
            result = s.execute(
                update(_PlanRow)
                .where(_PlanRow.status.in_(UNFINISHED))
                .values(status="failed", failure="interrupted", reason=reason, finished_at=_now())
            )
            return int(result.rowcount)  # type: ignore[attr-defined]

    def delete(self, plan_id: str) -> bool:
        """Delete a plan and its files; False if there was none."""
        with self._session() as s, s.begin():
            seq = s.scalar(select(_PlanRow.seq).where(_PlanRow.id == plan_id))
            if seq is None:
                return False
            s.execute(delete(_FileRow).where(_FileRow.plan_seq == seq))
            s.execute(delete(_PlanRow).where(_PlanRow.seq == seq))
            return True
