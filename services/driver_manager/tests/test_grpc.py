"""In-process gRPC tests of DriverManagerService: four RPCs, error codes, ErrorInfo reasons."""

from __future__ import annotations

import json
from typing import Any

import grpc
import pytest

from eigen.common.v1 import circuit_pb2, device_pb2
from eigen.driver.v1 import driver_pb2, driver_pb2_grpc
from eigen_common.device_proto import device_from_proto
from eigen_common.errors import (
    BackendUnavailableError,
    DeviceNotFoundError,
    DeviceOfflineError,
    EigenError,
    FailedPreconditionError,
    InvalidArgumentError,
    InvalidOptionError,
    UnimplementedError,
    ValidationError,
)
from eigen_common.status import from_rpc_error
from eigen_driver_manager.testing import BELL_OPERATIONS, aqo_document

AQO = circuit_pb2.CircuitPayload.FORMAT_AQO_JSON
T = 30.0  # per-call deadline, seconds


def payload(doc: dict[str, Any], fmt: int = AQO) -> circuit_pb2.CircuitPayload:
    return circuit_pb2.CircuitPayload(format=fmt, data=json.dumps(doc).encode())  # type: ignore[arg-type]


BELL = payload(aqo_document(2, 2, BELL_OPERATIONS))


async def call_error(coro: Any) -> tuple[grpc.StatusCode, EigenError]:
    with pytest.raises(grpc.aio.AioRpcError) as exc:
        await coro
    return exc.value.code(), from_rpc_error(exc.value)


async def test_list_devices(stub: driver_pb2_grpc.DriverManagerServiceStub) -> None:
    resp = await stub.ListDevices(driver_pb2.ListDevicesRequest(), timeout=T)
    by_id = {d.device_id: d for d in resp.devices}
    auto = by_id["aer.automatic"]
    assert auto.driver == "aer"
    assert list(auto.targets) == ["sim:local", "sim:aer"]
    assert auto.status == device_pb2.DEVICE_STATUS_ONLINE
    assert auto.max_qubits >= 20
    assert "precision" in auto.allowed_options
    assert auto.capabilities["method"] == "automatic"
    assert "mps_truncation_threshold" in by_id["aer.matrix_product_state"].allowed_options
    assert by_id["fake.offline"].status == device_pb2.DEVICE_STATUS_OFFLINE
    assert device_from_proto(auto).device_id == "aer.automatic"


async def test_get_device_status(stub: driver_pb2_grpc.DriverManagerServiceStub) -> None:
    resp = await stub.GetDeviceStatus(
        driver_pb2.GetDeviceStatusRequest(device_id="aer.statevector"), timeout=T
    )
    assert resp.device_id == "aer.statevector"
    assert resp.status == device_pb2.DEVICE_STATUS_ONLINE
    assert resp.queue_depth == 0
    code, err = await call_error(
        stub.GetDeviceStatus(driver_pb2.GetDeviceStatusRequest(device_id="x.y"), timeout=T)
    )
    assert code == grpc.StatusCode.NOT_FOUND
    assert isinstance(err, DeviceNotFoundError) and err.reason == "DEVICE_NOT_FOUND"


async def test_execute_bell_seeded(stub: driver_pb2_grpc.DriverManagerServiceStub) -> None:
    request = driver_pb2.ExecuteCircuitRequest(
        job_id="job-42", device_id="aer.automatic", payload=BELL, shots=1024, seed=123
    )
    a = await stub.ExecuteCircuit(request, timeout=T)
    b = await stub.ExecuteCircuit(request, timeout=T)
    assert set(a.counts) == {"00", "11"}
    assert sum(a.counts.values()) == 1024
    assert dict(a.counts) == dict(b.counts)
    assert a.metadata["seed"] == "123"
    assert a.execution_time_sec > 0


async def test_execute_with_parameters_and_options(
    stub: driver_pb2_grpc.DriverManagerServiceStub,
) -> None:
    doc = aqo_document(
        1,
        1,
        [{"op": "RX", "q": [0], "params": ["t"]}, {"op": "MEASURE", "q": [0], "c": [0]}],
        ["t"],
    )
    resp = await stub.ExecuteCircuit(
        driver_pb2.ExecuteCircuitRequest(
            device_id="aer.matrix_product_state",
            payload=payload(doc),
            shots=64,
            parameter_values={"t": 3.141592653589793},
            options={"precision": "double", "mps_truncation_threshold": "1e-12"},
        ),
        timeout=T,
    )
    assert dict(resp.counts) == {"1": 64}


async def test_calibrate_device(stub: driver_pb2_grpc.DriverManagerServiceStub) -> None:
    resp = await stub.CalibrateDevice(
        driver_pb2.CalibrateDeviceRequest(device_id="aer.noisy_generic_5q"), timeout=T
    )
    assert resp.device_id == "aer.noisy_generic_5q"
    assert resp.status == device_pb2.DEVICE_STATUS_ONLINE
    assert float(resp.calibration["t1_us"]) > 0
    code, err = await call_error(
        stub.CalibrateDevice(
            driver_pb2.CalibrateDeviceRequest(device_id="aer.statevector"), timeout=T
        )
    )
    assert code == grpc.StatusCode.UNIMPLEMENTED and isinstance(err, UnimplementedError)


