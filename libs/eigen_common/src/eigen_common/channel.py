"""Client channels with sane defaults, and the per-call metadata/deadline convention."""

from __future__ import annotations

import json
from typing import Any

import grpc

from eigen_common import security as _security
from eigen_common import tracing

#: No retryPolicy here: UNAVAILABLE is retried once, by the caller's bounded exponential backoff
#: (the kernel's pipeline, SPEC §7). gRPC still retries transparently when a call never left
#: the client. A channel policy as well would multiply attempts (4 × 5 = 20).
# round_robin: a target that resolves to several addresses (``dns:///kernel:50052`` behind a
# headless service, ``ipv4:10.0.0.1:50052,10.0.0.2:50052``) spreads calls over all of them
# instead of pinning every call to the first (gRPC's default pick_first).
_SERVICE_CONFIG = json.dumps(
    {
        "loadBalancingConfig": [{"round_robin": {}}],
        "methodConfig": [{"name": [{}], "waitForReady": False}],
    }
)


def channel_options(max_message_bytes: int = 16 * 1024 * 1024) -> list[tuple[str, Any]]:
    """Options for internal channels: message limits, keepalive, reconnects within 1 s.

    No retry policy (see above). gRPC's default reconnect backoff (1 s, × 1.6 per attempt, up
    to 120 s) left the system-api ~10 s behind a kernel that restarted in 2 s (issue 11's
    restart goal is ≤ 5 s); internal peers are few and near, so a retry a second is cheap.
    """
    return [
        ("grpc.max_receive_message_length", max_message_bytes),
        ("grpc.max_send_message_length", max_message_bytes),
        ("grpc.service_config", _SERVICE_CONFIG),
        ("grpc.keepalive_time_ms", 30_000),
        ("grpc.initial_reconnect_backoff_ms", 100),
        ("grpc.min_reconnect_backoff_ms", 100),
        ("grpc.max_reconnect_backoff_ms", 1_000),
    ]


def create_channel(
    target: str,
    max_message_bytes: int = 16 * 1024 * 1024,
    *,
    security: _security.ClientSecurity | None = None,
) -> grpc.aio.Channel:
    """Return a ``grpc.aio`` channel to the internal service at ``target`` (``host:port``).

    ``target`` may name several replicas (``ipv4:a:p,b:p`` or a DNS name with several
    addresses): calls are spread round-robin over the ready ones.

    TLS (with this service's certificate as the client certificate) when ``security`` — by
    default this process's, :func:`eigen_common.security.configure` — has channel credentials,
    else plaintext. The per-stack secret is not a channel property: every internal call sends
    it through :func:`eigen_common.context.outgoing_metadata`. OpenTelemetry's client
    interceptors (:func:`eigen_common.tracing.client_interceptors`) make a CLIENT span per call
    and send its W3C ``traceparent``.

    Every call made on it must pass ``timeout=`` (seconds): there is no default deadline.
    """
    sec = security or _security.client()
    options = channel_options(max_message_bytes)
    interceptors = tracing.client_interceptors()
    if sec.credentials is None:
        return grpc.aio.insecure_channel(target, options=options, interceptors=interceptors)
    if sec.server_name:
        options.append(("grpc.ssl_target_name_override", sec.server_name))
    return grpc.aio.secure_channel(
        target, sec.credentials, options=options, interceptors=interceptors
    )
