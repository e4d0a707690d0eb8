"""Durable job store on PostgreSQL (SPEC §14): several kernels share one database.

The same contract as :class:`eigen_kernel.store.SqliteJobStore` (read it first): every state
change and its event are one transaction written before anything is announced; the first
terminal decision wins; a terminal event goes together with what the job produced. What
several kernels add:

- **Leases and claims.** A device's scheduling lease is one upsert compared with the
  database's clock (one clock for all kernels); ``claim_new`` takes unclaimed jobs with
  ``FOR UPDATE SKIP LOCKED`` (a row another kernel is claiming is left to it and picked up at
  the next renewal); ``claim_jobs`` (a take-over) locks every unfinished job of the device in
  job-id order and waits for a dying kernel's last step rather than skip and strand a job.
  ``advance`` locks the job row (``FOR UPDATE``) and checks the ``owner`` guard in the same
  transaction.
- **Notices.** ``pg_notify`` inside the same transactions (delivered at commit, never for a
  rolled-back change): ``event`` (key = job id) with every persisted event, ``job`` (key =
  device id) when a job is accepted that no kernel works on yet, ``reservation`` (key = device
  id) when a reservation is created or ended. The payload carries the origin kernel's id;
  :class:`PostgresFeed` listens (LISTEN on its own asynchronous connection).

Methods are called synchronously on the event-loop thread: one connection, short
transactions in pipeline mode (``advance`` is two round trips: lock and read the row, then
every write, the notice and the COMMIT together), server-side prepared statements after a few
uses (psycopg's default); a broken connection is replaced at the next call.

The schema is ``migrations/postgres/NNNN_*.sql``, applied at start under an advisory lock
(kernels starting together apply it once) and tracked in ``schema_migrations``.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager, nullcontext
from dataclasses import replace
from typing import Any

import psycopg
from psycopg import sql as pgsql

from eigen_common import errors
from eigen_common.logs import get_logger
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
    VendorExecution,
)
from eigen_kernel.ports import CompiledRef, DuplicateJob, TransitionRejected
from eigen_kernel.states import TERMINAL, TaskState, can_transition
from eigen_kernel.store import (
    _JOB_COLS,
    _RES_COLS,
    _error_from_json,
    _error_to_json,
    _event,
    _f,
    _i,
    _reservation,
    decode_page_token,
    encode_page_token,
    migrations,
    outcome_from_json,
    outcome_to_json,
)

log = get_logger("eigen.kernel.store")

#: The LISTEN/NOTIFY channel of the kernels sharing a database.
CHANNEL = "eigen_kernel"
#: Advisory lock held while migrations are applied (``pg_advisory_xact_lock``).
MIGRATION_LOCK = 0x4549_4745
_NOW = "EXTRACT(EPOCH FROM clock_timestamp())::float8"
_EVENT_COLS = "seq, state, progress, message, ts, terminal, iteration, value"


def notice(kind: str, key: str, origin: str) -> str:
    """The payload of a notice: ``{"kind", "key", "origin"}`` as JSON (< 8000 bytes)."""
    return json.dumps({"kind": kind, "key": key, "origin": origin}, separators=(",", ":"))


def parse_notice(payload: str) -> tuple[str, str, str] | None:
    """``(kind, key, origin)`` of a notice payload, or None when it is not one."""
    try:
        d = json.loads(payload)
        return str(d["kind"]), str(d["key"]), str(d["origin"])
    except (ValueError, KeyError, TypeError):
        return None


class _Db:
    """One connection (autocommit; explicit transactions), replaced when it broke."""

    def __init__(self, url: str, kernel_id: str, channel: str):
        self.url = url
        self.kernel_id = kernel_id
        self.channel = channel
        self._conn: psycopg.Connection[tuple[Any, ...]] | None = None

    def conn(self) -> psycopg.Connection[tuple[Any, ...]]:
        c = self._conn
        if c is None or c.closed or c.broken:
            if c is not None:
                c.close()
            c = self._conn = psycopg.connect(
                self.url, autocommit=True, connect_timeout=10, application_name="eigen-kernel"
            )
        return c

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def one(self, sql: str, args: Sequence[object] = ()) -> tuple[Any, ...] | None:
        return self.conn().execute(sql, args).fetchone()

    def all(self, sql: str, args: Sequence[object] = ()) -> list[tuple[Any, ...]]:
        return self.conn().execute(sql, args).fetchall()

    def run(self, sql: str, args: Sequence[object] = ()) -> None:
        self.conn().execute(sql, args)

    @contextmanager
    def tx(self, pipeline: bool = True) -> Iterator[psycopg.Connection[tuple[Any, ...]]]:
        """A transaction, in pipeline mode unless told otherwise (a multi-statement script).

        In pipeline mode statements whose results are not read go out together with the
        COMMIT (one round trip); a read waits for its answer.
        """
        c = self.conn()
        try:
            with c.pipeline() if pipeline else nullcontext(), c.transaction():
                yield c
        except psycopg.errors.UniqueViolation as exc:
            raise DuplicateJob(str(exc)) from exc
        except (psycopg.errors.DiskFull, psycopg.errors.ReadOnlySqlTransaction) as exc:
            raise errors.StorageFullError(
                "the job store cannot be written (disk full or read-only); nothing was stored",
                retry_after=30.0,
                metadata={"subject": "kernel/job_store"},
            ) from exc

    def notify(self, c: psycopg.Connection[tuple[Any, ...]], kind: str, key: str) -> None:
        c.execute("SELECT pg_notify(%s, %s)", (self.channel, notice(kind, key, self.kernel_id)))


class _Reservations:
    """Reservations, statistics, values, vendor executions, retention (the smaller tables)."""

    _db: _Db

    def create_reservation(self, r: Reservation) -> None:
        """Insert a reservation (notice ``reservation``)."""
        with self._db.tx() as c:
            c.execute(
                f"INSERT INTO reservations ({_RES_COLS}) VALUES ({', '.join(['%s'] * 9)})",
                (r.reservation_id, r.tenant, r.owner, r.device_id, r.purpose, r.state.value,
                 r.created_at, r.starts_at, r.expires_at),
            )  # fmt: skip
            self._db.notify(c, "reservation", r.device_id)

    def get_reservation(self, reservation_id: str) -> Reservation | None:
        """A reservation by id (any tenant; callers check the owner)."""
        r = self._db.one(
            f"SELECT {_RES_COLS} FROM reservations WHERE reservation_id = %s", (reservation_id,)
        )
        return None if r is None else _reservation(r)

    def list_reservations(
        self, tenant: str, include_ended_since: float | None
    ) -> list[Reservation]:
        """The tenant's active reservations (and those ended after ``include_ended_since``)."""
        sql = f"SELECT {_RES_COLS} FROM reservations WHERE tenant = %s AND (state = 'ACTIVE'"
        args: list[object] = [tenant]
        if include_ended_since is not None:
            sql += " OR ended_at >= %s"
            args.append(include_ended_since)
        return [_reservation(r) for r in self._db.all(sql + ") ORDER BY created_at DESC", args)]

    def active_reservations(self) -> list[Reservation]:
        """All ACTIVE reservations (recovery)."""
        rows = self._db.all(
            f"SELECT {_RES_COLS} FROM reservations WHERE state = 'ACTIVE' ORDER BY created_at"
        )
        return [_reservation(r) for r in rows]

    def count_active_reservations(self, device_id: str) -> int:
        """Active reservations of a device (their slots are held)."""
        r = self._db.one(
            "SELECT COUNT(*) FROM reservations WHERE device_id = %s AND state = 'ACTIVE'",
            (device_id,),
        )
        return 0 if r is None else _i(r[0])

    def end_reservation(self, reservation_id: str, state: ReservationState) -> bool:
        """Mark an ACTIVE reservation EXPIRED or CANCELLED; False if it was not active."""
        with self._db.tx() as c:
            r = c.execute(
                "UPDATE reservations SET state = %s, ended_at = %s "
                "WHERE reservation_id = %s AND state = 'ACTIVE' RETURNING device_id",
                (state.value, time.time(), reservation_id),
            ).fetchone()
            if r is not None:
                self._db.notify(c, "reservation", str(r[0]))
        return r is not None

    def device_stats(self) -> dict[str, tuple[float, int]]:
        """Per device: (mean execution seconds, samples)."""
        rows = self._db.all("SELECT device_id, mean_seconds, samples FROM device_stats")
        return {str(r[0]): (_f(r[1]), _i(r[2])) for r in rows}

    def save_device_stats(self, stats: dict[str, tuple[float, int]]) -> None:
        """Upsert per-device statistics."""
        with self._db.tx() as c, c.cursor() as cur:
            cur.executemany(
                "INSERT INTO device_stats (device_id, mean_seconds, samples) VALUES (%s, %s, %s) "
                "ON CONFLICT (device_id) DO UPDATE SET mean_seconds = EXCLUDED.mean_seconds, "
                "samples = EXCLUDED.samples",
                [(d, m, n) for d, (m, n) in stats.items()],
            )

    def get_value(self, key: str) -> str | None:
        """A stored setting-like value (e.g. the last known device list), or None."""
        r = self._db.one("SELECT value FROM kv WHERE key = %s", (key,))
        return None if r is None else str(r[0])

    def set_value(self, key: str, value: str) -> None:
        """Store a value under ``key``."""
        self._db.run(
            "INSERT INTO kv (key, value) VALUES (%s, %s) "
            "ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
            (key, value),
        )

    def save_execution(self, e: VendorExecution) -> None:
        """Remember the vendor execution a job runs as (before anything waits on it)."""
        self._db.run(
            "INSERT INTO executions (job_id, device_id, execution_id, vendor_job_id, started_at) "
            "VALUES (%s, %s, %s, %s, %s) ON CONFLICT (job_id) DO UPDATE SET "
            "device_id = EXCLUDED.device_id, execution_id = EXCLUDED.execution_id, "
            "vendor_job_id = EXCLUDED.vendor_job_id, started_at = EXCLUDED.started_at",
            (e.job_id, e.device_id, e.execution_id, e.vendor_job_id, e.started_at),
        )

    def execution(self, job_id: str) -> VendorExecution | None:
        """The vendor execution of a job, if it was started on an asynchronous device."""
        r = self._db.one(
            "SELECT job_id, device_id, execution_id, vendor_job_id, started_at FROM executions "
            "WHERE job_id = %s",
            (job_id,),
        )
        if r is None:
            return None
        return VendorExecution(str(r[0]), str(r[1]), str(r[2]), str(r[3]), _f(r[4]))

    def terminal_jobs_before(self, before: float, limit: int) -> list[str]:
        """Ids of terminal jobs last updated before ``before`` (oldest first, at most ``limit``)."""
        rows = self._db.all(
            "SELECT job_id FROM jobs WHERE terminal = 1 AND updated_at < %s "
            "ORDER BY updated_at LIMIT %s",
            (before, limit),
        )
        return [str(r[0]) for r in rows]

    def cached_compile(self, key: str) -> CompiledRef | None:
        """A compiled program of the knowledge base by compile key (marks it used)."""
        with self._db.tx() as c:
            r = c.execute(
                "UPDATE compile_cache SET used_at = %s WHERE key = %s "
                "RETURNING aqo_sha256, plan_sha256, metrics, parameters",
                (time.time(), key),
            ).fetchone()
        if r is None:
            return None
        return CompiledRef(str(r[0]), str(r[1]), json.loads(r[2]), tuple(json.loads(r[3])))

    def cached_parameters(self, base_key: str) -> tuple[str, ...] | None:
        """The symbolic parameter names of a program compiled before (by its base key)."""
        r = self._db.one(
            "SELECT parameters FROM compile_cache WHERE base_key = %s LIMIT 1", (base_key,)
        )
        return None if r is None else tuple(json.loads(r[0]))

    def cache_compile(self, key: str, base_key: str, ref: CompiledRef) -> None:
        """Keep a compiled program in the knowledge base."""
        with self._db.tx() as c:
            c.execute(
                "INSERT INTO compile_cache (key, base_key, aqo_sha256, plan_sha256, metrics, "
                "parameters, used_at) VALUES (%s, %s, %s, %s, %s, %s, %s) "
                "ON CONFLICT (key) DO UPDATE SET used_at = EXCLUDED.used_at",
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
        with self._db.tx() as c:
            cur = c.execute("DELETE FROM compile_cache WHERE used_at < %s", (unused_since,))
            return cur.rowcount

    def blob_in_use(self, aqo_sha256: str = "", plan_sha256: str = "") -> bool:
        """True when a remaining job or the knowledge base references this AQO or plan."""
        col, arg = ("aqo_sha256", aqo_sha256) if aqo_sha256 else ("plan_sha256", plan_sha256)
        for table in ("compiled", "compile_cache"):
            if self._db.one(f"SELECT 1 FROM {table} WHERE {col} = %s LIMIT 1", (arg,)):
                return True
        return False

    def counts(self) -> dict[str, int]:
        """Row counts per table (metrics, retention reports)."""
        out = {}
        for t in ("jobs", "events", "outcomes", "reservations"):
            r = self._db.one(f"SELECT COUNT(*) FROM {t}")
            out[t] = 0 if r is None else _i(r[0])
        return out


class PostgresJobStore(_Reservations):
    """The :class:`eigen_kernel.ports.JobStore` on PostgreSQL.

    Args:
        url: a libpq connection URI (``postgresql://user:pw@host:port/db``).
        kernel_id: this kernel's id, carried by its notices (the feed's ``origin``).
        channel: the LISTEN/NOTIFY channel (kernels sharing a database share it).

    Raises:
        psycopg.OperationalError: the database cannot be reached.
    """

    def __init__(self, url: str, kernel_id: str, channel: str = CHANNEL):
        self._db = _Db(url, kernel_id, channel)
        self._migrate()
        self._subs: dict[str, Submission] = {}

    def _migrate(self) -> None:
        with self._db.tx() as c:
            c.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
            c.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, "
                "applied_at DOUBLE PRECISION NOT NULL)"
            )
        for version, sql in migrations("postgres"):
            with self._db.tx(pipeline=False) as c:
                c.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
                done = c.execute(
                    "SELECT 1 FROM schema_migrations WHERE version = %s", (version,)
                ).fetchone()
                if done is not None:
                    continue
                c.execute(sql.encode())
                c.execute(
                    "INSERT INTO schema_migrations (version, applied_at) VALUES (%s, %s)",
                    (version, time.time()),
                )

    @property
    def schema_version(self) -> int:
        """The highest applied migration version."""
        r = self._db.one("SELECT COALESCE(MAX(version), 0) FROM schema_migrations")
        return 0 if r is None else _i(r[0])

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
            job_id=jid, tenant=str(r[1]), owner=str(r[2]), submission=sub,
            state=TaskState(str(r[4])), device_id=str(r[5]), progress=_f(r[6]),
            message=str(r[7]), created_at=_f(r[8]), updated_at=_f(r[9]),
            last_event_seq=_i(r[10]), error_code=str(r[11]), error_summary=str(r[12]),
            deadline=None if r[13] is None else _f(r[13]), payload_hash=str(r[14]),
            queued_at=None if r[15] is None else _f(r[15]),
        )  # fmt: skip

    def _jobs(self, rows: Iterable[tuple[object, ...]]) -> list[Job]:
        """Jobs of rows, oldest first."""
        return sorted((self._job(r) for r in rows), key=lambda j: (j.created_at, j.job_id))

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

        Notices: ``event`` (the job), and ``job`` (its device) when no kernel claimed it.

        Raises:
            DuplicateJob: the job id, or the tenant's idempotency key, exists already.
        """
        now = time.time()
        deadline = now + submission.timeout_seconds if submission.timeout_seconds else None
        with self._db.tx() as c:
            c.execute(
                "INSERT INTO jobs (job_id, tenant, owner, submission, source, state, device_id, "
                "progress, message, created_at, updated_at, last_event_seq, deadline, "
                "idempotency_key, payload_hash, priority, owner_kernel) VALUES "
                "(%s, %s, %s, %s, %s, %s, %s, 0, %s, %s, %s, 1, %s, %s, %s, %s, %s)",
                (job_id, tenant, owner, json.dumps({**submission.to_json(), "source": ""}),
                 submission.source, TaskState.PENDING.value, device_id, message, now, now,
                 deadline, submission.idempotency_key, payload_hash, submission.priority,
                 owner_kernel),
            )  # fmt: skip
            c.execute(
                "INSERT INTO events (job_id, seq, state, progress, message, ts, terminal) "
                "VALUES (%s, 1, %s, 0, %s, %s, 0)",
                (job_id, TaskState.PENDING.value, message, now),
            )
            self._db.notify(c, "event", job_id)
            if device_id and not owner_kernel:
                self._db.notify(c, "job", device_id)
        self._subs[job_id] = submission
        job = Job(
            job_id, tenant, owner, submission, TaskState.PENDING, device_id, 0.0, message, now,
            now, 1, "", "", deadline, payload_hash,
        )  # fmt: skip
        return job, Event(job_id, 1, TaskState.PENDING, 0.0, message, now, False)

    def get_job(self, job_id: str, tenant: str | None = None) -> Job | None:
        """The job, or None (also None when ``tenant`` is given and differs)."""
        r = self._db.one(f"SELECT {_JOB_COLS} FROM jobs WHERE job_id = %s", (job_id,))
        if r is None or (tenant is not None and r[1] != tenant):
            return None
        return self._job(r)

    def source(self, job_id: str) -> str:
        """The program source of a job ('' if unknown)."""
        r = self._db.one("SELECT source FROM jobs WHERE job_id = %s", (job_id,))
        return "" if r is None else str(r[0])

    def find_idempotent(self, tenant: str, key: str) -> Job | None:
        """The tenant's job holding this idempotency key (the caller judges its age)."""
        r = self._db.one(
            f"SELECT {_JOB_COLS} FROM jobs WHERE tenant = %s AND idempotency_key = %s",
            (tenant, key),
        )
        return None if r is None else self._job(r)

    def release_idempotency_key(self, job_id: str) -> None:
        """Forget an expired key so that it can be reused."""
        self._db.run("UPDATE jobs SET idempotency_key = '' WHERE job_id = %s", (job_id,))

    def active_jobs(self, device_id: str | None = None) -> list[Job]:
        """Non-terminal jobs (of one device), oldest first (recovery, take-over)."""
        sql = f"SELECT {_JOB_COLS} FROM jobs WHERE terminal = 0"
        args: tuple[object, ...] = ()
        if device_id is not None:
            sql += " AND device_id = %s"
            args = (device_id,)
        return [self._job(r) for r in self._db.all(sql + " ORDER BY created_at, job_id", args)]

    # --- several kernels: device leases and job claims ------------------------------------

    def claim_device(self, device_id: str, owner: str, ttl: float) -> bool:
        """Take or renew a device's scheduling lease for ``ttl`` seconds (database clock).

        Returns False when another owner holds an unexpired lease.
        """
        r = self._db.one(
            f"INSERT INTO device_leases (device_id, owner, until) VALUES (%s, %s, {_NOW} + %s) "
            "ON CONFLICT (device_id) DO UPDATE SET owner = EXCLUDED.owner, until = EXCLUDED.until "
            f"WHERE device_leases.owner = EXCLUDED.owner OR device_leases.until <= {_NOW} "
            "RETURNING owner",
            (device_id, owner, float(ttl)),
        )
        return r is not None

    def release_device(self, device_id: str, owner: str) -> None:
        """Give a device's lease up (a kernel stopping)."""
        self._db.run(
            "DELETE FROM device_leases WHERE device_id = %s AND owner = %s",
            (device_id, owner),
        )

    def claim_jobs(self, device_id: str, owner: str) -> list[Job]:
        """Make ``owner`` the kernel working on every unfinished job of a device it leases.

        The rows are locked in job-id order, waiting for a stale kernel's step in flight (a
        skipped row would be stranded with a dead owner). Returns the jobs, oldest first.
        """
        with self._db.tx() as c:
            rows = c.execute(
                f"UPDATE jobs SET owner_kernel = %s WHERE job_id IN (SELECT job_id FROM jobs "
                "WHERE device_id = %s AND terminal = 0 ORDER BY job_id FOR UPDATE) "
                f"RETURNING {_JOB_COLS}",
                (owner, device_id),
            ).fetchall()
        return self._jobs(rows)

    def claim_new(self, device_id: str, owner: str) -> list[Job]:
        """Claim the device's unfinished jobs nobody works on yet (``FOR UPDATE SKIP LOCKED``).

        Returns them, oldest first.
        """
        with self._db.tx() as c:
            rows = c.execute(
                f"UPDATE jobs SET owner_kernel = %s WHERE job_id IN (SELECT job_id FROM jobs "
                "WHERE device_id = %s AND terminal = 0 AND owner_kernel = '' "
                f"FOR UPDATE SKIP LOCKED) RETURNING {_JOB_COLS}",
                (owner, device_id),
            ).fetchall()
        return self._jobs(rows)

    def claim_job(self, job_id: str, owner: str) -> None:
        """Make ``owner`` the kernel working on one job."""
        self._db.run(
            "UPDATE jobs SET owner_kernel = %s WHERE job_id = %s AND terminal = 0",
            (owner, job_id),
        )

    def list_jobs(
        self, tenant: str, states: Iterable[TaskState], page_size: int, page_token: str
    ) -> tuple[list[Job], str]:
        """One page of the tenant's jobs, newest first; returns (jobs, next_page_token).

        Raises:
            ValueError: malformed page token.
        """
        sql = f"SELECT {_JOB_COLS} FROM jobs WHERE tenant = %s"
        args: list[object] = [tenant]
        st = [s.value for s in states]
        if st:
            sql += " AND state = ANY(%s)"
            args.append(st)
        if page_token:
            created, jid = decode_page_token(page_token)
            sql += " AND (created_at < %s OR (created_at = %s AND job_id < %s))"
            args.extend([created, created, jid])
        sql += " ORDER BY created_at DESC, job_id DESC LIMIT %s"
        args.append(page_size + 1)
        rows = [self._job(r) for r in self._db.all(sql, args)]
        nxt = ""
        if len(rows) > page_size:
            rows = rows[:page_size]
            nxt = encode_page_token(rows[-1].created_at, rows[-1].job_id)
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

        The job row is locked first; with ``owner``, only the kernel that claimed the job may
        record the steps. ``compiled``, ``evaluation``, ``outcome``/``error`` and
        ``queued_at`` go with the same transaction, and so does the ``event`` notice.

        Raises:
            TransitionRejected: the job is terminal (the first terminal decision won), another
                kernel claimed it, or a step is not an allowed transition; nothing is written.
            KeyError: no such job.
            ValueError: no steps.
        """
        if not steps:
            raise ValueError("advance needs at least one step")
        now = time.time()
        with self._db.tx() as c:
            r = c.execute(
                f"SELECT {_JOB_COLS} FROM jobs WHERE job_id = %s FOR UPDATE", (job_id,)
            ).fetchone()
            if r is None:
                raise KeyError(job_id)
            job = self._job(r)
            if owner is not None and r[16] != owner:
                raise TransitionRejected(job_id, job.state, steps[0].state)
            job, events = _apply(job, steps, now)
            if device_id is not None:
                job = replace(job, device_id=device_id)
            if queued_at is not None:
                job = replace(job, queued_at=queued_at)
            if error is not None:
                job = replace(job, error_code=error.error_code, error_summary=error.summary)
            c.execute(
                "UPDATE jobs SET state = %s, progress = %s, message = %s, updated_at = %s, "
                "last_event_seq = %s, terminal = %s, device_id = %s, queued_at = %s, "
                "error_code = %s, error_summary = %s WHERE job_id = %s",
                (job.state.value, job.progress, job.message, now, job.last_event_seq,
                 int(job.state in TERMINAL), job.device_id, job.queued_at, job.error_code,
                 job.error_summary, job_id),
            )  # fmt: skip
            with c.cursor() as cur:
                cur.executemany(
                    f"INSERT INTO events (job_id, {_EVENT_COLS}) "
                    "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
                    [(job_id, e.seq, e.state.value, e.progress, e.message, e.timestamp,
                      int(e.terminal), e.iteration, e.value) for e in events],
                )  # fmt: skip
            _payloads(c, job_id, compiled, evaluation, outcome, error)
            self._db.notify(c, "event", job_id)
        return job, events

    def compiled(self, job_id: str) -> CompiledRef | None:
        """The job's compiled program reference, if it was compiled."""
        r = self._db.one(
            "SELECT aqo_sha256, plan_sha256, metrics, parameters FROM compiled WHERE job_id = %s",
            (job_id,),
        )
        if r is None:
            return None
        return CompiledRef(str(r[0]), str(r[1]), json.loads(r[2]), tuple(json.loads(r[3])))

    def outcome(self, job_id: str) -> tuple[JobOutcome | None, ErrorRecord | None]:
        """What the terminal job produced: (outcome or None, error record or None)."""
        r = self._db.one("SELECT outcome, error FROM outcomes WHERE job_id = %s", (job_id,))
        if r is None:
            return None, None
        return (
            outcome_from_json(r[0]) if r[0] else None,
            _error_from_json(r[1]) if r[1] else None,
        )

    def events_after(self, job_id: str, after_seq: int, limit: int = 1000) -> list[Event]:
        """Persisted events with ``seq > after_seq``, in order (at most ``limit``, 1..10^5)."""
        after_seq = min(max(after_seq, 0), 2**63 - 1)
        limit = min(max(limit, 1), 100_000)
        rows = self._db.all(
            f"SELECT {_EVENT_COLS} FROM events WHERE job_id = %s AND seq > %s "
            "ORDER BY seq LIMIT %s",
            (job_id, after_seq, limit),
        )
        return [_event(job_id, r) for r in rows]

    def evaluations(self, job_id: str) -> list[Evaluation]:
        """Stored hybrid-loop evaluations, in iteration order."""
        rows = self._db.all(
            "SELECT iteration, point, value, std_error FROM evaluations WHERE job_id = %s "
            "ORDER BY iteration",
            (job_id,),
        )
        return [Evaluation(_i(r[0]), tuple(json.loads(r[1])), _f(r[2]), _f(r[3])) for r in rows]

    def delete_jobs(self, job_ids: Sequence[str]) -> None:
        """Remove terminal jobs' rows (job, events, evaluations, outcome, compiled reference)."""
        ids = list(job_ids)
        with self._db.tx() as c:
            for table in ("events", "evaluations", "outcomes", "compiled", "executions"):
                c.execute(f"DELETE FROM {table} WHERE job_id = ANY(%s)", (ids,))
            c.execute("DELETE FROM jobs WHERE job_id = ANY(%s) AND terminal = 1", (ids,))
        for j in ids:
            self._subs.pop(j, None)


