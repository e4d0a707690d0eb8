"""Typed errors ↔ ``google.rpc.Status`` and gRPC (SPEC §3.3): the one place that knows both.

- :func:`to_status`: ``ErrorInfo`` first (stable ``reason``, domain ``eigen.os``, metadata incl.
  ``retryable``), then the scenario detail — ``BadRequest`` (every field violation),
  ``eigen.api.v1.DiagnosticList`` (compiler findings), ``PreconditionFailure`` for
  FAILED_PRECONDITION, ``QuotaFailure`` for RESOURCE_EXHAUSTED (``metadata["subject"]`` names
  the limit), ``RetryInfo`` for UNAVAILABLE (``retry_after`` seconds, default 1).
- :func:`from_status` / :func:`from_rpc_error`: the typed error back, by ``reason`` (else by code).
- :func:`to_grpc_status`: the ``grpc.Status`` a server interceptor aborts with.
No stack traces or paths go on the wire; INTERNAL errors carry a correlation id that is logged.
"""

from __future__ import annotations

from typing import Any

import grpc
from google.protobuf import any_pb2, duration_pb2
from google.rpc import error_details_pb2, status_pb2
from grpc_status import rpc_status

from eigen.api.v1 import common_pb2
from eigen_common.errors import (
    BY_CODE,
    DOMAIN,
    Code,
    Diagnostic,
    EigenError,
    FailedPreconditionError,
    FieldViolation,
    ResourceExhaustedError,
    ServiceUnavailableError,
    UnavailableError,
    ValidationError,
    error_class,
)


def grpc_code(code: Code) -> grpc.StatusCode:
    """The ``grpc.StatusCode`` of a :class:`Code` (same name)."""
    return grpc.StatusCode[code.name]


def diagnostic_to_proto(d: Diagnostic) -> common_pb2.Diagnostic:
    """The ``eigen.api.v1.Diagnostic`` message of a diagnostic."""
    sev = common_pb2.SEVERITY_WARNING if d.severity == "warning" else common_pb2.SEVERITY_ERROR
    return common_pb2.Diagnostic(
        rule=d.rule, message=d.message, line=d.line, column=d.column, hint=d.hint, severity=sev
    )


def diagnostic_from_proto(d: common_pb2.Diagnostic) -> Diagnostic:
    """Inverse of :func:`diagnostic_to_proto`."""
    sev = "warning" if d.severity == common_pb2.SEVERITY_WARNING else "error"
    return Diagnostic(d.rule, d.message, d.line, d.column, d.hint, sev)


def _scenario_details(err: EigenError) -> list[Any]:
    if isinstance(err, FailedPreconditionError):
        return [
            error_details_pb2.PreconditionFailure(
                violations=[
                    error_details_pb2.PreconditionFailure.Violation(
                        type=err.reason,
                        subject=err.metadata.get("subject", ""),
                        description=err.message,
                    )
                ]
            )
        ]
    if isinstance(err, ResourceExhaustedError):
        return [
            error_details_pb2.QuotaFailure(
                violations=[
                    error_details_pb2.QuotaFailure.Violation(
                        subject=err.metadata.get("subject", ""), description=err.message
                    )
                ]
            )
        ]
    if isinstance(err, UnavailableError):
        d = duration_pb2.Duration()
        d.FromNanoseconds(int((err.retry_after if err.retry_after is not None else 1.0) * 1e9))
        return [error_details_pb2.RetryInfo(retry_delay=d)]
    return []


def to_status(err: EigenError) -> status_pb2.Status:
    """The ``google.rpc.Status`` of ``err`` (ErrorInfo first, then the scenario details)."""
    details: list[Any] = [
        error_details_pb2.ErrorInfo(
            reason=err.reason,
            domain=DOMAIN,
            metadata={**err.metadata, "retryable": "true" if err.retryable else "false"},
        )
    ]
    if err.violations:
        details.append(
            error_details_pb2.BadRequest(
                field_violations=[
                    error_details_pb2.BadRequest.FieldViolation(
                        field=v.field, description=v.description
                    )
                    for v in err.violations
                ]
            )
        )
    if err.diagnostics:
        details.append(
            common_pb2.DiagnosticList(diagnostics=[diagnostic_to_proto(d) for d in err.diagnostics])
        )
    # RetryInfo also for retryable errors of other codes that carry a delay (quota waits).
    extra = _scenario_details(err)
    if err.retry_after is not None and not isinstance(err, UnavailableError):
        d = duration_pb2.Duration()
        d.FromNanoseconds(int(err.retry_after * 1e9))
        extra.append(error_details_pb2.RetryInfo(retry_delay=d))
    details.extend(extra)
    packed = []
    for detail in details:
        a = any_pb2.Any()
        a.Pack(detail)
        packed.append(a)
    return status_pb2.Status(code=err.code.value, message=err.message, details=packed)


def from_status(status: status_pb2.Status) -> EigenError:
    """Rebuild the typed error from a ``google.rpc.Status`` (by ErrorInfo reason, else code)."""
    try:
        code = Code(status.code)
    except ValueError:
        code = Code.UNKNOWN
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
            diagnostics = [diagnostic_from_proto(d) for d in dl.diagnostics]
        elif any_msg.Is(error_details_pb2.RetryInfo.DESCRIPTOR):
            ri = error_details_pb2.RetryInfo()
            any_msg.Unpack(ri)
            retry_after = ri.retry_delay.ToNanoseconds() / 1e9
    meta.pop("retryable", None)
    cls = error_class(reason or "") or BY_CODE.get(code, EigenError)
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
    cls = BY_CODE.get(Code[code.name], EigenError)
    return cls(details or code.name)


def to_grpc_status(err: EigenError) -> grpc.Status:
    """Return the ``grpc.Status`` (code, message, binary trailer) for ``err``."""
    return rpc_status.to_status(to_status(err))
