"""Throughput with one kernel vs two (SPEC §14, issue 12), as ratios measured in the same run.

Three stacks of real processes, each with a compiler, two driver-managers and a system-api,
loaded the same way (``--clients`` clients each submitting their share of ``--jobs`` Bell jobs
as fast as accepted, then following each to its end; throughput = jobs / time until the last
is DONE):

- ``embedded``: one kernel on its own SQLite store and local QFS (the reference);
- ``shared-1``: one kernel on PostgreSQL + S3 (moto's server);
- ``shared-2``: two kernels on PostgreSQL + S3; the system-api calls ``k2`` (accepts, serves
  streams) while ``k1`` leases the device and runs every job (hand-over by notice).

Usage: ``uv run python bench/replicas_bench.py [--jobs 300] [--clients 8]``.
Writes ``bench/results/replicas.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import grpc

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from eigen.api.v1 import common_pb2, job_pb2  # noqa: E402
from tests.backends import ScaledStack  # noqa: E402

BELL = (
    'OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[2];\ncreg c[2];\n'
    "h q[0];\ncx q[0],q[1];\nmeasure q -> c;\n"
)


def load(stack: ScaledStack, jobs: int, clients: int) -> dict[str, float]:
    """Submit ``jobs`` from ``clients`` threads, follow all to DONE; returns the timings."""
    latencies: list[float] = []
    failures: list[BaseException] = []
    lock = threading.Lock()

    def client(c: int) -> None:
        api = stack.api()
        try:
            submitted = []
            for i in range(c, jobs, clients):
                req = job_pb2.SubmitJobRequest(
                    name=f"b{i}", target="sim:local", shots=64, seed=i,
                    qasm=common_pb2.QasmSource(source=BELL),
                )  # fmt: skip
                t = time.perf_counter()
                resp = api.jobs.SubmitJob(req, metadata=api.metadata, timeout=60)
                submitted.append((resp.job_id, t))
            for job_id, t in submitted:
                req = job_pb2.StreamJobUpdatesRequest(job_id=job_id)
                last = None
                for m in api.jobs.StreamJobUpdates(req, metadata=api.metadata, timeout=600):
                    last = m.update
                assert last is not None and last.state == job_pb2.JOB_STATUS_DONE, job_id
                with lock:
                    latencies.append(time.perf_counter() - t)
        except BaseException as exc:
            failures.append(exc)
        finally:
            api.channel.close()

    t0 = time.perf_counter()
    threads = [threading.Thread(target=client, args=(c,)) for c in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    if failures:
        raise failures[0]
    return {
        "jobs": jobs,
        "wall_s": round(wall, 2),
        "jobs_per_s": round(jobs / wall, 2),
        "latency_p50_s": round(statistics.median(latencies), 3),
    }


def warm(stack: ScaledStack) -> None:
    """A few jobs first, so that caches and connections are warm before measuring."""
    load(stack, 8, 2)


def measure(name: str, jobs: int, clients: int, **shape: Any) -> dict[str, Any]:
    home = Path(tempfile.mkdtemp(prefix=f"eigen-bench-{name}-"))
    stack = ScaledStack(home, **shape)
    try:
        stack.start()
        warm(stack)
        out = load(stack, jobs, clients)
    except grpc.RpcError as exc:
        raise SystemExit(f"{name}: {exc}") from None
    finally:
        stack.stop()
    print(f"{name:>9}: {out}", flush=True)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--jobs", type=int, default=300)
    ap.add_argument("--clients", type=int, default=8)
    args = ap.parse_args()
    results = {
        "embedded": measure("embedded", args.jobs, args.clients, kernels=1, shared=False),
        "shared-1": measure("shared-1", args.jobs, args.clients, kernels=1),
        "shared-2": measure("shared-2", args.jobs, args.clients, kernels=2),
    }
    ref = results["embedded"]["jobs_per_s"]
    ratios = {
        "shared-1 / embedded": round(results["shared-1"]["jobs_per_s"] / ref, 2),
        "shared-2 / embedded": round(results["shared-2"]["jobs_per_s"] / ref, 2),
        "shared-2 / shared-1": round(
            results["shared-2"]["jobs_per_s"] / results["shared-1"]["jobs_per_s"], 2
        ),
    }
    report = {
        "cpus": os.cpu_count(),
        "load_avg_1m_at_end": round(os.getloadavg()[0], 2),
        "jobs": args.jobs,
        "clients": args.clients,
        "results": results,
        "ratios": ratios,
    }
    print(json.dumps(ratios, indent=1))
    out = ROOT / "bench" / "results" / "replicas.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(report, indent=1) + "\n")


if __name__ == "__main__":
    main()
