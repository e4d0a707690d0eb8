from __future__ import annotations

import json
import os
import signal
import subprocess
import sys

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from eigen_compiler.model import Limits
from eigen_compiler.settings import CompilerSettings


def test_settings_defaults_and_env(monkeypatch: object) -> None:
    defaults = CompilerSettings()
    assert (defaults.port, defaults.metrics_port) == (50053, 9103)
    assert defaults.limits() == Limits()
    assert defaults.limits().max_source_bytes == 256 * 1024
    assert defaults.limits().max_qasm_bytes == 4 * 1024 * 1024
    env = {"EIGEN_COMPILER_PORT": "6000", "EIGEN_COMPILER_MAX_QUBITS": "64"}
    for k, v in env.items():
        monkeypatch.setenv(k, v)  # type: ignore[attr-defined]
    custom = CompilerSettings()
    assert custom.port == 6000
    assert custom.limits().max_qubits == 64


def test_module_starts_serves_health_and_drains_on_sigterm() -> None:
    env = {
        **os.environ,
        "EIGEN_COMPILER_PORT": "0",
        "EIGEN_COMPILER_METRICS_PORT": "0",
        "EIGEN_COMPILER_GRACE_SECONDS": "1",
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "eigen_compiler"], env=env, stderr=subprocess.PIPE, text=True
    )
    try:
        assert proc.stderr is not None
        port = 0
        for line in proc.stderr:  # blocks until the service logs its start line
            if line.startswith("{"):
                event = json.loads(line)
                if event.get("event") == "server started":
                    port = int(event["port"])
                    break
        assert port > 0
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            reply = health_pb2_grpc.HealthStub(channel).Check(
                health_pb2.HealthCheckRequest(), timeout=10
            )
            assert reply.status == health_pb2.HealthCheckResponse.SERVING
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
