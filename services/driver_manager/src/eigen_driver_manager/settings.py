"""Driver-manager settings (env prefix ``EIGEN_DRIVER_MANAGER_``)."""

from __future__ import annotations

from typing import ClassVar

from pydantic import AliasChoices, Field
from pydantic_settings import SettingsConfigDict

from eigen_common.settings import ServiceSettings


class DriverManagerSettings(ServiceSettings):
    """Settings of the driver-manager service.

    Complex values come from the environment as JSON, e.g.
    ``EIGEN_DRIVER_MANAGER_DRIVER_CONFIG='{"aer": {"noisy_seed": "7"}}'``.

    Attributes:
        max_workers: threads that run blocking driver calls (simulations, QPU I/O).
        max_shots: largest ``shots`` an ExecuteCircuit request may ask for.
        plugin_dirs: extra directories scanned for ``*_driver.py`` besides the package's own
            ``plugins/``.
        load_entry_points: also load drivers from the ``eigen_os.drivers`` entry-point group.
        disabled_drivers: driver names not to instantiate.
        driver_config: per-driver config (driver name → string map) passed to ``initialize``.
        omp_spin_count: ``GOMP_SPINCOUNT`` for Aer's OpenMP workers (0 = library default);
            see :func:`eigen_driver_manager.app.configure_openmp`.
        max_saved_state_bytes: largest final state (``save_state``) returned, in bytes; bigger
            states fail with RESOURCE_EXHAUSTED. Kept under ``max_message_bytes``.
        drivers_file: the drivers file (SPEC §13: one TOML table per driver: ``enabled``,
            ``credentials``, ``devices``, ``slots``, ``config``); empty = ``$EIGEN_HOME/
            drivers.toml`` (``~/.eigen/drivers.toml``) when it exists. Also read from
            ``EIGEN_DRIVERS_FILE``.
    """

    model_config = SettingsConfigDict(env_prefix="EIGEN_DRIVER_MANAGER_", populate_by_name=True)

    service_name: ClassVar[str] = "driver-manager"

    port: int = Field(default=50054, ge=0, le=65535)
    metrics_port: int = Field(default=9104, ge=0, le=65535)
    max_workers: int = Field(default=4, ge=1, le=256)
    max_shots: int = Field(default=10_000_000, ge=1, le=10_000_000)
    plugin_dirs: list[str] = Field(default_factory=list)
    load_entry_points: bool = True
    disabled_drivers: list[str] = Field(default_factory=list)
    driver_config: dict[str, dict[str, str]] = Field(default_factory=dict)
    omp_spin_count: int = Field(default=100_000, ge=0)
    max_saved_state_bytes: int = Field(default=8 * 1024 * 1024, ge=1024)
    drivers_file: str = Field(
        default="",
        validation_alias=AliasChoices("EIGEN_DRIVER_MANAGER_DRIVERS_FILE", "EIGEN_DRIVERS_FILE"),
    )
