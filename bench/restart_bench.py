"""Per-service restart by the supervisor (issue 11): kill -9 each service of a real `eigen up`
stack and time until it answers health SERVING again; a full stack start in the same run is the
reference (what one death cost before the supervisor restarted only what died).

Usage: ``uv run --group bench python bench/restart_bench.py [ROUNDS]``.
"""

import json
import os
import select
import signal
import socket
import statistics
import sys
import tempfile
import time
from pathlib import Path

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from eigen_os import stack

ROUNDS = int(sys.argv[1]) if len(sys.argv) > 1 else 3


def free_ports(n):
    socks = [socket.socket() for _ in range(n)]
    for s in socks:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in socks]
    for s in socks:
        s.close()
    return ports


def wait_exit(pid):
    fd = os.pidfd_open(pid)
    select.select([fd], [], [], 60)
    os.close(fd)


def wait_serving(port, timeout=120):
    opts = [
        ("grpc.initial_reconnect_backoff_ms", 50),
        ("grpc.min_reconnect_backoff_ms", 50),
        ("grpc.max_reconnect_backoff_ms", 250),
    ]  # else gRPC's 1 s..120 s backoff adds seconds
    with grpc.insecure_channel(f"127.0.0.1:{port}", options=opts) as ch:
        for resp in health_pb2_grpc.HealthStub(ch).Watch(
            health_pb2.HealthCheckRequest(), wait_for_ready=True, timeout=timeout
        ):
            if resp.status == health_pb2.HealthCheckResponse.SERVING:
                return


home = Path(tempfile.mkdtemp()) / "eh"
ports = free_ports(4)
cfg = stack.StackConfig.build(
    home,
    ports=dict(zip(["system-api", "kernel", "compiler", "driver-manager"], ports, strict=True)),
    metrics_port_base=0,
    start_timeout=240,
)
t0 = time.monotonic()
stack.up(cfg)
full_start = time.monotonic() - t0
print(f"full stack start (what one death cost before): {full_start:.2f} s", flush=True)
results = {}
try:
    for r in range(ROUNDS):
        for name in ("compiler", "driver-manager", "kernel", "system-api"):
            st = stack.read_state(home)
            proc = next(s for s in st.services if s.name == name)
            t = time.monotonic()
            os.kill(proc.pid, signal.SIGKILL)
            wait_exit(proc.pid)
            wait_serving(proc.port)
            dt = time.monotonic() - t
            results.setdefault(name, []).append(dt)
            others = [s for s in st.services if s.name != name]
            assert all(stack.is_running(s) for s in others), "another service was touched"
            print(f"round {r} {name}: serving again {dt:.2f} s after kill -9", flush=True)
finally:
    log = (home / "logs" / "supervisor.log").read_text().splitlines()
    stack.down(home)
logged = [json.loads(x) for x in log if x.startswith("{")]
for name, xs in results.items():
    sup = [
        e["outage_seconds"]
        for e in logged
        if e.get("event") == "service restarted" and e["service"] == name
    ]
    print(
        f"{name:15s} median {statistics.median(xs):.2f} s (min {min(xs):.2f}, max {max(xs):.2f}); "
        f"supervisor-logged outage median {statistics.median(sup):.2f} s"
    )
print(f"load average at end: {os.getloadavg()}")
