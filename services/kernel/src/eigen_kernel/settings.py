"""Kernel settings (env prefix ``EIGEN_KERNEL_``), parsed once in ``__main__``."""

from __future__ import annotations

import os
import secrets
import socket
from pathlib import Path
from typing import ClassVar

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import SettingsConfigDict

from eigen_common.settings import ServiceSettings


class KernelSettings(ServiceSettings):
    """Kernel configuration; times in seconds; ``home`` holds ``jobs.db`` and ``qfs/``.

    Attributes:
        device_slots: concurrent executions per device when its driver declares none.
        batch_size: small plain jobs one slot of a (synchronous) device runs together in one
            driver call (ExecuteCircuitBatch; 1 = no batches). Issue 9.
        batch_max_qubits / batch_max_shots: what counts as small: a job joins a batch only
            within both.
        aging_seconds: waiting this long raises a job's effective priority by 1 (SPEC §12).
        tenant_running_cap: most jobs one tenant runs at once across devices (0 = no cap).
        backend_patience_seconds: how long a job waits out an unavailable compiler or
            driver-manager before it fails (bounded by its own timeout).
        retry_base_seconds / retry_cap_seconds: backoff while waiting.
        device_refresh_seconds: how often the device list is refreshed in the background.
        target_aliases: extra target names (SPEC §13: the seed's ``simulator`` → ``sim:local``).
        default_execution_seconds: assumed execution time on a device before the first one is
            measured (queue estimates).
        retention_days / retention_max_jobs / retention_interval_seconds: terminal jobs are
            removed past this age (0 = never) or beyond this many (0 = no limit), swept this
            often.
        first_device_wait_seconds: on a first start (no saved device list), how long to wait
            for the driver-manager before serving.
        tenant_queued_cap: most unfinished jobs one tenant may have (0 = no cap); checked in
            the same step that stores a job (RESOURCE_EXHAUSTED with QuotaFailure).
        vendor_poll_seconds: longest single wait (long poll) on a vendor execution.
        kernel_id: this kernel's name among replicas sharing a store (unique per process).
        lease_seconds: a device's scheduling lease; another kernel takes the device over
            this long after its owner died (SPEC §14).
        store_url: the job store: '' = SQLite in ``home`` (embedded default), or
            ``postgresql://user:password@host:port/db`` — shared by several kernels (SPEC §14).
        qfs_url: the blob store: '' = ``home/qfs`` (embedded default), or
            ``s3://bucket/prefix`` with the standard ``AWS_*``/``AWS_ENDPOINT_URL`` variables.
        driver_manager_addresses: several driver-managers, comma-separated ``host:port`` or
            ``dns:name:port`` (every address of the name); '' = ``driver_manager_address``.
    """

    model_config = SettingsConfigDict(env_prefix="EIGEN_KERNEL_")

    service_name: ClassVar[str] = "kernel"

    port: int = Field(default=50052, ge=0, le=65535)
    metrics_port: int = Field(default=9102, ge=0, le=65535)
    home: Path = Path.home() / ".eigen" / "kernel"
    compiler_address: str = "127.0.0.1:50053"
    driver_manager_address: str = "127.0.0.1:50054"
    compile_timeout: float = Field(default=60.0, gt=0)
    execute_timeout: float = Field(default=600.0, gt=0)
    device_slots: int = Field(default=2, ge=1, le=1024)
    batch_size: int = Field(default=16, ge=1, le=256)
    batch_max_qubits: int = Field(default=12, ge=0, le=64)
    batch_max_shots: int = Field(default=100_000, ge=0)
    heartbeat_seconds: float = Field(default=10.0, gt=0)
    aging_seconds: float = Field(default=10.0, gt=0)
    tenant_running_cap: int = Field(default=0, ge=0)
    backend_patience_seconds: float = Field(default=600.0, ge=0)
    retry_base_seconds: float = Field(default=0.2, gt=0)
    retry_cap_seconds: float = Field(default=5.0, gt=0)
    device_refresh_seconds: float = Field(default=5.0, gt=0)
    target_aliases: dict[str, str] = Field(default_factory=lambda: {"simulator": "sim:local"})
    default_execution_seconds: float = Field(default=1.0, gt=0)
    compile_cache_size: int = Field(default=256, ge=0, le=100_000)
    retention_days: float = Field(default=30.0, ge=0)
    retention_max_jobs: int = Field(default=0, ge=0)
    retention_interval_seconds: float = Field(default=3600.0, gt=0)
    first_device_wait_seconds: float = Field(default=15.0, ge=0)
    tenant_queued_cap: int = Field(default=0, ge=0)
    vendor_poll_seconds: float = Field(default=10.0, gt=0, le=300)
    kernel_id: str = Field(
        default_factory=lambda: f"{socket.gethostname()[:40]}-{os.getpid()}-{secrets.token_hex(3)}",
        pattern=r"^[A-Za-z0-9._-]{1,80}$",
    )
    lease_seconds: float = Field(default=10.0, gt=0.5, le=600)
    store_url: SecretStr = SecretStr("")
    qfs_url: str = Field(default="", pattern=r"^(s3://[^?#]+)?$")
    driver_manager_addresses: str = ""

    @field_validator("store_url")
    @classmethod
    def _postgres_url(cls, v: SecretStr) -> SecretStr:
        url = v.get_secret_value()
        if url and not url.startswith(("postgresql://", "postgres://")):
            raise ValueError("store_url must be '' (SQLite) or a postgresql:// URL")
        return v
