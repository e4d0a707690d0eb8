"""Failure modes of the kernel that real services cannot produce on demand.

The compiler and driver-manager ports are the shared doubles of ``eigen_kernel.testing`` so that
outages, disk-full errors and interleavings can be injected deterministically; everything else
(SQLite store, blob store, scheduler, runtime) is real. Found by review; each test failed before
its fix.
"""

from __future__ import annotations

import asyncio
import errno
from pathlib import Path

import pytest

from eigen_common import errors
from eigen_common.devices import Device, DeviceStatus
from eigen_kernel.domain import WaitingReason
from eigen_kernel.states import TERMINAL, TaskState
from eigen_kernel.testing import (
    FakeCompiler,
    FakeDriver,
    events,
    reached,
    running_kernel,
    submission,
)


async def settle(qrtx) -> None:
    """Let every task of the runtime finish (their done-callbacks run a loop turn later)."""
    while qrtx.runtime.tasks:
        await asyncio.gather(*qrtx.runtime.tasks.values(), return_exceptions=True)
        await asyncio.sleep(0)


async def test_driver_outage_during_recovery_is_waited_out(tmp_path: Path) -> None:
    d = FakeDriver()
    d.gate.clear()
    async with running_kernel(tmp_path, d, device_slots=1) as k:
        a, _ = k.jobs.submit("t", "o", submission("a"), b"0")
        b, _ = k.jobs.submit("t", "o", submission("b"), b"1")
        await reached(k, "t", a.job_id, TaskState.EXECUTING)
        await reached(k, "t", b.job_id, TaskState.QUEUED)
    d2 = FakeDriver(down=True)
    async with running_kernel(tmp_path, d2, device_slots=1) as k2:
        # the saved device list lets recovery proceed; executions wait for the driver-manager
        await asyncio.sleep(0.05)
        assert k2.jobs.queue_info(k2.jobs.get("t", a.job_id)).reason in (
            WaitingReason.BACKEND_UNAVAILABLE,
            WaitingReason.DEVICE,
        )
        d2.down = False
        assert (await events(k2, "t", a.job_id))[-1].event.state == TaskState.COMPLETED
        assert (await events(k2, "t", b.job_id))[-1].event.state == TaskState.COMPLETED
    assert d2.finished == [a.job_id, b.job_id]  # requeued in their order, each run once


async def test_submission_never_waits_on_the_driver_manager(tmp_path: Path) -> None:
    d = FakeDriver()
    async with running_kernel(tmp_path, d) as k:
        d.down = True
        listings = d.listings
        job, _ = k.jobs.submit("t", "o", submission("x"), b"0")  # synchronous: no await at all
        assert job.device_id == "aer" and d.listings == listings
        d.down = False
        assert (await events(k, "t", job.job_id))[-1].event.state == TaskState.COMPLETED


async def test_disk_full_while_storing_the_program_ends_the_job(tmp_path, monkeypatch) -> None:
    async with running_kernel(tmp_path) as k:

        def full(key: str, data: bytes) -> None:
            raise OSError(errno.ENOSPC, "No space left on device")

        monkeypatch.setattr(k.artifacts._blobs, "put", full)
        job, _ = k.jobs.submit("t", "o", submission(), b"0")
        last = (await events(k, "t", job.job_id))[-1].event
        done = k.jobs.get("t", job.job_id)
        assert last.terminal and done.state == TaskState.FAILED
        assert done.error_code == "STORAGE_FULL"
        await settle(k)
        assert not k.runtime.tasks


async def test_compilation_failure_keeps_its_diagnostics(tmp_path: Path) -> None:
    async with running_kernel(tmp_path, compiler=FakeCompiler(fail=True)) as k:
        job, _ = k.jobs.submit("t", "o", submission(), b"0")
        await events(k, "t", job.job_id)
        res = k.jobs.results("t", job.job_id)
        assert res.job.error_code == "COMPILATION_FAILED"
        assert res.error is not None and res.error.diagnostics[0]["line"] == 1


