"""Feature maps: a sample's features (radians) as AQO parameter bindings (seed 004 QML).

A feature map is a circuit with symbolic parameters ``x[0]``, ``x[1]``, …; :meth:`FeatureMap.angles`
computes the value of each from a sample's scaled features, so one parametrised circuit serves
every sample (the kernel sends one binding per sample in a single estimate call).

- ``angle_encoding(n_features, rotation="ry")``: ``rotation(a_k)`` on qubit k; parameters
  ``x[k] = a_k``.
- ``zz_feature_map(n_features, reps=2, entanglement="full")``: the feature map of Havlíček et
  al., Nature 567, 209 (2019), laid out as Qiskit's ``zz_feature_map``; per repetition:
  ``H`` on every qubit, ``P(2 φ(a_i))`` on qubit i, then for each pair (i, j) of the
  entanglement ``CX(i, j) · P(2 φ(a_i, a_j)) on j · CX(i, j)``, with Qiskit's default data map
  ``φ(a_i) = a_i`` and ``φ(a_i, a_j) = (π − a_i)(π − a_j)``. Parameters: ``x[i] = 2 a_i``
  (i < n) and ``x[n + p] = 2 (π − a_i)(π − a_j)`` for the p-th pair; the repetitions reuse them.

``a`` are the features after :func:`eigen_ir.qml_data.scale_to_angles` (radians).
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass
from typing import Any

import numpy as np

from eigen_ir.ansatz import entangling_pairs
from eigen_ir.aqo import Operation
from eigen_ir.qml_data import MAX_FEATURES, QmlError

#: Feature-map kinds.
FEATURE_MAPS = ("angle", "zz")
#: Rotations ``angle_encoding`` accepts.
ENCODING_ROTATIONS = ("rx", "ry")
#: Entanglements ``zz_feature_map`` accepts.
ZZ_ENTANGLEMENTS = ("full", "linear")
#: Upper bound of ``zz_feature_map(reps=...)``.
MAX_REPS = 10
#: Prefix of the feature-map parameter names (``x[k]``).
FEATURE_PREFIX = "x"


@dataclass(frozen=True)
class FeatureMap:
    """A feature map: ``kind`` (:data:`FEATURE_MAPS`), width and options (JSON: :meth:`to_json`).

    Attributes:
        kind: ``"angle"`` or ``"zz"``.
        n_features: features encoded (= qubits).
        rotation: angle encoding's gate (``"rx"``/``"ry"``); ``""`` for zz.
        reps: zz repetitions (1 for angle encoding).
        entanglement: zz pairs (``"full"``/``"linear"``); ``""`` for angle encoding.
    """

    kind: str
    n_features: int
    rotation: str = ""
    reps: int = 1
    entanglement: str = ""

    @property
    def n_qubits(self) -> int:
        """Circuit width (one qubit per feature)."""
        return self.n_features

    def pairs(self) -> list[tuple[int, int]]:
        """The zz pairs (i, j) in application order (empty for angle encoding)."""
        if self.kind != "zz":
            return []
        return entangling_pairs(self.n_features, self.entanglement)

    @property
    def parameters(self) -> tuple[str, ...]:
        """Parameter names ``x[k]`` in the column order of :meth:`angles`."""
        count = self.n_features + len(self.pairs())
        return tuple(f"{FEATURE_PREFIX}[{k}]" for k in range(count))

    def operations(self) -> tuple[Operation, ...]:
        """The feature map as AQO operations over :attr:`parameters`."""
        names = self.parameters
        n = self.n_features
        if self.kind == "angle":
            return tuple(Operation(self.rotation.upper(), (k,), (), (names[k],)) for k in range(n))
        ops: list[Operation] = []
        for _ in range(self.reps):
            ops.extend(Operation("H", (k,)) for k in range(n))
            ops.extend(Operation("P", (k,), (), (names[k],)) for k in range(n))
            for p, (i, j) in enumerate(self.pairs()):
                ops.append(Operation("CX", (i, j)))
                ops.append(Operation("P", (j,), (), (names[n + p],)))
                ops.append(Operation("CX", (i, j)))
        return tuple(ops)

    def angles(self, a: np.ndarray) -> np.ndarray:
        """Parameter values for samples ``a`` (shape (m, n_features), radians) → (m, k)."""
        if self.kind == "angle":
            return np.array(a, dtype=np.float64, copy=True)
        cols = [2.0 * a[:, i] for i in range(self.n_features)]
        cols += [2.0 * (math.pi - a[:, i]) * (math.pi - a[:, j]) for i, j in self.pairs()]
        return np.stack(cols, axis=1)

    def to_json(self) -> dict[str, Any]:
        """The feature map as a JSON object."""
        return {
            "kind": self.kind,
            "n_features": self.n_features,
            "rotation": self.rotation,
            "reps": self.reps,
            "entanglement": self.entanglement,
        }


def _width(n_features: Any) -> int:
    if isinstance(n_features, bool) or not isinstance(n_features, numbers.Integral):
        raise QmlError(f"n_features must be an integer, got {n_features!r}")
    if not 1 <= int(n_features) <= MAX_FEATURES:
        message = f"n_features must be in 1..{MAX_FEATURES} (one qubit each), got {n_features}"
        raise QmlError(message)
    return int(n_features)


def angle_encoding(n_features: Any, rotation: Any = "ry") -> FeatureMap:
    """Angle encoding: ``rotation(a_k)`` on qubit k (one qubit per feature).

    Raises:
        QmlError: ``n_features`` not in 1..12, or ``rotation`` not ``"rx"``/``"ry"``.
    """
    n = _width(n_features)
    if rotation not in ENCODING_ROTATIONS:
        raise QmlError(f"rotation must be one of {', '.join(ENCODING_ROTATIONS)}, got {rotation!r}")
    return FeatureMap("angle", n, rotation=str(rotation))


def zz_feature_map(n_features: Any, reps: Any = 2, entanglement: Any = "full") -> FeatureMap:
    """The ZZ feature map (module docstring), Qiskit's ``zz_feature_map`` layout.

    Raises:
        QmlError: ``n_features`` not in 1..12, ``reps`` not in 1..10, or an entanglement other
            than ``"full"``/``"linear"``.
    """
    n = _width(n_features)
    integral = isinstance(reps, numbers.Integral) and not isinstance(reps, bool)
    if not integral or not 1 <= int(reps) <= MAX_REPS:
        raise QmlError(f"reps must be an integer in 1..{MAX_REPS}, got {reps!r}")
    if entanglement not in ZZ_ENTANGLEMENTS:
        raise QmlError(
            f"entanglement must be one of {', '.join(ZZ_ENTANGLEMENTS)}, got {entanglement!r}"
        )
    return FeatureMap("zz", n, reps=int(reps), entanglement=str(entanglement))


def feature_map_from_json(obj: Any) -> FeatureMap:
    """Parse :meth:`FeatureMap.to_json`.

    Raises:
        QmlError: not a valid feature map.
    """
    if not isinstance(obj, dict) or set(obj) != {
        "kind", "n_features", "rotation", "reps", "entanglement"
    }:  # fmt: skip
        raise QmlError("feature_map must be {kind, n_features, rotation, reps, entanglement}")
    if obj["kind"] == "angle" and obj["reps"] == 1 and obj["entanglement"] == "":
        return angle_encoding(obj["n_features"], obj["rotation"])
    if obj["kind"] == "zz" and obj["rotation"] == "":
        return zz_feature_map(obj["n_features"], obj["reps"], obj["entanglement"])
    raise QmlError(f"feature_map.kind must be one of {', '.join(FEATURE_MAPS)} with its options")
