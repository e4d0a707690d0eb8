"""One error hierarchy for all services, and its mapping to/from ``google.rpc.Status`` (SPEC §3.3).

Servers raise these typed errors; :class:`eigen_common.server.ErrorInterceptor` turns them into a
non-OK gRPC status whose ``google.rpc.Status`` detail list starts with ``ErrorInfo`` (stable
``reason``, domain ``eigen.os``, metadata incl. ``retryable``), followed by the scenario detail
(``BadRequest`` for validation, ``RetryInfo`` for UNAVAILABLE, ``PreconditionFailure``,
``QuotaFailure``, ``eigen.api.v1.DiagnosticList`` for compilation failures).

Clients call :func:`from_rpc_error` to get the typed error back (looked up by ``reason``).
No stack traces or paths go on the wire; INTERNAL errors carry a correlation id that is logged.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import grpc
from google.protobuf import any_pb2, duration_pb2
from google.rpc import code_pb2, error_details_pb2, status_pb2
from grpc_status import rpc_status

from eigen.api.v1 import common_pb2

DOMAIN = "eigen.os"


@dataclass(frozen=True)
class FieldViolation:
    """One invalid field: ``field`` is a path such as ``spec.shots`` or ``program.qasm.source``."""

    field: str
    description: str


@dataclass(frozen=True)
class Diagnostic:
    """One compiler finding (SPEC §6): rule name, 1-based line/column (0 = unknown), hint."""

    rule: str
    message: str
    line: int = 0
    column: int = 0
    hint: str = ""
    severity: str = "error"

    def to_proto(self) -> common_pb2.Diagnostic:
        """Return the ``eigen.api.v1.Diagnostic`` message."""
        sev = (
            common_pb2.SEVERITY_WARNING if self.severity == "warning" else common_pb2.SEVERITY_ERROR
        )
        return common_pb2.Diagnostic(
            rule=self.rule,
            message=self.message,
            line=self.line,
            column=self.column,
            hint=self.hint,
            severity=sev,
        )

    @classmethod
    def from_proto(cls, d: common_pb2.Diagnostic) -> Diagnostic:
        """Build from an ``eigen.api.v1.Diagnostic`` message."""
        sev = "warning" if d.severity == common_pb2.SEVERITY_WARNING else "error"
        return cls(d.rule, d.message, d.line, d.column, d.hint, sev)

    def __str__(self) -> str:
        pos = f"{self.line}:{self.column}: " if self.line else ""
        hint = f" (hint: {self.hint})" if self.hint else ""
        return f"{pos}[{self.rule}] {self.message}{hint}"


_REGISTRY: dict[str, type[EigenError]] = {}


class EigenError(Exception):
    """Base of all Eigen OS errors.

    Class attributes: ``code`` (gRPC status code), ``reason`` (stable ErrorInfo reason),
    ``retryable``. Subclasses with a distinct ``reason`` are registered so that clients can
    rebuild the exact type.
    """

    code: ClassVar[grpc.StatusCode] = grpc.StatusCode.UNKNOWN
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

    def to_status(self) -> status_pb2.Status:
        """Build the ``google.rpc.Status`` (ErrorInfo first, then the scenario detail)."""
        info = error_details_pb2.ErrorInfo(
            reason=self.reason,
            domain=DOMAIN,
            metadata={**self.metadata, "retryable": "true" if self.retryable else "false"},
        )
        details = [info]
        if self.violations:
            details.append(
                error_details_pb2.BadRequest(
                    field_violations=[
                        error_details_pb2.BadRequest.FieldViolation(
                            field=v.field, description=v.description
                        )
                        for v in self.violations
                    ]
                )
            )
        if self.diagnostics:
            details.append(
                common_pb2.DiagnosticList(diagnostics=[d.to_proto() for d in self.diagnostics])
            )
        details.extend(self._extra_details())
        packed = []
        for d in details:
            a = any_pb2.Any()
            a.Pack(d)
            packed.append(a)
        return status_pb2.Status(code=self.code.value[0], message=self.message, details=packed)

    def _extra_details(self) -> list[Any]:
        return []

    def __str__(self) -> str:
        return self.message


# --- category bases (one per gRPC code in the seeds' table) --------------------------------


class InvalidArgumentError(EigenError):
    """Malformed request or unsupported format (INVALID_ARGUMENT)."""

    code = grpc.StatusCode.INVALID_ARGUMENT
    reason = "INVALID_ARGUMENT"


class NotFoundError(EigenError):
    """A job, device, target or dependency does not exist (NOT_FOUND)."""

    code = grpc.StatusCode.NOT_FOUND
    reason = "NOT_FOUND"


class FailedPreconditionError(EigenError):
    """The state of the system does not allow the call (FAILED_PRECONDITION)."""

    code = grpc.StatusCode.FAILED_PRECONDITION
    reason = "FAILED_PRECONDITION"

    def _extra_details(self) -> list[Any]:
        return [
            error_details_pb2.PreconditionFailure(
                violations=[
                    error_details_pb2.PreconditionFailure.Violation(
                        type=self.reason,
                        subject=self.metadata.get("subject", ""),
                        description=self.message,
                    )
                ]
            )
        ]


class ResourceExhaustedError(EigenError):
    """No slots, quota exceeded or payload too large (RESOURCE_EXHAUSTED)."""

    code = grpc.StatusCode.RESOURCE_EXHAUSTED
    reason = "RESOURCE_EXHAUSTED"

    def _extra_details(self) -> list[Any]:
        return [
            error_details_pb2.QuotaFailure(
                violations=[
                    error_details_pb2.QuotaFailure.Violation(
                        subject=self.metadata.get("subject", ""), description=self.message
                    )
                ]
            )
        ]


class UnavailableError(EigenError):
    """A backend or internal service is down; retryable (UNAVAILABLE)."""

    code = grpc.StatusCode.UNAVAILABLE
    reason = "UNAVAILABLE"
    retryable = True

    def _extra_details(self) -> list[Any]:
        delay = self.retry_after if self.retry_after is not None else 1.0
        d = duration_pb2.Duration()
        d.FromNanoseconds(int(delay * 1e9))
        return [error_details_pb2.RetryInfo(retry_delay=d)]


class UnimplementedError(EigenError):
    """The operation is not supported (UNIMPLEMENTED)."""

    code = grpc.StatusCode.UNIMPLEMENTED
    reason = "UNIMPLEMENTED"


class UnauthenticatedError(EigenError):
    """Missing or invalid credentials (UNAUTHENTICATED)."""

    code = grpc.StatusCode.UNAUTHENTICATED
    reason = "UNAUTHENTICATED"


class PermissionDeniedError(EigenError):
    """Authenticated but not allowed (PERMISSION_DENIED)."""

    code = grpc.StatusCode.PERMISSION_DENIED
    reason = "PERMISSION_DENIED"


class DeadlineExceededError(EigenError):
    """The call's deadline passed (DEADLINE_EXCEEDED)."""

    code = grpc.StatusCode.DEADLINE_EXCEEDED
    reason = "DEADLINE_EXCEEDED"
    retryable = True


