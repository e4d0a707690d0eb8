"""Call expressions: dispatch by callee, inlining of ``@quantum_circuit`` helpers.

Builtins, ``math`` and ``numpy`` fold here; library calls go to :mod:`.circuit_calls` or
:mod:`.hybrid_calls`. A helper call binds its arguments (defaults are evaluated in the module
scope, as Python does), runs the body in a fresh local scope and returns the value of a final
``return``. Star-arguments never reach this point (the scan rejects them).
"""

from __future__ import annotations

import ast
from typing import Any

from eigen_compiler.frontends.eigen_lang.library import call_pure, call_random
from eigen_compiler.frontends.eigen_lang.lowering.context import Parts
from eigen_compiler.frontends.eigen_lang.qml_library import QML_CALLS
from eigen_compiler.frontends.eigen_lang.syntax import make_range, signature, snippet
from eigen_compiler.frontends.eigen_lang.values import (
    AnsatzFunction,
    CostFunction,
    HelperRef,
    LibRef,
    PureFunction,
    RandomFunction,
    ResultField,
    ResultMethod,
    TaskMethod,
)

#: Library functions evaluated by :mod:`.hybrid_calls` (compile-time values).
HYBRID_CALLS = frozenset(
    [
        "Param", "Observable", "create_ising_model_hamiltonian", "create_hea_ansatz",
        "ExpectationValue", "minimize", "get_program_ast", "visualize_circuit", "Ansatz",
        "ansatz", "cost_function",
    ]
)  # fmt: skip


class CallDispatch:
    """Evaluates calls (implements :class:`.context.Calls`)."""

    def __init__(self, parts: Parts) -> None:
        self.parts = parts
        self.diagnostics = parts.diagnostics
        self.scope = parts.scope
        self.state = parts.state

    def call(self, node: ast.Call) -> Any:
        """The value of ``node`` (``None`` for gates and instructions).

        Raises:
            Reject: ``unknown-call``, ``bad-argument``, ``forbidden-call`` and the rules of the
                called function.
        """
        eval_ = self.parts.expressions.eval
        callee = eval_(node.func)
        if isinstance(callee, HelperRef):
            return self._inline(callee.name, node)
        if isinstance(callee, PureFunction | RandomFunction):
            if node.keywords:
                message = f"{snippet(node.func)}() takes positional arguments only"
                self.diagnostics.reject("bad-argument", message, node)
            args = [eval_(a) for a in node.args]
            if isinstance(callee, RandomFunction):
                if self.state.rng is None:
                    message = "np.random is only usable in functions"
                    self.diagnostics.reject("forbidden-call", message, node)
                return call_random(self.state.rng, callee, args)
            if callee.qualname == "range":
                return make_range(args)
            return call_pure(callee, args)
        if isinstance(callee, LibRef):
            if callee.name in QML_CALLS:
                return self.parts.qml.call(callee.name, node)
            if callee.name in HYBRID_CALLS:
                return self.parts.hybrid_calls.call(callee.name, node)
            return self.parts.circuit.call(callee.name, node)
        if isinstance(callee, TaskMethod):
            return self.parts.qml.fit(callee, node)
        if isinstance(callee, ResultMethod):
            if node.args or node.keywords:
                self.diagnostics.reject("bad-argument", "tolist() takes no arguments", node)
            return ResultField(callee.field)
        if isinstance(callee, AnsatzFunction | CostFunction):
            message = f"{callee.name}() is not called in a program: pass it as a value"
            hint = "ExpectationValue(<@ansatz>, observable), minimize(<@cost_function>, x0)"
            self.diagnostics.reject("unknown-call", message, node, hint)
        hint = "only Eigen-Lang library functions and math functions can be called"
        message = f"{snippet(node.func)!r} cannot be called"
        self.diagnostics.reject("unknown-call", message, node, hint)

    def _inline(self, name: str, node: ast.Call) -> Any:
        """Inline a ``@quantum_circuit`` call: bind arguments, run the body, return its value."""
        state, limits = self.state, self.state.limits
        fn = state.helpers[name]
        if state.builder is None:
            message = f"{name}() can only be called inside a function"
            self.diagnostics.reject("forbidden-call", message, node)
        if name in state.inlining:
            self.diagnostics.reject("recursion", f"function {name!r} calls itself", node)
        if len(state.inlining) >= limits.max_nesting_depth:
            self.diagnostics.reject("too-deep", "functions call each other too deeply", node)
        self.parts.budget.before_inline(name, node)
        scope = self._bind_arguments(fn, node)
        local_names = state.facts.assigned_names(fn) | set(scope)
        state.inlining.append(name)
        try:
            with self.scope.frame(scope, local_names):
                body = fn.body
                if body and isinstance(body[-1], ast.Return):
                    self.parts.statements.block(body[:-1])
                    ret = body[-1].value
                    return None if ret is None else self.parts.expressions.eval(ret)
                self.parts.statements.block(body)
                return None
        finally:
            state.inlining.pop()

    def _bind_arguments(self, fn: ast.FunctionDef, node: ast.Call) -> dict[str, Any]:
        eval_ = self.parts.expressions.eval
        a = fn.args
        if a.vararg is not None or a.kwarg is not None:
            message = f"{fn.name}(): *args are not supported"
            self.diagnostics.reject("unsupported-parameter", message, fn)
        params = signature(fn)
        names = [arg.arg for arg, _ in params]
        positional = [*a.posonlyargs, *a.args]
        if len(node.args) > len(positional):
            message = f"{fn.name}() takes {len(positional)} positional arguments"
            self.diagnostics.reject("bad-argument", message + f", got {len(node.args)}", node)
        scope: dict[str, Any] = {}
        for arg, value in zip(positional, node.args, strict=False):
            scope[arg.arg] = eval_(value)
        for kw in node.keywords:
            if kw.arg not in names or kw.arg in scope:
                message = f"{fn.name}(): bad argument {kw.arg!r}"
                self.diagnostics.reject("bad-argument", message, kw.value)
            scope[kw.arg] = eval_(kw.value)
        with self.scope.frame(None):  # defaults are evaluated in the module scope
            for arg, default in params:
                if arg.arg not in scope:
                    if default is None:
                        message = f"{fn.name}(): missing {arg.arg!r}"
                        self.diagnostics.reject("bad-argument", message, node)
                    scope[arg.arg] = eval_(default)
        return scope
