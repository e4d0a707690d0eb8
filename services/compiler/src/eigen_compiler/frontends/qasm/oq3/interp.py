"""The OpenQASM 3 interpreter: runs what is known when compiling, emits the rest as a circuit.

Compile-time control flow (``if``/``for``/``while``/``switch`` on known values, ``def`` calls,
``break``/``continue``/``return``/``end``) is executed: loops are unrolled, subroutines expanded.
A condition on a measured value becomes a run-time :class:`~.emit.Block`; a ``while`` on one runs
as at most :data:`MAX_WHILE_ITERATIONS` conditioned copies of its body (OpenQASM 3 suggests
iteration limits for loops that may not end; a warning says so). Inside a run-time block only
quantum operations, measurements into variables and declarations of the block's own
variables are possible (AQO has no classical assignment).

Every statement executed and every operation emitted counts against the limits (``steps``,
``budget``); subroutine calls nest at most :data:`MAX_CALL_DEPTH` deep.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from openqasm3 import ast

from eigen_compiler.frontends.qasm.oq3.calls import Calls
from eigen_compiler.frontends.qasm.oq3.classical import Classical
from eigen_compiler.frontends.qasm.oq3.emit import Output
from eigen_compiler.frontends.qasm.oq3.errors import QasmError
from eigen_compiler.frontends.qasm.oq3.exprs import Expressions
from eigen_compiler.frontends.qasm.oq3.flow import Flow
from eigen_compiler.frontends.qasm.oq3.operators import Operators
from eigen_compiler.frontends.qasm.oq3.quantum import Quantum
from eigen_compiler.frontends.qasm.oq3.state import (
    MAX_CALL_DEPTH,
    MAX_WHILE_ITERATIONS,
    EndProgram,
    describe,
)
from eigen_ir.aqo_conditions import ConditionTooComplex

__all__ = ["MAX_CALL_DEPTH", "MAX_WHILE_ITERATIONS", "Interpreter"]

_GATE_BODY = (ast.QuantumGate, ast.QuantumPhase, ast.QuantumBarrier, ast.ForInLoop, ast.Box)


class Interpreter(Classical, Flow, Calls, Quantum, Operators, Expressions):
    """Lowers one program.

    :meth:`run` returns its outputs, :attr:`out` the operations and :attr:`warnings` the notes.
    """

    def run(self, program: ast.Program) -> list[Output]:
        """Lower ``program``; returns its classical outputs (the nodes are in :attr:`out`)."""
        try:
            for statement in program.statements:
                self.statement(statement)
        except EndProgram:
            pass
        return self.outputs()

    def statement(self, node: Any) -> None:
        """Lower one statement (counted against the step limit)."""
        self.tick()
        outer, self.stmt = self.stmt, node
        try:
            if self.in_gate and not isinstance(node, _GATE_BODY):
                raise QasmError(
                    "qasm-syntax",
                    f"{type(node).__name__} is not allowed in a gate body (gates, gphase, "
                    "barriers and loops only)",
                    node,
                )
            if getattr(node, "annotations", None):
                self.warn("ignored-annotation", "annotations (`@...`) are ignored", node)
            handler = _HANDLERS.get(type(node))
            if handler is None:
                raise QasmError("qasm3-unsupported", f"{describe(node)} is not supported", node)
            handler(self, node)
        except QasmError as exc:
            if exc.node is None:
                exc.node = node  # the innermost statement that went wrong
            raise
        except ConditionTooComplex as exc:
            raise QasmError("qasm3-unsupported", str(exc), node) from None
        finally:
            self.stmt = outer


_HANDLERS: dict[type, Callable[[Interpreter, Any], None]] = {
    ast.Include: Interpreter.include,
    ast.QubitDeclaration: Interpreter.qubit_declaration,
    ast.ClassicalDeclaration: Interpreter.classical_declaration,
    ast.ConstantDeclaration: Interpreter.constant_declaration,
    ast.IODeclaration: Interpreter.io_declaration,
    ast.ClassicalAssignment: Interpreter.assignment,
    ast.ExpressionStatement: Interpreter.expression_statement,
    ast.QuantumGate: Interpreter.gate_statement,
    ast.QuantumPhase: Interpreter.phase_statement,
    ast.QuantumMeasurementStatement: Interpreter.measurement,
    ast.QuantumReset: Interpreter.reset_statement,
    ast.QuantumBarrier: lambda self, node: self.barrier_statement(node, self.num_qubits),
    ast.BranchingStatement: Interpreter.branch,
    ast.ForInLoop: Interpreter.for_loop,
    ast.WhileLoop: Interpreter.while_loop,
    ast.BreakStatement: Interpreter.jump,
    ast.ContinueStatement: Interpreter.jump,
    ast.EndStatement: Interpreter.end,
    ast.SwitchStatement: Interpreter.switch,
    ast.QuantumGateDefinition: Interpreter.gate_definition,
    ast.SubroutineDefinition: Interpreter.subroutine_definition,
    ast.ExternDeclaration: Interpreter.extern_declaration,
    ast.ReturnStatement: Interpreter.return_statement,
    ast.AliasStatement: Interpreter.alias,
    ast.Box: Interpreter.box,
    ast.CompoundStatement: Interpreter.compound,
    ast.Pragma: Interpreter.pragma,
}
