"""Driver-manager throughput: N small Bell jobs one by one vs through ExecuteCircuitBatch.

Feeds issue 9's goal (250 jobs/s end to end on two cores): how much of a job's cost is the
per-call overhead (gRPC, validation, thread hop, one ``AerSimulator.run`` each) that
ExecuteCircuitBatch amortises (one RPC, one Aer run for the whole batch).

A real ``python -m eigen_driver_manager`` process is started (port 0, read back from its
"server started" log line, only the drivers the device needs), then, alternating to spread the
machine's background load evenly over both:

- **single**: ``jobs`` ExecuteCircuit calls, one after the other;
- **single ×C**: the same from ``--concurrency`` client threads (what a busy kernel does);
- **batch**: ``jobs / batch`` ExecuteCircuitBatch calls of ``--batch`` items.

Per job it reports wall time, the driver-manager's CPU time (user+system of its process, from
psutil) and the client's, and jobs/s; the ratios say how much cheaper a batched job is, in the
same run. Medians over ``--reps`` rounds.

Usage: ``uv run --group bench python bench/driver_batch_bench.py [--jobs 512] [--batch 64]
[--shots 1024] [--device aer.automatic] [--reps 3] [--concurrency 4] [--json out.json]``.
"""

from __future__ import annotations

import argparse
import json
import os
import queue
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import IO, Any

import grpc
import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from eigen.common.v1 import circuit_pb2  # noqa: E402
from eigen.driver.v1 import driver_pb2, driver_pb2_grpc  # noqa: E402

BELL = {
    "version": "0.1",
    "qubits": 2,
    "clbits": 2,
    "parameters": [],
    "operations": [
        {"op": "H", "q": [0]},
        {"op": "CX", "q": [0, 1]},
        {"op": "MEASURE", "q": [0, 1], "c": [0, 1]},
    ],
}


def _pump(stream: IO[str], lines: queue.Queue[str]) -> None:
    for line in stream:
        lines.put(line)


