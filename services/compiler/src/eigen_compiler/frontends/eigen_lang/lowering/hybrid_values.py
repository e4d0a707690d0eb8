"""Hybrid values of seed 004: ``@ansatz`` / ``@cost_function`` functions, ansätze, attributes.

An ``@ansatz`` (one argument, the parameter vector: ``theta[k]`` is the AQO parameter
``theta[k]``) is lowered once, at its first use, in a circuit of its own; names in its body
resolve at that time (closure semantics). A ``@cost_function`` (one argument; its body is
``return ExpectationValue(...)``) is evaluated when ``minimize`` lowers it (:mod:`.hybrid_calls`).
"""

from __future__ import annotations

import ast
from typing import Any, NoReturn

from eigen_compiler.frontends.eigen_lang import hybrid_library as hy
from eigen_compiler.frontends.eigen_lang import qml_library as ql
from eigen_compiler.frontends.eigen_lang.circuit import CircuitBuilder
from eigen_compiler.frontends.eigen_lang.diagnostics import Silent
from eigen_compiler.frontends.eigen_lang.lowering.context import Parts
from eigen_compiler.frontends.eigen_lang.problem import Problem
from eigen_compiler.frontends.eigen_lang.syntax import first_parameter, is_docstring, snippet
from eigen_compiler.frontends.eigen_lang.values import (
    AnsatzFunction,
    AnsatzValue,
    CostFunction,
    DatasetValue,
    MinimizeResult,
    ModelValue,
    ObservableValue,
    ParamRef,
    ParamVector,
    ResultField,
    ResultMethod,
    TaskMethod,
    TaskValue,
    TrainingResultValue,
    kind,
)
from eigen_ir.hybrid import MAX_PARAMETERS

_TOLIST = ("optimal_parameters", "tolist")


