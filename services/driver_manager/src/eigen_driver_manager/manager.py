"""The driver-manager's domain service (imports neither gRPC nor generated protobuf code).

Request validation (:mod:`.validation`), dispatch to drivers off the event loop, cancellation
(:mod:`.tracking`), queue accounting, metrics and logs.
"""

from __future__ import annotations

import asyncio
import contextvars
import math
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import replace
from typing import TypeVar

import structlog

from eigen_common.errors import (
    EigenError,
    FailedPreconditionError,
    FieldViolation,
    InternalError,
    InvalidArgumentError,
    UnavailableError,
    ValidationError,
)
from eigen_common.logs import get_logger
from eigen_driver_manager import metrics
from eigen_driver_manager.base import (
    BaseDriver,
    CalibrationResult,
    DeviceInfo,
    DeviceStatus,
    DeviceStatusReport,
    EstimateOutcome,
    ExecutionItem,
    ExecutionProgress,
    ExecutionResult,
    SaveState,
    StartedExecution,
    check_width,
)
from eigen_driver_manager.execution import ExecutionCancelledError, for_job
from eigen_driver_manager.registry import DriverRegistry
from eigen_driver_manager.requests import (
    MAX_BATCH_ITEMS,
    MAX_BINDINGS,
    MAX_TERMS,
    MAX_WAIT_SECONDS,
    EstimationRequest,
    ExecutionRequest,
    PayloadFormat,
)
from eigen_driver_manager.tracking import ExecutionTracker
from eigen_driver_manager.validation import (
    RequestValidator,
    check_outcome,
    check_result,
    check_sweep,
    require_device_id,
)
from eigen_ir.aqo import Circuit

__all__ = [
    "MAX_BATCH_ITEMS",
    "MAX_BINDINGS",
    "MAX_TERMS",
    "DriverManager",
    "EstimationRequest",
    "ExecutionRequest",
    "PayloadFormat",
]

log = get_logger("eigen.driver_manager")

T = TypeVar("T")

#: Smoothing factor of the per-device execution-time average behind ``estimated_wait_sec``.
_EWMA_ALPHA = 0.2
#: Threads that submit to and wait on vendor jobs (StartExecution / AwaitExecution).
VENDOR_THREADS = 16
#: Default size limit of a saved state, in bytes.
DEFAULT_MAX_STATE_BYTES = 8 * 1024 * 1024


