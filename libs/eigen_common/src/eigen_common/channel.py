"""Client channels with sane defaults, and the per-call metadata/deadline convention."""

from __future__ import annotations

import json
from typing import Any

import grpc

_RETRY_POLICY = json.dumps(
    {
        "methodConfig": [
            {
                "name": [{}],
                "waitForReady": False,
                "retryPolicy": {
                    "maxAttempts": 4,
                    "initialBackoff": "0.05s",
                    "maxBackoff": "1s",
                    "backoffMultiplier": 2,
                    "retryableStatusCodes": ["UNAVAILABLE"],
                },
            }
        ]
    }
)


def channel_options(max_message_bytes: int = 16 * 1024 * 1024) -> list[tuple[str, Any]]:
    """Options for internal channels: message limits, transparent UNAVAILABLE retries."""
    return [
        ("grpc.max_receive_message_length", max_message_bytes),
        ("grpc.max_send_message_length", max_message_bytes),
        ("grpc.enable_retries", 1),
        ("grpc.service_config", _RETRY_POLICY),
        ("grpc.keepalive_time_ms", 30_000),
    ]


def create_channel(target: str, max_message_bytes: int = 16 * 1024 * 1024) -> grpc.aio.Channel:
    """Return an insecure ``grpc.aio`` channel to ``target`` (``host:port``) on a private network.

    Every call made on it must pass ``timeout=`` (seconds): there is no default deadline.
    """
    return grpc.aio.insecure_channel(target, options=channel_options(max_message_bytes))
