"""Conversion between AQO v0.1 and Qiskit ``QuantumCircuit`` (both directions).

Used by the compiler (Qiskit → AQO after transpiling to :data:`BASIS_GATES`) and by the Aer
driver (AQO → Qiskit). Bit order is Qiskit's: clbit 0 is the rightmost bit of a counts key.
Imports Qiskit, so only services that need it import this module.
"""

from __future__ import annotations

from typing import Any

from qiskit.circuit import (
    Barrier,
    CircuitInstruction,
    ClassicalRegister,
    Clbit,
    IfElseOp,
    Measure,
    Parameter,
    ParameterExpression,
    QuantumCircuit,
    QuantumRegister,
    Reset,
)
from qiskit.circuit import library as lib
from qiskit.circuit.classical import expr

from eigen_ir.aqo import GATES, AqoError, Circuit, Operation, Param

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
    "CCX": lib.CCXGate,
    "CSWAP": lib.CSwapGate,
}

#: Gate names a Qiskit pass manager must target so that its output converts to AQO
#: (``if_else`` stays as control flow and becomes ``cond``).
BASIS_GATES: list[str] = sorted(set(_TO_AQO) - {"measure", "reset", "barrier"})
assert set(_TO_AQO.values()) == set(GATES), "AQO gate table and Qiskit mapping disagree"


def _param_out(value: Any, path: str) -> Param:
    if isinstance(value, ParameterExpression):
        if value.parameters and isinstance(value, Parameter):
            return str(value.name)
        if not value.parameters:
            return float(value)
        raise AqoError([(path, f"parameter expression {value} is not a plain parameter name")])
    return float(value)


def _cond_out(cond: Any, circuit: QuantumCircuit, path: str) -> tuple[tuple[int, ...], int]:
    if not isinstance(cond, tuple) or len(cond) != 2:
        raise AqoError([(path, "only `register == value` conditions are supported in AQO v0.1")])
    target, value = cond
    bits = [target] if isinstance(target, Clbit) else list(target)
    return tuple(circuit.find_bit(b).index for b in bits), int(value)


def from_qiskit(circuit: QuantumCircuit, metadata: dict[str, Any] | None = None) -> Circuit:
    """Convert a Qiskit circuit already in :data:`BASIS_GATES` to AQO.

    Qubits and clbits are numbered by their flat index in ``circuit``; multiple classical
    registers are concatenated in declaration order (the first register holds clbit 0).

    Raises:
        AqoError: an instruction has no AQO form (e.g. an ``else`` branch, a ``while`` loop,
            a gate outside the basis, a parameter expression like ``2*theta``).
    """
    ops: list[Operation] = []
    names: set[str] = set()

    def emit(inst: Any, qmap: list[int], cmap: list[int], cond: Any, path: str) -> None:
        op = inst.operation
        qs = tuple(qmap[circuit_like.find_bit(b).index] for b in inst.qubits)
        cs = tuple(cmap[circuit_like.find_bit(b).index] for b in inst.clbits)
        if isinstance(op, IfElseOp):
            if cond is not None:
                raise AqoError([(path, "nested classical conditions are not supported")])
            true_body, false_body = op.blocks[0], op.blocks[1] if len(op.blocks) > 1 else None
            if false_body is not None and len(false_body.data):
                raise AqoError([(path, "`else` branches are not supported in AQO v0.1")])
            c = _cond_out(op.condition, circuit, path)
            inner_q = list(qs)
            inner_c = list(cs)
            for k, sub in enumerate(true_body.data):
                sub_q = tuple(inner_q[true_body.find_bit(b).index] for b in sub.qubits)
                sub_c = tuple(inner_c[true_body.find_bit(b).index] for b in sub.clbits)
                _emit_plain(sub.operation, sub_q, sub_c, c, f"{path}.body[{k}]")
            return
        _emit_plain(op, qs, cs, cond, path)

    def _emit_plain(
        op: Any, qs: tuple[int, ...], cs: tuple[int, ...], cond: Any, path: str
    ) -> None:
        aqo_name = _TO_AQO.get(op.name)
        if aqo_name is None:
            raise AqoError([(path, f"instruction {op.name!r} is not in the AQO basis")])
        params = tuple(_param_out(p, f"{path}.params") for p in op.params)
        names.update(p for p in params if isinstance(p, str))
        if aqo_name == "BARRIER" and not qs:
            return
        ops.append(Operation(aqo_name, qs, cs if aqo_name == "MEASURE" else (), params, cond))

    circuit_like = circuit
    ident_q = list(range(circuit.num_qubits))
    ident_c = list(range(circuit.num_clbits))
    for i, inst in enumerate(circuit.data):
        emit(inst, ident_q, ident_c, None, f"operations[{i}]")
    meta = dict(metadata or {})
    return Circuit(circuit.num_qubits, circuit.num_clbits, tuple(ops), tuple(sorted(names)), meta)


def to_qiskit(aqo: Circuit, values: dict[str, float] | None = None) -> QuantumCircuit:
    """Build a Qiskit circuit from AQO, with one register ``q`` and one register ``c``.

    Symbolic parameters become :class:`qiskit.circuit.Parameter` unless bound in ``values``.
    A ``cond`` becomes an ``if_test`` on a classical expression (AND of per-bit tests), so the
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
        bits, value = o.cond
        cond: Any = None
        for k, b in enumerate(bits):
            term: Any = expr.lift(qc.clbits[b])
            if not (value >> k) & 1:
                term = expr.logic_not(term)
            cond = term if cond is None else expr.logic_and(cond, term)
        with qc.if_test(cond):
            apply(o)
    return qc