class HybridFunctions:
    """Ansätze and cost functions as values (implements :class:`.context.HybridValues`)."""

    def __init__(self, parts: Parts) -> None:
        self.parts = parts
        self.diagnostics = parts.diagnostics
        self.scope = parts.scope
        self.state = parts.state

    def nested_function(self, stmt: ast.FunctionDef) -> None:
        """A nested ``@ansatz`` / ``@cost_function``: a value whose names resolve later."""
        hybrid = self.state.hybrid
        if not hybrid.at_program_level(self.scope, self.state.inlining):
            message = f"nested function {stmt.name!r} must be in the @hybrid_program function"
            self.diagnostics.reject(
                "unsupported-construct", message, stmt, "define it at module level"
            )
        if not stmt.decorator_list:
            message = f"nested function {stmt.name!r} must be an @ansatz or a @cost_function"
            hint = "define helpers at module level"
            self.diagnostics.reject("unsupported-construct", message, stmt, hint)
        decorator = self.parts.declarations.function_decorator(stmt)
        if not isinstance(decorator, str) or decorator == "quantum_circuit":
            message = f"nested function {stmt.name!r} must be an @ansatz or a @cost_function"
            self.diagnostics.reject(
                "unsupported-construct", message, stmt, "define it at module level"
            )
        self.scope.check_name(stmt.name, stmt)
        scope = hybrid.program_locals
        assert scope is not None
        scope[stmt.name] = self.function_value(stmt, decorator, scope)

    def function_value(
        self, fn: ast.FunctionDef, kind_: str, closure: dict[str, Any] | None
    ) -> AnsatzFunction | CostFunction:
        """Check the shape of an ``@ansatz`` / ``@cost_function`` and wrap it as a value."""
        rule = "invalid-ansatz" if kind_ == "ansatz" else "invalid-cost-function"
        a = fn.args
        if a.vararg or a.kwarg or a.kwonlyargs or a.defaults or len(a.posonlyargs + a.args) != 1:
            what = "the parameter vector" if kind_ == "ansatz" else "the point"
            message = f"@{kind_} {fn.name!r} takes exactly one argument ({what})"
            self.diagnostics.reject(rule, message, fn)
        if kind_ == "ansatz":
            return AnsatzFunction(fn.name, fn, closure)
        body = fn.body[1:] if fn.body and is_docstring(fn.body[0]) else fn.body
        if len(body) != 1 or not isinstance(body[0], ast.Return) or body[0].value is None:
            where = body[0] if body else fn
            message = f"@cost_function {fn.name!r} must be `return ExpectationValue(...)` only"
            hint = "an optional docstring, then one return"
            self.diagnostics.reject(rule, message, where, hint)
        return CostFunction(fn.name, fn, closure)

    def attribute(self, base: Any, node: ast.Attribute) -> Any:
        """Readable attributes of hybrid values (``ansatz.num_params``, ``result.success``)."""
        name = node.attr
        if isinstance(base, AnsatzFunction):
            base = self._lower(base, node)
        if isinstance(base, AnsatzValue):
            return hy.ansatz_attribute(base, name)
        if isinstance(base, ObservableValue):
            return hy.observable_attribute(base, name)
        if isinstance(base, MinimizeResult) and name in hy.RESULT_FIELDS:
            return ResultField(name)
        if isinstance(base, TaskValue) and name == "fit":
            return TaskMethod(base)
        if isinstance(base, DatasetValue | ModelValue | TaskValue | TrainingResultValue):
            with self.diagnostics.located(node):
                return ql.attribute(base, name)
        if isinstance(base, ResultField) and (base.field, name) == _TOLIST:
            return ResultMethod(base.field)
        if isinstance(base, MinimizeResult):
            hint = f"readable: {', '.join(hy.RESULT_FIELDS)}"
            message = f"the minimize() result has no {name!r}"
            self.diagnostics.reject("unknown-name", message, node, hint)
        message = f"attribute access {snippet(node)!r} is not supported"
        self.diagnostics.reject("unsupported-expression", message, node)

    def vector_item(self, vector: ParamVector, index: int, node: ast.Subscript) -> ParamRef:
        """``theta[k]`` inside an ``@ansatz``: the AQO parameter ``theta[k]``."""
        if not 0 <= index < MAX_PARAMETERS:
            message = f"parameter index {index} must be in 0..{MAX_PARAMETERS - 1}"
            self.diagnostics.reject("bad-argument", message, node.slice)
        uses = self.state.hybrid.vector_uses.get(vector.name)
        if uses is None:
            message = f"{vector.name!r} is only usable inside its @ansatz"
            self.diagnostics.reject("invalid-ansatz", message, node)
        uses.add(index)
        return ParamRef(f"{vector.name}[{index}]")

    def rejects_in_ansatz(self, what: str, node: ast.AST) -> NoReturn:
        """Reject ``what`` (an instruction or ``Param()``) inside an ``@ansatz``."""
        message = f"{what} is not allowed in an @ansatz (the observable defines the measurement)"
        if what.startswith("Param"):
            message = "Param() is not allowed in an @ansatz; use its parameter vector"
        self.diagnostics.reject("invalid-ansatz", message, node, "apply unitary gates only")

    def as_ansatz(self, value: Any, node: ast.AST) -> AnsatzValue:
        """``value`` (an ``@ansatz`` function or a built ansatz) as a lowered ansatz."""
        if isinstance(value, AnsatzFunction):
            return self._lower(value, node)
        if isinstance(value, AnsatzValue):
            return value
        message = f"circuit_or_ansatz must be an Ansatz or an @ansatz function, not {kind(value)}"
        hint = "create_hea_ansatz(...) or an @ansatz"
        self.diagnostics.reject("bad-argument", message, node, hint)

    def _lower(self, value: AnsatzFunction, node: ast.AST) -> AnsatzValue:
        """Lower an ``@ansatz`` body once, at its first use (names resolve at that time).

        Its statements run in a fresh circuit with the parameter vector bound; errors in the
        body are collected once, then every use of the ansatz is abandoned silently.
        """
        state, hybrid = self.state, self.state.hybrid
        if hybrid.in_ansatz or state.builder is None:
            message = f"@ansatz {value.name!r} can only be used in the program function"
            self.diagnostics.reject("misplaced-hybrid", message, node)
        key = id(value.fn)
        if key in hybrid.ansatz_cache:
            cached = hybrid.ansatz_cache[key]
            if cached is None:
                raise Silent
            return cached
        hybrid.ansatz_cache[key] = None
        fn = value.fn
        vector = first_parameter(fn)
        assigned = state.facts.assigned_names(fn)
        scope = {k: v for k, v in (value.closure or {}).items() if k not in assigned}
        scope[vector] = ParamVector(vector)
        saved = (state.builder, hybrid.vector_uses, hybrid.in_cost)
        builder = CircuitBuilder.within(state.limits)
        state.builder = builder
        hybrid.vector_uses, hybrid.in_ansatz, hybrid.in_cost = {vector: set()}, True, False
        errors = self.diagnostics.errors()
        try:
            with self.scope.frame(scope, assigned | {vector}):
                for stmt in fn.body:
                    if isinstance(stmt, ast.Return) and stmt.value is None:
                        continue
                    if isinstance(stmt, ast.Return):
                        self.diagnostics.error("invalid-ansatz", "an @ansatz returns nothing", stmt)
                        continue
                    self.parts.statements.collect(stmt, self.parts.statements.run)
            uses = hybrid.vector_uses[vector]
        finally:
            state.builder, hybrid.vector_uses, hybrid.in_cost = saved
            hybrid.in_ansatz = False
        if self.diagnostics.errors() > errors:
            raise Silent
        try:
            lowered = hy.ansatz_from_ops(builder.num_qubits, builder.ops, vector, uses)
        except Problem as p:
            message = f"@ansatz {value.name!r}: {p.message}"
            self.diagnostics.reject(p.rule, message, fn, p.hint)
        hybrid.ansatz_cache[key] = lowered
        return lowered
