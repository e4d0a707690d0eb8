from __future__ import annotations

import runpy
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from qiskit.quantum_info import Operator, Statevector

from eigen_ir import optimize
from eigen_lang import (
    Ansatz,
    AnsatzLike,
    ExpectationValue,
    MinimizeResult,
    Observable,
    Param,
    QubitRegister,
    ansatz,
    cost_function,
    create_hea_ansatz,
    create_ising_model_hamiltonian,
    cx,
    hybrid_program,
    measure_all,
    minimize,
    rxx,
    ry,
    rz,
    u,
    x,
)
from eigen_lang.program import DEFAULT_RANDOM_SEED, running_program_seed

SEED_APPENDIX = Path(__file__).with_name("seed_appendix.eigen.txt")

H2 = Observable(
    {
        "II": -1.052373245772859,
        "IZ": 0.39793742484318045,
        "ZI": -0.39793742484318045,
        "ZZ": -0.01128010425623538,
        "XX": 0.18093119978423156,
    }
)


@ansatz
def h2_ansatz(theta: Any) -> None:
    q = QubitRegister(2)
    ry(theta[0], q[0])
    ry(theta[1], q[1])
    cx(q[0], q[1])


@ansatz
def mixed(phi: Any) -> None:
    q = QubitRegister(3)
    u(phi[0], 0.3, phi[1], q[0])
    rxx(phi[2], q[0], q[2])
    rz(0.7, q[1])
    cx(q[1], q[2])
    ry(phi[1], q[2])


def _exact(anz: AnsatzLike, obs: Observable, values: np.ndarray) -> float:
    sv = Statevector(anz.build(values))
    return float(np.real(sv.expectation_value(obs.to_sparse_pauli_op())))


# --- @ansatz -------------------------------------------------------------------------------


def test_ansatz_decorator_shape_and_names() -> None:
    assert h2_ansatz.num_params == 2
    assert h2_ansatz.num_qubits == 2 == h2_ansatz.n_qubits
    assert h2_ansatz.parameters == ("theta[0]", "theta[1]")
    assert mixed.num_params == 3
    assert mixed.parameters == ("phi[0]", "phi[1]", "phi[2]")
    assert [p.name for p in mixed.circuit().parameters] == ["phi[0]", "phi[1]", "phi[2]"]
    assert isinstance(h2_ansatz, AnsatzLike)
    assert isinstance(create_hea_ansatz(2), AnsatzLike)


def test_ansatz_build_binds_in_index_order() -> None:
    values = np.array([0.3, -1.1, 2.0])
    bound = mixed.build(values)
    symbolic = mixed.circuit()
    assigned = symbolic.assign_parameters(dict(zip(symbolic.parameters, values, strict=True)))
    assert Operator(bound).equiv(Operator(assigned))
    # phi[1] is used twice: both the u gate's lam and the final ry get values[1]
    ry_angles = [float(i.operation.params[0]) for i in bound.data if i.operation.name == "ry"]
    assert ry_angles == [-1.1]
    with pytest.raises(ValueError, match="expected 3"):
        mixed.build([0.1, 0.2])


def test_hand_written_ansatz_matches_create_hea_ansatz() -> None:
    @ansatz
    def hea(theta: Any) -> None:
        q = QubitRegister(2)
        ry(theta[0], q[0])
        ry(theta[1], q[1])
        cx(q[0], q[1])
        ry(theta[2], q[0])
        ry(theta[3], q[1])

    ref: Ansatz = create_hea_ansatz(2, depth=1, entanglement="linear", rotations="ry")
    values = np.array([0.4, -0.2, 1.3, 0.9])
    assert hea.parameters == ref.parameters
    assert Operator(hea.build(values)).equiv(Operator(ref.build(values)))


def test_ansatz_unused_index_is_an_error() -> None:
    @ansatz
    def gap(theta: Any) -> None:
        q = QubitRegister(1)
        ry(theta[0], q[0])
        rz(theta[2], q[0])

    with pytest.raises(ValueError, match=r"unused: theta\[1\]"):
        _ = gap.num_params


