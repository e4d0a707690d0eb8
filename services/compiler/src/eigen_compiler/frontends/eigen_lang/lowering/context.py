"""What the lowering parts share: mutable state, and the interfaces they call each other by.

Each part of the lowering implements one of the protocols below and reaches the others only
through :class:`Parts`, so no part imports another (the wiring is in :mod:`.lowerer`).
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, NoReturn, Protocol

import numpy as np

from eigen_compiler.frontends.eigen_lang.circuit import CircuitBuilder
from eigen_compiler.frontends.eigen_lang.diagnostics import Diagnostics
from eigen_compiler.frontends.eigen_lang.hybrid_library import TERM_WORK
from eigen_compiler.frontends.eigen_lang.scan import ModuleFacts
from eigen_compiler.frontends.eigen_lang.scope import Scope
from eigen_compiler.frontends.eigen_lang.values import (
    AnsatzFunction,
    AnsatzValue,
    CostFunction,
    Expectation,
    ParamVector,
    TaskMethod,
    TermBudget,
    TrainingResultValue,
)
from eigen_compiler.model import Limits
from eigen_ir.hybrid import OptimizerSpec
from eigen_ir.qml import TrainingPlan

#: A ``@hybrid_program`` function and its decorator options.
Candidate = tuple[ast.FunctionDef, dict[str, int | str]]


@dataclass
class HybridState:
    """Lowering state of hybrid constructs (``@ansatz``, ``@cost_function``, ``minimize``)."""

    program_locals: dict[str, Any] | None = None
    in_ansatz: bool = False
    in_cost: bool = False
    vector_uses: dict[str, set[int]] = field(default_factory=dict)  # active vector → indices
    ansatz_cache: dict[int, AnsatzValue | None] = field(default_factory=dict)  # id(def)
    minimize: tuple[Expectation, OptimizerSpec] | None = None
    minimize_failed: bool = False  # a minimize()/fit() call was rejected (result unknown)
    training: TrainingPlan | None = None  # set by task.fit() (without the program's returns)
    budget: TermBudget = field(default_factory=lambda: TermBudget(TERM_WORK))
    returns: dict[str, dict[str, Any]] = field(default_factory=dict)
    param_names: set[str] = field(default_factory=set)  # Param angles outside ansätze

    @property
    def planned(self) -> bool:
        """The program lowers to a plan (it called ``minimize`` or ``task.fit()``)."""
        return self.minimize is not None or self.training is not None

    def at_program_level(self, scope: Scope, inlining: list[str]) -> bool:
        """True directly in the ``@hybrid_program`` function (not in a helper or an ansatz)."""
        top = self.program_locals is not None and scope.locals is self.program_locals
        return top and not inlining and not self.in_ansatz


@dataclass(eq=False)
class LoweringState:
    """Facts and mutable state of one lowering.

    ``builder`` is the circuit being built (``None`` at module level); ``helpers`` the
    module's ``@quantum_circuit`` functions; ``inlining`` the helpers being inlined, innermost
    last; ``rng`` the program's seeded ``np.random`` stream; ``options`` the decorator options.
    """

    limits: Limits
    inputs: dict[str, float]
    facts: ModuleFacts
    builder: CircuitBuilder | None = None
    helpers: dict[str, ast.FunctionDef] = field(default_factory=dict)
    inlining: list[str] = field(default_factory=list)
    rng: np.random.RandomState | None = None
    options: dict[str, int | str] = field(default_factory=dict)
    hybrid: HybridState = field(default_factory=HybridState)


class Expressions(Protocol):
    """Evaluates expressions to compile-time values (:mod:`.expressions`)."""

    def eval(self, node: ast.expr) -> Any:
        """The value of ``node``."""
        ...


class Statements(Protocol):
    """Runs statements (:mod:`.statements`)."""

    def run(self, stmt: ast.stmt) -> None:
        """Run one statement."""
        ...

    def block(self, body: list[ast.stmt]) -> None:
        """Run statements in order."""
        ...

    def collect(self, stmt: ast.stmt, action: Callable[[Any], None]) -> None:
        """Run ``action(stmt)``, turning a rejection into a diagnostic."""
        ...

    def assign(self, target: ast.expr, value: Any) -> None:
        """Bind ``value`` to an assignment target."""
        ...

    def forbidden(self, stmt: ast.stmt, *, module_level: bool) -> NoReturn:
        """Reject a statement Eigen-Lang does not have."""
        ...


class Calls(Protocol):
    """Evaluates call expressions (:mod:`.calls`)."""

    def call(self, node: ast.Call) -> Any:
        """The value of the call ``node``."""
        ...


class CircuitCalls(Protocol):
    """Registers, gates and instructions (:mod:`.circuit_calls`)."""

    def call(self, name: str, node: ast.Call) -> Any:
        """Apply the library function ``name``."""
        ...


class HybridValues(Protocol):
    """Ansätze, cost functions and their attributes (:mod:`.hybrid_values`)."""

    def nested_function(self, stmt: ast.FunctionDef) -> None:
        """Bind a nested ``@ansatz`` / ``@cost_function``."""
        ...

    def function_value(
        self, fn: ast.FunctionDef, kind: str, closure: dict[str, Any] | None
    ) -> AnsatzFunction | CostFunction:
        """Wrap a decorated hybrid function as a value."""
        ...

    def attribute(self, base: Any, node: ast.Attribute) -> Any:
        """A readable attribute of a hybrid value."""
        ...

    def vector_item(self, vector: ParamVector, index: int, node: ast.Subscript) -> Any:
        """``theta[k]`` inside an ``@ansatz``."""
        ...

    def as_ansatz(self, value: Any, node: ast.AST) -> AnsatzValue:
        """``value`` as a lowered ansatz."""
        ...

    def rejects_in_ansatz(self, what: str, node: ast.AST) -> NoReturn:
        """Reject ``what`` inside an ``@ansatz``."""
        ...


class HybridCalls(Protocol):
    """Calls of the hybrid library (:mod:`.hybrid_calls`)."""

    def call(self, name: str, node: ast.Call) -> Any:
        """The value of the hybrid library call ``name``."""
        ...


class QmlCalls(Protocol):
    """Calls of the QML constructs and ``task.fit()`` (:mod:`.qml_calls`)."""

    def call(self, name: str, node: ast.Call) -> Any:
        """The value of the QML library call ``name``."""
        ...

    def fit(self, method: TaskMethod, node: ast.Call) -> TrainingResultValue:
        """Record the task's training plan."""
        ...


