"""Cross-service fixtures: the four services as real processes, bound to port 0.

Each service logs a JSON line ``{"event": "server started", "port": N}`` on stderr; a reader
thread per process forwards stderr to a log file and signals when that line appears, so the
harness waits on an event, not a sleep loop.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import grpc
import pytest

from eigen.api.v1 import device_pb2_grpc, job_pb2_grpc

ROOT = Path(__file__).resolve().parents[1]
#: Circuits written by others, vendored with their licence and provenance (tests/corpus/*/).
CORPUS = ROOT / "tests" / "corpus"


@dataclass
class ServiceProcess:
    """One running service process and its bound port."""

    name: str
    proc: subprocess.Popen[bytes]
    port: int
    log_path: Path

    def log_tail(self, n: int = 40) -> str:
        """Last lines of the service's log."""
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-n:])
        except FileNotFoundError:
            return ""


def start_service(
    name: str, module: str, env: dict[str, str], log_dir: Path, timeout: float = 60.0
) -> ServiceProcess:
    """Start ``python -m module`` and wait for its ``server started`` line.

    Raises:
        RuntimeError: the process exits or does not start within ``timeout`` seconds.
    """
    log_path = log_dir / f"{name}.log"
    proc = subprocess.Popen(
        [sys.executable, "-m", module],
        env={**os.environ, **env},
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    started = threading.Event()
    port_box: list[int] = []

    def pump() -> None:
        assert proc.stderr is not None
        with open(log_path, "ab") as out:
            for line in proc.stderr:
                out.write(line)
                out.flush()
                if not started.is_set() and b"server started" in line:
                    try:
                        port_box.append(int(json.loads(line)["port"]))
                    except (ValueError, KeyError):
                        continue
                    started.set()
        started.set()

    threading.Thread(target=pump, daemon=True, name=f"log-{name}").start()
    if not started.wait(timeout) or not port_box:
        proc.kill()
        tail = log_path.read_text(errors="replace")[-3000:] if log_path.exists() else ""
        raise RuntimeError(f"{name} did not start:\n{tail}")
    return ServiceProcess(name, proc, port_box[0], log_path)


@dataclass
class ProcessStack:
    """The four services as real processes (compiler, driver-manager, kernel, system-api)."""

    home: Path
    token: str
    services: dict[str, ServiceProcess] = field(default_factory=dict)
    #: more API keys: token → (subject, roles, tenant)
    extra_keys: dict[str, tuple[str, tuple[str, ...], str]] = field(default_factory=dict)
    #: extra environment per service name (``kernel``, ``system-api``, ...)
    env: dict[str, dict[str, str]] = field(default_factory=dict)

    @property
    def endpoint(self) -> str:
        """Public endpoint ``127.0.0.1:<port>``."""
        return f"127.0.0.1:{self.services['system-api'].port}"

    def kernel_env(self, port: int = 0) -> dict[str, str]:
        """Environment of the kernel process."""
        return {
            "EIGEN_KERNEL_PORT": str(port),
            "EIGEN_KERNEL_METRICS_PORT": "0",
            "EIGEN_KERNEL_HOME": str(self.home / "kernel"),
            "EIGEN_KERNEL_COMPILER_ADDRESS": f"127.0.0.1:{self.services['compiler'].port}",
            "EIGEN_KERNEL_DRIVER_MANAGER_ADDRESS": (
                f"127.0.0.1:{self.services['driver-manager'].port}"
            ),
            "EIGEN_KERNEL_HEARTBEAT_SECONDS": "1",
            **self.env.get("kernel", {}),
        }

    def start(self) -> None:
        """Start all four services in dependency order."""
        logs = self.home / "logs"
        logs.mkdir(parents=True, exist_ok=True)
        keys = {
            "keys": [
                {
                    "sha256": hashlib.sha256(self.token.encode()).hexdigest(),
                    "subject": "tester",
                    "roles": ["admin"],
                    "tenant": "test",
                },
                *(
                    {
                        "sha256": hashlib.sha256(tok.encode()).hexdigest(),
                        "subject": sub,
                        "roles": list(roles),
                        "tenant": tenant,
                    }
                    for tok, (sub, roles, tenant) in self.extra_keys.items()
                ),
            ]
        }
        (self.home / "api_keys.json").write_text(json.dumps(keys))
        self.services["compiler"] = start_service(
            "compiler",
            "eigen_compiler",
            {
                "EIGEN_COMPILER_PORT": "0",
                "EIGEN_COMPILER_METRICS_PORT": "0",
                **self.env.get("compiler", {}),
            },
            logs,
        )
        self.services["driver-manager"] = start_service(
            "driver-manager",
            "eigen_driver_manager",
            {
                "EIGEN_DRIVER_MANAGER_PORT": "0",
                "EIGEN_DRIVER_MANAGER_METRICS_PORT": "0",
                **self.env.get("driver-manager", {}),
            },
            logs,
        )
        self.services["kernel"] = start_service("kernel", "eigen_kernel", self.kernel_env(), logs)
        self.services["system-api"] = start_service(
            "system-api",
            "eigen_system_api",
            {
                "EIGEN_SYSTEM_API_PORT": "0",
                "EIGEN_SYSTEM_API_METRICS_PORT": "0",
                "EIGEN_SYSTEM_API_KERNEL_ADDRESS": f"127.0.0.1:{self.services['kernel'].port}",
                "EIGEN_SYSTEM_API_COMPILER_ADDRESS": f"127.0.0.1:{self.services['compiler'].port}",
                "EIGEN_SYSTEM_API_API_KEYS_FILE": str(self.home / "api_keys.json"),
                **self.env.get("system-api", {}),
            },
            logs,
        )

    def kill_kernel(self) -> None:
        """SIGKILL the kernel (no drain, no cleanup)."""
        k = self.services["kernel"]
        k.proc.send_signal(signal.SIGKILL)
        k.proc.wait(10)

    def restart_kernel(self) -> None:
        """Start the kernel again on the port it had (system-api keeps its address)."""
        port = self.services["kernel"].port
        self.services["kernel"] = start_service(
            "kernel", "eigen_kernel", self.kernel_env(port), self.home / "logs"
        )

    def stop(self) -> None:
        """SIGTERM every service, then SIGKILL stragglers."""
        for s in reversed(list(self.services.values())):
            if s.proc.poll() is None:
                s.proc.send_signal(signal.SIGTERM)
        for s in self.services.values():
            try:
                s.proc.wait(15)
            except subprocess.TimeoutExpired:
                s.proc.kill()

    def alive(self) -> dict[str, bool]:
        """Which services are still running."""
        return {n: s.proc.poll() is None for n, s in self.services.items()}


@pytest.fixture(scope="session")
def process_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ProcessStack]:
    """The four services as real processes, shared by the session."""
    stack = ProcessStack(tmp_path_factory.mktemp("eigen-home"), secrets.token_urlsafe(24))
    try:
        stack.start()
        yield stack
    finally:
        stack.stop()


@dataclass
class Api:
    """Sync stubs of the public API with the bearer token attached."""

    channel: grpc.Channel
    jobs: job_pb2_grpc.JobServiceStub
    devices: device_pb2_grpc.DeviceServiceStub
    metadata: list[tuple[str, str]]


@pytest.fixture(scope="session")
def api(process_stack: ProcessStack) -> Iterator[Api]:
    """Public API client for the process stack."""
    ch = grpc.insecure_channel(process_stack.endpoint)
    yield Api(
        ch,
        job_pb2_grpc.JobServiceStub(ch),
        device_pb2_grpc.DeviceServiceStub(ch),
        [("authorization", f"Bearer {process_stack.token}")],
    )
    ch.close()
