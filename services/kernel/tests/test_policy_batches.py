"""Batches in the scheduling policy (issue 9): small jobs share a slot, nothing else changes.

A device declared with ``batch`` > 1 lets a batchable job's slot take the jobs the rules would
start next, while they are batchable: the start order is the one-by-one order, slots are held
until the last job of a batch ends, reserved and non-batchable jobs never share.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from eigen_kernel.policy import MAX_PRIORITY, PolicyConfig, QueuedJob, SchedulingPolicy

DEV = "aer.automatic"


def policy(slots: int = 1, batch: int = 4, cap: int = 0) -> SchedulingPolicy:
    p = SchedulingPolicy(PolicyConfig(10.0, cap))
    p.set_device(DEV, slots, batch=batch)
    return p


def job(jid: str, tenant: str = "a", small: bool = True, priority: int = 50, at: float = 0.0):
    return QueuedJob(jid, tenant, DEV, priority, at, "", small)


def test_a_slot_takes_up_to_batch_small_jobs_in_order() -> None:
    p = policy(slots=1, batch=4)
    for i in range(6):
        p.enqueue(job(f"j{i}", at=float(i)))
    ds = p.dispatch(DEV, 0.0)
    assert [d.job_id for d in ds] == ["j0", "j1", "j2", "j3"]
    assert [d.group for d in ds] == ["", "j0", "j0", "j0"]
    assert p.running_count(DEV) == 4
    assert p.dispatch(DEV, 0.0) == []  # the one slot is held


def test_the_slot_is_free_only_when_the_last_job_of_the_batch_ends() -> None:
    p = policy(slots=1, batch=3)
    for i in range(5):
        p.enqueue(job(f"j{i}", at=float(i)))
    first = [d.job_id for d in p.dispatch(DEV, 0.0)]
    assert first == ["j0", "j1", "j2"]
    p.finish("j0")  # the holder ends first: the riders still hold its slot
    p.finish("j2")
    assert p.dispatch(DEV, 1.0) == []
    p.finish("j1")
    assert [d.job_id for d in p.dispatch(DEV, 1.0)] == ["j3", "j4"]


def test_a_job_that_is_not_batchable_ends_the_batch_and_waits_its_turn() -> None:
    p = policy(slots=2, batch=8)
    p.enqueue(job("s0", at=0))
    p.enqueue(job("s1", at=1))
    p.enqueue(job("big", small=False, at=2))
    p.enqueue(job("s2", at=3))
    ds = p.dispatch(DEV, 0.0)
    # s0 takes slot 1 with s1; "big" is next in line: it takes slot 2 alone; s2 waits for a
    # slot (it may not overtake "big" by riding along)
    assert [(d.job_id, d.group) for d in ds] == [("s0", ""), ("s1", "s0"), ("big", "")]
    assert p.queued("s2") is not None
    p.finish("big")
    assert [d.job_id for d in p.dispatch(DEV, 1.0)] == ["s2"]


def test_a_non_batchable_holder_runs_alone() -> None:
    p = policy(slots=1, batch=8)
    p.enqueue(job("big", small=False))
    p.enqueue(job("s0", at=1))
    assert [d.job_id for d in p.dispatch(DEV, 0.0)] == ["big"]


def test_reserved_jobs_never_share_a_slot() -> None:
    p = policy(slots=2, batch=8)
    p.add_reservation("r1", DEV, "a")
    for i in range(3):
        p.enqueue(QueuedJob(f"r{i}", "a", DEV, 50, float(i), "r1", True))
    p.enqueue(job("g0", tenant="b", at=0))
    p.enqueue(job("g1", tenant="b", at=1))
    ds = {d.job_id: d.group for d in p.dispatch(DEV, 0.0)}
    assert ds == {"r0": "", "g0": "", "g1": "g0"}


def test_tenants_take_turns_inside_a_batch_and_caps_hold() -> None:
    p = policy(slots=1, batch=4, cap=2)
    for i in range(4):
        p.enqueue(job(f"a{i}", tenant="a", at=float(i)))
        p.enqueue(job(f"b{i}", tenant="b", at=float(i)))
    ds = [d.job_id for d in p.dispatch(DEV, 0.0)]
    assert ds == ["a0", "b0", "a1", "b1"]  # fewest running first, then least recently served


def test_batch_1_is_one_job_per_slot() -> None:
    p = policy(slots=2, batch=1)
    for i in range(4):
        p.enqueue(job(f"j{i}", at=float(i)))
    assert [d.job_id for d in p.dispatch(DEV, 0.0)] == ["j0", "j1"]


arrivals = st.lists(
    st.tuples(
        st.sampled_from("abc"),
        st.integers(0, MAX_PRIORITY),
        st.floats(0, 5, allow_nan=False),
        st.booleans(),
    ),
    min_size=1,
    max_size=60,
)


@settings(max_examples=150, deadline=None)
@given(arrivals, st.integers(1, 3), st.integers(1, 6))
def test_batches_start_jobs_in_the_one_by_one_order(raw, slots, batch) -> None:
    """With nothing else arriving, the start sequence is what order() predicts."""
    p = policy(slots=slots, batch=batch)
    for i, (tenant, prio, at, small) in enumerate(raw):
        p.enqueue(QueuedJob(f"j{i}", tenant, DEV, prio, at, "", small))
    predicted = p.order(DEV)
    actual: list[str] = []
    while True:
        ds = p.dispatch(DEV, 100.0)
        if not ds:
            break
        # never more slots in use than the device has, never a batch above its size
        holders = [d for d in ds if not d.group]
        assert len(holders) <= slots
        for h in holders:
            members = [d for d in ds if d.group == h.job_id]
            assert len(members) <= batch - 1
            assert not members or p.queued(h.job_id) is None
        actual += [d.job_id for d in ds]
        for d in ds:
            p.finish(d.job_id)
    assert sorted(actual) == sorted(predicted)
    if slots == 1:
        assert actual == predicted


def test_a_batched_job_counts_its_share_of_the_slot_in_the_queue_estimates() -> None:
    from eigen_kernel.scheduler import DeviceStats, Scheduler

    p = SchedulingPolicy(PolicyConfig(10.0, 0))
    p.set_device(DEV, 1, online=False, batch=4)
    sched = Scheduler(p, DeviceStats({}), 1, clock=lambda: 0.0, batch=4)
    started: list[str] = []
    sched.start = lambda d: started.append(d.job_id)
    for i in range(3):
        sched.enqueue(job(f"j{i}", at=float(i)))
    assert started == []  # offline: they wait together
    p.set_device(DEV, 1, online=True, batch=4)
    sched.kick(DEV)
    assert started == ["j0", "j1", "j2"]  # one slot, one batch of three
    for jid in started:
        sched.measured(jid, DEV, 0.3)  # each saw the whole batch's 0.3 s
    assert sched.stats.mean(DEV) == pytest.approx(0.1)  # the slot time per job
    for jid in started:
        sched.finish(jid)
    sched.enqueue(job("alone", small=False, at=9.0))
    assert started[-1] == "alone"
    sched.measured("alone", DEV, 0.1)
    assert sched.stats.mean(DEV) == pytest.approx(0.1)  # a lone job counts whole
