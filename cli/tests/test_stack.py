"""The `eigen up` / `eigen down` launcher, with stand-in services (real child processes)."""

from __future__ import annotations

import hashlib
import json
import os
import socket
import stat
from contextlib import ExitStack
from pathlib import Path

import grpc
import pytest
from click.testing import CliRunner
from grpc_health.v1 import health_pb2, health_pb2_grpc

from eigen_os import stack
from eigen_os.cli.main import cli
from eigen_os.client import resolve_config
from eigen_os.stack import (
    PortInUseError,
    ServiceSpec,
    ServiceStartError,
    StackConfig,
    StackConfigError,
    ensure_credentials,
)

FAKES = Path(__file__).resolve().parent / "stack_fakes"


def fake_services(modes: dict[str, str] | None = None) -> tuple[ServiceSpec, ...]:
    modes = modes or {}
    return tuple(
        ServiceSpec(
            s.name,
            "eigen_fake_service",
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


@pytest.fixture
def dump_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """Children find the fake module via PYTHONPATH and dump their env into dump_dir."""
    monkeypatch.setenv(
        "PYTHONPATH", os.pathsep.join(p for p in (str(FAKES), os.environ.get("PYTHONPATH")) if p)
    )
    dump = tmp_path / "dump"
    dump.mkdir()
    monkeypatch.setenv("EIGEN_FAKE_DUMP", str(dump))
    monkeypatch.setenv("EIGEN_TOKEN", "client-side-secret")  # must not reach the services
    return dump


def port_args(ports: list[int]) -> list[str]:
    return [
        "--api-port", str(ports[0]),
        "--kernel-port", str(ports[1]),
        "--compiler-port", str(ports[2]),
        "--driver-manager-port", str(ports[3]),
        "--metrics-port-base", "0",
        "--start-timeout", "60",
    ]  # fmt: skip


def test_up_status_down_via_cli(
    dump_dir: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(stack, "SERVICES", fake_services())
    ports = free_ports(4)
    home = tmp_path / "eh"
    args = ["up", "--home", str(home), *port_args(ports)]
    r = CliRunner().invoke(cli, [*args, "--json"])
    assert r.exit_code == 0, r.output
    data = json.loads(r.stdout)
    assert [s["name"] for s in data["services"]] == [
        "compiler",
        "driver-manager",
        "kernel",
        "system-api",
    ]
    assert data["endpoint"] == f"127.0.0.1:{ports[0]}" and data["already_running"] is False
    pids = {s["name"]: s["pid"] for s in data["services"]}

    # credentials: 0600 token, api_keys.json with its sha256; the token is never printed
    token = (home / "token").read_text().strip()
    assert len(token) >= 32 and token not in r.output
    for f in ("token", "api_keys.json", "stack.json"):
        assert stat.S_IMODE((home / f).stat().st_mode) == 0o600, f
    assert json.loads((home / "api_keys.json").read_text()) == {
        "keys": [
            {
                "sha256": hashlib.sha256(token.encode()).hexdigest(),
                "subject": "local-admin",
                "roles": ["admin"],
                "tenant": "local",
            }
        ]
    }

    # the environment each service got
    env = {p.stem: json.loads(p.read_text()) for p in dump_dir.glob("*.json")}
    assert env["EIGEN_COMPILER_"]["EIGEN_COMPILER_PORT"] == str(ports[2])
    assert env["EIGEN_COMPILER_"]["EIGEN_COMPILER_HOST"] == "127.0.0.1"
    assert env["EIGEN_COMPILER_"]["EIGEN_COMPILER_METRICS_PORT"] == "0"
    kernel = env["EIGEN_KERNEL_"]
    assert kernel["EIGEN_KERNEL_HOME"] == str(home / "kernel")
    assert kernel["EIGEN_KERNEL_COMPILER_ADDRESS"] == f"127.0.0.1:{ports[2]}"
    assert kernel["EIGEN_KERNEL_DRIVER_MANAGER_ADDRESS"] == f"127.0.0.1:{ports[3]}"
    api = env["EIGEN_SYSTEM_API_"]
    assert api["EIGEN_SYSTEM_API_KERNEL_ADDRESS"] == f"127.0.0.1:{ports[1]}"
    assert api["EIGEN_SYSTEM_API_COMPILER_ADDRESS"] == f"127.0.0.1:{ports[2]}"
    assert api["EIGEN_SYSTEM_API_API_KEYS_FILE"] == str(home / "api_keys.json")
    assert all("EIGEN_TOKEN" not in e for e in env.values())
    assert {e["pid"] for e in env.values()} == {str(p) for p in pids.values()}

    for port in ports:
        with grpc.insecure_channel(f"127.0.0.1:{port}") as ch:
            resp = health_pb2_grpc.HealthStub(ch).Check(health_pb2.HealthCheckRequest(), timeout=5)
            assert resp.status == health_pb2.HealthCheckResponse.SERVING
    assert "server started" in (home / "logs" / "system-api.log").read_text()

    # the CLI/SDK find the stack's endpoint and token by themselves
    cfg = resolve_config(env={"EIGEN_HOME": str(home), "HOME": str(tmp_path)})
    assert (cfg.endpoint, cfg.token) == (f"127.0.0.1:{ports[0]}", token)

    r = CliRunner().invoke(cli, args)
    assert r.exit_code == 0 and "already running" in r.stdout
    assert (home / "token").read_text().strip() == token

    r = CliRunner().invoke(cli, ["down", "--home", str(home), "--json"])
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)["services"]
    assert [(s["name"], s["outcome"]) for s in out] == [
        ("system-api", "stopped"),
        ("kernel", "stopped"),
        ("driver-manager", "stopped"),
        ("compiler", "stopped"),
    ]
    assert not any(alive(p) for p in pids.values())
    assert not (home / "stack.json").exists()
    r = CliRunner().invoke(cli, ["down", "--home", str(home)])
    assert r.exit_code == 0 and "no local stack is running" in r.stdout


def test_taken_port_is_named_and_nothing_starts(
    dump_dir: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(stack, "SERVICES", fake_services())
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        taken = busy.getsockname()[1]
        ports = [*free_ports(3), taken]  # driver-manager's port is taken
        home = tmp_path / "eh"
        r = CliRunner().invoke(cli, ["up", "--home", str(home), *port_args(ports)])
    assert r.exit_code == 2, r.output
    assert f"port {taken} (driver-manager gRPC) already in use" in r.stderr
    assert list(dump_dir.iterdir()) == []
    assert not (home / "stack.json").exists()


def test_dying_service_reports_log_tail_and_stops_the_others(
    dump_dir: Path, tmp_path: Path
) -> None:
    services = fake_services({"driver-manager": "die"})[:2]
    ports = free_ports(2)
    cfg = StackConfig.build(
        tmp_path / "eh",
        ports={"compiler": ports[0], "driver-manager": ports[1]},
        metrics_port_base=0,
        services=services,
        start_timeout=60,
    )
    with pytest.raises(ServiceStartError) as ei:
        stack.up(cfg)
    assert "driver-manager exited with code 3" in ei.value.message
    assert any("cannot start (simulated)" in line for line in ei.value.details)
    compiler_pid = int(json.loads((dump_dir / "EIGEN_COMPILER_.json").read_text())["pid"])
    assert not alive(compiler_pid)
    assert not (cfg.home / "stack.json").exists()


def test_ensure_credentials_is_idempotent(tmp_path: Path) -> None:
    token_path, keys_path, created = ensure_credentials(tmp_path)
    assert created
    token = token_path.read_text().strip()
    assert ensure_credentials(tmp_path)[2] is False
    keys_path.unlink()
    assert ensure_credentials(tmp_path)[2] is True
    assert token_path.read_text().strip() == token
    keys = json.loads(keys_path.read_text())["keys"]
    assert keys[0]["sha256"] == hashlib.sha256(token.encode()).hexdigest()


def test_port_layout_and_validation(tmp_path: Path) -> None:
    cfg = StackConfig.build(tmp_path, port_base=6000, metrics_port_base=7000)
    assert cfg.ports == {
        "system-api": 6000,
        "kernel": 6001,
        "compiler": 6002,
        "driver-manager": 6003,
    }
    assert cfg.metrics_ports["driver-manager"] == 7003
    default = StackConfig.build(tmp_path)
    assert default.ports["system-api"] == 50051 and default.metrics_ports["kernel"] == 9102
    with pytest.raises(StackConfigError, match="both"):
        StackConfig.build(tmp_path, ports={"kernel": 6000}, port_base=6000)
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        cfg = StackConfig.build(
            tmp_path, ports={"kernel": port}, port_base=free_ports(1)[0], metrics_port_base=0
        )
        assert stack.port_conflicts(cfg) == [("kernel", "gRPC", port)]
        err = PortInUseError(cfg.host, stack.port_conflicts(cfg))
    assert err.exit_code == 2 and f"port {port} (kernel gRPC)" in err.message
    assert stack.port_conflicts(cfg) == []  # free again once the listener is gone
