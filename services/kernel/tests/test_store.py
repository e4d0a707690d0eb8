"""The job store's contract, run against each backend: SQLite (embedded) and PostgreSQL."""

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from eigen_kernel.domain import (
    ErrorRecord,
    JobOutcome,
    Reservation,
    ReservationState,
    Step,
    Submission,
)
from eigen_kernel.ports import DuplicateJob, TransitionRejected
from eigen_kernel.states import TaskState
from eigen_kernel.store import SqliteJobStore, migrations
from eigen_kernel.store_postgres import PostgresJobStore
from tests.backends import postgres


def sub(**kw):
    base = dict(name="bell", language="qasm", source="OPENQASM 2.0;", target="sim:local")
    base.update(kw)
    return Submission(**base)


@pytest.fixture(params=["sqlite", "postgres"])
def open_store(request, tmp_path: Path) -> Iterator[Callable[[], object]]:
    """Opens a store on this test's own database (again: a restarted kernel)."""
    if request.param == "sqlite":
        target = tmp_path / "jobs.db"

        def factory():
            return SqliteJobStore(target)
    else:
        url = postgres().new_database()

        def factory():
            return PostgresJobStore(url, kernel_id="k")

    opened = []

    def open_() -> object:
        opened.append(factory())
        return opened[-1]

    yield open_
    for s in opened:
        s.close()


@pytest.fixture
def store(open_store):
    return open_store()


def test_events_are_numbered_from_one_without_gaps(store):
    store.create_job("j1", "t", "u", sub(), "h")
    for st in (TaskState.VALIDATING, TaskState.COMPILING, TaskState.QUEUED):
        store.advance("j1", [Step(st, st.value)])
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
    job, (ev,) = store.advance("j1", [Step(TaskState.CANCELLED, "cancelled")])
    assert ev.terminal and job.state == TaskState.CANCELLED
    with pytest.raises(TransitionRejected) as exc:
        store.advance("j1", [Step(TaskState.FAILED, "late failure")])
    assert exc.value.current == TaskState.CANCELLED
    assert sum(e.terminal for e in store.events_after("j1", 0)) == 1


def test_illegal_transition_is_rejected_and_changes_nothing(store):
    store.create_job("j1", "t", "u", sub(), "h")
    with pytest.raises(TransitionRejected):
        store.advance("j1", [Step(TaskState.COMPLETED, "skip")])
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
    with pytest.raises(DuplicateJob):
        store.create_job("j3", "t", "u", sub(idempotency_key="k"), "h")
    assert store.find_idempotent("t", "k").job_id == "j1"


def test_state_survives_reopen(open_store):
    s = open_store()
    s.create_job("j1", "t", "u", sub(shots=10, inputs={"a": 1.5}), "h")
    s.advance("j1", [Step(TaskState.VALIDATING, "v")])
    s.close()
    s2 = open_store()
    job = s2.get_job("j1")
    assert job.state == TaskState.VALIDATING
    assert job.submission.shots == 10 and job.submission.inputs == {"a": 1.5}
    assert [j.job_id for j in s2.active_jobs()] == ["j1"]


def test_several_steps_are_one_transaction_with_their_payload(store):
    store.create_job("j1", "t", "u", sub(), "h")
    steps = [Step(s, s.value) for s in (TaskState.VALIDATING, TaskState.COMPILING)]
    with pytest.raises(TransitionRejected):  # the third step is not allowed: nothing is written
        store.advance("j1", [*steps, Step(TaskState.EXECUTING, "skip")])
    assert store.get_job("j1").last_event_seq == 1
    job, evs = store.advance("j1", [*steps, Step(TaskState.QUEUED, "q")], queued_at=12.5)
    assert [e.seq for e in evs] == [2, 3, 4] and job.queued_at == 12.5
    assert store.get_job("j1").queued_at == 12.5


def test_a_terminal_step_carries_its_outcome_and_a_late_one_is_rejected_whole(store):
    store.create_job("j1", "t", "u", sub(), "h")
    store.advance("j1", [Step(TaskState.CANCELLED, "c")], error=ErrorRecord("CANCELLED", "c"))
    with pytest.raises(TransitionRejected):
        store.advance(
            "j1", [Step(TaskState.COMPLETED, "late")], outcome=JobOutcome(counts={"0": 5})
        )
    outcome, error = store.outcome("j1")
    assert outcome is None and error == ErrorRecord("CANCELLED", "c")


def test_reservations_persist_and_end_once(open_store):
    s = open_store()
    r = Reservation("r1", "t", "u", "aer", "p", ReservationState.ACTIVE, 1.0, 1.0, 9e9)
    s.create_reservation(r)
    s.close()
    s = open_store()
    assert s.active_reservations() == [r]
    assert s.end_reservation("r1", ReservationState.CANCELLED)
    assert not s.end_reservation("r1", ReservationState.EXPIRED)
    assert s.active_reservations() == [] and s.list_reservations("t", None) == []
    assert s.list_reservations("t", 0.0)[0].state == ReservationState.CANCELLED


def test_a_database_of_the_first_kernel_is_upgraded_in_place(tmp_path):
    import sqlite3 as sq

    v1 = dict(migrations("sqlite"))[1]
    db = sq.connect(tmp_path / "old.db")
    db.executescript(v1)  # the first kernel never set user_version
    db.execute(
        "INSERT INTO jobs (job_id, tenant, owner, submission, state, created_at, updated_at, "
        "last_event_seq) VALUES ('j1', 't', 'u', ?, 'QUEUED', 1.0, 2.0, 4)",
        ('{"name": "n", "language": "qasm", "source": "", "target": "sim:local"}',),
    )
    db.commit()
    db.close()
    s = SqliteJobStore(tmp_path / "old.db")
    assert s.schema_version == len(migrations("sqlite"))
    job = s.get_job("j1")
    assert job.state == TaskState.QUEUED and job.queued_at is None
    assert job.submission.sweep is None and job.submission.observables == ()


def test_outcome_json_round_trips_every_field():
    from eigen_kernel.domain import JobOutcome, SweepPoint
    from eigen_kernel.store import outcome_from_json, outcome_to_json

    outcome = JobOutcome(
        counts={"00": 510, "11": 514},
        metadata={"device": "aer.automatic"},
        optimization={"energy": -1.137, "history": [[0.1, -1.0]]},
        outputs={"accuracy": 1.0},
        sweep=(
            SweepPoint({"theta": 0.5}, {"0": 3, "1": 1}),
            SweepPoint({"theta": 1.5}, {}, (0.25, -0.5), (0.01, 0.02)),
        ),
        artifacts=("history.json",),
    )
    assert outcome_from_json(outcome_to_json(outcome)) == outcome
