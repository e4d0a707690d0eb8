"""ExecuteCircuitBatch: several executions of one device in one driver call.

Each item ends on its own; also the conversion of a validated request to the driver's
:class:`ExecutionItem`.
"""

from __future__ import annotations

from collections.abc import Sequence

from eigen_common.errors import (
    EigenError,
    FieldViolation,
    InternalError,
    InvalidArgumentError,
    ValidationError,
)
from eigen_common.logs import get_logger
from eigen_driver_manager import metrics
from eigen_driver_manager.base import BaseDriver, ExecutionItem, ExecutionResult, check_width
from eigen_driver_manager.calls import DriverCalls
from eigen_driver_manager.execution import ExecutionCancelledError
from eigen_driver_manager.registry import DriverRegistry
from eigen_driver_manager.requests import MAX_BATCH_ITEMS, ExecutionRequest
from eigen_driver_manager.validation import RequestValidator, check_result
from eigen_ir.aqo import Circuit

log = get_logger("eigen.driver_manager")


class BatchExecutor:
    """Serves ExecuteCircuitBatch for the driver-manager.

    Args:
        registry: the initialised drivers.
        calls: the pools the driver call runs in.
        validator: request validation.
    """

    def __init__(self, registry: DriverRegistry, calls: DriverCalls, validator: RequestValidator):
        self._registry = registry
        self._calls = calls
        self._validator = validator

    async def run(self, reqs: Sequence[ExecutionRequest]) -> list[ExecutionResult | EigenError]:
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
                if self._calls.tracker.is_cancelled(req.job_id):
                    raise ExecutionCancelledError(f"job {req.job_id!r} was cancelled")
                driver.parse_options(device_id, req.options)
                check_width(circuit, info)
            except EigenError as exc:
                outcomes[i] = exc
                continue
            items.append((i, execution_item(req, circuit)))
        if items:
            batch = [item for _, item in items]
            results = await self._calls.call(
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
        if self._calls.tracker.is_cancelled(item.job_id):
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


def execution_item(req: ExecutionRequest, circuit: Circuit) -> ExecutionItem:
    """The :class:`ExecutionItem` a driver gets for a validated request."""
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