async def test_cancel_before_the_pipeline_first_runs_cleans_up(tmp_path: Path) -> None:
    async with running_kernel(tmp_path) as k:
        job, _ = k.jobs.submit("t", "o", submission(), b"0")
        k.jobs.cancel("t", job.job_id, "")  # same loop turn as the submission
        last = (await events(k, "t", job.job_id))[-1].event
        assert last.state == TaskState.CANCELLED
        await settle(k)
        assert job.job_id not in k.runtime.tasks
        assert b'"event_seq": 2' in b"".join(
            k.jobs.artifact("t", job.job_id, "events.jsonl").chunks
        )


async def test_recovery_never_runs_a_live_job_twice(tmp_path: Path) -> None:
    d = FakeDriver()
    d.gate.clear()
    async with running_kernel(tmp_path, d, device_slots=2) as k:
        job, _ = k.jobs.submit("t", "o", submission(), b"0")
        await reached(k, "t", job.job_id, TaskState.EXECUTING)
        task = k.runtime.tasks[job.job_id]
        k.runtime.recover()
        assert list(k.runtime.tasks) == [job.job_id] and k.runtime.tasks[job.job_id] is task
        d.gate.set()
        assert (await events(k, "t", job.job_id))[-1].event.state == TaskState.COMPLETED
        assert d.executions == [job.job_id]
        assert not any("restart" in e.message for e in k.store.events_after(job.job_id, 0))


async def test_offline_device_is_rejected_at_submission(tmp_path: Path) -> None:
    offline = Device(
        "aer", "aer", "simulator", DeviceStatus.OFFLINE, 5, ("sim:local",),
        status_message="driver failed to initialise: no credentials",
    )  # fmt: skip
    async with running_kernel(tmp_path, FakeDriver(devices=[offline])) as k:
        with pytest.raises(errors.DeviceOfflineError, match="no credentials"):
            k.jobs.submit("t", "o", submission(), b"0")
        assert k.store.list_jobs("t", [], 10, "")[0] == []


async def test_every_job_ends_exactly_once_under_mixed_faults(tmp_path: Path) -> None:
    d = FakeDriver(seconds=0.002)
    async with running_kernel(tmp_path, d, device_slots=2) as k:
        ids = []
        for i in range(30):
            kw = {"timeout_seconds": 0.001} if i % 7 == 0 else {}
            job, _ = k.jobs.submit("t", "o", submission(f"j{i}", **kw), str(i).encode())
            ids.append(job.job_id)
            if i % 5 == 0:
                k.jobs.cancel("t", job.job_id, "")
        for j in ids:
            await events(k, "t", j)
            evs = k.store.events_after(j, 0)
            assert k.jobs.get("t", j).state in TERMINAL
            assert [e.seq for e in evs] == list(range(1, len(evs) + 1))
            assert sum(e.terminal for e in evs) == 1 and evs[-1].terminal
        await settle(k)
        assert not k.runtime.tasks
        assert k.scheduler.policy.running_count("aer") == 0
        assert k.scheduler.policy.queue_length("aer") == 0


async def test_idempotency_key_returns_the_first_job(tmp_path: Path) -> None:
    async with running_kernel(tmp_path) as k:
        first, dup = k.jobs.submit("t", "o", submission(idempotency_key="k"), b"same")
        again, dup2 = k.jobs.submit("t", "o", submission(idempotency_key="k"), b"same")
        assert not dup and dup2 and again.job_id == first.job_id
        with pytest.raises(errors.IdempotencyConflictError):
            k.jobs.submit("t", "o", submission(idempotency_key="k"), b"different")


async def test_an_outage_longer_than_the_jobs_timeout_ends_it_timeout(tmp_path: Path) -> None:
    d = FakeDriver()
    async with running_kernel(tmp_path, d) as k:
        d.down = True
        job, _ = k.jobs.submit("t", "o", submission(timeout_seconds=0.3), b"0")
        last = (await events(k, "t", job.job_id))[-1].event
        assert last.state in (TaskState.TIMEOUT, TaskState.FAILED)
        assert k.jobs.get("t", job.job_id).error_code in ("TIMEOUT", "SERVICE_UNAVAILABLE")


