"""Per-request context carried across gRPC hops: W3C ``traceparent``, auth context, job id.

- ``traceparent`` is generated at the edge (system-api) and propagated on every hop (SPEC §10).
- The auth context travels as metadata ``x-eigen-sub``, ``x-eigen-roles`` (comma-separated),
  ``x-eigen-tenant`` (SPEC §11); only system-api sets it, from the verified credential.
- The per-stack secret ``x-eigen-internal`` rides along when this process has one
  (:mod:`eigen_common.security`); servers trust ``x-eigen-*`` only from callers that sent it.
Values live in ``contextvars`` so structlog lines and outgoing calls pick them up.
"""

from __future__ import annotations

import contextvars
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass

from opentelemetry import trace

from eigen_common import security

_TRACEPARENT_RE = re.compile(r"^00-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}$")


@dataclass(frozen=True)
class AuthContext:
    """Who is calling: ``subject``, ``roles`` (admin/user/readonly) and ``tenant``."""

    subject: str
    roles: tuple[str, ...]
    tenant: str

    def to_metadata(self) -> list[tuple[str, str]]:
        """Return the ``x-eigen-*`` metadata pairs."""
        return [
            ("x-eigen-sub", self.subject),
            ("x-eigen-roles", ",".join(self.roles)),
            ("x-eigen-tenant", self.tenant),
        ]

    @classmethod
    def from_metadata(cls, md: Sequence[tuple[str, str | bytes]] | None) -> AuthContext | None:
        """Read the ``x-eigen-*`` pairs; ``None`` when no tenant is present."""
        d = {k: (v.decode() if isinstance(v, bytes) else v) for k, v in (md or ())}
        tenant = d.get("x-eigen-tenant")
        if not tenant:
            return None
        roles = tuple(r for r in d.get("x-eigen-roles", "").split(",") if r)
        return cls(d.get("x-eigen-sub", ""), roles, tenant)


trace_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("trace_id", default="")
traceparent_var: contextvars.ContextVar[str] = contextvars.ContextVar("traceparent", default="")
auth_var: contextvars.ContextVar[AuthContext | None] = contextvars.ContextVar("auth", default=None)


def new_traceparent(trace_id: str | None = None) -> str:
    """Return a W3C traceparent ``00-<32 hex trace id>-<16 hex span id>-01``."""
    return f"00-{trace_id or secrets.token_hex(16)}-{secrets.token_hex(8)}-01"


def parse_traceparent(value: str) -> str | None:
    """Return the trace id of a valid traceparent, else ``None``."""
    m = _TRACEPARENT_RE.match(value.strip().lower()) if value else None
    if not m or m.group(1) == "0" * 32:
        return None
    return m.group(1)


def outgoing_metadata(job_id: str = "") -> list[tuple[str, str]]:
    """Metadata for an internal call: a child traceparent, the auth context, the stack secret.

    ``job_id`` (optional) is sent as ``x-eigen-job-id`` for the callee's logs.
    """
    md: list[tuple[str, str]] = []
    span = trace.get_current_span().get_span_context()
    if span.is_valid:
        md.append(("traceparent", f"00-{span.trace_id:032x}-{span.span_id:016x}-01"))
    else:
        md.append(("traceparent", new_traceparent(trace_id_var.get() or None)))
    auth = auth_var.get()
    if auth is not None:
        md.extend(auth.to_metadata())
    if job_id:
        md.append(("x-eigen-job-id", job_id))
    md.extend(security.client().metadata())
    return md
