"""The scheduling policy alone (pure: no I/O, no asyncio, no clock) — SPEC §12.

Example tests pin the rules of docs/scheduling.md; property tests (hypothesis) check the
invariants over random arrival streams: no starvation within the stated bound, FIFO within
equal effective priority, fair share between tenants.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from eigen_kernel.domain import WaitingReason
from eigen_kernel.policy import (
    MAX_PRIORITY,
    PolicyConfig,
    QueuedJob,
    SchedulingPolicy,
    estimate_wait,
)

DEV = "aer.automatic"


def policy(slots: int = 1, aging: float = 10.0, cap: int = 0) -> SchedulingPolicy:
    p = SchedulingPolicy(PolicyConfig(aging, cap))
    p.set_device(DEV, slots)
    return p


def job(
    jid: str, tenant: str = "a", priority: int = 50, at: float = 0.0, res: str = ""
) -> QueuedJob:
    return QueuedJob(jid, tenant, DEV, priority, at, res)


def started(p: SchedulingPolicy, now: float = 0.0) -> list[str]:
    return [d.job_id for d in p.dispatch(DEV, now)]


def drain(p: SchedulingPolicy, now: float = 0.0) -> list[str]:
    """Run everything one at a time (each start finishes before the next decision)."""
    out = []
    while True:
        ds = p.dispatch(DEV, now)
        if not ds:
            return out
        for d in ds:
            out.append(d.job_id)
            p.finish(d.job_id)


def test_higher_priority_first_and_fifo_within_a_priority() -> None:
    p = policy()
    p.enqueue(job("blocker"))
    assert started(p) == ["blocker"]
    for i, prio in enumerate([10, 10, 10, 90, 50, 10]):
        p.enqueue(job(f"j{i}", priority=prio, at=1.0 + i * 0.001))
    p.finish("blocker")
    assert drain(p, now=2.0) == ["j3", "j4", "j0", "j1", "j2", "j5"]


def test_a_priority_90_job_overtakes_queued_priority_10_jobs() -> None:
    p = policy()
    p.enqueue(job("running"))
    started(p)
    for i in range(3):
        p.enqueue(job(f"low{i}", priority=10, at=1.0 + i))
    p.enqueue(job("high", priority=90, at=5.0))
    assert p.order(DEV) == ["high", "low0", "low1", "low2"]
    p.finish("running")
    assert started(p, now=6.0) == ["high"]


def test_aging_lets_a_long_waiting_job_outrank_any_newcomer() -> None:
    p = policy(aging=10.0)
    p.enqueue(job("running"))
    started(p)
    p.enqueue(job("old", priority=0, at=0.0))
    bound = (MAX_PRIORITY - 0) * 10.0
    p.enqueue(job("new-just-inside", priority=100, at=bound - 0.5))
    p.enqueue(job("new-after-bound", priority=100, at=bound + 0.5))
    assert p.order(DEV) == ["new-just-inside", "old", "new-after-bound"]


def test_one_tenants_single_job_is_not_stuck_behind_another_tenants_thousand() -> None:
    p = policy(slots=2)
    for i in range(1000):
        p.enqueue(job(f"a{i}", tenant="a", at=i * 0.001))
    assert started(p) == ["a0", "a1"]
    p.enqueue(job("b0", tenant="b", at=5.0))
    assert p.order(DEV)[0] == "b0"
    p.finish("a0")  # the next slot turn goes to tenant b
    assert started(p, now=6.0) == ["b0"]


def test_tenants_take_turns_when_both_have_backlogs() -> None:
    p = policy(slots=1)
    for i in range(4):
        p.enqueue(job(f"a{i}", tenant="a", at=i))
        p.enqueue(job(f"b{i}", tenant="b", at=10 + i))
    assert drain(p) == ["a0", "b0", "a1", "b1", "a2", "b2", "a3", "b3"]


def test_running_cap_holds_a_tenant_back_and_says_why() -> None:
    p = policy(slots=3, cap=1)
    p.enqueue(job("a0", tenant="a"))
    p.enqueue(job("a1", tenant="a", at=1))
    p.enqueue(job("b0", tenant="b", at=2))
    assert started(p) == ["a0", "b0"]
    assert p.reason("a1") == WaitingReason.TENANT_LIMIT
    p.finish("a0")
    assert started(p) == ["a1"]


def test_a_reservation_holds_a_slot_for_its_jobs_only() -> None:
    p = policy(slots=2)
    p.add_reservation("r1", DEV, "owner")
    for i in range(3):
        p.enqueue(job(f"g{i}", tenant="x", at=i))
    assert started(p) == ["g0"]  # one shared slot left
    p.enqueue(job("mine", tenant="owner", res="r1", at=5))
    assert started(p) == ["mine"]
    assert p.reason("g1") == WaitingReason.DEVICE
    with pytest.raises(ValueError):
        p.enqueue(job("theirs", tenant="x", res="r1"))
    p.enqueue(job("mine2", tenant="owner", res="r1", at=6))
    assert p.reason("mine2") == WaitingReason.RESERVATION
    assert p.remove_reservation("r1") == ["mine2"]
    assert p.queued("mine2") is None
    p.finish("mine")
    assert started(p) == ["g1"]  # the freed slot serves everyone again


def test_reservations_never_exceed_slots() -> None:
    p = policy(slots=1)
    assert p.can_reserve(DEV)
    p.add_reservation("r1", DEV, "t")
    assert not p.can_reserve(DEV)
    with pytest.raises(ValueError):
        p.add_reservation("r2", DEV, "t")


def test_offline_device_dispatches_nothing() -> None:
    p = policy()
    p.set_device(DEV, 1, online=False)
    p.enqueue(job("j"))
    assert started(p) == []
    assert p.reason("j") == WaitingReason.DEVICE_OFFLINE
    p.set_device(DEV, 1, online=True)
    assert started(p) == ["j"]


def test_removed_jobs_are_skipped() -> None:
    p = policy()
    p.enqueue(job("j0"))
    p.enqueue(job("j1", at=1))
    assert p.remove("j0") and not p.remove("j0")
    assert started(p) == ["j1"]


def test_estimate_wait_is_list_scheduling() -> None:
    assert estimate_wait(0, 2, [], 3.0) == 0.0
    assert estimate_wait(0, 1, [1.5], 3.0) == 1.5
    assert estimate_wait(3, 2, [1.0, 2.0], 3.0) == pytest.approx(5.0)  # slots free at 1,2 → 4,5
    assert estimate_wait(2000, 2, [0.0, 0.0], 1.0) == pytest.approx(1000.0, rel=0.01)


# --- properties over random arrival streams --------------------------------------------------


@dataclass
class Arrival:
    jid: str
    tenant: str
    priority: int
    at: float


arrivals = st.lists(
    st.tuples(
        st.sampled_from("abc"),
        st.integers(0, MAX_PRIORITY),
        st.floats(0, 5, allow_nan=False),
    ),
    min_size=1,
    max_size=60,
)


def simulate(
    raw: list[tuple[str, int, float]], slots: int, aging: float, run_time: float = 1.0
) -> tuple[list[Arrival], dict[str, float]]:
    """Arrivals every ``gap``; each job runs ``run_time``; returns start times."""
    jobs = []
    t = 0.0
    for i, (tenant, prio, gap) in enumerate(raw):
        t += gap
        jobs.append(Arrival(f"j{i}", tenant, prio, t))
    p = policy(slots=slots, aging=aging)
    start: dict[str, float] = {}
    running: dict[str, float] = {}
    pending = list(jobs)
    now = 0.0
    while len(start) < len(jobs):
        # next event: an arrival or a completion
        nxt = min([a.at for a in pending[:1]] + list(running.values()))
        now = nxt
        for jid, end in list(running.items()):
            if end <= now:
                p.finish(jid)
                del running[jid]
        while pending and pending[0].at <= now:
            a = pending.pop(0)
            p.enqueue(QueuedJob(a.jid, a.tenant, DEV, a.priority, a.at))
        for d in p.dispatch(DEV, now):
            start[d.job_id] = now
            running[d.job_id] = now + run_time
    return jobs, start


@settings(max_examples=150, deadline=None)
@given(arrivals, st.integers(1, 3), st.sampled_from([0.5, 2.0, 10.0]))
def test_no_overtaking_of_a_job_past_its_aging_bound(raw, slots, aging) -> None:
    # A later job of the same tenant starts first only if it arrived within
    # (100 - p) * aging of the earlier one: after that the earlier one outranks every newcomer.
    jobs, start = simulate(raw, slots, aging)
    for j in jobs:
        for k in jobs:
            if k.tenant == j.tenant and k.at > j.at and start[k.jid] < start[j.jid]:
                assert k.at - j.at < (MAX_PRIORITY - j.priority) * aging + 1e-9


@settings(max_examples=150, deadline=None)
@given(arrivals, st.integers(1, 3))
def test_fifo_within_equal_effective_priority(raw, slots) -> None:
    jobs, start = simulate([(t, 50, gap) for t, _, gap in raw], slots, 10.0)
    for j in jobs:
        for k in jobs:
            if k.tenant == j.tenant and k.at > j.at:
                assert start[j.jid] <= start[k.jid]


@settings(max_examples=100, deadline=None)
@given(st.integers(1, 200), st.integers(1, 3), st.floats(0, 50, allow_nan=False))
def test_a_lone_job_of_another_tenant_waits_at_most_one_slot_turn(backlog, slots, arrive) -> None:
    p = policy(slots=slots)
    for i in range(backlog):
        p.enqueue(job(f"a{i}", tenant="a", priority=100, at=0.0))
    running = [d.job_id for d in p.dispatch(DEV, 0.0)]
    p.enqueue(job("b", tenant="b", priority=0, at=arrive))
    first = p.dispatch(DEV, arrive)
    if first:  # a slot was free: it went to b at once
        assert [d.job_id for d in first] == ["b"]
        return
    p.finish(running[0])  # the next slot turn
    assert [d.job_id for d in p.dispatch(DEV, arrive + 1)] == ["b"]


@settings(max_examples=100, deadline=None)
@given(arrivals, st.integers(1, 3))
def test_order_predicts_the_start_order_when_nothing_else_arrives(raw, slots) -> None:
    p = policy(slots=slots)
    for i, (tenant, prio, gap) in enumerate(raw):
        p.enqueue(QueuedJob(f"j{i}", tenant, DEV, prio, gap))
    predicted = p.order(DEV)
    actual: list[str] = []
    while True:
        ds = p.dispatch(DEV, 100.0)
        if not ds:
            break
        actual += [d.job_id for d in ds]
        for d in ds:
            p.finish(d.job_id)
    # with slots > 1 several start at once: compare the sequence of decisions
    assert actual == predicted or (slots > 1 and sorted(actual) == sorted(predicted))
