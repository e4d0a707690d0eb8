"""Composition root of the kernel: ``build(settings)`` is the only place that calls constructors."""

from __future__ import annotations

from dataclasses import dataclass

from eigen.kernel.v1 import kernel_pb2_grpc
from eigen_common.server import ServiceBinding
from eigen_kernel.clients import GrpcCompiler, GrpcDriverManager
from eigen_kernel.qfs import Qfs
from eigen_kernel.scheduler import JobManager, KernelConfig
from eigen_kernel.servicer import KernelGateway
from eigen_kernel.settings import KernelSettings
from eigen_kernel.store import JobStore


@dataclass
class Kernel:
    """The wired kernel: job manager, its servicer binding and the clients to close."""

    jobs: JobManager
    binding: ServiceBinding
    compiler: GrpcCompiler
    driver: GrpcDriverManager

    async def close(self) -> None:
        """Stop pipelines (states are kept for recovery) and close clients and the store."""
        await self.jobs.shutdown()
        await self.compiler.close()
        await self.driver.close()
        self.jobs.store.close()


def build(settings: KernelSettings) -> Kernel:
    """Wire store, QFS, clients and the job manager from settings."""
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
    binding = ServiceBinding(
        KernelGateway(jobs),
        kernel_pb2_grpc.add_KernelGatewayServiceServicer_to_server,
        "eigen.kernel.v1.KernelGatewayService",
    )
    return Kernel(jobs, binding, compiler, driver)
