"""Nothing internal on the wire (SPEC §3.3, §11): scrub errors before they leave the edge.

A failed internal call can carry gRPC's own text (``failed to connect to all addresses; last
error: UNKNOWN: ipv4:127.0.0.1:50052: Connection refused``) or an internal service's message
naming a host:port or a file path. Every error the edge returns passes through :func:`scrub`:
addresses, socket URIs and absolute paths in messages, ErrorInfo metadata, field violations
and diagnostics are replaced by placeholders; ``qfs://`` references are kept (they are
public). (A connection failure, which has no rich status, is reworded by the edge to name the
service instead: "the kernel is unavailable".)
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any, cast

import grpc
from grpc_status import rpc_status

from eigen_common import errors
from eigen_common.status import from_rpc_error

_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    # grpc target / peer URIs: ipv4:1.2.3.4:5, ipv6:[::1]:5, unix:/run/x.sock, dns:///h:5
    (re.compile(r"\b(?:ipv4|ipv6|unix|unix-abstract|dns|vsock):[^\s,;'\"()]+"), "<internal>"),
    # IPv6 literal with port, IPv4 with or without port
    (re.compile(r"\[[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*\](?::\d+)?"), "<internal>"),
    (re.compile(r"(?<![\w.])(?:\d{1,3}\.){3}\d{1,3}(?::\d{1,5})?(?![\w.])"), "<internal>"),
    # host:port (localhost or a dotted/dashed host name followed by a port)
    (
        re.compile(r"(?<![\w/])(?:localhost|[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+):\d{2,5}\b"),
        "<internal>",
    ),
    # absolute file paths (two segments or more), but not the path part of a URI (qfs://...)
    (re.compile(r"(?<![\w.:/])(?:/[\w.@+-]+){2,}/?"), "<path>"),
)


def scrub_text(text: str) -> str:
    """``text`` with internal addresses and absolute paths replaced."""
    for pattern, repl in _PATTERNS:
        text = pattern.sub(repl, text)
    return text


def scrub(err: errors.EigenError) -> errors.EigenError:
    """Scrub ``err`` in place (message, ErrorInfo metadata, violations, diagnostics); return it."""
    err.message = scrub_text(err.message)
    err.args = (err.message,)
    err.metadata = {k: scrub_text(v) for k, v in err.metadata.items()}
    err.violations = [
        errors.FieldViolation(v.field, scrub_text(v.description)) for v in err.violations
    ]
    err.diagnostics = [
        replace(d, message=scrub_text(d.message), hint=scrub_text(d.hint)) for d in err.diagnostics
    ]
    return err


def internal_error(exc: grpc.RpcError, backend: str) -> errors.EigenError:
    """The public error of a failed internal call: typed, scrubbed, no address.

    A call that never reached the service (UNAVAILABLE without a rich status) names the
    service instead of gRPC's ``ipv4:host:port`` text.
    """
    rich = None
    try:
        rich = rpc_status.from_call(cast(Any, exc))
    except (ValueError, AttributeError):
        rich = None
    code = exc.code() if hasattr(exc, "code") else None
    if rich is None and code == grpc.StatusCode.UNAVAILABLE:
        return errors.ServiceUnavailableError(
            f"the {backend} is unavailable; retry shortly", metadata={"service": backend}
        )
    return scrub(from_rpc_error(exc))
