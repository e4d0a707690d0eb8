"""Executions on asynchronous devices (vendor QPUs).

StartExecution, AwaitExecution and CancelExecution for the driver-manager.
"""

from __future__ import annotations

import math

import structlog

from eigen_common.errors import (
    FailedPreconditionError,
    FieldViolation,
    InvalidArgumentError,
    ValidationError,
)
from eigen_common.logs import get_logger
from eigen_driver_manager.base import (
    ExecutionProgress,
    StartedExecution,
    check_width,
)
from eigen_driver_manager.batch import execution_item
from eigen_driver_manager.calls import DriverCalls
from eigen_driver_manager.execution import ExecutionCancelledError
from eigen_driver_manager.registry import DriverRegistry
from eigen_driver_manager.requests import MAX_WAIT_SECONDS, ExecutionRequest
from eigen_driver_manager.validation import RequestValidator

log = get_logger("eigen.driver_manager")


class VendorExecutions:
    """Start, await and cancel executions for the driver-manager (vendor jobs).

    Args:
        registry: the initialised drivers.
        calls: the pools the driver calls run in (vendor calls use their own pool).
        validator: request validation.
    """

    def __init__(self, registry: DriverRegistry, calls: DriverCalls, validator: RequestValidator):
        self._registry = registry
        self._calls = calls
        self._validator = validator

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
        found = self._calls.tracker.cancel(job_id)
        told = await self._calls.call(
            driver,
            device_id,
            job_id,
            driver.cancel_execution,
            device_id,
            job_id,
            execution_id,
            vendor=True,
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
        if self._calls.tracker.is_cancelled(req.job_id):
            raise ExecutionCancelledError(f"job {req.job_id!r} was cancelled")

        def precheck() -> None:
            driver.parse_options(req.device_id, req.options)
            check_width(circuit, info)

        with structlog.contextvars.bound_contextvars(job_id=req.job_id, device_id=req.device_id):
            started = await self._calls.call(
                driver,
                req.device_id,
                req.job_id,
                driver.start_execution,
                execution_item(req, circuit),
                precheck=precheck,
                vendor=True,
            )
            log.info(
                "execution started",
                execution_id=started.execution_id,
                vendor_job_id=started.vendor_job_id,
            )
            return started

    async def await_(
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
            progress = await self._calls.call(
                driver,
                device_id,
                job_id,
                driver.await_execution,
                device_id,
                execution_id,
                wait_seconds,
                vendor=True,
            )
        if progress.done and progress.result is None:
            raise RuntimeError(f"driver {driver.name!r} reported done without a result")
        return progress
