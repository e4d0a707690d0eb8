"""Expectation values: Aer exact and sampled paths, the BaseDriver sampling default, the manager."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

import numpy as np
import pytest
from prometheus_client import REGISTRY
from qiskit.quantum_info import SparsePauliOp, Statevector

from eigen_common.errors import FailedPreconditionError, InvalidArgumentError
from eigen_driver_manager import aer_backed, aer_engine
from eigen_driver_manager.base import EXACT_UNSUPPORTED, ExecutionResult, bind_parameters
from eigen_driver_manager.manager import DriverManager, EstimationRequest, PayloadFormat
from eigen_driver_manager.plugins.aer_driver import AerDriver
from eigen_driver_manager.registry import DriverRegistry
from eigen_driver_manager.testing import FakeDriver, aqo_circuit
from eigen_ir import pauli
from eigen_ir.aqo import GATES, Circuit
from eigen_ir.aqo_qiskit import to_qiskit

IDEAL = ["aer.automatic", "aer.statevector", "aer.matrix_product_state", "aer.density_matrix"]
NOISY = "aer.noisy_generic_5q"
PARAMS = ("a", "b", "c")

#: H2 (STO-3G, 0.735 Å, parity mapping, two qubits) as given in the hybrid contract.
H2: list[tuple[str, float]] = [
    ("II", -1.052373245772859),
    ("IZ", 0.39793742484318045),
    ("ZI", -0.39793742484318045),
    ("ZZ", -0.01128010425623538),
    ("XX", 0.18093119978423156),
]
#: A one-parameter ansatz that reaches H2's ground state: X(0) RY(t, 1) CX(1, 0).
H2_ANSATZ = aqo_circuit(
    2,
    0,
    [
        {"op": "X", "q": [0]},
        {"op": "RY", "q": [1], "params": ["t"]},
        {"op": "CX", "q": [1, 0]},
    ],
    ["t"],
)


def reference(
    circuit: Circuit, observable: Sequence[tuple[str, float]], binding: Mapping[str, float]
) -> float:
    """⟨ψ|H|ψ⟩ from Qiskit's Statevector (independent of Aer)."""
    state = Statevector(to_qiskit(circuit, dict(binding)))
    return float(state.expectation_value(SparsePauliOp.from_list(list(observable))).real)


def random_circuit(rng: np.random.Generator, qubits: int = 3, depth: int = 14) -> Circuit:
    """A random AQO circuit over every gate, with symbolic parameters a, b, c."""
    names = sorted(n for n, s in GATES.items() if n not in {"MEASURE", "RESET", "BARRIER"})
    ops: list[dict[str, Any]] = [{"op": "H", "q": [q]} for q in range(qubits)]
    for _ in range(depth):
        name = str(rng.choice(names))
        spec = GATES[name]
        q = [int(x) for x in rng.permutation(qubits)[: spec.num_qubits]]
        params: list[Any] = [
            str(rng.choice(PARAMS)) if rng.random() < 0.7 else float(rng.uniform(-3, 3))
            for _ in range(spec.num_params)
        ]
        op: dict[str, Any] = {"op": name, "q": q}
        if params:
            op["params"] = params
        ops.append(op)
    used = sorted({p for o in ops for p in o.get("params", []) if isinstance(p, str)})
    return aqo_circuit(qubits, 0, ops, used)


def random_observable(
    rng: np.random.Generator, qubits: int = 3, terms: int = 8
) -> list[tuple[str, float]]:
    return [
        ("".join(rng.choice(list("IXYZ"), qubits)), float(rng.uniform(-2, 2))) for _ in range(terms)
    ]


def random_bindings(rng: np.random.Generator, circuit: Circuit, n: int) -> list[dict[str, float]]:
    return [
        {p: float(rng.uniform(-math.pi, math.pi)) for p in circuit.parameters} for _ in range(n)
    ]


# --- Aer: exact -------------------------------------------------------------------------


