"""Ports of the kernel domain (typing.Protocol): the compiler and the driver-manager.

Adapters over gRPC live in :mod:`eigen_kernel.clients`. Implementations raise
:mod:`eigen_common.errors` types (e.g. ``CompilationFailedError``, ``UnavailableError``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol

from eigen_common.devices import Device
from eigen_kernel.domain import (
    CompiledProgram,
    EstimateOutcome,
    ExecutionOutcome,
    Submission,
)


class CompilerPort(Protocol):
    """Compiles a submission's program to AQO."""

    async def compile(self, job_id: str, submission: Submission, timeout: float) -> CompiledProgram:
        """Compile; ``timeout`` in seconds."""
        ...


class DriverPort(Protocol):
    """Executes AQO on devices and lists them."""

    async def list_devices(self, timeout: float) -> list[Device]:
        """All devices of all drivers."""
        ...

    async def execute(
        self,
        job_id: str,
        device_id: str,
        aqo_json: bytes,
        shots: int,
        seed: int | None,
        options: dict[str, str],
        parameter_values: dict[str, float],
        timeout: float,
    ) -> ExecutionOutcome:
        """Run a circuit; ``timeout`` in seconds."""
        ...

    async def estimate(
        self,
        job_id: str,
        device_id: str,
        aqo_json: bytes,
        observable: Sequence[tuple[str, float]],
        bindings: Sequence[Mapping[str, float]],
        shots: int | None,
        seed: int | None,
        timeout: float,
    ) -> EstimateOutcome:
        """Expectation values of ``observable`` for each binding of the parametrised circuit.

        ``shots`` None = exact; otherwise shots per measurement group. ``timeout`` in seconds.
        """
        ...
