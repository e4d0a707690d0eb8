"""Calls of the QML constructs (seed 004): datasets, feature maps, models, tasks, ``fit()``.

``load_dataset``, ``angle_encoding``, ``zz_feature_map``, ``QuantumModel``, ``SupervisedTask``.

Arguments bind by Python's rules with ``eigen_lang``'s defaults; values come from
:mod:`..qml_library`. ``task.fit()`` is allowed once, directly in the program function, and not
in a program that also calls ``minimize``: it records the training plan the program lowers to.
"""

from __future__ import annotations

import ast
from typing import Any

from eigen_compiler.frontends.eigen_lang import qml_library as ql
from eigen_compiler.frontends.eigen_lang.lowering.context import Parts
from eigen_compiler.frontends.eigen_lang.values import TaskMethod, TrainingResultValue

_HINT = "see docs/qml.md: load_dataset, QuantumModel, SupervisedTask(...).fit()"


class QmlCalls:
    """Evaluates QML calls and ``task.fit()``."""

    def __init__(self, parts: Parts) -> None:
        self.parts = parts
        self.diagnostics = parts.diagnostics
        self.state = parts.state

    def _seed(self) -> int:
        seed = self.state.options.get("seed")
        return seed if isinstance(seed, int) else ql.DEFAULT_SEED

    def call(self, name: str, node: ast.Call) -> Any:
        """Evaluate ``name(...)`` to a compile-time value.

        Raises:
            Reject: ``bad-argument``, ``unknown-dataset``, ``too-large``, ``unknown-method``,
                ``observable-mismatch``, ``unknown-name``.
        """
        args = self._arguments(name, node)
        with self.diagnostics.located(node):
            if name == "load_dataset":
                return ql.load_dataset(args, self._seed())
            if name in ("angle_encoding", "zz_feature_map"):
                return ql.feature_map(name, args)
        if name == "QuantumModel":
            ansatz = self.parts.hybrid_values.as_ansatz(args["ansatz"], node)
            with self.diagnostics.located(node):
                return ql.model(args["feature_map"], ansatz, args["observable"])
        with self.diagnostics.located(node):
            return ql.task(args, self._seed())

    def fit(self, method: TaskMethod, node: ast.Call) -> TrainingResultValue:
        """``task.fit()``: record the task's training plan (once, in the program function)."""
        hybrid = self.state.hybrid
        hybrid.minimize_failed = True  # until the plan is recorded
        if node.args or node.keywords:
            self.diagnostics.reject("bad-argument", "fit() takes no arguments", node)
        if not hybrid.at_program_level(self.parts.scope, self.state.inlining) or hybrid.in_cost:
            message = "fit() can only be called in the @hybrid_program function"
            self.diagnostics.reject("misplaced-hybrid", message, node, _HINT)
        if hybrid.minimize is not None or hybrid.training is not None:
            message = "a program trains one model or calls minimize() once (one plan per program)"
            self.diagnostics.reject("multiple-plans", message, node)
        hybrid.training, hybrid.minimize_failed = method.task.plan, False
        return TrainingResultValue()

    def _arguments(self, name: str, node: ast.Call) -> dict[str, Any]:
        eval_ = self.parts.expressions.eval
        names, required, defaults = ql.SIGNATURES[name]
        if len(node.args) > len(names):
            message = f"{name}() takes at most {len(names)} arguments ({', '.join(names)})"
            self.diagnostics.reject("bad-argument", message, node)
        bound = {n: eval_(a) for n, a in zip(names, node.args, strict=False)}
        for kw in node.keywords:
            if kw.arg not in names or kw.arg in bound:
                message = f"{name}() got an unexpected or repeated argument {kw.arg!r}"
                self.diagnostics.reject(
                    "bad-argument", message, kw.value, f"arguments: {', '.join(names)}"
                )
            bound[kw.arg] = eval_(kw.value)
        for n in names[:required]:
            if n not in bound:
                self.diagnostics.reject("bad-argument", f"{name}() is missing {n!r}", node, _HINT)
        return {n: bound.get(n, defaults.get(n)) for n in names}
