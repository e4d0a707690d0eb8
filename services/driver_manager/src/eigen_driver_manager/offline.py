"""Stand-in for a driver that failed to load or initialise: its devices, OFFLINE with the reason.

The driver-manager never stops because one driver is broken (SPEC §13): the registry puts an
:class:`OfflineDriver` in its place, so ``ListDevices`` shows why the devices are unavailable
and executions on them fail with FAILED_PRECONDITION (``DEVICE_OFFLINE``) naming the reason.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import ClassVar

from eigen_common.errors import DeviceNotFoundError, DeviceOfflineError
from eigen_driver_manager.base import (
    BaseDriver,
    DeviceInfo,
    DeviceStatus,
    DeviceStatusReport,
    ExecutionResult,
)
from eigen_ir.aqo import Circuit


class OfflineDriver(BaseDriver):
    """A broken driver's devices, all OFFLINE with ``reason`` (never a credential).

    Built with :meth:`make`; ``device_ids`` are the allowlist of the drivers file, else the ids
    the driver class declares (:meth:`BaseDriver.declared_devices`), else ``<name>.unavailable``.
    """

    name: ClassVar[str] = "offline"

    def __init__(self, reason: str = "", device_ids: Sequence[str] = ()) -> None:
        self._reason = reason or "driver failed to initialise"
        ids = list(device_ids) or [f"{self.name}.unavailable"]
        self._devices = {
            d: DeviceInfo(
                device_id=d,
                name=f"{d} (driver {self.name!r} unavailable)",
                backend_type="unavailable",
                status=DeviceStatus.OFFLINE,
                max_qubits=1,
                status_message=self._reason,
            )
            for d in ids
        }

    @classmethod
    def make(cls, driver_name: str, reason: str, device_ids: Sequence[str]) -> OfflineDriver:
        """An instance standing in for the driver ``driver_name``."""
        sub: type[OfflineDriver] = type(f"Offline_{driver_name}", (cls,), {"name": driver_name})
        return sub(reason, device_ids)

    @property
    def reason(self) -> str:
        """Why the driver is unavailable."""
        return self._reason

    def initialize(self, config: Mapping[str, str]) -> None:
        """Nothing to prepare."""

    def get_devices(self) -> list[DeviceInfo]:
        """The stand-in devices, OFFLINE."""
        return list(self._devices.values())

    def get_device_status(self, device_id: str) -> DeviceStatusReport:
        """OFFLINE with the reason.

        Raises:
            DeviceNotFoundError: unknown ``device_id``.
        """
        self._check(device_id)
        return DeviceStatusReport(device_id, DeviceStatus.OFFLINE, message=self._reason)

    def execute_circuit(
        self,
        device_id: str,
        circuit: Circuit,
        shots: int,
        options: Mapping[str, str],
        *,
        seed: int | None = None,
        parameter_values: Mapping[str, float] | None = None,
    ) -> ExecutionResult:
        """Always fails: the device is OFFLINE.

        Raises:
            DeviceNotFoundError: unknown ``device_id``.
            DeviceOfflineError: always, with the reason.
        """
        self._check(device_id)
        raise DeviceOfflineError(
            f"device {device_id!r} is OFFLINE: {self._reason}", metadata={"subject": device_id}
        )

    def _check(self, device_id: str) -> None:
        if device_id not in self._devices:
            raise DeviceNotFoundError(f"no device {device_id!r}", metadata={"device_id": device_id})
