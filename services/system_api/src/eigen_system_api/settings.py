"""system-api settings (env prefix ``EIGEN_SYSTEM_API_``).

Complex values come from the environment as JSON, e.g.
``EIGEN_SYSTEM_API_QUOTA_OVERRIDES='{"alice": {"submit_rate": "5/second"}}'``.
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar, Self

from pydantic import BaseModel, Field, field_validator, model_validator
from pydantic_settings import SettingsConfigDict

from eigen_common.settings import ServiceSettings

#: Signature algorithms a JWT may use (asymmetric only: never ``none``, never HS*).
ASYMMETRIC_ALGORITHMS = frozenset(
    {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"}
)


class TenantQuota(BaseModel):
    """Per-tenant limits (SPEC §11); ``None`` fields fall back to the service-wide default.

    Attributes:
        submit_rate: submissions allowed, in the ``limits`` notation (``"100/second"``,
            ``"10/second;500/minute"``); ``""`` = unlimited.
        shots_per_day: shots (× sweep rows) accepted per 24 h window; 0 = unlimited.
        max_queued_jobs: jobs waiting (compiling or queued) at once; 0 = unlimited.
    """

    submit_rate: str | None = None
    shots_per_day: int | None = Field(default=None, ge=0)
    max_queued_jobs: int | None = Field(default=None, ge=0)


class SystemApiSettings(ServiceSettings):
    """Public ingress configuration; sizes in bytes, times in seconds.

    Authentication: ``api_keys_file`` is the API key store (hashes only; written by
    ``eigen admin keys`` and ``eigen up``); JWTs are accepted when ``jwt_jwks`` names a JWKS
    file or ``http(s)://`` URL, and then ``jwt_issuer`` and ``jwt_audience`` are required.
    Quotas: generous defaults for a local stack; ``quota_overrides`` per tenant;
    ``quota_storage_uri`` is a ``limits`` storage (``async+memory://`` is per replica; a shared
    ``async+redis://`` makes the rate limits global across replicas).
    REST (SPEC §15): ``rest_port`` 0 turns it off; unset it is 8080, or an ephemeral port when
    ``port`` is 0 (tests: read it back from the running app); ``rest_host`` defaults to
    ``host`` (loopback). ``rest_ping_seconds``: keep-alive comment on idle event streams.
    """

    model_config = SettingsConfigDict(env_prefix="EIGEN_SYSTEM_API_")

    service_name: ClassVar[str] = "system-api"

    port: int = Field(default=50051, ge=0, le=65535)
    metrics_port: int = Field(default=9101, ge=0, le=65535)
    kernel_address: str = "127.0.0.1:50052"
    compiler_address: str = "127.0.0.1:50053"
    api_keys_file: Path = Path.home() / ".eigen" / "api_keys.json"
    max_program_bytes: int = Field(default=1024 * 1024, ge=1)
    max_shots: int = Field(default=10_000_000, ge=1)
    max_sweep_rows: int = Field(default=10_000, ge=1)
    max_observable_terms: int = Field(default=100_000, ge=1)
    call_timeout: float = Field(default=30.0, gt=0)
    stream_resume_seconds: float = Field(default=30.0, ge=0)

    jwt_jwks: str = ""
    jwt_issuer: str = ""
    jwt_audience: str = ""
    jwt_algorithms: list[str] = Field(default_factory=lambda: ["RS256", "ES256", "EdDSA"])
    jwt_leeway_seconds: float = Field(default=30.0, ge=0, le=600)
    jwt_subject_claim: str = "sub"
    jwt_tenant_claim: str = "tenant"
    jwt_roles_claim: str = "roles"
    jwks_cache_seconds: float = Field(default=300.0, gt=0)
    jwks_min_refresh_seconds: float = Field(default=10.0, ge=0)
    jwks_fetch_timeout: float = Field(default=5.0, gt=0)

    # generous for the local stack: above the platform's own throughput (issue 9: 250 jobs/s)
    quota_submit_rate: str = "1000/second"
    quota_shots_per_day: int = Field(default=10_000_000_000, ge=0)
    quota_max_queued_jobs: int = Field(default=100_000, ge=0)
    quota_queue_recount_seconds: float = Field(default=5.0, gt=0)
    quota_overrides: dict[str, TenantQuota] = Field(default_factory=dict)
    quota_storage_uri: str = "async+memory://"

    rest_port: int | None = Field(default=None, ge=0, le=65535)
    rest_host: str = ""
    rest_ping_seconds: float = Field(default=15.0, gt=0)

    @field_validator("jwt_algorithms")
    @classmethod
    def _asymmetric_only(cls, algs: list[str]) -> list[str]:
        bad = [a for a in algs if a not in ASYMMETRIC_ALGORITHMS]
        if bad or not algs:
            raise ValueError(
                f"jwt_algorithms must be asymmetric ({sorted(ASYMMETRIC_ALGORITHMS)}); got {bad}"
            )
        return algs

    @model_validator(mode="after")
    def _jwt_needs_issuer_and_audience(self) -> Self:
        if self.jwt_jwks and not (self.jwt_issuer and self.jwt_audience):
            raise ValueError("jwt_jwks is set: jwt_issuer and jwt_audience are required too")
        return self

    def quota_for(self, tenant: str) -> TenantQuota:
        """The tenant's effective limits (its override, else the defaults), every field set."""
        o = self.quota_overrides.get(tenant, TenantQuota())
        return TenantQuota(
            submit_rate=self.quota_submit_rate if o.submit_rate is None else o.submit_rate,
            shots_per_day=self.quota_shots_per_day if o.shots_per_day is None else o.shots_per_day,
            max_queued_jobs=(
                self.quota_max_queued_jobs if o.max_queued_jobs is None else o.max_queued_jobs
            ),
        )

    def rest_bind(self) -> tuple[str, int] | None:
        """``(host, port)`` the REST gateway binds (port 0 = ephemeral), or None when it is off."""
        if self.rest_port == 0:
            return None
        port = self.rest_port if self.rest_port is not None else (8080 if self.port else 0)
        return (self.rest_host or self.host, port)
