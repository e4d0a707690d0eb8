"""Devices as the kernel shows them (SPEC §7, §12).

The driver-manager's list plus the scheduler's view: queue depth, estimated wait, slots,
reserved slots.
"""

from __future__ import annotations

from dataclasses import replace

from eigen_common.devices import Device
from eigen_kernel.catalog import DeviceCatalog
from eigen_kernel.scheduler import Scheduler


class DeviceDirectory:
    """Lists and finds devices with their real queue depth and wait."""

    def __init__(self, catalog: DeviceCatalog, scheduler: Scheduler):
        self._catalog = catalog
        self._scheduler = scheduler

    def _view(self, d: Device) -> Device:
        depth, wait = self._scheduler.device_load(d.device_id)
        slots = (
            self._scheduler.policy.slots(d.device_id) or d.slots or self._scheduler.default_slots
        )
        return replace(d, queue_depth=depth, estimated_wait_sec=wait, slots=slots)

    def reserved(self, device_id: str) -> int:
        """Slots of the device held by reservations."""
        return self._scheduler.policy.reserved(device_id)

    async def _known(self) -> list[Device]:
        # the background refresh keeps the list current; ask only when none is known yet
        return self._catalog.devices or await self._catalog.refresh()

    async def list(self) -> list[Device]:
        """All devices (the last known list; asked for when none is known yet)."""
        return [self._view(d) for d in await self._known()]

    async def get(self, name: str) -> Device:
        """One device by id or target name.

        Raises:
            DeviceNotFoundError: unknown device.
            ServiceUnavailableError: no device list known yet.
        """
        await self._known()
        return self._view(self._catalog.device(name))
