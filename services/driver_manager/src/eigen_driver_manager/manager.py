"""The driver-manager's domain service (imports neither gRPC nor generated protobuf code).

Request validation (:mod:`.validation`), dispatch to drivers off the event loop, cancellation
(:mod:`.tracking`), queue accounting, metrics and logs.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from dataclasses import replace

import structlog

from eigen_common.errors import (
    EigenError,
    UnavailableError,
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
    ExecutionProgress,
    ExecutionResult,
    SaveState,
    StartedExecution,
    bind_parameters,
    check_width,
)
from eigen_driver_manager.batch import BatchExecutor
from eigen_driver_manager.calls import DriverCalls
from eigen_driver_manager.isa import Transpilation, check_transpiled, figures
from eigen_driver_manager.registry import DriverRegistry
from eigen_driver_manager.requests import (
    MAX_BATCH_ITEMS,
    MAX_BINDINGS,
    MAX_TERMS,
    EstimationRequest,
    ExecutionRequest,
    PayloadFormat,
    TranspileRequest,
)
from eigen_driver_manager.validation import (
    RequestValidator,
    check_outcome,
    check_result,
    check_sweep,
    require_device_id,
)
from eigen_driver_manager.vendor_ops import VendorExecutions
from eigen_ir.aqo import Circuit

__all__ = [
    "MAX_BATCH_ITEMS",
    "MAX_BINDINGS",
    "MAX_TERMS",
    "DriverManager",
    "EstimationRequest",
    "ExecutionRequest",
    "PayloadFormat",
    "TranspileRequest",
]

log = get_logger("eigen.driver_manager")

#: Default size limit of a saved state, in bytes.
DEFAULT_MAX_STATE_BYTES = 8 * 1024 * 1024


class DriverManager:
    """Runs driver calls for the servicer.

    Listing, status, calibration, executions, estimates and transpilations live here; batches in
    :class:`~eigen_driver_manager.batch.BatchExecutor`, vendor jobs (start/await/cancel) in
    :class:`~eigen_driver_manager.vendor_ops.VendorExecutions`. Every blocking driver method runs
    through :class:`~eigen_driver_manager.calls.DriverCalls` (bounded pools, never the event
    loop; in-flight work counted into each device's queue depth).

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
        self._max_state_bytes = max_state_bytes
        self._calls = DriverCalls(max_workers)
        self._validator = RequestValidator(max_shots, self._calls.offload)
        self._batch = BatchExecutor(registry, self._calls, self._validator)
        self._vendor_ops = VendorExecutions(registry, self._calls, self._validator)

    @property
    def registry(self) -> DriverRegistry:
        """The driver registry."""
        return self._registry

    def close(self) -> None:
        """Stop accepting work, drop queued calls and close the drivers."""
        self._calls.close()
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
                fresh = await self._calls.run(driver.get_devices, control=True)
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
                    self._calls.with_queue(stamped, stamped.queue_depth, stamped.estimated_wait_sec)
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
        report = await self._calls.call(driver, device_id, "", driver.get_device_status, device_id)
        depth, wait = self._calls.queue(device_id, report.queue_depth, report.estimated_wait_sec)
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
        return await self._calls.call(driver, device_id, "", driver.calibrate_device, device_id)

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

            result = await self._calls.tracked(req.job_id, driver, req.device_id, run, precheck)
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

    async def transpile(self, req: TranspileRequest) -> Transpilation:
        """Show ``req``'s circuit as its device runs it, with the figures a user reads.

        The driver's :meth:`~eigen_driver_manager.base.BaseDriver.transpile_circuit` runs in
        the worker pool (a first call on an ``ibm:fake_*`` device loads its backend: seconds)
        and its answer is checked against the contract.

        Raises:
            ValidationError: empty ``device_id``, bad ``payload.*``.
            UnimplementedError: payload format other than AQO JSON; ``ISA_NOT_EXPRESSIBLE``.
            DeviceNotFoundError: unknown device.
            InvalidArgumentError: ``UNBOUND_PARAMETERS``, ``UNSUPPORTED_INSTRUCTION``.
            FailedPreconditionError: ``CIRCUIT_TOO_LARGE``, ``DEVICE_OFFLINE``.
            BackendUnavailableError: from the driver.
        """
        circuit = await self._validator.transpilation(req)
        driver, info = self._registry.device(req.device_id)

        def precheck() -> None:
            check_width(circuit, info)
            bind_parameters(circuit, None)

        def run() -> Transpilation:
            out = driver.transpile_circuit(req.device_id, circuit)
            check_transpiled(driver, circuit, info, out)
            return Transpilation(req.device_id, out, figures(out.circuit))

        with structlog.contextvars.bound_contextvars(
            device_id=req.device_id, driver_name=driver.name
        ):
            result = await self._calls.call(
                driver, req.device_id, "", run, precheck=precheck, compute=True
            )
            log.info(
                "circuit transpiled",
                qubits=circuit.qubits,
                operations=len(circuit.operations),
                depth=result.figures.depth,
                two_qubit_gates=result.figures.two_qubit_gates,
                transpile_time_sec=result.transpiled.metadata.get("transpile_time_sec", ""),
            )
        return result

    async def execute_batch(
        self, reqs: Sequence[ExecutionRequest]
    ) -> list[ExecutionResult | EigenError]:
        """Run several executions of one device in one driver call (see :mod:`.batch`)."""
        return await self._batch.run(reqs)

    async def cancel(self, job_id: str, device_id: str, execution_id: str) -> bool:
        """Abandon a job's execution; idempotent (see :meth:`.VendorExecutions.cancel`)."""
        return await self._vendor_ops.cancel(job_id, device_id, execution_id)

    async def start(self, req: ExecutionRequest) -> StartedExecution:
        """Submit ``req`` to an asynchronous device (see :meth:`.VendorExecutions.start`)."""
        return await self._vendor_ops.start(req)

    async def await_execution(
        self, device_id: str, execution_id: str, wait_seconds: float, job_id: str = ""
    ) -> ExecutionProgress:
        """Wait for a started execution (see :meth:`.VendorExecutions.await_`)."""
        return await self._vendor_ops.await_(device_id, execution_id, wait_seconds, job_id)

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
                outcome = await self._calls.tracked(
                    req.job_id, driver, req.device_id, run, precheck
                )
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
