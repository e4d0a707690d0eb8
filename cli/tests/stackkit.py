"""Stand-in stacks for the launcher tests: fake services (real child processes running the real
server bootstrap and security, see stack_fakes/), free ports, and waiting on processes."""

from __future__ import annotations

import os
import select
import socket
from contextlib import ExitStack
from pathlib import Path

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from eigen_os import stack
from eigen_os.stack import ServiceSpec

FAKES = Path(__file__).resolve().parent / "stack_fakes"
PREFIX = {s.name: s.env_prefix for s in stack.SERVICES}


def fake_services(modes: dict[str, str] | None = None) -> tuple[ServiceSpec, ...]:
    modes = modes or {}
    return tuple(
        ServiceSpec(
            s.name,
            "eigen_fake_secured_service",
            s.env_prefix,
            s.port_offset,
            (s.env_prefix, modes.get(s.name, "ok")),
        )
        for s in stack.SERVICES
    )


def free_ports(n: int) -> list[int]:
    with ExitStack() as stack_:
        socks = [stack_.enter_context(socket.socket()) for _ in range(n)]
        for s in socks:
            s.bind(("127.0.0.1", 0))
        return [int(s.getsockname()[1]) for s in socks]


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def use_fakes(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """Let children find the fake module via PYTHONPATH; they dump their env into the result."""
    monkeypatch.setenv(
        "PYTHONPATH", os.pathsep.join(p for p in (str(FAKES), os.environ.get("PYTHONPATH")) if p)
    )
    dump = tmp_path / "dump"
    dump.mkdir()
    monkeypatch.setenv("EIGEN_FAKE_DUMP", str(dump))
    monkeypatch.setenv("EIGEN_TOKEN", "client-side-secret")  # must not reach the services
    return dump


def starts(dump: Path, name: str) -> list[int]:
    """Pids of every start of a stand-in service, in order."""
    path = dump / f"{PREFIX[name]}.starts"
    return [int(p) for p in path.read_text().split()] if path.exists() else []


def wait_exit(pid: int, timeout: float = 30) -> None:
    """Block until ``pid`` (not necessarily our child) has exited."""
    try:
        fd = os.pidfd_open(pid)
    except ProcessLookupError:  # already exited and reaped (by the supervisor, its parent)
        return
    try:
        assert select.select([fd], [], [], timeout)[0], f"pid {pid} still running"
    finally:
        os.close(fd)


def wait_serving(port: int, timeout: float = 60) -> None:
    """Block until the server on ``port`` reports SERVING (waits for it to listen)."""
    with grpc.insecure_channel(f"127.0.0.1:{port}") as ch:
        stream = health_pb2_grpc.HealthStub(ch).Watch(
            health_pb2.HealthCheckRequest(), wait_for_ready=True, timeout=timeout
        )
        for resp in stream:
            if resp.status == health_pb2.HealthCheckResponse.SERVING:
                stream.cancel()
                return


def port_args(ports: list[int]) -> list[str]:
    return [
        "--api-port", str(ports[0]),
        "--kernel-port", str(ports[1]),
        "--compiler-port", str(ports[2]),
        "--driver-manager-port", str(ports[3]),
        "--metrics-port-base", "0",
        "--rest-port", str(ports[4]) if len(ports) > 4 else "0",
        "--start-timeout", "60",
    ]  # fmt: skip
