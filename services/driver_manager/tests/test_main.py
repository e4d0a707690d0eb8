"""The real process: ``python -m eigen_driver_manager`` starts, serves, and drains on SIGTERM."""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import IO

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from eigen.common.v1 import device_pb2
from eigen.driver.v1 import driver_pb2, driver_pb2_grpc
from eigen_driver_manager.settings import DriverManagerSettings


def _pump(stream: IO[str], lines: queue.Queue[str]) -> None:
    for line in stream:
        lines.put(line)
    lines.put("")  # end of the stream: the process exited


def test_settings_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EIGEN_DRIVER_MANAGER_PORT", "6001")
    monkeypatch.setenv("EIGEN_DRIVER_MANAGER_MAX_WORKERS", "3")
    monkeypatch.setenv("EIGEN_DRIVER_MANAGER_DRIVER_CONFIG", '{"aer": {"noisy_seed": "7"}}')
    monkeypatch.setenv("EIGEN_DRIVER_MANAGER_DISABLED_DRIVERS", '["x"]')
    s = DriverManagerSettings()
    assert (s.port, s.max_workers, s.driver_config, s.disabled_drivers) == (
        6001,
        3,
        {"aer": {"noisy_seed": "7"}},
        ["x"],
    )
    defaults = DriverManagerSettings(_env_prefix="EIGEN_UNSET_")  # type: ignore[call-arg]
    assert (defaults.port, defaults.metrics_port, defaults.max_shots) == (50054, 9104, 10_000_000)


def test_process_serves_and_drains(tmp_path: Path) -> None:
    """The real process with every built-in driver: it serves at once (the IBM fake devices'
    calibration is read without importing the vendor SDK), lists Aer, IBM fake and Braket
    local devices ONLINE with their calibration, and drains on SIGTERM."""
    env = {
        **os.environ,
        "HOME": str(tmp_path),  # no saved IBM Quantum / AWS account is picked up
        "EIGEN_HOME": str(tmp_path),
        "EIGEN_DRIVER_MANAGER_PORT": "0",
        "EIGEN_DRIVER_MANAGER_METRICS_PORT": "0",
        "EIGEN_DRIVER_MANAGER_GRACE_SECONDS": "1",
        "EIGEN_DRIVER_MANAGER_DRIVER_CONFIG": '{"aer": {"devices": "aer.automatic"}}',
    }
    for var in ("QISKIT_IBM_TOKEN", "AWS_ACCESS_KEY_ID", "AWS_PROFILE"):
        env.pop(var, None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "eigen_driver_manager"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    lines: queue.Queue[str] = queue.Queue()
    assert proc.stderr is not None
    threading.Thread(target=_pump, args=(proc.stderr, lines), daemon=True).start()
    try:
        port = 0
        seen: list[str] = []
        deadline = time.monotonic() + 120
        while not port:
            try:  # wait on the log stream; a dead process or a silent one fails with its log
                line = lines.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                pytest.fail(
                    f"no 'server started' (exit code {proc.poll()}): {''.join(seen)[-3000:]}"
                )
            if not line:
                pytest.fail(f"the process exited ({proc.wait()}): {''.join(seen)[-3000:]}")
            seen.append(line)
            if line.startswith("{"):
                event = json.loads(line)
                if event.get("event") == "server started":
                    port = int(event["port"])
                    assert event["service"] == "driver-manager"
        with grpc.insecure_channel(f"127.0.0.1:{port}") as ch:
            health = health_pb2_grpc.HealthStub(ch).Check(
                health_pb2.HealthCheckRequest(service=""), timeout=10
            )
            assert health.status == health_pb2.HealthCheckResponse.SERVING
            devices = driver_pb2_grpc.DriverManagerServiceStub(ch).ListDevices(
                driver_pb2.ListDevicesRequest(), timeout=10
            )
            by_id = {d.device_id: d for d in devices.devices}
            assert sorted(by_id) == [
                "aer.automatic",
                "braket.local",
                "braket.local_dm",
                "ibm.fake_brisbane",
                "ibm.fake_kyiv",
                "ibm.fake_sherbrooke",
            ]
            assert all(d.status == device_pb2.DEVICE_STATUS_ONLINE for d in by_id.values())
            brisbane = by_id["ibm.fake_brisbane"]
            assert brisbane.max_qubits == 127 and "ecr" in brisbane.basis_gates
            assert len(brisbane.calibration.qubits) == 127
            assert brisbane.calibration.qubits[0].t1_us > 0
            assert brisbane.calibration.calibrated_at.seconds > 0
            assert list(by_id["braket.local"].targets) == ["braket:local"]
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
