"""Several driver-managers behind one kernel (SPEC §14): routed by health and by device.

:class:`DriverPool` is a :class:`eigen_kernel.ports.DriverPort` over a list of driver-managers
(``EIGEN_KERNEL_DRIVER_MANAGER_ADDRESSES=host:port,host:port`` or ``dns:name:port``, a name
resolving to several, re-resolved at each device refresh — a Kubernetes headless Service).

- **Devices.** ``list_devices`` asks every member at once and merges their lists; a device
  offered by several appears once (an ONLINE view is preferred; queue depths add up). A member
  that does not answer is *down*: the devices only it offered stay in the list, OFFLINE, with
  the reason in ``status_message`` — so a client sees why, and the kernel's catalog keeps
  resolving their targets. When no member answers, it raises UNAVAILABLE like one
  driver-manager would (the catalog then keeps its last list).
- **Routing.** A call for a device goes to a member offering it: healthy ones first, the least
  busy of them (calls in flight), then down ones (a call is also a probe). A member that cannot
  be reached (``SERVICE_UNAVAILABLE``: the connection failed, not a vendor outage) is marked
  down and the next candidate is tried at once; when none is left the error goes to the
  kernel's patience (:mod:`eigen_kernel.retry`), which waits the outage out.
- **Vendor executions** (asynchronous devices) are awaited on the member that started them,
  or, after it went away, on any member offering the device: execution ids name the vendor's
  job, which any driver-manager with that driver can re-attach to.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import socket
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TypeVar

from eigen_common import errors
from eigen_common.devices import Device, DeviceStatus
from eigen_common.logs import get_logger
from eigen_kernel.domain import EstimateOutcome, ExecutionOutcome, IsaCircuit, VendorProgress
from eigen_kernel.ports import DriverPort

log = get_logger("eigen.kernel.driver_pool")
T = TypeVar("T")
_DNS = "dns:"


def parse_addresses(text: str) -> list[str]:
    """The entries of a comma-separated address list (``host:port`` or ``dns:name:port``).

    Raises:
        ValueError: an entry without a port, or no entry at all.
    """
    entries = [e.strip() for e in text.split(",") if e.strip()]
    for e in entries:
        host, _, port = e.removeprefix(_DNS).rpartition(":")
        if not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise ValueError(f"driver-manager address {e!r} is not host:port or dns:name:port")
    if not entries:
        raise ValueError("no driver-manager address")
    return entries


async def resolve(entry: str) -> list[str]:
    """The ``host:port`` addresses of an entry (a ``dns:`` entry: every address of the name).

    Raises:
        OSError: the name does not resolve.
    """
    if not entry.startswith(_DNS):
        return [entry]
    host, _, port = entry.removeprefix(_DNS).rpartition(":")
    infos = await asyncio.get_running_loop().getaddrinfo(
        host.strip("[]"), int(port), type=socket.SOCK_STREAM
    )
    ips = sorted({str(i[4][0]) for i in infos})
    return [f"[{ip}]:{port}" if ":" in ip else f"{ip}:{port}" for ip in ips]


@dataclass
class Member:
    """One driver-manager: its client, health, last device list and calls in flight."""

    address: str
    port: DriverPort
    healthy: bool = True
    reason: str = ""
    devices: dict[str, Device] = field(default_factory=dict)
    inflight: int = 0


def _unreachable(exc: errors.EigenError) -> bool:
    """True when the member itself cannot be reached (not a device's or vendor's outage)."""
    return isinstance(exc, errors.ServiceUnavailableError)


class DriverPool:
    """:class:`eigen_kernel.ports.DriverPort` over several driver-managers (see the module).

    Args:
        entries: addresses (``host:port``) and ``dns:name:port`` entries.
        connect: makes the client of one address (the gRPC driver-manager client).
    """

    def __init__(self, entries: Sequence[str], connect: Callable[[str], DriverPort]):
        self._entries = list(entries)
        self._connect = connect
        self._members: dict[str, Member] = {}
        self._resolved: dict[str, list[str]] = {}
        self._turn = itertools.count()
        self._running: dict[str, Member] = {}
        self._executions: dict[str, Member] = {}
        self._closing: set[asyncio.Task[None]] = set()
        for e in self._entries:
            if not e.startswith(_DNS):
                self._resolved[e] = [e]
        self._sync_members()

    @property
    def members(self) -> list[Member]:
        """The current members, in address order."""
        return list(self._members.values())

    def _sync_members(self) -> None:
        wanted = [a for e in self._entries for a in self._resolved.get(e, [])]
        for a in wanted:
            if a not in self._members:
                self._members[a] = Member(a, self._connect(a))
        for a in [a for a in self._members if a not in wanted]:
            gone = self._members.pop(a)
            log.info("driver-manager no longer resolved; dropped", address=a)
            self._close_later(gone.port)

    async def _resolve(self) -> None:
        for e in self._entries:
            if e.startswith(_DNS):
                try:
                    self._resolved[e] = await resolve(e)
                except OSError as exc:  # keep the last answer
                    log.warning("driver-manager name not resolved", entry=e, error=str(exc))
        self._sync_members()

    def _close_later(self, port: DriverPort) -> None:
        close = getattr(port, "close", None)
        if close is not None:
            with contextlib.suppress(RuntimeError):  # no running loop: nothing to close on
                task = asyncio.get_running_loop().create_task(close())
                self._closing.add(task)
                task.add_done_callback(self._closing.discard)

    async def close(self) -> None:
        """Close every member's client."""
        for m in self._members.values():
            close = getattr(m.port, "close", None)
            if close is not None:
                await close()

    # --- devices --------------------------------------------------------------------------

    async def list_devices(self, timeout: float) -> list[Device]:
        """Every member's devices, merged (see the module); probes each member's health.

        Raises:
            ServiceUnavailableError: no member answered.
        """
        await self._resolve()
        members = self.members
        answers = await asyncio.gather(
            *(m.port.list_devices(timeout) for m in members), return_exceptions=True
        )
        for m, a in zip(members, answers, strict=True):
            if isinstance(a, errors.EigenError):
                self._down(m, a)
            elif isinstance(a, BaseException):
                raise a
            else:
                if not m.healthy:
                    log.info("driver-manager back", address=m.address)
                m.healthy, m.reason = True, ""
                m.devices = {d.device_id: d for d in a}
        if not any(m.healthy for m in members):
            raise errors.ServiceUnavailableError(
                "no driver-manager reachable: "
                + "; ".join(f"{m.address}: {m.reason}" for m in members)[:900]
            )
        return self._merged(members)

    def _merged(self, members: list[Member]) -> list[Device]:
        order: dict[str, None] = {}
        for m in members:
            order.update(dict.fromkeys(m.devices))
        out = []
        for device_id in order:
            live = [m.devices[device_id] for m in members if m.healthy and device_id in m.devices]
            if live:
                best = next((d for d in live if d.status == DeviceStatus.ONLINE), live[0])
                out.append(replace(best, queue_depth=sum(d.queue_depth for d in live)))
                continue
            gone = [m for m in members if device_id in m.devices]
            out.append(
                replace(
                    gone[0].devices[device_id],
                    status=DeviceStatus.OFFLINE,
                    status_message=(
                        f"driver-manager {gone[0].address} unreachable: {gone[0].reason}"
                    )[:300],
                )
            )
        return out

    def _down(self, m: Member, exc: errors.EigenError) -> None:
        if m.healthy:
            log.warning("driver-manager down", address=m.address, error=exc.message)
        m.healthy, m.reason = False, exc.message[:200]

    # --- routing --------------------------------------------------------------------------

    def _candidates(self, device_id: str, prefer: Member | None = None) -> list[Member]:
        members = self.members
        offering = [m for m in members if device_id in m.devices] or members
        turn = next(self._turn)
        ranked = sorted(
            offering,
            key=lambda m: (
                m is not prefer,
                not m.healthy,
                m.inflight,
                (members.index(m) - turn) % len(members),
            ),
        )
        return ranked

    async def _route(
        self,
        device_id: str,
        call: Callable[[DriverPort], Awaitable[T]],
        job_id: str = "",
        prefer: Member | None = None,
    ) -> tuple[T, Member]:
        last: errors.EigenError | None = None
        for m in self._candidates(device_id, prefer):
            m.inflight += 1
            if job_id:
                self._running[job_id] = m
            try:
                return await call(m.port), m
            except errors.EigenError as exc:
                if not _unreachable(exc):
                    raise
                self._down(m, exc)
                last = exc
            finally:
                m.inflight -= 1
                if job_id and self._running.get(job_id) is m:
                    del self._running[job_id]
        assert last is not None  # there is always at least one member
        raise last

    async def execute(
        self,
        job_id: str,
        device_id: str,
        aqo_json: bytes,
        shots: int,
        seed: int | None,
        options: Mapping[str, str],
        parameter_values: Mapping[str, float],
        timeout: float,
        *,
        bindings: Sequence[Mapping[str, float]] = (),
        save_state: str = "",
    ) -> ExecutionOutcome:
        """Run a circuit on a member offering the device (see the port)."""
        out, _ = await self._route(
            device_id,
            lambda p: p.execute(
                job_id,
                device_id,
                aqo_json,
                shots,
                seed,
                options,
                parameter_values,
                timeout,
                bindings=bindings,
                save_state=save_state,
            ),
            job_id,
        )
        return out

    async def estimate(
        self,
        job_id: str,
        device_id: str,
        aqo_json: bytes,
        observable: Sequence[tuple[str, float]],
        bindings: Sequence[Mapping[str, float]],
        shots: int | None,
        seed: int | None,
        timeout: float,
    ) -> EstimateOutcome:
        """Expectation values on a member offering the device (see the port)."""
        out, _ = await self._route(
            device_id,
            lambda p: p.estimate(
                job_id, device_id, aqo_json, observable, bindings, shots, seed, timeout
            ),
            job_id,
        )
        return out

    async def start(
        self,
        job_id: str,
        device_id: str,
        aqo_json: bytes,
        shots: int,
        seed: int | None,
        parameter_values: Mapping[str, float],
        timeout: float,
        *,
        bindings: Sequence[Mapping[str, float]] = (),
    ) -> tuple[str, str]:
        """Submit to an asynchronous device through a member offering it (see the port)."""
        ids, m = await self._route(
            device_id,
            lambda p: p.start(
                job_id,
                device_id,
                aqo_json,
                shots,
                seed,
                parameter_values,
                timeout,
                bindings=bindings,
            ),
            job_id,
        )
        if len(self._executions) >= 10_000:
            self._executions.clear()
        self._executions[ids[0]] = m
        return ids

    async def wait(
        self, job_id: str, device_id: str, execution_id: str, wait_seconds: float
    ) -> VendorProgress:
        """Long-poll on the member that started the execution, else another offering it."""
        progress, _ = await self._route(
            device_id,
            lambda p: p.wait(job_id, device_id, execution_id, wait_seconds),
            prefer=self._executions.get(execution_id),
        )
        if progress.done:
            self._executions.pop(execution_id, None)
        return progress

    async def transpile(self, device_id: str, aqo_json: bytes, timeout: float) -> IsaCircuit:
        """Transpile on a member offering the device (see the port)."""
        out, _ = await self._route(device_id, lambda p: p.transpile(device_id, aqo_json, timeout))
        return out

    async def cancel(self, job_id: str, device_id: str, execution_id: str = "") -> bool:
        """Tell the member running the job (else every healthy one offering the device)."""
        running = self._running.get(job_id) or self._executions.get(execution_id)
        targets = (
            [running]
            if running is not None
            else [m for m in self.members if m.healthy and device_id in m.devices]
        )
        answers = await asyncio.gather(
            *(m.port.cancel(job_id, device_id, execution_id) for m in targets),
            return_exceptions=True,
        )
        for a in answers:
            if isinstance(a, BaseException) and not isinstance(a, errors.EigenError):
                raise a
        return any(a is True for a in answers)
