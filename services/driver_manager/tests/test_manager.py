from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import AsyncIterator, Mapping
from typing import ClassVar

import pytest
import structlog
from prometheus_client import REGISTRY

from eigen_common.errors import (
    BackendUnavailableError,
    DeviceNotFoundError,
    DeviceOfflineError,
    InvalidOptionError,
    UnimplementedError,
    ValidationError,
)
from eigen_driver_manager.base import DeviceStatus, ExecutionResult
from eigen_driver_manager.manager import DriverManager, ExecutionRequest, PayloadFormat
from eigen_driver_manager.registry import DriverRegistry
from eigen_driver_manager.testing import BELL_OPERATIONS, FakeDriver, aqo_document
from eigen_ir.aqo import Circuit

BELL = json.dumps(aqo_document(2, 2, BELL_OPERATIONS)).encode()


def req(device: str = "fake.device", payload: bytes = BELL, **kw: object) -> ExecutionRequest:
    base: dict[str, object] = {
        "job_id": "job-1",
        "device_id": device,
        "payload_format": PayloadFormat.AQO_JSON,
        "payload": payload,
        "shots": 100,
    }
    base.update(kw)
    return ExecutionRequest(**base)  # type: ignore[arg-type]


@pytest.fixture
async def manager(fake_driver: FakeDriver, down_driver: FakeDriver) -> AsyncIterator[DriverManager]:
    mgr = DriverManager(DriverRegistry([fake_driver, down_driver]), max_workers=2, max_shots=1000)
    yield mgr
    mgr.close()


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


async def test_execute_dispatches_to_driver(
    manager: DriverManager, fake_driver: FakeDriver
) -> None:
    res = await manager.execute(req(seed=3, options={"verbose": "true"}))
    assert res.counts == {"00": 100}
    call = fake_driver.calls[-1]
    assert (call.device_id, call.shots, call.seed, dict(call.options)) == (
        "fake.device",
        100,
        3,
        {"verbose": "true"},
    )
    assert call.circuit.qubits == 2


async def test_all_request_violations_at_once(manager: DriverManager) -> None:
    bad_aqo = json.dumps(
        {"version": "9", "qubits": 1, "operations": [{"op": "NOPE", "q": [0]}]}
    ).encode()
    with pytest.raises(ValidationError) as exc:
        await manager.execute(
            req(device="", payload=bad_aqo, shots=0, parameter_values={"a": float("inf")})
        )
    fields = [v.field for v in exc.value.violations]
    assert "device_id" in fields and "shots" in fields and "parameter_values.a" in fields
    assert "payload.data.version" in fields and "payload.data.operations[0].op" in fields


@pytest.mark.parametrize(
    ("kw", "field"),
    [
        ({"shots": 1001}, "shots"),
        ({"shots": -5}, "shots"),
        ({"payload": b""}, "payload.data"),
        ({"payload": b"{not json"}, "payload.data"),
        ({"payload_format": PayloadFormat.UNSPECIFIED}, "payload.format"),
    ],
)
async def test_single_violation(manager: DriverManager, kw: dict[str, object], field: str) -> None:
    with pytest.raises(ValidationError) as exc:
        await manager.execute(req(**kw))  # type: ignore[arg-type]
    assert [v.field for v in exc.value.violations] == [field]


@pytest.mark.parametrize(
    "fmt", [PayloadFormat.QASM3_TEXT, PayloadFormat.AQO_PROTO, PayloadFormat.BACKEND_NATIVE]
)
async def test_unsupported_format_is_unimplemented(
    manager: DriverManager, fmt: PayloadFormat
) -> None:
    with pytest.raises(UnimplementedError, match=fmt.name):
        await manager.execute(req(payload_format=fmt, payload=b"OPENQASM 3;"))


async def test_device_errors(manager: DriverManager) -> None:
    with pytest.raises(DeviceNotFoundError, match=r"fake\.device"):  # lists the available ids
        await manager.execute(req(device="nope"))
    with pytest.raises(DeviceOfflineError):
        await manager.execute(req(device="fake.offline"))
    with pytest.raises(BackendUnavailableError):
        await manager.execute(req(device="down.device"))
    with pytest.raises(InvalidOptionError):
        await manager.execute(req(options={"evil": "1"}))
    with pytest.raises(ValidationError):
        await manager.device_status("")
    with pytest.raises(DeviceNotFoundError):
        await manager.calibrate("nope")


async def test_metrics_per_driver(manager: DriverManager) -> None:
    ok = {"driver": "fake", "device": "fake.device", "code": "OK"}
    before_ok = sample("eigen_driver_requests_total", **ok)
    before_err = sample(
        "eigen_driver_errors_total", driver="fakedown", reason="BACKEND_UNAVAILABLE"
    )
    before_hist = sample("eigen_driver_request_duration_seconds_count", driver="fake")
    await manager.execute(req())
    with pytest.raises(BackendUnavailableError):
        await manager.execute(req(device="down.device"))
    assert sample("eigen_driver_requests_total", **ok) == before_ok + 1
    assert (
        sample("eigen_driver_errors_total", driver="fakedown", reason="BACKEND_UNAVAILABLE")
        == before_err + 1
    )
    assert sample("eigen_driver_request_duration_seconds_count", driver="fake") == before_hist + 1
    down = {"driver": "fakedown", "device": "down.device", "code": "UNAVAILABLE"}
    assert sample("eigen_driver_requests_total", **down) >= 1
    # no job ids as label values anywhere
    for metric in REGISTRY.collect():
        if metric.name.startswith("eigen_driver"):
            for s in metric.samples:
                assert "job-1" not in s.labels.values()


