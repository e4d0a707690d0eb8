"""Circuits as devices run them, for the public CompileCircuit with a target (SPEC §13).

The kernel knows which device a target names (aliases such as ``simulator``, the last device
list, as SubmitJob resolves it) and which driver-manager offers it; the driver-manager's
TranspileCircuit runs the device driver's own pass manager, so the circuit a user is shown
is the one a job on that device runs.
"""

from __future__ import annotations

from eigen_common import errors
from eigen_kernel.catalog import DeviceCatalog, online
from eigen_kernel.domain import IsaCircuit
from eigen_kernel.ports import DriverPort


class DeviceTranspiler:
    """Resolves a target and has the device's driver transpile a compiled circuit.

    Args:
        catalog: the device catalog (targets, aliases, status).
        driver: the driver-manager (or pool) that offers the devices.
        timeout: deadline of the driver-manager call, in seconds (a first call on an
            ``ibm:fake_*`` device loads its backend: seconds).
    """

    def __init__(self, catalog: DeviceCatalog, driver: DriverPort, timeout: float):
        self._catalog = catalog
        self._driver = driver
        self._timeout = timeout

    async def transpile(self, target: str, aqo_json: bytes) -> IsaCircuit:
        """The circuit ``aqo_json`` as the device ``target`` names runs it.

        Raises:
            ValidationError: empty ``target`` or ``aqo_json``.
            TargetNotFoundError: unknown target (the message lists the available ones).
            ServiceUnavailableError: no device list known yet.
            DeviceOfflineError: the device is not ONLINE (with its status message).
            EigenError: the driver-manager's errors (``CIRCUIT_TOO_LARGE``,
                ``UNBOUND_PARAMETERS``, ``ISA_NOT_EXPRESSIBLE``, ...).
        """
        violations = [
            errors.FieldViolation(name, "must not be empty")
            for name, value in (("target", target), ("aqo_json", aqo_json))
            if not value
        ]
        if violations:
            raise errors.ValidationError(violations)
        if not self._catalog.devices:
            await self._catalog.refresh()
        device = self._catalog.resolve(target)
        if not online(device):
            raise errors.DeviceOfflineError(
                f"device {device.device_id} is {device.status.value.lower()}"
                + (f": {device.status_message}" if device.status_message else ""),
                metadata={"subject": device.device_id},
            )
        return await self._driver.transpile(device.device_id, aqo_json, self._timeout)
