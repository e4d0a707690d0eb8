"""The scaled shape through real processes, with a kernel and a driver-manager killed (SPEC §14).

PostgreSQL (its own server process) + moto's S3 server (its own process) + compiler + two
driver-managers + two kernels + system-api, each a real process on port 0 sharing the per-stack
secret. Kernel ``k1`` starts first and so leases the devices; the system-api spreads its calls
over both (``ipv4:k2,k1``, round-robin): a job ``k2`` accepts is handed to ``k1`` by the ``job``
notice and its events streamed back to ``k2``'s followers by ``event`` notices. Clients each
submit one job after another (idempotency key per job, retried on UNAVAILABLE) and follow it to
its end.

At a third of the jobs, while a heavy job (QFT on 18 qubits, 50k shots: seconds) executes on
``k1``, ``k1`` is killed with SIGKILL: ``k2`` takes the devices over when the lease lapses and
requeues what ``k1`` was running. At two thirds, while two heavy jobs execute (the pool puts
the next call on the least busy driver-manager), ``dm1`` is killed: the pool sends what ran
there to ``dm2`` at once.

Then every accepted job must have reached exactly one terminal state, DONE, with contiguous
events, its counts, and its state artifact in S3 (served through the public API);
a job ran twice only where the events say so ("requeued after kernel restart"), never
announced twice. The figures are printed (``-s``).
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import grpc
import psycopg
import pytest

from eigen.api.v1 import job_pb2
from tests.backends import ScaledStack
from tests.conftest import CORPUS, Api
from tests.e2e.helpers import TERMINAL, qasm_request

BELL = (CORPUS / "qasmbench" / "small" / "bell_n4" / "bell_n4.qasm").read_text()
QFT = (CORPUS / "qasmbench" / "medium" / "qft_n18" / "qft_n18.qasm").read_text()
HEAVY_SHOTS = 50_000
REQUEUED = "requeued after kernel restart"


@pytest.fixture
def scaled(tmp_path: Path) -> Iterator[ScaledStack]:
    stack = ScaledStack(tmp_path)
    try:
        stack.start()
        yield stack
    finally:
        stack.stop()


class Progress:
    """Jobs followed to their end so far; the test waits on it to kill in the middle."""

    def __init__(self) -> None:
        self.done = 0
        self._cond = threading.Condition()

    def one(self) -> None:
        with self._cond:
            self.done += 1
            self._cond.notify_all()

    def wait(self, at_least: int, timeout: float) -> None:
        with self._cond:
            assert self._cond.wait_for(lambda: self.done >= at_least, timeout), self.done


def submit(api: Api, req: job_pb2.SubmitJobRequest) -> str:
    """SubmitJob, retried on UNAVAILABLE (the idempotency key makes a retry the same job)."""
    delay = 0.05
    for _ in range(40):
        try:
            return str(api.jobs.SubmitJob(req, metadata=api.metadata, timeout=30).job_id)
        except grpc.RpcError as exc:
            if exc.code() != grpc.StatusCode.UNAVAILABLE:
                raise
            time.sleep(delay)  # the client's own backoff before a retry
            delay = min(delay * 2, 1.0)
    raise AssertionError(f"submission {req.idempotency_key} never accepted")


def follow(api: Api, job_id: str) -> list[job_pb2.JobUpdate]:
    """Every event of a job until its terminal one (a broken stream is resumed)."""
    events: list[job_pb2.JobUpdate] = []
    for _ in range(20):
        last = events[-1].event_seq if events else 0
        req = job_pb2.StreamJobUpdatesRequest(job_id=job_id, last_event_seq=last)
        try:
            for m in api.jobs.StreamJobUpdates(req, metadata=api.metadata, timeout=300):
                if not m.update.heartbeat:
                    events.append(m.update)
        except grpc.RpcError as exc:
            if exc.code() != grpc.StatusCode.UNAVAILABLE:
                raise
        if events and events[-1].terminal:
            return events
    raise AssertionError(f"{job_id}: no terminal event ({[u.message for u in events]})")


def run_clients(
    stack: ScaledStack, jobs: int, clients: int, progress: Progress, shots: int
) -> dict[str, tuple[str, list[job_pb2.JobUpdate]]]:
    """``clients`` threads, each submitting and following its share of ``jobs`` in turn."""
    out: dict[str, tuple[str, list[job_pb2.JobUpdate]]] = {}
    failures: list[BaseException] = []

    def client(c: int) -> None:
        api = stack.api()
        try:
            for i in range(c, jobs, clients):
                key = f"c{c}-j{i}"
                req = qasm_request(
                    BELL, name=key, shots=shots, seed=i, idempotency_key=key,
                    save_state=job_pb2.SAVED_STATE_STATEVECTOR,
                )  # fmt: skip
                job_id = submit(api, req)
                out[key] = (job_id, follow(api, job_id))
                progress.one()
        except BaseException as exc:  # reported by the test
            failures.append(exc)
            progress.one()
        finally:
            api.channel.close()

    threads = [
        threading.Thread(target=client, args=(c,), name=f"client{c}") for c in range(clients)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if failures:
        raise failures[0]
    return out


def until_running(api: Api, req: job_pb2.SubmitJobRequest) -> str:
    """Submit a job and return once its stream says it executes."""
    job_id = submit(api, req)
    stream = api.jobs.StreamJobUpdates(
        job_pb2.StreamJobUpdatesRequest(job_id=job_id), metadata=api.metadata, timeout=120
    )
    for m in stream:
        if m.update.stage == "EXECUTING":
            stream.cancel()
            return job_id
        assert not m.update.terminal, m.update.message
    raise AssertionError(f"{job_id} never executed")


def heavy(name: str) -> job_pb2.SubmitJobRequest:
    """A job that executes for seconds (QFT on 18 qubits, 50k shots): a kill lands in it."""
    return qasm_request(QFT, name=name, shots=HEAVY_SHOTS, seed=7, idempotency_key=name)


def scenario(stack: ScaledStack, jobs: int, clients: int, shots: int = 64) -> dict[str, Any]:
    """Run the clients; kill k1 and later dm1 while heavy jobs execute there; check all."""
    with psycopg.connect(stack.pg_url) as db:
        owners = {r[0] for r in db.execute("SELECT owner FROM device_leases").fetchall()}
    assert owners == {"k1"}, owners  # k1 leases every device; k2 accepts and streams
    progress = Progress()
    results: dict[str, Any] = {}
    api = stack.api()
    t0 = time.time()
    runner = threading.Thread(
        target=lambda: results.update(run=run_clients(stack, jobs, clients, progress, shots))
    )
    runner.start()
    progress.wait(jobs // 3, 300)
    caught_on_k1 = until_running(api, heavy("heavy-k1"))  # k1 executes it now
    t_kernel = stack.kill("k1")
    progress.wait(2 * jobs // 3, 300)
    # two heavy jobs at once: one on each driver-manager (the least busy gets the next call)
    with ThreadPoolExecutor(2) as pool:
        on_dms = list(pool.map(lambda n: until_running(api, heavy(n)), ["heavy-a", "heavy-b"]))
    t_dm = stack.kill("dm1")
    runner.join(600)
    assert not runner.is_alive() and "run" in results, "clients did not finish"
    wall = time.time() - t0
    run: dict[str, tuple[str, list[job_pb2.JobUpdate]]] = results["run"]
    names = ("heavy-k1", "heavy-a", "heavy-b")
    extra = {n: (j, follow(api, j)) for n, j in zip(names, [caught_on_k1, *on_dms], strict=True)}
    api.channel.close()
    # the heavy job k1 was running ran again on k2, and its events say so
    assert sum(u.message.startswith(REQUEUED) for u in extra["heavy-k1"][1]) == 1
    figures = check(stack, {**run, **extra}, shots, t_kernel)
    # the pool saw dm1 go away in the middle of a call; both heavy jobs ended on dm2
    k2_log = stack.services["k2"].log_path.read_text()
    assert f'"address": "{stack.addr("dm1")}"' in k2_log and "driver-manager down" in k2_log
    dm2_log = stack.services["dm2"].log_path.read_text()
    assert all(f'"job_id": "{j}"' in dm2_log for j in on_dms), "a heavy job did not end on dm2"
    figures.update(
        jobs=jobs,
        clients=clients,
        heavy_jobs=len(extra),
        kills={"k1 (kernel) at s": round(t_kernel - t0, 2), "dm1 at s": round(t_dm - t0, 2)},
        wall_s=round(wall, 1),
        jobs_per_s=round((jobs + len(extra)) / wall, 1),
        lease_s=stack.lease_seconds,
    )
    print("\nscaled fail-over:", json.dumps(figures, indent=1))
    return figures


def check(
    stack: ScaledStack,
    run: dict[str, tuple[str, list[job_pb2.JobUpdate]]],
    shots: int,
    t_kernel: float,
) -> dict[str, Any]:
    """Every job: one terminal event, DONE, contiguous, ran twice only where shown; in S3."""
    assert len({job_id for job_id, _ in run.values()}) == len(run)
    api = stack.api()
    requeued = []
    after_kill: list[float] = []
    for key, (job_id, ups) in run.items():
        seqs = [u.event_seq for u in ups]
        assert seqs == list(range(1, len(seqs) + 1)), (key, seqs)
        terminal = [u for u in ups if u.terminal or u.state in TERMINAL]
        assert len(terminal) == 1 and ups[-1] is terminal[0], (key, [u.message for u in ups])
        assert terminal[0].state == job_pb2.JOB_STATUS_DONE, (key, terminal[0].message)
        # a job runs again only where its events say so: once per requeue
        runs = sum(u.stage == "ALLOCATING" for u in ups)
        again = sum(u.message.startswith(REQUEUED) for u in ups)  # + its place in line
        assert runs == 1 + again, "\n".join(
            [f"{key} {job_id}"] + [f"{u.event_seq} {u.stage}: {u.message}" for u in ups]
        )
        if again:
            requeued.append(key)
        after_kill += [
            u.timestamp.ToMicroseconds() / 1e6
            for u in ups
            if u.event_seq > 1 and u.timestamp.ToMicroseconds() / 1e6 > t_kernel
        ]
        res = api.jobs.GetJobResults(
            job_pb2.GetJobResultsRequest(job_id=job_id), metadata=api.metadata, timeout=30
        )
        want = HEAVY_SHOTS if key.startswith("heavy") else shots
        assert sum(res.counts.values()) == want, (key, dict(res.counts))
    stored = s3_objects(stack)
    for key, (job_id, _) in run.items():
        if not key.startswith("heavy"):  # each light job's saved state is an S3 object
            assert stored.get(f"qfs/jobs/{job_id}/state.npy", 0) > 0, job_id
    sample = [v for k, v in run.items() if k.startswith("heavy")] + list(run.values())[::25]
    for job_id, _ in sample:  # the public API serves the artifacts from S3
        aqo = artifact(api, job_id, "compiled.aqo.json")
        assert stored.get(f"qfs/aqo/{hashlib.sha256(aqo).hexdigest()}.json") == len(aqo)
        key = f"qfs/jobs/{job_id}/state.npy"
        if key in stored:
            body = stack.s3().get_object(Bucket=stack.bucket, Key=key)["Body"].read()
            assert artifact(api, job_id, "state.npy") == body
    api.channel.close()
    assert after_kill, "nothing happened after the kernel was killed"
    return {
        "accepted": len(run),
        "done": len(run),
        "take-over s (kill → first event by k2)": round(min(after_kill) - t_kernel, 2),
        "jobs requeued (caught running on k1)": requeued,
        "S3 objects": len(stored),
    }


def s3_objects(stack: ScaledStack) -> dict[str, int]:
    """Key → size of every object under the kernels' QFS prefix."""
    out: dict[str, int] = {}
    pages = stack.s3().get_paginator("list_objects_v2").paginate(Bucket=stack.bucket, Prefix="qfs/")
    for page in pages:
        for o in page.get("Contents", []):
            out[o["Key"]] = int(o["Size"])
    return out


def artifact(api: Api, job_id: str, name: str) -> bytes:
    """One artifact's bytes through the public API."""
    req = job_pb2.GetJobArtifactRequest(job_id=job_id, name=name)
    return b"".join(
        m.chunk for m in api.jobs.GetJobArtifact(req, metadata=api.metadata, timeout=30)
    )


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_500_jobs_from_8_clients_survive_a_killed_kernel_and_driver_manager(
    scaled: ScaledStack,
) -> None:
    scenario(scaled, jobs=500, clients=8)


def test_jobs_survive_a_killed_kernel_and_driver_manager(scaled: ScaledStack) -> None:
    scenario(scaled, jobs=60, clients=4)
