"""Kernel settings (env prefix ``EIGEN_KERNEL_``)."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from eigen_common.settings import ServiceSettings


class KernelSettings(ServiceSettings):
    """Kernel configuration; times in seconds; ``home`` holds ``jobs.db`` and ``qfs/``."""

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
    heartbeat_seconds: float = Field(default=10.0, gt=0)
    retry_attempts: int = Field(default=5, ge=1, le=20)
    retry_base_seconds: float = Field(default=0.2, gt=0)
    compile_cache_size: int = Field(default=256, ge=0, le=100_000)
