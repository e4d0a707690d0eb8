"""QRTX: the job pipeline and scheduler (SPEC §7, seed 003 §3).

validate → compile (compiler) → queue (FIFO per device, N slots) → allocate → execute
(driver-manager) → store results. Every state change is persisted (with its event) before it
is announced on the :class:`EventBus`. On start, :meth:`JobManager.recover` resumes every
non-terminal job: jobs caught before or during compilation re-run it; queued jobs stay queued;
jobs caught allocating or executing go back to the queue and run again (same seed → same counts).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import math
import random
import secrets
import sqlite3
import time
from collections import OrderedDict, deque
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar

import numpy as np
from opentelemetry import trace
from prometheus_client import Counter, Gauge, Histogram

from eigen_common import errors
from eigen_common.devices import Device
from eigen_common.logs import get_logger
from eigen_ir.hybrid import PlanError, parse_plan, render_returns
from eigen_kernel.domain import CompiledProgram, Event, Job, Submission
from eigen_kernel.hybrid_loop import LoopStopped, StoredEvaluation, loop_seed, run_loop
from eigen_kernel.ports import CompilerPort, DriverPort
from eigen_kernel.qfs import Qfs
from eigen_kernel.states import TERMINAL, TaskState
from eigen_kernel.store import JobStore, TransitionRejected

log = get_logger("eigen.kernel")
tracer = trace.get_tracer("eigen.kernel")
T = TypeVar("T")

TRANSITIONS_TOTAL = Counter(
    "eigen_kernel_job_state_transitions_total", "Job state transitions", ["from_state", "to_state"]
)
STAGE_SECONDS = Histogram(
    "eigen_kernel_stage_duration_seconds",
    "Time spent per pipeline stage, in seconds",
    ["stage"],
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 1, 5, 30, 120),
)
QUEUE_DEPTH = Gauge("eigen_kernel_queue_depth", "Jobs waiting or running per device", ["device"])
ACTIVE_JOBS = Gauge("eigen_kernel_active_jobs", "Non-terminal jobs in this kernel")

ITERATIONS = Counter(
    "eigen_kernel_hybrid_iterations_total", "Objective evaluations run by hybrid loops"
)
COMPILE_CACHE = Counter("eigen_kernel_compile_cache_total", "Compile cache lookups", ["result"])

IDEMPOTENCY_WINDOW_SECONDS = 24 * 3600


def compile_key(sub: Submission, bound: frozenset[str] = frozenset()) -> str:
    """Cache key of a compilation: everything the compiler's output depends on.

    By the determinism invariant (seed 000 §7) identical source + options + inputs (+ target and
    entrypoint) give byte-identical AQO, so a cached result is exactly what a recompile returns.
    Inputs named in ``bound`` are values of the AQO's symbolic parameters: the compiler leaves
    them symbolic (they are bound at execution), so they are not part of the key.
    """
    material = json.dumps(
        [
            sub.language,
            sub.source,
            sub.entrypoint,
            sub.qasm_version,
            sub.target,
            sorted(sub.compiler_options.items()),
            sorted((k, v) for k, v in sub.inputs.items() if k not in bound),
        ]
    )
    return hashlib.sha256(material.encode()).hexdigest()


class CompileCache:
    """Bounded LRU of compiled programs (``size`` 0 disables it).

    Keyed by :func:`compile_key` without the inputs that bind symbolic parameters: the cache
    remembers, per program (the key without any inputs), which parameter names its AQO has.
    So a Pattern A loop that only changes parameter values compiles once.
    """

    def __init__(self, size: int):
        self._size = size
        self._items: OrderedDict[str, CompiledProgram] = OrderedDict()
        self._params: OrderedDict[str, frozenset[str]] = OrderedDict()

    def _key(self, sub: Submission) -> str:
        base = compile_key(replace(sub, inputs={}))
        return compile_key(sub, self._params.get(base, frozenset()))

    def get(self, sub: Submission) -> CompiledProgram | None:
        """The cached program for ``sub``, refreshed as most recently used."""
        key = self._key(sub)
        item = self._items.get(key)
        if item is not None:
            self._items.move_to_end(key)
        return item

    def put(self, sub: Submission, item: CompiledProgram) -> None:
        """Insert, evicting the least recently used beyond ``size``."""
        if self._size <= 0:
            return
        base = compile_key(replace(sub, inputs={}))
        self._params[base] = frozenset(item.parameters)
        self._params.move_to_end(base)
        key = compile_key(sub, self._params[base])
        self._items[key] = item
        self._items.move_to_end(key)
        while len(self._items) > self._size:
            self._items.popitem(last=False)
        while len(self._params) > self._size:
            self._params.popitem(last=False)


@dataclass(frozen=True)
class KernelConfig:
    """Pipeline tuning: timeouts in seconds, retry policy for UNAVAILABLE, slots per device."""

    compile_timeout: float = 60.0
    execute_timeout: float = 600.0
    device_slots: int = 2
    heartbeat_seconds: float = 10.0
    retry_attempts: int = 5
    retry_base_seconds: float = 0.2
    retry_cap_seconds: float = 5.0
    device_cache_seconds: float = 5.0
    default_shots: int = 1024
    max_shots: int = 10_000_000
    compile_cache_size: int = 256


@dataclass(frozen=True)
class Heartbeat:
    """A RUNNING heartbeat: no state change; repeats the last ``event_seq`` (SPEC §3.2)."""

    job: Job
    seq: int
    timestamp: float


@dataclass(frozen=True)
class JobResults:
    """Results of a terminal job (domain form of ``GetJobResultsResponse``)."""

    job: Job
    counts: dict[str, int]
    metadata: dict[str, str]
    error: dict[str, Any] = field(default_factory=dict)
    optimization: dict[str, Any] = field(default_factory=dict)
    outputs: dict[str, Any] = field(default_factory=dict)


class EventBus:
    """In-process wake-ups for watchers of a job; the events themselves are read from the store."""

    def __init__(self) -> None:
        self._waiters: dict[str, set[asyncio.Event]] = {}

    def publish(self, job_id: str) -> None:
        """Wake every watcher of ``job_id``."""
        for ev in self._waiters.get(job_id, ()):
            ev.set()

    @contextlib.contextmanager
    def subscribe(self, job_ids: Iterator[str] | list[str]) -> Iterator[asyncio.Event]:
        """An event set whenever one of ``job_ids`` gets a new persisted event."""
        ev = asyncio.Event()
        ids = list(job_ids)
        for j in ids:
            self._waiters.setdefault(j, set()).add(ev)
        try:
            yield ev
        finally:
            for j in ids:
                s = self._waiters.get(j)
                if s is not None:
                    s.discard(ev)
                    if not s:
                        del self._waiters[j]


class DeviceQueue:
    """FIFO admission to a device with ``slots`` concurrent executions."""

    def __init__(self, device_id: str, slots: int):
        self.device_id = device_id
        self.slots = slots
        self.busy = 0
        self._waiters: deque[asyncio.Future[None]] = deque()
        self.avg_exec_seconds = 0.0

    @property
    def depth(self) -> int:
        """Jobs running plus waiting."""
        return self.busy + sum(1 for w in self._waiters if not w.done())

    async def acquire(self) -> None:
        """Wait for a slot (first come, first served). Cancellation leaves the queue intact."""
        if self.busy < self.slots and not self._waiters:
            self.busy += 1
            self._gauge()
            return
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append(fut)
        self._gauge()
        try:
            await fut
        except asyncio.CancelledError:
            if fut.done() and not fut.cancelled():
                self.release()
            else:
                with contextlib.suppress(ValueError):
                    self._waiters.remove(fut)
                self._gauge()
            raise

    def release(self) -> None:
        """Free a slot and hand it to the next waiter."""
        self.busy -= 1
        while self._waiters:
            fut = self._waiters.popleft()
            if not fut.done():
                self.busy += 1
                fut.set_result(None)
                break
        self._gauge()

    def _gauge(self) -> None:
        QUEUE_DEPTH.labels(self.device_id).set(self.depth)


class DeviceCatalog:
    """Devices from the driver-manager, cached for ``ttl`` seconds; resolves targets."""

    def __init__(self, driver: DriverPort, ttl: float):
        self._driver = driver
        self._ttl = ttl
        self._devices: list[Device] = []
        self._at = 0.0
        self._lock = asyncio.Lock()

    async def devices(self, refresh: bool = False) -> list[Device]:
        """All devices (refreshed when stale)."""
        if refresh or time.monotonic() - self._at > self._ttl or not self._devices:
            async with self._lock:
                if refresh or time.monotonic() - self._at > self._ttl or not self._devices:
                    try:
                        self._devices = await self._driver.list_devices(timeout=10.0)
                    except errors.UnavailableError:
                        if not self._devices:
                            raise
                        log.warning("driver-manager unavailable; using the last device list")
                    self._at = time.monotonic()
        return self._devices

    async def resolve(self, target: str) -> Device:
        """The device a target name or device id resolves to.

        Raises:
            TargetNotFoundError: unknown target; the message lists the available targets.
            ServiceUnavailableError: the driver-manager cannot be reached.
        """
        devs = await self.devices()
        for d in devs:
            if target == d.device_id or target in d.targets:
                return d
        names = sorted({t for d in devs for t in (*d.targets, d.device_id)})
        raise errors.TargetNotFoundError(
            f"unknown target {target!r}; available targets: {', '.join(names)}",
            metadata={"target": target[:128], "available": ",".join(names)[:1024]},
        )


class _Stop(Exception):
    """The job reached a terminal state elsewhere (e.g. cancelled); stop its pipeline quietly."""


def new_job_id() -> str:
    """Time-ordered job id: ``j`` + 12 hex ms timestamp + 8 random hex."""
    return f"j{int(time.time() * 1000):012x}{secrets.token_hex(4)}"


class JobManager:
    """Owns job state: accepts, runs, cancels, reports and streams jobs of all tenants.

    Tenancy: every query takes the caller's tenant; another tenant's job is NOT_FOUND.
    """

    def __init__(
        self,
        store: JobStore,
        qfs: Qfs,
        compiler: CompilerPort,
        driver: DriverPort,
        config: KernelConfig,
    ):
        self.store = store
        self.qfs = qfs
        self.compiler = compiler
        self.driver = driver
        self.config = config
        self.bus = EventBus()
        self.catalog = DeviceCatalog(driver, config.device_cache_seconds)
        self._queues: dict[str, DeviceQueue] = {}
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._compiled: dict[str, CompiledProgram] = {}
        self._compile_cache = CompileCache(config.compile_cache_size)
        self._closed = False

    # --- lifecycle --------------------------------------------------------------------------

    def recover(self) -> int:
        """Resume every non-terminal job found in the store; returns how many."""
        jobs = self.store.active_jobs()
        for job in jobs:
            self._spawn(job.job_id)
        if jobs:
            log.info("recovered jobs", count=len(jobs))
        return len(jobs)

    async def shutdown(self) -> None:
        """Stop pipelines without changing job states (they resume on the next start)."""
        tasks = list(self._tasks.values())
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._closed = True

    def _spawn(self, job_id: str) -> None:
        live = self._tasks.get(job_id)
        if live is not None and not live.done():
            return  # one pipeline per job, even if recovery races a new submission
        task = asyncio.get_running_loop().create_task(self._run(job_id), name=f"job-{job_id}")
        self._tasks[job_id] = task
        task.add_done_callback(lambda t: self._task_done(job_id, t))
        ACTIVE_JOBS.set(len(self._tasks))

    def _task_done(self, job_id: str, task: asyncio.Task[None]) -> None:
        """Bookkeeping when a pipeline ends, also if it was cancelled before it first ran."""
        if self._tasks.get(job_id) is task:
            del self._tasks[job_id]
        self._compiled.pop(job_id, None)
        ACTIVE_JOBS.set(len(self._tasks))
        final = self.store.get_job(job_id) if not self._closed else None
        if final is not None and final.state in TERMINAL:
            try:
                self._export_events(job_id)
            except OSError as exc:
                log.warning("events export failed", job_id=job_id, error=str(exc))

    # --- API --------------------------------------------------------------------------------

    async def submit(
        self, tenant: str, owner: str, submission: Submission, payload: bytes
    ) -> tuple[Job, bool]:
        """Accept a job (persisted before returning); returns (job, deduplicated).

        Raises:
            IdempotencyConflictError: the key was used with a different payload.
            TargetNotFoundError / DependencyNotFoundError / NotFoundError (reservation).
            UnimplementedError: ``reservation_id`` given (reservations are not offered yet).
        """
        phash = hashlib.sha256(payload).hexdigest()
        violations = []
        for i, dep in enumerate(submission.dependencies):
            if self.store.get_job(dep, tenant) is None:
                violations.append(errors.FieldViolation(f"dependencies[{i}]", f"no job {dep!r}"))
        if violations:
            raise errors.DependencyNotFoundError(
                "unknown dependency: " + ", ".join(v.description for v in violations),
                violations=violations,
            )
        if submission.reservation_id:
            raise errors.NotFoundError(
                f"no reservation {submission.reservation_id!r}", reason="RESERVATION_NOT_FOUND"
            )
        device = await self.catalog.resolve(submission.target)
        if device.status != "ONLINE":
            raise errors.DeviceOfflineError(
                f"device {device.device_id} is {device.status.lower()}",
                metadata={"subject": device.device_id},
            )
        # From here to create_job there is no await: concurrent retries with one idempotency
        # key are serialised by the event loop, and the unique index backs that up.
        if submission.idempotency_key:
            prior = self._idempotent(tenant, submission.idempotency_key, phash)
            if prior is not None:
                return prior, True
        job_id = new_job_id()
        try:
            job, _ = self.store.create_job(job_id, tenant, owner, submission, phash)
        except sqlite3.IntegrityError:
            prior = self._idempotent(tenant, submission.idempotency_key, phash)
            if prior is None:
                raise
            return prior, True
        self.qfs.write_input(job_id, submission.to_json(), submission.language, submission.source)
        TRANSITIONS_TOTAL.labels("", TaskState.PENDING.value).inc()
        self.bus.publish(job_id)
        self._spawn(job_id)
        log.info("job accepted", job_id=job_id, target=submission.target, name=submission.name)
        return job, False

    def _idempotent(self, tenant: str, key: str, phash: str) -> Job | None:
        """The job already accepted under ``key`` (same payload), else None.

        Raises:
            IdempotencyConflictError: the key was used with a different payload.
        """
        prior = self.store.find_idempotent(tenant, key)
        if prior is None:
            return None
        if time.time() - prior.created_at > IDEMPOTENCY_WINDOW_SECONDS:
            self.store.release_idempotency_key(prior.job_id)  # expired: the key is free again
            return None
        if prior.payload_hash != phash:
            raise errors.IdempotencyConflictError(
                "idempotency key reused with a different payload",
                metadata={"job_id": prior.job_id},
            )
        return prior

    def get(self, tenant: str, job_id: str) -> Job:
        """The tenant's job.

        Raises:
            JobNotFoundError: no such job for this tenant.
        """
        job = self.store.get_job(job_id, tenant)
        if job is None:
            raise errors.JobNotFoundError(f"job {job_id!r} not found", metadata={"job_id": job_id})
        return job

    def list_jobs(
        self, tenant: str, states: list[TaskState], page_size: int, page_token: str
    ) -> tuple[list[Job], str]:
        """A page of the tenant's jobs, newest first."""
        try:
            return self.store.list_jobs(tenant, states, page_size, page_token)
        except ValueError:
            raise errors.ValidationError(
                [errors.FieldViolation("page_token", "malformed page token")]
            ) from None

    def cancel(self, tenant: str, job_id: str, reason: str) -> Job:
        """Cancel a non-terminal job at any stage; a running execution is abandoned.

        Raises:
            JobNotFoundError: no such job.
            JobAlreadyTerminalError: the job is DONE/ERROR/CANCELLED/TIMEOUT already.
        """
        job = self.get(tenant, job_id)
        msg = f"cancelled: {reason}" if reason else "cancelled by user"
        try:
            job = self._transition(
                job, TaskState.CANCELLED, msg, error_code="CANCELLED", error_summary=msg
            )
        except _Stop:
            current = self.get(tenant, job_id)
            raise errors.JobAlreadyTerminalError(
                f"job {job_id} is already {current.state.value}",
                metadata={"job_id": job_id, "state": current.state.value},
            ) from None
        task = self._tasks.get(job_id)
        if task is not None:
            task.cancel()
        self._write_error(job_id, {"error_code": "CANCELLED", "summary": msg})
        return job

    def results(self, tenant: str, job_id: str) -> JobResults:
        """Results of a terminal job.

        Raises:
            JobNotFoundError: no such job.
            ResultsNotReadyError: the job is not terminal yet.
        """
        job = self.get(tenant, job_id)
        if job.state not in TERMINAL:
            raise errors.ResultsNotReadyError(
                f"job {job_id} is {job.state.value}; results are available once it is terminal",
                metadata={"job_id": job_id, "state": job.state.value},
            )
        res = self.qfs.read_json(job_id, "results.json") or {}
        err = self.qfs.read_json(job_id, "error.json") or {}
        return JobResults(
            job,
            res.get("counts", {}),
            res.get("metadata", {}),
            err,
            res.get("optimization", {}),
            res.get("outputs", {}),
        )

    async def watch(
        self, tenant: str, job_id: str, after: int, heartbeat: float | None = None
    ) -> AsyncIterator[Event | Heartbeat]:
        """Persisted events with seq > ``after``, live, ending after the terminal event.

        While the job is EXECUTING and nothing happens for ``heartbeat`` seconds, yields a
        :class:`Heartbeat` repeating the last seq. Closing the stream never cancels the job.
        """
        job = self.get(tenant, job_id)
        interval = heartbeat or self.config.heartbeat_seconds
        last = after
        with self.bus.subscribe([job_id]) as wake:
            while True:
                wake.clear()
                evs = self.store.events_after(job_id, last)
                for e in evs:
                    yield e
                    last = e.seq
                    if e.terminal:
                        return
                if evs:
                    continue
                job = self.get(tenant, job_id)
                if job.state in TERMINAL and job.last_event_seq <= last:
                    return
                try:
                    await asyncio.wait_for(wake.wait(), interval)
                except TimeoutError:
                    job = self.get(tenant, job_id)
                    if job.state == TaskState.EXECUTING:
                        yield Heartbeat(job, last, time.time())

    async def poll(
        self, tenant: str, job_id: str, after: int, max_events: int, wait: float
    ) -> tuple[list[Event], bool]:
        """Up to ``max_events`` events after ``after``; long-polls up to ``wait`` seconds."""
        self.get(tenant, job_id)
        with self.bus.subscribe([job_id]) as wake:
            evs = self.store.events_after(job_id, after, max_events + 1)
            if not evs and wait > 0:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(wake.wait(), wait)
                evs = self.store.events_after(job_id, after, max_events + 1)
        return evs[:max_events], len(evs) > max_events

    async def devices(self) -> list[Device]:
        """Devices with the kernel's queue depth and estimated wait."""
        out = []
        for d in await self.catalog.devices():
            q = self._queues.get(d.device_id)
            depth = q.depth if q else 0
            wait = int(depth * q.avg_exec_seconds / max(q.slots, 1)) if q else 0
            out.append(replace(d, queue_depth=depth, estimated_wait_sec=wait))
        return out

    async def device(self, name: str) -> Device:
        """One device by id or target name.

        Raises:
            DeviceNotFoundError: unknown device.
        """
        for d in await self.devices():
            if name == d.device_id or name in d.targets:
                return d
        raise errors.DeviceNotFoundError(f"device {name!r} not found", metadata={"device": name})

    # --- pipeline ---------------------------------------------------------------------------

    def _transition(self, job: Job, state: TaskState, message: str, **kw: Any) -> Job:
        try:
            new, _ = self.store.transition(job.job_id, state, message, **kw)
        except TransitionRejected:
            raise _Stop() from None
        TRANSITIONS_TOTAL.labels(job.state.value, state.value).inc()
        self.bus.publish(job.job_id)
        return new

    async def _run(self, job_id: str) -> None:
        job = self.store.get_job(job_id)
        if job is None or job.state in TERMINAL:
            return
        remaining = None if job.deadline is None else job.deadline - time.time()
        try:
            async with asyncio.timeout(remaining):
                await self._pipeline(job)
        except TimeoutError:
            limit = job.submission.timeout_seconds
            self._fail(
                job_id, TaskState.TIMEOUT, "TIMEOUT", f"job exceeded its timeout ({limit} s)"
            )
        except errors.CompilationFailedError as exc:
            diags = [d.__dict__ for d in exc.diagnostics]
            self._fail(job_id, TaskState.FAILED, "COMPILATION_FAILED", exc.message, diags)
        except errors.EigenError as exc:
            self._fail(job_id, TaskState.FAILED, exc.reason, exc.message)
        except _Stop:
            pass
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            err = errors.InternalError.with_correlation()
            log.error("pipeline fault", job_id=job_id, exc_info=exc, **err.metadata)
            self._fail(job_id, TaskState.FAILED, "INTERNAL", err.message)

    def _fail(
        self,
        job_id: str,
        state: TaskState,
        code: str,
        summary: str,
        diagnostics: list[dict[str, Any]] | None = None,
    ) -> None:
        """End a job: the terminal transition first, then ``error.json`` (best effort).

        Writing the file first would leave the job non-terminal, with no pipeline, if the
        write failed (disk full): every watcher and dependent would wait forever.
        """
        job = self.store.get_job(job_id)
        if job is None or job.state in TERMINAL:
            return
        try:
            self._transition(
                job,
                state,
                f"{code}: {summary}"[:2000],
                error_code=code,
                error_summary=summary[:2000],
            )
        except _Stop:
            return
        self._write_error(
            job_id, {"error_code": code, "summary": summary, "diagnostics": diagnostics or []}
        )
        log.info("job failed", job_id=job_id, error_code=code, state=state.value)

    def _write_error(self, job_id: str, record: dict[str, Any]) -> None:
        try:
            self.qfs.write_json(job_id, "error.json", record)
        except OSError as exc:
            log.error("error.json not written", job_id=job_id, error=str(exc))

    def _export_events(self, job_id: str) -> None:
        lines = [
            json.dumps(
                {
                    "event_seq": e.seq,
                    "state": e.state.value,
                    "progress": e.progress,
                    "message": e.message,
                    "timestamp": e.timestamp,
                    "terminal": e.terminal,
                }
            )
            for e in self.store.events_after(job_id, 0, 100_000)
        ]
        self.qfs.write_bytes(job_id, "events.jsonl", ("\n".join(lines) + "\n").encode())

    async def _retry(self, what: str, job_id: str, call: Callable[[], Awaitable[T]]) -> T:
        delay = self.config.retry_base_seconds
        for attempt in range(1, self.config.retry_attempts + 1):
            try:
                return await call()
            except errors.UnavailableError as exc:
                if attempt == self.config.retry_attempts:
                    raise
                sleep = min(delay, self.config.retry_cap_seconds) * (0.5 + random.random() / 2)
                log.warning(
                    "retrying",
                    what=what,
                    job_id=job_id,
                    attempt=attempt,
                    error=str(exc),
                    sleep=sleep,
                )
                await asyncio.sleep(sleep)
                delay *= 2
        raise AssertionError("unreachable")

    async def _pipeline(self, job: Job) -> None:
        sub = job.submission
        if job.state in (TaskState.PENDING, TaskState.VALIDATING, TaskState.COMPILING):
            t0 = time.perf_counter()
            if job.state == TaskState.PENDING:
                job = self._transition(job, TaskState.VALIDATING, "validating", progress=0.05)
            msg = (
                "recompiling after kernel restart"
                if job.state == TaskState.COMPILING
                else "compiling"
            )
            job = self._transition(job, TaskState.COMPILING, msg, progress=0.1)
            sub = replace(sub, source=self.store.source(job.job_id))
            compiled = self._compile_cache.get(sub)
            if compiled is None:
                with tracer.start_as_current_span("compile"):
                    compiled = await self._retry(
                        "compile",
                        job.job_id,
                        lambda: self.compiler.compile(job.job_id, sub, self.config.compile_timeout),
                    )
                self._compile_cache.put(sub, compiled)
                COMPILE_CACHE.labels("miss").inc()
            else:
                compiled = replace(compiled, metrics={**compiled.metrics, "cache": "hit"})
                COMPILE_CACHE.labels("hit").inc()
            self.qfs.write_bytes(job.job_id, "compiled.aqo.json", compiled.aqo_json)
            if compiled.hybrid_plan_json:
                self.qfs.write_bytes(job.job_id, "hybrid_plan.json", compiled.hybrid_plan_json)
            self.qfs.write_json(
                job.job_id,
                "compiled.meta.json",
                {
                    "aqo_sha256": compiled.aqo_sha256,
                    "metrics": compiled.metrics,
                    "parameters": list(compiled.parameters),
                },
            )
            self._compiled[job.job_id] = compiled
            STAGE_SECONDS.labels("compile").observe(time.perf_counter() - t0)
            device = await self._resolve(sub.target, job.job_id)
            q = compiled.metrics.get("logical_qubits", "?")
            job = self._transition(
                job,
                TaskState.QUEUED,
                f"compiled ({q} qubits); queued for {device.device_id}",
                progress=0.3,
            )
        else:
            compiled = self._load_compiled(job.job_id)
            if job.state in (TaskState.ALLOCATING, TaskState.EXECUTING):
                job = self._transition(
                    job, TaskState.QUEUED, "requeued after kernel restart", progress=0.3
                )
        await self._await_dependencies(job)
        device = await self._resolve(sub.target, job.job_id)
        queue = self._queues.get(device.device_id)
        if queue is None:
            queue = self._queues[device.device_id] = DeviceQueue(
                device.device_id, self.config.device_slots
            )
        t_q = time.perf_counter()
        await queue.acquire()
        try:
            STAGE_SECONDS.labels("queue").observe(time.perf_counter() - t_q)
            job = self._transition(
                job,
                TaskState.ALLOCATING,
                f"allocating {device.device_id}",
                device_id=device.device_id,
            )
            if compiled.hybrid_plan_json:
                job = self._transition(
                    job, TaskState.EXECUTING, f"optimising on {device.device_id}", progress=0.0
                )
                await self._run_hybrid(job, device, compiled, queue)
            else:
                job = self._transition(
                    job, TaskState.EXECUTING, f"executing on {device.device_id}", progress=0.5
                )
                await self._execute(job, device, compiled, queue)
        finally:
            queue.release()

    async def _execute(
        self, job: Job, device: Device, compiled: CompiledProgram, queue: DeviceQueue
    ) -> None:
        """Run a circuit job on ``device`` and store its counts (the linear flow)."""
        sub = job.submission
        metrics = compiled.metrics
        shots, seed = self._shots_and_seed(sub, metrics)
        bindings = self._bindings(sub, compiled)
        t_x = time.perf_counter()
        with tracer.start_as_current_span("execute"):
            outcome = await self._retry(
                "execute",
                job.job_id,
                lambda: self.driver.execute(
                    job.job_id,
                    device.device_id,
                    compiled.aqo_json,
                    shots,
                    seed,
                    {},
                    bindings,
                    self.config.execute_timeout,
                ),
            )
        elapsed = time.perf_counter() - t_x
        STAGE_SECONDS.labels("execute").observe(elapsed)
        queue.avg_exec_seconds = 0.8 * queue.avg_exec_seconds + 0.2 * elapsed
        meta = {
            **{f"compile.{k}": v for k, v in metrics.items()},
            **outcome.metadata,
            "device_id": device.device_id,
            "shots": str(shots),
            "execution_time_sec": f"{outcome.execution_time_sec:.6f}",
            "aqo_sha256": compiled.aqo_sha256,
        }
        if seed is not None:
            meta["seed"] = str(seed)
        if bindings:
            meta["parameter_values"] = json.dumps(bindings, sort_keys=True)
        self.qfs.write_json(
            job.job_id, "results.json", {"counts": outcome.counts, "metadata": meta}
        )
        self._transition(job, TaskState.COMPLETED, "done", progress=1.0)

    @staticmethod
    def _bindings(sub: Submission, compiled: CompiledProgram) -> dict[str, float]:
        """Values of the AQO's symbolic parameters from the job's ``inputs`` (Pattern A).

        Raises:
            InvalidArgumentError: a parameter has no value in ``inputs``.
        """
        if not compiled.parameters:
            return {}
        missing = [p for p in compiled.parameters if p not in sub.inputs]
        if missing:
            raise errors.InvalidArgumentError(
                f"the program has unbound parameter(s) {', '.join(missing)}; give their values "
                "in the job's inputs (radians)",
                reason="MISSING_PARAMETER_VALUES",
                violations=[
                    errors.FieldViolation(f"inputs.{p}", "value required") for p in missing
                ],
            )
        return {p: float(sub.inputs[p]) for p in compiled.parameters}

    async def _run_hybrid(
        self, job: Job, device: Device, compiled: CompiledProgram, queue: DeviceQueue
    ) -> None:
        """Run a hybrid plan as a kernel-managed loop (Pattern B); store the outcome.

        One EXECUTING event per objective evaluation (``iteration``, ``current_value``,
        progress = iteration / max_iter); the device slot is held for the whole loop.
        """
        job_id = job.job_id
        try:
            plan = parse_plan(compiled.hybrid_plan_json)
        except PlanError as exc:
            raise errors.InternalError(
                f"the compiler produced an invalid hybrid plan: {exc}", reason="INVALID_PLAN"
            ) from None
        sub = job.submission
        seed = loop_seed(plan, job_id) if sub.seed is None else sub.seed
        aqo_json = plan.circuit.canonical_bytes()
        names = plan.parameters
        max_iter = plan.optimizer.max_iter
        stored = [StoredEvaluation(*row) for row in self.store.evaluations(job_id)]
        if stored:
            log.info("hybrid loop resuming", job_id=job_id, stored=len(stored))

        async def evaluate(k: int, x: np.ndarray) -> tuple[float, float]:
            binding = {n: float(v) for n, v in zip(names, x, strict=True)}
            eval_seed = None if plan.shots is None else (seed + k) % 2**63
            out = await self._retry(
                "estimate",
                job_id,
                lambda: self.driver.estimate(
                    job_id,
                    device.device_id,
                    aqo_json,
                    plan.observable,
                    [binding],
                    plan.shots,
                    eval_seed,
                    self.config.execute_timeout,
                ),
            )
            if len(out.values) != 1 or not math.isfinite(out.values[0]):
                raise errors.InternalError(
                    "the driver returned no finite expectation value", reason="BAD_ESTIMATE"
                )
            value, err = float(out.values[0]), float(out.std_errors[0] if out.std_errors else 0)
            self._transition(
                job,
                TaskState.EXECUTING,
                f"iteration {k}/{max_iter}: value {value:.8g}",
                progress=min(k / max_iter, 1.0),
                iteration=k,
                value=value,
                point=[float(v) for v in x],
                std_error=err,
            )
            ITERATIONS.inc()
            return value, err

        t_x = time.perf_counter()
        try:
            with tracer.start_as_current_span("hybrid_loop"):
                outcome = await run_loop(plan, evaluate, stored, seed)
        except LoopStopped:
            raise _Stop() from None
        elapsed = time.perf_counter() - t_x
        STAGE_SECONDS.labels("hybrid_loop").observe(elapsed)
        queue.avg_exec_seconds = 0.8 * queue.avg_exec_seconds + 0.2 * elapsed
        evaluations = self.store.evaluations(job_id)
        history_ref = self.qfs.write_json(
            job_id,
            "history.json",
            {
                "parameters": list(names),
                "iterations": [
                    {"iteration": k, "value": v, "std_error": e, "point": p}
                    for k, p, v, e in evaluations
                ],
            },
        )
        best = [float(v) for v in outcome.optimal_parameters]
        optimization = {
            "optimal_value": outcome.optimal_value,
            "optimal_parameters": dict(zip(names, best, strict=True)),
            "optimal_point": best,
            "iterations": outcome.iterations,
            "success": outcome.success,
            "message": outcome.message,
            "method": plan.optimizer.method,
            "history": [v for _, _, v, _ in evaluations],
            "history_ref": history_ref,
        }
        outputs = render_returns(
            plan,
            {
                "optimal_value": outcome.optimal_value,
                "optimal_parameters": best,
                "success": outcome.success,
                "iterations": outcome.iterations,
            },
        )
        meta = {
            **{f"compile.{k}": v for k, v in compiled.metrics.items()},
            "device_id": device.device_id,
            "aqo_sha256": compiled.aqo_sha256,
            "plan_sha256": plan.sha256(),
            "optimizer": plan.optimizer.method,
            "optimizer_seed": str(seed),
            "shots": "exact" if plan.shots is None else str(plan.shots),
            "evaluations": str(outcome.iterations),
            "loop_seconds": f"{elapsed:.6f}",
        }
        self.qfs.write_json(
            job_id,
            "results.json",
            {"counts": {}, "metadata": meta, "optimization": optimization, "outputs": outputs},
        )
        self._transition(
            job,
            TaskState.COMPLETED,
            f"done: optimal value {outcome.optimal_value:.8g} after {outcome.iterations} "
            "iterations",
            progress=1.0,
        )

    async def _resolve(self, target: str, job_id: str) -> Device:
        """Resolve a target inside the pipeline, retrying UNAVAILABLE like any internal call."""
        return await self._retry("resolve", job_id, lambda: self.catalog.resolve(target))

    def _shots_and_seed(self, sub: Submission, metrics: dict[str, str]) -> tuple[int, int | None]:
        """Shots and seed by precedence: request > program decorator > default.

        Raises:
            InvalidArgumentError: the program declares shots outside 1..max_shots or a seed
                outside 0..2^63-1 (the request's own values were checked at the edge).
        """
        shots = sub.shots or _int(metrics.get("program.shots")) or self.config.default_shots
        seed = sub.seed if sub.seed is not None else _int(metrics.get("program.seed"))
        if not 1 <= shots <= self.config.max_shots:
            raise errors.InvalidArgumentError(
                f"shots={shots} is outside 1..{self.config.max_shots}",
                reason="INVALID_PROGRAM_OPTION",
            )
        if seed is not None and not 0 <= seed < 2**63:
            raise errors.InvalidArgumentError(
                f"seed={seed} is outside 0..2^63-1", reason="INVALID_PROGRAM_OPTION"
            )
        return shots, seed

    def _load_compiled(self, job_id: str) -> CompiledProgram:
        cached = self._compiled.get(job_id)
        if cached is not None:
            return cached
        aqo = self.qfs.read_bytes(job_id, "compiled.aqo.json")
        meta = self.qfs.read_json(job_id, "compiled.meta.json")
        if aqo is None or meta is None:
            raise errors.InternalError("compiled artifact missing", reason="ARTIFACT_MISSING")
        plan = self.qfs.read_bytes(job_id, "hybrid_plan.json") or b""
        params = tuple(meta.get("parameters", ()))
        return CompiledProgram(aqo, meta["aqo_sha256"], meta["metrics"], plan, params)

    async def _await_dependencies(self, job: Job) -> None:
        deps = list(job.submission.dependencies)
        if not deps:
            return
        with self.bus.subscribe(deps) as wake:
            while True:
                wake.clear()
                pending = []
                for dep in deps:
                    d = self.store.get_job(dep)
                    if d is None or d.state in (
                        TaskState.FAILED,
                        TaskState.CANCELLED,
                        TaskState.TIMEOUT,
                    ):
                        state = "missing" if d is None else d.state.value
                        raise errors.FailedPreconditionError(
                            f"dependency {dep} ended {state}", reason="DEPENDENCY_FAILED"
                        )
                    if d.state != TaskState.COMPLETED:
                        pending.append(dep)
                if not pending:
                    return
                await wake.wait()


def _int(v: str | None) -> int | None:
    try:
        return int(v) if v not in (None, "") else None
    except ValueError:
        return None
