"""system-api settings (env prefix ``EIGEN_SYSTEM_API_``)."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from eigen_common.settings import ServiceSettings


class SystemApiSettings(ServiceSettings):
    """Public ingress configuration; sizes in bytes, times in seconds."""

    model_config = SettingsConfigDict(env_prefix="EIGEN_SYSTEM_API_")

    service_name: ClassVar[str] = "system-api"

    port: int = Field(default=50051, ge=0, le=65535)
    metrics_port: int = Field(default=9101, ge=0, le=65535)
    kernel_address: str = "127.0.0.1:50052"
    compiler_address: str = "127.0.0.1:50053"
    api_keys_file: Path = Path.home() / ".eigen" / "api_keys.json"
    max_program_bytes: int = Field(default=1024 * 1024, ge=1)
    max_shots: int = Field(default=10_000_000, ge=1)
    call_timeout: float = Field(default=30.0, gt=0)
    stream_resume_seconds: float = Field(default=30.0, ge=0)
