"""Several kernels on one store (SPEC §14), on each backend and on PostgreSQL with its feed.

- Leases and claims: the same rules on SQLite and PostgreSQL.
- PostgreSQL only: migrations applied once by kernels starting together, ``SKIP LOCKED``
  claims, notices published with their transaction only, the feed reconnecting.
- test_replicas.py's two-kernel scenarios on PostgreSQL with the real LISTEN/NOTIFY feed: a
  job accepted by one kernel is handed to the device's owner by the ``job`` notice (leases are
  long here, so no renewal can be what hands it over), another kernel's watchers are woken by
  ``event`` notices (heartbeats are long too), and a dead kernel's jobs are taken over.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Iterator
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path
from typing import Any

import psycopg
import pytest

from eigen_kernel.app import Qrtx, assemble, build
from eigen_kernel.blobs_s3 import S3BlobStore
from eigen_kernel.domain import Reservation, ReservationState, Step, Submission
from eigen_kernel.driver_pool import DriverPool
from eigen_kernel.lifecycle import JobEnded
from eigen_kernel.ports import TransitionRejected
from eigen_kernel.settings import KernelSettings
from eigen_kernel.states import TaskState
from eigen_kernel.store import SqliteJobStore, migrations
from eigen_kernel.store_postgres import PostgresFeed, PostgresJobStore
from eigen_kernel.testing import FakeCompiler, FakeDriver, events, reached, said, submission
from tests.backends import postgres, s3


def sub(name: str = "j") -> Submission:
    return Submission(name=name, language="qasm", source=name, target="sim:local")


@pytest.fixture(params=["sqlite", "postgres"])
def two_stores(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[list[Any]]:
    """Two connections (two kernels) on one database."""
    if request.param == "sqlite":
        stores: list[Any] = [SqliteJobStore(tmp_path / "jobs.db") for _ in range(2)]
    else:
        url = postgres().new_database()
        stores = [PostgresJobStore(url, kernel_id=k) for k in ("a", "b")]
    yield stores
    for s in stores:
        s.close()


# --- the same lease and claim rules on both backends ----------------------------------------


def test_a_device_lease_has_one_live_owner(two_stores: list[Any]) -> None:
    a, b = two_stores
    assert a.claim_device("aer", "a", 60)
    assert not b.claim_device("aer", "b", 60)  # a holds it
    assert a.claim_device("aer", "a", 60)  # renewal
    a.release_device("aer", "a")
    assert b.claim_device("aer", "b", 60)  # released: b takes it at once
    assert b.claim_device("aer", "b", -1)  # ... and lets it lapse (until in the past)
    assert a.claim_device("aer", "a", 60)  # a lapsed lease is anyone's
    assert not b.claim_device("aer", "b", 60)


def test_claims_new_jobs_then_all_on_take_over(two_stores: list[Any]) -> None:
    a, b = two_stores
    a.create_job("j1", "t", "u", sub("1"), "h", "aer", owner_kernel="a")
    b.create_job("j2", "t", "u", sub("2"), "h", "aer")  # accepted by b, nobody works on it
    b.create_job("j3", "t", "u", sub("3"), "h", "other")
    assert [j.job_id for j in a.claim_new("aer", "a")] == ["j2"]
    assert a.claim_new("aer", "a") == []
    # a dies; b, the device's new lease holder, claims every unfinished job of the device
    assert [j.job_id for j in b.claim_jobs("aer", "b")] == ["j1", "j2"]
    with pytest.raises(TransitionRejected):  # a's late step is refused: b owns the job now
        a.advance("j1", [Step(TaskState.VALIDATING, "zombie")], owner="a")
    job, _ = b.advance("j1", [Step(TaskState.VALIDATING, "v")], owner="b")
    assert job.last_event_seq == 2
    assert [e.message for e in a.events_after("j1", 0)] == ["accepted", "v"]


# --- PostgreSQL only ------------------------------------------------------------------------


def test_kernels_starting_together_apply_the_migrations_once() -> None:
    url = postgres().new_database()
    stores: list[PostgresJobStore] = []
    failures: list[BaseException] = []
    go = threading.Barrier(4)

    def start(k: str) -> None:
        go.wait()
        try:
            stores.append(PostgresJobStore(url, kernel_id=k))
        except BaseException as exc:  # reported below
            failures.append(exc)

    threads = [threading.Thread(target=start, args=(f"k{i}",)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert failures == [] and len(stores) == 4
    assert {s.schema_version for s in stores} == {len(migrations("postgres"))}
    with psycopg.connect(url) as c:
        rows = c.execute("SELECT version FROM schema_migrations ORDER BY version").fetchall()
    assert [r[0] for r in rows] == list(range(1, len(migrations("postgres")) + 1))
    again = PostgresJobStore(url, kernel_id="late")  # a restart applies nothing new
    assert again.schema_version == len(migrations("postgres"))
    for s in [*stores, again]:
        s.close()


def test_claim_new_skips_a_row_another_kernel_holds() -> None:
    url = postgres().new_database()
    s = PostgresJobStore(url, kernel_id="a")
    for i in range(3):
        s.create_job(f"j{i}", "t", "u", sub(str(i)), "h", "aer")
    with psycopg.connect(url) as other, other.transaction():
        other.execute("SELECT 1 FROM jobs WHERE job_id = 'j1' FOR UPDATE")
        assert [j.job_id for j in s.claim_new("aer", "a")] == ["j0", "j2"]  # no wait
    assert [j.job_id for j in s.claim_new("aer", "a")] == ["j1"]  # next renewal
    s.close()


def test_concurrent_claims_are_disjoint() -> None:
    url = postgres().new_database()
    a, b = (PostgresJobStore(url, kernel_id=k) for k in ("a", "b"))
    for i in range(60):
        a.create_job(f"j{i:02d}", "t", "u", sub(str(i)), "h", "aer")
    got: dict[str, list[str]] = {}
    go = threading.Barrier(2)

    def claim(store: PostgresJobStore, k: str) -> None:
        go.wait()
        got[k] = [j.job_id for j in store.claim_new("aer", k)]

    threads = [threading.Thread(target=claim, args=(s, k)) for s, k in ((a, "a"), (b, "b"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(got["a"] + got["b"]) == [f"j{i:02d}" for i in range(60)]
    assert not set(got["a"]) & set(got["b"])
    a.close()
    b.close()


@asynccontextmanager
async def listening(url: str) -> AsyncIterator[tuple[PostgresFeed, asyncio.Queue[tuple[str, ...]]]]:
    feed = PostgresFeed(url, retry_base_seconds=0.01)
    got: asyncio.Queue[tuple[str, ...]] = asyncio.Queue()
    task = asyncio.create_task(feed.run(lambda *n: got.put_nowait(n)))
    await asyncio.wait_for(feed.listening(), 10)
    try:
        yield feed, got
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def test_notices_go_out_with_their_transaction_only() -> None:
    url = postgres().new_database()
    s = PostgresJobStore(url, kernel_id="k1")
    async with listening(url) as (_, got):
        s.create_job("j1", "t", "u", sub(), "h", "aer")  # nobody works on it yet
        s.create_job("j2", "t", "u", sub(), "h", "aer", owner_kernel="k1")
        s.advance("j1", [Step(TaskState.VALIDATING, "v")])
        with pytest.raises(TransitionRejected):  # rolled back: announces nothing
            s.advance("j1", [Step(TaskState.COMPLETED, "skip")])
        r = Reservation("r1", "t", "u", "aer", "p", ReservationState.ACTIVE, 1.0, 1.0, 9e9)
        s.create_reservation(r)
        assert s.end_reservation("r1", ReservationState.CANCELLED)
        assert not s.end_reservation("r1", ReservationState.CANCELLED)  # nothing changed
        s.advance("j2", [Step(TaskState.CANCELLED, "c")])
        seen = [await asyncio.wait_for(got.get(), 5) for _ in range(7)]
        assert seen == [
            ("event", "j1", "k1"),
            ("job", "aer", "k1"),
            ("event", "j2", "k1"),  # accepted by its owner: no `job` notice
            ("event", "j1", "k1"),
            ("reservation", "aer", "k1"),
            ("reservation", "aer", "k1"),
            ("event", "j2", "k1"),
        ]
        assert got.empty()
    s.close()


async def test_the_feed_reconnects_after_losing_its_connection() -> None:
    url = postgres().new_database()
    s = PostgresJobStore(url, kernel_id="k1")
    async with listening(url) as (feed, got):
        with psycopg.connect(url, autocommit=True) as admin:
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE application_name = 'eigen-kernel-feed' AND datname = current_database()"
            )
        await asyncio.wait_for(feed.listening(2), 10)
        s.create_job("j1", "t", "u", sub(), "h", "aer", owner_kernel="k1")
        assert await asyncio.wait_for(got.get(), 5) == ("event", "j1", "k1")
    s.close()


def test_a_duplicate_idempotency_key_leaves_the_connection_usable() -> None:
    url = postgres().new_database()
    s = PostgresJobStore(url, kernel_id="k")
    s.create_job(
        "j1", "t", "u", Submission("n", "qasm", "s", "sim:local", idempotency_key="k"), "h"
    )
    with pytest.raises(Exception) as exc:
        s.create_job(
            "j2", "t", "u", Submission("n", "qasm", "s", "sim:local", idempotency_key="k"), "h"
        )
    assert type(exc.value).__name__ == "DuplicateJob"
    assert s.get_job("j2") is None and s.events_after("j2", 0) == []
    assert s.find_idempotent("t", "k").job_id == "j1"  # type: ignore[union-attr]
    s.close()


# --- two kernels on PostgreSQL with the real feed --------------------------------------------


@asynccontextmanager
async def pg_kernel(
    url: str, home: Path, driver: FakeDriver, **settings: Any
) -> AsyncIterator[Qrtx]:
    """A kernel over the shared PostgreSQL store and its feed; QFS shared in ``home``."""
    ks = KernelSettings(home=home, retry_base_seconds=0.01, retry_cap_seconds=0.05, **settings)
    store = PostgresJobStore(url, ks.kernel_id)
    feed = PostgresFeed(url)
    qrtx = assemble(ks, store, FakeCompiler(), driver, feed)
    await qrtx.runtime.catalog.refresh()
    await qrtx.start()
    await asyncio.wait_for(feed.listening(), 10)
    try:
        yield qrtx
    finally:
        await qrtx.stop()
        store.close()


async def test_a_job_accepted_elsewhere_is_handed_over_by_its_notice(tmp_path: Path) -> None:
    url = postgres().new_database()
    da, db = FakeDriver(), FakeDriver()
    slow = {"lease_seconds": 600.0, "heartbeat_seconds": 600.0}  # no renewal, no re-read
    async with AsyncExitStack() as stack:
        a = await stack.enter_async_context(pg_kernel(url, tmp_path, da, kernel_id="a", **slow))
        b = await stack.enter_async_context(pg_kernel(url, tmp_path, db, kernel_id="b", **slow))
        assert a.runtime.own("aer") and not b.runtime.own("aer")
        jobs = [b.jobs.submit("t", "o", submission(f"via-b{i}"), b"%d" % i)[0] for i in range(5)]
        for j in jobs:  # b's watchers see a's progress through `event` notices
            evs = await events(b, "t", j.job_id, timeout=10)
            assert evs[-1].event.state == TaskState.COMPLETED
            assert [u.event.seq for u in evs] == list(range(1, len(evs) + 1))
    assert sorted(da.executions) == sorted(j.job_id for j in jobs) and db.executions == []


async def test_a_dead_kernels_jobs_are_taken_over_and_end_exactly_once(tmp_path: Path) -> None:
    url = postgres().new_database()
    da, db = FakeDriver(), FakeDriver()
    da.gate.clear()
    db.gate.clear()
    lease = {"lease_seconds": 0.9}
    async with AsyncExitStack() as stack:
        a = await stack.enter_async_context(pg_kernel(url, tmp_path, da, kernel_id="a", **lease))
        b = await stack.enter_async_context(pg_kernel(url, tmp_path, db, kernel_id="b", **lease))
        jobs = [a.jobs.submit("t", "o", submission(f"j{i}"), b"%d" % i)[0] for i in range(4)]
        await reached(a, "t", jobs[0].job_id, TaskState.EXECUTING)
        for j in jobs[1:]:
            await reached(a, "t", j.job_id, TaskState.QUEUED)
        assert not b.runtime.own("aer")
        a.runtime.crash()  # kernel a dies: its tasks stop, its leases are not released
        await said(b, "t", jobs[0].job_id, "requeued after kernel restart")  # ~1 lease later
        assert b.runtime.own("aer")
        with pytest.raises(JobEnded):  # a zombie step of the dead kernel is refused
            a.lifecycle.advance(a.store.get_job(jobs[2].job_id), Step(TaskState.QUEUED, "zombie"))
        db.gate.set()
        for j in jobs:
            evs = await events(b, "t", j.job_id, timeout=15)
            assert evs[-1].event.state == TaskState.COMPLETED
            stored = b.store.events_after(j.job_id, 0)
            assert [e.seq for e in stored] == list(range(1, len(stored) + 1))
            assert sum(e.terminal for e in stored) == 1
            assert not any("zombie" in e.message for e in stored)
        assert db.executions == [j.job_id for j in jobs]  # the one caught running, run once more


# --- the composition root picks the backends from settings ----------------------------------


async def test_build_chooses_the_backends_from_settings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = s3()
    for k, v in server.env.items():
        monkeypatch.setenv(k, v)
    bucket = server.new_bucket()
    url = postgres().new_database()
    app = build(
        KernelSettings(
            home=tmp_path,
            store_url=url,  # type: ignore[arg-type]
            qfs_url=f"s3://{bucket}/qfs",
            driver_manager_addresses="127.0.0.1:1,127.0.0.1:2",
        )
    )
    q = app.qrtx
    assert isinstance(q.store, PostgresJobStore) and isinstance(q.runtime.feed, PostgresFeed)
    assert isinstance(q.artifacts._blobs, S3BlobStore)
    assert isinstance(q.runtime.driver, DriverPool) and len(q.runtime.driver.members) == 2
    q.store.close()
    embedded = build(KernelSettings(home=tmp_path / "e")).qrtx
    assert isinstance(embedded.store, SqliteJobStore) and embedded.runtime.feed is None
    embedded.store.close()
    with pytest.raises(ValueError):
        KernelSettings(store_url="mysql://x")  # type: ignore[arg-type]
