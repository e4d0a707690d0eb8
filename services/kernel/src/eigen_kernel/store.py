"""Durable job store on SQLite (WAL): jobs, events, outcomes, reservations, device statistics.

SPEC §7: every state change and its event are persisted in one transaction before they are
announced. A terminal event is written together with what the job produced (its outcome or
error record), so a late result of a cancelled job can never appear: the first terminal
decision wins and the loser's whole transaction is rejected.

All access happens on the event-loop thread (one connection, short transactions), so there is
no locking beyond SQLite's own. ``synchronous=NORMAL`` in WAL mode: a committed transaction
survives a SIGKILL of the kernel (it is in the WAL file); only an OS crash can lose the last ones.

The schema is a versioned SQL directory (``migrations/sqlite/NNNN_*.sql``) applied at start in
order, tracked by ``PRAGMA user_version``; a database written by an older kernel is upgraded in
place.
"""

from __future__ import annotations

import base64
import json
import re
import sqlite3
import time
from collections.abc import Iterable, Sequence
from dataclasses import replace
from importlib import resources
from pathlib import Path
from typing import Any

from eigen_common import errors
from eigen_kernel.domain import (
    ErrorRecord,
    Evaluation,
    Event,
    Job,
    JobOutcome,
    Reservation,
    ReservationState,
    Step,
    Submission,
    SweepPoint,
    VendorExecution,
)
from eigen_kernel.ports import CompiledRef, DuplicateJob, TransitionRejected
from eigen_kernel.states import TERMINAL, TaskState, can_transition

_JOB_COLS = (
    "job_id, tenant, owner, submission, state, device_id, progress, message, created_at, "
    "updated_at, last_event_seq, error_code, error_summary, deadline, payload_hash, queued_at, "
    "owner_kernel"
)
_RES_COLS = (
    "reservation_id, tenant, owner, device_id, purpose, state, created_at, starts_at, expires_at"
)
_MIGRATION = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")


def migrations(dialect: str) -> list[tuple[int, str]]:
    """The ``(version, sql)`` scripts of ``migrations/<dialect>/``, in version order.

    Raises:
        ValueError: versions are not 1, 2, 3, ... without gaps.
    """
    folder = resources.files("eigen_kernel.migrations") / dialect
    found = []
    for entry in folder.iterdir():
        m = _MIGRATION.match(entry.name)
        if m:
            found.append((int(m.group(1)), entry.read_text(encoding="utf-8")))
    found.sort()
    if [v for v, _ in found] != list(range(1, len(found) + 1)):
        raise ValueError(f"migrations of {dialect} are not numbered 1..n: {[v for v, _ in found]}")
    return found


def _f(v: object) -> float:
    return float(v)  # type: ignore[arg-type]


def _i(v: object) -> int:
    return int(v)  # type: ignore[call-overload,no-any-return]


def _event(job_id: str, r: tuple[object, ...]) -> Event:
    return Event(
        job_id=job_id,
        seq=_i(r[0]),
        state=TaskState(str(r[1])),
        progress=_f(r[2]),
        message=str(r[3]),
        timestamp=_f(r[4]),
        terminal=bool(r[5]),
        iteration=_i(r[6]),
        value=None if r[7] is None else _f(r[7]),
    )


def _reservation(r: tuple[object, ...]) -> Reservation:
    return Reservation(
        reservation_id=str(r[0]),
        tenant=str(r[1]),
        owner=str(r[2]),
        device_id=str(r[3]),
        purpose=str(r[4]),
        state=ReservationState(str(r[5])),
        created_at=_f(r[6]),
        starts_at=_f(r[7]),
        expires_at=_f(r[8]),
    )


def outcome_to_json(o: JobOutcome) -> str:
    """Serialise an outcome for the ``outcomes`` table."""
    # by hand, not dataclasses.asdict: that deep-copies every counts map (0.5 ms a job)
    d = {
        "counts": o.counts,
        "metadata": o.metadata,
        "optimization": o.optimization,
        "outputs": o.outputs,
        "sweep": [
            {
                "parameter_values": p.parameter_values,
                "counts": p.counts,
                "expectation_values": p.expectation_values,
                "std_errors": p.std_errors,
            }
            for p in o.sweep
        ],
        "artifacts": o.artifacts,
    }
    return json.dumps(d, sort_keys=True, allow_nan=False)


