"""Composition root: the only place that constructs the compiler's objects."""

from __future__ import annotations

import asyncio
import gc
from dataclasses import dataclass, field

from eigen.compiler.v1 import compiler_pb2_grpc
from eigen_common.server import App, RunningServer, ServiceBinding
from eigen_compiler.metrics import CompilerMetrics
from eigen_compiler.optimize import PassManagerCache
from eigen_compiler.pipeline import Compiler
from eigen_compiler.servicer import CompilationServicer
from eigen_compiler.settings import CompilerSettings

SERVICE_NAME = "eigen.compiler.v1.CompilationService"


def build_compiler(settings: CompilerSettings, metrics: CompilerMetrics | None = None) -> Compiler:
    """Build the domain :class:`Compiler` (pass managers are built lazily, see :func:`main`)."""
    return Compiler(
        settings.limits(),
        PassManagerCache(settings.seed_transpiler),
        metrics,
        settings.default_optimization_level,
    )


def warm_and_freeze(compiler: Compiler, *levels: int) -> None:
    """Build the pass managers of ``levels``, then move every live object out of the GC's reach.

    The cyclic garbage collector's full collections otherwise re-traverse all of Qiskit's
    import-time objects during a large compile (about a third of a 1000-qubit compile, see
    docs/benchmarks.md); ``gc.freeze`` exempts what exists at start-up, reference counting
    still frees it.
    """
    compiler.pass_managers.warm(*levels)
    gc.collect()
    gc.freeze()


def binding(compiler: Compiler) -> ServiceBinding:
    """The gRPC binding of the compilation service."""
    return ServiceBinding(
        CompilationServicer(compiler),
        compiler_pb2_grpc.add_CompilationServiceServicer_to_server,
        SERVICE_NAME,
    )


@dataclass(kw_only=True)
class CompilerApp(App):
    """The wired compiler service; ``compiler`` is the domain compiler it serves."""

    compiler: Compiler = field(repr=False)


def build(settings: CompilerSettings) -> CompilerApp:
    """Wire the compiler service.

    The default level's pass manager is built (and the heap frozen, see
    :func:`warm_and_freeze`) in a thread right after start-up.
    """
    compiler = build_compiler(settings, CompilerMetrics.shared())
    warm_tasks: set[asyncio.Task[None]] = set()

    async def warm(_: RunningServer) -> None:
        task = asyncio.create_task(
            asyncio.to_thread(warm_and_freeze, compiler, settings.default_optimization_level)
        )
        warm_tasks.add(task)
        task.add_done_callback(warm_tasks.discard)

    async def close() -> None:
        for task in list(warm_tasks):
            await task

    return CompilerApp(
        service=settings.service_name,
        settings=settings,
        bindings=[binding(compiler)],
        on_started=[warm],
        on_stopping=[close],
        compiler=compiler,
    )
