"""Conversion between AQO v0.1 and Qiskit ``QuantumCircuit`` (both directions).

Used by the compiler (Qiskit → AQO after transpiling to :data:`BASIS_GATES`), by the
driver-manager (a device's ISA circuit → AQO, whose gates are among :data:`GATE_NAMES`) and by
the Aer driver (AQO → Qiskit). Bit order is Qiskit's: clbit 0 is the rightmost bit of a counts key.
Imports Qiskit, so only services that need it import this module.
"""

from __future__ import annotations

from typing import Any

from qiskit.circuit import (
    Barrier,
    CircuitInstruction,
    ClassicalRegister,
    Measure,
    Parameter,
    ParameterExpression,
    QuantumCircuit,
    QuantumRegister,
    Reset,
)
from qiskit.circuit import library as lib

from eigen_ir.aqo import (
    GATES,
    ISA_ONLY_GATES,
    AqoError,
    Circuit,
    Cond,
    Operation,
    Param,
    ParamExpr,
    affine,
)
from eigen_ir.aqo_conditions import cond_expr
from eigen_ir.aqo_qiskit_flow import flatten, qiskit_condition

#: Qiskit instruction name → AQO op (the AQO basis).
_TO_AQO: dict[str, str] = {
    "h": "H",
    "x": "X",
    "y": "Y",
    "z": "Z",
    "s": "S",
    "sdg": "SDG",
    "t": "T",
    "tdg": "TDG",
    "sx": "SX",
    "rx": "RX",
    "ry": "RY",
    "rz": "RZ",
    "p": "P",
    "u": "U",
    "cx": "CX",
    "cy": "CY",
    "cz": "CZ",
    "ch": "CH",
    "swap": "SWAP",
    "crx": "CRX",
    "cry": "CRY",
    "crz": "CRZ",
    "cp": "CP",
    "rxx": "RXX",
    "ryy": "RYY",
    "rzz": "RZZ",
    "ecr": "ECR",
    "ccx": "CCX",
    "cswap": "CSWAP",
    "measure": "MEASURE",
    "reset": "RESET",
    "barrier": "BARRIER",
}

#: AQO op → Qiskit gate class (parametrised by angles where the gate takes them).
_FROM_AQO: dict[str, Any] = {
    "H": lib.HGate,
    "X": lib.XGate,
    "Y": lib.YGate,
    "Z": lib.ZGate,
    "S": lib.SGate,
    "SDG": lib.SdgGate,
    "T": lib.TGate,
    "TDG": lib.TdgGate,
    "SX": lib.SXGate,
    "RX": lib.RXGate,
    "RY": lib.RYGate,
    "RZ": lib.RZGate,
    "P": lib.PhaseGate,
    "U": lib.UGate,
    "CX": lib.CXGate,
    "CY": lib.CYGate,
    "CZ": lib.CZGate,
    "CH": lib.CHGate,
    "SWAP": lib.SwapGate,
    "CRX": lib.CRXGate,
    "CRY": lib.CRYGate,
    "CRZ": lib.CRZGate,
    "CP": lib.CPhaseGate,
    "RXX": lib.RXXGate,
    "RYY": lib.RYYGate,
    "RZZ": lib.RZZGate,
    "ECR": lib.ECRGate,
    "CCX": lib.CCXGate,
    "CSWAP": lib.CSwapGate,
}

#: Qiskit names of every gate :func:`from_qiskit` converts (a device's ISA circuit converts when
#: its gates are among these; ``if_else`` stays as control flow and becomes ``cond``).
GATE_NAMES: frozenset[str] = frozenset(_TO_AQO) - {"measure", "reset", "barrier"}
#: Gate names the compiler's pass managers target: :data:`GATE_NAMES` without
#: :data:`~eigen_ir.aqo.ISA_ONLY_GATES` (``ecr``), so that programs are lowered to the usual
#: gates and ECR appears only in ISA views of ECR devices.
BASIS_GATES: list[str] = sorted(n for n in GATE_NAMES if _TO_AQO[n] not in ISA_ONLY_GATES)
assert set(_TO_AQO.values()) == set(GATES), "AQO gate table and Qiskit mapping disagree"


def _param_out(value: Any, path: str) -> Param:
    """A Qiskit gate parameter as an AQO param: number, name or affine :class:`ParamExpr`.

    Raises:
        AqoError: an expression that is not affine (``a*b``, ``sin(a)``) or not real.
    """
    if isinstance(value, Parameter):
        return str(value.name)
    if not isinstance(value, ParameterExpression):
        return float(value)
    if not value.parameters:
        return _real(value, path)
    terms: list[tuple[str, float | int]] = []
    for p in sorted(value.parameters, key=lambda p: p.name):
        try:
            terms.append((str(p.name), _real(value.gradient(p), path)))
        except TypeError:
            raise AqoError(
                [(path, f"parameter expression {value} is not affine (a*x + b*y + c)")]
            ) from None
    offset = _real(value.bind({p: 0 for p in value.parameters}), path)
    return affine(terms, offset)


