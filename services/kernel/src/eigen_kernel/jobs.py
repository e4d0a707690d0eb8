"""The job API of the kernel: submit, get, list, cancel, results, watch, poll, artifacts.

Tenancy: every call takes the caller's tenant; another tenant's job is NOT_FOUND (SPEC §11).
Accepting a job never waits on a backend: targets resolve against the last known device list.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import secrets
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass

from eigen_common import errors
from eigen_common.logs import get_logger
from eigen_kernel.admission import DEFAULT_SHOTS
from eigen_kernel.artifacts import ArtifactBody, ArtifactInfo, Artifacts
from eigen_kernel.catalog import DeviceCatalog, online
from eigen_kernel.domain import (
    NOT_WAITING,
    ErrorRecord,
    Event,
    Job,
    JobResults,
    QueueInfo,
    Step,
    Submission,
    WaitingReason,
)
from eigen_kernel.lifecycle import EventBus, JobEnded, Lifecycle
from eigen_kernel.ports import DuplicateJob, JobStore
from eigen_kernel.reservations import Reservations
from eigen_kernel.runtime import Runtime
from eigen_kernel.scheduler import Scheduler
from eigen_kernel.states import TERMINAL, TaskState

log = get_logger("eigen.kernel.jobs")

#: An idempotency key returns the original job for this long (SPEC §3.3: 24 h).
IDEMPOTENCY_WINDOW_SECONDS = 24 * 3600


def new_job_id() -> str:
    """Time-ordered job id: ``j`` + 12 hex ms timestamp + 8 random hex."""
    return f"j{int(time.time() * 1000):012x}{secrets.token_hex(4)}"


@dataclass(frozen=True)
class Heartbeat:
    """A heartbeat (SPEC §3.2): no state change; repeats the last ``event_seq``.

    Sent while a job runs, and while it waits (with its current queue information).
    """

    job: Job
    seq: int
    timestamp: float
    queue: QueueInfo = NOT_WAITING


@dataclass(frozen=True)
class Update:
    """A persisted event as sent to a watcher, with the job's queue information now."""

    event: Event
    queue: QueueInfo = NOT_WAITING


