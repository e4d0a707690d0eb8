"""TranspileCircuit: a circuit as its device runs it (SPEC §13), from the driver's own pass manager.

The central claim is that what is shown is what runs: the ISA circuit of an ``ibm:fake_*``
device, simulated the way the driver simulates its executions (idle qubits dropped, the
device noise of the used qubits, the same Aer seed), gives the very counts of an execution.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any, ClassVar

import grpc
import pytest
from qiskit.circuit import Gate, QuantumCircuit
from qiskit_aer import AerSimulator

from eigen.common.v1 import circuit_pb2
from eigen.driver.v1 import driver_pb2, driver_pb2_grpc
from eigen_common.errors import (
    DeviceNotFoundError,
    DeviceOfflineError,
    EigenError,
    FailedPreconditionError,
    InvalidArgumentError,
    UnimplementedError,
    ValidationError,
)
from eigen_common.status import from_rpc_error
from eigen_driver_manager.base import DeviceInfo, TranspiledCircuit
from eigen_driver_manager.ibm_fake import load_backend
from eigen_driver_manager.isa import ISA_NOT_EXPRESSIBLE, figures, isa_from_qiskit
from eigen_driver_manager.manager import DriverManager
from eigen_driver_manager.noisy_backend import noise_model_for, remove_idle_qubits
from eigen_driver_manager.plugins.ibm_driver import IbmDriver
from eigen_driver_manager.registry import DriverRegistry
from eigen_driver_manager.requests import PayloadFormat, TranspileRequest
from eigen_driver_manager.testing import BELL_OPERATIONS, FakeDriver, aqo_circuit, aqo_document
from eigen_ir.aqo import Circuit, parse
from eigen_ir.aqo_qiskit import to_qiskit

AQO = circuit_pb2.CircuitPayload.FORMAT_AQO_JSON
T = 60.0
BELL = aqo_circuit(2, 2, BELL_OPERATIONS)
GHZ4 = aqo_circuit(
    4,
    4,
    [
        {"op": "H", "q": [0]},
        {"op": "CX", "q": [0, 1]},
        {"op": "CX", "q": [1, 2]},
        {"op": "CX", "q": [0, 3]},
        {"op": "MEASURE", "q": [0, 1, 2, 3], "c": [0, 1, 2, 3]},
    ],
)
#: Heron: CZ-based, so its ISA (cz, rz, sx, x) is written in AQO v0.1.
TORINO = "ibm.fake_torino"
#: Eagle: ECR-based (the default fake devices); its ISA (ecr, rz, sx, x) is AQO too.
BRISBANE = "ibm.fake_brisbane"
_NOT_GATES = {"MEASURE", "RESET", "BARRIER"}


@pytest.fixture(scope="module")
def ibm() -> Iterator[IbmDriver]:
    drv = IbmDriver()
    drv.initialize({"fake_backends": "fake_torino,fake_brisbane", "credentials": "none"})
    yield drv
    drv.close()


def _info(drv: IbmDriver, device_id: str) -> DeviceInfo:
    return next(d for d in drv.get_devices() if d.device_id == device_id)


def assert_runs_on(device: DeviceInfo, source: Circuit, out: TranspiledCircuit) -> None:
    """Only the device's basis gates, two-qubit gates on coupled qubits, a consistent layout."""
    isa = out.circuit
    assert isa.qubits == device.max_qubits and isa.clbits == source.clbits
    gates = {o.op.lower() for o in isa.operations if o.op not in _NOT_GATES}
    assert gates <= set(device.basis_gates), gates - set(device.basis_gates)
    edges = set(device.coupling_map)
    for o in isa.operations:
        if o.op not in _NOT_GATES and len(o.q) == 2:
            assert tuple(o.q) in edges, f"{o.op} on {o.q}: not a coupler of {device.device_id}"
    assert len(out.initial_layout) == source.qubits == len(set(out.initial_layout))
    active = set(figures(isa).active_qubits)
    assert set(out.initial_layout) <= active and set(out.final_layout) <= active
    # each measured clbit reads the physical qubit its virtual qubit ends on
    measured = {
        c: q for o in isa.operations if o.op == "MEASURE" for q, c in zip(o.q, o.c, strict=True)
    }
    assert measured == {v: out.final_layout[v] for v in range(source.qubits)}


