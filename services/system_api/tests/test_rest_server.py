"""The REST listener: where it binds, what stops it from starting, TLS, and the real process."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import requests
from structlog.testing import capture_logs

from eigen_common.security import SecurityConfigError
from eigen_common.server import StartupError
from eigen_os.localtls import ensure_local_tls
from eigen_system_api.app import SystemApiApp, build
from eigen_system_api.settings import SystemApiSettings
from services.system_api.tests.rest_support import rest_replica, status_of
from services.system_api.tests.support import USER, Edge


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def settings(tmp_path: Path, **kw: object) -> SystemApiSettings:
    base: dict[str, object] = {"port": 0, "metrics_port": 0, "api_keys_file": tmp_path / "k.json"}
    return SystemApiSettings(**{**base, **kw})  # type: ignore[arg-type]


def test_where_rest_binds(tmp_path: Path) -> None:
    assert settings(tmp_path, port=50051).rest_bind() == ("127.0.0.1", 8080)  # the default
    assert settings(tmp_path).rest_bind() == ("127.0.0.1", 0)  # tests: ephemeral like gRPC
    assert settings(tmp_path, rest_port=0).rest_bind() is None  # 0 = off
    assert settings(tmp_path, rest_port=9090, rest_host="::1").rest_bind() == ("::1", 9090)
    assert settings(tmp_path, host="127.0.0.2").rest_bind() == ("127.0.0.2", 0)


async def test_rest_off_serves_grpc_only(tmp_path: Path) -> None:
    app = build(settings(tmp_path, rest_port=0))
    server = await app.start()
    try:
        assert isinstance(app, SystemApiApp) and app.rest is not None and app.rest.port == 0
        assert server.port > 0
    finally:
        await server.stop(0)
        await app.close()


async def test_what_keeps_rest_from_starting_keeps_the_service_from_starting(
    tmp_path: Path,
) -> None:
    with pytest.raises(SecurityConfigError, match="without TLS"):
        await build(settings(tmp_path, rest_host="0.0.0.0")).start()
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(StartupError, match=f"cannot bind REST 127.0.0.1:{port}"):
            await build(settings(tmp_path, rest_port=port)).start()


async def test_a_taken_default_port_turns_rest_off_with_a_warning(tmp_path: Path) -> None:
    """8080 was not asked for: a stack that does not set it still starts (gRPC only)."""
    grpc_port = free_port()
    with socket.socket() as holder, capture_logs() as logs:
        holder.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        with contextlib.suppress(OSError):  # whoever holds 8080 already, it is taken
            holder.bind(("127.0.0.1", 8080))
            holder.listen()
        app = build(settings(tmp_path, port=grpc_port))
        server = await app.start()
        try:
            assert isinstance(app, SystemApiApp) and app.rest is not None
            assert app.rest.port == 0 and server.port == grpc_port
        finally:
            await server.stop(0)
            await app.close()
    warned = [e for e in logs if e["event"] == "REST is off: its default port is in use"]
    assert warned and warned[0]["rest_port"] == 8080


async def test_rest_speaks_tls_with_the_service_certificate(edge: Edge, tmp_path: Path) -> None:
    tls = ensure_local_tls(tmp_path)
    http, _ = await rest_replica(edge, USER, tls_cert_file=tls.cert, tls_key_file=tls.key)
    http.verify = str(tls.ca)
    got = await http.get("/v1/devices")
    assert got.status_code == 200 and got.json()["devices"]
    plain = http.base.replace("https://", "http://")
    with pytest.raises(requests.ConnectionError):
        await asyncio.to_thread(requests.get, plain + "/v1/devices", timeout=10)


def test_the_process_serves_rest_from_flags_and_drains_on_sigterm(tmp_path: Path) -> None:
    """``python -m eigen_system_api --rest-port ...``: one process, one loop, SIGTERM stops both."""
    rest_port = free_port()  # for the flag (released before the start)
    env = {**os.environ, "EIGEN_SYSTEM_API_PORT": "0", "EIGEN_SYSTEM_API_METRICS_PORT": "0"}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "eigen_system_api",
            "--rest-port",
            str(rest_port),
            "--api-keys-file",
            str(tmp_path / "keys.json"),
            "--kernel-address",
            "127.0.0.1:9",
        ],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    lines: dict[str, dict[str, object]] = {}
    started = threading.Event()

    def pump() -> None:
        assert proc.stderr is not None
        for raw in proc.stderr:
            try:
                line = json.loads(raw)
            except ValueError:
                continue
            lines.setdefault(str(line.get("event")), line)
            if line.get("event") == "server started":
                started.set()
        started.set()

    reader = threading.Thread(target=pump, daemon=True)
    reader.start()
    try:
        assert started.wait(60) and "server started" in lines, lines
        assert lines["rest started"]["rest_port"] == rest_port
        base = f"http://127.0.0.1:{rest_port}"
        anon = requests.get(f"{base}/v1/devices", timeout=10)
        assert anon.status_code == 401 and status_of(anon).code == 16
        assert requests.get(f"{base}/openapi.json", timeout=10).json()["openapi"] == "3.1.0"
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(30) == 0
        reader.join(10)
        assert "server stopped" in lines
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