def start_driver_manager(device: str, home: str) -> tuple[subprocess.Popen[str], int]:
    """The real process with only the driver ``device`` needs; returns it and its port."""
    driver = device.split(".", 1)[0]
    disabled = [d for d in ("aer", "ibm", "braket") if d != driver]
    env = {
        **os.environ,
        "HOME": home,
        "EIGEN_HOME": home,
        "EIGEN_DRIVER_MANAGER_PORT": "0",
        "EIGEN_DRIVER_MANAGER_METRICS_PORT": "0",
        "EIGEN_DRIVER_MANAGER_DISABLED_DRIVERS": json.dumps(disabled),
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "eigen_driver_manager"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    lines: queue.Queue[str] = queue.Queue()
    assert proc.stderr is not None
    threading.Thread(target=_pump, args=(proc.stderr, lines), daemon=True).start()
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            line = lines.get(timeout=max(0.1, deadline - time.monotonic()))
        except queue.Empty:
            break
        if line.startswith("{"):
            event = json.loads(line)
            if event.get("event") == "server started":
                return proc, int(event["port"])
    proc.kill()
    raise RuntimeError("the driver-manager did not start within 120 s")


def request(device: str, shots: int, k: int) -> driver_pb2.ExecuteCircuitRequest:
    """One Bell job (its own job id, unseeded like most user jobs)."""
    payload = circuit_pb2.CircuitPayload(
        format=circuit_pb2.CircuitPayload.FORMAT_AQO_JSON, data=json.dumps(BELL).encode()
    )
    return driver_pb2.ExecuteCircuitRequest(
        job_id=f"bench-{k}", device_id=device, payload=payload, shots=shots
    )


def measure(server: psutil.Process, run: Callable[[], int]) -> dict[str, float]:
    """Wall, server CPU and client CPU (s) of ``run``, which returns the jobs it finished."""
    s0 = server.cpu_times()
    c0 = time.process_time()
    t0 = time.perf_counter()
    jobs = run()
    wall = time.perf_counter() - t0
    c1 = time.process_time()
    s1 = server.cpu_times()
    server_cpu = (s1.user - s0.user) + (s1.system - s0.system)
    return {
        "jobs": jobs,
        "wall_ms_per_job": 1000 * wall / jobs,
        "server_cpu_ms_per_job": 1000 * server_cpu / jobs,
        "client_cpu_ms_per_job": 1000 * (c1 - c0) / jobs,
        "jobs_per_s": jobs / wall,
    }


def main() -> None:
    """Run the three modes and print per-job figures and ratios."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--jobs", type=int, default=512)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--shots", type=int, default=1024)
    ap.add_argument("--device", default="aer.automatic")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--concurrency", type=int, default=4)
    ap.add_argument("--json", type=Path, default=None, help="also write the results here")
    args = ap.parse_args()
    if not 1 <= args.batch <= 256:
        ap.error("--batch must be 1..256 (the driver-manager's MAX_BATCH_ITEMS)")
    jobs = args.jobs - args.jobs % args.batch or args.batch

    home = tempfile.mkdtemp(prefix="eigen-bench-")
    proc, port = start_driver_manager(args.device, home)
    server = psutil.Process(proc.pid)
    channel = grpc.insecure_channel(f"127.0.0.1:{port}")
    stub = driver_pb2_grpc.DriverManagerServiceStub(channel)
    reqs = [request(args.device, args.shots, k) for k in range(jobs)]

    def single() -> int:
        for r in reqs:
            out = stub.ExecuteCircuit(r, timeout=60)
            assert sum(out.counts.values()) == args.shots
        return len(reqs)

    def single_concurrent() -> int:
        def one(r: driver_pb2.ExecuteCircuitRequest) -> None:
            out = stub.ExecuteCircuit(r, timeout=60)
            assert sum(out.counts.values()) == args.shots

        with ThreadPoolExecutor(args.concurrency) as pool:
            list(pool.map(one, reqs))
        return len(reqs)

    def batched() -> int:
        for i in range(0, len(reqs), args.batch):
            items = reqs[i : i + args.batch]
            out = stub.ExecuteCircuitBatch(
                driver_pb2.ExecuteCircuitBatchRequest(items=items), timeout=120
            )
            assert all(it.WhichOneof("outcome") == "result" for it in out.items), out
        return len(reqs)

    modes: dict[str, Callable[[], int]] = {
        "single": single,
        f"single x{args.concurrency}": single_concurrent,
        f"batch of {args.batch}": batched,
    }
    rows: dict[str, list[dict[str, float]]] = {m: [] for m in modes}
    try:
        for fn in modes.values():  # warm-up: imports, first simulator runs, channel
            for r in reqs[: min(16, len(reqs))]:
                stub.ExecuteCircuit(r, timeout=120)
            fn()
        for _ in range(args.reps):
            for name, fn in modes.items():
                rows[name].append(measure(server, fn))
    finally:
        channel.close()
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()

    def median(name: str, key: str) -> float:
        return statistics.median(r[key] for r in rows[name])

    keys = ("wall_ms_per_job", "server_cpu_ms_per_job", "client_cpu_ms_per_job", "jobs_per_s")
    summary: dict[str, Any] = {
        "device": args.device,
        "jobs": jobs,
        "batch": args.batch,
        "shots": args.shots,
        "reps": args.reps,
        "cpus": psutil.cpu_count(),
        "load_avg_1m": os.getloadavg()[0],
        "modes": {m: {k: round(median(m, k), 4) for k in keys} for m in modes},
    }
    batch_name = f"batch of {args.batch}"
    ratios = {
        f"{m} / batch": {
            k: round(median(m, k) / median(batch_name, k), 2) for k in keys if k != "jobs_per_s"
        }
        for m in modes
        if m != batch_name
    }
    summary["ratios"] = ratios
    print(
        f"driver-manager, {args.device}, Bell {args.shots} shots, {jobs} jobs, "
        f"median of {args.reps} (load avg {summary['load_avg_1m']:.1f} on {summary['cpus']} CPUs)"
    )
    print(
        f"{'mode':<16}{'wall ms/job':>14}{'server CPU ms/job':>20}{'client CPU':>12}{'jobs/s':>10}"
    )
    for m, v in summary["modes"].items():
        print(
            f"{m:<16}{v['wall_ms_per_job']:>14.3f}{v['server_cpu_ms_per_job']:>20.3f}"
            f"{v['client_cpu_ms_per_job']:>12.3f}{v['jobs_per_s']:>10.1f}"
        )
    for name, r in ratios.items():
        print(
            f"{name}: wall x{r['wall_ms_per_job']}, server CPU x{r['server_cpu_ms_per_job']}, "
            f"client CPU x{r['client_cpu_ms_per_job']}"
        )
    if args.json is not None:
        args.json.write_text(json.dumps(summary, indent=2) + "\n")


if __name__ == "__main__":
    main()
