"""One error hierarchy for all services (SPEC §3.3), free of gRPC.

Domain code raises these typed errors; each class has a status :class:`Code` (named as gRPC's
codes), a stable ``reason`` and ``retryable``. :mod:`eigen_common.status` maps them to and from
``google.rpc.Status`` (ErrorInfo first, then the scenario detail: ``BadRequest`` for
``violations``, ``PreconditionFailure``, ``QuotaFailure``, ``RetryInfo``, ``DiagnosticList``).
This module imports neither grpc nor generated code, so domain layers (the kernel's scheduler,
the compiler's front ends) can use it without a transport.
"""

from __future__ import annotations

import enum
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

DOMAIN = "eigen.os"


class Code(enum.Enum):
    """Status codes, by the names gRPC gives them (``Code.NOT_FOUND.value == 5``)."""

    OK = 0
    CANCELLED = 1
    UNKNOWN = 2
    INVALID_ARGUMENT = 3
    DEADLINE_EXCEEDED = 4
    NOT_FOUND = 5
    ALREADY_EXISTS = 6
    PERMISSION_DENIED = 7
    RESOURCE_EXHAUSTED = 8
    FAILED_PRECONDITION = 9
    ABORTED = 10
    OUT_OF_RANGE = 11
    UNIMPLEMENTED = 12
    INTERNAL = 13
    UNAVAILABLE = 14
    DATA_LOSS = 15
    UNAUTHENTICATED = 16


@dataclass(frozen=True)
class FieldViolation:
    """One invalid field: ``field`` is a path such as ``spec.shots`` or ``program.qasm.source``."""

    field: str
    description: str


@dataclass(frozen=True)
class Diagnostic:
    """One compiler finding (SPEC §6): rule name, 1-based line/column (0 = unknown), hint.

    ``severity`` is ``"error"`` or ``"warning"``.
    """

    rule: str
    message: str
    line: int = 0
    column: int = 0
    hint: str = ""
    severity: str = "error"

    def __str__(self) -> str:
        pos = f"{self.line}:{self.column}: " if self.line else ""
        hint = f" (hint: {self.hint})" if self.hint else ""
        return f"{pos}[{self.rule}] {self.message}{hint}"


_REGISTRY: dict[str, type[EigenError]] = {}