@pytest.mark.parametrize("source", [BELL, GHZ4], ids=["bell", "ghz4"])
def test_a_fake_device_isa_uses_its_basis_gates_on_coupled_qubits(
    ibm: IbmDriver, source: Circuit
) -> None:
    out = ibm.transpile_circuit(TORINO, source)
    assert_runs_on(_info(ibm, TORINO), source, out)
    assert out.metadata["seed_transpiler"] == "1234"
    assert out.metadata["optimization_level"] == "1"
    assert float(out.metadata["transpile_time_sec"]) >= 0
    again = ibm.transpile_circuit(TORINO, source)
    assert again.circuit == out.circuit and again.initial_layout == out.initial_layout


@pytest.mark.parametrize("device_id", [TORINO, BRISBANE], ids=["cz", "ecr"])
def test_the_isa_circuit_is_what_runs(ibm: IbmDriver, device_id: str) -> None:
    """Simulating the shown ISA circuit as the driver does gives the execution's very counts."""
    shown = ibm.transpile_circuit(device_id, GHZ4)
    ran = ibm.execute_circuit(device_id, GHZ4, 3000, {}, seed=17)
    used = figures(shown.circuit).active_qubits
    assert ran.metadata["physical_qubits"] == ",".join(map(str, used))
    compact, physical = remove_idle_qubits(to_qiskit(shown.circuit), shown.final_layout)
    assert physical == used
    noise = noise_model_for(load_backend(device_id.removeprefix("ibm.")).target, physical)
    exp = AerSimulator().run(compact, shots=3000, seed_simulator=17, noise_model=noise).result()
    assert exp.get_counts() == ran.counts
    assert 0.7 < (ran.counts.get("0000", 0) + ran.counts.get("1111", 0)) / 3000 < 0.999


def test_an_ecr_device_isa(ibm: IbmDriver) -> None:
    """Eagle's ISA (ecr, rz, sx, x) is written in AQO: ECR on coupled qubits, nothing else."""
    out = ibm.transpile_circuit(BRISBANE, GHZ4)
    assert_runs_on(_info(ibm, BRISBANE), GHZ4, out)
    f = figures(out.circuit)
    assert set(f.gate_counts) - {"measure"} <= {"ecr", "rz", "sx", "x"}
    assert f.gate_counts["ecr"] == f.two_qubit_gates >= 3
    bell = ibm.transpile_circuit(BRISBANE, BELL)
    assert figures(bell.circuit).two_qubit_gates == figures(bell.circuit).gate_counts["ecr"] == 1


def test_an_isa_aqo_cannot_write_is_refused_by_name() -> None:
    """An older device's ISA (u1, u2, u3, cx) still cannot be shown: UNIMPLEMENTED, named."""
    drv = IbmDriver()
    drv.initialize({"fake_backends": "fake_london", "credentials": "none"})
    try:
        with pytest.raises(UnimplementedError) as exc:
            drv.transpile_circuit("ibm.fake_london", BELL)
        assert exc.value.reason == ISA_NOT_EXPRESSIBLE
        assert exc.value.metadata == {"subject": "ibm.fake_london", "instructions": "u2"}
        assert "(u2)" in exc.value.message and "it runs on the device" in exc.value.message
        # ... and it does run
        ran = drv.execute_circuit("ibm.fake_london", BELL, 1000, {}, seed=5)
        assert ran.counts.get("00", 0) + ran.counts.get("11", 0) > 800
    finally:
        drv.close()


def test_isa_from_qiskit_refuses_what_aqo_cannot_write() -> None:
    """Instructions outside AQO are named; an ECR ISA converts."""
    qc = QuantumCircuit(3)
    qc.ecr(0, 1)
    qc.append(Gate("mystery", 2, []), [1, 2])
    qc.rzx(0.3, 0, 2)
    with pytest.raises(UnimplementedError) as exc:
        isa_from_qiskit(qc, 3, "x.dev", {})
    assert exc.value.reason == ISA_NOT_EXPRESSIBLE
    assert exc.value.metadata["instructions"] == "mystery,rzx"
    assert "(mystery, rzx)" in exc.value.message
    ok = QuantumCircuit(2)
    ok.ecr(1, 0)
    out = isa_from_qiskit(ok, 2, "x.dev", {"transpiler": "t"})
    assert [(o.op, o.q) for o in out.circuit.operations] == [("ECR", (1, 0))]
    assert out.initial_layout == out.final_layout == (0, 1)


