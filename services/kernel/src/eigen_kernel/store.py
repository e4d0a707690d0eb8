"""Durable job + event store on SQLite (WAL).

SPEC §7: every state change and its event are persisted in one transaction before they are
announced.

All access happens on the event-loop thread (one connection, short transactions), so there is
no locking beyond SQLite's own. ``synchronous=NORMAL`` in WAL mode: a committed transaction
survives a SIGKILL of the kernel (it is in the WAL file); only an OS crash can lose the last ones.
"""

from __future__ import annotations

import base64
import json
import sqlite3
import time
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path

from eigen_kernel.domain import Event, Job, Submission
from eigen_kernel.states import TERMINAL, TaskState, can_transition

_SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    job_id TEXT PRIMARY KEY,
    tenant TEXT NOT NULL,
    owner TEXT NOT NULL,
    submission TEXT NOT NULL,
    source TEXT NOT NULL DEFAULT '',
    state TEXT NOT NULL,
    device_id TEXT NOT NULL DEFAULT '',
    progress REAL NOT NULL DEFAULT 0,
    message TEXT NOT NULL DEFAULT '',
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL,
    last_event_seq INTEGER NOT NULL DEFAULT 0,
    error_code TEXT NOT NULL DEFAULT '',
    error_summary TEXT NOT NULL DEFAULT '',
    deadline REAL,
    idempotency_key TEXT NOT NULL DEFAULT '',
    payload_hash TEXT NOT NULL DEFAULT '',
    priority INTEGER NOT NULL DEFAULT 50,
    terminal INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS jobs_tenant_created ON jobs (tenant, created_at DESC, job_id DESC);
CREATE INDEX IF NOT EXISTS jobs_active ON jobs (terminal) WHERE terminal = 0;
CREATE UNIQUE INDEX IF NOT EXISTS jobs_idem ON jobs (tenant, idempotency_key)
    WHERE idempotency_key != '';
