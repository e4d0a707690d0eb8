"""Ports of the kernel domain (typing.Protocol): the compiler and the driver-manager.

Adapters over gRPC live in :mod:`eigen_kernel.clients`. Implementations raise
:mod:`eigen_common.errors` types (e.g. ``CompilationFailedError``, ``UnavailableError``).
"""

from __future__ import annotations

from typing import Protocol

from eigen_kernel.domain import CompiledProgram, Device, ExecutionOutcome, Submission


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
