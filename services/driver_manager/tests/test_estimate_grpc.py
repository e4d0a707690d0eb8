"""EstimateExpectationValues through the in-process gRPC server: values, codes, violations."""

from __future__ import annotations

import json
import math
from typing import Any

import grpc
import numpy as np
import pytest
from qiskit.quantum_info import SparsePauliOp, Statevector

from eigen.common.v1 import circuit_pb2
from eigen.driver.v1 import driver_pb2, driver_pb2_grpc
from eigen_common.errors import (
    BackendUnavailableError,
    DeviceNotFoundError,
    DeviceOfflineError,
    EigenError,
    FailedPreconditionError,
    InvalidOptionError,
    UnimplementedError,
    ValidationError,
)
from eigen_common.status import from_rpc_error
from eigen_driver_manager.base import EXACT_UNSUPPORTED
from eigen_driver_manager.manager import MAX_BINDINGS, MAX_TERMS
from eigen_driver_manager.testing import aqo_circuit, aqo_document
from eigen_ir.aqo_qiskit import to_qiskit

AQO = circuit_pb2.CircuitPayload.FORMAT_AQO_JSON
T = 30.0
Stub = driver_pb2_grpc.DriverManagerServiceStub

H2 = [
    ("II", -1.052373245772859),
    ("IZ", 0.39793742484318045),
    ("ZI", -0.39793742484318045),
    ("ZZ", -0.01128010425623538),
    ("XX", 0.18093119978423156),
]
ANSATZ_OPS: list[dict[str, Any]] = [
    {"op": "X", "q": [0]},
    {"op": "RY", "q": [1], "params": ["t"]},
    {"op": "CX", "q": [1, 0]},
]
ANSATZ = aqo_document(2, 0, ANSATZ_OPS, ["t"])


def payload(doc: dict[str, Any], fmt: int = AQO) -> circuit_pb2.CircuitPayload:
    return circuit_pb2.CircuitPayload(format=fmt, data=json.dumps(doc).encode())  # type: ignore[arg-type]


def terms(pairs: list[tuple[str, float]]) -> list[circuit_pb2.PauliTerm]:
    return [circuit_pb2.PauliTerm(label=label, coefficient=c) for label, c in pairs]


def binds(*values: dict[str, float]) -> list[driver_pb2.ParameterBinding]:
    return [driver_pb2.ParameterBinding(values=v) for v in values]


def est(**kw: Any) -> driver_pb2.EstimateExpectationValuesRequest:
    base: dict[str, Any] = {
        "job_id": "job-vqe",
        "device_id": "aer.statevector",
        "payload": payload(ANSATZ),
        "observable": terms(H2),
        "bindings": binds({"t": 0.2257}),
    }
    base.update(kw)
    return driver_pb2.EstimateExpectationValuesRequest(**base)


def reference(t: float) -> float:
    qc = to_qiskit(aqo_circuit(2, 0, ANSATZ_OPS, ["t"]), {"t": t})
    return float(Statevector(qc).expectation_value(SparsePauliOp.from_list(H2)).real)


async def call_error(stub: Stub, request: Any) -> tuple[grpc.StatusCode, EigenError]:
    with pytest.raises(grpc.aio.AioRpcError) as exc:
        await stub.EstimateExpectationValues(request, timeout=T)
    return exc.value.code(), from_rpc_error(exc.value)


async def test_exact_values_in_binding_order(stub: Stub) -> None:
    thetas = [0.2257, -1.0, 2.5]
    resp = await stub.EstimateExpectationValues(
        est(bindings=binds(*({"t": t} for t in thetas))), timeout=T
    )
    np.testing.assert_allclose(
        [v.value for v in resp.values], [reference(t) for t in thetas], atol=1e-9, rtol=0
    )
    assert [v.std_error for v in resp.values] == [0.0, 0.0, 0.0]
    assert resp.metadata["mode"] == "exact"
    assert resp.execution_time_sec > 0


