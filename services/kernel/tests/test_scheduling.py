"""The scheduler inside the kernel (SPEC §12): real store, runtime and policy; the driver-manager
is the shared double (its executions can be held at a gate or take a known time).
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from eigen_common import errors
from eigen_common.devices import Device, DeviceStatus
from eigen_kernel.domain import ReservationState, WaitingReason
from eigen_kernel.states import TaskState
from eigen_kernel.testing import FakeDriver, events, reached, running_kernel, said, submission


async def test_a_priority_90_job_overtakes_queued_priority_10_jobs(tmp_path: Path) -> None:
    d = FakeDriver()
    d.gate.clear()
    async with running_kernel(tmp_path, d, device_slots=1) as k:
        blocker, _ = k.jobs.submit("t", "o", submission("blocker"), b"b")
        await reached(k, "t", blocker.job_id, TaskState.EXECUTING)
        low = [k.jobs.submit("t", "o", submission(f"low{i}", priority=10), b"%d" % i)[0]
               for i in range(3)]  # fmt: skip
        high, _ = k.jobs.submit("t", "o", submission("high", priority=90), b"h")
        for j in [*low, high]:
            await reached(k, "t", j.job_id, TaskState.QUEUED)
        info = k.jobs.queue_info(k.jobs.get("t", high.job_id))
        assert (info.position, info.reason) == (1, WaitingReason.DEVICE)
        assert info.message.startswith("1st in line for aer")
        d.gate.set()
        for j in [*low, high]:
            await events(k, "t", j.job_id)
    assert d.executions == [blocker.job_id, high.job_id, *[j.job_id for j in low]]


async def test_a_tenants_single_job_is_not_stuck_behind_another_tenants_hundreds(
    tmp_path: Path,
) -> None:
    d = FakeDriver()
    d.gate.clear()
    async with running_kernel(tmp_path, d, device_slots=1) as k:
        flood = [k.jobs.submit("big", "o", submission(f"f{i}"), b"%d" % i)[0] for i in range(300)]
        await reached(k, "big", flood[-1].job_id, TaskState.QUEUED)
        lone, _ = k.jobs.submit("small", "o", submission("lone"), b"x")
        await reached(k, "small", lone.job_id, TaskState.QUEUED)
        info = k.jobs.queue_info(k.jobs.get("small", lone.job_id))
        assert info.position == 1 and info.reason == WaitingReason.DEVICE
        d.gate.set()
        await events(k, "small", lone.job_id)
        assert d.executions.index(lone.job_id) == 1  # right after the one that was running
        for j in flood:
            if k.jobs.get("big", j.job_id).state not in (TaskState.COMPLETED,):
                k.jobs.cancel("big", j.job_id, "done with the test")


async def test_a_reservation_is_used_by_its_owner_and_refused_to_another_tenant(
    tmp_path: Path,
) -> None:
    d = FakeDriver()
    async with running_kernel(tmp_path, d, device_slots=2) as k:
        r = k.reservations.reserve("owner", "alice", "sim:local", 60, "calibration run")
        assert r.device_id == "aer" and r.expires_at - r.created_at == pytest.approx(60)
        mine, _ = k.jobs.submit("owner", "alice", submission(reservation_id=r.reservation_id), b"m")
        assert (await events(k, "owner", mine.job_id))[-1].event.state == TaskState.COMPLETED
        with pytest.raises(errors.NotFoundError) as exc:
            k.jobs.submit("thief", "bob", submission(reservation_id=r.reservation_id), b"t")
        assert exc.value.reason == "RESERVATION_NOT_FOUND"
        with pytest.raises(errors.NotFoundError):
            k.reservations.cancel("thief", r.reservation_id)
        assert [x.reservation_id for x in k.reservations.list("owner", False)] == [r.reservation_id]
        assert k.reservations.list("thief", True) == []
        # a second reservation takes the last slot; a third has none
        r2 = k.reservations.reserve("other", "carol", "aer", 60, "")
        with pytest.raises(errors.NoSlotsError):
            k.reservations.reserve("other", "carol", "aer", 60, "")
        # with both slots reserved, an ordinary job waits and says why
        plain, _ = k.jobs.submit("x", "y", submission("plain"), b"p")
        await reached(k, "x", plain.job_id, TaskState.QUEUED)
        assert k.jobs.queue_info(k.jobs.get("x", plain.job_id)).position == 1
        k.reservations.cancel("other", r2.reservation_id)  # frees a slot: the job runs
        assert (await events(k, "x", plain.job_id))[-1].event.state == TaskState.COMPLETED


async def test_reservation_expiry_fails_its_waiting_jobs_and_survives_restarts(
    tmp_path: Path,
) -> None:
    d = FakeDriver()
    d.gate.clear()
    async with running_kernel(tmp_path, d, device_slots=2) as k:
        r = k.reservations.reserve("t", "o", "aer", 3600, "")
    async with running_kernel(tmp_path, d, device_slots=2) as k:  # a restart keeps it
        assert [x.state for x in k.reservations.list("t", False)] == [ReservationState.ACTIVE]
        running, _ = k.jobs.submit(
            "t", "o", submission("r1", reservation_id=r.reservation_id), b"1"
        )
        waiting, _ = k.jobs.submit(
            "t", "o", submission("r2", reservation_id=r.reservation_id), b"2"
        )
        await reached(k, "t", running.job_id, TaskState.EXECUTING)
        await reached(k, "t", waiting.job_id, TaskState.QUEUED)
        info = k.jobs.queue_info(k.jobs.get("t", waiting.job_id))
        assert info.reason == WaitingReason.RESERVATION and info.position == 1
        k.reservations.end(r.reservation_id, ReservationState.EXPIRED)
        last = (await events(k, "t", waiting.job_id))[-1].event
        assert last.state == TaskState.FAILED
        assert k.jobs.get("t", waiting.job_id).error_code == "RESERVATION_EXPIRED"
        d.gate.set()  # the job that was running in the slot finishes normally
        assert (await events(k, "t", running.job_id))[-1].event.state == TaskState.COMPLETED
        with pytest.raises(errors.FailedPreconditionError):
            k.jobs.submit("t", "o", submission(reservation_id=r.reservation_id), b"3")


async def test_a_short_reservation_expires_by_itself(tmp_path: Path) -> None:
    async with running_kernel(tmp_path) as k:
        r = k.reservations.reserve("t", "o", "aer", 1, "")
        deadline = time.time() + 5
        while k.reservations.get("t", r.reservation_id).state == ReservationState.ACTIVE:
            assert time.time() < deadline
            await asyncio.sleep(0.05)
        assert k.reservations.get("t", r.reservation_id).state == ReservationState.EXPIRED
        assert k.scheduler.policy.reserved("aer") == 0


async def test_cancelling_a_running_job_ends_it_at_once_and_discards_its_late_result(
    tmp_path: Path,
) -> None:
    d = FakeDriver()
    d.gate.clear()
    async with running_kernel(tmp_path, d, device_slots=1) as k:
        job, _ = k.jobs.submit("t", "o", submission("slow"), b"s")
        nxt, _ = k.jobs.submit("t", "o", submission("next"), b"n")
        await reached(k, "t", job.job_id, TaskState.EXECUTING)
        k.jobs.cancel("t", job.job_id, "changed my mind")
        assert k.jobs.get("t", job.job_id).state == TaskState.CANCELLED  # at once
        await reached(k, "t", nxt.job_id, TaskState.EXECUTING)  # its slot was freed at once
        await asyncio.wait_for(d.cancel_seen.wait(), 5)
        assert d.cancelled == [job.job_id]  # the driver-manager was told (CancelExecution)
        d.gate.set()  # the abandoned execution "finishes" late
        await events(k, "t", nxt.job_id)
        res = k.jobs.results("t", job.job_id)
        assert res.job.state == TaskState.CANCELLED and res.outcome.counts == {}
        evs = k.store.events_after(job.job_id, 0)
        assert sum(e.terminal for e in evs) == 1 and evs[-1].state == TaskState.CANCELLED


async def test_the_queue_estimate_is_within_a_factor_of_the_measured_wait(tmp_path: Path) -> None:
    # Jobs of known cost (0.15 s each, 2 slots). The device's mean execution time is learnt from
    # a first batch, as it would be on a live system; then the estimate each waiting job is given
    # is compared with the wait it actually had.
    cost = 0.15
    d = FakeDriver(seconds=cost)
    async with running_kernel(tmp_path, d, device_slots=2) as k:
        warm = [k.jobs.submit("t", "o", submission(f"w{i}"), b"w%d" % i)[0] for i in range(4)]
        for j in warm:
            await events(k, "t", j.job_id)
        jobs = [k.jobs.submit("t", "o", submission(f"j{i}"), b"%d" % i)[0] for i in range(10)]
        submitted = time.time()
        estimates = {}
        for j in jobs:
            await reached(k, "t", j.job_id, TaskState.QUEUED)
        for j in jobs:
            info = k.jobs.queue_info(k.jobs.get("t", j.job_id))
            estimates[j.job_id] = info.wait_seconds if info.position else 0
        starts = {}
        for j in jobs:
            evs = await events(k, "t", j.job_id)
            starts[j.job_id] = next(
                e.event.timestamp for e in evs if e.event.state == TaskState.EXECUTING
            )
        # estimates are whole seconds (rounded up): compare with a slack of one second
        for j in jobs:
            measured = starts[j.job_id] - submitted
            est = estimates[j.job_id]
            assert est <= 2 * measured + 1.0, (est, measured)
            assert measured <= 2 * est + 1.0, (est, measured)
        # the last job's estimate is close to the measured (cost × 10 jobs / 2 slots)
        last = jobs[-1].job_id
        assert starts[last] - submitted == pytest.approx(cost * 4.5, abs=0.6)


async def test_a_job_waiting_for_a_dependency_says_so(tmp_path: Path) -> None:
    d = FakeDriver()
    d.gate.clear()
    async with running_kernel(tmp_path, d, device_slots=1) as k:
        first, _ = k.jobs.submit("t", "o", submission("first"), b"1")
        second, _ = k.jobs.submit(
            "t", "o", submission("second", dependencies=(first.job_id,)), b"2"
        )
        await reached(k, "t", second.job_id, TaskState.QUEUED)
        job = k.jobs.get("t", second.job_id)
        assert "waiting for 1 dependency" in job.message
        info = k.jobs.queue_info(job)
        assert info.reason == WaitingReason.DEPENDENCY and info.position == 0
        d.gate.set()
        evs = [e.event for e in await events(k, "t", second.job_id)]
        assert evs[-1].state == TaskState.COMPLETED
        assert any("dependencies done" in e.message for e in evs)


async def test_running_caps_hold_a_tenant_back(tmp_path: Path) -> None:
    d = FakeDriver()
    d.gate.clear()
    async with running_kernel(tmp_path, d, device_slots=3, tenant_running_cap=1) as k:
        k.jobs.submit("a", "o", submission("a0"), b"0")
        a1, _ = k.jobs.submit("a", "o", submission("a1"), b"1")
        b0, _ = k.jobs.submit("b", "o", submission("b0"), b"2")
        await reached(k, "b", b0.job_id, TaskState.EXECUTING)
        await reached(k, "a", a1.job_id, TaskState.QUEUED)
        assert k.jobs.queue_info(k.jobs.get("a", a1.job_id)).reason == WaitingReason.TENANT_LIMIT
        d.gate.set()
        assert (await events(k, "a", a1.job_id))[-1].event.state == TaskState.COMPLETED


async def test_queued_jobs_keep_their_place_across_a_restart(tmp_path: Path) -> None:
    d = FakeDriver()
    d.gate.clear()
    async with running_kernel(tmp_path, d, device_slots=1) as k:
        jobs = [k.jobs.submit("t", "o", submission(f"j{i}", priority=p), b"%d" % i)[0]
                for i, p in enumerate([50, 10, 90, 50])]  # fmt: skip
        for j in jobs:
            await reached(k, "t", j.job_id, TaskState.QUEUED)
    d2 = FakeDriver()
    async with running_kernel(tmp_path, d2, device_slots=1) as k:
        for j in jobs:
            await events(k, "t", j.job_id)
    # j0 was running (requeued first: it keeps its earlier place), then by priority
    assert d2.executions == [jobs[0].job_id, jobs[2].job_id, jobs[3].job_id, jobs[1].job_id]


async def test_retention_removes_old_terminal_jobs_and_their_artifacts(tmp_path: Path) -> None:
    async with running_kernel(tmp_path) as k:
        old, _ = k.jobs.submit("t", "o", submission("old"), b"o")
        await events(k, "t", old.job_id)
        (k.artifacts._blobs.root / "jobs" / old.job_id).mkdir(parents=True)
        k.artifacts.put_history(old.job_id, {"iterations": []})
        live_dep, _ = k.jobs.submit("t", "o", submission("dep"), b"d")
        await events(k, "t", live_dep.job_id)
        d = k.runtime.driver
        d.gate.clear()
        blocker, _ = k.jobs.submit("t", "o", submission("blocker"), b"b")
        waiter, _ = k.jobs.submit(
            "t", "o", submission("waiter", dependencies=(live_dep.job_id, blocker.job_id)), b"w"
        )
        assert k.retention.collect(0.001, dry_run=True) == (1, 0)
        await asyncio.sleep(0.01)
        removed, freed = k.retention.collect(0.001)
        assert removed == 1 and freed > 0  # the dependency of a waiting job is kept
        with pytest.raises(errors.JobNotFoundError):
            k.jobs.get("t", old.job_id)
        assert not (k.artifacts._blobs.root / "jobs" / old.job_id).exists()
        assert k.jobs.get("t", live_dep.job_id).state == TaskState.COMPLETED
        d.gate.set()
        assert (await events(k, "t", waiter.job_id))[-1].event.state == TaskState.COMPLETED


QPU = Device(
    "ibm.qpu", "qpu", "ibmq", DeviceStatus.ONLINE, 127, ("ibm:qpu",), driver="ibm",
    slots=1, asynchronous=True,
)  # fmt: skip


async def test_a_vendor_job_is_started_once_and_reattached_after_a_restart(tmp_path: Path) -> None:
    d = FakeDriver(devices=[QPU])
    d.gate.clear()
    async with running_kernel(tmp_path, d) as k:
        job, _ = k.jobs.submit("t", "o", submission("q", target="ibm:qpu"), b"q")
        await said(k, "t", job.job_id, "vendor job vendor-1: QUEUED, 3 in the vendor's queue")
    # the kernel restarts while the vendor job is still queued at the vendor
    async with running_kernel(tmp_path, d) as k:
        assert k.scheduler.policy.is_running(job.job_id)  # it kept its slot
        d.gate.set()
        evs = await events(k, "t", job.job_id)
        assert evs[-1].event.state == TaskState.COMPLETED
        res = k.jobs.results("t", job.job_id)
        assert res.outcome.metadata["vendor_job_id"] == "vendor-1"
        assert not any("requeued" in e.event.message for e in evs)
    assert d.executions == [job.job_id]  # submitted to the vendor once, not twice


async def test_cancelling_a_vendor_job_cancels_it_at_the_vendor(tmp_path: Path) -> None:
    d = FakeDriver(devices=[QPU])
    d.gate.clear()
    async with running_kernel(tmp_path, d) as k:
        job, _ = k.jobs.submit("t", "o", submission("q", target="ibm:qpu"), b"q")
        await said(k, "t", job.job_id, "submitted to ibm.qpu: vendor job vendor-1")
        k.jobs.cancel("t", job.job_id, "")
        await asyncio.wait_for(d.cancel_seen.wait(), 5)
        assert d.cancelled == [job.job_id]
