"""Client channels with sane defaults, and the per-call metadata/deadline convention."""

from __future__ import annotations

import json
from typing import Any

import grpc

#: No retryPolicy here: UNAVAILABLE is retried once, by the caller's bounded exponential backoff
#: (the kernel's pipeline, SPEC §7). gRPC still retries transparently when a call never left
#: the client. A channel policy as well would multiply attempts (4 × 5 = 20).
_SERVICE_CONFIG = json.dumps({"methodConfig": [{"name": [{}], "waitForReady": False}]})


def channel_options(max_message_bytes: int = 16 * 1024 * 1024) -> list[tuple[str, Any]]:
    """Options for internal channels: message limits, keepalive, no retry policy."""
    return [
        ("grpc.max_receive_message_length", max_message_bytes),
        ("grpc.max_send_message_length", max_message_bytes),
        ("grpc.service_config", _SERVICE_CONFIG),
        ("grpc.keepalive_time_ms", 30_000),
    ]


def create_channel(target: str, max_message_bytes: int = 16 * 1024 * 1024) -> grpc.aio.Channel:
    """Return an insecure ``grpc.aio`` channel to ``target`` (``host:port``) on a private network.

    Every call made on it must pass ``timeout=`` (seconds): there is no default deadline.
    """
    return grpc.aio.insecure_channel(target, options=channel_options(max_message_bytes))