async def test_queue_depth_counts_in_flight_work(
    manager: DriverManager, fake_driver: FakeDriver
) -> None:
    fake_driver.hold = threading.Event()
    fake_driver.started.clear()
    task = asyncio.create_task(manager.execute(req()))
    await asyncio.to_thread(fake_driver.started.wait, 10)
    status = await manager.device_status("fake.device")
    listed = {d.device_id: d for d in await manager.list_devices()}
    assert status.queue_depth == 1
    assert listed["fake.device"].queue_depth == 1
    assert listed["fake.offline"].queue_depth == 0
    fake_driver.hold.set()
    assert (await task).counts == {"00": 100}
    assert (await manager.device_status("fake.device")).queue_depth == 0


async def test_list_devices_stamped_and_sorted(manager: DriverManager) -> None:
    devices = await manager.list_devices()
    assert [d.device_id for d in devices] == ["down.device", "fake.device", "fake.offline"]
    by_id = {d.device_id: d for d in devices}
    assert by_id["fake.device"].driver == "fake"
    assert by_id["down.device"].driver == "fakedown"
    assert by_id["fake.device"].allowed_options == ("verbose",)
    assert by_id["fake.offline"].status is DeviceStatus.OFFLINE


class FlakyListing(FakeDriver):
    name: ClassVar[str] = "flaky"
    fail = False

    def get_devices(self):  # type: ignore[no-untyped-def]
        if self.fail:
            raise BackendUnavailableError("cloud down")
        return super().get_devices()


async def test_list_devices_survives_a_failing_driver(fake_driver: FakeDriver) -> None:
    flaky = FlakyListing()
    flaky.initialize({"devices": "flaky.dev"})
    mgr = DriverManager(DriverRegistry([fake_driver, flaky]))
    try:
        flaky.fail = True
        by_id = {d.device_id: d for d in await mgr.list_devices()}
        assert by_id["flaky.dev"].status is DeviceStatus.OFFLINE
        assert by_id["fake.device"].status is DeviceStatus.ONLINE
    finally:
        mgr.close()


class LyingDriver(FakeDriver):
    name: ClassVar[str] = "liar"

    def execute_circuit(  # type: ignore[override]
        self, device_id: str, circuit: Circuit, shots: int, options: Mapping[str, str], **kw: object
    ) -> ExecutionResult:
        return ExecutionResult({"0": shots - 1}, 0.0)  # wrong width and wrong total


async def test_result_contract_is_enforced() -> None:
    liar = LyingDriver()
    liar.initialize({"devices": "liar.dev"})
    mgr = DriverManager(DriverRegistry([liar]))
    try:
        with pytest.raises(RuntimeError, match="result contract"):
            await mgr.execute(req(device="liar.dev"))
    finally:
        mgr.close()


async def test_logs_carry_job_device_driver(manager: DriverManager) -> None:
    with structlog.testing.capture_logs(
        processors=[structlog.contextvars.merge_contextvars]
    ) as logs:
        await manager.execute(req())
        with pytest.raises(DeviceOfflineError):
            await manager.execute(req(device="fake.offline"))
    done = [e for e in logs if e["event"] == "circuit executed"]
    failed = [e for e in logs if e["event"] == "driver call failed"]
    assert done and failed
    for e in (done[0], failed[0]):
        assert e["job_id"] == "job-1"
        assert e["driver_name"] == "fake"
        assert e["device_id"] in ("fake.device", "fake.offline")
    assert failed[0]["reason"] == "DEVICE_OFFLINE"


async def test_driver_runs_off_the_event_loop(
    manager: DriverManager, fake_driver: FakeDriver
) -> None:
    seen: list[str] = []
    original = fake_driver.execute_circuit

    def spy(*a, **k):  # type: ignore[no-untyped-def]
        seen.append(threading.current_thread().name)
        return original(*a, **k)

    fake_driver.execute_circuit = spy  # type: ignore[method-assign]
    await manager.execute(req())
    assert seen and seen[0].startswith("eigen-driver")


async def test_large_payload_parsed_off_loop_with_violations(manager: DriverManager) -> None:
    ops = [{"op": "RZ", "q": [0], "params": [0.001 * i]} for i in range(3000)]
    big = json.dumps(aqo_document(1, 1, [*ops, {"op": "MEASURE", "q": [0], "c": [0]}])).encode()
    assert len(big) > 32 * 1024
    assert (await manager.execute(req(payload=big))).counts == {"0": 100}
    bad = big.replace(b'"RZ"', b'"RQ"', 1)
    with pytest.raises(ValidationError) as exc:
        await manager.execute(req(payload=bad, shots=0))
    assert [v.field for v in exc.value.violations] == ["shots", "payload.data.operations[0].op"]


async def test_cancelled_execution_counts_until_the_driver_returns(fake_driver: FakeDriver) -> None:
    mgr = DriverManager(DriverRegistry([fake_driver]), max_workers=1)
    try:
        fake_driver.hold = threading.Event()
        fake_driver.started.clear()
        task = asyncio.create_task(mgr.execute(req()))
        await asyncio.to_thread(fake_driver.started.wait, 10)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        # the only execution worker is busy, yet status and listing still answer
        assert (await mgr.device_status("fake.device")).queue_depth == 1
        assert {d.device_id for d in await mgr.list_devices()} == {"fake.device", "fake.offline"}
        fake_driver.hold.set()
        # queued behind the abandoned call on the single worker: when it returns, that one is done
        assert (await mgr.execute(req())).counts == {"00": 100}
        assert (await mgr.device_status("fake.device")).queue_depth == 0
        assert len(fake_driver.calls) == 2
    finally:
        mgr.close()
