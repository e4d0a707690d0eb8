"""Composition root: the only place that constructs the compiler's objects."""

from __future__ import annotations

import asyncio
import gc
from dataclasses import dataclass, field

from grpc_health.v1 import health_pb2

from eigen.compiler.v1 import compiler_pb2_grpc
from eigen_common.server import App, RunningServer, ServiceBinding
from eigen_compiler.metrics import CompilerMetrics
from eigen_compiler.optimize import PassManagerCache
from eigen_compiler.pipeline import Compiler
from eigen_compiler.sandbox.pool import Sandbox
from eigen_compiler.service import CompileService
from eigen_compiler.servicer import CompilationServicer
from eigen_compiler.settings import CompilerSettings

SERVICE_NAME = "eigen.compiler.v1.CompilationService"


def build_compiler(settings: CompilerSettings, metrics: CompilerMetrics | None = None) -> Compiler:
    """Build an in-process :class:`Compiler` (benchmarks, tests; the service uses workers)."""
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
    still frees it. Each sandbox worker does the same after warming up.
    """
    compiler.pass_managers.warm(*levels)
    gc.collect()
    gc.freeze()


def build_sandbox(settings: CompilerSettings, metrics: CompilerMetrics | None = None) -> Sandbox:
    """The worker pool that runs every compilation of the service under its budget."""
    return Sandbox(
        settings.worker_config(),
        settings.sandbox_workers,
        settings.sandbox_seconds,
        settings.sandbox_queue_seconds,
        metrics,
    )


def binding(backend: CompileService) -> ServiceBinding:
    """The gRPC binding of the compilation service."""
    return ServiceBinding(
        CompilationServicer(backend),
        compiler_pb2_grpc.add_CompilationServiceServicer_to_server,
        SERVICE_NAME,
    )


@dataclass(kw_only=True)
class CompilerApp(App):
    """The wired compiler service; ``sandbox`` runs its compilations."""

    sandbox: Sandbox = field(repr=False)


def build(settings: CompilerSettings) -> CompilerApp:
    """Wire the compiler service: the servicer over a sandbox of warm worker processes.

    The workers start once the server listens; health reports NOT_SERVING until the first one
    is ready (calls made before then wait for it, up to ``sandbox_queue_seconds``).
    """
    sandbox = build_sandbox(settings, CompilerMetrics.shared())
    tasks: set[asyncio.Task[None]] = set()

    async def start(running: RunningServer) -> None:
        names = [SERVICE_NAME, ""]
        for name in names:
            await running.health.set(name, health_pb2.HealthCheckResponse.NOT_SERVING)
        await sandbox.start()

        async def serving_when_ready() -> None:
            await sandbox.wait_ready(1)
            for name in names:
                await running.health.set(name, health_pb2.HealthCheckResponse.SERVING)

        task = asyncio.create_task(serving_when_ready())
        tasks.add(task)
        task.add_done_callback(tasks.discard)

    async def close() -> None:
        for task in list(tasks):
            task.cancel()
        await sandbox.close()

    return CompilerApp(
        service=settings.service_name,
        settings=settings,
        bindings=[binding(sandbox)],
        on_started=[start],
        on_stopping=[close],
        sandbox=sandbox,
    )
