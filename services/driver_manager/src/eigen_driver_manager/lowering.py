"""Rewrite AQO operations a backend does not run natively into exact equivalents it does.

Pure AQO → AQO (no Qiskit), so any driver can use it. Qiskit Aer, for instance, has no ``ch``
gate at all, and its ``matrix_product_state`` / ``density_matrix`` methods lack ``crx``/``cry``/
``crz`` (and ``cswap`` for density matrices); rewriting these few ops costs microseconds where a
transpiler pass costs milliseconds. Each rule is an exact identity (same unitary, no global phase
difference), and a ``cond`` is copied to every emitted op (the emitted ops are gates, so they do not
change the clbits the condition reads).
"""

from __future__ import annotations

from collections.abc import Callable, Set

from eigen_ir.aqo import Circuit, Operation

_Rule = Callable[[Operation], list[Operation]]


def _num(op: Operation) -> float:
    value = op.params[0]
    if isinstance(value, str):
        raise ValueError(f"{op.op} with symbolic parameter {value!r} must be bound before lowering")
    return float(value)


def _g(name: str, q: tuple[int, ...], *params: float) -> Operation:
    return Operation(name, q, (), tuple(params))


def _ch(op: Operation) -> list[Operation]:
    c, t = op.q
    return [
        _g("S", (t,)),
        _g("H", (t,)),
        _g("T", (t,)),
        _g("CX", (c, t)),
        _g("TDG", (t,)),
        _g("H", (t,)),
        _g("SDG", (t,)),
    ]


def _crz(op: Operation) -> list[Operation]:
    c, t = op.q
    th = _num(op)
    return [_g("RZ", (t,), th / 2), _g("CX", (c, t)), _g("RZ", (t,), -th / 2), _g("CX", (c, t))]


def _cry(op: Operation) -> list[Operation]:
    c, t = op.q
    th = _num(op)
    return [_g("RY", (t,), th / 2), _g("CX", (c, t)), _g("RY", (t,), -th / 2), _g("CX", (c, t))]


def _crx(op: Operation) -> list[Operation]:
    t = op.q[1]
    return [_g("H", (t,)), *_crz(op), _g("H", (t,))]


def _cswap(op: Operation) -> list[Operation]:
    c, a, b = op.q
    return [_g("CX", (b, a)), _g("CCX", (c, a, b)), _g("CX", (b, a))]


#: AQO op → exact rewrite into other AQO ops (H, S, SDG, T, TDG, RY, RZ, CX, CCX).
RULES: dict[str, _Rule] = {"CH": _ch, "CRX": _crx, "CRY": _cry, "CRZ": _crz, "CSWAP": _cswap}

#: Ops that are never rewritten (not gates).
_NON_GATES = frozenset({"MEASURE", "RESET", "BARRIER"})


def needs_lowering(circuit: Circuit, native: Set[str]) -> bool:
    """Return True when ``circuit`` has a gate outside ``native`` (AQO op names)."""
    return any(o.op not in native and o.op not in _NON_GATES for o in circuit.operations)


def lower(circuit: Circuit, native: Set[str]) -> Circuit:
    """Return ``circuit`` with every gate outside ``native`` rewritten by :data:`RULES`.

    Args:
        circuit: a circuit whose rewritten gates have numeric parameters (bind first).
        native: AQO op names the backend runs; must include the ops the rules emit.

    Returns:
        ``circuit`` itself when nothing needs rewriting, else a new circuit.

    Raises:
        ValueError: a gate is not native and has no rule, or a rule's output is not native, or a
            rewritten gate still has a symbolic parameter.
    """
    if not needs_lowering(circuit, native):
        return circuit
    out: list[Operation] = []
    for op in circuit.operations:
        if op.op in native or op.op in _NON_GATES:
            out.append(op)
            continue
        rule = RULES.get(op.op)
        if rule is None:
            raise ValueError(f"gate {op.op} is not supported by this device")
        for new in rule(op):
            if new.op not in native:
                raise ValueError(f"lowering {op.op} needs {new.op}, which the device lacks")
            out.append(Operation(new.op, new.q, new.c, new.params, op.cond))
    return Circuit(circuit.qubits, circuit.clbits, tuple(out), circuit.parameters, circuit.metadata)