async def test_a_tenant_at_its_unfinished_jobs_cap_is_refused_and_nothing_is_created(
    tmp_path: Path,
) -> None:
    d = FakeDriver()
    d.gate.clear()
    async with running_kernel(tmp_path, d, tenant_queued_cap=2) as k:
        a, _ = k.jobs.submit("t", "o", submission("a"), b"a")
        k.jobs.submit("t", "o", submission("b"), b"b")
        with pytest.raises(errors.ResourceExhaustedError) as exc:
            k.jobs.submit("t", "o", submission("c"), b"c")
        assert exc.value.metadata["subject"] == "tenant:t/queued_jobs"
        assert len(k.store.list_jobs("t", [], 10, "")[0]) == 2
        k.jobs.submit("other", "o", submission("d"), b"d")  # other tenants are not affected
        k.jobs.cancel("t", a.job_id, "")
        k.jobs.submit("t", "o", submission("c"), b"c")  # a finished job frees a place


async def test_a_jobs_shots_are_its_effective_shots(tmp_path: Path) -> None:
    async with running_kernel(tmp_path) as k:
        asked, _ = k.jobs.submit("t", "o", submission("a", shots=77), b"a")
        default, _ = k.jobs.submit("t", "o", submission("b"), b"b")
        for j in (asked, default):
            await events(k, "t", j.job_id)
        assert k.jobs.shots(k.jobs.get("t", asked.job_id)) == 77
        assert k.jobs.shots(k.jobs.get("t", default.job_id)) == 1024


async def test_a_sweep_without_parameters_runs_once_per_row(tmp_path: Path) -> None:
    from eigen_kernel.domain import Sweep

    async with running_kernel(tmp_path) as k:
        sweep = Sweep((), ((), (), ()), (3,))
        job, _ = k.jobs.submit("t", "o", submission("s", sweep=sweep), b"s")
        await events(k, "t", job.job_id)
        res = k.jobs.results("t", job.job_id)
        assert res.job.state == TaskState.COMPLETED
        assert len(res.outcome.sweep) == 3 and res.outcome.counts == {}


async def test_a_full_job_store_is_resource_exhausted_and_stores_nothing(tmp_path: Path) -> None:
    async with running_kernel(tmp_path) as k:
        done, _ = k.jobs.submit("t", "o", submission("before"), b"0")
        await events(k, "t", done.job_id)
        db = k.store._db  # SQLite's own limit: the database file cannot grow any more
        pages = db.execute("PRAGMA page_count").fetchone()[0]
        db.execute(f"PRAGMA max_page_count = {pages}")
        big = submission("big", source="x" * 200_000)  # needs new pages
        with pytest.raises(errors.StorageFullError) as exc:
            k.jobs.submit("t", "o", big, b"1")
        assert exc.value.code.name == "RESOURCE_EXHAUSTED" and exc.value.retry_after
        assert [j.job_id for j in k.store.list_jobs("t", [], 10, "")[0]] == [done.job_id]
        db.execute("PRAGMA max_page_count = 1073741823")
        again, _ = k.jobs.submit("t", "o", big, b"1")  # space again: accepted
        assert (await events(k, "t", again.job_id))[-1].event.state == TaskState.COMPLETED


async def test_a_restarted_kernel_does_not_compile_a_known_program_again(tmp_path: Path) -> None:
    compiler = FakeCompiler()
    async with running_kernel(tmp_path, compiler=compiler) as k:
        first, _ = k.jobs.submit("t", "o", submission("p", source="same program"), b"1")
        await events(k, "t", first.job_id)
    async with running_kernel(tmp_path, compiler=compiler) as k:
        again, _ = k.jobs.submit("t", "o", submission("p", source="same program"), b"2")
        assert (await events(k, "t", again.job_id))[-1].event.state == TaskState.COMPLETED
    assert compiler.calls == [first.job_id]  # the knowledge base answered the second time
