"""The `eigen up` / `eigen down` launcher and its supervisor, with stand-in services (real
child processes with the real server bootstrap and security, see stack_fakes/)."""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import shutil
import signal
import socket
import stat
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import grpc
import pytest
from click.testing import CliRunner
from grpc_health.v1 import health_pb2, health_pb2_grpc

from cli.tests.stackkit import (
    alive,
    fake_services,
    free_ports,
    port_args,
    starts,
    use_fakes,
    wait_exit,
    wait_serving,
)
from eigen_os import paths, stack
from eigen_os.cli.main import cli
from eigen_os.client import resolve_config
from eigen_os.stack import (
    PortInUseError,
    RestartPolicy,
    ServiceStartError,
    StackConfig,
    StackConfigError,
    StackState,
    ensure_credentials,
)
from eigen_os.supervisor import Supervisor


@pytest.fixture
def dump_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    return use_fakes(monkeypatch, tmp_path)


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
    internal = (home / "internal_token").read_text().strip()
    assert len(internal) >= 32 and internal not in r.output and internal != token
    for f in ("token", "api_keys.json", "stack.json", "internal_token"):
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
    assert env["EIGEN_SYSTEM_API_"]["EIGEN_SYSTEM_API_REST_PORT"] == "0"  # --rest-port 0: off
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
    for prefix, e in env.items():  # the per-stack secret as a file, never in the environment
        assert e[f"{prefix}INTERNAL_TOKEN_FILE"] == str(home / "internal_token")
        assert internal not in json.dumps(e)
        assert not any(k.startswith(f"{prefix}TLS_") for k in e)

    # a supervisor watches them; it is not any of the services
    sup = data["supervisor"]
    assert sup["pid"] not in pids.values() and alive(sup["pid"])
    assert data["tls"] is None and data["tls_ca_file"] is None
    assert all(s["restarts"] == 0 and s["state"] == "running" for s in data["services"])

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
    down = json.loads(r.stdout)
    out = down["services"]
    assert [(s["name"], s["outcome"]) for s in out] == [
        ("system-api", "stopped"),
        ("kernel", "stopped"),
        ("driver-manager", "stopped"),
        ("compiler", "stopped"),
    ]
    assert down["supervisor"] == {"pid": sup["pid"], "outcome": "stopped"}
    assert not any(alive(p) for p in [*pids.values(), sup["pid"]])
    assert "stack serving" in (home / "logs" / "supervisor.log").read_text()
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
    # the REST port counts like the others
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        cfg = StackConfig.build(
            tmp_path, port_base=free_ports(1)[0], metrics_port_base=0, rest_port=port
        )
        assert stack.port_conflicts(cfg) == [("system-api", "REST", port)]
    with pytest.raises(StackConfigError, match="REST"):
        StackConfig.build(tmp_path, port_base=6000, metrics_port_base=0, rest_port=6001)
    assert StackConfig.from_json(cfg.to_json()).rest_port == port


