"""The device catalog: the last known device list, refreshed in the background (SPEC §7, §13).

Accepting a job never waits on a backend (issue 11): targets resolve against the last list the
driver-manager gave, which is also persisted so a restarted kernel knows its devices before the
driver-manager answers. A background task refreshes it (quickly while the driver-manager is
unreachable, every ``refresh_seconds`` otherwise) and tells the scheduler about changes.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import json
from collections.abc import Callable, Mapping

from google.protobuf import json_format
from google.protobuf.message import DecodeError

from eigen.common.v1 import device_pb2
from eigen_common import errors
from eigen_common.device_proto import device_from_proto, device_to_proto
from eigen_common.devices import Device, DeviceStatus
from eigen_common.logs import get_logger
from eigen_kernel.ports import DriverPort, JobStore

log = get_logger("eigen.kernel.catalog")
_KEY = "devices"


def _dump(devices: list[Device]) -> str:
    """The list as JSON: ``{"devices_pb": [base64 of each eigen.common.v1.Device]}``.

    Protobuf bytes rather than proto-JSON: MessageToDict of calibrated devices cost ~90 ms.
    """
    wire = [device_to_proto(d).SerializeToString() for d in devices]
    return json.dumps({"devices_pb": [base64.b64encode(w).decode() for w in wire]})


def _load(text: str) -> list[Device]:
    """Inverse of :func:`_dump`; also reads the proto-JSON list older kernels wrote."""
    data = json.loads(text)
    out = []
    if isinstance(data, dict):
        for b64 in data["devices_pb"]:
            msg = device_pb2.Device()
            msg.ParseFromString(base64.b64decode(b64, validate=True))
            out.append(device_from_proto(msg))
        return out
    for d in data:
        msg = device_pb2.Device()
        json_format.ParseDict(d, msg)
        out.append(device_from_proto(msg))
    return out


class DeviceCatalog:
    """Devices by id and target; ``aliases`` maps extra target names (``simulator``) to targets.

    ``on_change`` is called with the new list after each successful refresh.
    """

    def __init__(
        self,
        driver: DriverPort,
        store: JobStore,
        refresh_seconds: float = 5.0,
        aliases: Mapping[str, str] | None = None,
        on_change: Callable[[list[Device]], None] = lambda devices: None,
        timeout: float = 5.0,
    ):
        self._driver = driver
        self._store = store
        self._refresh_seconds = refresh_seconds
        self._aliases = dict(aliases or {})
        self._timeout = timeout
        self.on_change = on_change
        self._devices: list[Device] = []
        self._loaded = False
        self._task: asyncio.Task[None] | None = None
        saved = store.get_value(_KEY)
        if saved:
            try:
                self._devices = _load(saved)
            except (ValueError, KeyError, TypeError, binascii.Error, DecodeError) as exc:
                log.warning("ignoring an unreadable saved device list", error=str(exc))

    @property
    def devices(self) -> list[Device]:
        """The last known devices (possibly empty before the driver-manager first answered)."""
        return self._devices

    async def refresh(self) -> list[Device]:
        """Ask the driver-manager now; keep the last list if it is unavailable.

        Raises:
            UnavailableError: unreachable and no list is known at all.
        """
        try:
            devices = await self._driver.list_devices(timeout=self._timeout)
        except errors.UnavailableError:
            if not self._devices:
                raise
            return self._devices
        changed = devices != self._devices
        self._devices = devices
        self._loaded = True
        if changed:
            with contextlib.suppress(OSError):
                self._store.set_value(_KEY, _dump(devices))
        self.on_change(devices)
        return devices

    async def wait_known(self, seconds: float) -> bool:
        """Wait up to ``seconds`` for a first device list; returns whether one is known.

        Used before serving on a first start (no saved list), so the first submissions can
        resolve their targets.
        """
        deadline = asyncio.get_running_loop().time() + seconds
        while not self._devices:
            try:
                await self.refresh()
            except errors.EigenError:
                if asyncio.get_running_loop().time() >= deadline:
                    return False
                await asyncio.sleep(0.1)
        return True

    def start(self) -> None:
        """Start the background refresh (on the running loop)."""
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._loop(), name="catalog")

    async def stop(self) -> None:
        """Stop the background refresh."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _loop(self) -> None:
        while True:
            try:
                await self.refresh()
                await asyncio.sleep(self._refresh_seconds)
            except errors.EigenError as exc:
                log.info("device list not refreshed", error=str(exc))
                await asyncio.sleep(min(1.0, self._refresh_seconds))

    def find(self, name: str) -> Device | None:
        """The device with this id or target name (aliases applied), or None."""
        name = self._aliases.get(name, name)
        for d in self._devices:
            if d.answers_to(name):
                return d
        return None

    def resolve(self, target: str) -> Device:
        """The device a target resolves to, from the last known list (never waits).

        Raises:
            TargetNotFoundError: unknown target; the message lists the available targets.
            ServiceUnavailableError: no device list is known yet (driver-manager never reached).
        """
        d = self.find(target)
        if d is not None:
            return d
        if not self._devices:
            raise errors.ServiceUnavailableError(
                "the device list is not known yet (driver-manager unreachable); retry shortly",
                retry_after=1.0,
            )
        names = sorted({t for d in self._devices for t in (*d.targets, d.device_id)})
        names += sorted(self._aliases)
        raise errors.TargetNotFoundError(
            f"unknown target {target!r}; available targets: {', '.join(names)}",
            metadata={"target": target[:128], "available": ",".join(names)[:1024]},
        )

    def device(self, name: str) -> Device:
        """One device by id or target name.

        Raises:
            DeviceNotFoundError: unknown device.
        """
        d = self.find(name)
        if d is None:
            raise errors.DeviceNotFoundError(
                f"device {name[:128]!r} not found", metadata={"device": name[:128]}
            )
        return d


def online(device: Device) -> bool:
    """True when the device accepts work."""
    return bool(device.status == DeviceStatus.ONLINE)