class JobService:
    """What the kernel's gRPC servicer calls for jobs."""

    def __init__(
        self,
        store: JobStore,
        bus: EventBus,
        lifecycle: Lifecycle,
        runtime: Runtime,
        scheduler: Scheduler,
        catalog: DeviceCatalog,
        reservations: Reservations,
        artifacts: Artifacts,
        heartbeat_seconds: float,
        tenant_queued_cap: int = 0,
    ):
        self._store = store
        self._bus = bus
        self._lifecycle = lifecycle
        self._runtime = runtime
        self._scheduler = scheduler
        self._catalog = catalog
        self._reservations = reservations
        self._artifacts = artifacts
        self._heartbeat = heartbeat_seconds
        self._cap = tenant_queued_cap
        self._active: dict[str, int] | None = None  # unfinished jobs per tenant (lazy)
        lifecycle.on_terminal(self._ended)

    def _ended(self, job: Job) -> None:
        if self._active is not None and self._active.get(job.tenant, 0) > 0:
            self._active[job.tenant] -= 1

    def _check_cap(self, tenant: str) -> None:
        if not self._cap:
            return
        if self._active is None:
            self._active = {}
            for j in self._store.active_jobs():
                self._active[j.tenant] = self._active.get(j.tenant, 0) + 1
        if self._active.get(tenant, 0) >= self._cap:
            raise errors.ResourceExhaustedError(
                f"tenant {tenant} has {self._cap} unfinished jobs, as many as it may; "
                "submit more when some have finished",
                reason="QUOTA_EXCEEDED",
                metadata={"subject": f"tenant:{tenant}/queued_jobs", "limit": str(self._cap)},
            )

    # --- submit -----------------------------------------------------------------------------

    def submit(
        self, tenant: str, owner: str, submission: Submission, payload: bytes
    ) -> tuple[Job, bool]:
        """Accept a job (persisted before returning); returns (job, deduplicated).

        Raises:
            DependencyNotFoundError: a dependency is not one of the tenant's jobs.
            TargetNotFoundError: unknown target (the message lists the available ones).
            ServiceUnavailableError: no device list known yet.
            DeviceOfflineError: the device is offline.
            NotFoundError / FailedPreconditionError: a bad ``reservation_id``.
            IdempotencyConflictError: the key was used with a different payload.
            ResourceExhaustedError: the tenant has ``tenant_queued_cap`` unfinished jobs
                (reason QUOTA_EXCEEDED, QuotaFailure subject ``tenant:<t>/queued_jobs``).
        """
        phash = hashlib.sha256(payload).hexdigest()
        violations = [
            errors.FieldViolation(f"dependencies[{i}]", f"no job {dep!r}")
            for i, dep in enumerate(submission.dependencies)
            if self._store.get_job(dep, tenant) is None
        ]
        if violations:
            raise errors.DependencyNotFoundError(
                "unknown dependency: " + ", ".join(v.description for v in violations),
                violations=violations,
            )
        device = self._catalog.resolve(submission.target)
        if not online(device):
            raise errors.DeviceOfflineError(
                f"device {device.device_id} is {device.status.value.lower()}"
                + (f": {device.status_message}" if device.status_message else ""),
                metadata={"subject": device.device_id},
            )
        if submission.reservation_id:
            self._reservations.check(tenant, submission.reservation_id, device.device_id)
        if submission.idempotency_key:
            prior = self._idempotent(tenant, submission.idempotency_key, phash)
            if prior is not None:
                return prior, True
        self._check_cap(tenant)
        job_id = new_job_id()
        local = self._runtime.own(device.device_id)
        try:
            job, _ = self._store.create_job(
                job_id,
                tenant,
                owner,
                submission,
                phash,
                device.device_id,
                owner_kernel=self._runtime.kernel_id if local else "",
            )
        except DuplicateJob:
            prior = self._idempotent(tenant, submission.idempotency_key, phash)
            if prior is None:
                raise
            return prior, True
        if self._active is not None:
            self._active[tenant] = self._active.get(tenant, 0) + 1
        self._bus.publish(job_id)
        if local:
            self._runtime.accept(job)  # else the device's owner kernel picks it up
        log.info("job accepted", job_id=job_id, target=submission.target, device=device.device_id)
        return job, False

    def _idempotent(self, tenant: str, key: str, phash: str) -> Job | None:
        prior = self._store.find_idempotent(tenant, key)
        if prior is None:
            return None
        if time.time() - prior.created_at > IDEMPOTENCY_WINDOW_SECONDS:
            self._store.release_idempotency_key(prior.job_id)  # expired: the key is free again
            return None
        if prior.payload_hash != phash:
            raise errors.IdempotencyConflictError(
                "idempotency key reused with a different payload",
                metadata={"job_id": prior.job_id},
            )
        return prior

    # --- read -------------------------------------------------------------------------------

    def get(self, tenant: str, job_id: str) -> Job:
        """The tenant's job.

        Raises:
            JobNotFoundError: no such job for this tenant.
        """
        job = self._store.get_job(job_id, tenant)
        if job is None:
            raise errors.JobNotFoundError(
                f"job {job_id[:64]!r} not found", metadata={"job_id": job_id[:64]}
            )
        return job

    def queue_info(self, job: Job) -> QueueInfo:
        """Why and where a job waits now (SPEC §12); NOT_WAITING for others."""
        if job.state in TERMINAL:
            return NOT_WAITING
        info = self._scheduler.explain(job.job_id)
        if info is not None:
            return info
        if job.state == TaskState.QUEUED:
            pending = self._runtime.dependencies.pending(job.job_id)
            if pending:
                return QueueInfo(
                    0,
                    0,
                    WaitingReason.DEPENDENCY,
                    f"waiting for {pending} dependenc{'y' if pending == 1 else 'ies'}",
                )
        return NOT_WAITING

    def shots(self, job: Job) -> int:
        """The shots the job runs (or ran) with: requested, else the program's, else 1024."""
        if job.submission.shots:
            return job.submission.shots
        cref = self._store.compiled(job.job_id)
        declared = cref.metrics.get("program.shots", "") if cref is not None else ""
        return int(declared) if declared.isdigit() else DEFAULT_SHOTS

    def list_jobs(
        self, tenant: str, states: list[TaskState], page_size: int, page_token: str
    ) -> tuple[list[Job], str]:
        """A page of the tenant's jobs, newest first (page_size 1..1000).

        Raises:
            ValidationError: malformed page token.
        """
        try:
            return self._store.list_jobs(tenant, states, min(max(page_size, 1), 1000), page_token)
        except ValueError:
            raise errors.ValidationError(
                [errors.FieldViolation("page_token", "malformed page token")]
            ) from None

    def results(self, tenant: str, job_id: str) -> JobResults:
        """Results of a terminal job.

        Raises:
            JobNotFoundError: no such job.
            ResultsNotReadyError: the job is not terminal yet.
        """
        job = self.get(tenant, job_id)
        if job.state not in TERMINAL:
            raise errors.ResultsNotReadyError(
                f"job {job_id} has not finished; its results are available once it has",
                metadata={"job_id": job_id},
            )
        return self._artifacts.results(job)

    def artifacts(self, tenant: str, job_id: str) -> list[ArtifactInfo]:
        """The artifacts a job of the tenant has."""
        return self._artifacts.list(self.get(tenant, job_id))

    def artifact(self, tenant: str, job_id: str, name: str) -> ArtifactBody:
        """One artifact of a job of the tenant, in chunks.

        Raises:
            JobNotFoundError: no such job for this tenant.
            NotFoundError: no such artifact (ARTIFACT_NOT_FOUND).
        """
        return self._artifacts.read(self.get(tenant, job_id), name)

    # --- cancel -----------------------------------------------------------------------------

    def cancel(self, tenant: str, job_id: str, reason: str) -> Job:
        """Cancel a job at any stage; a running execution is abandoned (SPEC §12).

        Raises:
            JobNotFoundError: no such job.
            JobAlreadyTerminalError: the job had finished already.
        """
        job = self.get(tenant, job_id)
        msg = f"cancelled: {reason[:500]}" if reason else "cancelled by user"
        try:
            return self._lifecycle.advance(
                job,
                Step(TaskState.CANCELLED, msg),
                claimed=False,
                error=ErrorRecord("CANCELLED", msg),
            )
        except JobEnded:
            raise errors.JobAlreadyTerminalError(
                f"job {job_id} has already finished", metadata={"job_id": job_id}
            ) from None

    # --- observe ----------------------------------------------------------------------------

    async def watch(
        self, tenant: str, job_id: str, after: int, heartbeat: float | None = None
    ) -> AsyncIterator[Update | Heartbeat]:
        """Persisted events with seq > ``after``, live, ending after the terminal event.

        While the job runs or waits and nothing happens for ``heartbeat`` seconds, yields a
        :class:`Heartbeat` repeating the last seq (with the queue information while it waits).
        Closing the stream never cancels the job.
        """
        job = self.get(tenant, job_id)
        interval = heartbeat or self._heartbeat
        last = after
        with self._bus.subscribe([job_id]) as wake:
            while True:
                wake.clear()
                evs = self._store.events_after(job_id, last)
                info = NOT_WAITING
                if evs:
                    job = self.get(tenant, job_id)
                    info = self.queue_info(job)
                for e in evs:
                    yield Update(e, info if e.seq == job.last_event_seq else NOT_WAITING)
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
                    if job.state in (TaskState.EXECUTING, TaskState.QUEUED):
                        yield Heartbeat(job, last, time.time(), self.queue_info(job))

    async def poll(
        self, tenant: str, job_id: str, after: int, max_events: int, wait: float
    ) -> tuple[list[Event], bool]:
        """Up to ``max_events`` events after ``after``; long-polls up to ``wait`` seconds."""
        self.get(tenant, job_id)
        with self._bus.subscribe([job_id]) as wake:
            evs = self._store.events_after(job_id, after, max_events + 1)
            if not evs and wait > 0:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(wake.wait(), wait)
                evs = self._store.events_after(job_id, after, max_events + 1)
        return evs[:max_events], len(evs) > max_events