async def test_sampled_values_are_seeded(stub: Stub) -> None:
    request = est(shots=4000, seed=9, bindings=binds({"t": 0.2257}, {"t": 1.0}))
    a = await stub.EstimateExpectationValues(request, timeout=T)
    b = await stub.EstimateExpectationValues(request, timeout=T)
    assert [v.value for v in a.values] == [v.value for v in b.values]
    for v, t in zip(a.values, (0.2257, 1.0), strict=True):
        assert v.std_error > 0 and abs(v.value - reference(t)) <= 5 * v.std_error
    assert a.metadata["mode"] == "sampled" and a.metadata["shots_per_group"] == "4000"


async def test_the_default_path_through_the_server(stub: Stub) -> None:
    resp = await stub.EstimateExpectationValues(
        est(device_id="fake.device", shots=16, seed=1), timeout=T
    )
    assert resp.values[0].value == pytest.approx(sum(c for _, c in H2))


MEASURING = aqo_document(2, 2, [*ANSATZ_OPS, {"op": "MEASURE", "q": [0, 1], "c": [0, 1]}], ["t"])
CLBITS_ONLY = aqo_document(2, 1, ANSATZ_OPS, ["t"])
BROKEN = aqo_document(2, 0, [{"op": "H", "q": [7]}])
THREE_QUBITS = aqo_document(3, 0, [{"op": "RY", "q": [2], "params": ["t"]}], ["t"])
VALIDATION_CASES: list[tuple[str, Any, str]] = [
    ("device-empty", est(device_id=""), "device_id"),
    ("payload-parse", est(payload=payload(BROKEN)), "payload.data.operations[0].q[0]"),
    ("payload-format", est(payload=circuit_pb2.CircuitPayload(data=b"{}")), "payload.format"),
    ("payload-empty", est(payload=circuit_pb2.CircuitPayload(format=AQO)), "payload.data"),
    ("measures", est(payload=payload(MEASURING)), "payload.data"),
    ("clbits", est(payload=payload(CLBITS_ONLY)), "payload.data"),
    ("no-terms", est(observable=[]), "observable"),
    ("label-chars", est(observable=terms([("XA", 1.0)])), "observable[0].label"),
    ("label-empty", est(observable=terms([("ZZ", 1.0), ("", 1.0)])), "observable[1].label"),
    ("label-width", est(observable=terms([("ZZZ", 1.0)])), "observable[0].label"),
    ("label-lower", est(observable=terms([("zz", 1.0)])), "observable[0].label"),
    ("coeff-nan", est(observable=terms([("ZZ", math.nan)])), "observable[0].coefficient"),
    ("coeff-inf", est(observable=terms([("ZZ", -math.inf)])), "observable[0].coefficient"),
    ("no-bindings", est(bindings=[]), "bindings"),
    ("too-many-bindings", est(bindings=binds(*[{"t": 0.0}] * (MAX_BINDINGS + 1))), "bindings"),
    ("binding-missing", est(bindings=binds({"t": 0.1}, {})), "bindings[1].values"),
    ("binding-unknown", est(bindings=binds({"t": 0.1, "u": 0.2})), "bindings[0].values"),
    ("binding-nan", est(bindings=binds({"t": math.nan})), "bindings[0].values.t"),
    ("binding-inf", est(bindings=binds({"t": math.inf})), "bindings[0].values.t"),
    ("shots-zero", est(shots=0), "shots"),
    ("shots-negative", est(shots=-5), "shots"),
    ("shots-too-many", est(shots=10**7 + 1), "shots"),
    ("seed-negative", est(shots=10, seed=-1), "seed"),
]


@pytest.mark.parametrize(
    ("request_", "field"), [c[1:] for c in VALIDATION_CASES], ids=[c[0] for c in VALIDATION_CASES]
)
async def test_validation_errors(
    stub: Stub, request_: driver_pb2.EstimateExpectationValuesRequest, field: str
) -> None:
    code, err = await call_error(stub, request_)
    assert code == grpc.StatusCode.INVALID_ARGUMENT
    assert type(err) is ValidationError and err.reason == "VALIDATION_FAILED"
    assert field in [v.field for v in err.violations]


