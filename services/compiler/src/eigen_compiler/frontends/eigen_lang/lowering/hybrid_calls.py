"""Calls of the hybrid library (seed 004): Param, Observable, ansätze, ExpectationValue, minimize.

Arguments bind by Python's rules (positional or keyword, defaults as in ``eigen_lang``); the
values come from :mod:`..hybrid_library`, which bounds every size before building anything.
``minimize`` is allowed once, directly in the program function: it evaluates its cost function
now and records the objective and optimiser settings of the hybrid plan.
"""

from __future__ import annotations

import ast
from typing import Any

from eigen_compiler.frontends.eigen_lang import hybrid_library as hy
from eigen_compiler.frontends.eigen_lang.lowering.context import Parts
from eigen_compiler.frontends.eigen_lang.values import (
    CostFunction,
    CostPoint,
    Expectation,
    MinimizeResult,
    kind,
)

#: ``(parameter names, number required)`` of the hybrid library calls (Python signatures).
_SIGNATURES: dict[str, tuple[tuple[str, ...], int]] = {
    "Param": (("name",), 1),
    "Observable": (("terms", "coeff"), 1),
    "create_ising_model_hamiltonian": (("n_spins", "J", "h", "periodic"), 1),
    "create_hea_ansatz": (("n_qubits", "depth", "entanglement", "rotations"), 1),
    "ExpectationValue": (("circuit_or_ansatz", "observable", "shots"), 2),
    "minimize": (("objective", "initial_guess", "method", "max_iter", "tolerance"), 2),
}
_DEFAULTS: dict[str, Any] = {
    "coeff": None, "J": 1.0, "h": 0.0, "periodic": False, "depth": 1,
    "entanglement": "linear", "rotations": "ry", "shots": None, "method": "cobyla",
    "max_iter": 100, "tolerance": None,
}  # fmt: skip
_HYBRID_HINT = "see SPEC §6: @ansatz, @cost_function, ExpectationValue, minimize"


