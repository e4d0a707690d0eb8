"""Hermitian Pauli-sum observables (``Observable``) and the Ising-model factory.

Labels follow Qiskit's Pauli-label order: the **rightmost** character acts on qubit 0, so
``"IZ"`` is ``Z`` on qubit 0 and ``"ZI"`` is ``Z`` on qubit 1 of a 2-qubit system. The same
order is used by ``SparsePauliOp`` and by the platform's counts keys (clbit 0 rightmost).
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
from qiskit.quantum_info import SparsePauliOp

#: Terms whose combined coefficient has absolute value at or below this are dropped.
ZERO_ATOL = 1e-12

#: ``to_matrix`` refuses more qubits than this (a dense 2^n × 2^n complex matrix).
MAX_MATRIX_QUBITS = 14

_PAULI_CHARS = frozenset("IXYZ")


def _coefficient(value: Any, label: str) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(
            f"Observable coefficient of {label!r} must be a real number "
            f"(the observable is Hermitian), got {value!r}"
        )
    f = float(value)
    if not math.isfinite(f):
        raise ValueError(f"Observable coefficient of {label!r} must be finite, got {value!r}")
    return f


def _label(value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError(f"Pauli label must be a string such as 'XZI', got {value!r}")
    if not value:
        raise ValueError("Pauli label must not be empty")
    bad = sorted(set(value) - _PAULI_CHARS)
    if bad:
        raise ValueError(
            f"Pauli label {value!r} contains {''.join(bad)!r}; only the characters I, X, Y, Z "
            "are allowed (upper case)"
        )
    return value


def _pairs(spec: Any, coeff: Any) -> list[tuple[Any, Any]]:
    if isinstance(spec, str):
        return [(spec, coeff)]
    if coeff is not None:
        raise TypeError("Observable(coeff=...) is only allowed with a single Pauli label string")
    if isinstance(spec, Mapping):
        return list(spec.items())
    if isinstance(spec, Iterable):
        out = []
        for item in spec:
            if not isinstance(item, tuple | list) or len(item) != 2:
                raise TypeError(
                    f"Observable terms must be (label, coefficient) pairs, got {item!r}"
                )
            out.append((item[0], item[1]))
        return out
    raise TypeError(
        "Observable expects a Pauli label, a {label: coefficient} dict or a list of "
        f"(label, coefficient) pairs, got {spec!r}"
    )


class Observable:
    """A Hermitian observable ``Σ_k c_k P_k``: real coefficients ``c_k`` on Pauli strings ``P_k``.

    Construction (labels use Qiskit's order, rightmost character = qubit 0)::

        Observable("ZZ", 0.5)                      # 0.5 Z1 Z0
        Observable("XI")                           # coefficient 1.0: X on qubit 1
        Observable({"IZ": 0.39, "ZI": -0.39})
        Observable([("ZZ", 1.0), ("XX", 0.5), ("ZZ", 0.25)])   # like terms are combined

    Arithmetic returns new observables: ``a + b``, ``a - b``, ``-a``, ``2 * a``, ``a * 2``,
    ``a / 2``. ``==`` compares the canonical term lists exactly. Observables are immutable
    and hashable.

    Attributes:
        n_qubits: number of qubits (the common label length).
        terms: ``tuple[(label, coefficient), ...]`` sorted by label, like terms combined,
            terms with ``|c| <= ZERO_ATOL`` dropped (the zero observable has no terms).

    Raises:
        TypeError: a label is not a string, a coefficient is not a real number (``bool`` and
            ``complex`` included), the terms are not (label, coefficient) pairs, or ``coeff``
            is given with a dict/list.
        ValueError: an empty label, a character other than ``I X Y Z``, labels of different
            lengths, a non-finite coefficient, or no terms at all (``Observable({})``).
    """

    __slots__ = ("_n_qubits", "_terms")

    _n_qubits: int
    _terms: tuple[tuple[str, float], ...]

    def __init__(self, terms: Any, coeff: Any = None) -> None:
        pairs = _pairs(terms, 1.0 if isinstance(terms, str) and coeff is None else coeff)
        if not pairs:
            raise ValueError("Observable needs at least one (label, coefficient) term")
        n_qubits: int | None = None
        combined: dict[str, float] = {}
        for raw_label, raw_coeff in pairs:
            label = _label(raw_label)
            if n_qubits is None:
                n_qubits = len(label)
            elif len(label) != n_qubits:
                raise ValueError(
                    f"Pauli labels must all have the same length: {label!r} has {len(label)} "
                    f"characters, expected {n_qubits}"
                )
            combined[label] = combined.get(label, 0.0) + _coefficient(raw_coeff, label)
        assert n_qubits is not None
        self._init(n_qubits, combined)

    def _init(self, n_qubits: int, combined: Mapping[str, float]) -> None:
        self._n_qubits = n_qubits
        self._terms = tuple(
            (label, c) for label, c in sorted(combined.items()) if abs(c) > ZERO_ATOL
        )

    @classmethod
    def _from_dict(cls, n_qubits: int, combined: Mapping[str, float]) -> Observable:
        obs = cls.__new__(cls)
        obs._init(n_qubits, combined)
        return obs

    @classmethod
    def zero(cls, n_qubits: int) -> Observable:
        """The zero observable on ``n_qubits`` qubits (no terms).

        Raises:
            ValueError: ``n_qubits`` is not a positive integer.
        """
        if isinstance(n_qubits, bool) or not isinstance(n_qubits, int) or n_qubits < 1:
            raise ValueError(f"n_qubits must be a positive integer, got {n_qubits!r}")
        return cls._from_dict(n_qubits, {})

    @classmethod
    def from_sparse_pauli_op(cls, op: SparsePauliOp) -> Observable:
        """Convert a Qiskit ``SparsePauliOp`` (labels without phase, real coefficients).

        Raises:
            ValueError: a coefficient has a non-zero imaginary part (not Hermitian).
        """
        combined: dict[str, float] = {}
        for label, c in op.to_list():
            z = complex(c)
            if abs(z.imag) > ZERO_ATOL:
                raise ValueError(f"coefficient of {label!r} is complex ({z}); not Hermitian")
            combined[label] = combined.get(label, 0.0) + _coefficient(z.real, label)
        return cls._from_dict(op.num_qubits, combined)

    @property
    def n_qubits(self) -> int:
        """Number of qubits the observable acts on."""
        return self._n_qubits

    @property
    def num_qubits(self) -> int:
        """Alias of :attr:`n_qubits` (Qiskit's spelling)."""
        return self._n_qubits

    @property
    def terms(self) -> tuple[tuple[str, float], ...]:
        """Canonical ``(label, coefficient)`` pairs, sorted by label, zero terms dropped."""
        return self._terms

    def __len__(self) -> int:
        return len(self._terms)

    def to_sparse_pauli_op(self) -> SparsePauliOp:
        """The same operator as a Qiskit ``SparsePauliOp`` (the zero observable → ``0 * I…I``)."""
        if not self._terms:
            return SparsePauliOp("I" * self._n_qubits, coeffs=[0.0])
        labels = [label for label, _ in self._terms]
        coeffs = np.array([c for _, c in self._terms], dtype=complex)
        return SparsePauliOp(labels, coeffs=coeffs)

    def to_matrix(self) -> np.ndarray:
        """Dense ``(2**n, 2**n)`` complex Hermitian matrix (Qiskit's basis order, qubit 0 = LSB).

        Raises:
            ValueError: more than ``MAX_MATRIX_QUBITS`` qubits.
        """
        if self._n_qubits > MAX_MATRIX_QUBITS:
            raise ValueError(
                f"to_matrix() is limited to {MAX_MATRIX_QUBITS} qubits, the observable has "
                f"{self._n_qubits}"
            )
        return np.asarray(self.to_sparse_pauli_op().to_matrix())

    # --- arithmetic ---------------------------------------------------------------------

    def _combine(self, other: Observable, sign: float) -> Observable:
        if other._n_qubits != self._n_qubits:
            raise ValueError(
                f"cannot combine observables on {self._n_qubits} and {other._n_qubits} qubits"
            )
        combined = dict(self._terms)
        for label, c in other._terms:
            combined[label] = combined.get(label, 0.0) + sign * c
        return Observable._from_dict(self._n_qubits, combined)

    def __add__(self, other: object) -> Observable:
        if not isinstance(other, Observable):
            return NotImplemented
        return self._combine(other, 1.0)

    def __sub__(self, other: object) -> Observable:
        if not isinstance(other, Observable):
            return NotImplemented
        return self._combine(other, -1.0)

    def __neg__(self) -> Observable:
        return self * -1.0

    def __pos__(self) -> Observable:
        return self

    def __mul__(self, scalar: object) -> Observable:
        if isinstance(scalar, bool) or not isinstance(scalar, numbers.Real):
            return NotImplemented
        k = _coefficient(scalar, "<scalar>")
        return Observable._from_dict(self._n_qubits, {lb: k * c for lb, c in self._terms})

    __rmul__ = __mul__

    def __truediv__(self, scalar: object) -> Observable:
        if isinstance(scalar, bool) or not isinstance(scalar, numbers.Real):
            return NotImplemented
        k = _coefficient(scalar, "<scalar>")
        if k == 0.0:
            raise ZeroDivisionError("Observable divided by zero")
        return self * (1.0 / k)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Observable):
            return NotImplemented
        return self._n_qubits == other._n_qubits and self._terms == other._terms

    def __hash__(self) -> int:
        return hash((self._n_qubits, self._terms))

    def __repr__(self) -> str:
        if not self._terms:
            return f"Observable.zero({self._n_qubits})"
        return f"Observable({dict(self._terms)!r})"


def _real(value: Any, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{what} must be a real number, got {value!r}")
    f = float(value)
    if not math.isfinite(f):
        raise ValueError(f"{what} must be finite, got {value!r}")
    return f


def _zz(n: int, i: int, j: int) -> str:
    chars = ["I"] * n
    chars[n - 1 - i] = "Z"
    chars[n - 1 - j] = "Z"
    return "".join(chars)


def _x(n: int, i: int) -> str:
    chars = ["I"] * n
    chars[n - 1 - i] = "X"
    return "".join(chars)


def chain_bonds(n_spins: int, periodic: bool) -> list[tuple[int, int]]:
    """Nearest-neighbour bonds ``(i, i+1)``; plus ``(n-1, 0)`` if ``periodic`` and ``n >= 3``."""
    bonds = [(i, i + 1) for i in range(n_spins - 1)]
    if periodic and n_spins >= 3:
        bonds.append((n_spins - 1, 0))
    return bonds


def create_ising_model_hamiltonian(
    n_spins: int,
    J: float | Sequence[Sequence[float]] | np.ndarray = 1.0,
    h: float | Sequence[float] | np.ndarray = 0.0,
    periodic: bool = False,
) -> Observable:
    """Transverse-field Ising Hamiltonian ``H = Σ_<ij> J_ij Z_i Z_j + Σ_i h_i X_i``.

    Sign convention: both sums enter with a **plus** sign, exactly as written, so a negative
    ``J`` is ferromagnetic (aligned spins lower the energy; seed 004 passes ``J=-1.0``) and a
    positive ``J`` antiferromagnetic. Spin ``i`` is qubit ``i`` (rightmost label character).

    Args:
        n_spins: number of spins/qubits, a positive integer.
        J: either a real scalar — the same coupling on every nearest-neighbour bond
            ``(i, i+1)`` of an open chain, plus the closing bond ``(n-1, 0)`` when ``periodic``
            and ``n_spins >= 3`` (for 2 spins it would duplicate ``(0, 1)``) — or an
            ``n_spins × n_spins`` real **symmetric** matrix (numpy array or nested lists) of
            couplings: every pair ``i < j`` gets ``J[i][j] Z_i Z_j`` (zero entries mean no
            bond), e.g. a cost matrix. The diagonal must be zero (``Z_i Z_i`` is the identity).
        h: transverse field: a real scalar for every site, or a length-``n_spins`` sequence.
        periodic: close the chain (scalar ``J`` only; a matrix already lists its bonds).

    Returns:
        An :class:`Observable` on ``n_spins`` qubits (terms combined, zero terms dropped).

    Raises:
        ValueError: ``n_spins`` not a positive integer, a matrix of the wrong shape, not
            symmetric or with a non-zero diagonal, ``periodic=True`` with a matrix ``J``,
            ``h`` of the wrong length, or non-finite numbers.
        TypeError: non-real couplings/fields or a non-bool ``periodic``.
    """
    if isinstance(n_spins, bool) or not isinstance(n_spins, numbers.Integral) or n_spins < 1:
        raise ValueError(f"n_spins must be a positive integer, got {n_spins!r}")
    n = int(n_spins)
    if not isinstance(periodic, bool | np.bool_):
        raise TypeError(f"periodic must be a bool, got {periodic!r}")

    terms: dict[str, float] = {}
    if isinstance(J, numbers.Real) and not isinstance(J, bool):
        coupling = _real(J, "J")
        for i, j in chain_bonds(n, bool(periodic)):
            terms[_zz(n, i, j)] = terms.get(_zz(n, i, j), 0.0) + coupling
    else:
        if periodic:
            raise ValueError(
                "periodic=True applies to a scalar J; a coupling matrix J lists its bonds itself"
            )
        try:
            matrix = np.asarray(J, dtype=float)
        except (TypeError, ValueError) as exc:
            raise TypeError(
                f"J must be a real number or an n_spins × n_spins matrix, got {J!r}"
            ) from exc
        if matrix.shape != (n, n):
            raise ValueError(f"J matrix must have shape ({n}, {n}), got {matrix.shape}")
        if not np.all(np.isfinite(matrix)):
            raise ValueError("J matrix entries must be finite")
        if not np.array_equal(matrix, matrix.T):
            raise ValueError("J matrix must be symmetric (J[i][j] == J[j][i])")
        if np.any(np.diag(matrix) != 0.0):
            raise ValueError("J matrix diagonal must be zero (Z_i Z_i is the identity)")
        for i in range(n):
            for j in range(i + 1, n):
                if matrix[i, j] != 0.0:
                    terms[_zz(n, i, j)] = float(matrix[i, j])

    if isinstance(h, numbers.Real) and not isinstance(h, bool):
        fields = [_real(h, "h")] * n
    else:
        if isinstance(h, str | bytes) or not isinstance(h, Sequence | np.ndarray):
            raise TypeError(f"h must be a real number or a length-{n} sequence, got {h!r}")
        fields = [_real(v, f"h[{k}]") for k, v in enumerate(list(h))]
        if len(fields) != n:
            raise ValueError(f"h must have {n} entries (one per spin), got {len(fields)}")
    for i, field_i in enumerate(fields):
        if field_i != 0.0:
            terms[_x(n, i)] = field_i

    return Observable._from_dict(n, terms)
