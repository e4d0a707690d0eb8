"""Shared state of the OpenQASM 3 lowering's parts (:class:`~.interp.Interpreter`'s mixins).

:class:`State` holds what every part reads (scopes, the run-time ``level``, the operations
emitted, the limits) and declares the operations one part asks of another. The loop and
program signals are exceptions raised by ``break``, ``continue``, ``end`` and ``return``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any

from openqasm3 import ast
from qiskit.circuit import Gate, Parameter

from eigen_compiler.frontends.qasm.oq3.emit import Node, Output, Prim
from eigen_compiler.frontends.qasm.oq3.errors import QasmError
from eigen_compiler.frontends.qasm.oq3.gates import GateInfo
from eigen_compiler.frontends.qasm.oq3.scope import Qubits, Scopes, Var
from eigen_compiler.frontends.qasm.oq3.values import Ty, Val
from eigen_ir.aqo_conditions import BoolExpr, support

#: Iterations a run-time ``while`` is unrolled to.
MAX_WHILE_ITERATIONS = 64
#: Nested subroutine calls.
MAX_CALL_DEPTH = 64


class BreakLoop(Exception):
    """``break``: leave the innermost compile-time loop."""


class ContinueLoop(Exception):
    """``continue``: the next iteration of the innermost compile-time loop."""


class EndProgram(Exception):
    """``end``: stop the program."""


class ReturnValue(Exception):
    """``return``: leave the subroutine with ``value``."""

    def __init__(self, value: Val | None) -> None:
        super().__init__()
        self.value = value


@dataclass
class CallFrame:
    """A subroutine being expanded.

    ``level`` is the run-time level of the call; the local ``returned`` is written straight
    into the caller's variable ``target`` (None: returned by value).
    """

    level: int
    returned: str | None = None
    target: Var | None = None


@dataclass
class Watch:
    """A run-time block being lowered.

    The slots its condition reads, those written since, and the qubits of the measurements that
    wrote them (the block may not use those qubits or slots afterwards).
    """

    reads: frozenset[int]
    where: Any
    written_by: frozenset[int] = frozenset()
    written: frozenset[int] = frozenset()


class State(ABC):
    """What every part of the interpreter shares; see the module docstring."""

    def __init__(self, max_steps: int, max_operations: int) -> None:
        self.scopes = Scopes()
        self.inputs: dict[str, Parameter] = {}
        self.level = 0
        self.out: list[Node] = []
        self.num_qubits = 0
        self.slot_conditional: list[bool] = []
        self.warnings: list[tuple[str, str, Any]] = []
        self.stmt: Any = None
        self.std = False
        self.phase_sink: list[Any] | None = None
        self.definitions: dict[Any, Gate] = {}
        self.steps = 0
        self.max_steps = max_steps
        self.ops = 0
        self.max_operations = max_operations
        self.calls: list[CallFrame] = []
        self.loops: list[int] = []
        self.watches: list[Watch] = []
        self.guards: list[BoolExpr] = []
        self.in_gate = 0

    def warn(self, rule: str, message: str, node: Any) -> None:
        """Record a warning (once per message)."""
        if not any(w[1] == message for w in self.warnings):
            self.warnings.append((rule, message, node if node is not None else self.stmt))

    def tick(self) -> None:
        """Count one step against the step limit."""
        self.steps += 1
        if self.steps > self.max_steps:
            raise QasmError(
                "too-many-operations",
                f"lowering the program takes more than {self.max_steps} steps (statements run, "
                "loops unrolled)",
                hint="use fewer loop iterations",
            )

    def budget_left(self) -> int:
        """Operations that may still be emitted."""
        return max(self.max_operations - self.ops, 0)

    def emit(self, node: Node) -> None:
        """Append an operation or block (counted against the operation limit)."""
        self.ops += 1
        if self.ops > self.max_operations:
            raise QasmError(
                "too-many-operations",
                f"the program expands to more than {self.max_operations} operations",
                hint="use fewer loop iterations or a smaller circuit",
            )
        self.check_watches(node)
        self.out.append(node)

    def block(self, statements: list[Any]) -> None:
        """Run ``statements`` in a new scope."""
        self.scopes.push()
        try:
            for statement in statements:
                self.statement(statement)
        finally:
            self.scopes.pop()

    @abstractmethod
    def statement(self, node: Any) -> None:
        """See :meth:`~.interp.Interpreter.statement`."""

    @abstractmethod
    def ev(self, node: Any) -> Val:
        """See :meth:`~.exprs.Expressions.ev`."""

    @abstractmethod
    def integer(self, node: Any) -> int:
        """See :meth:`~.exprs.Expressions.integer`."""

    @abstractmethod
    def positions(self, index: Any, size: int, node: Any) -> tuple[list[int], bool]:
        """See :meth:`~.exprs.Expressions.positions`."""

    @abstractmethod
    def unary(self, op: str, v: Val, node: Any) -> Val:
        """See :meth:`~.operators.Operators.unary`."""

    @abstractmethod
    def binary(self, op: str, a: Val, b: Val, node: Any) -> Val:
        """See :meth:`~.operators.Operators.binary`."""

    @abstractmethod
    def arithmetic(self, op: str, a: Val, b: Val, node: Any) -> Val:
        """See :meth:`~.operators.Operators.arithmetic`."""

    @abstractmethod
    def integer_val(self, v: Val, node: Any) -> int:
        """See :meth:`~.operators.Operators.integer_val`."""

    @abstractmethod
    def qubits_of(self, node: Any) -> Qubits:
        """See :meth:`~.quantum.Quantum.qubits_of`."""

    @abstractmethod
    def measure_into(self, var: Var, where: list[int], qubit_node: Any, node: Any) -> None:
        """See :meth:`~.quantum.Quantum.measure_into`."""

    @abstractmethod
    def measure_value(self, node: ast.QuantumMeasurement) -> Val:
        """See :meth:`~.quantum.Quantum.measure_value`."""

    @abstractmethod
    def call(
        self, node: ast.FunctionCall, returned: str | None = None, target: Var | None = None
    ) -> Val:
        """See :meth:`~.calls.Calls.call`."""

    @abstractmethod
    def returned_local(self, call: ast.FunctionCall, target: Var) -> str | None:
        """See :meth:`~.calls.Calls.returned_local`."""

    @abstractmethod
    def ty(self, node: Any) -> Ty:
        """See :meth:`~.classical.Classical.ty`."""

    @abstractmethod
    def check_watches(self, node: Node) -> None:
        """See :meth:`~.flow.Flow.check_watches`."""

    @abstractmethod
    def run_gate_body(self, gnode: Any, args: list[Val], qs: tuple[int, ...], node: Any) -> None:
        """See :meth:`~.calls.Calls.run_gate_body`."""

    @abstractmethod
    def capture_gate(
        self, gnode: Any, args: list[Val], qs: tuple[int, ...], node: Any
    ) -> list[Node]:
        """See :meth:`~.calls.Calls.capture_gate`."""

    @abstractmethod
    def gate_info(self, name: str, symbol: Any, node: Any) -> GateInfo | None:
        """See :meth:`~.quantum.Quantum.gate_info`."""

    @abstractmethod
    def condition(self, node: Any) -> bool | BoolExpr:
        """See :meth:`~.flow.Flow.condition`."""

    @abstractmethod
    def outputs(self) -> list[Output]:
        """See :meth:`~.classical.Classical.outputs`."""

    @abstractmethod
    def index_val(self, var: Var, where: list[int]) -> Val:
        """See :meth:`~.classical.Classical.index_val`."""

    @abstractmethod
    def write(self, var: Var, value: Val, node: Any, where: list[int] | None = None) -> None:
        """See :meth:`~.classical.Classical.write`."""


def describe(node: Any) -> str:
    """A statement's name in a message."""
    names = {
        "DelayInstruction": "delay (AQO has no timing)",
        "CalibrationGrammarDeclaration": "pulse-level calibration (defcalgrammar)",
        "CalibrationStatement": "pulse-level calibration (cal)",
        "CalibrationDefinition": "pulse-level calibration (defcal)",
        "BreakStatement": "break",
        "ContinueStatement": "continue",
    }
    name = type(node).__name__
    return names.get(name, f"the statement {name}")


def line_of(node: Any) -> int:
    """The 1-based line of ``node`` (0 if unknown)."""
    span = getattr(node, "span", None)
    return int(span.start_line) if span is not None else 0


def touches(node: Node) -> tuple[set[int], set[int], set[int]]:
    """Qubits, written slots and read slots of a node (blocks: everything inside)."""
    if isinstance(node, Prim):
        return set(node.qubits), set(node.slots), set()
    qubits: set[int] = set()
    writes: set[int] = set()
    reads: set[int] = set(support(node.cond))
    for inner in (*node.then, *node.orelse):
        q, w, r = touches(inner)
        qubits |= q
        writes |= w
        reads |= r
    return qubits, writes, reads
