"""Composition root: the only place that constructs the compiler's objects."""

from __future__ import annotations

import asyncio

from eigen.compiler.v1 import compiler_pb2_grpc
from eigen_common.server import RunningServer, ServiceBinding, serve
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


def binding(compiler: Compiler) -> ServiceBinding:
    """The gRPC binding of the compilation service."""
    return ServiceBinding(
        CompilationServicer(compiler),
        compiler_pb2_grpc.add_CompilationServiceServicer_to_server,
        SERVICE_NAME,
    )


async def main(settings: CompilerSettings) -> None:
    """Serve until SIGTERM; the default level's pass manager is built right after start-up."""
    compiler = build_compiler(settings, CompilerMetrics())
    warm_tasks: set[asyncio.Task[None]] = set()

    async def warm(_: RunningServer) -> None:
        task = asyncio.create_task(
            asyncio.to_thread(compiler.pass_managers.warm, settings.default_optimization_level)
        )
        warm_tasks.add(task)
        task.add_done_callback(warm_tasks.discard)

    await serve(
        "compiler",
        [binding(compiler)],
        f"{settings.host}:{settings.port}",
        metrics_port=settings.metrics_port,
        metrics_host=settings.host,
        grace_seconds=settings.grace_seconds,
        max_message_bytes=settings.max_message_bytes,
        on_started=warm,
    )
