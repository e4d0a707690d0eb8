"""Composition root of the kernel: ``build(settings)`` is the only place that calls constructors.

Follow one job through what is wired here: ``KernelGateway.EnqueueJob`` → ``JobService.submit``
(persist, PENDING) → ``Runtime.accept`` → ``Admission.run`` (compile, QUEUED) →
``Dependencies.admit`` → ``Scheduler.enqueue`` (a queue entry; ``SchedulingPolicy`` decides) →
``Runtime._dispatched`` → ``Execution.run`` (ALLOCATING, EXECUTING, driver, COMPLETED with its
outcome) → ``Lifecycle`` terminal hooks (slot freed, dependants released).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from eigen.kernel.v1 import kernel_pb2_grpc
from eigen_common.server import App, ServiceBinding
from eigen_kernel.admission import Admission
from eigen_kernel.artifacts import Artifacts
from eigen_kernel.blobs import LocalBlobStore
from eigen_kernel.blobs_s3 import S3BlobStore
from eigen_kernel.catalog import DeviceCatalog
from eigen_kernel.clients import GrpcCompiler, GrpcDriverManager
from eigen_kernel.compile_cache import CompileCache
from eigen_kernel.dependencies import Dependencies
from eigen_kernel.devices import DeviceDirectory
from eigen_kernel.driver_pool import DriverPool, parse_addresses
from eigen_kernel.execution import Execution
from eigen_kernel.hybrid import HybridStage
from eigen_kernel.jobs import JobService
from eigen_kernel.lifecycle import EventBus, Lifecycle
from eigen_kernel.policy import PolicyConfig, SchedulingPolicy
from eigen_kernel.ports import BlobStore, CompilerPort, DriverPort, Feed, JobStore
from eigen_kernel.reservations import Reservations
from eigen_kernel.retention import Retention, RetentionPolicy
from eigen_kernel.retry import Patience
from eigen_kernel.runtime import Runtime
from eigen_kernel.scheduler import DeviceStats, Scheduler
from eigen_kernel.servicer import KernelGateway
from eigen_kernel.settings import KernelSettings
from eigen_kernel.store import SqliteJobStore
from eigen_kernel.store_postgres import PostgresFeed, PostgresJobStore
from eigen_kernel.timers import Timers
from eigen_kernel.training import TrainingStage
from eigen_kernel.transpile import DeviceTranspiler


@dataclass
class Qrtx:
    """The kernel's parts, wired (tests look inside through these)."""

    store: JobStore
    artifacts: Artifacts
    lifecycle: Lifecycle
    scheduler: Scheduler
    runtime: Runtime
    jobs: JobService
    devices: DeviceDirectory
    reservations: Reservations
    retention: Retention
    transpiler: DeviceTranspiler

    async def start(self, wait_for_devices: float = 0.0) -> None:
        """Resume unfinished jobs and reservations; start background work.

        On a first start (no saved device list) waits up to ``wait_for_devices`` seconds for
        the driver-manager, so the first submissions can resolve their targets.
        """
        if wait_for_devices:
            await self.runtime.catalog.wait_known(wait_for_devices)
        self.runtime.recover()
        self.retention.start()

    async def stop(self) -> None:
        """Stop work (job states are kept for the next start) and persist statistics."""
        await self.retention.stop()
        await self.runtime.shutdown()
        if self.scheduler.stats.dirty:
            self.store.save_device_stats(self.scheduler.stats.snapshot())


