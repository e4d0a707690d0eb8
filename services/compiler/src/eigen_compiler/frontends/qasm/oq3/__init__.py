"""OpenQASM 3 programs beyond Qiskit's importer: the ``openqasm3`` AST lowered to a circuit.

:func:`lower` interprets a parsed program (:mod:`.interp`): classical types (``bit``, ``bool``,
``int``, ``uint``, ``float``, ``angle``), ``const``, casts, ``def`` subroutines, ``for``/``while``/
``switch`` and ``if`` on known values run when compiling; conditions on measurements become
``if_else`` blocks (AQO ``cond``), a ``while`` on a measurement a bounded run of such blocks,
a measured angle conditioned gates. What cannot run is a ``qasm3-unsupported`` diagnostic with
the construct and its line. The result is a Qiskit circuit like the importer's: the pipeline
transpiles it and :func:`eigen_ir.aqo_qiskit.from_qiskit` writes its AQO.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from openqasm3 import ast
from qiskit.circuit import QuantumCircuit

from eigen_common.errors import Diagnostic
from eigen_compiler.frontends.qasm.oq3.emit import build
from eigen_compiler.frontends.qasm.oq3.errors import QasmError
from eigen_compiler.frontends.qasm.oq3.interp import MAX_WHILE_ITERATIONS, Interpreter
from eigen_compiler.model import Limits, fail, source_lines

__all__ = ["MAX_WHILE_ITERATIONS", "Lowered", "lower"]

#: Statements run per allowed gate application (loop bookkeeping costs more than gates).
_STEPS_PER_OPERATION = 4


@dataclass
class Lowered:
    """A lowered program: the circuit and the warnings (bounded loops, scratch clbits, ...)."""

    circuit: QuantumCircuit
    warnings: list[Diagnostic] = field(default_factory=list)


def lower(program: ast.Program, source: str, limits: Limits) -> Lowered:
    """Lower a parsed OpenQASM 3 program.

    Args:
        program: the ``openqasm3.parse`` result.
        source: its text (for diagnostic positions).
        limits: ``max_qasm3_expanded_gates`` bounds the operations emitted (loops unrolled,
            subroutines and gates expanded), four times that the statements run.

    Raises:
        CompilationFailedError: ``qasm3-unsupported``, ``qasm-syntax``, ``numeric-error``,
            ``too-many-operations``, ``too-deep`` or ``too-complex``, positioned.
    """
    lines = source_lines(source)
    budget = min(limits.max_qasm3_expanded_gates, limits.max_operations)
    interp = Interpreter(budget * _STEPS_PER_OPERATION, budget)
    try:
        outputs = interp.run(program)
        circuit, scratch = build(interp.out, interp.num_qubits, interp.slot_conditional, outputs)
    except QasmError as exc:
        line, column = _position(exc.node if exc.node is not None else interp.stmt, lines)
        raise fail([Diagnostic(exc.rule, exc.message, line, column, exc.hint)]) from None
    except RecursionError:
        raise fail([Diagnostic("too-complex", "the program is nested too deeply")]) from None
    warnings = [
        Diagnostic(rule, message, *_position(node, lines), severity="warning")
        for rule, message, node in interp.warnings
    ]
    if scratch:
        width = circuit.num_clbits
        warnings.append(
            Diagnostic(
                "scratch-clbits",
                f"the program needs {scratch} classical bit(s) besides its outputs (measured "
                f"values it overwrites or shifts out); they are the leftmost {scratch} of the "
                f"{width} characters of every bitstring",
                severity="warning",
            )
        )
    return Lowered(circuit, warnings)


def _position(node: Any, lines: list[str]) -> tuple[int, int]:
    """1-based line and column of ``node``.

    The parser's identifier columns can be wrong: a column past the end of its line falls back
    to the line's first non-blank character.
    """
    span = getattr(node, "span", None)
    if span is None:
        return 0, 0
    line = int(span.start_line)
    column = int(span.start_column) + 1
    text = lines[line - 1] if 0 < line <= len(lines) else ""
    if column > len(text) + 1:
        column = len(text) - len(text.lstrip()) + 1
    return line, column