def outcome_from_json(text: str) -> JobOutcome:
    """Inverse of :func:`outcome_to_json`."""
    d = json.loads(text)
    return JobOutcome(
        counts=d.get("counts", {}),
        metadata=d.get("metadata", {}),
        optimization=d.get("optimization", {}),
        outputs=d.get("outputs", {}),
        sweep=tuple(
            SweepPoint(
                p["parameter_values"],
                p.get("counts", {}),
                tuple(p.get("expectation_values", ())),
                tuple(p.get("std_errors", ())),
            )
            for p in d.get("sweep", ())
        ),
        artifacts=tuple(d.get("artifacts", ())),
    )


def _error_to_json(e: ErrorRecord) -> str:
    return json.dumps(
        {"error_code": e.error_code, "summary": e.summary, "diagnostics": list(e.diagnostics)},
        sort_keys=True,
    )


def _error_from_json(text: str) -> ErrorRecord:
    d = json.loads(text)
    return ErrorRecord(d["error_code"], d.get("summary", ""), tuple(d.get("diagnostics", ())))


class SqliteJobStore:
    """The :class:`eigen_kernel.ports.JobStore` on SQLite. ``':memory:'`` is for unit tests."""

    def __init__(self, path: Path | str):
        self._db = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute("PRAGMA busy_timeout=5000")
        self._migrate()
        # Submissions never change after acceptance: decode each once (bounded cache).
        self._subs: dict[str, Submission] = {}

    def _migrate(self) -> None:
        current = _i(self._db.execute("PRAGMA user_version").fetchone()[0])
        for version, sql in migrations("sqlite"):
            if version <= current:
                continue
            # A database of the first kernel has the v1 tables but user_version 0: v1 is
            # written with IF NOT EXISTS so it applies cleanly to it.
            self._db.executescript(f"BEGIN IMMEDIATE;\n{sql}\nPRAGMA user_version = {version};")
            self._db.execute("COMMIT")

    @property
    def schema_version(self) -> int:
        """The applied migration version."""
        return _i(self._db.execute("PRAGMA user_version").fetchone()[0])

    def close(self) -> None:
        """Close the connection."""
        self._db.close()

    def _job(self, r: tuple[object, ...]) -> Job:
        jid = str(r[0])
        sub = self._subs.get(jid)
        if sub is None:
            sub = Submission.from_json(json.loads(str(r[3])))
            if len(self._subs) >= 10_000:
                self._subs.clear()
            self._subs[jid] = sub
        return Job(
            job_id=jid,
            tenant=str(r[1]),
            owner=str(r[2]),
            submission=sub,
            state=TaskState(str(r[4])),
            device_id=str(r[5]),
            progress=_f(r[6]),
            message=str(r[7]),
            created_at=_f(r[8]),
            updated_at=_f(r[9]),
            last_event_seq=_i(r[10]),
            error_code=str(r[11]),
            error_summary=str(r[12]),
            deadline=None if r[13] is None else _f(r[13]),
            payload_hash=str(r[14]),
            queued_at=None if r[15] is None else _f(r[15]),
        )

    # --- jobs -----------------------------------------------------------------------------

    def create_job(
        self,
        job_id: str,
        tenant: str,
        owner: str,
        submission: Submission,
        payload_hash: str,
        device_id: str = "",
        message: str = "accepted",
        owner_kernel: str = "",
    ) -> tuple[Job, Event]:
        """Insert a PENDING job and its first event (seq 1) atomically.

        ``owner_kernel``: the kernel that will work on it, when the accepting kernel leases
        its device ('' = its device's lease holder claims it).

        Raises:
            DuplicateJob: the job id, or the tenant's idempotency key, exists already.
        """
        now = time.time()
        deadline = now + submission.timeout_seconds if submission.timeout_seconds else None
        try:
            with self._tx():
                self._db.execute(
                    "INSERT INTO jobs (job_id, tenant, owner, submission, source, state, "
                    "device_id, progress, message, created_at, updated_at, last_event_seq, "
                    "deadline, idempotency_key, payload_hash, priority, owner_kernel) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?, 1, ?, ?, ?, ?, ?)",
                    (
                        job_id,
                        tenant,
                        owner,
                        json.dumps({**submission.to_json(), "source": ""}),
                        submission.source,
                        TaskState.PENDING.value,
                        device_id,
                        message,
                        now,
                        now,
                        deadline,
                        submission.idempotency_key,
                        payload_hash,
                        submission.priority,
                        owner_kernel,
                    ),
                )
                self._db.execute(
                    "INSERT INTO events (job_id, seq, state, progress, message, ts, terminal) "
                    "VALUES (?, 1, ?, 0, ?, ?, 0)",
                    (job_id, TaskState.PENDING.value, message, now),
                )
        except sqlite3.IntegrityError as exc:
            raise DuplicateJob(str(exc)) from None
        self._subs[job_id] = submission
        job = Job(
            job_id,
            tenant,
            owner,
            submission,
            TaskState.PENDING,
            device_id,
            0.0,
            message,
            now,
            now,
            1,
            "",
            "",
            deadline,
            payload_hash,
        )
        return job, Event(job_id, 1, TaskState.PENDING, 0.0, message, now, False)

    def get_job(self, job_id: str, tenant: str | None = None) -> Job | None:
        """The job, or None (also None when ``tenant`` is given and differs)."""
        r = self._db.execute(f"SELECT {_JOB_COLS} FROM jobs WHERE job_id = ?", (job_id,)).fetchone()
        if r is None or (tenant is not None and r[1] != tenant):
            return None
        return self._job(r)

    def source(self, job_id: str) -> str:
        """The program source of a job ('' if unknown).

        Kept out of the job row's submission so that status and list queries never load
        (or cache) program text, which may be up to the edge's size limit.
        """
        r = self._db.execute("SELECT source FROM jobs WHERE job_id = ?", (job_id,)).fetchone()
        return "" if r is None else str(r[0])

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

    def active_jobs(self, device_id: str | None = None) -> list[Job]:
        """Non-terminal jobs (of one device), oldest first (recovery, take-over)."""
        sql = f"SELECT {_JOB_COLS} FROM jobs WHERE terminal = 0"
        args: tuple[object, ...] = ()
        if device_id is not None:
            sql += " AND device_id = ?"
            args = (device_id,)
        rows = self._db.execute(sql + " ORDER BY created_at, job_id", args).fetchall()
        return [self._job(r) for r in rows]

    # --- several kernels: device leases and job claims (SPEC §14) ------------------------

    def claim_device(self, device_id: str, owner: str, ttl: float) -> bool:
        """Take or renew the scheduling lease of a device for ``owner`` for ``ttl`` seconds.

        Returns False when another owner holds an unexpired lease.
        """
        now = time.time()
        with self._tx():
            r = self._db.execute(
                "SELECT owner, until FROM device_leases WHERE device_id = ?", (device_id,)
            ).fetchone()
            if r is not None and r[0] != owner and _f(r[1]) > now:
                return False
            self._db.execute(
                "INSERT OR REPLACE INTO device_leases (device_id, owner, until) VALUES (?, ?, ?)",
                (device_id, owner, now + ttl),
            )
        return True

    def release_device(self, device_id: str, owner: str) -> None:
        """Give a device's lease up (a kernel stopping)."""
        with self._tx():
            self._db.execute(
                "DELETE FROM device_leases WHERE device_id = ? AND owner = ?", (device_id, owner)
            )

    def claim_jobs(self, device_id: str, owner: str) -> list[Job]:
        """Make ``owner`` the kernel working on every unfinished job of a device it leases.

        Returns those jobs, oldest first. Only the device's lease holder calls this: another
        kernel's claims on these jobs are stale (its lease lapsed).
        """
        with self._tx():
            self._db.execute(
                "UPDATE jobs SET owner_kernel = ? WHERE device_id = ? AND terminal = 0",
                (owner, device_id),
            )
        return self.active_jobs(device_id)

    def claim_new(self, device_id: str, owner: str) -> list[Job]:
        """Claim the device's unfinished jobs nobody works on yet (accepted by another kernel).

        Returns them, oldest first.
        """
        with self._tx():
            ids = [
                str(r[0])
                for r in self._db.execute(
                    "SELECT job_id FROM jobs WHERE device_id = ? AND terminal = 0 "
                    "AND owner_kernel = ''",
                    (device_id,),
                ).fetchall()
            ]
            self._db.executemany(
                "UPDATE jobs SET owner_kernel = ? WHERE job_id = ?", [(owner, j) for j in ids]
            )
        return [j for j in (self.get_job(i) for i in ids) if j is not None]

    def count_active_reservations(self, device_id: str) -> int:
        """Active reservations of a device (their slots are held)."""
        r = self._db.execute(
            "SELECT COUNT(*) FROM reservations WHERE device_id = ? AND state = 'ACTIVE'",
            (device_id,),
        ).fetchone()
        return _i(r[0])

    def claim_job(self, job_id: str, owner: str) -> None:
        """Make ``owner`` the kernel working on one job."""
        with self._tx():
            self._db.execute(
                "UPDATE jobs SET owner_kernel = ? WHERE job_id = ? AND terminal = 0",
                (owner, job_id),
            )

    def list_jobs(
        self, tenant: str, states: Iterable[TaskState], page_size: int, page_token: str
    ) -> tuple[list[Job], str]:
        """One page of the tenant's jobs, newest first; returns (jobs, next_page_token).

        Raises:
            ValueError: malformed page token.
        """
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

    def advance(
        self,
        job_id: str,
        steps: Sequence[Step],
        *,
        device_id: str | None = None,
        queued_at: float | None = None,
        compiled: CompiledRef | None = None,
        evaluation: Evaluation | None = None,
        outcome: JobOutcome | None = None,
        error: ErrorRecord | None = None,
        owner: str | None = None,
    ) -> tuple[Job, list[Event]]:
        """Apply ``steps`` in order and persist one event each, all in one transaction.

        With ``owner``, only the kernel that claimed the job may record the steps (a stale
        kernel's late step is rejected: nothing is announced twice across replicas).

        With the transaction also go: ``compiled`` (the job's compiled program reference),
        ``evaluation`` (a hybrid iteration: an announced iteration is always a stored one),
        ``outcome``/``error`` (what a terminal job produced). ``queued_at`` records when the
        job entered its device's queue.

        Raises:
            TransitionRejected: the job is terminal (the first terminal decision won) or a
                step is not an allowed transition; nothing is written.
            KeyError: no such job.
        """
        if not steps:
            raise ValueError("advance needs at least one step")
        now = time.time()
        with self._tx():
            r = self._db.execute(
                f"SELECT {_JOB_COLS} FROM jobs WHERE job_id = ?", (job_id,)
            ).fetchone()
            if r is None:
                raise KeyError(job_id)
            job = self._job(r)
            if owner is not None and r[16] != owner:
                raise TransitionRejected(job_id, job.state, steps[0].state)
            events: list[Event] = []
            for step in steps:
                if not can_transition(job.state, step.state):
                    raise TransitionRejected(job_id, job.state, step.state)
                seq = job.last_event_seq + 1
                prog = job.progress if step.progress is None else step.progress
                if step.state == TaskState.COMPLETED:
                    prog = 1.0
                terminal = step.state in TERMINAL
                ev = Event(
                    job_id, seq, step.state, prog, step.message, now, terminal,
                    step.iteration, step.value,
                )  # fmt: skip
                events.append(ev)
                job = replace(
                    job,
                    state=step.state,
                    progress=prog,
                    message=step.message,
                    updated_at=now,
                    last_event_seq=seq,
                )
            if device_id is not None:
                job = replace(job, device_id=device_id)
            if queued_at is not None:
                job = replace(job, queued_at=queued_at)
            if error is not None:
                job = replace(job, error_code=error.error_code, error_summary=error.summary)
            self._db.execute(
                "UPDATE jobs SET state = ?, progress = ?, message = ?, updated_at = ?, "
                "last_event_seq = ?, terminal = ?, device_id = ?, queued_at = ?, "
                "error_code = ?, error_summary = ? WHERE job_id = ?",
                (
                    job.state.value,
                    job.progress,
                    job.message,
                    now,
                    job.last_event_seq,
                    int(job.state in TERMINAL),
                    job.device_id,
                    job.queued_at,
                    job.error_code,
                    job.error_summary,
                    job_id,
                ),
            )
            self._db.executemany(
                "INSERT INTO events (job_id, seq, state, progress, message, ts, terminal, "
                "iteration, value) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (job_id, e.seq, e.state.value, e.progress, e.message, e.timestamp,
                     int(e.terminal), e.iteration, e.value)
                    for e in events
                ],
            )  # fmt: skip
            if compiled is not None:
                self._db.execute(
                    "INSERT OR REPLACE INTO compiled (job_id, aqo_sha256, plan_sha256, metrics, "
                    "parameters) VALUES (?, ?, ?, ?, ?)",
                    (
                        job_id,
                        compiled.aqo_sha256,
                        compiled.plan_sha256,
                        json.dumps(compiled.metrics, sort_keys=True),
                        json.dumps(list(compiled.parameters)),
                    ),
                )
            if evaluation is not None:
                self._db.execute(
                    "INSERT OR REPLACE INTO evaluations (job_id, iteration, point, value, "
                    "std_error) VALUES (?, ?, ?, ?, ?)",
                    (
                        job_id,
                        evaluation.iteration,
                        json.dumps(list(evaluation.point)),
                        evaluation.value,
                        evaluation.std_error,
                    ),
                )
            if outcome is not None or error is not None:
                self._db.execute(
                    "INSERT OR REPLACE INTO outcomes (job_id, outcome, error) VALUES (?, ?, ?)",
                    (
                        job_id,
                        "" if outcome is None else outcome_to_json(outcome),
                        "" if error is None else _error_to_json(error),
                    ),
                )
        return job, events

    def compiled(self, job_id: str) -> CompiledRef | None:
        """The job's compiled program reference, if it was compiled."""
        r = self._db.execute(
            "SELECT aqo_sha256, plan_sha256, metrics, parameters FROM compiled WHERE job_id = ?",
            (job_id,),
        ).fetchone()
        if r is None:
            return None
        return CompiledRef(str(r[0]), str(r[1]), json.loads(r[2]), tuple(json.loads(r[3])))

    def outcome(self, job_id: str) -> tuple[JobOutcome | None, ErrorRecord | None]:
        """What the terminal job produced: (outcome or None, error record or None)."""
        r = self._db.execute(
            "SELECT outcome, error FROM outcomes WHERE job_id = ?", (job_id,)
        ).fetchone()
        if r is None:
            return None, None
        return (
            outcome_from_json(r[0]) if r[0] else None,
            _error_from_json(r[1]) if r[1] else None,
        )

    # --- vendor executions ----------------------------------------------------------------

    def save_execution(self, e: VendorExecution) -> None:
        """Remember the vendor execution a job runs as (before anything waits on it)."""
        with self._tx():
            self._db.execute(
                "INSERT OR REPLACE INTO executions (job_id, device_id, execution_id, "
                "vendor_job_id, started_at) VALUES (?, ?, ?, ?, ?)",
                (e.job_id, e.device_id, e.execution_id, e.vendor_job_id, e.started_at),
            )

    def execution(self, job_id: str) -> VendorExecution | None:
        """The vendor execution of a job, if it was started on an asynchronous device."""
        r = self._db.execute(
            "SELECT job_id, device_id, execution_id, vendor_job_id, started_at FROM executions "
            "WHERE job_id = ?",
            (job_id,),
        ).fetchone()
        return (
            None
            if r is None
            else VendorExecution(str(r[0]), str(r[1]), str(r[2]), str(r[3]), _f(r[4]))
        )

    # --- events ---------------------------------------------------------------------------

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
        return [_event(job_id, r) for r in rows]

    def evaluations(self, job_id: str) -> list[Evaluation]:
        """Stored hybrid-loop evaluations, in iteration order."""
        rows = self._db.execute(
            "SELECT iteration, point, value, std_error FROM evaluations WHERE job_id = ? "
            "ORDER BY iteration",
            (job_id,),
        ).fetchall()
        return [Evaluation(_i(r[0]), tuple(json.loads(r[1])), _f(r[2]), _f(r[3])) for r in rows]

    # --- reservations ---------------------------------------------------------------------

    def create_reservation(self, r: Reservation) -> None:
        """Insert a reservation."""
        with self._tx():
            self._db.execute(
                f"INSERT INTO reservations ({_RES_COLS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    r.reservation_id,
                    r.tenant,
                    r.owner,
                    r.device_id,
                    r.purpose,
                    r.state.value,
                    r.created_at,
                    r.starts_at,
                    r.expires_at,
                ),
            )

    def get_reservation(self, reservation_id: str) -> Reservation | None:
        """A reservation by id (any tenant; callers check the owner)."""
        r = self._db.execute(
            f"SELECT {_RES_COLS} FROM reservations WHERE reservation_id = ?", (reservation_id,)
        ).fetchone()
        return None if r is None else _reservation(r)

    def list_reservations(
        self, tenant: str, include_ended_since: float | None
    ) -> list[Reservation]:
        """The tenant's active reservations (and those ended after ``include_ended_since``)."""
        sql = f"SELECT {_RES_COLS} FROM reservations WHERE tenant = ? AND (state = 'ACTIVE'"
        args: list[object] = [tenant]
        if include_ended_since is not None:
            sql += " OR ended_at >= ?"
            args.append(include_ended_since)
        rows = self._db.execute(sql + ") ORDER BY created_at DESC", args).fetchall()
        return [_reservation(r) for r in rows]

    def active_reservations(self) -> list[Reservation]:
        """All ACTIVE reservations (recovery)."""
        rows = self._db.execute(
            f"SELECT {_RES_COLS} FROM reservations WHERE state = 'ACTIVE' ORDER BY created_at"
        ).fetchall()
        return [_reservation(r) for r in rows]

    def end_reservation(self, reservation_id: str, state: ReservationState) -> bool:
        """Mark an ACTIVE reservation EXPIRED or CANCELLED; False if it was not active."""
        with self._tx():
            cur = self._db.execute(
                "UPDATE reservations SET state = ?, ended_at = ? "
                "WHERE reservation_id = ? AND state = 'ACTIVE'",
                (state.value, time.time(), reservation_id),
            )
        return cur.rowcount == 1

    # --- knowledge: device statistics and the last device list ----------------------------

    def device_stats(self) -> dict[str, tuple[float, int]]:
        """Per device: (mean execution seconds, samples)."""
        rows = self._db.execute("SELECT device_id, mean_seconds, samples FROM device_stats")
        return {str(r[0]): (_f(r[1]), _i(r[2])) for r in rows}

    def save_device_stats(self, stats: dict[str, tuple[float, int]]) -> None:
        """Upsert per-device statistics."""
        with self._tx():
            self._db.executemany(
                "INSERT OR REPLACE INTO device_stats (device_id, mean_seconds, samples) "
                "VALUES (?, ?, ?)",
                [(d, m, n) for d, (m, n) in stats.items()],
            )

    def get_value(self, key: str) -> str | None:
        """A stored setting-like value (e.g. the last known device list), or None."""
        r = self._db.execute("SELECT value FROM kv WHERE key = ?", (key,)).fetchone()
        return None if r is None else str(r[0])

    def set_value(self, key: str, value: str) -> None:
        """Store a value under ``key``."""
        with self._tx():
            self._db.execute("INSERT OR REPLACE INTO kv (key, value) VALUES (?, ?)", (key, value))

    # --- retention ------------------------------------------------------------------------

    def terminal_jobs_before(self, before: float, limit: int) -> list[str]:
        """Ids of terminal jobs last updated before ``before`` (oldest first, at most ``limit``)."""
        rows = self._db.execute(
            "SELECT job_id FROM jobs WHERE terminal = 1 AND updated_at < ? "
            "ORDER BY updated_at LIMIT ?",
            (before, limit),
        ).fetchall()
        return [str(r[0]) for r in rows]

    def delete_jobs(self, job_ids: Sequence[str]) -> None:
        """Remove terminal jobs' rows (job, events, evaluations, outcome, compiled reference)."""
        with self._tx():
            for table in ("events", "evaluations", "outcomes", "compiled", "executions"):
                self._db.executemany(
                    f"DELETE FROM {table} WHERE job_id = ?", [(j,) for j in job_ids]
                )
            self._db.executemany(
                "DELETE FROM jobs WHERE job_id = ? AND terminal = 1", [(j,) for j in job_ids]
            )
        for j in job_ids:
            self._subs.pop(j, None)

    # --- the knowledge base: compiled programs by compile key ---------------------------

    def cached_compile(self, key: str) -> CompiledRef | None:
        """A compiled program of the knowledge base by compile key (marks it used)."""
        r = self._db.execute(
            "SELECT aqo_sha256, plan_sha256, metrics, parameters FROM compile_cache WHERE key = ?",
            (key,),
        ).fetchone()
        if r is None:
            return None
        with self._tx():
            self._db.execute(
                "UPDATE compile_cache SET used_at = ? WHERE key = ?", (time.time(), key)
            )
        return CompiledRef(str(r[0]), str(r[1]), json.loads(r[2]), tuple(json.loads(r[3])))

    def cached_parameters(self, base_key: str) -> tuple[str, ...] | None:
        """The symbolic parameter names of a program compiled before (by its base key)."""
        r = self._db.execute(
            "SELECT parameters FROM compile_cache WHERE base_key = ? LIMIT 1", (base_key,)
        ).fetchone()
        return None if r is None else tuple(json.loads(r[0]))

    def cache_compile(self, key: str, base_key: str, ref: CompiledRef) -> None:
        """Keep a compiled program in the knowledge base."""
        with self._tx():
            self._db.execute(
                "INSERT OR REPLACE INTO compile_cache (key, base_key, aqo_sha256, plan_sha256, "
                "metrics, parameters, used_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    key,
                    base_key,
                    ref.aqo_sha256,
                    ref.plan_sha256,
                    json.dumps(ref.metrics, sort_keys=True),
                    json.dumps(list(ref.parameters)),
                    time.time(),
                ),
            )

    def prune_compile_cache(self, unused_since: float) -> int:
        """Forget compiled programs unused since then; returns how many."""
        with self._tx():
            cur = self._db.execute("DELETE FROM compile_cache WHERE used_at < ?", (unused_since,))
        return cur.rowcount

    def blob_in_use(self, aqo_sha256: str = "", plan_sha256: str = "") -> bool:
        """True when a remaining job or the knowledge base references this AQO or plan."""
        col, arg = ("aqo_sha256", aqo_sha256) if aqo_sha256 else ("plan_sha256", plan_sha256)
        for table in ("compiled", "compile_cache"):
            q = f"SELECT 1 FROM {table} WHERE {col} = ? LIMIT 1"
            if self._db.execute(q, (arg,)).fetchone() is not None:
                return True
        return False

    def counts(self) -> dict[str, int]:
        """Row counts per table (metrics, retention reports)."""
        return {
            t: _i(self._db.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0])
            for t in ("jobs", "events", "outcomes", "reservations")
        }

    # --- helpers --------------------------------------------------------------------------

    def _tx(self) -> _Tx:
        return _Tx(self._db)


