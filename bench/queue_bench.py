"""Scale of the queue (SPEC §12, issue 8 item 6): 10,000 queued jobs through real processes.

1. The only slot of ``aer.automatic`` is reserved, so every submitted job waits in the queue.
2. N Bell jobs (default 10,000) are submitted by 8 concurrent clients (the fill rate), then 1,000
   more one at a time by one client with N queued: SubmitJob latency p50/p99 (goal p99 ≤ 10 ms),
   against a reference measured in the same run: a ``grpc.health.v1`` Check on the same
   system-api (the floor of one public round trip).
3. Kernel RSS with N jobs queued (goal ≤ 300 MB), and its RSS at idle before for comparison.
4. The queue explained: status of the last job (position N, its estimated wait).
5. kill -9 of the kernel and a restart: seconds until the API answers a status call again
   (goal ≤ 5 s).
6. The reservation is cancelled and the queue drains: all N jobs DONE, none lost or run twice
   (checked for all by counts, for a sample by their events: one EXECUTING, one terminal event,
   contiguous event_seq). Drain rate in jobs/s.

Usage: ``uv run --group bench python bench/queue_bench.py [--jobs 10000]``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import secrets
import shutil
import sys
import time
from pathlib import Path

import grpc
import psutil
from grpc_health.v1 import health_pb2, health_pb2_grpc

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from eigen.api.v1 import common_pb2, device_pb2, device_pb2_grpc, job_pb2, job_pb2_grpc  # noqa: E402
from tests.conftest import ProcessStack  # noqa: E402

BELL = (
    'OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[2];\ncreg c[2];\n'
    "h q[0];\ncx q[0],q[1];\nmeasure q -> c;\n"
)


class QueueStack(ProcessStack):
    """The process stack with one slot per device and no submission rate limit."""

    def kernel_env(self, port: int = 0) -> dict[str, str]:
        return {**super().kernel_env(port), "EIGEN_KERNEL_DEVICE_SLOTS": "1"}

    def start(self) -> None:
        import os

        os.environ["EIGEN_SYSTEM_API_QUOTA_SUBMIT_RATE"] = "1000000/second"
        os.environ["EIGEN_SYSTEM_API_QUOTA_MAX_QUEUED_JOBS"] = "1000000"
        super().start()


def pct(samples: list[float], q: float) -> float:
    s = sorted(samples)
    return s[min(len(s) - 1, int(q * len(s)))] * 1e3


async def submit_all(
    endpoint: str, md: list[tuple[str, str]], n: int, clients: int
) -> tuple[list[float], list[str]]:
    lat: list[float] = []
    ids: list[str] = []
    todo = iter(range(n))
    async with grpc.aio.insecure_channel(endpoint) as ch:
        stub = job_pb2_grpc.JobServiceStub(ch)

        async def worker() -> None:
            for i in todo:
                req = job_pb2.SubmitJobRequest(
                    name=f"q{i}", target="sim:local", qasm=common_pb2.QasmSource(source=BELL),
                    shots=1024, seed=i,
                )  # fmt: skip
                t0 = time.perf_counter()
                resp = await stub.SubmitJob(req, metadata=md, timeout=60)
                lat.append(time.perf_counter() - t0)
                ids.append(resp.job_id)

        await asyncio.gather(*(worker() for _ in range(clients)))
    return lat, ids


async def health_latency(endpoint: str, reps: int) -> list[float]:
    out = []
    async with grpc.aio.insecure_channel(endpoint) as ch:
        stub = health_pb2_grpc.HealthStub(ch)
        for _ in range(reps):
            t0 = time.perf_counter()
            await stub.Check(health_pb2.HealthCheckRequest(), timeout=10)
            out.append(time.perf_counter() - t0)
    return out


def count_states(stub: job_pb2_grpc.JobServiceStub, md: list[tuple[str, str]]) -> dict[str, int]:
    counts: dict[str, int] = {}
    token = ""
    while True:
        page = stub.ListJobs(job_pb2.ListJobsRequest(page_size=1000, page_token=token), metadata=md)
        for j in page.jobs:
            name = job_pb2.JobStatus.Name(j.state).removeprefix("JOB_STATUS_")
            counts[name] = counts.get(name, 0) + 1
        token = page.next_page_token
        if not token:
            return counts


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--jobs", type=int, default=10_000)
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--sample", type=int, default=200)
    args = ap.parse_args()
    home = Path("/tmp") / f"eigen-queue-bench-{secrets.token_hex(4)}"
    stack = QueueStack(home, secrets.token_urlsafe(16))
    out: dict[str, object] = {"jobs": args.jobs}
    try:
        stack.start()
        kernel = psutil.Process(stack.services["kernel"].proc.pid)
        md = [("authorization", f"Bearer {stack.token}")]
        ch = grpc.insecure_channel(stack.endpoint)
        jobs = job_pb2_grpc.JobServiceStub(ch)
        devices = device_pb2_grpc.DeviceServiceStub(ch)
        # warm up (compile cache, device list), then hold the only slot
        warm = jobs.SubmitJob(
            job_pb2.SubmitJobRequest(
                name="warm", target="sim:local", qasm=common_pb2.QasmSource(source=BELL)
            ),
            metadata=md,
        )
        for _ in jobs.StreamJobUpdates(
            job_pb2.StreamJobUpdatesRequest(job_id=warm.job_id), metadata=md
        ):
            pass
        out["kernel_rss_idle_mib"] = round(kernel.memory_info().rss / 2**20, 1)
        res = devices.ReserveDevice(
            device_pb2.ReserveDeviceRequest(
                device_id="aer.automatic", ttl_seconds=3600, purpose="bench"
            ),
            metadata=md,
        )
        rid = res.reservation_id
        ref = asyncio.run(health_latency(stack.endpoint, 2000))
        t0 = time.perf_counter()
        fill, ids = asyncio.run(submit_all(stack.endpoint, md, args.jobs, args.clients))
        out["fill_seconds"] = round(time.perf_counter() - t0, 2)
        out["fill_jobs_per_s"] = round(args.jobs / (time.perf_counter() - t0), 1)
        out["fill_p99_ms_8_clients"] = round(pct(fill, 0.99), 2)
        lat, more = asyncio.run(submit_all(stack.endpoint, md, 1000, 1))
        ids += more
        out["submit_p50_ms"] = round(pct(lat, 0.50), 2)
        out["submit_p99_ms"] = round(pct(lat, 0.99), 2)
        out["health_p50_ms"] = round(pct(ref, 0.50), 2)
        out["health_p99_ms"] = round(pct(ref, 0.99), 2)
        out["submit_p99_over_health_p99"] = round(pct(lat, 0.99) / pct(ref, 0.99), 2)
        out["kernel_rss_queued_mib"] = round(kernel.memory_info().rss / 2**20, 1)
        last = jobs.GetJobStatus(job_pb2.GetJobStatusRequest(job_id=ids[-1]), metadata=md).job
        out["last_job"] = {
            "queue_position": last.queue_position,
            "estimated_wait_sec": last.estimated_wait_sec,
            "waiting_reason": job_pb2.WaitingReason.Name(last.waiting_reason),
            "message": last.message,
        }
        # kill -9 the kernel and restart it with every job still queued
        stack.kill_kernel()
        t_restart = time.perf_counter()
        stack.restart_kernel()
        while True:
            try:
                jobs.GetJobStatus(
                    job_pb2.GetJobStatusRequest(job_id=ids[0]), metadata=md, timeout=2
                )
                break
            except grpc.RpcError:
                time.sleep(0.05)
        out["restart_to_serving_seconds"] = round(time.perf_counter() - t_restart, 2)
        kernel = psutil.Process(stack.services["kernel"].proc.pid)
        out["kernel_rss_after_restart_mib"] = round(kernel.memory_info().rss / 2**20, 1)
        # free the slot: the queue drains
        devices.CancelReservation(
            device_pb2.CancelReservationRequest(reservation_id=rid), metadata=md
        )
        t_drain = time.perf_counter()
        while True:
            counts = count_states(jobs, md)
            finished = sum(counts.get(s, 0) for s in ("DONE", "ERROR", "CANCELLED", "TIMEOUT"))
            if finished >= len(ids) + 1:
                break
            time.sleep(2)
        out["drain_seconds"] = round(time.perf_counter() - t_drain, 1)
        out["drain_jobs_per_s"] = round(len(ids) / (time.perf_counter() - t_drain), 1)
        out["final_states"] = counts
        bad = []
        for j in random.Random(1).sample(ids, min(args.sample, len(ids))):
            ups = [
                m.update
                for m in jobs.StreamJobUpdates(
                    job_pb2.StreamJobUpdatesRequest(job_id=j), metadata=md
                )
            ]
            seqs = [u.event_seq for u in ups if not u.heartbeat]
            runs = sum(1 for u in ups if u.stage == "EXECUTING" and not u.heartbeat)
            if (
                seqs != list(range(1, len(seqs) + 1))
                or sum(u.terminal for u in ups) != 1
                or runs != 1
            ):
                bad.append(j)
        out["sampled_event_checks"] = {"jobs": min(args.sample, len(ids)), "bad": len(bad)}
        ch.close()
    finally:
        stack.stop()
        shutil.rmtree(home, ignore_errors=True)
    print(json.dumps(out, indent=2))
    results = ROOT / "bench" / "results"
    results.mkdir(exist_ok=True)
    (results / "queue_latest.json").write_text(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
