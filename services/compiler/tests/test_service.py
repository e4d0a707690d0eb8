from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
import threading
from pathlib import Path

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from eigen.api.v1 import common_pb2
from eigen.compiler.v1 import compiler_pb2, compiler_pb2_grpc
from eigen_common.errors import CompilationFailedError
from eigen_common.status import from_rpc_error
from eigen_compiler.model import Limits
from eigen_compiler.settings import CompilerSettings

BELL = (
    "from eigen_lang import QubitRegister, cx, h, hybrid_program, measure_all\n"
    "@hybrid_program\n"
    "def bell():\n"
    "    q = QubitRegister(2)\n"
    "    h(q[0])\n"
    "    cx(q[0], q[1])\n"
    "    measure_all(q)\n"
)
#: The adversarial probe's inputs that once took the service down (issue 11).
HOSTILE = [
    ('OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[2147483647];\n', "too-many-qubits"),
    ('OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[99999999999999999999999];\n', "too-many-qubits"),
    ("OPENQASM 3.0;\nqubit[2147483647] q;\n", "too-many-qubits"),
    ('OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[1];\nrx(9^9^9) q[0];\n', "numeric-error"),
]


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


def _children(pid: int) -> set[int]:
    """Process ids whose parent is ``pid`` (from /proc)."""
    out = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            out.add(int(stat.parent.name))
    return out


def _descendants(pid: int) -> set[int]:
    found, todo = set(), [pid]
    while todo:
        for child in _children(todo.pop()):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def _wait_exit(pid: int, timeout: float) -> bool:
    """Wait for ``pid`` (not our child) to end; True when it has."""
    try:
        fd = os.pidfd_open(pid)
    except ProcessLookupError:
        return True
    try:
        return bool(select.select([fd], [], [], timeout)[0])
    finally:
        os.close(fd)


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
        tail: list[str] = []  # workers log too; kept to explain an unclean exit
        drain = threading.Thread(target=lambda: tail.extend(proc.stderr or ()), daemon=True)
        drain.start()
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            watch = health_pb2_grpc.HealthStub(channel).Watch(
                health_pb2.HealthCheckRequest(), timeout=300
            )
            statuses = []
            for reply in watch:  # NOT_SERVING until a compiler worker is ready, then SERVING
                statuses.append(reply.status)
                if reply.status == health_pb2.HealthCheckResponse.SERVING:
                    watch.cancel()
                    break
            assert statuses[-1] == health_pb2.HealthCheckResponse.SERVING
            stub = compiler_pb2_grpc.CompilationServiceStub(channel)
            bell = compiler_pb2.CompileCircuitRequest(
                eigen_lang=common_pb2.EigenLangSource(source=BELL)
            )
            assert stub.CompileCircuit(bell, timeout=120).metadata.gate_count == 2
            for source, rule in HOSTILE:
                request = compiler_pb2.CompileCircuitRequest(
                    qasm=common_pb2.QasmSource(source=source)
                )
                with pytest.raises(grpc.RpcError) as info:
                    stub.CompileCircuit(request, timeout=120)
                err = from_rpc_error(info.value)
                assert isinstance(err, CompilationFailedError), err
                assert [d.rule for d in err.diagnostics] == [rule]
        helpers = _descendants(proc.pid)  # the forkserver and its workers, the resource tracker
        assert len(helpers) >= 3
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(timeout=60)
        drain.join(timeout=5)
        assert code == 0, "".join(tail[-40:])
        assert all(_wait_exit(pid, 30) for pid in helpers), _descendants(1) & helpers
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