@pytest.mark.parametrize("device_id", IDEAL)
@pytest.mark.parametrize("seed", range(6))
def test_exact_matches_statevector(aer_driver: AerDriver, device_id: str, seed: int) -> None:
    rng = np.random.default_rng(seed)
    circuit = random_circuit(rng)
    observable = random_observable(rng)
    bindings = random_bindings(rng, circuit, 4)
    out = aer_driver.estimate_expectation_values(device_id, circuit, observable, bindings, None, {})
    expected = [reference(circuit, observable, b) for b in bindings]
    np.testing.assert_allclose(out.values, expected, atol=1e-9, rtol=0)
    assert out.std_errors == [0.0] * len(bindings)
    assert out.metadata["mode"] == "exact"


@pytest.mark.parametrize("gate", ["CRX", "CRY", "CRZ", "CP", "RXX", "RYY", "RZZ", "U", "P"])
@pytest.mark.parametrize("device_id", IDEAL)
def test_exact_each_parametrised_gate(aer_driver: AerDriver, device_id: str, gate: str) -> None:
    """Regression: Aer 0.18 drops the angle of controlled rotations under parameter_binds."""
    arity = GATES[gate].num_params
    names = ["a", "b", "c"][:arity]
    circuit = aqo_circuit(
        3,
        0,
        [
            {"op": "H", "q": [0]},
            {"op": "RX", "q": [1], "params": [0.4]},
            {"op": gate, "q": [0, 1][: GATES[gate].num_qubits], "params": names},
            {"op": "CX", "q": [1, 2]},
        ],
        names,
    )
    observable = [("IXX", 0.7), ("ZZI", -0.3), ("IYZ", 1.1), ("ZIY", 0.5)]
    bindings = [dict(zip(names, v, strict=False)) for v in ([1.3, -0.4, 0.9], [-2.1, 0.8, 0.2])]
    out = aer_driver.estimate_expectation_values(device_id, circuit, observable, bindings, None, {})
    expected = [reference(circuit, observable, b) for b in bindings]
    np.testing.assert_allclose(out.values, expected, atol=1e-9, rtol=0)


def test_batch_order_is_preserved(aer_driver: AerDriver) -> None:
    thetas = [0.0, 0.5, 1.0, math.pi / 2, -2.0]
    bindings = [{"t": t} for t in thetas]
    out = aer_driver.estimate_expectation_values(
        "aer.statevector", H2_ANSATZ, H2, bindings, None, {}
    )
    singles = [
        aer_driver.estimate_expectation_values(
            "aer.statevector", H2_ANSATZ, H2, [b], None, {}
        ).values[0]
        for b in bindings
    ]
    np.testing.assert_allclose(out.values, singles, atol=1e-12, rtol=0)
    assert len(set(np.round(out.values, 9))) == len(thetas)  # the bindings really differ
    np.testing.assert_allclose(
        out.values, [reference(H2_ANSATZ, H2, b) for b in bindings], atol=1e-9, rtol=0
    )


def test_h2_known_point_and_ground_state(aer_driver: AerDriver) -> None:
    theta = 0.2257
    out = aer_driver.estimate_expectation_values(
        "aer.statevector", H2_ANSATZ, H2, [{"t": theta}], None, {}
    )
    assert out.values[0] == pytest.approx(reference(H2_ANSATZ, H2, {"t": theta}), abs=1e-9)
    # the ansatz reaches the exact ground energy (lowest eigenvalue of H): scan then refine
    grid = np.linspace(-math.pi, math.pi, 721)
    scan = aer_driver.estimate_expectation_values(
        "aer.statevector", H2_ANSATZ, H2, [{"t": float(t)} for t in grid], None, {}
    )
    best = float(grid[int(np.argmin(scan.values))])
    fine = np.linspace(best - 0.01, best + 0.01, 201)
    refined = aer_driver.estimate_expectation_values(
        "aer.statevector", H2_ANSATZ, H2, [{"t": float(t)} for t in fine], None, {}
    )
    ground = float(np.linalg.eigvalsh(SparsePauliOp.from_list(H2).to_matrix())[0])
    assert ground == pytest.approx(-1.857275, abs=1e-6)
    assert min(refined.values) == pytest.approx(ground, abs=1e-6)