class HybridLibrary:
    """Evaluates hybrid library calls (implements :class:`.context.HybridCalls`)."""

    def __init__(self, parts: Parts) -> None:
        self.parts = parts
        self.diagnostics = parts.diagnostics
        self.scope = parts.scope
        self.state = parts.state

    def call(self, name: str, node: ast.Call) -> Any:
        """Evaluate a call of the hybrid library to a compile-time value.

        Raises:
            Reject: ``local-only``, ``forbidden-call``, ``misplaced-hybrid``, ``bad-argument``
                and the rules of :mod:`..hybrid_library`.
        """
        hybrid, limits = self.state.hybrid, self.state.limits
        if name in ("get_program_ast", "visualize_circuit"):
            message = f"{name}() is a local-only utility and cannot run in a program"
            hint = 'call it outside the program, e.g. under `if __name__ == "__main__":`'
            self.diagnostics.reject("local-only", message, node, hint)
        if name not in _SIGNATURES:
            message = f"{name}() cannot be called in a program"
            hint = "use it as a decorator" if name in ("ansatz", "cost_function") else ""
            self.diagnostics.reject("forbidden-call", message, node, hint or _HYBRID_HINT)
        if name == "Param" and hybrid.in_ansatz:
            self.parts.hybrid_values.rejects_in_ansatz("Param()", node)
        if name == "minimize":
            hybrid.minimize_failed = True  # until the plan's objective and optimiser are known
        args = self._arguments(name, node)
        with self.diagnostics.located(node):
            if name == "Param":
                return hy.param(args["name"])
            if name == "Observable":
                return hy.observable(args["terms"], args["coeff"], hybrid.budget, limits.max_qubits)
            if name == "create_ising_model_hamiltonian":
                values = (args["n_spins"], args["J"], args["h"], args["periodic"])
                return hy.ising(*values, hybrid.budget, limits.max_qubits)
            if name == "create_hea_ansatz":
                values = (args["n_qubits"], args["depth"], args["entanglement"], args["rotations"])
                return hy.hea(*values, limits.max_qubits, limits.max_operations)
        if name == "ExpectationValue":
            if not hybrid.in_cost:
                message = "ExpectationValue(...) is only allowed as a @cost_function's return"
                self.diagnostics.reject("misplaced-hybrid", message, node, _HYBRID_HINT)
            ansatz = self.parts.hybrid_values.as_ansatz(args["circuit_or_ansatz"], node)
            with self.diagnostics.located(node):
                return hy.expectation(ansatz, args["observable"], args["shots"])
        return self._minimize(args, node)

    def _arguments(self, name: str, node: ast.Call) -> dict[str, Any]:
        """Evaluate a hybrid library call's arguments (positional or keyword, Python rules)."""
        eval_ = self.parts.expressions.eval
        names, required = _SIGNATURES[name]
        if len(node.args) > len(names):
            message = f"{name}() takes at most {len(names)} arguments ({', '.join(names)})"
            self.diagnostics.reject("bad-argument", message, node)
        bound = {n: eval_(a) for n, a in zip(names, node.args, strict=False)}
        for kw in node.keywords:
            if kw.arg not in names or kw.arg in bound:
                message = f"{name}() got an unexpected or repeated argument {kw.arg!r}"
                hint = f"arguments: {', '.join(names)}"
                self.diagnostics.reject("bad-argument", message, kw.value, hint)
            bound[kw.arg] = eval_(kw.value)
        for n in names[:required]:
            if n not in bound:
                self.diagnostics.reject("bad-argument", f"{name}() is missing {n!r}", node)
        return {n: bound.get(n, _DEFAULTS.get(n)) for n in names}

    def _objective(self, cost: CostFunction) -> Expectation:
        """Evaluate a ``@cost_function``'s return expression now (closure semantics)."""
        fn = cost.fn
        ret = fn.body[-1]
        assert isinstance(ret, ast.Return) and ret.value is not None
        point = [*fn.args.posonlyargs, *fn.args.args][0].arg
        assigned = self.state.facts.assigned_names(fn)
        scope: dict[str, Any] = {k: v for k, v in (cost.closure or {}).items() if k not in assigned}
        scope[point] = CostPoint(point)
        hybrid = self.state.hybrid
        hybrid.in_cost = True
        try:
            with self.scope.frame(scope, assigned | {point}):
                value = self.parts.expressions.eval(ret.value)
        finally:
            hybrid.in_cost = False
        if not isinstance(value, Expectation):
            message = f"@cost_function {cost.name!r} must return ExpectationValue(...)"
            hint = f"got {kind(value)}"
            self.diagnostics.reject("invalid-cost-function", message, ret.value, hint)
        return value

    def _minimize(self, args: dict[str, Any], node: ast.Call) -> MinimizeResult:
        """``minimize(objective, initial_guess, method, max_iter, tolerance)`` → the plan."""
        hybrid = self.state.hybrid
        if not hybrid.at_program_level(self.scope, self.state.inlining) or hybrid.in_cost:
            message = "minimize() can only be called in the @hybrid_program function"
            self.diagnostics.reject("misplaced-hybrid", message, node)
        if hybrid.minimize is not None:
            message = "a program calls minimize() once (one plan per program)"
            self.diagnostics.reject("multiple-minimize", message, node, "combine the objectives")
        if hybrid.training is not None:
            message = "a program trains one model or calls minimize() once (one plan per program)"
            self.diagnostics.reject("multiple-plans", message, node)
        objective = args["objective"]
        if not isinstance(objective, CostFunction):
            message = f"objective must be a @cost_function, not {kind(objective)}"
            hint = "decorate it with @cost_function"
            self.diagnostics.reject("invalid-objective", message, node, hint)
        expectation = self._objective(objective)
        seed = self.state.options.get("seed")
        with self.diagnostics.located(node):
            spec = hy.optimizer(
                len(expectation.ansatz.parameters),
                args["initial_guess"],
                args["method"],
                args["max_iter"],
                args["tolerance"],
                seed if isinstance(seed, int) else None,
            )
        hybrid.minimize, hybrid.minimize_failed = (expectation, spec), False
        return MinimizeResult()