def test_fake_device_errors(ibm: IbmDriver) -> None:
    wide = aqo_circuit(134, 1, [{"op": "MEASURE", "q": [133], "c": [0]}])
    with pytest.raises(FailedPreconditionError) as too_wide:
        ibm.transpile_circuit(TORINO, wide)
    assert too_wide.value.reason == "CIRCUIT_TOO_LARGE"
    assert "134 qubits" in too_wide.value.message and "133" in too_wide.value.message
    param = aqo_circuit(1, 1, [{"op": "RX", "q": [0], "params": ["a"]}], ["a"])
    with pytest.raises(InvalidArgumentError) as unbound:
        ibm.transpile_circuit(TORINO, param)
    assert unbound.value.reason == "UNBOUND_PARAMETERS"
    with pytest.raises(DeviceNotFoundError):
        ibm.transpile_circuit("ibm.fake_nowhere", BELL)


# --- the RPC ------------------------------------------------------------------------------


def _request(device_id: str, doc: dict[str, Any]) -> driver_pb2.TranspileCircuitRequest:
    return driver_pb2.TranspileCircuitRequest(
        device_id=device_id,
        payload=circuit_pb2.CircuitPayload(format=AQO, data=json.dumps(doc).encode()),
    )


async def _error(stub: driver_pb2_grpc.DriverManagerServiceStub, req: Any) -> EigenError:
    with pytest.raises(grpc.aio.AioRpcError) as exc:
        await stub.TranspileCircuit(req, timeout=T)
    return from_rpc_error(exc.value)


async def test_rpc_on_the_noisy_aer_device(stub: driver_pb2_grpc.DriverManagerServiceStub) -> None:
    devices = await stub.ListDevices(driver_pb2.ListDevicesRequest(), timeout=T)
    noisy = next(d for d in devices.devices if d.device_id == "aer.noisy_generic_5q")
    resp = await stub.TranspileCircuit(
        _request("aer.noisy_generic_5q", aqo_document(2, 2, BELL_OPERATIONS)), timeout=T
    )
    assert resp.device_id == "aer.noisy_generic_5q"
    assert resp.payload.format == AQO
    isa = parse(resp.payload.data)
    assert isa.qubits == 5 and isa.canonical_bytes() == resp.payload.data
    used = {o.op.lower() for o in isa.operations} - {"measure"}
    assert used <= set(noisy.basis_gates)
    edges = {(e.control, e.target) for e in noisy.coupling_map}
    assert all(tuple(o.q) in edges for o in isa.operations if len(o.q) == 2 and o.op != "MEASURE")
    f = figures(isa)
    assert resp.depth == f.depth > 0 and resp.two_qubit_gates == f.two_qubit_gates == 1
    assert dict(resp.gate_counts) == f.gate_counts and resp.gate_counts["measure"] == 2
    assert tuple(resp.active_qubits) == f.active_qubits
    assert len(resp.initial_layout) == 2 and set(resp.initial_layout) <= set(resp.active_qubits)
    assert resp.metadata["seed_transpiler"]


async def test_rpc_on_an_ideal_device_answers_the_circuit_as_is(
    stub: driver_pb2_grpc.DriverManagerServiceStub,
) -> None:
    doc = aqo_document(2, 2, BELL_OPERATIONS)
    resp = await stub.TranspileCircuit(_request("aer.automatic", doc), timeout=T)
    assert parse(resp.payload.data) == parse(json.dumps(doc))
    assert list(resp.initial_layout) == list(resp.final_layout) == [0, 1]
    assert dict(resp.gate_counts) == {"cx": 1, "h": 1, "measure": 2} and resp.depth == 3
    # CH is no Aer instruction: the density-matrix device runs its exact rewrite, shown as such
    ch = aqo_document(2, 2, [{"op": "CH", "q": [0, 1]}, BELL_OPERATIONS[2]])
    resp = await stub.TranspileCircuit(_request("aer.density_matrix", ch), timeout=T)
    ops = {o.op for o in parse(resp.payload.data).operations}
    assert "CH" not in ops and "CX" in ops
    # the default for a driver without a transpiler: as is, on the trivial layout
    resp = await stub.TranspileCircuit(_request("fake.device", doc), timeout=T)
    assert parse(resp.payload.data) == parse(json.dumps(doc))
    assert list(resp.initial_layout) == [0, 1]
    assert resp.metadata["transpiler"].startswith("none")


