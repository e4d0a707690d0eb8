"""The audit trail (SPEC §11): one structured log line per public call, authenticated or not.

Each line is the structlog event ``audit`` with ``rpc`` (``JobService/SubmitJob``),
``subject``, ``tenant``, ``credential`` (``api_key:<key_id>`` / ``jwt:<issuer>``, never the
token), ``job_id``, ``code`` (gRPC status name), ``reason`` (ErrorInfo reason of a failure),
``latency_ms`` and ``peer``. Auth failures are the lines with ``code`` UNAUTHENTICATED (no
subject) or PERMISSION_DENIED. Calls that came over REST also carry ``transport`` ``http``,
``http_method`` and ``path``.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from eigen_common import errors
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


@asynccontextmanager
async def audited(
    rpc: str, peer: str, job_id: str = "", **extra: str
) -> AsyncIterator[AuditRecord]:
    """One audit line for the calls inside: the outcome is read from how the block ends.

    A typed error records its code and reason; a cancellation or a closed stream (the client
    went away) ``CANCELLED``; anything else ``INTERNAL``. The error is re-raised.
    """
    rec = AuditRecord(rpc, peer, job_id=job_id, extra=dict(extra))
    t0 = time.perf_counter()
    try:
        yield rec
    except errors.EigenError as exc:
        rec.code, rec.reason = exc.code.name, exc.reason
        raise
    except (GeneratorExit, asyncio.CancelledError):
        rec.code = "CANCELLED"
        raise
    except BaseException:
        rec.code = "INTERNAL"
        raise
    finally:
        rec.write(time.perf_counter() - t0)