class _Tx:
    def __init__(self, db: sqlite3.Connection):
        self._db = db

    def __enter__(self) -> None:
        self._db.execute("BEGIN IMMEDIATE")

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        if exc_type is not None:
            if self._db.in_transaction:  # SQLITE_FULL may have rolled it back already
                self._db.execute("ROLLBACK")
            if isinstance(exc, sqlite3.OperationalError):
                raise storage_error(exc) from exc
            return
        try:
            self._db.execute("COMMIT")
        except sqlite3.OperationalError as failed:
            if self._db.in_transaction:
                self._db.execute("ROLLBACK")
            raise storage_error(failed) from failed


def storage_error(exc: sqlite3.OperationalError) -> Exception:
    """A full or read-only database as the typed error callers can report (issue 11).

    Anything else SQLite raises is returned unchanged (a bug, reported as INTERNAL).
    """
    text = str(exc).lower()
    if "full" in text or "readonly" in text or "read-only" in text or "disk i/o" in text:
        return errors.StorageFullError(
            "the job store cannot be written (disk full or read-only); nothing was stored",
            retry_after=30.0,
            metadata={"subject": "kernel/job_store"},
        )
    return exc


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


def as_json(obj: Any) -> str:
    """Canonical JSON used for stored values."""
    return json.dumps(obj, sort_keys=True)
