"""Composition root of the driver-manager: ``build(settings)`` calls every constructor."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from eigen.driver.v1 import driver_pb2_grpc
from eigen_common.server import App, ServiceBinding
from eigen_driver_manager.manager import DriverManager
from eigen_driver_manager.registry import build as build_registry
from eigen_driver_manager.servicer import SERVICE_NAME, DriverManagerServicer
from eigen_driver_manager.settings import DriverManagerSettings


@dataclass(kw_only=True)
class DriverManagerApp(App):
    """The wired driver-manager; ``manager`` routes calls to the loaded drivers."""

    manager: DriverManager = field(repr=False)


def configure_openmp(settings: DriverManagerSettings) -> None:
    """Bound how long idle OpenMP workers spin (libgomp reads it when Aer first loads).

    By default idle OpenMP workers spin for a long time after each parallel region, burning CPU
    the other services need on a small machine; fully passive waiting slows large simulations
    instead. Measured in-process (Aer 0.18, 2 cores):
    default: Bell 1.95 ms wall / 8.9 ms CPU, QFT-20 250 ms; passive: Bell 2.5 ms / 2.4 ms CPU,
    QFT-20 404 ms; 100000: Bell 1.7 ms / 4.9 ms CPU, QFT-20 258 ms (bounded spin keeps both).
    An explicit ``GOMP_SPINCOUNT`` or ``OMP_WAIT_POLICY`` in the environment still wins; 0 in
    ``settings.omp_spin_count`` leaves the library default.
    """
    if settings.omp_spin_count and "OMP_WAIT_POLICY" not in os.environ:
        os.environ.setdefault("GOMP_SPINCOUNT", str(settings.omp_spin_count))


def build(settings: DriverManagerSettings) -> DriverManagerApp:
    """Load the drivers and wire the service (drivers that fail to load are reported)."""
    configure_openmp(settings)  # before any driver imports Aer
    manager = DriverManager(
        build_registry(settings),
        max_workers=settings.max_workers,
        max_shots=settings.max_shots,
        max_state_bytes=min(settings.max_saved_state_bytes, settings.max_message_bytes - 65536),
    )

    async def close() -> None:
        manager.close()

    return DriverManagerApp(
        service=settings.service_name,
        settings=settings,
        bindings=[
            ServiceBinding(
                DriverManagerServicer(manager),
                driver_pb2_grpc.add_DriverManagerServiceServicer_to_server,
                SERVICE_NAME,
            )
        ],
        on_stopping=[close],
        manager=manager,
    )