def test_exact_without_parameters_serves_every_binding(aer_driver: AerDriver) -> None:
    bell = aqo_circuit(2, 0, [{"op": "H", "q": [0]}, {"op": "CX", "q": [0, 1]}])
    out = aer_driver.estimate_expectation_values(
        "aer.automatic", bell, [("ZZ", 1.0), ("XX", 0.5), ("IZ", 2.0)], [{}, {}], None, {}
    )
    np.testing.assert_allclose(out.values, [1.5, 1.5], atol=1e-12)


def test_exact_on_the_noisy_device_uses_the_density_matrix(aer_driver: AerDriver) -> None:
    bindings = [{"t": 0.2257}, {"t": 1.2}]
    out = aer_driver.estimate_expectation_values(NOISY, H2_ANSATZ, H2, bindings, None, {})
    ideal = [reference(H2_ANSATZ, H2, b) for b in bindings]
    assert out.metadata["method"] == "density_matrix"
    np.testing.assert_allclose(out.values, ideal, atol=0.05)  # close to ideal...
    assert max(abs(v - i) for v, i in zip(out.values, ideal, strict=True)) > 1e-6  # ...but noisy
    again = aer_driver.estimate_expectation_values(NOISY, H2_ANSATZ, H2, bindings, None, {})
    assert again.values == out.values  # exact: no sampling noise


# --- Aer: sampled -----------------------------------------------------------------------


@pytest.mark.parametrize("device_id", [*IDEAL, NOISY])
def test_sampled_within_five_std_errors(aer_driver: AerDriver, device_id: str) -> None:
    rng = np.random.default_rng(11)
    circuit = random_circuit(rng)
    observable = random_observable(rng, terms=10)
    bindings = random_bindings(rng, circuit, 3)
    exact = aer_driver.estimate_expectation_values(
        device_id, circuit, observable, bindings, None, {}
    )
    out = aer_driver.estimate_expectation_values(
        device_id, circuit, observable, bindings, 20_000, {}, seed=5
    )
    assert out.metadata["mode"] == "sampled"
    assert int(out.metadata["groups"]) == len(pauli.measurement_groups(observable))
    for value, err, ref in zip(out.values, out.std_errors, exact.values, strict=True):
        assert err > 0
        assert abs(value - ref) <= 5 * err


def test_sampled_is_deterministic_with_a_seed(aer_driver: AerDriver) -> None:
    bindings = [{"t": 0.3}, {"t": -1.0}]

    def run(seed: int | None) -> list[float]:
        return aer_driver.estimate_expectation_values(
            "aer.statevector", H2_ANSATZ, H2, bindings, 500, {}, seed=seed
        ).values

    assert run(42) == run(42)
    assert run(42) != run(43)
    assert run(None) != run(None)


def test_program_cache_avoids_recompiling(
    aer_driver: AerDriver, monkeypatch: pytest.MonkeyPatch
) -> None:
    compiled: list[int] = []
    original = AerDriver._compile

    def counting(self: AerDriver, dev: Any, circuit: Circuit) -> Any:
        compiled.append(circuit.qubits)
        return original(self, dev, circuit)

    monkeypatch.setattr(AerDriver, "_compile", counting)
    circuit = aqo_circuit(
        2, 0, [{"op": "RY", "q": [0], "params": ["fresh"]}, {"op": "CX", "q": [0, 1]}], ["fresh"]
    )
    for device_id in (NOISY, "aer.statevector"):
        first = aer_driver.estimate_expectation_values(
            device_id, circuit, H2, [{"fresh": 0.1}], None, {}
        )
        assert first.metadata["program_cache"] == "miss"
        for t in (0.2, 0.3, 0.4):
            out = aer_driver.estimate_expectation_values(
                device_id, circuit, H2, [{"fresh": t}], None, {}
            )
            assert out.metadata["program_cache"] == "hit"
        sampled = aer_driver.estimate_expectation_values(
            device_id, circuit, H2, [{"fresh": 0.5}], 100, {}, seed=1
        )
        assert sampled.metadata["program_cache"] == "miss"
        sampled = aer_driver.estimate_expectation_values(
            device_id, circuit, H2, [{"fresh": 0.6}], 100, {}, seed=1
        )
        assert sampled.metadata["program_cache"] == "hit"
    groups = len(pauli.measurement_groups(H2))
    assert len(compiled) == 2 * (1 + groups)  # per device: the bare circuit + one per group