def ex(**kw: Any) -> driver_pb2.ExecuteCircuitRequest:
    base: dict[str, Any] = {
        "job_id": "j",
        "device_id": "aer.automatic",
        "payload": BELL,
        "shots": 10,
    }
    base.update(kw)
    return driver_pb2.ExecuteCircuitRequest(**base)


@pytest.mark.parametrize(
    ("request_", "code", "cls", "reason"),
    [
        (ex(device_id="nope"), grpc.StatusCode.NOT_FOUND, DeviceNotFoundError, "DEVICE_NOT_FOUND"),
        (ex(shots=0), grpc.StatusCode.INVALID_ARGUMENT, ValidationError, "VALIDATION_FAILED"),
        (
            ex(options={"rm -rf": "/"}),
            grpc.StatusCode.INVALID_ARGUMENT,
            InvalidOptionError,
            "INVALID_OPTION",
        ),
        (
            ex(
                payload=payload(
                    aqo_document(2, 2, BELL_OPERATIONS),
                    circuit_pb2.CircuitPayload.FORMAT_QASM3_TEXT,
                )
            ),
            grpc.StatusCode.UNIMPLEMENTED,
            UnimplementedError,
            "UNIMPLEMENTED",
        ),
        (
            ex(
                device_id="aer.noisy_generic_5q",
                payload=payload(aqo_document(7, 1, [{"op": "MEASURE", "q": [6], "c": [0]}])),
            ),
            grpc.StatusCode.FAILED_PRECONDITION,
            FailedPreconditionError,
            "CIRCUIT_TOO_LARGE",
        ),
        (
            ex(
                payload=payload(
                    aqo_document(1, 1, [{"op": "RZ", "q": [0], "params": ["phi"]}], ["phi"])
                )
            ),
            grpc.StatusCode.INVALID_ARGUMENT,
            InvalidArgumentError,
            "UNBOUND_PARAMETERS",
        ),
        (
            ex(device_id="fake.offline"),
            grpc.StatusCode.FAILED_PRECONDITION,
            DeviceOfflineError,
            "DEVICE_OFFLINE",
        ),
        (
            ex(device_id="down.device"),
            grpc.StatusCode.UNAVAILABLE,
            BackendUnavailableError,
            "BACKEND_UNAVAILABLE",
        ),
    ],
    ids=[
        "not-found",
        "validation",
        "option",
        "format",
        "too-large",
        "unbound",
        "offline",
        "unavailable",
    ],
)
async def test_execute_errors(
    stub: driver_pb2_grpc.DriverManagerServiceStub,
    request_: driver_pb2.ExecuteCircuitRequest,
    code: grpc.StatusCode,
    cls: type[EigenError],
    reason: str,
) -> None:
    got_code, err = await call_error(stub.ExecuteCircuit(request_, timeout=T))
    assert got_code == code
    assert type(err) is cls
    assert err.reason == reason


async def test_validation_lists_every_violation(
    stub: driver_pb2_grpc.DriverManagerServiceStub,
) -> None:
    broken = circuit_pb2.CircuitPayload(
        format=AQO, data=b'{"version": "0.1", "qubits": 1, "operations": [{"op": "H", "q": [3]}]}'
    )
    code, err = await call_error(
        stub.ExecuteCircuit(ex(device_id="", shots=10**8, payload=broken), timeout=T)
    )
    assert code == grpc.StatusCode.INVALID_ARGUMENT
    fields = {v.field for v in err.violations}
    assert {"device_id", "shots", "payload.data.operations[0].q[0]"} <= fields
    assert "Traceback" not in err.message and "/" not in err.message.split(":")[0]


async def test_missing_payload_is_a_validation_error(
    stub: driver_pb2_grpc.DriverManagerServiceStub,
) -> None:
    code, err = await call_error(
        stub.ExecuteCircuit(
            driver_pb2.ExecuteCircuitRequest(device_id="aer.automatic", shots=1), timeout=T
        )
    )
    assert code == grpc.StatusCode.INVALID_ARGUMENT
    assert [v.field for v in err.violations] == ["payload.format"]


async def test_logs_carry_the_callers_trace_id(
    stub: driver_pb2_grpc.DriverManagerServiceStub,
) -> None:
    import structlog
    from opentelemetry import trace
    from opentelemetry.trace import NonRecordingSpan, SpanContext, TraceFlags

    # the caller's span: the instrumented channel propagates its trace (W3C traceparent)
    trace_id = "4bf92f3577b34da6a3ce929d0e0e4736"
    caller = SpanContext(int(trace_id, 16), 0x00F067AA0BA902B7, True, TraceFlags(1))
    with (
        structlog.testing.capture_logs(
            processors=[structlog.contextvars.merge_contextvars]
        ) as logs,
        trace.use_span(NonRecordingSpan(caller)),
    ):
        await stub.ExecuteCircuit(ex(job_id="job-7"), timeout=T)
    done = [e for e in logs if e["event"] == "circuit executed"]
    assert done and done[0]["trace_id"] == trace_id and done[0]["job_id"] == "job-7"
    assert done[0]["device_id"] == "aer.automatic" and done[0]["driver_name"] == "aer"
