"""Shared test doubles of the kernel's two backends, and a kernel wired over them.

The compiler and driver-manager are other processes: in the kernel's own tests they are the
edge, replaced by these doubles so that outages, slow executions and interleavings can be
produced on demand. Everything else is real (SQLite store, blob store, scheduler, runtime).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from eigen_common import errors
from eigen_common.devices import Device, DeviceStatus
from eigen_kernel.app import Qrtx, assemble
from eigen_kernel.domain import (
    CompiledProgram,
    EstimateOutcome,
    ExecutionOutcome,
    IsaCircuit,
    Submission,
    VendorProgress,
)
from eigen_kernel.jobs import Heartbeat, Update
from eigen_kernel.settings import KernelSettings
from eigen_kernel.states import TaskState
from eigen_kernel.store import SqliteJobStore

#: The one device of the doubles: ``aer`` (target ``sim:local``), 5 qubits.
DEVICE = Device("aer", "aer", "simulator", DeviceStatus.ONLINE, 5, ("sim:local",), driver="aer")


class FakeCompiler:
    """Compiles any source to a 1-qubit AQO whose hash is the source's (``fail`` → error)."""

    def __init__(self, fail: bool = False):
        self.fail = fail
        self.calls: list[str] = []
        self.down = 0  # this many next calls answer UNAVAILABLE

    async def compile(
        self, job_id: str, submission: Submission, device: Device | None, timeout: float
    ) -> CompiledProgram:
        """See :class:`eigen_kernel.ports.CompilerPort`."""
        await asyncio.sleep(0)
        self.calls.append(job_id)
        if self.down:
            self.down -= 1
            raise errors.ServiceUnavailableError("compiler down")
        if self.fail:
            raise errors.CompilationFailedError(
                "bad program", diagnostics=[errors.Diagnostic("syntax", "bad token", 1, 2)]
            )
        aqo = json.dumps({"version": "0.1", "qubits": 1, "clbits": 1, "source": submission.source})
        data = aqo.encode()
        return CompiledProgram(data, hashlib.sha256(data).hexdigest(), {"logical_qubits": "1"})


@dataclass
class FakeDriver:
    """Executes in ``seconds`` each (0 = at once), returning ``{"0": shots}`` counts.

    ``gate`` blocks executions while cleared; ``down`` makes calls UNAVAILABLE; ``devices``
    is what ListDevices answers. ``executions`` records job ids in start order;
    ``cancelled`` the CancelExecution calls; ``finished`` the executions that ran to the end;
    ``transpiled`` the devices TranspileCircuit was asked for.
    """

    seconds: float = 0.0
    devices: list[Device] = field(default_factory=lambda: [DEVICE])
    down: bool = False
    executions: list[str] = field(default_factory=list)
    finished: list[str] = field(default_factory=list)
    cancelled: list[str] = field(default_factory=list)
    listings: int = 0
    polls: int = 0
    vendor_jobs: dict[str, int] = field(default_factory=dict)
    transpiled: list[str] = field(default_factory=list)
    gate: asyncio.Event = field(default_factory=asyncio.Event)
    cancel_seen: asyncio.Event = field(default_factory=asyncio.Event)

    def __post_init__(self) -> None:
        self.gate.set()

    async def list_devices(self, timeout: float) -> list[Device]:
        """See :class:`eigen_kernel.ports.DriverPort`."""
        self.listings += 1
        if self.down:
            raise errors.ServiceUnavailableError("driver-manager down")
        return list(self.devices)

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
        """See :class:`eigen_kernel.ports.DriverPort`."""
        if self.down:
            raise errors.ServiceUnavailableError("driver-manager down")
        self.executions.append(job_id)
        await self.gate.wait()
        if self.seconds:
            await asyncio.sleep(self.seconds)
        self.finished.append(job_id)
        sweep = tuple({"0": shots} for _ in bindings)
        return ExecutionOutcome({"0": shots}, self.seconds, {"backend": "fake"}, sweep)

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
        """⟨0|H|0⟩ of a Z-only observable: the sum of its coefficients (others count 0)."""
        if self.down:
            raise errors.ServiceUnavailableError("driver-manager down")
        value = sum(c for label, c in observable if set(label) <= {"I", "Z"})
        return EstimateOutcome([value] * len(bindings), [0.0] * len(bindings), 0.0, {})

    async def cancel(self, job_id: str, device_id: str, execution_id: str = "") -> bool:
        """See :class:`eigen_kernel.ports.DriverPort`."""
        self.cancelled.append(job_id)
        self.cancel_seen.set()
        return True

    async def transpile(self, device_id: str, aqo_json: bytes, timeout: float) -> IsaCircuit:
        """The circuit as is, on the trivial layout (an ideal device); records the device."""
        if self.down:
            raise errors.ServiceUnavailableError("driver-manager down")
        self.transpiled.append(device_id)
        trivial = tuple(range(int(json.loads(aqo_json).get("qubits", 0))))
        meta = {"transpiler": "none"}
        return IsaCircuit(device_id, aqo_json, trivial, trivial, 0, 0, {}, trivial, meta)

    # --- an asynchronous device (a vendor QPU): jobs started, then awaited ------------------

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
        """Record a vendor job; it finishes when ``gate`` is set (see :meth:`wait`)."""
        if self.down:
            raise errors.ServiceUnavailableError("driver-manager down")
        self.executions.append(job_id)
        vendor = f"vendor-{len(self.vendor_jobs) + 1}"
        self.vendor_jobs[vendor] = shots
        return f"exec:{vendor}", vendor

    async def wait(
        self, job_id: str, device_id: str, execution_id: str, wait_seconds: float
    ) -> VendorProgress:
        """Done once ``gate`` is set; QUEUED (position 3) until then."""
        if self.down:
            raise errors.ServiceUnavailableError("driver-manager down")
        self.polls += 1
        vendor = execution_id.removeprefix("exec:")
        try:
            await asyncio.wait_for(self.gate.wait(), min(wait_seconds, 0.05))
        except TimeoutError:
            return VendorProgress(False, None, "QUEUED", 3)
        self.finished.append(job_id)
        shots = self.vendor_jobs[vendor]
        return VendorProgress(True, ExecutionOutcome({"0": shots}, 0.0, {"backend": "vendor"}))


