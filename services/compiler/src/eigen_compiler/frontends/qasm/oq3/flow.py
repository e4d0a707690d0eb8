"""Control flow of the OpenQASM 3 lowering: known conditions run, measured ones become blocks.

``if``/``switch`` on measured bits become run-time :class:`~.emit.Block` s; a ``while`` on them
runs as at most :data:`~.state.MAX_WHILE_ITERATIONS` conditioned copies of its body. A block
may not use again what wrote its own condition before it ends (:meth:`Flow.check_watches`):
AQO reads a condition per operation.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from openqasm3 import ast

from eigen_compiler.frontends.qasm.oq3 import casts
from eigen_compiler.frontends.qasm.oq3.emit import Block, Node, Prim
from eigen_compiler.frontends.qasm.oq3.errors import QasmError
from eigen_compiler.frontends.qasm.oq3.scope import Var
from eigen_compiler.frontends.qasm.oq3.state import (
    MAX_WHILE_ITERATIONS,
    BreakLoop,
    ContinueLoop,
    EndProgram,
    State,
    Watch,
    describe,
    line_of,
    touches,
)
from eigen_compiler.frontends.qasm.oq3.values import Ty, Val
from eigen_ir.aqo_conditions import BoolExpr, ConditionTooComplex, conj, neg, support, to_conds


class Flow(State):
    """The flow part of :class:`~.interp.Interpreter`."""

    def condition(self, node: Any) -> bool | BoolExpr:
        """The truth value of a condition: a bool when known, else a run-time condition."""
        b = casts.to_bool(self.ev(node), node)
        return b[0] if isinstance(b, tuple) else b

    def branch(self, node: ast.BranchingStatement) -> None:
        """``if``/``else``: run one branch when the condition is known, else a run-time block."""
        cond = self.condition(node.condition)
        if isinstance(cond, bool):
            self.block(node.if_block if cond else node.else_block)
            return
        self.runtime_block(cond, node.if_block, node.else_block, node)

    def runtime_block(self, cond: BoolExpr, then: list[Any], orelse: list[Any], node: Any) -> None:
        """Emit ``if (cond) then else orelse`` as a run-time :class:`~.emit.Block`."""
        nodes = []
        watch = Watch(support(cond), node)
        for stmts, guard in ((then, cond), (orelse, neg(cond))):
            saved = self.out
            self.out = []
            self.level += 1
            self.guards.append(guard)
            self.watches.append(watch)
            try:
                self.block(stmts)
                nodes.append(self.out)
            finally:
                self.watches.pop()
                self.guards.pop()
                self.level -= 1
                self.out = saved
        if nodes[0] or nodes[1]:
            self.emit(Block(cond, nodes[0], nodes[1]))

    def check_watches(self, node: Node) -> None:
        """Refuse what AQO cannot flatten.

        That is a block using again what wrote its condition, and a measurement of a
        condition's own bits under a condition that is not one comparison.
        """
        qubits, writes, reads = touches(node)
        for watch in self.watches:
            reused = qubits & watch.written_by or (reads | writes) & watch.written
            another_measurement = writes & watch.reads and not qubits & watch.written_by
            if watch.written and reused and not another_measurement:
                raise QasmError(
                    "qasm3-unsupported",
                    "this block uses the qubits or bits that wrote its own condition "
                    f"(line {line_of(watch.where)}) after writing them; AQO reads a condition "
                    "per operation, so the measurements a run-time block's condition reads "
                    "must come last in the block",
                    self.stmt,
                )
            if writes & watch.reads:
                watch.written = watch.written | (writes & watch.reads)
                watch.written_by = watch.written_by | qubits
        if writes and self.guards and isinstance(node, Prim):
            guard = conj(*self.guards)
            try:
                to_conds(guard, single=bool(writes & support(guard)))
            except ConditionTooComplex:
                raise QasmError(
                    "qasm3-unsupported",
                    "a measurement that writes the bits of its own run-time condition, under "
                    "a condition that is not one comparison of bits with a value",
                    self.stmt,
                ) from None

    def for_loop(self, node: ast.ForInLoop) -> None:
        """``for``: unrolled, one scope per iteration."""
        ty = self.ty(node.type)
        self.loops.append(self.level)
        try:
            for value in self.loop_values(node.set_declaration, node):
                self.tick()
                self.scopes.push()
                try:
                    name = node.identifier.name
                    self.scopes.declare(
                        name, Var(name, ty, casts.cast(value, ty, node), self.level)
                    )
                    for statement in node.block:
                        self.statement(statement)
                except ContinueLoop:
                    pass
                except BreakLoop:
                    break
                finally:
                    self.scopes.pop()
        finally:
            self.loops.pop()

    def loop_values(self, spec: Any, node: Any) -> Iterator[Val]:
        """The values a ``for`` loop iterates over."""
        if isinstance(spec, ast.RangeDefinition):
            if spec.start is None or spec.end is None:
                raise QasmError("qasm-syntax", "a for-loop range needs a start and an end", node)
            start, stop = self.integer(spec.start), self.integer(spec.end)
            step = 1 if spec.step is None else self.integer(spec.step)
            if step == 0:
                raise QasmError("qasm-syntax", "a range step cannot be 0", node)
            i = start
            while (i <= stop) if step > 0 else (i >= stop):
                yield Val(Ty("int"), i)
                i += step
        elif isinstance(spec, ast.DiscreteSet):
            for item in spec.values:
                yield self.ev(item)
        else:
            for cell in casts.cells_of(self.ev(spec), node):
                yield Val(Ty("bit"), (cell,))

    def while_loop(self, node: ast.WhileLoop) -> None:
        """``while``: run while the condition is known, then as a bounded run-time loop."""
        self.loops.append(self.level)
        try:
            while True:
                self.tick()
                cond = self.condition(node.while_condition)
                if cond is False:
                    return
                if cond is True:
                    try:
                        self.block(node.block)
                    except ContinueLoop:
                        pass
                    except BreakLoop:
                        return
                    continue
                self.runtime_while(cond, node)
                return
        finally:
            self.loops.pop()

    def runtime_while(self, cond: BoolExpr, node: ast.WhileLoop) -> None:
        """A ``while`` on measured bits: bounded copies of its body, each conditioned."""
        self.warn(
            "bounded-while",
            f"the while loop on a measured value (line {line_of(node)}) runs at most "
            f"{MAX_WHILE_ITERATIONS} times; after that the program goes on",
            node,
        )
        for _ in range(MAX_WHILE_ITERATIONS):
            self.tick()
            self.runtime_block(cond, node.block, [], node)
            again = self.condition(node.while_condition)
            if isinstance(again, bool):
                if not again:
                    return
                raise QasmError(  # pragma: no cover - a run-time body cannot change known values
                    "qasm3-unsupported",
                    "the loop condition stopped depending on measurements",
                    node,
                )
            cond = again

    def jump(self, node: Any) -> None:
        """``break``/``continue`` of the innermost compile-time loop."""
        if not self.loops:
            raise QasmError("qasm-syntax", f"{describe(node)} outside a loop", node)
        if self.level > self.loops[-1]:
            raise QasmError(
                "qasm3-unsupported",
                f"{describe(node)} under a run-time condition (AQO has no jumps)",
                node,
            )
        raise BreakLoop() if isinstance(node, ast.BreakStatement) else ContinueLoop()

    def end(self, node: ast.EndStatement) -> None:
        """``end;``: stop the program (refused under a run-time condition)."""
        if self.level > 0:
            raise QasmError("qasm3-unsupported", "`end` under a run-time condition", node)
        raise EndProgram()

    def switch(self, node: ast.SwitchStatement) -> None:
        """``switch``: a case run when the target is known, else one run-time block per case."""
        target = self.ev(node.target)
        cases = [([self.ev(v) for v in values], body) for values, body in node.cases]
        if not target.runtime:
            for values, body in cases:
                if any(self.binary("==", target, v, node).data is True for v in values):
                    self.block(body.statements)
                    return
            if node.default is not None:
                self.block(node.default.statements)
            return
        # the cases are disjoint: one run-time block each, read before any of them runs
        reads = set().union(*(support(c) for c in casts.cells_of(target, node)))
        hits: list[BoolExpr] = []
        blocks = [(values, body.statements) for values, body in cases]
        if node.default is not None:
            blocks.append(([], node.default.statements))
        start = len(self.out)
        for values, statements in blocks:
            if values:
                match = [casts.bool_cell(casts.to_bool(self.binary("==", target, v, node), node))
                         for v in values]  # fmt: skip
                cond = neg(conj(*(neg(m) for m in match)))
                hits.append(cond)
            else:
                cond = conj(*(neg(h) for h in hits))
            self.runtime_block(cond, statements, [], node)
        for emitted in self.out[start:]:
            if touches(emitted)[1] & reads:
                raise QasmError(
                    "qasm3-unsupported",
                    "a case of a run-time switch measures into the switch's own target",
                    node,
                )

    def box(self, node: ast.Box) -> None:
        """``box``: its body (durations are ignored)."""
        self.block(node.body)

    def compound(self, node: ast.CompoundStatement) -> None:
        """A braced block of statements."""
        self.block(node.statements)

    def pragma(self, node: Any) -> None:
        """``pragma``: ignored with a warning."""
        self.warn("ignored-pragma", "pragmas are ignored", node)
