"""The audit trail (SPEC §11): one structured log line per public call, authenticated or not.

Each line is the structlog event ``audit`` with ``rpc`` (``JobService/SubmitJob``),
``subject``, ``tenant``, ``credential`` (``api_key:<key_id>`` / ``jwt:<issuer>``, never the
token), ``job_id``, ``code`` (gRPC status name), ``reason`` (ErrorInfo reason of a failure),
``latency_ms`` and ``peer``. Auth failures are the lines with ``code`` UNAUTHENTICATED (no
subject) or PERMISSION_DENIED.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from eigen_common.logs import get_logger
from eigen_system_api.auth import Identity

log = get_logger("eigen.audit")


@dataclass
class AuditRecord:
    """What one call did; filled in as the call proceeds, written once at its end."""

    rpc: str
    peer: str
    identity: Identity | None = None
    job_id: str = ""
    code: str = "OK"
    reason: str = ""
    extra: dict[str, str] = field(default_factory=dict)

    def write(self, latency_s: float) -> None:
        """Emit the audit line (warning level for auth failures, info otherwise)."""
        ident = self.identity
        line = {
            "rpc": self.rpc,
            "subject": ident.auth.subject if ident else "",
            "tenant": ident.auth.tenant if ident else "",
            "credential": ident.credential if ident else "",
            "job_id": self.job_id,
            "code": self.code,
            "reason": self.reason,
            "latency_ms": round(latency_s * 1000, 3),
            "peer": self.peer,
            **self.extra,
        }
        if self.code in ("UNAUTHENTICATED", "PERMISSION_DENIED"):
            log.warning("audit", **line)
        else:
            log.info("audit", **line)