def test_ansatz_rejects_measurement_foreign_params_and_bad_signatures() -> None:
    @ansatz
    def measuring(theta: Any) -> None:
        q = QubitRegister(1)
        ry(theta[0], q[0])
        measure_all(q)

    with pytest.raises(ValueError, match="measure"):
        _ = measuring.num_qubits

    @ansatz
    def foreign(theta: Any) -> None:
        q = QubitRegister(1)
        ry(Param("alpha"), q[0])
        ry(theta[0], q[0])

    with pytest.raises(ValueError, match="alpha"):
        _ = foreign.num_params

    def two(a: Any, b: Any) -> None:
        pass

    with pytest.raises(TypeError, match="exactly one"):
        ansatz(two)

    @ansatz
    def negative(theta: Any) -> None:
        ry(theta[-1], 0)

    with pytest.raises(IndexError):
        _ = negative.num_params


# --- ExpectationValue ------------------------------------------------------------------------


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_exact_expectation_matches_statevector(seed: int) -> None:
    rng = np.random.default_rng(seed)
    hea = create_hea_ansatz(4, depth=2, entanglement="circular", rotations="ryrz")
    ising = create_ising_model_hamiltonian(4, J=-1.0, h=0.5, periodic=True)
    obs3 = Observable({"XYZ": 0.7, "ZZI": -0.4, "IIY": 1.3, "III": 0.25})
    for anz, obs in ((hea, ising), (mixed, obs3), (h2_ansatz, H2)):
        values = rng.uniform(-np.pi, np.pi, anz.num_params)
        ev = ExpectationValue(circuit_or_ansatz=anz, observable=obs, shots=None)
        got = ev.evaluate(values)
        assert got == pytest.approx(_exact(anz, obs, values), abs=1e-10)
        assert ev.estimate(values) == (got, 0.0)


def test_sampled_expectation_within_five_standard_errors_and_seeded() -> None:
    values = np.array([0.4, 1.9, -0.8])
    obs = Observable({"XYZ": 0.7, "ZZI": -0.4, "IIY": 1.3, "XXX": 0.5, "III": 0.25})
    exact = _exact(mixed, obs, values)
    ev = ExpectationValue(mixed, obs, shots=4000)
    value, err = ev.estimate(values, seed=11)
    assert 0.0 < err < 0.05
    assert abs(value - exact) < 5 * err
    assert value != exact  # it really sampled
    assert ev.evaluate(values, seed=11) == value  # same seed, same counts
    assert ev.evaluate(values, seed=12) != value


def test_observable_on_fewer_qubits_is_padded_on_the_left() -> None:
    @ansatz
    def flip_q1(theta: Any) -> None:
        q = QubitRegister(2)
        ry(theta[0], q[0])
        x(q[1])

    ev = ExpectationValue(flip_q1, Observable("Z"))  # Z on qubit 0
    assert ev.terms == (("IZ", 1.0),)
    assert ev.evaluate([0.0]) == pytest.approx(1.0, abs=1e-12)  # not qubit 1 (which is -1)
    assert ev.evaluate([np.pi]) == pytest.approx(-1.0, abs=1e-12)
    with pytest.raises(ValueError, match="3 qubits"):
        ExpectationValue(flip_q1, Observable("ZZZ"))


def test_expectation_value_argument_checks() -> None:
    with pytest.raises(TypeError):
        ExpectationValue(object(), H2)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        ExpectationValue(h2_ansatz, {"ZZ": 1.0})  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        ExpectationValue(h2_ansatz, H2, shots=0)
    with pytest.raises(TypeError):
        ExpectationValue(h2_ansatz, H2, shots=1.5)  # type: ignore[arg-type]


# --- cost_function and minimize ---------------------------------------------------------------


@cost_function
def h2_energy(params: Any) -> ExpectationValue:
    return ExpectationValue(circuit_or_ansatz=h2_ansatz, observable=H2, shots=None)


def test_cost_function_returns_the_description() -> None:
    ev = h2_energy([0.1, 0.2])
    assert isinstance(ev, ExpectationValue)
    assert ev.ansatz is h2_ansatz and ev.observable == H2 and ev.shots is None

    @cost_function
    def wrong(params: Any) -> ExpectationValue:
        return 1.0  # type: ignore[return-value]

    with pytest.raises(TypeError, match="ExpectationValue"):
        wrong([0.0])


