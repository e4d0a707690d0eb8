"""Checks of a parsed OpenQASM circuit before it is transpiled: sizes, expansion, angles."""

from __future__ import annotations

import math

from qiskit.circuit import ControlFlowOp, Instruction, QuantumCircuit

from eigen_common.errors import Diagnostic
from eigen_compiler.model import Limits, fail
from eigen_ir.aqo_qiskit import BASIS_GATES

_DIRECT = frozenset({"measure", "reset", "barrier", "delay", *BASIS_GATES})


def check_circuit(circuit: QuantumCircuit, limits: Limits) -> None:
    """Check a parsed circuit's qubits, clbits, expanded size and angles.

    Raises:
        CompilationFailedError: ``too-many-qubits``, ``too-many-clbits``,
            ``too-many-operations``, ``too-complex`` or ``numeric-error`` (an angle that is not
            finite, e.g. ``rx(9^9^9)``).
    """
    for count, limit, what in (
        (circuit.num_qubits, limits.max_qubits, "qubits"),
        (circuit.num_clbits, limits.max_clbits, "clbits"),
    ):
        if count > limit:
            message = f"the program uses {count} {what}; the limit is {limit}"
            raise fail([Diagnostic(f"too-many-{what}", message)])
    check_expanded_size(circuit, limits.max_operations)
    for index, inst in enumerate(circuit.data):
        for value in inst.operation.params:
            if isinstance(value, float | int) and not math.isfinite(value):
                qubits = [circuit.find_bit(q).index for q in inst.qubits]
                message = (
                    f"operation {index} ({inst.operation.name} on qubits {qubits}) has a "
                    f"parameter that is not finite ({value})"
                )
                raise fail([Diagnostic("numeric-error", message, hint="use finite angles")])


def check_expanded_size(circuit: QuantumCircuit, limit: int) -> int:
    """Count operations after expanding gate definitions, stopping past ``limit``.

    Custom ``gate`` definitions can nest exponentially (each calling the previous one twice);
    this catches that before the transpiler tries to expand them.

    Returns:
        The expanded operation count (<= ``limit``).

    Raises:
        CompilationFailedError: rule ``too-many-operations`` or ``too-complex``.
    """
    memo: dict[tuple[str, int, int], int] = {}

    def op_size(op: Instruction) -> int:
        if isinstance(op, ControlFlowOp):
            return 1 + sum(block_size(b) for b in op.blocks)
        if op.name in _DIRECT:
            return 1
        key = (op.name, op.num_qubits, op.num_clbits)
        if key not in memo:  # before ``definition``: loaders build it lazily, per application
            definition = op.definition
            memo[key] = 1 if definition is None else block_size(definition)
        return memo[key]

    def block_size(qc: QuantumCircuit) -> int:
        total = 0
        for inst in qc.data:
            total += op_size(inst.operation)
            if total > limit:
                break
        return total

    try:
        total = block_size(circuit)
    except RecursionError:
        raise fail([Diagnostic("too-complex", "gate definitions are nested too deeply")]) from None
    if total > limit:
        raise fail(
            [
                Diagnostic(
                    "too-many-operations",
                    f"the expanded circuit has more than {limit} operations",
                    hint="reduce the circuit size",
                )
            ]
        )
    return total
