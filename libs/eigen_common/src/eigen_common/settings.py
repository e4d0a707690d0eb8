"""Settings base shared by the four services (pydantic-settings; env prefix per service)."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field
from pydantic_settings import BaseSettings


class ServiceSettings(BaseSettings):
    """Common service settings; subclasses set ``model_config`` with their ``env_prefix``.

    ``port`` 0 binds an ephemeral port (tests); ``metrics_port`` 0 disables ``/metrics``;
    ``metrics_host`` defaults to ``host``. ``service_name`` names the service in logs, metrics
    and traces.
    """

    service_name: ClassVar[str] = "eigen"

    host: str = "127.0.0.1"
    port: int = Field(default=0, ge=0, le=65535)
    metrics_port: int = Field(default=0, ge=0, le=65535)
    metrics_host: str = ""
    log_level: str = "INFO"
    log_json: bool = True
    grace_seconds: float = Field(default=5.0, ge=0)
    max_message_bytes: int = Field(default=16 * 1024 * 1024, ge=1024)
    otel_exporter: str = Field(default="", description="'' (off) or 'console'")