def _real(value: Any, path: str) -> float:
    number = complex(value)
    if number.imag:
        raise AqoError([(path, f"parameter value {value} is not real")])
    return float(number.real)


def from_qiskit(circuit: QuantumCircuit, metadata: dict[str, Any] | None = None) -> Circuit:
    """Convert a Qiskit circuit whose gates are among :data:`GATE_NAMES` to AQO.

    Qubits and clbits are numbered by their flat index in ``circuit``; multiple classical
    registers are concatenated in declaration order (the first register holds clbit 0).
    ``if_else`` blocks become conditioned operations (:mod:`eigen_ir.aqo_qiskit_flow`).

    Raises:
        AqoError: an instruction has no AQO form (a ``while`` loop, a gate outside the basis, a
            parameter expression that is not affine, a block that rereads a condition it wrote).
    """
    ops: list[Operation] = []
    names: set[str] = set()

    def emit(
        op: Any, qs: tuple[int, ...], cs: tuple[int, ...], conds: list[Cond | None], path: str
    ) -> None:
        aqo_name = _TO_AQO.get(op.name)
        if aqo_name is None:
            raise AqoError([(path, f"instruction {op.name!r} is not in the AQO basis")])
        params = tuple(_param_out(p, f"{path}.params") for p in op.params)
        for p in params:
            if isinstance(p, ParamExpr):
                names.update(p.names)
            elif isinstance(p, str):
                names.add(p)
        if aqo_name == "BARRIER" and not qs:
            return
        for cond in conds:
            ops.append(Operation(aqo_name, qs, cs if aqo_name == "MEASURE" else (), params, cond))

    flatten(circuit, emit)
    meta = dict(metadata or {})
    return Circuit(circuit.num_qubits, circuit.num_clbits, tuple(ops), tuple(sorted(names)), meta)


def to_qiskit(aqo: Circuit, values: dict[str, float] | None = None) -> QuantumCircuit:
    """Build a Qiskit circuit from AQO, with one register ``q`` and one register ``c``.

    Symbolic parameters become :class:`qiskit.circuit.Parameter` unless bound in ``values``
    (an affine :class:`ParamExpr` becomes the same expression of them). A ``cond`` becomes an
    ``if_test`` on a classical expression (AND of per-bit tests, negated for ``!=``), so the
    counts of the result keep one unbroken bitstring of width ``aqo.clbits``.
    """
    qreg = QuantumRegister(aqo.qubits, "q")
    qc = (
        QuantumCircuit(qreg, ClassicalRegister(aqo.clbits, "c"))
        if aqo.clbits
        else QuantumCircuit(qreg)
    )
    symbols = {n: Parameter(n) for n in aqo.parameters}
    bound = values or {}

    def param(p: Param) -> Any:
        if isinstance(p, ParamExpr):
            out: Any = p.offset
            for name, coefficient in p.terms:
                out = out + coefficient * param(name)
            return out
        if isinstance(p, str):
            return bound[p] if p in bound else symbols[p]
        return p

    def apply(o: Operation) -> None:
        qs = [qc.qubits[i] for i in o.q]
        if o.op == "MEASURE":
            qc.measure(qs, [qc.clbits[i] for i in o.c])
        elif o.op == "RESET":
            for qb in qs:
                qc.reset(qb)
        elif o.op == "BARRIER":
            qc.barrier(*qs)
        else:
            qc.append(_FROM_AQO[o.op](*[param(p) for p in o.params]), qs)

    qubits, clbits = qc.qubits, qc.clbits
    measure, reset = Measure(), Reset()
    for o in aqo.operations:
        if o.cond is None:
            # Fast path (Qiskit's documented ``_append``): ``aqo.parse`` already validated
            # indices and arities, so append's broadcasting and checks (≈70 % of the time
            # for a 7,500-operation circuit) are skipped.
            if o.op == "MEASURE":
                for qi, ci in zip(o.q, o.c, strict=True):
                    qc._append(CircuitInstruction(measure, (qubits[qi],), (clbits[ci],)))
            elif o.op == "RESET":
                for qi in o.q:
                    qc._append(CircuitInstruction(reset, (qubits[qi],), ()))
            elif o.op == "BARRIER":
                qc._append(CircuitInstruction(Barrier(len(o.q)), [qubits[i] for i in o.q], ()))
            else:
                gate = _FROM_AQO[o.op](*[param(p) for p in o.params])
                qc._append(CircuitInstruction(gate, tuple(qubits[i] for i in o.q), ()))
            continue
        with qc.if_test(qiskit_condition(cond_expr(o.cond), clbits)):
            apply(o)
    return qc
