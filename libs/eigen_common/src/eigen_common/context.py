"""Per-request context carried across gRPC hops: auth context, job id, stack secret.

- The W3C ``traceparent`` is OpenTelemetry's business (:mod:`eigen_common.tracing`): the gRPC
  instrumentation extracts it on every server and sends it on every internal channel.
- The auth context travels as metadata ``x-eigen-sub``, ``x-eigen-roles`` (comma-separated),
  ``x-eigen-tenant`` (SPEC §11); only system-api sets it, from the verified credential.
- The per-stack secret ``x-eigen-internal`` rides along when this process has one
  (:mod:`eigen_common.security`); servers trust ``x-eigen-*`` only from callers that sent it.
The auth context lives in a ``contextvar`` so outgoing calls pick it up.
"""

from __future__ import annotations

import contextvars
from collections.abc import Sequence
from dataclasses import dataclass

from eigen_common import security


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


auth_var: contextvars.ContextVar[AuthContext | None] = contextvars.ContextVar("auth", default=None)


def outgoing_metadata(job_id: str = "") -> list[tuple[str, str]]:
    """Metadata for an internal call: the auth context and the stack secret.

    ``job_id`` (optional) is sent as ``x-eigen-job-id`` for the callee's logs. The
    ``traceparent`` is not here: the channel's OpenTelemetry interceptor adds it
    (:func:`eigen_common.tracing.client_interceptors`).
    """
    md: list[tuple[str, str]] = []
    auth = auth_var.get()
    if auth is not None:
        md.extend(auth.to_metadata())
    if job_id:
        md.append(("x-eigen-job-id", job_id))
    md.extend(security.client().metadata())
    return md