class EigenError(Exception):
    """Base of all Eigen OS errors.

    Class attributes: ``code`` (status :class:`Code`), ``reason`` (stable ErrorInfo reason),
    ``retryable``. Subclasses with a distinct ``reason`` are registered so that clients can
    rebuild the exact type.
    """

    code: ClassVar[Code] = Code.UNKNOWN
    reason: ClassVar[str] = "UNKNOWN"
    retryable: ClassVar[bool] = False

    def __init__(
        self,
        message: str,
        *,
        metadata: Mapping[str, str] | None = None,
        violations: Sequence[FieldViolation] = (),
        diagnostics: Sequence[Diagnostic] = (),
        retry_after: float | None = None,
        reason: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.metadata = dict(metadata or {})
        self.violations = list(violations)
        self.diagnostics = list(diagnostics)
        self.retry_after = retry_after
        if reason is not None:
            self.reason = reason  # type: ignore[misc]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        _REGISTRY.setdefault(cls.reason, cls)

    def __str__(self) -> str:
        return self.message


# --- category bases (one per gRPC code in the seeds' table) --------------------------------


class InvalidArgumentError(EigenError):
    """Malformed request or unsupported format (INVALID_ARGUMENT)."""

    code = Code.INVALID_ARGUMENT
    reason = "INVALID_ARGUMENT"


class NotFoundError(EigenError):
    """A job, device, target or dependency does not exist (NOT_FOUND)."""

    code = Code.NOT_FOUND
    reason = "NOT_FOUND"


class FailedPreconditionError(EigenError):
    """The state of the system does not allow the call (FAILED_PRECONDITION)."""

    code = Code.FAILED_PRECONDITION
    reason = "FAILED_PRECONDITION"


class ResourceExhaustedError(EigenError):
    """No slots, quota exceeded or payload too large (RESOURCE_EXHAUSTED)."""

    code = Code.RESOURCE_EXHAUSTED
    reason = "RESOURCE_EXHAUSTED"


class UnavailableError(EigenError):
    """A backend or internal service is down; retryable (UNAVAILABLE)."""

    code = Code.UNAVAILABLE
    reason = "UNAVAILABLE"
    retryable = True


class UnimplementedError(EigenError):
    """The operation is not supported (UNIMPLEMENTED)."""

    code = Code.UNIMPLEMENTED
    reason = "UNIMPLEMENTED"


class UnauthenticatedError(EigenError):
    """Missing or invalid credentials (UNAUTHENTICATED)."""

    code = Code.UNAUTHENTICATED
    reason = "UNAUTHENTICATED"


class PermissionDeniedError(EigenError):
    """Authenticated but not allowed (PERMISSION_DENIED)."""

    code = Code.PERMISSION_DENIED
    reason = "PERMISSION_DENIED"


class DeadlineExceededError(EigenError):
    """The call's deadline passed (DEADLINE_EXCEEDED)."""

    code = Code.DEADLINE_EXCEEDED
    reason = "DEADLINE_EXCEEDED"
    retryable = True


class InternalError(EigenError):
    """An unexpected server fault (INTERNAL); ``metadata["correlation_id"]`` is in the log."""

    code = Code.INTERNAL
    reason = "INTERNAL"

    @classmethod
    def with_correlation(cls) -> InternalError:
        """Return a new error with a fresh correlation id (message carries no internals)."""
        cid = uuid.uuid4().hex[:16]
        return cls(f"internal error (correlation id {cid})", metadata={"correlation_id": cid})


# --- specific errors (stable reasons) ------------------------------------------------------


class ValidationError(InvalidArgumentError):
    """Request fields are invalid; ``violations`` lists all of them at once."""

    reason = "VALIDATION_FAILED"

    def __init__(self, violations: Iterable[FieldViolation], message: str | None = None):
        vs = list(violations)
        msg = message or "invalid request: " + "; ".join(
            f"{v.field}: {v.description}" for v in vs[:10]
        ) + (f" (+{len(vs) - 10} more)" if len(vs) > 10 else "")
        super().__init__(msg, violations=vs)


class MalformedRequestError(InvalidArgumentError):
    """The request's bytes are not a valid protobuf message of the method's type."""

    reason = "MALFORMED_REQUEST"


class CompilationFailedError(InvalidArgumentError):
    """The program does not compile; ``diagnostics`` name rule, line and column."""

    reason = "COMPILATION_FAILED"


class UnsupportedFormatError(InvalidArgumentError):
    """A payload format or language is not supported."""

    reason = "UNSUPPORTED_FORMAT"


class InvalidOptionError(InvalidArgumentError):
    """An execution or compiler option is not in the allowlist or has a bad value."""

    reason = "INVALID_OPTION"


class JobNotFoundError(NotFoundError):
    """No job with this id is visible to the caller."""

    reason = "JOB_NOT_FOUND"


class TargetNotFoundError(NotFoundError):
    """The target does not resolve to a device; the message lists available targets."""

    reason = "TARGET_NOT_FOUND"


class DeviceNotFoundError(NotFoundError):
    """No device with this id."""

    reason = "DEVICE_NOT_FOUND"


class DependencyNotFoundError(NotFoundError):
    """A job named in ``dependencies`` does not exist."""

    reason = "DEPENDENCY_NOT_FOUND"


class ResultsNotReadyError(FailedPreconditionError):
    """GetJobResults on a job that is not terminal yet."""

    reason = "RESULTS_NOT_READY"


class JobAlreadyTerminalError(FailedPreconditionError):
    """CancelJob on a job that already reached a terminal state."""

    reason = "JOB_ALREADY_TERMINAL"


class IdempotencyConflictError(FailedPreconditionError):
    """An idempotency key was reused with a different payload."""

    reason = "IDEMPOTENCY_CONFLICT"


class DeviceOfflineError(FailedPreconditionError):
    """The device is not ONLINE."""

    reason = "DEVICE_OFFLINE"


class PayloadTooLargeError(ResourceExhaustedError):
    """A program or request exceeds a size limit."""

    reason = "PAYLOAD_TOO_LARGE"


class StorageFullError(ResourceExhaustedError):
    """The service's storage is full (or read-only): nothing was written; retry later."""

    reason = "STORAGE_FULL"


class DeviceAuthFailedError(FailedPreconditionError):
    """A vendor refused the driver's credentials: the device is OFFLINE (SPEC §13).

    The message names the device and the vendor's reason, never a credential.
    """

    reason = "DEVICE_AUTH_FAILED"


class ExecutionCancelledError(EigenError):
    """An execution was abandoned by CancelExecution; its result (if any) was discarded."""

    code = Code.CANCELLED
    reason = "EXECUTION_CANCELLED"


class NoSlotsError(ResourceExhaustedError):
    """No device slot or reservation capacity left."""

    reason = "NO_SLOTS"


class ServiceUnavailableError(UnavailableError):
    """An internal service (kernel, compiler, driver-manager) cannot be reached."""

    reason = "SERVICE_UNAVAILABLE"


class BackendUnavailableError(UnavailableError):
    """A quantum backend is down."""

    reason = "BACKEND_UNAVAILABLE"


#: The category base class of each code (``from_status`` falls back to it for unknown reasons).
BY_CODE: dict[Code, type[EigenError]] = {
    c.code: c
    for c in (
        InvalidArgumentError,
        NotFoundError,
        FailedPreconditionError,
        ResourceExhaustedError,
        UnavailableError,
        UnimplementedError,
        UnauthenticatedError,
        PermissionDeniedError,
        DeadlineExceededError,
        InternalError,
    )
}


def error_class(reason: str) -> type[EigenError] | None:
    """The registered error class of a stable ``reason``, or None."""
    return _REGISTRY.get(reason)