def assemble(
    settings: KernelSettings,
    store: JobStore,
    compiler: CompilerPort,
    driver: DriverPort,
    feed: Feed | None = None,
    blobs: BlobStore | None = None,
) -> Qrtx:
    """Wire the kernel's parts over a store and the two backends (tests pass doubles).

    ``feed``: notices from other kernels sharing the store (PostgreSQL); None for one kernel.
    ``blobs``: the QFS blob store (default: ``home/qfs`` on the local disk).
    """
    blobs = blobs if blobs is not None else LocalBlobStore(settings.home / "qfs")
    artifacts = Artifacts(store, blobs)
    bus = EventBus()
    lifecycle = Lifecycle(store, bus, settings.kernel_id)
    policy = SchedulingPolicy(PolicyConfig(settings.aging_seconds, settings.tenant_running_cap))
    stats = DeviceStats(store.device_stats(), settings.default_execution_seconds)
    scheduler = Scheduler(policy, stats, settings.device_slots, batch=settings.batch_size)
    catalog = DeviceCatalog(driver, store, settings.device_refresh_seconds, settings.target_aliases)
    patience = Patience(
        settings.retry_base_seconds, settings.retry_cap_seconds, settings.backend_patience_seconds
    )
    timers = Timers()
    dependencies = Dependencies(store, lifecycle)
    admission = Admission(
        lifecycle,
        store,
        artifacts,
        compiler,
        CompileCache(settings.compile_cache_size, store, artifacts.load_compiled),
        catalog,
        patience,
        settings.compile_timeout,
    )
    hybrid = HybridStage(lifecycle, store, artifacts, driver, patience, settings.execute_timeout)
    execution = Execution(
        lifecycle,
        artifacts,
        driver,
        hybrid,
        patience,
        settings.execute_timeout,
        scheduler.set_backend_wait,
        scheduler.measured,
        store=store,
        catalog=catalog,
        vendor_poll_seconds=settings.vendor_poll_seconds,
        batch_limits=(settings.batch_max_qubits, settings.batch_max_shots),
        training=TrainingStage(
            lifecycle, store, artifacts, driver, patience, settings.execute_timeout
        ),
    )
    reservations = Reservations(store, scheduler, catalog, lifecycle, timers)
    runtime = Runtime(
        store, lifecycle, catalog, scheduler, dependencies, admission, execution, reservations,
        driver, timers, feed, settings.lease_seconds,
    )  # fmt: skip
    reservations.owns = runtime.own
    jobs = JobService(
        store,
        bus,
        lifecycle,
        runtime,
        scheduler,
        catalog,
        reservations,
        artifacts,
        settings.heartbeat_seconds,
        settings.tenant_queued_cap,
    )
    retention = Retention(
        store,
        artifacts,
        RetentionPolicy(
            settings.retention_days * 86_400.0,
            settings.retention_max_jobs,
            settings.retention_interval_seconds,
        ),
    )
    transpiler = DeviceTranspiler(catalog, driver, settings.compile_timeout)
    return Qrtx(
        store, artifacts, lifecycle, scheduler, runtime, jobs, DeviceDirectory(catalog, scheduler),
        reservations, retention, transpiler,
    )  # fmt: skip


@dataclass(kw_only=True)
class KernelApp(App):
    """The wired kernel service; ``qrtx`` holds its parts."""

    qrtx: Qrtx = field(repr=False)


def build(settings: KernelSettings) -> KernelApp:
    """Wire store, QFS, clients and the kernel from settings.

    Backends (SPEC §14): SQLite in ``home`` or PostgreSQL (``store_url``, with its feed of
    notices between kernels); the local ``home/qfs`` or S3 (``qfs_url``); one driver-manager
    or a pool of several (``driver_manager_addresses``).

    Unfinished jobs are resumed before the port is bound (``on_starting``), so a job submitted
    during start-up cannot be picked up a second time by recovery. On stop, tasks stop (their
    states are kept for the next start), then clients and the store close.
    """
    settings.home.mkdir(parents=True, exist_ok=True)
    store, feed = _store(settings)
    blobs = S3BlobStore(settings.qfs_url) if settings.qfs_url else None
    compiler = GrpcCompiler(settings.compiler_address, settings.max_message_bytes)
    driver = _driver(settings)
    qrtx = assemble(settings, store, compiler, driver, feed, blobs)

    async def close() -> None:
        await qrtx.stop()
        await compiler.close()
        await driver.close()
        store.close()

    return KernelApp(
        service=settings.service_name,
        settings=settings,
        bindings=[
            ServiceBinding(
                KernelGateway(
                    qrtx.jobs, qrtx.devices, qrtx.reservations, qrtx.retention, qrtx.transpiler
                ),
                kernel_pb2_grpc.add_KernelGatewayServiceServicer_to_server,
                "eigen.kernel.v1.KernelGatewayService",
            )
        ],
        on_starting=[lambda: qrtx.start(settings.first_device_wait_seconds)],
        on_stopping=[close],
        qrtx=qrtx,
    )


def _store(settings: KernelSettings) -> tuple[JobStore, Feed | None]:
    """The job store of ``settings`` and, for a shared one, its feed of notices."""
    url = settings.store_url.get_secret_value()
    if not url:
        return SqliteJobStore(settings.home / "jobs.db"), None
    return PostgresJobStore(url, settings.kernel_id), PostgresFeed(url)


def _driver(settings: KernelSettings) -> GrpcDriverManager | DriverPool:
    """One driver-manager client, or a pool when several (or a DNS name) are configured."""
    if not settings.driver_manager_addresses:
        return GrpcDriverManager(settings.driver_manager_address, settings.max_message_bytes)
    entries = parse_addresses(settings.driver_manager_addresses)
    if len(entries) == 1 and not entries[0].startswith("dns:"):
        return GrpcDriverManager(entries[0], settings.max_message_bytes)
    return DriverPool(entries, lambda a: GrpcDriverManager(a, settings.max_message_bytes))