def test_kill_9_restarts_only_that_service(
    dump_dir: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(stack, "SERVICES", fake_services())
    ports = free_ports(4)
    home = tmp_path / "eh"
    r = CliRunner().invoke(cli, ["up", "--home", str(home), *port_args(ports), "--json"])
    assert r.exit_code == 0, r.output
    before = {s["name"]: s["pid"] for s in json.loads(r.stdout)["services"]}
    try:
        victim = before["driver-manager"]
        os.kill(victim, signal.SIGKILL)
        wait_exit(victim)
        wait_serving(ports[3])  # the supervisor's new driver-manager

        assert starts(dump_dir, "driver-manager") == [victim, starts(dump_dir, "driver-manager")[1]]
        new_pid = starts(dump_dir, "driver-manager")[1]
        for name in ("compiler", "kernel", "system-api"):
            assert starts(dump_dir, name) == [before[name]] and alive(before[name])
        state = stack.read_state(home)
        assert state is not None
        dm = next(s for s in state.services if s.name == "driver-manager")
        assert (dm.pid, dm.restarts) == (new_pid, 1)  # recorded before it could serve

        r = CliRunner().invoke(cli, ["up", "--home", str(home), *port_args(ports)])
        assert r.exit_code == 0 and "already running" in r.stdout, r.output
    finally:
        r = CliRunner().invoke(cli, ["down", "--home", str(home), "--json"])
    assert r.exit_code == 0, r.output
    out = {s["name"]: (s["pid"], s["outcome"]) for s in json.loads(r.stdout)["services"]}
    assert out["driver-manager"] == (new_pid, "stopped")
    log = [json.loads(line) for line in (home / "logs" / "supervisor.log").read_text().splitlines()
           if line.startswith("{")]  # fmt: skip
    exited = [e for e in log if e["event"] == "service exited"]
    assert [(e["service"], e["pid"], e["returncode"]) for e in exited] == [
        ("driver-manager", victim, -9)
    ]
    restarted = [e for e in log if e["event"] == "service restarted"]
    assert [(e["service"], e["pid"], e["restarts"]) for e in restarted] == [
        ("driver-manager", new_pid, 1)
    ]
    assert restarted[0]["outage_seconds"] > 0


async def test_a_service_that_cannot_come_back_is_left_failed_and_the_rest_keep_running(
    dump_dir: Path, tmp_path: Path
) -> None:
    ports = free_ports(4)
    cfg = StackConfig.build(
        tmp_path / "eh",
        ports=dict(zip(["system-api", "kernel", "compiler", "driver-manager"], ports, strict=True)),
        metrics_port_base=0,
        services=fake_services({"kernel": "die-on-restart"}),
        start_timeout=60,
        restart=RestartPolicy(limit=2, backoff=0.05),
    )
    stack.prepare(cfg, lambda _m: None)
    ready = asyncio.Event()
    events: list[dict[str, object]] = []
    states: asyncio.Queue[StackState] = asyncio.Queue()

    def emit(event: dict[str, object]) -> None:
        events.append(event)
        if event["event"] == "ready":
            ready.set()

    sup = Supervisor(cfg, emit, observer=states.put_nowait)
    task = asyncio.create_task(sup.run())
    await asyncio.wait_for(ready.wait(), 120)
    first = {s.name: s.pid for s in (await states.get(), *drain(states))[-1].services}
    os.kill(first["kernel"], signal.SIGKILL)

    async def kernel_state() -> str:
        while True:
            st = await states.get()
            kernel = next(s for s in st.services if s.name == "kernel")
            if kernel.state == "failed":
                return f"{kernel.state}/{kernel.restarts}"

    assert await asyncio.wait_for(kernel_state(), 60) == "failed/2"
    assert len(starts(dump_dir, "kernel")) == 3  # the first start and two restarts
    for name in ("compiler", "driver-manager", "system-api"):
        assert starts(dump_dir, name) == [first[name]] and alive(first[name])
    recorded = stack.read_state(cfg.home)
    assert recorded is not None and not stack._healthy(recorded)  # `eigen up` starts afresh

    sup.request_stop()
    assert await asyncio.wait_for(task, 60) == 0
    assert not any(alive(first[n]) for n in ("compiler", "driver-manager", "system-api"))
    assert stack.read_state(cfg.home) is None  # stopped by a signal, not by `eigen down`
    assert [e["event"] for e in events][-1] == "ready"


def drain(q: asyncio.Queue[StackState]) -> list[StackState]:
    out = []
    while not q.empty():
        out.append(q.get_nowait())
    return out


@contextmanager
def read_only(path: Path) -> Iterator[None]:
    """Make ``path`` unwritable for this process: mode 0500, or for root the immutable flag."""
    path.mkdir(parents=True, exist_ok=True)
    if os.geteuid() != 0:
        path.chmod(0o500)
        try:
            yield
        finally:
            path.chmod(0o700)
        return
    if shutil.which("chattr") is None:
        pytest.skip("running as root without chattr: no way to make a directory read-only")
    if subprocess.run(["chattr", "+i", str(path)], check=False).returncode != 0:
        pytest.skip("chattr +i is not permitted here")
    try:
        yield
    finally:
        subprocess.run(["chattr", "-i", str(path)], check=True)


@pytest.mark.parametrize("existing", [False, True], ids=["fresh", "used-before"])
def test_read_only_home_is_one_clear_line_and_exit_2(tmp_path: Path, existing: bool) -> None:
    home = tmp_path / "ro"
    if existing:  # a home a stack ran from: its directories and (stale) record exist
        for d in ("logs", "kernel"):
            (home / d).mkdir(parents=True)
        stack.write_state(home, StackState("127.0.0.1:1", "127.0.0.1", "t", ()))
    with read_only(home):
        r = CliRunner().invoke(cli, ["up", "--home", str(home), *port_args(free_ports(4))])
        assert r.exit_code == 2, r.output
        lines = r.stderr.strip().splitlines()
        assert len(lines) == 1 and f"cannot use EIGEN_HOME {home}" in lines[0], r.stderr
        assert "Traceback" not in r.output and "stack.lock" not in r.stderr

        r = CliRunner().invoke(cli, ["down", "--home", str(home)])
        if existing:
            assert r.exit_code == 2, r.output
            assert len(r.stderr.strip().splitlines()) == 1 and "Traceback" not in r.output
        else:
            assert r.exit_code == 0 and "no local stack is running" in r.stdout, r.output
    assert (home / "stack.json").exists() is existing


def test_restart_policy_backoff() -> None:
    p = RestartPolicy(limit=5, backoff=0.5, backoff_max=3.0)
    assert [p.delay(n) for n in range(1, 7)] == [0.0, 0.5, 1.0, 2.0, 3.0, 3.0]


def test_config_survives_the_trip_to_the_supervisor(tmp_path: Path) -> None:
    cfg = StackConfig.build(
        tmp_path,
        port_base=6000,
        services=fake_services({"kernel": "die"}),
        tls=True,
        restart=RestartPolicy(limit=1, backoff=2.0),
    )
    again = StackConfig.from_json(json.loads(json.dumps(cfg.to_json())))
    assert again == cfg
    assert cfg.endpoint == "grpcs://127.0.0.1:6000"
    assert paths.stack_ca_file(tmp_path) is None


def test_foreground_supervises_in_the_terminal_and_ctrl_c_stops_everything(
    dump_dir: Path, tmp_path: Path
) -> None:
    ports = free_ports(4)
    home = tmp_path / "eh"
    script = (
        "import sys\n"
        "from eigen_os import stack\n"
        "from cli.tests.stackkit import fake_services\n"
        "stack.SERVICES = fake_services()\n"
        "from eigen_os.cli.main import main\n"
        "sys.argv = ['eigen', *sys.argv[1:]]\n"
        "main()\n"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", script, "up", "--foreground", "--home", str(home),
         *port_args(ports)],
        stderr=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parents[2],  # the repo root: `cli.tests` importable
    )  # fmt: skip
    try:
        assert proc.stderr is not None
        seen = []
        for line in proc.stderr:  # progress, then "serving on ..."
            seen.append(line)
            if "serving on" in line:
                break
        assert any("starting kernel" in line for line in seen), seen
        state = stack.read_state(home)
        assert state is not None and state.supervisor is not None
        assert state.supervisor.pid == proc.pid
        pids = [s.pid for s in state.services]
        assert len(pids) == 4 and all(alive(p) for p in pids)
        proc.send_signal(signal.SIGINT)
        assert proc.wait(60) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert not any(alive(p) for p in pids)
    assert stack.read_state(home) is None
