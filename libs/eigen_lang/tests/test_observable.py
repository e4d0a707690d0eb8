from __future__ import annotations

import math

import numpy as np
import pytest
from qiskit.quantum_info import SparsePauliOp

from eigen_lang import Observable, create_ising_model_hamiltonian

Z = np.diag([1.0, -1.0])
X = np.array([[0.0, 1.0], [1.0, 0.0]])
I2 = np.eye(2)


def test_constructors_agree_and_canonicalise() -> None:
    a = Observable({"IZ": 0.39, "ZI": -0.39, "XX": 0.25})
    b = Observable([("XX", 0.25), ("ZI", -0.39), ("IZ", 0.39)])
    c = Observable("IZ", 0.39) + Observable("ZI", -0.39) + Observable("XX", 0.25)
    assert a == b == c
    assert a.terms == (("IZ", 0.39), ("XX", 0.25), ("ZI", -0.39))
    assert a.n_qubits == 2
    assert Observable("XYZ").terms == (("XYZ", 1.0),)
    combined = Observable([("ZZ", 1.0), ("XX", 0.5), ("ZZ", 0.25), ("XX", -0.5)])
    assert combined.terms == (("ZZ", 1.25),)


def test_label_order_is_qiskits_rightmost_is_qubit_zero() -> None:
    # "IZ" is Z on qubit 0: kron(I, Z) in Qiskit's little-endian basis.
    assert np.allclose(Observable("IZ").to_matrix(), np.kron(I2, Z))
    assert np.allclose(Observable("XI").to_matrix(), np.kron(X, I2))
    op = Observable({"XZ": 2.0, "YI": -1.5}).to_sparse_pauli_op()
    assert isinstance(op, SparsePauliOp)
    assert op.equiv(SparsePauliOp.from_sparse_list([("XZ", [1, 0], 2.0), ("Y", [1], -1.5)], 2))


def test_arithmetic() -> None:
    zz = Observable("ZZ", 0.5)
    xx = Observable("XX", 2.0)
    assert (zz + xx).terms == (("XX", 2.0), ("ZZ", 0.5))
    assert (zz - xx).terms == (("XX", -2.0), ("ZZ", 0.5))
    assert (-zz).terms == (("ZZ", -0.5),)
    assert 3 * zz == zz * 3 == Observable("ZZ", 1.5)
    assert zz / 2 == Observable("ZZ", 0.25)
    assert np.float64(2.0) * zz == Observable("ZZ", 1.0)
    diff = zz - zz
    assert diff.terms == () and diff.n_qubits == 2 and diff == Observable.zero(2)
    assert np.allclose(diff.to_matrix(), np.zeros((4, 4)))
    assert 0 * xx == Observable.zero(2)
    h = zz + xx
    assert np.allclose((2 * h - zz).to_matrix(), 2 * h.to_matrix() - zz.to_matrix())
    assert zz != xx and zz != Observable("ZZ", 0.5000001)
    assert hash(Observable("ZZ", 0.5)) == hash(zz)
    assert (zz == "ZZ") is False


def test_matrix_is_hermitian_and_round_trips_through_qiskit() -> None:
    obs = Observable({"XYZ": 0.3, "ZZI": -1.0, "IIY": 0.7})
    m = obs.to_matrix()
    assert m.shape == (8, 8)
    assert np.allclose(m, m.conj().T)
    assert Observable.from_sparse_pauli_op(obs.to_sparse_pauli_op()) == obs


@pytest.mark.parametrize(
    ("args", "exc", "match"),
    [
        (("zz", 1.0), ValueError, "only the characters I, X, Y, Z"),
        (("ZA",), ValueError, "'A'"),
        (("",), ValueError, "empty"),
        (({"ZZ": 1.0, "Z": 1.0},), ValueError, "same length"),
        (("ZZ", math.inf), ValueError, "finite"),
        (("ZZ", math.nan), ValueError, "finite"),
        (("ZZ", 1j), TypeError, "real number"),
        (("ZZ", True), TypeError, "real number"),
        (("ZZ", "1"), TypeError, "real number"),
        (({},), ValueError, "at least one"),
        (([],), ValueError, "at least one"),
        (([("ZZ", 1.0, 2.0)],), TypeError, "pairs"),
        (({3: 1.0},), TypeError, "string"),
        ((42,), TypeError, "Pauli label"),
        (({"ZZ": 1.0}, 2.0), TypeError, "single Pauli label"),
    ],
)
def test_validation_errors(args: tuple[object, ...], exc: type[Exception], match: str) -> None:
    with pytest.raises(exc, match=match):
        Observable(*args)


def test_arithmetic_errors() -> None:
    with pytest.raises(ValueError, match="2 and 3 qubits"):
        Observable("ZZ") + Observable("ZZZ")
    with pytest.raises(TypeError):
        Observable("ZZ") + 1.0  # type: ignore[operator]
    with pytest.raises(TypeError):
        Observable("ZZ") * Observable("ZZ")  # type: ignore[operator]
    with pytest.raises(ValueError, match="finite"):
        Observable("ZZ") * math.inf
    with pytest.raises(ZeroDivisionError):
        Observable("ZZ") / 0
    with pytest.raises(ValueError, match="limited to"):
        Observable("Z" * 20).to_matrix()
    with pytest.raises(ValueError, match="complex"):
        Observable.from_sparse_pauli_op(SparsePauliOp("ZZ", coeffs=[1j]))


# --- Ising -------------------------------------------------------------------------------