def _apply(job: Job, steps: Sequence[Step], now: float) -> tuple[Job, list[Event]]:
    """The job after ``steps`` and their events (the same rule as the SQLite store).

    Raises:
        TransitionRejected: a step is not an allowed transition.
    """
    events: list[Event] = []
    for step in steps:
        if not can_transition(job.state, step.state):
            raise TransitionRejected(job.job_id, job.state, step.state)
        seq = job.last_event_seq + 1
        prog = job.progress if step.progress is None else step.progress
        if step.state == TaskState.COMPLETED:
            prog = 1.0
        ev = Event(
            job.job_id, seq, step.state, prog, step.message, now, step.state in TERMINAL,
            step.iteration, step.value,
        )  # fmt: skip
        events.append(ev)
        job = replace(
            job, state=step.state, progress=prog, message=step.message, updated_at=now,
            last_event_seq=seq,
        )  # fmt: skip
    return job, events


def _payloads(
    c: psycopg.Connection[tuple[Any, ...]],
    job_id: str,
    compiled: CompiledRef | None,
    evaluation: Evaluation | None,
    outcome: JobOutcome | None,
    error: ErrorRecord | None,
) -> None:
    """Write what goes with a step: compiled reference, evaluation, outcome or error."""
    if compiled is not None:
        c.execute(
            "INSERT INTO compiled (job_id, aqo_sha256, plan_sha256, metrics, parameters) "
            "VALUES (%s, %s, %s, %s, %s) ON CONFLICT (job_id) DO UPDATE SET "
            "aqo_sha256 = EXCLUDED.aqo_sha256, plan_sha256 = EXCLUDED.plan_sha256, "
            "metrics = EXCLUDED.metrics, parameters = EXCLUDED.parameters",
            (job_id, compiled.aqo_sha256, compiled.plan_sha256,
             json.dumps(compiled.metrics, sort_keys=True), json.dumps(list(compiled.parameters))),
        )  # fmt: skip
    if evaluation is not None:
        c.execute(
            "INSERT INTO evaluations (job_id, iteration, point, value, std_error) "
            "VALUES (%s, %s, %s, %s, %s) ON CONFLICT (job_id, iteration) DO UPDATE SET "
            "point = EXCLUDED.point, value = EXCLUDED.value, std_error = EXCLUDED.std_error",
            (job_id, evaluation.iteration, json.dumps(list(evaluation.point)), evaluation.value,
             evaluation.std_error),
        )  # fmt: skip
    if outcome is not None or error is not None:
        c.execute(
            "INSERT INTO outcomes (job_id, outcome, error) VALUES (%s, %s, %s) "
            "ON CONFLICT (job_id) DO UPDATE SET outcome = EXCLUDED.outcome, "
            "error = EXCLUDED.error",
            (job_id, "" if outcome is None else outcome_to_json(outcome),
             "" if error is None else _error_to_json(error)),
        )  # fmt: skip