class InternalError(EigenError):
    """An unexpected server fault (INTERNAL); ``metadata["correlation_id"]`` is in the log."""

    code = grpc.StatusCode.INTERNAL
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


class NoSlotsError(ResourceExhaustedError):
    """No device slot or reservation capacity left."""

    reason = "NO_SLOTS"


class ServiceUnavailableError(UnavailableError):
    """An internal service (kernel, compiler, driver-manager) cannot be reached."""

    reason = "SERVICE_UNAVAILABLE"


class BackendUnavailableError(UnavailableError):
    """A quantum backend is down."""

    reason = "BACKEND_UNAVAILABLE"


_BY_CODE: dict[grpc.StatusCode, type[EigenError]] = {
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
_CODE_BY_VALUE = {c.value[0]: c for c in grpc.StatusCode}


def from_status(status: status_pb2.Status) -> EigenError:
    """Rebuild the typed error from a ``google.rpc.Status`` (by ErrorInfo reason, else code)."""
    code = _CODE_BY_VALUE.get(status.code, grpc.StatusCode.UNKNOWN)
    reason: str | None = None
    meta: dict[str, str] = {}
    violations: list[FieldViolation] = []
    diagnostics: list[Diagnostic] = []
    retry_after: float | None = None
    for any_msg in status.details:
        if any_msg.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
            info = error_details_pb2.ErrorInfo()
            any_msg.Unpack(info)
            reason = info.reason
            meta = dict(info.metadata)
        elif any_msg.Is(error_details_pb2.BadRequest.DESCRIPTOR):
            br = error_details_pb2.BadRequest()
            any_msg.Unpack(br)
            violations = [FieldViolation(v.field, v.description) for v in br.field_violations]
        elif any_msg.Is(common_pb2.DiagnosticList.DESCRIPTOR):
            dl = common_pb2.DiagnosticList()
            any_msg.Unpack(dl)
            diagnostics = [Diagnostic.from_proto(d) for d in dl.diagnostics]
        elif any_msg.Is(error_details_pb2.RetryInfo.DESCRIPTOR):
            ri = error_details_pb2.RetryInfo()
            any_msg.Unpack(ri)
            retry_after = ri.retry_delay.ToNanoseconds() / 1e9
    meta.pop("retryable", None)
    cls = _REGISTRY.get(reason or "") or _BY_CODE.get(code, EigenError)
    if cls is ValidationError:
        err: EigenError = ValidationError(violations, status.message)
    else:
        err = cls(
            status.message,
            metadata=meta,
            violations=violations,
            diagnostics=diagnostics,
            retry_after=retry_after,
        )
    if reason and reason != cls.reason:
        err.reason = reason  # type: ignore[misc]
    return err


def from_rpc_error(exc: grpc.RpcError) -> EigenError:
    """Turn a failed call (sync ``RpcError`` or ``aio.AioRpcError``) into the typed error.

    Calls without a rich status (e.g. a connection failure) map by status code; a refused
    connection becomes :class:`ServiceUnavailableError`.
    """
    status = None
    try:
        status = rpc_status.from_call(exc)  # type: ignore[arg-type]
    except (ValueError, AttributeError):
        status = None
    if status is not None:
        return from_status(status)
    code = exc.code() if hasattr(exc, "code") else grpc.StatusCode.UNKNOWN
    details = exc.details() if hasattr(exc, "details") else str(exc)
    if code == grpc.StatusCode.UNAVAILABLE:
        return ServiceUnavailableError(details or "service unavailable")
    cls = _BY_CODE.get(code, EigenError)
    return cls(details or code.name)


def to_grpc_status(err: EigenError) -> grpc.Status:
    """Return the ``grpc.Status`` (code, message, binary trailer) for ``err``."""
    return rpc_status.to_status(err.to_status())


__all__ = [name for name in dir() if name.endswith("Error")] + [
    "DOMAIN",
    "Diagnostic",
    "FieldViolation",
    "code_pb2",
    "from_rpc_error",
    "from_status",
    "to_grpc_status",
]
