"""The ``@hybrid_program`` function: selection, parameters, body, and what it lowers to.

Entrypoint parameters are compile-time constants: their default, or the job's ``inputs``
value. A straight-line program lowers to one AQO circuit; a program that calls ``minimize``
lowers to a :class:`~eigen_ir.hybrid.HybridPlan` around its ansatz circuit, and its final
``return {...}`` names the result fields the plan reports.
"""

from __future__ import annotations

import ast
import math
from dataclasses import dataclass, field, replace
from functools import partial
from typing import Any

import numpy as np

from eigen_common.errors import Diagnostic
from eigen_compiler.frontends.eigen_lang import folding as fo
from eigen_compiler.frontends.eigen_lang import hybrid_library as hy
from eigen_compiler.frontends.eigen_lang.circuit import CircuitBuilder
from eigen_compiler.frontends.eigen_lang.diagnostics import Reject, Silent
from eigen_compiler.frontends.eigen_lang.lowering.context import Candidate, Parts
from eigen_compiler.frontends.eigen_lang.problem import Problem
from eigen_compiler.frontends.eigen_lang.scope import POISON
from eigen_compiler.frontends.eigen_lang.syntax import signature
from eigen_ir.aqo import Circuit
from eigen_ir.hybrid import HybridPlan

#: Seed of ``np.random`` when the program gives none (the local runtime uses the same).
DEFAULT_RANDOM_SEED = 0
_UNBOUND = object()


@dataclass
class LoweredProgram:
    """The lowered program: an unoptimised AQO circuit plus program facts.

    ``options`` holds the decorator arguments that were given (``shots``, ``target``,
    ``optimization_level``, ``seed``, ``compiler``); ``warnings`` are non-fatal diagnostics.
    ``plan`` is set for a program that calls ``minimize``: then ``circuit`` is the plan's
    ansatz circuit. ``circuit.parameters`` are the symbolic AQO parameters (``Param`` names,
    bound by the kernel at execution, or the plan's ``theta[k]``).
    """

    circuit: Circuit
    entrypoint: str
    options: dict[str, int | str] = field(default_factory=dict)
    warnings: list[Diagnostic] = field(default_factory=list)
    plan: HybridPlan | None = None


