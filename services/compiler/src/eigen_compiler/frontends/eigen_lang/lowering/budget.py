"""Work estimates: no loop is unrolled and no helper inlined past ``Limits.max_operations``.

Before a loop runs, its work is estimated as iterations × the statically counted statements of
its body (loops with literal bounds and inlined helpers included, from the scan's facts); before
a helper is inlined, its statically counted body. Executed statements are counted too, so no
program can run long.
"""

from __future__ import annotations

import ast

from eigen_compiler.frontends.eigen_lang.lowering.context import Parts
from eigen_compiler.frontends.eigen_lang.syntax import literal_length


class Budget:
    """The statement budget of one lowering (implements :class:`.context.WorkBudget`)."""

    def __init__(self, parts: Parts) -> None:
        self.diagnostics = parts.diagnostics
        self.state = parts.state
        self.limit = parts.state.limits.max_operations
        self.steps = 0
        self._helper_costs: dict[str, int] = {}  # -1 while being computed
        self._loop_costs: dict[ast.For, int] = {}
        self._depth = 0

    def step(self, stmt: ast.stmt) -> None:
        """Count one executed statement of a function body (module level is free)."""
        if self.state.builder is not None:
            self.steps += 1
            if self.steps > self.limit:
                message = f"the program executes more than {self.limit} statements"
                self.diagnostics.reject("too-many-operations", message, stmt, "use smaller loops")

    def before_loop(self, stmt: ast.For, iterations: int) -> None:
        """Reject ``stmt`` when ``iterations`` runs of its body would pass the limit."""
        cost = self._loop_costs.get(stmt)
        if cost is None:
            cost = self._loop_costs[stmt] = self._static_cost(stmt.body)
        work = iterations * cost
        if self.steps + work > self.limit:
            message = f"the loop unrolls to at least {work} statements; the limit is {self.limit}"
            self.diagnostics.reject("too-many-operations", message, stmt, "use fewer iterations")

    def before_inline(self, name: str, node: ast.Call) -> None:
        """Reject inlining helper ``name`` at ``node`` when its body would pass the limit."""
        work = self._helper_cost(name, node)
        if self.steps + work > self.limit:
            message = f"{name}() runs at least {work} statements; the limit is {self.limit}"
            self.diagnostics.reject("too-many-operations", message, node)

    def _static_cost(self, body: list[ast.stmt]) -> int:
        """A lower bound of the statements ``body`` executes.

        Loops with literal bounds and inlined functions are counted; anything else counts once.
        """
        facts, helpers = self.state.facts, self.state.helpers
        total = 0
        for stmt in body:
            total += 1
            for name, call in facts.named_calls(stmt):
                if name in helpers:
                    total += self._helper_cost(name, call)
            if isinstance(stmt, ast.For):
                n = literal_length(stmt.iter)
                total += max(n - 1, 0) * self._static_cost(stmt.body)
        return total

    def _helper_cost(self, name: str, node: ast.AST) -> int:
        costs = self._helper_costs
        if costs.get(name) == -1:
            self.diagnostics.reject("recursion", f"function {name!r} calls itself", node)
        if name in costs:
            return costs[name]
        if len(self.state.inlining) + self._depth >= self.state.limits.max_nesting_depth:
            self.diagnostics.reject("too-deep", "functions call each other too deeply", node)
        costs[name] = -1
        self._depth += 1
        try:
            cost = self._static_cost(self.state.helpers[name].body)
        finally:
            self._depth -= 1
        costs[name] = cost
        return cost