def submission(name: str = "j", **kw: Any) -> Submission:
    """A QASM submission for ``sim:local`` (any field overridable)."""
    base: dict[str, Any] = {"name": name, "language": "qasm", "source": name, "target": "sim:local"}
    base.update(kw)
    return Submission(**base)


@asynccontextmanager
async def running_kernel(
    home: Path,
    driver: Any = None,
    compiler: Any = None,
    **settings: Any,
) -> AsyncIterator[Qrtx]:
    """A kernel over a real store in ``home`` and the given doubles.

    Started (recovered) and stopped around the block; ``settings`` override
    :class:`KernelSettings` fields.
    """
    ks = KernelSettings(
        home=home,
        **{"retry_base_seconds": 0.01, "retry_cap_seconds": 0.05, **settings},
    )
    home.mkdir(parents=True, exist_ok=True)  # noqa: ASYNC240 (test set-up, before any I/O)
    store = SqliteJobStore(home / "jobs.db")
    backend = driver if driver is not None else FakeDriver()
    qrtx = assemble(ks, store, compiler or FakeCompiler(), backend)
    if not (driver is not None and driver.down):
        await qrtx.runtime.catalog.refresh()
    await qrtx.start()
    try:
        yield qrtx
    finally:
        await qrtx.stop()
        store.close()


async def reached(qrtx: Qrtx, tenant: str, job_id: str, state: TaskState) -> None:
    """Wait (on the job's event stream) until it has reached ``state`` (5 s at most)."""

    async def go() -> None:
        async for item in qrtx.jobs.watch(tenant, job_id, 0):
            if isinstance(item, Update) and item.event.state == state:
                return

    await asyncio.wait_for(go(), 5)


async def said(qrtx: Qrtx, tenant: str, job_id: str, words: str) -> None:
    """Wait (on the job's event stream) for an event whose message contains ``words``."""

    async def go() -> None:
        async for item in qrtx.jobs.watch(tenant, job_id, 0):
            if isinstance(item, Update) and words in item.event.message:
                return

    await asyncio.wait_for(go(), 5)


async def events(qrtx: Qrtx, tenant: str, job_id: str, timeout: float = 10) -> list[Update]:
    """Every event of a job until its terminal one (heartbeats skipped)."""
    out: list[Update] = []

    async def go() -> None:
        async for item in qrtx.jobs.watch(tenant, job_id, 0):
            if not isinstance(item, Heartbeat):
                out.append(item)

    await asyncio.wait_for(go(), timeout)
    return out