def test_program_cache_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(aer_backed, "PROGRAM_CACHE_SIZE", 3)
    drv = AerDriver()
    drv.initialize({"devices": "aer.statevector"})
    for k in range(6):
        circuit = aqo_circuit(1, 0, [{"op": "RX", "q": [0], "params": [float(k)]}])
        drv.estimate_expectation_values("aer.statevector", circuit, [("Z", 1.0)], [{}], None, {})
    assert len(drv._programs) == 3


def test_aer_rejects_a_measuring_circuit(aer_driver: AerDriver) -> None:
    measuring = aqo_circuit(1, 1, [{"op": "MEASURE", "q": [0], "c": [0]}])
    with pytest.raises(InvalidArgumentError):
        aer_driver.estimate_expectation_values(
            "aer.statevector", measuring, [("Z", 1.0)], [{}], None, {}
        )


# --- the BaseDriver default (sampling through execute_circuit) ---------------------------


class SamplingFakeDriver(FakeDriver):
    """FakeDriver whose counts are sampled from Qiskit's Statevector (seeded), so the
    BaseDriver default estimate can be checked against exact values."""

    name: ClassVar[str] = "samplingfake"

    def execute_circuit(
        self,
        device_id: str,
        circuit: Circuit,
        shots: int,
        options: Mapping[str, str],
        *,
        seed: int | None = None,
        parameter_values: Mapping[str, float] | None = None,
    ) -> ExecutionResult:
        super().execute_circuit(
            device_id, circuit, shots, options, seed=seed, parameter_values=parameter_values
        )
        bound = bind_parameters(circuit, parameter_values)
        qc = to_qiskit(bound)
        qc.remove_final_measurements()
        state = Statevector(qc)
        state.seed(seed)
        counts = state.sample_counts(shots)  # keys: qubit 0 rightmost = clbit 0 rightmost
        return ExecutionResult({k: int(v) for k, v in counts.items()}, 0.001, {})


@pytest.fixture
def sampling_fake() -> SamplingFakeDriver:
    drv = SamplingFakeDriver()
    drv.initialize({"devices": "fake.sampler"})
    return drv


def test_default_sampling_agrees_with_exact(
    aer_driver: AerDriver, sampling_fake: SamplingFakeDriver
) -> None:
    rng = np.random.default_rng(3)
    circuit = random_circuit(rng)
    observable = random_observable(rng, terms=9)
    bindings = random_bindings(rng, circuit, 3)
    exact = aer_driver.estimate_expectation_values(
        "aer.statevector", circuit, observable, bindings, None, {}
    )
    out = sampling_fake.estimate_expectation_values(
        "fake.sampler", circuit, observable, bindings, 20_000, {}, seed=100
    )
    groups = pauli.measurement_groups(observable)
    assert out.metadata["mode"] == "sampled"
    assert out.metadata["groups"] == str(len(groups))
    for value, err, ref in zip(out.values, out.std_errors, exact.values, strict=True):
        assert err > 0
        assert abs(value - ref) <= 5 * err
    # one execute_circuit per binding × group, shots per group, seeds seed + k in order
    calls = sampling_fake.calls
    assert len(calls) == len(bindings) * len(groups)
    assert [c.seed for c in calls] == [100 + k for k in range(len(calls))]
    assert {c.shots for c in calls} == {20_000}
    assert out.execution_time_sec == pytest.approx(0.001 * len(calls))
    again = SamplingFakeDriver()
    again.initialize({"devices": "fake.sampler"})
    same = again.estimate_expectation_values(
        "fake.sampler", circuit, observable, bindings, 20_000, {}, seed=100
    )
    assert same.values == out.values


def test_default_refuses_exact_values(fake_driver: FakeDriver) -> None:
    with pytest.raises(FailedPreconditionError) as exc:
        fake_driver.estimate_expectation_values(
            "fake.device", H2_ANSATZ, H2, [{"t": 0.1}], None, {}
        )
    assert exc.value.reason == EXACT_UNSUPPORTED
    assert "give shots" in exc.value.message
    assert fake_driver.calls == []