class Declarations(Protocol):
    """Module-level statements and decorators (:mod:`.declarations`)."""

    def module(self, tree: ast.Module) -> list[Candidate]:
        """Run the module's top-level statements; return the ``@hybrid_program`` functions."""
        ...

    def function_decorator(self, fn: ast.FunctionDef) -> dict[str, int | str] | str:
        """Options of a ``@hybrid_program``, else the helper decorator's name."""
        ...


class WorkBudget(Protocol):
    """Work estimates and the executed-statement count (:mod:`.budget`)."""

    def step(self, stmt: ast.stmt) -> None:
        """Count one executed statement."""
        ...

    def before_loop(self, stmt: ast.For, iterations: int) -> None:
        """Reject a loop whose unrolled work would exceed the limit."""
        ...

    def before_inline(self, name: str, node: ast.Call) -> None:
        """Reject an inlining whose work would exceed the limit."""
        ...


class Parts:
    """The parts of one lowering; :mod:`.lowerer` creates them and fills this in."""

    diagnostics: Diagnostics
    scope: Scope
    state: LoweringState
    budget: WorkBudget
    expressions: Expressions
    statements: Statements
    calls: Calls
    circuit: CircuitCalls
    hybrid_values: HybridValues
    hybrid_calls: HybridCalls
    qml: QmlCalls
    declarations: Declarations
