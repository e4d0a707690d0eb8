"""Gate definitions and subroutines of the OpenQASM 3 lowering, expanded where they are used.

A gate body may only apply gates (checked when it is defined); a subroutine runs in a closed
scope, at most :data:`~.state.MAX_CALL_DEPTH` calls deep. A subroutine that returns one of its
locals (``flags = segment(...)``) writes that local straight into the caller's variable, so its
measurements under a run-time condition are written in place.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from openqasm3 import ast

from eigen_compiler.frontends.qasm.oq3 import casts
from eigen_compiler.frontends.qasm.oq3.emit import Node
from eigen_compiler.frontends.qasm.oq3.errors import QasmError
from eigen_compiler.frontends.qasm.oq3.scope import Definition, Qubits, Var
from eigen_compiler.frontends.qasm.oq3.state import MAX_CALL_DEPTH, CallFrame, ReturnValue, State
from eigen_compiler.frontends.qasm.oq3.values import FLOAT, Ty, Val


class Calls(State):
    """The calls part of :class:`~.interp.Interpreter`."""

    def gate_definition(self, node: ast.QuantumGateDefinition) -> None:
        """``gate``: recorded after checking every gate its body calls is defined."""
        if not self.scopes.at_top:
            raise QasmError("qasm-syntax", "gates can only be defined in the global scope", node)
        for name, where in _called_gates(node.body):
            symbol = self.scopes.lookup(name)
            if name == node.name.name:
                raise QasmError("qasm-syntax", f"gate {name!r} calls itself", where)
            if not isinstance(symbol, Definition):
                self.gate_info(name, symbol, where)
        self.scopes.declare(node.name.name, Definition("gate", node))

    def subroutine_definition(self, node: ast.SubroutineDefinition) -> None:
        """``def``: recorded (expanded at each call)."""
        if not self.scopes.at_top:
            raise QasmError("qasm-syntax", "subroutines can only be defined globally", node)
        self.scopes.declare(node.name.name, Definition("def", node))

    def extern_declaration(self, node: ast.ExternDeclaration) -> None:
        """``extern``: recorded; calling it is refused (nothing is linked)."""
        self.scopes.declare(node.name.name, Definition("extern", node))

    def run_gate_body(self, gnode: Any, args: list[Val], qs: tuple[int, ...], node: Any) -> None:
        """Expand a custom gate in place."""
        for prim in self.capture_gate(gnode, args, qs, node):
            self.out.append(prim)

    def capture_gate(
        self, gnode: Any, args: list[Val], qs: tuple[int, ...], node: Any
    ) -> list[Node]:
        """The operations of a custom gate's body for these arguments and qubits."""
        if len(self.calls) + self.in_gate >= MAX_CALL_DEPTH:
            raise QasmError("too-deep", f"gates nest more than {MAX_CALL_DEPTH} deep", node)
        saved = self.out
        self.out = []
        self.scopes.push(closed=True)
        self.in_gate += 1
        try:
            for param, value in zip(gnode.arguments, args, strict=True):
                self.scopes.declare(
                    param.name, Var(param.name, FLOAT, value, self.level, const=True)
                )
            for qubit, index in zip(gnode.qubits, qs, strict=True):
                self.scopes.declare(qubit.name, Qubits(qubit.name, (index,), True))
            for statement in gnode.body:
                self.statement(statement)
            return self.out
        finally:
            self.in_gate -= 1
            self.scopes.pop()
            self.out = saved

    def returned_local(self, call: ast.FunctionCall, target: Var) -> str | None:
        """The local variable a subroutine returns, when it can be the caller's ``target``."""
        symbol = self.scopes.lookup(call.name.name)
        if not isinstance(symbol, Definition) or symbol.kind != "def":
            return None
        names = {r.expression.name if isinstance(r.expression, ast.Identifier) else None
                 for r in _returns(symbol.node.body)}  # fmt: skip
        if len(names) != 1 or None in names:
            return None
        (name,) = names
        for statement in symbol.node.body:
            if (
                isinstance(statement, ast.ClassicalDeclaration)
                and statement.identifier.name == name
            ):
                ty = self.ty(statement.type)
                if ty.kind == "bit" and ty.bits == target.ty.bits and target.ty.kind == "bit":
                    return name
        return None

    def call(
        self, node: ast.FunctionCall, returned: str | None = None, target: Var | None = None
    ) -> Val:
        """Expand a subroutine call.

        With ``returned`` and ``target``, that local of the subroutine is the caller's variable
        ``target`` (its measurements write the caller's bits in place).
        """
        name = node.name.name
        symbol = self.scopes.lookup(name)
        if isinstance(symbol, Definition) and symbol.kind == "extern":
            raise QasmError(
                "qasm3-unsupported",
                f"extern function {name!r}: externs are implemented outside OpenQASM and this "
                "platform links none",
                node,
            )
        if not isinstance(symbol, Definition) or symbol.kind != "def":
            raise QasmError("qasm-syntax", f"{name!r} is not a subroutine", node)
        sdef = symbol.node
        if len(node.arguments) != len(sdef.arguments):
            raise QasmError("qasm-syntax", f"{name} takes {len(sdef.arguments)} argument(s)", node)
        if len(self.calls) >= MAX_CALL_DEPTH:
            raise QasmError(
                "too-deep", f"subroutine calls nest more than {MAX_CALL_DEPTH} deep", node
            )
        bound: list[tuple[str, Var | Qubits]] = []
        for param, arg in zip(sdef.arguments, node.arguments, strict=True):
            pname = param.name.name
            if isinstance(param, ast.QuantumArgument):
                q = self.qubits_of(arg)
                size = None if param.size is None else self.integer(param.size)
                if (size is None and not q.single and len(q.indices) != 1) or (
                    size is not None and len(q.indices) != size
                ):
                    raise QasmError(
                        "qasm-syntax", f"argument {pname}: wrong number of qubits", node
                    )
                bound.append((pname, Qubits(pname, q.indices, size is None)))
            else:
                ty = self.ty(param.type)
                bound.append(
                    (pname, Var(pname, ty, casts.cast(self.ev(arg), ty, node), self.level))
                )
        self.scopes.push(closed=True)
        self.calls.append(CallFrame(self.level, returned, target))
        loops, self.loops = self.loops, []
        value: Val | None = None
        try:
            for pname, sym in bound:
                self.scopes.declare(pname, sym)
            for statement in sdef.body:
                self.statement(statement)
        except ReturnValue as ret:
            value = ret.value
        finally:
            self.loops = loops
            self.calls.pop()
            self.scopes.pop()
        if sdef.return_type is None:
            return Val(Ty("bool"), False)
        if value is None:
            raise QasmError("qasm-syntax", f"subroutine {name!r} returned no value", node)
        return casts.cast(value, self.ty(sdef.return_type), node)

    def return_statement(self, node: ast.ReturnStatement) -> None:
        """``return``: leaves the subroutine (refused under a run-time condition)."""
        if not self.calls:
            raise QasmError("qasm-syntax", "return outside a subroutine", node)
        call = self.calls[-1]
        if self.level > call.level:
            raise QasmError("qasm3-unsupported", "return under a run-time condition", node)
        expr = node.expression
        if expr is None:
            raise ReturnValue(None)
        if isinstance(expr, ast.QuantumMeasurement):
            raise ReturnValue(self.measure_value(expr))
        raise ReturnValue(self.ev(expr))


def _called_gates(body: list[Any]) -> Iterator[tuple[str, Any]]:
    for statement in body:
        if isinstance(statement, ast.QuantumGate):
            yield statement.name.name, statement
        for attr in ("block", "body", "if_block", "else_block", "statements"):
            inner = getattr(statement, attr, None)
            if isinstance(inner, list):
                yield from _called_gates(inner)


def _returns(body: list[Any]) -> Iterator[ast.ReturnStatement]:
    for statement in body:
        if isinstance(statement, ast.ReturnStatement):
            yield statement
        for attr in ("block", "body", "if_block", "else_block", "statements"):
            inner = getattr(statement, attr, None)
            if isinstance(inner, list):
                yield from _returns(inner)