class PostgresFeed:
    """:class:`eigen_kernel.ports.Feed`: LISTEN on a dedicated asynchronous connection.

    Reconnects after a lost connection (backoff ``retry_base_seconds`` doubling to
    ``retry_cap_seconds``). Notices published while it was disconnected are lost; what they
    would have triggered still happens, later: watchers re-read the store at each heartbeat
    and the device's owner claims new jobs at each lease renewal. ``connected`` is set while
    it listens (tests wait on it).
    """

    def __init__(
        self,
        url: str,
        channel: str = CHANNEL,
        retry_base_seconds: float = 0.1,
        retry_cap_seconds: float = 2.0,
    ):
        self.url = url
        self.channel = channel
        self.retry_base_seconds = retry_base_seconds
        self.retry_cap_seconds = retry_cap_seconds
        self.connected = asyncio.Event()
        self.connections = 0
        self._changed = asyncio.Condition()

    async def run(self, on_notice: Callable[[str, str, str], None]) -> None:
        """Call ``on_notice(kind, key, origin)`` for each notice, until cancelled."""
        delay = self.retry_base_seconds
        while True:
            try:
                await self._listen(on_notice)
            except psycopg.OperationalError as exc:
                log.warning("store feed lost; reconnecting", error=str(exc), sleep=delay)
            finally:
                self.connected.clear()
            await asyncio.sleep(delay)
            delay = min(delay * 2, self.retry_cap_seconds)

    async def listening(self, connections: int = 1) -> None:
        """Return once the feed listens on its ``connections``-th connection (tests)."""
        async with self._changed:
            await self._changed.wait_for(
                lambda: self.connections >= connections and self.connected.is_set()
            )

    async def _listen(self, on_notice: Callable[[str, str, str], None]) -> None:
        conn = await psycopg.AsyncConnection.connect(
            self.url, autocommit=True, connect_timeout=10, application_name="eigen-kernel-feed"
        )
        async with conn:
            await conn.execute(pgsql.SQL("LISTEN {}").format(pgsql.Identifier(self.channel)))
            async with self._changed:
                self.connections += 1
                self.connected.set()
                self._changed.notify_all()
            async for n in conn.notifies():
                parsed = parse_notice(n.payload)
                if parsed is None:
                    log.warning("ignoring a foreign notice", channel=n.channel)
                    continue
                try:
                    on_notice(*parsed)
                except Exception as exc:  # a handler's fault must not stop the feed
                    log.error("notice handler failed", exc_info=exc, kind=parsed[0])
