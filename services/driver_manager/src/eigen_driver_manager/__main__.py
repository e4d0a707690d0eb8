"""``python -m eigen_driver_manager``: settings → logging → drivers → gRPC server."""

from __future__ import annotations

import os

# libgomp reads this when Aer loads it. By default idle OpenMP workers spin for a long time
# after each parallel region, burning CPU the other services need on a small machine; fully
# passive waiting slows large simulations instead. Measured in-process (Aer 0.18, 2 cores):
#   default  Bell 1.95 ms wall / 8.9 ms CPU, QFT-20 250 ms
#   passive  Bell 2.5 ms / 2.4 ms CPU,       QFT-20 404 ms
#   100000   Bell 1.7 ms / 4.9 ms CPU,       QFT-20 258 ms   ← bounded spin keeps both
# An explicit GOMP_SPINCOUNT or OMP_WAIT_POLICY in the environment still wins.
if "OMP_WAIT_POLICY" not in os.environ:
    os.environ.setdefault("GOMP_SPINCOUNT", "100000")

import asyncio

from eigen.driver.v1 import driver_pb2_grpc
from eigen_common.logs import configure_logging
from eigen_common.server import ServiceBinding, serve
from eigen_common.tracing import configure_tracing
from eigen_driver_manager.manager import DriverManager
from eigen_driver_manager.registry import build
from eigen_driver_manager.servicer import SERVICE_NAME, DriverManagerServicer
from eigen_driver_manager.settings import DriverManagerSettings


async def main(settings: DriverManagerSettings) -> None:
    """Load the drivers, then serve until SIGTERM/SIGINT (draining calls in flight)."""
    manager = DriverManager(
        build(settings), max_workers=settings.max_workers, max_shots=settings.max_shots
    )
    binding = ServiceBinding(
        DriverManagerServicer(manager),
        driver_pb2_grpc.add_DriverManagerServiceServicer_to_server,
        SERVICE_NAME,
    )
    try:
        await serve(
            "driver-manager",
            [binding],
            f"{settings.host}:{settings.port}",
            metrics_port=settings.metrics_port,
            grace_seconds=settings.grace_seconds,
            max_message_bytes=settings.max_message_bytes,
        )
    finally:
        manager.close()


if __name__ == "__main__":
    _settings = DriverManagerSettings()
    configure_logging("driver-manager", _settings.log_level, _settings.log_json)
    configure_tracing("driver-manager", _settings.otel_exporter)
    asyncio.run(main(_settings))
