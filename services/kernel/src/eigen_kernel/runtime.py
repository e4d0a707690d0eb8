"""The runtime: where a job's path goes forward, stage by stage, and how it ends.

::

    submit ──▶ accept ──▶ admission task ──▶ dependencies ──▶ scheduler queue ──▶ execution task
                 │        (compile → QUEUED)   (wait, no task)   (entry, no task)   (slot held)
                 └── deadline timer (TIMEOUT)                                        ▼
    any terminal event (done, failed, cancelled, timed out) ──▶ ``_ended``: stop its task, leave
    the queue, free the slot, tell the driver to abandon an execution, release dependants.

The runtime owns the per-job tasks (at most one per job: admission or execution) and the
timers; the stages own their work. Recovery after a restart puts each unfinished job back where
it was: compiling jobs recompile, queued jobs re-enter their queue at their original place
(``queued_at``), jobs caught running are requeued and run again (same seed → same counts).
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import time
from collections.abc import Coroutine
from typing import Any

from eigen_common import errors
from eigen_common.logs import get_logger
from eigen_kernel import metrics
from eigen_kernel.admission import Admission
from eigen_kernel.catalog import DeviceCatalog
from eigen_kernel.dependencies import Dependencies
from eigen_kernel.domain import Job, Step
from eigen_kernel.execution import Execution
from eigen_kernel.lifecycle import JobEnded, Lifecycle
from eigen_kernel.policy import Dispatch, QueuedJob
from eigen_kernel.ports import DriverPort, Feed, JobStore
from eigen_kernel.reservations import Reservations
from eigen_kernel.scheduler import Scheduler
from eigen_kernel.states import TERMINAL, TaskState
from eigen_kernel.timers import Timers

log = get_logger("eigen.kernel.runtime")

_BEFORE_QUEUE = (TaskState.PENDING, TaskState.VALIDATING, TaskState.COMPILING)


class Runtime:
    """Moves jobs through admission, dependencies, the scheduler and execution."""

    def __init__(
        self,
        store: JobStore,
        lifecycle: Lifecycle,
        catalog: DeviceCatalog,
        scheduler: Scheduler,
        dependencies: Dependencies,
        admission: Admission,
        execution: Execution,
        reservations: Reservations,
        driver: DriverPort,
        timers: Timers,
        feed: Feed | None = None,
        lease_seconds: float = 10.0,
    ):
        self.store = store
        self.kernel_id = lifecycle.kernel_id
        self.feed = feed
        self.lease_seconds = lease_seconds
        self._owned: set[str] = set()
        self.lifecycle = lifecycle
        self.catalog = catalog
        self.scheduler = scheduler
        self.dependencies = dependencies
        self.admission = admission
        self.execution = execution
        self.reservations = reservations
        self.driver = driver
        self.timers = timers
        self.tasks: dict[str, asyncio.Task[None]] = {}
        self._background: set[asyncio.Task[Any]] = set()
        lifecycle.on_terminal(self._ended)
        lifecycle.on_terminal(dependencies.ended)
        scheduler.start = self._dispatched
        dependencies.ready = self._ready
        catalog.on_change = scheduler.sync_devices

    # --- entry points -----------------------------------------------------------------------

    def accept(self, job: Job) -> None:
        """A job was just persisted PENDING: arm its deadline, start its admission."""
        self._arm_deadline(job)
        self._spawn(job.job_id, self._admit(job))

    def recover(self) -> int:
        """Take the devices no live kernel leases and resume their unfinished jobs.

        SPEC §7, §14. Starts the background work too (device list, lease renewal, notices).
        Returns how many jobs were resumed.
        """
        self.scheduler.sync_devices(self.catalog.devices)
        devices = {d.device_id for d in self.catalog.devices}
        devices |= {j.device_id for j in self.store.active_jobs()}
        resumed = sum(self._claim(d) for d in sorted(devices) if d)
        if resumed:
            log.info("recovered jobs", count=resumed)
        self.catalog.start()
        self._background_task(self._renew_leases(), "leases")
        if self.feed is not None:
            self._background_task(self.feed.run(self._notice), "feed")
        return resumed

    def own(self, device_id: str) -> bool:
        """True when this kernel leases the device (taking it when no live kernel does)."""
        if device_id not in self._owned:
            self._claim(device_id)
        return device_id in self._owned

    def _claim(self, device_id: str) -> int:
        """Take or renew a device's lease; adopt its jobs when newly taken.

        Returns how many jobs were resumed (or picked up from other kernels' submissions).
        """
        if not self.store.claim_device(device_id, self.kernel_id, self.lease_seconds):
            if device_id in self._owned:
                self._drop(device_id)
            return 0
        if device_id in self._owned:  # renewal: pick up jobs other kernels accepted
            new = self.store.claim_new(device_id, self.kernel_id)
            for job in new:
                self._resume(job)
            return len(new)
        self._owned.add(device_id)
        self.scheduler.ensure_device(device_id)
        self.reservations.adopt(device_id)
        jobs = [
            j for j in self.store.claim_jobs(device_id, self.kernel_id) if not self._live(j.job_id)
        ]
        for job in jobs:
            self._resume(job)
        return len(jobs)

    def _resume(self, job: Job) -> None:
        """Put an unfinished job back where it was (recovery, take-over, pick-up)."""
        self._arm_deadline(job)
        if job.state in _BEFORE_QUEUE:
            self._spawn(job.job_id, self._admit(job))
            return
        if job.state == TaskState.EXECUTING and self.store.execution(job.job_id) is not None:
            self._reattach(job)
            return
        if job.state in (TaskState.ALLOCATING, TaskState.EXECUTING):
            try:
                job = self.lifecycle.advance(
                    job, Step(TaskState.QUEUED, "requeued after kernel restart", 0.3)
                )
            except JobEnded:
                return
        self.dependencies.admit(job)

    def _drop(self, device_id: str) -> None:
        """This kernel lost a device's lease (another kernel took it): stop its local work."""
        log.warning("device lease lost; stopping its jobs here", device=device_id)
        self._owned.discard(device_id)
        for job in self.store.active_jobs(device_id):
            self.timers.cancel(f"job:{job.job_id}")
            self.scheduler.remove(job.job_id)
            task = self.tasks.get(job.job_id)
            if task is not None and not task.done():
                task.cancel()

    async def _renew_leases(self) -> None:
        while True:
            await asyncio.sleep(self.lease_seconds / 3)
            known = {d.device_id for d in self.catalog.devices} | self._owned
            for device_id in sorted(known):
                self._claim(device_id)

    def _notice(self, kind: str, key: str, origin: str) -> None:
        """A notice from the shared store (another kernel's event, job or reservation)."""
        if kind == "event":
            self.lifecycle.bus.publish(key)
            if origin != self.kernel_id:
                job = self.store.get_job(key)
                if job is not None and job.state in TERMINAL:
                    self.lifecycle.ended_elsewhere(job)
        elif kind == "job" and key in self._owned:
            self._claim(key)
        elif kind == "reservation" and key in self._owned:
            self.reservations.adopt(key)

    def _live(self, job_id: str) -> bool:
        """True when this runtime already works on the job (recovery must leave it alone).

        A task, a queue entry, a slot, or dependencies it waits for.
        """
        policy = self.scheduler.policy
        task = self.tasks.get(job_id)
        return (
            (task is not None and not task.done())
            or policy.queued(job_id) is not None
            or policy.is_running(job_id)
            or self.dependencies.pending(job_id) > 0
        )

    def crash(self) -> None:
        """Stop every task at once without releasing leases (tests: a kernel that died)."""
        self.timers.close()
        for t in [*self.tasks.values(), *self._background]:
            t.cancel()
        self._owned.clear()

    async def shutdown(self) -> None:
        """Stop every task without changing job states.

        They resume on the next start, or on another kernel, which may take the devices at
        once: their leases are released.
        """
        await self.catalog.stop()
        self.timers.close()
        tasks = [*self.tasks.values(), *self._background]
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self.tasks.clear()
        self._background.clear()
        for device_id in sorted(self._owned):
            self.store.release_device(device_id, self.kernel_id)
        self._owned.clear()

    # --- stages -----------------------------------------------------------------------------

    async def _admit(self, job: Job) -> None:
        pending = [
            d
            for d in job.submission.dependencies
            if (dj := self.store.get_job(d)) is None or dj.state != TaskState.COMPLETED
        ]
        waits = (
            f"waiting for {len(pending)} dependenc{'y' if len(pending) == 1 else 'ies'}"
            if pending
            else f"queued for {job.device_id}"
        )
        job = await self.admission.run(job, waits, queued_at=None if pending else time.time())
        self.dependencies.admit(job)

    def _ready(self, job: Job) -> None:
        """Dependencies done (or none): the job enters its device's queue."""
        queued_at = job.queued_at
        if queued_at is None:
            if job.submission.dependencies:
                queued_at = time.time()
                try:
                    job = self.lifecycle.advance(
                        job,
                        Step(TaskState.QUEUED, f"dependencies done; queued for {job.device_id}"),
                        queued_at=queued_at,
                    )
                except JobEnded:
                    return
            else:
                queued_at = job.updated_at  # a row of the first kernel: when it was queued
        try:
            self.scheduler.enqueue(
                QueuedJob(
                    job.job_id,
                    job.tenant,
                    job.device_id,
                    job.submission.priority,
                    queued_at,
                    job.submission.reservation_id,
                    self.execution.batchable(job),
                )
            )
        except ValueError as exc:  # its reservation ended while it was compiling
            self.lifecycle.fail(job.job_id, TaskState.FAILED, "RESERVATION_EXPIRED", str(exc))

    def _reattach(self, job: Job) -> None:
        """A job that runs as a vendor job keeps its slot and waits for it (no resubmission)."""
        self.scheduler.ensure_device(job.device_id)
        d = self.scheduler.policy.occupy(
            QueuedJob(
                job.job_id,
                job.tenant,
                job.device_id,
                job.submission.priority,
                job.queued_at or job.updated_at,
                job.submission.reservation_id,
            ),
            time.time(),
        )
        log.info("re-attaching to a vendor execution", job_id=job.job_id)
        self._spawn(job.job_id, self._execute(d, resume=True))

    def _dispatched(self, d: Dispatch) -> None:
        self._spawn(d.job_id, self._execute(d))

    async def _execute(self, d: Dispatch, resume: bool = False) -> None:
        try:
            job = self.store.get_job(d.job_id)
            if job is None or job.state in TERMINAL:
                return
            await self.execution.run(job, d.reservation_id, resume)
        finally:
            self.scheduler.finish(d.job_id)

    # --- tasks and endings --------------------------------------------------------------------

    def _spawn(self, job_id: str, coro: Coroutine[Any, Any, None]) -> None:
        live = self.tasks.get(job_id)
        if live is not None and not live.done() and live is not asyncio.current_task():
            coro.close()  # one task per job, even if recovery races a new submission
            return
        task = asyncio.get_running_loop().create_task(self._guard(job_id, coro), name=job_id)
        self.tasks[job_id] = task
        task.add_done_callback(lambda t: self._task_done(job_id, t, coro))
        metrics.ACTIVE_JOBS.set(len(self.tasks))

    def _task_done(
        self, job_id: str, task: asyncio.Task[None], coro: Coroutine[Any, Any, None]
    ) -> None:
        coro.close()  # a task cancelled before it first ran never started its stage
        if self.tasks.get(job_id) is task:
            del self.tasks[job_id]
        metrics.ACTIVE_JOBS.set(len(self.tasks))

    async def _guard(self, job_id: str, coro: Coroutine[Any, Any, None]) -> None:
        """Run a stage; any failure ends the job (its error record says why).

        When even the failure cannot be recorded (the store is full), the job stays as it is
        and resumes on the next start; the fault is logged.
        """
        try:
            await self._stage(job_id, coro)
        except errors.StorageFullError as exc:
            log.error("job store full: the job's failure could not be recorded", job_id=job_id,
                      error=exc.message)  # fmt: skip

    async def _stage(self, job_id: str, coro: Coroutine[Any, Any, None]) -> None:
        try:
            await coro
        except JobEnded:
            pass
        except asyncio.CancelledError:
            raise
        except errors.CompilationFailedError as exc:
            diags = [d.__dict__ for d in exc.diagnostics]
            self.lifecycle.fail(job_id, TaskState.FAILED, "COMPILATION_FAILED", exc.message, diags)
        except errors.EigenError as exc:
            self.lifecycle.fail(job_id, TaskState.FAILED, exc.reason, exc.message)
        except OSError as exc:
            code = "STORAGE_FULL" if exc.errno == errno.ENOSPC else "STORAGE_ERROR"
            log.error("storage fault", job_id=job_id, error=str(exc))
            self.lifecycle.fail(
                job_id, TaskState.FAILED, code, "the kernel could not store the job's artifacts"
            )
        except Exception as exc:
            err = errors.InternalError.with_correlation()
            log.error("pipeline fault", job_id=job_id, exc_info=exc, **err.metadata)
            self.lifecycle.fail(job_id, TaskState.FAILED, "INTERNAL", err.message)

    def _arm_deadline(self, job: Job) -> None:
        if job.deadline is None:
            return
        limit = job.submission.timeout_seconds

        def expire() -> None:
            self.lifecycle.fail(
                job.job_id, TaskState.TIMEOUT, "TIMEOUT", f"job exceeded its timeout ({limit} s)"
            )

        self.timers.at(f"job:{job.job_id}", job.deadline, expire)

    def _ended(self, job: Job) -> None:
        """Terminal hook: whatever the job held or waited for is released."""
        self.timers.cancel(f"job:{job.job_id}")
        was_running = self.scheduler.policy.is_running(job.job_id)
        self.scheduler.remove(job.job_id)
        task = self.tasks.get(job.job_id)
        if task is not None and task is not asyncio.current_task() and not task.done():
            task.cancel()
        if was_running and job.state != TaskState.COMPLETED:
            vendor = self.store.execution(job.job_id)
            self._background_call(
                self.driver.cancel(job.job_id, job.device_id, vendor.execution_id if vendor else "")
            )

    def _background_task(self, coro: Coroutine[Any, Any, Any], name: str) -> None:
        task = asyncio.get_running_loop().create_task(coro, name=name)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    def _background_call(self, coro: Coroutine[Any, Any, Any]) -> None:
        async def quiet() -> None:
            with contextlib.suppress(errors.EigenError):
                await coro

        task = asyncio.get_running_loop().create_task(quiet())
        self._background.add(task)
        task.add_done_callback(self._background.discard)
