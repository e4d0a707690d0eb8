"""Settings base shared by the four services (pydantic-settings; env prefix per service)."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar, Self

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings


class ServiceSettings(BaseSettings):
    """Common service settings; subclasses set ``model_config`` with their ``env_prefix``.

    ``port`` 0 binds an ephemeral port (tests); ``metrics_port`` 0 disables ``/metrics``;
    ``metrics_host`` defaults to ``host``. ``service_name`` names the service in logs, metrics
    and traces.

    Security (SPEC §11, :mod:`eigen_common.security`):

    - ``internal_token`` / ``internal_token_file``: the per-stack secret. Every internal call
      this service makes carries it; an internal service (not the public system-api) given one
      rejects every call without it (UNAUTHENTICATED) except ``grpc.health.v1`` and reflection.
      At least 16 characters; never logged.
    - ``tls_cert_file`` + ``tls_key_file``: PEM certificate chain and key; the server listens
      with TLS, and internal calls present them as the client certificate.
    - ``tls_client_ca_file``: PEM CA bundle; callers must present a certificate it signed
      (mTLS). Not for the public endpoint, whose clients authenticate with bearer tokens.
    - ``tls_ca_file``: PEM CA bundle trusted for the internal services this one calls; set, the
      internal channels use TLS. ``tls_server_name`` overrides the name checked in their
      certificates (default: the host of the address).
    - ``allow_insecure``: bind off loopback without (m)TLS anyway; off by default, the service
      refuses to start.
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
    otel_exporter: str = Field(
        default="",
        description="'' (decided by the OTEL_* variables), 'console', 'otlp' or any installed "
        "OpenTelemetry span exporter",
    )
    internal_token: SecretStr | None = None
    internal_token_file: Path | None = None
    tls_cert_file: Path | None = None
    tls_key_file: Path | None = None
    tls_client_ca_file: Path | None = None
    tls_ca_file: Path | None = None
    tls_server_name: str = ""
    allow_insecure: bool = False

    @model_validator(mode="after")
    def _security_pairs(self) -> Self:
        if self.internal_token is not None and self.internal_token_file is not None:
            raise ValueError("set internal_token or internal_token_file, not both")
        if (self.tls_cert_file is None) != (self.tls_key_file is None):
            raise ValueError("tls_cert_file and tls_key_file go together")
        if self.tls_client_ca_file is not None and self.tls_cert_file is None:
            raise ValueError("tls_client_ca_file (mTLS) needs tls_cert_file and tls_key_file")
        return self