async def test_rpc_errors(stub: driver_pb2_grpc.DriverManagerServiceStub) -> None:
    bell = aqo_document(2, 2, BELL_OPERATIONS)
    err = await _error(stub, _request("x.y", bell))
    assert isinstance(err, DeviceNotFoundError)
    err = await _error(stub, _request("fake.offline", bell))
    assert isinstance(err, DeviceOfflineError) and "OFFLINE" in err.message
    wide = aqo_document(6, 1, [{"op": "MEASURE", "q": [5], "c": [0]}])
    err = await _error(stub, _request("aer.noisy_generic_5q", wide))
    assert err.reason == "CIRCUIT_TOO_LARGE" and err.code.name == "FAILED_PRECONDITION"
    assert err.metadata["max_qubits"] == "5"
    param = aqo_document(1, 1, [{"op": "RY", "q": [0], "params": ["t"]}], ["t"])
    err = await _error(stub, _request("aer.automatic", param))
    assert err.reason == "UNBOUND_PARAMETERS" and "t" in err.message
    err = await _error(stub, driver_pb2.TranspileCircuitRequest())
    assert isinstance(err, ValidationError)
    assert {v.field for v in err.violations} == {"device_id", "payload.format"}
    bad = _request("aer.automatic", {"version": "0.1", "qubits": 1})
    err = await _error(stub, bad)
    assert isinstance(err, ValidationError) and err.violations[0].field.startswith("payload.data")


class _Careless(FakeDriver):
    """A driver whose transpile answer breaks the contract (a layout too short)."""

    name: ClassVar[str] = "careless"

    def transpile_circuit(self, device_id: str, circuit: Circuit) -> TranspiledCircuit:
        return TranspiledCircuit(circuit, (0,), (0,))


async def test_a_driver_breaking_the_contract_is_an_internal_error() -> None:
    drv = _Careless()
    drv.initialize({"devices": "careless.device"})
    manager = DriverManager(DriverRegistry([drv]), max_workers=1)
    try:
        req = TranspileRequest(
            "careless.device",
            PayloadFormat.AQO_JSON,
            json.dumps(aqo_document(2, 2, BELL_OPERATIONS)).encode(),
        )
        with pytest.raises(RuntimeError, match="transpile contract"):
            await manager.transpile(req)
    finally:
        manager.close()


def test_a_cloud_backend_is_transpiled_as_its_jobs_are_submitted() -> None:
    """The SDK's local testing mode stands in for IBM Quantum; nothing is submitted."""
    from qiskit.transpiler import generate_preset_pass_manager
    from qiskit_ibm_runtime.fake_provider import FakeManilaV2
    from qiskit_ibm_runtime.fake_provider.local_service import QiskitRuntimeLocalService

    drv = IbmDriver()
    drv.initialize({"fake_backends": "", "credentials": "none", "seed_transpiler": "77"})
    backend = FakeManilaV2()
    drv.use_service(QiskitRuntimeLocalService(), [backend], seed=77)
    (dev,) = drv.get_devices()
    out = drv.transpile_circuit(dev.device_id, GHZ4)
    assert_runs_on(dev, GHZ4, out)
    assert out.metadata["seed_transpiler"] == "77" and "fake_manila" in out.metadata["transpiler"]
    # what start() submits: the backend's preset pass manager at level 1 with that seed
    pm = generate_preset_pass_manager(optimization_level=1, backend=backend, seed_transpiler=77)
    submitted = isa_from_qiskit(pm.run(to_qiskit(GHZ4)), 4, dev.device_id, {})
    assert submitted.circuit == out.circuit and submitted.initial_layout == out.initial_layout
    with pytest.raises(FailedPreconditionError):
        drv.transpile_circuit(dev.device_id, aqo_circuit(6, 1, [BELL_OPERATIONS[0]]))
    drv.close()
