"""Several driver-managers behind one kernel (SPEC §14): merged devices, health, routing.

The members are the shared driver-manager double (:class:`FakeDriver`), so outages and busy
members happen on demand; the last tests use two real driver-manager servers over gRPC (what
a member that went away really answers), and a kernel that waits a pool's outage out.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from pathlib import Path

import pytest

from eigen_common import errors
from eigen_common.devices import DeviceStatus
from eigen_common.server import RunningServer
from eigen_driver_manager.app import build as build_driver_manager
from eigen_driver_manager.settings import DriverManagerSettings
from eigen_kernel.app import assemble
from eigen_kernel.clients import GrpcDriverManager
from eigen_kernel.domain import ExecutionOutcome
from eigen_kernel.driver_pool import DriverPool, parse_addresses, resolve
from eigen_kernel.settings import KernelSettings
from eigen_kernel.states import TaskState
from eigen_kernel.store import SqliteJobStore
from eigen_kernel.testing import DEVICE, FakeCompiler, FakeDriver, events, submission

ONLY_B = replace(DEVICE, device_id="only-b", targets=("sim:b",))


def pool_of(**members: FakeDriver) -> DriverPool:
    return DriverPool(list(members), lambda address: members[address])


async def test_devices_offered_by_several_appear_once_and_a_lost_members_go_offline() -> None:
    a = FakeDriver(devices=[replace(DEVICE, queue_depth=2)])
    b = FakeDriver(devices=[replace(DEVICE, queue_depth=3), ONLY_B])
    pool = pool_of(a=a, b=b)
    listed = await pool.list_devices(1.0)
    assert [(d.device_id, d.status, d.queue_depth) for d in listed] == [
        ("aer", DeviceStatus.ONLINE, 5),
        ("only-b", DeviceStatus.ONLINE, 0),
    ]
    b.down = True
    listed = {d.device_id: d for d in await pool.list_devices(1.0)}
    assert listed["aer"].status == DeviceStatus.ONLINE  # a still offers it
    assert listed["only-b"].status == DeviceStatus.OFFLINE
    assert "driver-manager b unreachable" in listed["only-b"].status_message
    assert [m.healthy for m in pool.members] == [True, False]
    b.down = False
    listed = {d.device_id: d for d in await pool.list_devices(1.0)}
    assert listed["only-b"].status == DeviceStatus.ONLINE and all(m.healthy for m in pool.members)


async def test_no_member_answering_is_unavailable() -> None:
    pool = pool_of(a=FakeDriver(down=True), b=FakeDriver(down=True))
    with pytest.raises(errors.ServiceUnavailableError, match="no driver-manager reachable"):
        await pool.list_devices(1.0)


async def test_calls_go_to_a_member_offering_the_device_the_least_busy_first() -> None:
    a, b = FakeDriver(), FakeDriver(devices=[DEVICE, ONLY_B])
    pool = pool_of(a=a, b=b)
    await pool.list_devices(1.0)
    await pool.execute("j1", "only-b", b"{}", 10, None, {}, {}, 5.0)
    assert a.executions == [] and b.executions == ["j1"]
    a.gate.clear()
    b.gate.clear()
    first = asyncio.create_task(pool.execute("j2", "aer", b"{}", 10, None, {}, {}, 5.0))
    second = asyncio.create_task(pool.execute("j3", "aer", b"{}", 10, None, {}, {}, 5.0))
    await asyncio.sleep(0)  # both calls reach their member (nothing else runs between)
    assert sorted([*a.executions, *b.executions]) == ["j1", "j2", "j3"]
    assert len(a.executions) == 1  # one each: the second went to the idle member
    a.gate.set()
    b.gate.set()
    assert (await first).counts == {"0": 10} and (await second).counts == {"0": 10}


async def test_a_member_that_went_away_is_skipped_within_the_same_call() -> None:
    a, b = FakeDriver(), FakeDriver()
    pool = pool_of(a=a, b=b)
    await pool.list_devices(1.0)
    a.down = True
    for i in range(3):
        out = await pool.execute(f"j{i}", "aer", b"{}", 7, None, {}, {}, 5.0)
        assert out.counts == {"0": 7}
    assert b.executions == ["j0", "j1", "j2"]
    assert [m.healthy for m in pool.members] == [False, True]
    b.down = True  # both gone: the kernel's patience gets UNAVAILABLE and waits
    with pytest.raises(errors.ServiceUnavailableError):
        await pool.execute("j9", "aer", b"{}", 7, None, {}, {}, 5.0)


class VendorDown(FakeDriver):
    async def estimate(self, *args: object, **kw: object) -> object:  # type: ignore[override]
        raise errors.BackendUnavailableError("the vendor is down")


async def test_a_vendor_outage_is_not_a_members_outage() -> None:
    a, b = VendorDown(), FakeDriver()
    pool = pool_of(a=a, b=b)
    await pool.list_devices(1.0)
    with pytest.raises(errors.BackendUnavailableError):
        for _ in range(2):  # whichever member is first, a's answer comes back as it is
            await pool.estimate("j", "aer", b"{}", [("Z", 1.0)], [{}], None, None, 5.0)
    assert all(m.healthy for m in pool.members)


async def test_vendor_executions_are_awaited_where_started_then_anywhere() -> None:
    a, b = FakeDriver(), FakeDriver()
    pool = pool_of(a=a, b=b)
    await pool.list_devices(1.0)
    a.gate.clear()
    b.gate.clear()
    execution_id, _ = await pool.start("j1", "aer", b"{}", 5, None, {}, 5.0)
    starter, other = (a, b) if a.executions else (b, a)
    starter.vendor_jobs, other.vendor_jobs = starter.vendor_jobs, dict(starter.vendor_jobs)
    assert not (await pool.wait("j1", "aer", execution_id, 0.01)).done
    assert (starter.polls, other.polls) == (1, 0)
    starter.down = True  # it went away: any member offering the device re-attaches
    other.gate.set()
    progress = await pool.wait("j1", "aer", execution_id, 0.01)
    assert progress.done and progress.outcome is not None and other.polls == 1


async def test_cancel_goes_to_the_member_running_the_job() -> None:
    a, b = FakeDriver(), FakeDriver()
    pool = pool_of(a=a, b=b)
    await pool.list_devices(1.0)
    a.gate.clear()
    b.gate.clear()
    run = asyncio.create_task(pool.execute("j1", "aer", b"{}", 5, None, {}, {}, 5.0))
    await asyncio.sleep(0)
    assert await pool.cancel("j1", "aer")
    runner = a if a.executions else b
    assert runner.cancelled == ["j1"] and (b if runner is a else a).cancelled == []
    a.gate.set()
    b.gate.set()
    await run


def test_address_lists_are_checked() -> None:
    assert parse_addresses(" a:1, dns:dm.svc:50054 ,") == ["a:1", "dns:dm.svc:50054"]
    for bad in ("", "a", "a:b", "a:70000", "dns:x"):
        with pytest.raises(ValueError):
            parse_addresses(bad)


async def test_a_dns_entry_is_every_address_of_the_name() -> None:
    assert "127.0.0.1:9" in await resolve("dns:localhost:9")
    assert await resolve("10.1.2.3:9") == ["10.1.2.3:9"]
    made: list[str] = []

    def connect(address: str) -> FakeDriver:
        made.append(address)
        return FakeDriver()

    pool = DriverPool(["dns:localhost:9", "127.0.0.2:9"], connect)
    assert [m.address for m in pool.members] == ["127.0.0.2:9"]  # not resolved yet
    await pool.list_devices(1.0)
    assert "127.0.0.1:9" in [m.address for m in pool.members] and "127.0.0.2:9" in made


# --- real driver-managers over gRPC ---------------------------------------------------------


@asynccontextmanager
async def driver_managers(n: int) -> AsyncIterator[list[RunningServer]]:
    apps = [build_driver_manager(DriverManagerSettings(port=0, metrics_port=0)) for _ in range(n)]
    servers = [await app.start() for app in apps]
    try:
        yield servers
    finally:
        for server, app in zip(servers, apps, strict=True):
            await server.stop(0)
            await app.close()


async def test_a_real_driver_manager_that_stopped_is_marked_down_and_its_twin_serves() -> None:
    async with driver_managers(2) as (s1, s2):
        addresses = [f"127.0.0.1:{s.port}" for s in (s1, s2)]
        pool = DriverPool(addresses, lambda a: GrpcDriverManager(a, 16 * 1024 * 1024))
        both = await pool.list_devices(10.0)
        assert both and all(m.healthy for m in pool.members)
        assert len({d.device_id for d in both}) == len(both)  # each device once
        await s1.stop(0)
        after = await pool.list_devices(10.0)
        assert [(d.device_id, d.status) for d in after] == [(d.device_id, d.status) for d in both]
        assert [m.healthy for m in pool.members] == [False, True]
        assert pool.members[0].reason  # why, as the failed call said
        await pool.close()


class Counting(FakeDriver):
    """Counts execution attempts; ``retried`` is set at the second one."""

    def __init__(self) -> None:
        super().__init__()
        self.attempts = 0
        self.retried = asyncio.Event()

    async def execute(self, job_id: str, *args: object, **kw: object) -> ExecutionOutcome:  # type: ignore[override]
        self.attempts += 1
        if self.attempts >= 2:
            self.retried.set()
        return await super().execute(job_id, *args, **kw)  # type: ignore[arg-type]


async def test_a_kernel_waits_out_a_pool_with_no_member_left(tmp_path: Path) -> None:
    a, b = Counting(), Counting()
    pool = pool_of(a=a, b=b)
    settings = KernelSettings(home=tmp_path, retry_base_seconds=0.01, retry_cap_seconds=0.05)
    store = SqliteJobStore(tmp_path / "jobs.db")
    k = assemble(settings, store, FakeCompiler(), pool)
    await k.runtime.catalog.refresh()
    await k.start()
    try:
        a.down = b.down = True
        job, _ = k.jobs.submit("t", "o", submission("waits"), b"1")
        await asyncio.wait_for(a.retried.wait(), 5)  # UNAVAILABLE, retried by the patience
        assert k.jobs.get("t", job.job_id).state != TaskState.FAILED
        b.down = False  # one comes back: the next attempt finds it
        evs = await events(k, "t", job.job_id)
        assert evs[-1].event.state == TaskState.COMPLETED
    finally:
        await k.stop()
        store.close()
    assert b.executions == [job.job_id] and a.executions == []
