"""Built-in and ``stdgates.inc`` gates as Qiskit gates, and the ``inv``/``pow``/``ctrl`` modifiers.

``stdgates.inc`` names map to Qiskit's standard gates exactly as qiskit-qasm3-import maps them,
so a program means the same whichever of the two lowers it. ``U`` is built in (Qiskit's
``UGate`` has the OpenQASM 3 matrix), ``gphase`` is handled by the caller.

*Additive* gates are rotations about one axis, ``G(a)·G(b) = G(a+b)``: a run-time angle
``offset + Σ wₖ·bitₖ`` becomes ``G(offset)`` followed by ``G(wₖ)`` applied when ``bitₖ`` is 1, and
every modifier distributes over that product.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from qiskit.circuit import Gate
from qiskit.circuit import library as lib

from eigen_compiler.frontends.qasm.oq3.errors import QasmError


@dataclass(frozen=True)
class GateInfo:
    """A gate known by name: ``build(*params)`` → Qiskit gate; arities; additive or not."""

    build: Callable[..., Gate]
    num_params: int
    num_qubits: int
    additive: bool = False


BUILTIN: dict[str, GateInfo] = {"U": GateInfo(lib.UGate, 3, 1)}

STDGATES: dict[str, GateInfo] = {
    "p": GateInfo(lib.PhaseGate, 1, 1, True),
    "x": GateInfo(lib.XGate, 0, 1),
    "y": GateInfo(lib.YGate, 0, 1),
    "z": GateInfo(lib.ZGate, 0, 1),
    "h": GateInfo(lib.HGate, 0, 1),
    "s": GateInfo(lib.SGate, 0, 1),
    "sdg": GateInfo(lib.SdgGate, 0, 1),
    "t": GateInfo(lib.TGate, 0, 1),
    "tdg": GateInfo(lib.TdgGate, 0, 1),
    "sx": GateInfo(lib.SXGate, 0, 1),
    "rx": GateInfo(lib.RXGate, 1, 1, True),
    "ry": GateInfo(lib.RYGate, 1, 1, True),
    "rz": GateInfo(lib.RZGate, 1, 1, True),
    "cx": GateInfo(lib.CXGate, 0, 2),
    "cy": GateInfo(lib.CYGate, 0, 2),
    "cz": GateInfo(lib.CZGate, 0, 2),
    "cp": GateInfo(lib.CPhaseGate, 1, 2, True),
    "crx": GateInfo(lib.CRXGate, 1, 2, True),
    "cry": GateInfo(lib.CRYGate, 1, 2, True),
    "crz": GateInfo(lib.CRZGate, 1, 2, True),
    "ch": GateInfo(lib.CHGate, 0, 2),
    "swap": GateInfo(lib.SwapGate, 0, 2),
    "ccx": GateInfo(lib.CCXGate, 0, 3),
    "cswap": GateInfo(lib.CSwapGate, 0, 3),
    "cu": GateInfo(lib.CUGate, 4, 2),
    "CX": GateInfo(lib.CXGate, 0, 2),
    "phase": GateInfo(lib.PhaseGate, 1, 1, True),
    "cphase": GateInfo(lib.CPhaseGate, 1, 2, True),
    "id": GateInfo(lambda: lib.UGate(0, 0, 0), 0, 1),
    "u1": GateInfo(lib.U1Gate, 1, 1, True),
    "u2": GateInfo(lib.U2Gate, 2, 1),
    "u3": GateInfo(lib.U3Gate, 3, 1),
}

#: Gates whose integer powers Qiskit writes as one gate of the same family (angles scaled).
_POWER_FAMILY = frozenset(
    {"p", "rz", "rx", "ry", "cp", "crx", "cry", "crz", "phase", "cphase", "u1", "s", "sdg", "t",
     "tdg", "z"}
)  # fmt: skip


@dataclass(frozen=True)
class Modifier:
    """One gate modifier.

    ``kind`` is inv, pow, ctrl or negctrl; ``value`` the power or the number of controls.
    """

    kind: str
    value: Any = 1


def controls(modifiers: list[Modifier]) -> int:
    """Number of control qubits the modifiers add."""
    return sum(int(m.value) for m in modifiers if m.kind in ("ctrl", "negctrl"))


def modified(
    gate: Gate, modifiers: list[Modifier], family: str = "", limit: int = 1 << 20
) -> list[Gate]:
    """``gate`` with ``modifiers`` applied (the last one first, as written right to left).

    Returns a list: an integer power of a gate outside :data:`_POWER_FAMILY` is that many
    applications (of the inverse for a negative power), exact and cheap to transpile.

    Raises:
        QasmError: a non-integer power of a gate with symbolic parameters; more than ``limit``
            applications (``too-many-operations``).
    """
    gates = [gate]
    for m in reversed(modifiers):
        if m.kind == "inv":
            gates = [g.inverse() for g in reversed(gates)]
        elif m.kind == "pow":
            gates = _power(gates, m.value, family, limit)
        else:
            state = (1 << int(m.value)) - 1 if m.kind == "ctrl" else 0
            gates = [g.control(int(m.value), ctrl_state=state) for g in gates]
        family = ""
    return gates


def _power(gates: list[Gate], k: float, family: str, limit: int) -> list[Gate]:
    if family in _POWER_FAMILY and len(gates) == 1:
        return [gates[0].power(k)]
    if float(k).is_integer():
        n = int(k)
        if abs(n) * len(gates) > limit:
            raise QasmError(
                "too-many-operations",
                f"pow({n}) repeats the gate {abs(n)} times; the limit is {limit} operations",
            )
        seq = gates if n >= 0 else [g.inverse() for g in reversed(gates)]
        return seq * abs(n)
    if len(gates) != 1 or any(_symbolic(p) for p in gates[0].params):
        raise QasmError(
            "qasm3-unsupported",
            f"pow({k}) of a gate with unbound parameters or several parts; use an integer power",
        )
    return [gates[0].power(k)]


def _symbolic(param: Any) -> bool:
    return bool(getattr(param, "parameters", None))