def test_h2_vqe_reaches_the_ground_energy() -> None:
    exact = float(np.linalg.eigvalsh(H2.to_matrix())[0])
    result = minimize(h2_energy, [0.1, 0.1], method="cobyla", max_iter=100)
    assert isinstance(result, MinimizeResult)
    assert abs(result.optimal_value - exact) < 1.6e-3
    assert result.optimal_parameters.shape == (2,)
    assert result.optimal_value == min(result.history)
    assert len(result.history) == result.iterations <= 100
    assert h2_energy(None).evaluate(result.optimal_parameters) == pytest.approx(
        result.optimal_value, abs=1e-12
    )


def test_minimize_is_the_shared_optimiser() -> None:
    ev = h2_energy(None)
    ref = optimize.minimize(
        ev.evaluate, [0.1, 0.1], method="nelder-mead", max_iter=40, tolerance=1e-6
    )
    got = minimize(h2_energy, [0.1, 0.1], method="Nelder-Mead", max_iter=40, tolerance=1e-6)
    assert got.history == ref.history
    assert got.optimal_parameters.tolist() == ref.optimal_parameters.tolist()
    assert (got.success, got.iterations, got.message) == (ref.success, ref.iterations, ref.message)


def test_minimize_argument_checks() -> None:
    with pytest.raises(ValueError, match="method"):
        minimize(h2_energy, [0.1, 0.1], method="bfgs")
    with pytest.raises(TypeError, match="cost_function"):
        minimize(lambda p: 0.0, [0.1, 0.1])  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"shape \(2,\)"):
        minimize(h2_energy, [0.1, 0.1, 0.1])
    with pytest.raises(ValueError, match="max_iter"):
        minimize(h2_energy, [0.1, 0.1], max_iter=0)
    with pytest.raises(ValueError, match="tolerance"):
        minimize(h2_energy, [0.1, 0.1], tolerance=-1.0)


# --- programs ------------------------------------------------------------------------------


def _vqe_program(seed: int | None, shots: int | None, method: str) -> Any:
    @hybrid_program(seed=seed)
    def vqe() -> dict[str, Any]:
        @cost_function
        def energy(params: Any) -> ExpectationValue:
            return ExpectationValue(h2_ansatz, H2, shots=shots)

        start = np.random.randn(2) * 0.1
        result = minimize(energy, start, method=method, max_iter=30)
        return {
            "start": start.tolist(),
            "value": result.optimal_value,
            "seed": running_program_seed(),
        }

    return vqe


def test_program_returns_its_value_with_numpy_seeded() -> None:
    out = _vqe_program(None, None, "cobyla")()
    assert set(out) == {"start", "value", "seed"}
    assert out["start"] == (np.random.RandomState(DEFAULT_RANDOM_SEED).randn(2) * 0.1).tolist()
    assert out["seed"] is None
    assert running_program_seed() is None  # only while a program runs
    seeded = _vqe_program(5, None, "cobyla")()
    assert seeded["start"] == (np.random.RandomState(5).randn(2) * 0.1).tolist()
    assert seeded["seed"] == 5


def test_program_seed_reaches_spsa_and_sampling() -> None:
    a = _vqe_program(3, 500, "spsa")()["value"]
    assert _vqe_program(3, 500, "spsa")()["value"] == a
    assert _vqe_program(4, 500, "spsa")()["value"] != a


@pytest.mark.parametrize("n_routes", [4, None])
def test_seed_appendix_runs_locally_within_five_percent(n_routes: int | None) -> None:
    namespace = runpy.run_path(str(SEED_APPENDIX))
    program = namespace["solve_logistics_optimization"]
    out = program() if n_routes is None else program(n_routes=n_routes)
    n = n_routes or 5
    assert set(out) == {
        "optimal_cost",
        "optimal_parameters",
        "success",
        "iterations",
        "qubits_used",
    }
    assert out["qubits_used"] == n
    assert len(out["optimal_parameters"]) == 4 * n  # depth 3 + final layer, ry
    assert 1 <= out["iterations"] <= 150
    exact = float(
        np.linalg.eigvalsh(create_ising_model_hamiltonian(n, -1.0, 0.5, False).to_matrix())[0]
    )
    assert out["optimal_cost"] >= exact - 1e-9  # variational bound
    assert abs(out["optimal_cost"] - exact) <= 0.05 * abs(exact)
