"""Composition root of the kernel: ``build(settings)`` is the only place that calls constructors."""

from __future__ import annotations

from dataclasses import dataclass, field

from eigen.kernel.v1 import kernel_pb2_grpc
from eigen_common.server import App, ServiceBinding
from eigen_kernel.clients import GrpcCompiler, GrpcDriverManager
from eigen_kernel.qfs import Qfs
from eigen_kernel.scheduler import JobManager, KernelConfig
from eigen_kernel.servicer import KernelGateway
from eigen_kernel.settings import KernelSettings
from eigen_kernel.store import JobStore


@dataclass(kw_only=True)
class KernelApp(App):
    """The wired kernel; ``jobs`` is its job manager (tests look inside through it)."""

    jobs: JobManager = field(repr=False)


def build(settings: KernelSettings) -> KernelApp:
    """Wire store, QFS, clients and the job manager from settings.

    Unfinished jobs are resumed before the port is bound (``on_starting``), so a job submitted
    during start-up cannot be picked up a second time by recovery. On stop, pipelines are
    stopped (their states are kept for the next start), then clients and the store close.
    """
    settings.home.mkdir(parents=True, exist_ok=True)
    store = JobStore(settings.home / "jobs.db")
    qfs = Qfs(settings.home / "qfs")
    compiler = GrpcCompiler(settings.compiler_address, settings.max_message_bytes)
    driver = GrpcDriverManager(settings.driver_manager_address, settings.max_message_bytes)
    config = KernelConfig(
        compile_timeout=settings.compile_timeout,
        execute_timeout=settings.execute_timeout,
        device_slots=settings.device_slots,
        heartbeat_seconds=settings.heartbeat_seconds,
        retry_attempts=settings.retry_attempts,
        retry_base_seconds=settings.retry_base_seconds,
        compile_cache_size=settings.compile_cache_size,
    )
    jobs = JobManager(store, qfs, compiler, driver, config)

    async def recover() -> None:
        jobs.recover()

    async def close() -> None:
        await jobs.shutdown()
        await compiler.close()
        await driver.close()
        store.close()

    return KernelApp(
        service=settings.service_name,
        settings=settings,
        bindings=[
            ServiceBinding(
                KernelGateway(jobs),
                kernel_pb2_grpc.add_KernelGatewayServiceServicer_to_server,
                "eigen.kernel.v1.KernelGatewayService",
            )
        ],
        on_starting=[recover],
        on_stopping=[close],
        jobs=jobs,
    )