class ProgramFunction:
    """Lowers the selected ``@hybrid_program`` function."""

    def __init__(self, parts: Parts) -> None:
        self.parts = parts
        self.diagnostics = parts.diagnostics
        self.scope = parts.scope
        self.state = parts.state

    def lower(self, candidates: list[Candidate], entrypoint: str) -> LoweredProgram | None:
        """Lower the entrypoint among ``candidates`` ('' = the only one); None when none fits."""
        selected = self._select(candidates, entrypoint)
        if selected is None:
            return None
        fn, options = selected
        state, limits = self.state, self.state.limits
        builder = state.builder = CircuitBuilder.within(limits)
        seed = options.get("seed")
        state.rng = np.random.RandomState(seed if isinstance(seed, int) else DEFAULT_RANDOM_SEED)
        state.options = options
        program_locals: dict[str, Any] = {}
        self.scope.locals = state.hybrid.program_locals = program_locals
        self.scope.local_names = state.facts.assigned_names(fn)
        self._parameters(fn, program_locals)
        last = len(fn.body) - 1
        statements = self.parts.statements
        for i, stmt in enumerate(fn.body):
            if isinstance(stmt, ast.Return):
                statements.collect(stmt, partial(self._return, last=i == last))
            else:
                statements.collect(stmt, statements.run)
            items = self.diagnostics.items
            if items and items[-1].rule == "too-many-operations":
                break
        plan = self._plan(fn, builder)
        if plan is not None:
            circuit = plan.circuit
        else:
            if not builder.ops:
                self.diagnostics.warn("empty-program", f"{fn.name!r} applies no operations", fn)
            names = tuple(sorted(state.hybrid.param_names))
            circuit = Circuit(builder.num_qubits, builder.num_clbits, tuple(builder.ops), names)
        entry = {arg.arg for arg, _ in signature(fn)}
        for name in sorted(set(state.inputs) - entry - set(circuit.parameters)):
            self.diagnostics.warn(
                "unused-input", f"input {name!r} is not a parameter of {fn.name!r}"
            )
        return LoweredProgram(circuit, fn.name, options, plan=plan)

    def _select(self, candidates: list[Candidate], entrypoint: str) -> Candidate | None:
        names = [fn.name for fn, _ in candidates]
        chosen = [c for c in candidates if c[0].name == entrypoint] if entrypoint else candidates
        if entrypoint and not chosen:
            message = f"no @hybrid_program function named {entrypoint!r}"
            hint = f"available: {', '.join(names) or 'none'}"
            self.diagnostics.add(Diagnostic("unknown-entrypoint", message, hint=hint))
        elif not chosen:
            hint = "decorate the program function with @hybrid_program(...)"
            message = "the program has no @hybrid_program function"
            self.diagnostics.add(Diagnostic("missing-entrypoint", message, hint=hint))
        elif len(chosen) > 1:
            message = f"more than one @hybrid_program function: {names}"
            hint = "keep one, or name it as the job's entrypoint"
            self.diagnostics.error("multiple-entrypoints", message, chosen[1][0], hint)
        else:
            return chosen[0]
        return None

    def _plan(self, fn: ast.FunctionDef, builder: CircuitBuilder) -> HybridPlan | None:
        """The hybrid plan of a program that called ``minimize`` (else None)."""
        hybrid = self.state.hybrid
        if not hybrid.planned:
            return None
        if builder.ops or builder.num_qubits or builder.num_clbits:
            message = "a program that calls minimize() or fit() runs its model or @ansatz only"
            hint = "apply the gates inside the @ansatz function"
            self.diagnostics.error("mixed-program", message, fn, hint)
        returns = tuple(sorted(hybrid.returns.items()))
        if hybrid.training is not None:
            return replace(hybrid.training, returns=returns)
        assert hybrid.minimize is not None
        objective, spec = hybrid.minimize
        ansatz = objective.ansatz
        return HybridPlan(
            ansatz.circuit, ansatz.parameters, objective.terms, objective.shots, spec, returns
        )

    def _parameters(self, fn: ast.FunctionDef, program_locals: dict[str, Any]) -> None:
        """Bind the function's parameters from ``inputs`` or their constant defaults."""
        a = fn.args
        for star in (a.vararg, a.kwarg):
            if star is not None:
                message = f"*{star.arg} parameters are not supported"
                self.diagnostics.error("unsupported-parameter", message, star)
        for arg, default in signature(fn):
            try:
                program_locals[arg.arg] = self._parameter(arg, default)
            except Silent:
                program_locals[arg.arg] = POISON
            except Reject as rej:
                self.diagnostics.add(rej.diag)
                program_locals[arg.arg] = POISON  # no follow-up errors from its uses

    def _parameter(self, arg: ast.arg, default: ast.expr | None) -> Any:
        self.scope.check_name(arg.arg, arg)
        value: Any = _UNBOUND
        if default is not None:
            value = self.parts.expressions.eval(default)
            if not fo.is_constant(value):
                message = f"parameter {arg.arg!r} must default to a constant"
                self.diagnostics.reject("unsupported-parameter", message, default)
        inputs = self.state.inputs
        if arg.arg in inputs:
            given = float(inputs[arg.arg])
            if not math.isfinite(given):
                self.diagnostics.reject("invalid-input", f"input {arg.arg!r} is not finite", arg)
            value = int(given) if fo.is_int(value) and given.is_integer() else given
        if value is _UNBOUND:
            message = f"parameter {arg.arg!r} has no default and no input value"
            hint = f"pass it in the job inputs: {arg.arg}: <number>"
            self.diagnostics.reject("missing-input", message, arg, hint)
        return value

    def _return(self, stmt: ast.Return, *, last: bool) -> None:
        value = stmt.value
        hybrid = self.state.hybrid
        if not last:
            message = "`return` must be the last statement"
            self.diagnostics.reject("unsupported-statement", message, stmt)
        if value is None or (isinstance(value, ast.Constant) and value.value is None):
            return
        if not hybrid.planned and (
            hybrid.minimize_failed
            or any(isinstance(n, ast.Name) and self.scope.poisoned(n.id) for n in ast.walk(value))
        ):
            raise Silent  # minimize() or a name it returns failed (reported): no cascade
        if not hybrid.planned:
            hint = "measurement counts are the program's result; only programs that call "
            hint += "minimize() return a dict"
            self.diagnostics.reject(
                "unsupported-statement", "this program returns nothing", stmt, hint
            )
        if not isinstance(value, ast.Dict):
            message = "a hybrid program returns a dict literal {'key': result.<field>, ...}"
            self.diagnostics.reject("unsupported-return", message, value)
        eval_ = self.parts.expressions.eval
        for key_node, value_node in zip(value.keys, value.values, strict=True):
            if key_node is None:
                self.diagnostics.reject("star-args", "`**` unpacking is not allowed", value_node)
            key = eval_(key_node)
            if not isinstance(key, str):
                message = "returned dict keys must be strings"
                self.diagnostics.reject("unsupported-return", message, key_node)
            try:
                entry = hy.return_entry(eval_(value_node))
            except Problem as p:
                self.diagnostics.error(p.rule, p.message, value_node, p.hint)
                continue
            except Reject as rej:
                self.diagnostics.add(rej.diag)
                continue
            hybrid.returns[key] = entry
