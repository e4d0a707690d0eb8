"""Domain types of the execution RPCs beyond the seed's five methods (no gRPC, no protobuf).

A batch item (:class:`ExecutionItem`), an asynchronous execution's handle
(:class:`StartedExecution`) and progress (:class:`ExecutionProgress`), the state kinds a
simulator can save (:class:`SaveState`), and the driver-manager's own error reasons.
"""

from __future__ import annotations

import enum
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from eigen_common.errors import DeviceAuthFailedError, ExecutionCancelledError

if TYPE_CHECKING:
    from eigen_driver_manager.base import ExecutionResult
    from eigen_ir.aqo import Circuit

__all__ = [
    "DEVICE_AUTH_FAILED",
    "DeviceAuthFailedError",
    "ExecutionCancelledError",
    "ExecutionItem",
    "ExecutionProgress",
    "SaveState",
    "StartedExecution",
    "current_job",
    "for_job",
]

#: ErrorInfo reason of a vendor refusing the driver's credentials (SPEC §13).
DEVICE_AUTH_FAILED = DeviceAuthFailedError.reason


class SaveState(enum.StrEnum):
    """Final states a simulator can keep (``ExecuteCircuitRequest.save_state``)."""

    STATEVECTOR = "statevector"
    DENSITY_MATRIX = "density_matrix"
    MATRIX_PRODUCT_STATE = "matrix_product_state"


@dataclass(frozen=True)
class ExecutionItem:
    """One execution of a batch (or of StartExecution), already validated.

    Attributes:
        job_id: for logs and cancellation.
        device_id: the device to run on (every item of a batch names the same one).
        circuit: a validated AQO circuit, possibly with symbolic parameters.
        shots: repetitions, ≥ 1.
        options: execution options (the driver's allowlist).
        seed: simulator seed, or None.
        parameter_values: values (radians) for the circuit's symbolic parameters, by name.
    """

    job_id: str
    device_id: str
    circuit: Circuit
    shots: int
    options: Mapping[str, str] = field(default_factory=dict)
    seed: int | None = None
    parameter_values: Mapping[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class StartedExecution:
    """Answer of :meth:`BaseDriver.start_execution`.

    Attributes:
        execution_id: opaque, names the vendor job so that a restarted driver-manager can
            re-attach to it with :meth:`BaseDriver.await_execution` (no resubmission).
        vendor_job_id: the vendor's own job id (for the job's metadata).
    """

    execution_id: str
    vendor_job_id: str


@dataclass(frozen=True)
class ExecutionProgress:
    """Answer of :meth:`BaseDriver.await_execution`.

    Attributes:
        done: the execution ended; ``result`` is set.
        result: the normalised result once done (same contract as ``execute_circuit``).
        vendor_status: the vendor's status word (``QUEUED``, ``RUNNING``, ``DONE``, ...).
        queue_position: position in the vendor's queue, where reported.
    """

    done: bool
    result: ExecutionResult | None = None
    vendor_status: str = ""
    queue_position: int | None = None


_JOB: ContextVar[str] = ContextVar("eigen_driver_job_id", default="")


def current_job() -> str:
    """The Eigen OS job on whose behalf the current driver call runs ('' when unknown).

    The driver-manager sets it around every driver call (worker threads inherit it with the
    call's context), so a vendor driver can group one job's executions — e.g. the iterations
    of a hybrid loop — into one vendor session without the five methods changing signature.
    """
    return _JOB.get()


@contextmanager
def for_job(job_id: str) -> Iterator[None]:
    """Run the enclosed driver calls on behalf of ``job_id`` (see :func:`current_job`)."""
    token = _JOB.set(job_id)
    try:
        yield
    finally:
        _JOB.reset(token)
