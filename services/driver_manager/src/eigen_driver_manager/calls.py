"""Blocking driver calls off the event loop.

Pools, metrics, error logs, queue accounting and cancellation: the driver-manager's plumbing
(:mod:`.manager` holds the RPC operations).
"""

from __future__ import annotations

import asyncio
import contextvars
import math
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import replace
from typing import TypeVar

from eigen_common.errors import EigenError
from eigen_common.logs import get_logger
from eigen_driver_manager import metrics
from eigen_driver_manager.base import BaseDriver, DeviceInfo
from eigen_driver_manager.execution import ExecutionCancelledError, for_job
from eigen_driver_manager.tracking import ExecutionTracker

log = get_logger("eigen.driver_manager")

T = TypeVar("T")

#: Smoothing factor of the per-device execution-time average behind ``estimated_wait_sec``.
_EWMA_ALPHA = 0.2
#: Threads that submit to and wait on vendor jobs (StartExecution / AwaitExecution).
VENDOR_THREADS = 16


class DriverCalls:
    """Runs blocking driver methods in bounded thread pools, never on the event loop.

    Every call runs with the caller's context variables (so logs keep ``trace_id``/``job_id``,
    and drivers see :func:`~eigen_driver_manager.execution.current_job`). Executions use the
    ``max_workers`` pool and are counted per device (added to the queue depth a driver
    reports); status, listing and calibration use a small control pool; vendor submissions
    and waits their own pool, so that neither queues behind long simulations.

    Args:
        max_workers: size of the execution pool.
    """

    def __init__(self, max_workers: int):
        self._max_workers = max_workers
        self._executor = ThreadPoolExecutor(max_workers, thread_name_prefix="eigen-driver")
        self._control = ThreadPoolExecutor(2, thread_name_prefix="eigen-driver-ctl")
        self._vendor = ThreadPoolExecutor(VENDOR_THREADS, thread_name_prefix="eigen-driver-vnd")
        self._lock = threading.Lock()  # guards the two dicts below (updated from workers)
        self._in_flight: dict[str, int] = {}
        self._avg_sec: dict[str, float] = {}
        self.tracker = ExecutionTracker()

    def close(self) -> None:
        """Stop accepting work and drop queued calls."""
        for pool in (self._executor, self._control, self._vendor):
            pool.shutdown(wait=False, cancel_futures=True)

    async def tracked(
        self,
        job_id: str,
        driver: BaseDriver,
        device_id: str,
        fn: Callable[[], T],
        precheck: Callable[[], None],
    ) -> T:
        """Run an execution that CancelExecution can abandon (see :mod:`.tracking`).

        Raises:
            ExecutionCancelledError: the job was cancelled before or while it ran.
        """
        if self.tracker.is_cancelled(job_id):
            raise ExecutionCancelledError(f"job {job_id!r} was cancelled")
        entry = self.tracker.add(job_id)
        call: asyncio.Future[T] = asyncio.ensure_future(
            self.call(
                driver,
                device_id,
                job_id,
                fn,
                precheck=precheck,
                track_queue=True,
                on_submit=entry.attach,
            )
        )
        stop: asyncio.Future[object] = asyncio.ensure_future(entry.cancelled.wait())
        waiting: set[asyncio.Future[object]] = {call, stop}  # type: ignore[arg-type]
        try:
            await asyncio.wait(waiting, return_when=asyncio.FIRST_COMPLETED)
        finally:
            stop.cancel()
            self.tracker.remove(entry)
            if not call.done():
                call.cancel()  # our caller went away, or the job was cancelled
        if entry.cancelled.is_set():
            if call.done() and not call.cancelled():
                call.exception()  # retrieved: a late failure is dropped with the job
            log.info("execution abandoned (job cancelled)", job_id=job_id, device_id=device_id)
            raise ExecutionCancelledError(f"job {job_id!r} was cancelled")
        return call.result()

    async def run(self, fn: Callable[[], T], *, control: bool = False) -> T:
        """Run ``fn`` in the worker pool (``control``: the small control pool)."""
        ctx = contextvars.copy_context()
        pool = self._control if control else self._executor
        return await asyncio.get_running_loop().run_in_executor(pool, ctx.run, fn)

    async def offload(self, fn: Callable[[], T]) -> T:
        """Run CPU work (e.g. request validation) in the worker pool."""
        return await self.run(fn)

    async def call(
        self,
        driver: BaseDriver,
        device_id: str,
        job_id: str,
        fn: Callable[..., T],
        *args: object,
        precheck: Callable[[], None] | None = None,
        track_queue: bool = False,
        weight: int = 1,
        vendor: bool = False,
        compute: bool = False,
        on_submit: Callable[[Future[T]], None] | None = None,
    ) -> T:
        """Run ``fn(*args)`` in a pool with metrics, error logs and (executions) queue accounting.

        Executions (``track_queue``, counting ``weight`` executions) and other CPU work
        (``compute``: a transpilation, not counted in the queue) use the ``max_workers`` pool,
        vendor submissions and waits (``vendor``) their own pool, other calls the control
        pool. ``on_submit`` receives the pool future (for cancellation).

        Queue accounting follows the worker, not the awaiting coroutine: a call whose client went
        away keeps counting until the driver returns, because the thread cannot be interrupted.
        """
        name = driver.name
        t0 = time.perf_counter()
        code = "OK"

        def work() -> T:
            started = time.perf_counter()
            metrics.QUEUE_WAIT.labels(name).observe(started - t0)
            with for_job(job_id):
                out = fn(*args)
            if track_queue:
                self._record_duration(device_id, (time.perf_counter() - started) / weight)
            return out

        def done(_: Future[T]) -> None:
            metrics.IN_FLIGHT.labels(name).dec()
            if track_queue:
                with self._lock:
                    self._in_flight[device_id] -= weight

        try:
            if precheck is not None:
                precheck()  # cheap checks fail fast, before taking a worker
            pool = self._executor if track_queue or compute else self._control
            chosen = self._vendor if vendor else pool
            future = chosen.submit(contextvars.copy_context().run, work)
            metrics.IN_FLIGHT.labels(name).inc()
            if track_queue:
                with self._lock:
                    self._in_flight[device_id] = self._in_flight.get(device_id, 0) + weight
            future.add_done_callback(done)
            if on_submit is not None:
                on_submit(future)
            return await asyncio.wrap_future(future)
        except asyncio.CancelledError:
            code = "CANCELLED"
            raise
        except EigenError as exc:
            code = exc.code.name
            metrics.ERRORS.labels(name, exc.reason).inc()
            log.warning(
                "driver call failed",
                driver_name=name,
                device_id=device_id,
                job_id=job_id,
                reason=exc.reason,
                error=exc.message,
            )
            raise
        except Exception:
            code = "INTERNAL"
            metrics.ERRORS.labels(name, "INTERNAL").inc()
            raise
        finally:
            metrics.REQUESTS.labels(name, device_id, code).inc()
            metrics.REQUEST_DURATION.labels(name).observe(time.perf_counter() - t0)

    def _record_duration(self, device_id: str, seconds: float) -> None:
        with self._lock:
            prev = self._avg_sec.get(device_id)
            self._avg_sec[device_id] = (
                seconds if prev is None else prev + _EWMA_ALPHA * (seconds - prev)
            )

    def queue(self, device_id: str, depth: int, wait: int) -> tuple[int, int]:
        """``(depth, wait)`` a driver reported plus this process's in-flight work."""
        with self._lock:
            mine = self._in_flight.get(device_id, 0)
            est = self._avg_sec.get(device_id, 0.0) * mine / self._max_workers
        return depth + mine, wait + math.ceil(est)

    def with_queue(self, info: DeviceInfo, depth: int, wait: int) -> DeviceInfo:
        """``info`` with :meth:`queue` applied to its queue depth and wait."""
        d, w = self.queue(info.device_id, depth, wait)
        return replace(info, queue_depth=d, estimated_wait_sec=w)
