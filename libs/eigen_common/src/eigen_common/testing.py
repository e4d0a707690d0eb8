"""Test helpers: start servicers in-process on port 0 and read the bound port back."""

from __future__ import annotations

from collections.abc import Sequence

from eigen_common.server import RunningServer, ServiceBinding, create_server


async def start_test_server(service: str, bindings: Sequence[ServiceBinding]) -> RunningServer:
    """Start ``bindings`` on ``127.0.0.1:0``; the caller stops it with ``await running.stop(0)``."""
    return await create_server(service, bindings, "127.0.0.1:0")
