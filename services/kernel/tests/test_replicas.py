"""Several kernels on one store (SPEC §14): device leases, hand-over of accepted jobs, and the
take-over of a dead kernel's work. Two real kernels share one SQLite file here (the lease and
claim rules are the store's, the same on PostgreSQL); the driver-manager is the shared double.
"""

from __future__ import annotations

from contextlib import AsyncExitStack
from pathlib import Path

import pytest

from eigen_kernel.domain import Step
from eigen_kernel.lifecycle import JobEnded
from eigen_kernel.states import TaskState
from eigen_kernel.testing import FakeDriver, events, reached, running_kernel, said, submission

LEASE = 0.9


async def test_one_kernel_schedules_a_device_and_takes_jobs_others_accepted(
    tmp_path: Path,
) -> None:
    da, db = FakeDriver(), FakeDriver()
    async with AsyncExitStack() as stack:
        a = await stack.enter_async_context(
            running_kernel(tmp_path, da, kernel_id="a", lease_seconds=LEASE)
        )
        b = await stack.enter_async_context(
            running_kernel(tmp_path, db, kernel_id="b", lease_seconds=LEASE)
        )
        assert a.runtime.own("aer") and not b.runtime.own("aer")
        job, _ = b.jobs.submit("t", "o", submission("via-b"), b"1")  # accepted by b
        # a, the device's owner, picks it up (at its next lease renewal without a feed)
        assert (await events(a, "t", job.job_id))[-1].event.state == TaskState.COMPLETED
        assert b.jobs.get("t", job.job_id).state == TaskState.COMPLETED
    assert da.executions == [job.job_id] and db.executions == []  # run by the owner only


async def test_a_dead_kernels_jobs_are_taken_over_and_end_exactly_once(tmp_path: Path) -> None:
    da = FakeDriver()
    da.gate.clear()
    db = FakeDriver()
    db.gate.clear()
    async with AsyncExitStack() as stack:
        a = await stack.enter_async_context(
            running_kernel(tmp_path, da, kernel_id="a", lease_seconds=LEASE)
        )
        jobs = [a.jobs.submit("t", "o", submission(f"j{i}"), b"%d" % i)[0] for i in range(4)]
        await reached(a, "t", jobs[0].job_id, TaskState.EXECUTING)
        for j in jobs[1:]:
            await reached(a, "t", j.job_id, TaskState.QUEUED)
        # kernel a dies: its tasks stop, its leases are not released
        a.runtime.crash()
        b = await stack.enter_async_context(
            running_kernel(tmp_path, db, kernel_id="b", lease_seconds=LEASE)
        )
        assert not b.runtime.own("aer")  # a's lease has not lapsed yet
        await said(b, "t", jobs[0].job_id, "requeued after kernel restart")  # ~1 lease later
        assert b.runtime.own("aer")
        # a zombie step of the dead kernel is refused: nothing is announced twice
        with pytest.raises(JobEnded):
            a.lifecycle.advance(a.store.get_job(jobs[2].job_id), Step(TaskState.QUEUED, "zombie"))
        db.gate.set()
        for j in jobs:
            evs = await events(b, "t", j.job_id, timeout=15)
            assert evs[-1].event.state == TaskState.COMPLETED
            seqs = [e.seq for e in b.store.events_after(j.job_id, 0)]
            assert seqs == list(range(1, len(seqs) + 1))
            assert sum(e.terminal for e in b.store.events_after(j.job_id, 0)) == 1
        assert db.executions == [j.job_id for j in jobs]  # the one caught running, run once more
        assert not any(
            "zombie" in e.message for j in jobs for e in b.store.events_after(j.job_id, 0)
        )