def test_fake_driver_estimate_is_the_coefficient_sum(fake_driver: FakeDriver) -> None:
    out = fake_driver.estimate_expectation_values(
        "fake.device", H2_ANSATZ, H2, [{"t": 0.1}, {"t": 2.0}], 10, {}
    )
    assert out.values == pytest.approx([sum(c for _, c in H2)] * 2)
    assert out.std_errors == pytest.approx([0.0, 0.0], abs=1e-9)
    assert len(fake_driver.calls) == 2 * len(pauli.measurement_groups(H2))
    assert all(c.seed is None for c in fake_driver.calls)


# --- the manager ------------------------------------------------------------------------


def estimation(circuit: Circuit, **kw: Any) -> EstimationRequest:
    base: dict[str, Any] = {
        "job_id": "job-e",
        "device_id": "aer.statevector",
        "payload_format": PayloadFormat.AQO_JSON,
        "payload": json.dumps(circuit.to_json()).encode(),
        "observable": H2,
        "bindings": [{"t": 0.3}],
    }
    base.update(kw)
    return EstimationRequest(**base)


async def test_manager_estimate_and_metrics(aer_driver: AerDriver) -> None:
    manager = DriverManager(DriverRegistry([aer_driver]), max_workers=2)
    labels = {"driver": "aer", "device": "aer.statevector", "mode": "exact", "code": "OK"}
    before = REGISTRY.get_sample_value("eigen_driver_estimates_total", labels) or 0.0
    try:
        out = await manager.estimate(estimation(H2_ANSATZ, bindings=[{"t": 0.3}, {"t": 0.9}]))
    finally:
        manager.close()
    expected = [reference(H2_ANSATZ, H2, {"t": t}) for t in (0.3, 0.9)]
    np.testing.assert_allclose(out.values, expected, atol=1e-9, rtol=0)
    assert REGISTRY.get_sample_value("eigen_driver_estimates_total", labels) == before + 1
    hist = REGISTRY.get_sample_value(
        "eigen_driver_estimate_duration_seconds_count", {"driver": "aer", "mode": "exact"}
    )
    assert hist is not None and hist >= 1


async def test_manager_rejects_a_driver_breaking_the_contract() -> None:
    class ShortDriver(FakeDriver):
        name: ClassVar[str] = "short"

        def estimate_expectation_values(self, *args: Any, **kwargs: Any) -> Any:
            out = super().estimate_expectation_values(*args, **kwargs)
            return type(out)(out.values[:-1], out.std_errors[:-1], 0.0, {})

    drv = ShortDriver()
    drv.initialize({"devices": "short.device"})
    manager = DriverManager(DriverRegistry([drv]), max_workers=1)
    try:
        with pytest.raises(RuntimeError, match="estimate contract"):
            await manager.estimate(
                estimation(H2_ANSATZ, device_id="short.device", bindings=[{"t": 0.1}] * 2, shots=5)
            )
    finally:
        manager.close()


def test_place_matches_qiskits_apply_layout() -> None:
    rng = np.random.default_rng(8)
    for _ in range(50):
        width = int(rng.integers(3, 8))
        n = int(rng.integers(1, width + 1))
        layout = [int(x) for x in rng.permutation(width)[:n]]
        label = "".join(rng.choice(list("IXYZ"), n))
        expected = SparsePauliOp(label).apply_layout(layout, width).paulis.to_labels()[0]
        assert aer_engine.place(label, layout, width) == expected


def test_exact_merges_repeated_labels(aer_driver: AerDriver) -> None:
    observable = [("XX", 0.25), ("ZI", 1.0), ("XX", 0.5), ("ZI", -1.0), ("YY", 0.1)]
    out = aer_driver.estimate_expectation_values(
        "aer.statevector", H2_ANSATZ, observable, [{"t": 0.7}], None, {}
    )
    assert out.values[0] == pytest.approx(reference(H2_ANSATZ, observable, {"t": 0.7}), abs=1e-9)
