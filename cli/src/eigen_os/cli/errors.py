"""The one place that turns errors into messages and exit codes (SPEC §9).

Exit codes:

- ``0`` success;
- ``2`` user error: bad input (invalid job.yaml, rejected request, program that does not
  compile), unknown job/device/target, a call the job's state does not allow, bad credentials,
  a taken port at ``eigen up``;
- ``3`` the server cannot be reached (UNAVAILABLE, connection refused, deadline exceeded);
- ``4`` the job or the server failed (job ended ERROR/TIMEOUT/CANCELLED under ``--wait`` /
  ``--watch``, INTERNAL, UNIMPLEMENTED, a service that did not start, a wait that timed out).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from eigen.api.v1 import job_pb2
from eigen_common.errors import (
    Code,
    DeadlineExceededError,
    EigenError,
    FailedPreconditionError,
    InternalError,
    InvalidArgumentError,
    NotFoundError,
    PermissionDeniedError,
    ResourceExhaustedError,
    ResultsNotReadyError,
    UnauthenticatedError,
    UnavailableError,
)
from eigen_os.client import ConnectionFailedError, WaitTimeoutError
from eigen_os.jobspec import JobSpecError
from eigen_os.stack import StackError

EXIT_OK = 0
EXIT_USER = 2
EXIT_UNREACHABLE = 3
EXIT_FAILED = 4


@dataclass
class ErrorReport:
    """What the user sees for one error."""

    exit_code: int
    code: str
    reason: str
    message: str
    details: list[str] = field(default_factory=list)
    hint: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """``{"error": {...}}`` for ``--json`` mode."""
        body: dict[str, Any] = {
            "code": self.code,
            "reason": self.reason,
            "message": self.message,
            "exit_code": self.exit_code,
        }
        if self.details:
            body["details"] = self.details
        if self.hint:
            body["hint"] = self.hint
        body.update(self.extra)
        return {"error": body}


def _eigen_exit_code(err: EigenError) -> int:
    if isinstance(err, WaitTimeoutError):
        return EXIT_FAILED
    if isinstance(err, UnavailableError | DeadlineExceededError):
        return EXIT_UNREACHABLE
    if isinstance(
        err,
        InvalidArgumentError
        | NotFoundError
        | FailedPreconditionError
        | ResourceExhaustedError
        | UnauthenticatedError
        | PermissionDeniedError,
    ):
        return EXIT_USER
    if err.code == Code.ALREADY_EXISTS:
        return EXIT_USER
    return EXIT_FAILED


_TLS_TROUBLE = ("ssl", "handshake", "certificate", "tls")


def _connection_hint(err: ConnectionFailedError) -> str:
    text = err.message.lower()
    if err.metadata.get("tls") == "true" and any(w in text for w in _TLS_TROUBLE):
        return (
            "the server's certificate is not trusted: give its CA with --ca-file, "
            "EIGEN_CA_FILE or ca_file in ~/.config/eigen/config.toml (`eigen up --tls` "
            "records its own CA, trusted for the stack's address)"
        )
    return (
        "is the stack running? Start it with `eigen up`, "
        "or point --endpoint/EIGEN_ENDPOINT at a server"
    )


def _eigen_hint(err: EigenError) -> str:
    if isinstance(err, ConnectionFailedError):
        return _connection_hint(err)
    if isinstance(err, UnauthenticatedError):
        return "check --token, EIGEN_TOKEN, ~/.config/eigen/config.toml or $EIGEN_HOME/token"
    if isinstance(err, ResultsNotReadyError):
        return "follow the job with `eigen watch JOB` (or submit with --wait)"
    if isinstance(err, WaitTimeoutError):
        return f"follow it with `eigen watch {err.job_id}`"
    if isinstance(err, DeadlineExceededError):
        return "the server did not answer in time; raise --timeout or check the server"
    if isinstance(err, InternalError) and err.metadata.get("correlation_id"):
        return f"correlation id {err.metadata['correlation_id']} (in the server log)"
    return ""


def classify(exc: BaseException) -> ErrorReport:
    """Map any error the CLI expects to an :class:`ErrorReport` (exit code + message).

    Unknown exception types are classified as a failure (exit 4) with their message only.
    """
    if isinstance(exc, StackError):
        return ErrorReport(
            exc.exit_code,
            "STACK",
            type(exc).__name__,
            exc.message,
            exc.details,
        )
    if isinstance(exc, EigenError):
        details = [f"{v.field}: {v.description}" for v in exc.violations]
        details += [str(d) for d in exc.diagnostics]
        message = exc.message
        if isinstance(exc, JobSpecError):
            message = f"{exc.source} is invalid"
        elif details and "\n" in message:
            message = message.split("\n", 1)[0]
        extra: dict[str, Any] = {}
        if exc.violations:
            extra["violations"] = [
                {"field": v.field, "description": v.description} for v in exc.violations
            ]
        if exc.diagnostics:
            extra["diagnostics"] = [
                {
                    "rule": d.rule,
                    "message": d.message,
                    "line": d.line,
                    "column": d.column,
                    "hint": d.hint,
                    "severity": d.severity,
                }
                for d in exc.diagnostics
            ]
        if exc.metadata:
            extra["metadata"] = dict(exc.metadata)
        return ErrorReport(
            _eigen_exit_code(exc),
            exc.code.name,
            exc.reason,
            message,
            details,
            _eigen_hint(exc),
            extra,
        )
    return ErrorReport(EXIT_FAILED, "UNKNOWN", type(exc).__name__, str(exc) or type(exc).__name__)


def exit_code_for_state(state: int) -> int:
    """Exit code after waiting for a job: 0 for DONE, 4 for ERROR/CANCELLED/TIMEOUT."""
    return EXIT_OK if state == job_pb2.JOB_STATUS_DONE else EXIT_FAILED


#: Exceptions :func:`classify` is meant for; anything else is a bug and keeps its traceback.
HANDLED_ERRORS: tuple[type[BaseException], ...] = (EigenError, StackError)