class DriverManager:
    """Runs driver calls for the servicer.

    Every blocking driver method runs in a bounded thread pool (``max_workers``) with the caller's
    context variables (so logs keep ``trace_id``/``job_id``); the event loop never blocks. The
    manager counts accepted-but-unfinished calls per device and adds them to the queue depth a
    driver reports. Status, listing and calibration use a small control pool; vendor submissions
    and waits their own pool, so that neither queues behind long simulations.

    Args:
        registry: the initialised drivers.
        max_workers: size of the worker thread pool.
        max_shots: upper bound for ``shots``.
        max_state_bytes: largest saved state (``save_state``) returned, in bytes.
    """

    def __init__(
        self,
        registry: DriverRegistry,
        *,
        max_workers: int = 4,
        max_shots: int = 10**7,
        max_state_bytes: int = DEFAULT_MAX_STATE_BYTES,
    ):
        self._registry = registry
        self._max_workers = max_workers
        self._max_state_bytes = max_state_bytes
        self._executor = ThreadPoolExecutor(max_workers, thread_name_prefix="eigen-driver")
        self._control = ThreadPoolExecutor(2, thread_name_prefix="eigen-driver-ctl")
        self._vendor = ThreadPoolExecutor(VENDOR_THREADS, thread_name_prefix="eigen-driver-vnd")
        self._lock = threading.Lock()  # guards the two dicts below (updated from workers)
        self._in_flight: dict[str, int] = {}
        self._avg_sec: dict[str, float] = {}
        self._tracker = ExecutionTracker()
        self._validator = RequestValidator(max_shots, self._offload)

    @property
    def registry(self) -> DriverRegistry:
        """The driver registry."""
        return self._registry

    def close(self) -> None:
        """Stop accepting work, drop queued calls and close the drivers."""
        for pool in (self._executor, self._control, self._vendor):
            pool.shutdown(wait=False, cancel_futures=True)
        self._registry.close()

    # --- RPC-level operations -----------------------------------------------------------

    async def list_devices(self) -> list[DeviceInfo]:
        """Return every device with fresh status and the manager's queue on top.

        A driver whose ``get_devices`` fails does not fail the listing: its devices are shown
        OFFLINE (backend unavailable) or ERROR (anything else) and the failure is logged.
        """
        out: list[DeviceInfo] = []
        for name, driver in self._registry.drivers.items():
            indexed = {d.device_id: d for d in self._registry.devices.values() if d.driver == name}
            try:
                fresh = await self._run(driver.get_devices, control=True)
            except Exception as exc:
                status = (
                    DeviceStatus.OFFLINE
                    if isinstance(exc, UnavailableError)
                    else DeviceStatus.ERROR
                )
                log.warning("get_devices failed", driver_name=name, error=str(exc))
                fresh = [replace(d, status=status) for d in indexed.values()]
            for info in self._registry.offered(driver, fresh):
                if info.device_id not in indexed:
                    log.warning(
                        "driver reports an unindexed device",
                        driver_name=name,
                        device_id=info.device_id,
                    )
                    continue
                stamped = self._registry.stamp(driver, info)
                out.append(
                    self._with_queue(stamped, stamped.queue_depth, stamped.estimated_wait_sec)
                )
        return sorted(out, key=lambda d: d.device_id)

    async def device_status(self, device_id: str) -> DeviceStatusReport:
        """Return one device's status with the manager's queue on top.

        Raises:
            ValidationError: empty ``device_id``.
            DeviceNotFoundError: unknown device.
            BackendUnavailableError: the driver cannot reach its backend.
        """
        require_device_id(device_id)
        driver, _ = self._registry.device(device_id)
        report = await self._call(driver, device_id, "", driver.get_device_status, device_id)
        depth, wait = self._queue(device_id, report.queue_depth, report.estimated_wait_sec)
        return replace(report, queue_depth=depth, estimated_wait_sec=wait)

    async def calibrate(self, device_id: str) -> CalibrationResult:
        """Calibrate a device.

        Raises:
            ValidationError: empty ``device_id``.
            DeviceNotFoundError: unknown device.
            UnimplementedError: the driver or device has no calibration.
        """
        require_device_id(device_id)
        driver, _ = self._registry.device(device_id)
        return await self._call(driver, device_id, "", driver.calibrate_device, device_id)

    async def execute(self, req: ExecutionRequest) -> ExecutionResult:
        """Validate ``req``, run it on its device and check the driver's result.

        A sweep (``req.bindings``) goes to ``execute_sweep``, a saved state to
        ``execute_with_state``, anything else to ``execute_circuit``.

        Returns:
            Counts keyed by bitstrings of width ``clbits`` (clbit 0 rightmost) summing to
            ``shots`` (``{}`` for a circuit without clbits); for a sweep, one such mapping per
            binding in ``sweep_counts``; the state in ``saved_state`` when asked.

        Raises:
            ValidationError: every request-field problem at once (``device_id``, ``shots``,
                ``payload.*``, ``parameter_values.<name>``, ``bindings[i]...``, ``save_state``).
            UnimplementedError: payload format other than AQO JSON.
            DeviceNotFoundError: unknown device.
            InvalidOptionError: option outside the device's allowlist.
            InvalidArgumentError: ``UNBOUND_PARAMETERS``, ``SAVE_STATE_UNSUPPORTED``, ...
            FailedPreconditionError: ``CIRCUIT_TOO_LARGE``, ``DEVICE_OFFLINE``.
            ResourceExhaustedError: ``STATE_TOO_LARGE``.
            ExecutionCancelledError: the job was cancelled (CANCELLED).
            BackendUnavailableError: from the driver.
        """
        circuit = await self._validator.execution(req)
        driver, info = self._registry.device(req.device_id)
        with structlog.contextvars.bound_contextvars(
            job_id=req.job_id, device_id=req.device_id, driver_name=driver.name
        ):
            run = self._runner(driver, req, circuit)

            def precheck() -> None:
                driver.parse_options(req.device_id, req.options)
                check_width(circuit, info)

            result = await self._tracked(req.job_id, driver, req.device_id, run, precheck)
            if req.bindings:
                check_sweep(driver, circuit, req.shots, len(req.bindings), result)
            else:
                check_result(driver, circuit, req.shots, result)
            log.info(
                "circuit executed",
                shots=req.shots,
                qubits=circuit.qubits,
                operations=len(circuit.operations),
                sweep_rows=len(req.bindings),
                save_state=req.save_state,
                execution_time_sec=round(result.execution_time_sec, 6),
                outcomes=len(result.counts),
            )
            return result

    def _runner(
        self, driver: BaseDriver, req: ExecutionRequest, circuit: Circuit
    ) -> Callable[[], ExecutionResult]:
        """The blocking driver call that serves ``req``."""
        if req.bindings:
            return lambda: driver.execute_sweep(
                req.device_id, circuit, req.shots, req.options, req.bindings, seed=req.seed
            )
        if req.save_state:
            return lambda: driver.execute_with_state(
                req.device_id,
                circuit,
                req.shots,
                req.options,
                save_state=SaveState(req.save_state),
                max_state_bytes=self._max_state_bytes,
                seed=req.seed,
                parameter_values=req.parameter_values,
            )
        return lambda: driver.execute_circuit(
            req.device_id,
            circuit,
            req.shots,
            req.options,
            seed=req.seed,
            parameter_values=req.parameter_values,
        )

    async def execute_batch(
        self, reqs: Sequence[ExecutionRequest]
    ) -> list[ExecutionResult | EigenError]:
        """Run several executions of one device in one driver call; each ends on its own.

        Returns:
            One result or typed error per request, in order: an item's own validation error,
            option or width problem, cancellation or driver failure fails that item only.

        Raises:
            ValidationError: no items, more than :data:`MAX_BATCH_ITEMS`, or items naming
                different devices (the whole call).
            DeviceNotFoundError: unknown device.
        """
        _check_batch_shape(reqs)
        device_id = reqs[0].device_id
        driver, info = self._registry.device(device_id)
        outcomes: list[ExecutionResult | EigenError | None] = [None] * len(reqs)
        items: list[tuple[int, ExecutionItem]] = []
        for i, req in enumerate(reqs):
            try:
                circuit = await self._validator.execution(req)
                if req.bindings or req.save_state:
                    raise InvalidArgumentError(
                        "sweeps and saved states are not batched; send them with ExecuteCircuit",
                        reason="NOT_BATCHABLE",
                    )
                if self._tracker.is_cancelled(req.job_id):
                    raise ExecutionCancelledError(f"job {req.job_id!r} was cancelled")
                driver.parse_options(device_id, req.options)
                check_width(circuit, info)
            except EigenError as exc:
                outcomes[i] = exc
                continue
            items.append((i, _item(req, circuit)))
        if items:
            batch = [item for _, item in items]
            results = await self._call(
                driver,
                device_id,
                "",
                lambda: driver.execute_batch(batch),
                track_queue=True,
                weight=len(batch),
            )
            if len(results) != len(batch):
                raise RuntimeError(f"driver {driver.name!r} broke the batch contract")
            for (i, item), res in zip(items, results, strict=True):
                outcomes[i] = self._batch_outcome(driver, item, res)
        log.info(
            "batch executed",
            device_id=device_id,
            items=len(reqs),
            failed=sum(1 for o in outcomes if isinstance(o, EigenError)),
        )
        return [
            o if o is not None else InternalError("batch item without outcome") for o in outcomes
        ]

    def _batch_outcome(
        self, driver: BaseDriver, item: ExecutionItem, res: ExecutionResult | EigenError
    ) -> ExecutionResult | EigenError:
        if self._tracker.is_cancelled(item.job_id):
            return ExecutionCancelledError(f"job {item.job_id!r} was cancelled")
        if isinstance(res, EigenError):
            metrics.ERRORS.labels(driver.name, res.reason).inc()
            return res
        try:
            check_result(driver, item.circuit, item.shots, res)
        except RuntimeError as exc:
            err = InternalError.with_correlation()
            log.error(
                "batch item broke the result contract",
                job_id=item.job_id,
                error=str(exc),
                correlation_id=err.metadata["correlation_id"],
            )
            return err
        return res

    async def cancel(self, job_id: str, device_id: str, execution_id: str) -> bool:
        """Abandon a job's execution; idempotent.

        Executions of ``job_id`` in this process end at once with CANCELLED (a late result is
        dropped), queued work is not started, and the driver is told to stop the work it
        knows (a vendor job).

        Returns:
            True when an execution was found (now or at an earlier cancel) or the driver
            stopped one.

        Raises:
            ValidationError: empty ``device_id``, or neither ``job_id`` nor ``execution_id``.
            DeviceNotFoundError: unknown device.
        """
        violations = []
        if not device_id:
            violations.append(FieldViolation("device_id", "must not be empty"))
        if not job_id and not execution_id:
            violations.append(FieldViolation("job_id", "job_id or execution_id must be set"))
        if violations:
            raise ValidationError(violations)
        driver, _ = self._registry.device(device_id)
        found = self._tracker.cancel(job_id)
        told = await self._call(
            driver,
            device_id,
            job_id,
            driver.cancel_execution,
            device_id,
            job_id,
            execution_id,
            pool=self._vendor,
        )
        log.info("execution cancelled", job_id=job_id, device_id=device_id, found=found, told=told)
        return found or bool(told)

    async def start(self, req: ExecutionRequest) -> StartedExecution:
        """Submit ``req`` to an asynchronous device; return its execution id at once.

        Raises:
            ValidationError, DeviceNotFoundError, InvalidOptionError: as :meth:`execute`.
            FailedPreconditionError: reason ``DEVICE_NOT_ASYNCHRONOUS`` (use ExecuteCircuit),
                ``CIRCUIT_TOO_LARGE``, ``DEVICE_OFFLINE``, ``DEVICE_AUTH_FAILED``.
            InvalidArgumentError: a sweep or saved state (not offered asynchronously).
            BackendUnavailableError: the vendor cannot be reached (retryable).
        """
        circuit = await self._validator.execution(req)
        driver, info = self._registry.device(req.device_id)
        if not info.asynchronous:
            raise FailedPreconditionError(
                f"device {req.device_id!r} is not asynchronous; use ExecuteCircuit",
                reason="DEVICE_NOT_ASYNCHRONOUS",
                metadata={"subject": req.device_id},
            )
        if req.bindings or req.save_state:
            raise InvalidArgumentError(
                "sweeps and saved states are not offered on asynchronous devices",
                reason="NOT_ASYNCHRONOUS",
            )
        if self._tracker.is_cancelled(req.job_id):
            raise ExecutionCancelledError(f"job {req.job_id!r} was cancelled")

        def precheck() -> None:
            driver.parse_options(req.device_id, req.options)
            check_width(circuit, info)

        with structlog.contextvars.bound_contextvars(job_id=req.job_id, device_id=req.device_id):
            started = await self._call(
                driver,
                req.device_id,
                req.job_id,
                driver.start_execution,
                _item(req, circuit),
                precheck=precheck,
                pool=self._vendor,
            )
            log.info(
                "execution started",
                execution_id=started.execution_id,
                vendor_job_id=started.vendor_job_id,
            )
            return started

    async def await_execution(
        self, device_id: str, execution_id: str, wait_seconds: float, job_id: str = ""
    ) -> ExecutionProgress:
        """Wait up to ``wait_seconds`` for an execution started by :meth:`start`.

        Raises:
            ValidationError: empty ids, ``wait_seconds`` outside 0..:data:`MAX_WAIT_SECONDS`.
            DeviceNotFoundError: unknown device.
            NotFoundError: unknown execution (from the driver).
            ExecutionCancelledError: the execution was cancelled.
            BackendUnavailableError: the vendor cannot be reached (retryable).
        """
        violations = []
        if not device_id:
            violations.append(FieldViolation("device_id", "must not be empty"))
        if not execution_id:
            violations.append(FieldViolation("execution_id", "must not be empty"))
        if not (math.isfinite(wait_seconds) and 0 <= wait_seconds <= MAX_WAIT_SECONDS):
            violations.append(FieldViolation("wait_seconds", f"must be in 0..{MAX_WAIT_SECONDS:g}"))
        if violations:
            raise ValidationError(violations)
        driver, _ = self._registry.device(device_id)
        with structlog.contextvars.bound_contextvars(job_id=job_id, device_id=device_id):
            progress = await self._call(
                driver,
                device_id,
                job_id,
                driver.await_execution,
                device_id,
                execution_id,
                wait_seconds,
                pool=self._vendor,
            )
        if progress.done and progress.result is None:
            raise RuntimeError(f"driver {driver.name!r} reported done without a result")
        return progress

    async def estimate(self, req: EstimationRequest) -> EstimateOutcome:
        """Validate ``req`` and return one expectation value per binding from its device.

        Exact when ``req.shots`` is None (devices that can compute it), else sampled with
        ``shots`` per measurement group.

        Returns:
            ``len(req.bindings)`` values and standard errors (0.0 when exact), in order.

        Raises:
            ValidationError: every request-field problem at once (``device_id``, ``shots``,
                ``seed``, ``payload.*`` incl. AQO violations and a measuring circuit,
                ``observable``, ``observable[i].label|coefficient``, ``bindings``,
                ``bindings[i].values[.<name>]``).
            UnimplementedError: payload format other than AQO JSON.
            DeviceNotFoundError: unknown device.
            InvalidOptionError: option outside the device's allowlist.
            InvalidArgumentError: ``CIRCUIT_TOO_LARGE``, ``UNSUPPORTED_INSTRUCTION``, ...
            FailedPreconditionError: reason ``EXACT_EXPECTATION_UNSUPPORTED`` (exact values
                from a device that can only sample); ``DEVICE_OFFLINE``.
            BackendUnavailableError: from the driver.
        """
        circuit = await self._validator.estimation(req)
        driver, info = self._registry.device(req.device_id)
        mode = "exact" if req.shots is None else "sampled"
        with structlog.contextvars.bound_contextvars(
            job_id=req.job_id, device_id=req.device_id, driver_name=driver.name
        ):

            def run() -> EstimateOutcome:
                return driver.estimate_expectation_values(
                    req.device_id,
                    circuit,
                    req.observable,
                    req.bindings,
                    req.shots,
                    req.options,
                    seed=req.seed,
                )

            def precheck() -> None:
                driver.parse_options(req.device_id, req.options)
                check_width(circuit, info)

            t0 = time.perf_counter()
            code = "OK"
            try:
                outcome = await self._tracked(req.job_id, driver, req.device_id, run, precheck)
                check_outcome(driver, len(req.bindings), outcome)
            except EigenError as exc:
                code = exc.code.name
                raise
            except asyncio.CancelledError:
                code = "CANCELLED"
                raise
            except Exception:
                code = "INTERNAL"
                raise
            finally:
                metrics.ESTIMATES.labels(driver.name, req.device_id, mode, code).inc()
                metrics.ESTIMATE_DURATION.labels(driver.name, mode).observe(
                    time.perf_counter() - t0
                )
            log.info(
                "expectation values estimated",
                mode=mode,
                shots=req.shots,
                qubits=circuit.qubits,
                terms=len(req.observable),
                bindings=len(req.bindings),
                execution_time_sec=round(outcome.execution_time_sec, 6),
            )
            return outcome

    # --- helpers ------------------------------------------------------------------------

    async def _tracked(
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
        if self._tracker.is_cancelled(job_id):
            raise ExecutionCancelledError(f"job {job_id!r} was cancelled")
        entry = self._tracker.add(job_id)
        call: asyncio.Future[T] = asyncio.ensure_future(
            self._call(
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
            self._tracker.remove(entry)
            if not call.done():
                call.cancel()  # our caller went away, or the job was cancelled
        if entry.cancelled.is_set():
            if call.done() and not call.cancelled():
                call.exception()  # retrieved: a late failure is dropped with the job
            log.info("execution abandoned (job cancelled)", job_id=job_id, device_id=device_id)
            raise ExecutionCancelledError(f"job {job_id!r} was cancelled")
        return call.result()

    async def _run(self, fn: Callable[[], T], *, control: bool = False) -> T:
        ctx = contextvars.copy_context()
        pool = self._control if control else self._executor
        return await asyncio.get_running_loop().run_in_executor(pool, ctx.run, fn)

    async def _offload(self, fn: Callable[[], T]) -> T:
        return await self._run(fn)

    async def _call(
        self,
        driver: BaseDriver,
        device_id: str,
        job_id: str,
        fn: Callable[..., T],
        *args: object,
        precheck: Callable[[], None] | None = None,
        track_queue: bool = False,
        weight: int = 1,
        pool: ThreadPoolExecutor | None = None,
        on_submit: Callable[[Future[T]], None] | None = None,
    ) -> T:
        """Run ``fn(*args)`` in a pool with metrics, error logs and (executions) queue accounting.

        Executions (``track_queue``, counting ``weight`` executions) use the ``max_workers``
        pool, other calls the control pool unless ``pool`` is given. ``on_submit`` receives the
        pool future (for cancellation).

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
            chosen = pool or (self._executor if track_queue else self._control)
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

    def _queue(self, device_id: str, depth: int, wait: int) -> tuple[int, int]:
        with self._lock:
            mine = self._in_flight.get(device_id, 0)
            est = self._avg_sec.get(device_id, 0.0) * mine / self._max_workers
        return depth + mine, wait + math.ceil(est)

    def _with_queue(self, info: DeviceInfo, depth: int, wait: int) -> DeviceInfo:
        d, w = self._queue(info.device_id, depth, wait)
        return replace(info, queue_depth=d, estimated_wait_sec=w)


def _item(req: ExecutionRequest, circuit: Circuit) -> ExecutionItem:
    return ExecutionItem(
        job_id=req.job_id,
        device_id=req.device_id,
        circuit=circuit,
        shots=req.shots,
        options=dict(req.options),
        seed=req.seed,
        parameter_values=dict(req.parameter_values),
    )


def _check_batch_shape(reqs: Sequence[ExecutionRequest]) -> None:
    """A batch has 1..MAX_BATCH_ITEMS items, all naming the same non-empty device."""
    if not 1 <= len(reqs) <= MAX_BATCH_ITEMS:
        raise ValidationError([FieldViolation("items", f"must have 1..{MAX_BATCH_ITEMS} items")])
    first = reqs[0].device_id
    violations = [
        FieldViolation(f"items[{i}].device_id", f"must be {first!r} like items[0]")
        for i, r in enumerate(reqs)
        if r.device_id != first
    ]
    if not first:
        violations.insert(0, FieldViolation("items[0].device_id", "must not be empty"))
    if violations:
        raise ValidationError(violations[:20])
