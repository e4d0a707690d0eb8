"""The compile backend the servicer calls: the sandbox in the service, in-process in tests.

Both answer with the same types and the same typed errors; only the sandbox enforces a memory
and CPU budget (see :mod:`eigen_compiler.sandbox`).
"""

from __future__ import annotations

import asyncio
from typing import Protocol

from eigen_compiler.model import Compiled, CompileRequest, ValidationReport
from eigen_compiler.pipeline import Compiler


class CompileService(Protocol):
    """Compile, validate and optimise without blocking the event loop."""

    async def compile(self, request: CompileRequest) -> Compiled:
        """Canonical AQO of ``request`` (raises the typed errors of ``Compiler.compile``)."""
        ...

    async def validate(self, request: CompileRequest) -> ValidationReport:
        """Findings of ``request`` as data."""
        ...

    async def optimize(self, data: bytes, level: int, target: str = "") -> Compiled:
        """``data`` (AQO) re-optimised at ``level``."""
        ...


class InProcess:
    """A :class:`CompileService` running ``compiler`` in a thread of this process (no budget).

    For tests and benchmarks that need the gRPC surface without worker processes.
    """

    def __init__(self, compiler: Compiler) -> None:
        self.compiler = compiler

    async def compile(self, request: CompileRequest) -> Compiled:
        """See :meth:`Compiler.compile`."""
        return await asyncio.to_thread(self.compiler.compile, request)

    async def validate(self, request: CompileRequest) -> ValidationReport:
        """See :meth:`Compiler.validate`."""
        return await asyncio.to_thread(self.compiler.validate, request)

    async def optimize(self, data: bytes, level: int, target: str = "") -> Compiled:
        """See :meth:`Compiler.optimize`."""
        return await asyncio.to_thread(self.compiler.optimize, data, level, target)