CREATE TABLE IF NOT EXISTS events (
    job_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    state TEXT NOT NULL,
    progress REAL NOT NULL,
    message TEXT NOT NULL,
    ts REAL NOT NULL,
    terminal INTEGER NOT NULL,
    iteration INTEGER NOT NULL DEFAULT 0,
    value REAL,
    PRIMARY KEY (job_id, seq)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS evaluations (
    job_id TEXT NOT NULL,
    iteration INTEGER NOT NULL,
    point TEXT NOT NULL,
    value REAL NOT NULL,
    std_error REAL NOT NULL DEFAULT 0,
    PRIMARY KEY (job_id, iteration)
) WITHOUT ROWID;
"""

_JOB_COLS = (
    "job_id, tenant, owner, submission, state, device_id, progress, message, created_at, "
    "updated_at, last_event_seq, error_code, error_summary, deadline, payload_hash"
)


class TransitionRejected(Exception):
    """The job is terminal already, or the transition is not allowed; carries the current state."""

    def __init__(self, job_id: str, current: TaskState, wanted: TaskState):
        super().__init__(f"job {job_id}: {current} → {wanted} not allowed")
        self.current = current


def _row_to_job(r: tuple[object, ...], submission: Submission | None = None) -> Job:
    return Job(
        job_id=str(r[0]),
        tenant=str(r[1]),
        owner=str(r[2]),
        submission=submission or Submission.from_json(json.loads(str(r[3]))),
        state=TaskState(str(r[4])),
        device_id=str(r[5]),
        progress=float(r[6]),  # type: ignore[arg-type]
        message=str(r[7]),
        created_at=float(r[8]),  # type: ignore[arg-type]
        updated_at=float(r[9]),  # type: ignore[arg-type]
        last_event_seq=int(r[10]),  # type: ignore[call-overload]
        error_code=str(r[11]),
        error_summary=str(r[12]),
        deadline=None if r[13] is None else float(r[13]),  # type: ignore[arg-type]
        payload_hash=str(r[14]),
    )


def _row_to_event(job_id: str, r: tuple[object, ...]) -> Event:
    return Event(
        job_id=job_id,
        seq=int(r[0]),  # type: ignore[call-overload]
        state=TaskState(str(r[1])),
        progress=float(r[2]),  # type: ignore[arg-type]
        message=str(r[3]),
        timestamp=float(r[4]),  # type: ignore[arg-type]
        terminal=bool(r[5]),
        iteration=int(r[6]),  # type: ignore[call-overload]
        value=None if r[7] is None else float(r[7]),  # type: ignore[arg-type]
    )


class JobStore:
    """SQLite-backed jobs, events and reservations. ``path`` ':memory:' is for unit tests only."""

    def __init__(self, path: Path | str):
        self._db = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute("PRAGMA busy_timeout=5000")
        self._db.executescript(_SCHEMA)
        # Submissions never change after acceptance: decode each once (bounded cache).
        self._subs: dict[str, Submission] = {}

    def _job(self, r: tuple[object, ...]) -> Job:
        jid = str(r[0])
        sub = self._subs.get(jid)
        job = _row_to_job(r, sub)
        if sub is None:
            if len(self._subs) >= 10_000:
                self._subs.clear()
            self._subs[jid] = job.submission
        return job

    def close(self) -> None:
        """Close the connection."""
        self._db.close()

    # --- jobs -----------------------------------------------------------------------------

    def create_job(
        self,
        job_id: str,
        tenant: str,
        owner: str,
        submission: Submission,
        payload_hash: str,
        message: str = "accepted",
    ) -> tuple[Job, Event]:
        """Insert a PENDING job and its first event (seq 1) atomically.

        Raises:
            sqlite3.IntegrityError: the job id, or the tenant's idempotency key, exists already.
        """
        now = time.time()
        deadline = now + submission.timeout_seconds if submission.timeout_seconds else None
        with self._tx():
            self._db.execute(
                "INSERT INTO jobs (job_id, tenant, owner, submission, source, state, progress, "
                "message, created_at, updated_at, last_event_seq, deadline, idempotency_key, "
                "payload_hash, priority) VALUES (?, ?, ?, ?, ?, ?, 0, ?, ?, ?, 1, ?, ?, ?, ?)",
                (
                    job_id,
                    tenant,
                    owner,
                    json.dumps({**submission.to_json(), "source": ""}),
                    submission.source,
                    TaskState.PENDING.value,
                    message,
                    now,
                    now,
                    deadline,
                    submission.idempotency_key,
                    payload_hash,
                    submission.priority,
                ),
            )
            self._db.execute(
                "INSERT INTO events (job_id, seq, state, progress, message, ts, terminal) "
                "VALUES (?, 1, ?, 0, ?, ?, 0)",
                (job_id, TaskState.PENDING.value, message, now),
            )
        job = self.get_job(job_id)
        assert job is not None
        return replace(job, submission=submission), Event(
            job_id, 1, TaskState.PENDING, 0.0, message, now, False
        )

    def get_job(self, job_id: str, tenant: str | None = None) -> Job | None:
        """The job, or None (also None when ``tenant`` is given and differs)."""
        r = self._db.execute(f"SELECT {_JOB_COLS} FROM jobs WHERE job_id = ?", (job_id,)).fetchone()
        if r is None or (tenant is not None and r[1] != tenant):
            return None
        return self._job(r)

    def find_idempotent(self, tenant: str, key: str) -> Job | None:
        """The tenant's job holding this idempotency key (the caller judges its age)."""
        r = self._db.execute(
            f"SELECT {_JOB_COLS} FROM jobs WHERE tenant = ? AND idempotency_key = ?", (tenant, key)
        ).fetchone()
        return None if r is None else self._job(r)

    def release_idempotency_key(self, job_id: str) -> None:
        """Forget an expired key so that it can be reused."""
        with self._tx():
            self._db.execute("UPDATE jobs SET idempotency_key = '' WHERE job_id = ?", (job_id,))

    def active_jobs(self) -> list[Job]:
        """Non-terminal jobs, oldest first (used for recovery after a restart)."""
        rows = self._db.execute(
            f"SELECT {_JOB_COLS} FROM jobs WHERE terminal = 0 ORDER BY created_at, job_id"
        ).fetchall()
        return [self._job(r) for r in rows]

    def list_jobs(
        self, tenant: str, states: Iterable[TaskState], page_size: int, page_token: str
    ) -> tuple[list[Job], str]:
        """One page of the tenant's jobs, newest first; returns (jobs, next_page_token)."""
        sql = f"SELECT {_JOB_COLS} FROM jobs WHERE tenant = ?"
        args: list[object] = [tenant]
        st = [s.value for s in states]
        if st:
            sql += f" AND state IN ({','.join('?' * len(st))})"
            args.extend(st)
        if page_token:
            created, jid = decode_page_token(page_token)
            sql += " AND (created_at < ? OR (created_at = ? AND job_id < ?))"
            args.extend([created, created, jid])
        sql += " ORDER BY created_at DESC, job_id DESC LIMIT ?"
        args.append(page_size + 1)
        rows = [self._job(r) for r in self._db.execute(sql, args).fetchall()]
        nxt = ""
        if len(rows) > page_size:
            rows = rows[:page_size]
            last = rows[-1]
            nxt = encode_page_token(last.created_at, last.job_id)
        return rows, nxt

    def transition(
        self,
        job_id: str,
        new_state: TaskState,
        message: str,
        *,
        progress: float | None = None,
        device_id: str | None = None,
        error_code: str = "",
        error_summary: str = "",
        iteration: int = 0,
        value: float | None = None,
        point: list[float] | None = None,
        std_error: float = 0.0,
    ) -> tuple[Job, Event]:
        """Move a job to ``new_state`` and persist the event (seq + 1) in one transaction.

        With ``point`` (a hybrid loop's evaluation), the evaluation ``(iteration, point,
        value, std_error)`` is stored in the same transaction, so an announced iteration is
        always a stored one (a restarted loop replays from them).

        Raises:
            TransitionRejected: the job is terminal (the first terminal decision won) or the
                transition is not allowed.
            KeyError: no such job.
        """
        now = time.time()
        terminal = new_state in TERMINAL
        with self._tx():
            r = self._db.execute(
                f"SELECT {_JOB_COLS} FROM jobs WHERE job_id = ?", (job_id,)
            ).fetchone()
            if r is None:
                raise KeyError(job_id)
            old = self._job(r)
            if not can_transition(old.state, new_state):
                raise TransitionRejected(job_id, old.state, new_state)
            seq = old.last_event_seq + 1
            prog = old.progress if progress is None else progress
            if new_state == TaskState.COMPLETED:
                prog = 1.0
            sets = (
                "state = ?, progress = ?, message = ?, updated_at = ?, last_event_seq = ?, "
                "terminal = ?"
            )
            args: list[object] = [new_state.value, prog, message, now, seq, int(terminal)]
            if device_id is not None:
                sets += ", device_id = ?"
                args.append(device_id)
            if error_code:
                sets += ", error_code = ?, error_summary = ?"
                args.extend([error_code, error_summary])
            self._db.execute(f"UPDATE jobs SET {sets} WHERE job_id = ?", [*args, job_id])
            self._db.execute(
                "INSERT INTO events (job_id, seq, state, progress, message, ts, terminal, "
                "iteration, value) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (job_id, seq, new_state.value, prog, message, now, int(terminal), iteration, value),
            )
            if point is not None:
                self._db.execute(
                    "INSERT OR REPLACE INTO evaluations (job_id, iteration, point, value, "
                    "std_error) VALUES (?, ?, ?, ?, ?)",
                    (job_id, iteration, json.dumps(point), value, std_error),
                )
        job = replace(
            old,
            state=new_state,
            progress=prog,
            message=message,
            updated_at=now,
            last_event_seq=seq,
            device_id=old.device_id if device_id is None else device_id,
            error_code=error_code or old.error_code,
            error_summary=error_summary if error_code else old.error_summary,
        )
        return job, Event(job_id, seq, new_state, prog, message, now, terminal, iteration, value)

    # --- events ---------------------------------------------------------------------------

    def source(self, job_id: str) -> str:
        """The program source of a job ('' if unknown).

        Kept out of the job row's submission so that status and list queries never load
        (or cache) program text, which may be up to the edge's size limit.
        """
        r = self._db.execute("SELECT source FROM jobs WHERE job_id = ?", (job_id,)).fetchone()
        return "" if r is None else str(r[0])

    def evaluations(self, job_id: str) -> list[tuple[int, list[float], float, float]]:
        """Stored hybrid-loop evaluations ``(iteration, point, value, std_error)``, in order."""
        rows = self._db.execute(
            "SELECT iteration, point, value, std_error FROM evaluations WHERE job_id = ? "
            "ORDER BY iteration",
            (job_id,),
        ).fetchall()
        return [(int(r[0]), json.loads(r[1]), float(r[2]), float(r[3])) for r in rows]

    def events_after(self, job_id: str, after_seq: int, limit: int = 1000) -> list[Event]:
        """Persisted events with ``seq > after_seq``, in order (at most ``limit``, 1..10^5).

        ``after_seq`` beyond SQLite's integer range is clamped (nothing is after it).
        """
        after_seq = min(max(after_seq, 0), 2**63 - 1)
        limit = min(max(limit, 1), 100_000)
        rows = self._db.execute(
            "SELECT seq, state, progress, message, ts, terminal, iteration, value FROM events "
            "WHERE job_id = ? AND seq > ? ORDER BY seq LIMIT ?",
            (job_id, after_seq, limit),
        ).fetchall()
        return [_row_to_event(job_id, r) for r in rows]

    # --- helpers --------------------------------------------------------------------------

    def _tx(self) -> _Tx:
        return _Tx(self._db)


class _Tx:
    def __init__(self, db: sqlite3.Connection):
        self._db = db

    def __enter__(self) -> None:
        self._db.execute("BEGIN IMMEDIATE")

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        self._db.execute("COMMIT" if exc_type is None else "ROLLBACK")


def encode_page_token(created_at: float, job_id: str) -> str:
    """Opaque ListJobs page token."""
    return base64.urlsafe_b64encode(json.dumps([created_at, job_id]).encode()).decode()


def decode_page_token(token: str) -> tuple[float, str]:
    """Inverse of :func:`encode_page_token`.

    Raises:
        ValueError: malformed token.
    """
    try:
        created, jid = json.loads(base64.urlsafe_b64decode(token.encode()))
        return float(created), str(jid)
    except Exception as exc:
        raise ValueError("malformed page token") from exc