def _reference_ising(n: int, couplings: dict[tuple[int, int], float], h: list[float]) -> np.ndarray:
    """Independent construction with Qiskit's from_sparse_list (H = Σ J ZZ + Σ h X)."""
    terms = [("ZZ", [i, j], c) for (i, j), c in couplings.items()]
    terms += [("X", [i], hi) for i, hi in enumerate(h)]
    terms.append(("I", [0], 0.0))  # keep the list non-empty
    return np.asarray(SparsePauliOp.from_sparse_list(terms, num_qubits=n).to_matrix())


def _dense_reference(n: int, couplings: dict[tuple[int, int], float], h: list[float]) -> np.ndarray:
    """A second, fully manual construction from Kronecker products (qubit 0 rightmost)."""

    def site(op: np.ndarray, k: int) -> np.ndarray:
        mats = [op if q == k else I2 for q in reversed(range(n))]
        out = mats[0]
        for m in mats[1:]:
            out = np.kron(out, m)
        return out

    total = np.zeros((2**n, 2**n))
    for (i, j), c in couplings.items():
        total = total + c * site(Z, i) @ site(Z, j)
    for i, hi in enumerate(h):
        total = total + hi * site(X, i)
    return total


@pytest.mark.parametrize("n", [1, 2, 3, 4, 5])
@pytest.mark.parametrize("J", [-1.0, 0.7, 0.0])
@pytest.mark.parametrize("h", [0.5, -0.3, 0.0])
@pytest.mark.parametrize("periodic", [False, True])
def test_ising_scalar_matches_qiskit(n: int, J: float, h: float, periodic: bool) -> None:
    bonds = {(i, i + 1): J for i in range(n - 1)}
    if periodic and n >= 3:
        bonds[(n - 1, 0)] = J
    obs = create_ising_model_hamiltonian(n_spins=n, J=J, h=h, periodic=periodic)
    assert obs.n_qubits == n
    expected = _reference_ising(n, bonds, [h] * n)
    assert np.allclose(obs.to_matrix(), expected)
    assert np.allclose(obs.to_matrix(), _dense_reference(n, bonds, [h] * n))


def test_ising_seed_004_terms_and_sign_convention() -> None:
    obs = create_ising_model_hamiltonian(n_spins=3, J=-1.0, h=0.5, periodic=False)
    assert obs.terms == (
        ("IIX", 0.5),
        ("IXI", 0.5),
        ("IZZ", -1.0),
        ("XII", 0.5),
        ("ZZI", -1.0),
    )
    # Ferromagnetic for J < 0: without field the ground states are the aligned ones.
    energies = np.diag(create_ising_model_hamiltonian(3, J=-1.0, h=0.0).to_matrix()).real
    assert set(np.flatnonzero(energies == energies.min())) == {0b000, 0b111}
    ring = create_ising_model_hamiltonian(4, J=1.0, h=0.0, periodic=True)
    assert ("ZIIZ", 1.0) in ring.terms and len(ring.terms) == 4


@pytest.mark.parametrize("n", [2, 3, 4, 5])
@pytest.mark.parametrize("as_list", [False, True])
def test_ising_matrix_J_matches_qiskit(n: int, as_list: bool) -> None:
    rng = np.random.default_rng(n)
    a = rng.normal(size=(n, n))
    J = np.round(a + a.T, 3)
    np.fill_diagonal(J, 0.0)
    if n >= 3:
        J[0, 2] = J[2, 0] = 0.0  # a missing bond
    couplings = {(i, j): float(J[i, j]) for i in range(n) for j in range(i + 1, n)}
    h = [0.1 * (k + 1) for k in range(n)]
    obs = create_ising_model_hamiltonian(n, J=J.tolist() if as_list else J, h=h)
    assert np.allclose(obs.to_matrix(), _reference_ising(n, couplings, h))
    assert np.allclose(obs.to_matrix(), _dense_reference(n, couplings, h))
    if n >= 3:
        assert all(label != _zz_label(n, 0, 2) for label, _ in obs.terms)


def _zz_label(n: int, i: int, j: int) -> str:
    return "".join("Z" if q in (i, j) else "I" for q in reversed(range(n)))


def test_ising_per_site_field_array() -> None:
    obs = create_ising_model_hamiltonian(3, J=0.0, h=np.array([1.0, 0.0, -2.0]))
    assert obs.terms == (("IIX", 1.0), ("XII", -2.0))


@pytest.mark.parametrize(
    ("kwargs", "exc", "match"),
    [
        ({"n_spins": 0}, ValueError, "positive integer"),
        ({"n_spins": 2.5}, ValueError, "positive integer"),
        ({"n_spins": True}, ValueError, "positive integer"),
        ({"n_spins": 3, "J": [[0, 1], [1, 0]]}, ValueError, "shape"),
        ({"n_spins": 2, "J": [[0, 1], [2, 0]]}, ValueError, "symmetric"),
        ({"n_spins": 2, "J": [[1, 1], [1, 0]]}, ValueError, "diagonal"),
        ({"n_spins": 2, "J": [[0, math.inf], [math.inf, 0]]}, ValueError, "finite"),
        ({"n_spins": 2, "J": [[0, 1], [1, 0]], "periodic": True}, ValueError, "periodic"),
        ({"n_spins": 2, "J": "ferro"}, TypeError, "J must be"),
        ({"n_spins": 2, "J": math.nan}, ValueError, "finite"),
        ({"n_spins": 2, "h": [1.0]}, ValueError, "2 entries"),
        ({"n_spins": 2, "h": "x"}, TypeError, "h must be"),
        ({"n_spins": 2, "h": 1j}, TypeError, "h must be"),
        ({"n_spins": 2, "periodic": "yes"}, TypeError, "periodic"),
    ],
)
def test_ising_validation(kwargs: dict[str, object], exc: type[Exception], match: str) -> None:
    with pytest.raises(exc, match=match):
        create_ising_model_hamiltonian(**kwargs)  # type: ignore[arg-type]