async def test_too_many_terms(stub: Stub) -> None:
    code, err = await call_error(stub, est(observable=terms([("ZZ", 0.5)] * (MAX_TERMS + 1))))
    assert code == grpc.StatusCode.INVALID_ARGUMENT
    assert [v.field for v in err.violations] == ["observable"]
    # the limit itself is accepted (a large but legal observable)
    resp = await stub.EstimateExpectationValues(
        est(observable=terms([("ZZ", 0.5)] * MAX_TERMS), bindings=binds({"t": 0.0})), timeout=T
    )
    assert resp.values[0].value == pytest.approx(-0.5 * MAX_TERMS, rel=1e-9)  # |01⟩: ZZ = -1


async def test_every_violation_at_once_and_capped(stub: Stub) -> None:
    bad_terms = terms([("Q", math.nan)] * 30)
    code, err = await call_error(
        stub,
        est(
            device_id="",
            payload=payload(THREE_QUBITS),
            observable=bad_terms,
            bindings=binds({}),
            shots=0,
            seed=-3,
        ),
    )
    assert code == grpc.StatusCode.INVALID_ARGUMENT
    fields = [v.field for v in err.violations]
    assert {"device_id", "shots", "seed", "bindings[0].values", "observable"} <= set(fields)
    assert sum(f.startswith("observable[") for f in fields) == 20  # listed, the rest counted
    assert any("more problem" in v.description for v in err.violations)


ERROR_CASES: list[tuple[str, Any, grpc.StatusCode, type[EigenError], str]] = [
    (
        "not-found",
        est(device_id="nope.device"),
        grpc.StatusCode.NOT_FOUND,
        DeviceNotFoundError,
        "DEVICE_NOT_FOUND",
    ),
    (
        "option",
        est(options={"rm -rf": "/"}),
        grpc.StatusCode.INVALID_ARGUMENT,
        InvalidOptionError,
        "INVALID_OPTION",
    ),
    (
        "option-value",
        est(options={"precision": "quad"}),
        grpc.StatusCode.INVALID_ARGUMENT,
        InvalidOptionError,
        "INVALID_OPTION",
    ),
    (
        "format",
        est(payload=payload(ANSATZ, circuit_pb2.CircuitPayload.FORMAT_QASM3_TEXT)),
        grpc.StatusCode.UNIMPLEMENTED,
        UnimplementedError,
        "UNIMPLEMENTED",
    ),
    (
        "too-large",
        est(
            device_id="aer.noisy_generic_5q",
            payload=payload(aqo_document(7, 0, [{"op": "H", "q": [6]}])),
            observable=terms([("Z" * 7, 1.0)]),
            bindings=binds({}),
        ),
        grpc.StatusCode.FAILED_PRECONDITION,
        FailedPreconditionError,
        "CIRCUIT_TOO_LARGE",
    ),
    (
        "exact-unsupported",
        est(device_id="fake.device"),
        grpc.StatusCode.FAILED_PRECONDITION,
        FailedPreconditionError,
        EXACT_UNSUPPORTED,
    ),
    (
        "offline",
        est(device_id="fake.offline", shots=10),
        grpc.StatusCode.FAILED_PRECONDITION,
        DeviceOfflineError,
        "DEVICE_OFFLINE",
    ),
    (
        "unavailable",
        est(device_id="down.device", shots=10),
        grpc.StatusCode.UNAVAILABLE,
        BackendUnavailableError,
        "BACKEND_UNAVAILABLE",
    ),
]


@pytest.mark.parametrize(
    ("request_", "code", "cls", "reason"),
    [c[1:] for c in ERROR_CASES],
    ids=[c[0] for c in ERROR_CASES],
)
async def test_errors(
    stub: Stub,
    request_: driver_pb2.EstimateExpectationValuesRequest,
    code: grpc.StatusCode,
    cls: type[EigenError],
    reason: str,
) -> None:
    got_code, err = await call_error(stub, request_)
    assert got_code == code
    assert isinstance(err, cls)
    assert err.reason == reason
    assert "Traceback" not in err.message
