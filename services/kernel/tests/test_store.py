import sqlite3

import pytest

from eigen_kernel.domain import Submission
from eigen_kernel.states import TaskState
from eigen_kernel.store import JobStore, TransitionRejected


def sub(**kw):
    base = dict(name="bell", language="qasm", source="OPENQASM 2.0;", target="sim:local")
    base.update(kw)
    return Submission(**base)


@pytest.fixture
def store(tmp_path):
    s = JobStore(tmp_path / "jobs.db")
    yield s
    s.close()


def test_events_are_numbered_from_one_without_gaps(store):
    store.create_job("j1", "t", "u", sub(), "h")
    for st in (TaskState.VALIDATING, TaskState.COMPILING, TaskState.QUEUED):
        store.transition("j1", st, st.value)
    evs = store.events_after("j1", 0)
    assert [e.seq for e in evs] == [1, 2, 3, 4]
    assert [e.state for e in evs] == [
        TaskState.PENDING,
        TaskState.VALIDATING,
        TaskState.COMPILING,
        TaskState.QUEUED,
    ]
    assert [e.seq for e in store.events_after("j1", 2)] == [3, 4]


def test_first_terminal_decision_wins(store):
    store.create_job("j1", "t", "u", sub(), "h")
    job, ev = store.transition("j1", TaskState.CANCELLED, "cancelled")
    assert ev.terminal and job.state == TaskState.CANCELLED
    with pytest.raises(TransitionRejected) as exc:
        store.transition("j1", TaskState.FAILED, "late failure")
    assert exc.value.current == TaskState.CANCELLED
    assert sum(e.terminal for e in store.events_after("j1", 0)) == 1


def test_illegal_transition_is_rejected_and_changes_nothing(store):
    store.create_job("j1", "t", "u", sub(), "h")
    with pytest.raises(TransitionRejected):
        store.transition("j1", TaskState.COMPLETED, "skip")
    assert store.get_job("j1").state == TaskState.PENDING
    assert len(store.events_after("j1", 0)) == 1


def test_tenants_do_not_see_each_other(store):
    store.create_job("j1", "tenant-a", "u", sub(), "h")
    assert store.get_job("j1", "tenant-a") is not None
    assert store.get_job("j1", "tenant-b") is None
    assert store.list_jobs("tenant-b", [], 10, "")[0] == []


def test_paging_is_newest_first_and_complete(store):
    for i in range(7):
        store.create_job(f"j{i}", "t", "u", sub(name=f"n{i}"), "h")
    seen, token = [], ""
    while True:
        page, token = store.list_jobs("t", [], 3, token)
        seen += [j.job_id for j in page]
        if not token:
            break
    assert sorted(seen) == [f"j{i}" for i in range(7)]
    assert len(seen) == 7
    created = [store.get_job(j).created_at for j in seen]
    assert created == sorted(created, reverse=True)


def test_idempotency_key_is_unique_per_tenant(store):
    store.create_job("j1", "t", "u", sub(idempotency_key="k"), "h")
    store.create_job("j2", "other", "u", sub(idempotency_key="k"), "h")
    with pytest.raises(sqlite3.IntegrityError):
        store.create_job("j3", "t", "u", sub(idempotency_key="k"), "h")
    assert store.find_idempotent("t", "k").job_id == "j1"


def test_state_survives_reopen(tmp_path):
    s = JobStore(tmp_path / "db")
    s.create_job("j1", "t", "u", sub(shots=10, inputs={"a": 1.5}), "h")
    s.transition("j1", TaskState.VALIDATING, "v")
    s.close()
    s2 = JobStore(tmp_path / "db")
    job = s2.get_job("j1")
    assert job.state == TaskState.VALIDATING
    assert job.submission.shots == 10 and job.submission.inputs == {"a": 1.5}
    assert [j.job_id for j in s2.active_jobs()] == ["j1"]
