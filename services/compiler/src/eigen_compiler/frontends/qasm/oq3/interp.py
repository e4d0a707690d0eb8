"""The OpenQASM 3 interpreter: runs what is known when compiling, emits the rest as a circuit.

Compile-time control flow (``if``/``for``/``while``/``switch`` on known values, ``def`` calls,
``break``/``continue``/``return``/``end``) is executed: loops are unrolled, subroutines expanded.
A condition on a measured value becomes a run-time :class:`~.emit.Block`; a ``while`` on one runs
as at most :data:`MAX_WHILE_ITERATIONS` conditioned copies of its body (OpenQASM 3 suggests
iteration limits for loops that may not end; a warning says so). Inside a run-time block only
quantum operations, measurements into variables and declarations of the block's own
variables are possible (AQO has no classical assignment).

Every statement executed and every operation emitted counts against the limits (``steps``,
``budget``); subroutine calls nest at most :data:`MAX_CALL_DEPTH` deep.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from openqasm3 import ast
from qiskit.circuit import Gate, Parameter

from eigen_compiler.frontends.qasm.oq3 import casts
from eigen_compiler.frontends.qasm.oq3.emit import Block, Node, Output, Prim
from eigen_compiler.frontends.qasm.oq3.errors import QasmError
from eigen_compiler.frontends.qasm.oq3.exprs import Expressions
from eigen_compiler.frontends.qasm.oq3.quantum import Quantum
from eigen_compiler.frontends.qasm.oq3.scope import Definition, Qubits, Scopes, Var
from eigen_compiler.frontends.qasm.oq3.values import (
    FLOAT,
    Linear,
    Ty,
    Val,
    check_width,
    int_cells,
)
from eigen_ir.aqo_conditions import BoolExpr, ConditionTooComplex, conj, neg, support, to_conds

#: Iterations a run-time ``while`` is unrolled to.
MAX_WHILE_ITERATIONS = 64
#: Nested subroutine calls.
MAX_CALL_DEPTH = 64
_GATE_BODY = (ast.QuantumGate, ast.QuantumPhase, ast.QuantumBarrier, ast.ForInLoop, ast.Box)


class _Break(Exception):
    pass


class _Continue(Exception):
    pass


class _End(Exception):
    pass


class _Return(Exception):
    def __init__(self, value: Val | None) -> None:
        self.value = value


@dataclass
class _Call:
    """A subroutine being expanded.

    ``level`` is the run-time level of the call; the local ``returned`` is written straight
    into the caller's variable ``target`` (None: returned by value).
    """

    level: int
    returned: str | None = None
    target: Var | None = None


@dataclass
class _Watch:
    """A run-time block being lowered.

    The slots its condition reads, those written since, and the qubits of the measurements that
    wrote them (the block may not use those qubits or slots afterwards).
    """

    reads: frozenset[int]
    where: Any
    written_by: frozenset[int] = frozenset()
    written: frozenset[int] = frozenset()


class Interpreter(Quantum, Expressions):
    """Lowers one program; :meth:`run` returns the nodes, :attr:`warnings` the notes."""

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
        self.calls: list[_Call] = []
        self.loops: list[int] = []
        self.watches: list[_Watch] = []
        self.guards: list[BoolExpr] = []
        self.in_gate = 0

    # --- driver ---------------------------------------------------------------------------

    def run(self, program: ast.Program) -> list[Output]:
        """Lower ``program``; returns its classical outputs (the nodes are in :attr:`out`)."""
        try:
            for statement in program.statements:
                self.statement(statement)
        except _End:
            pass
        return self.outputs()

    def outputs(self) -> list[Output]:
        """The program's classical outputs, in declaration order.

        The ``output`` variables if there are any, else every global bit variable and every
        global variable that holds measured bits.
        """
        declared = [v for v in self.scopes.globals() if v.io != "input" and not v.const]
        chosen = [v for v in declared if v.io == "output"]
        if not chosen:
            chosen = [
                v
                for v in declared
                if v.ty.kind == "bit" or (v.val.runtime and isinstance(v.val.data, tuple))
            ]
        out = []
        for v in chosen:
            if v.ty.kind == "float" or isinstance(v.val.data, Linear):
                raise QasmError(
                    "qasm3-unsupported",
                    f"output {v.name}: a float output cannot be measured",
                    v.node,
                )
            out.append(Output(v.name, casts.cells_of(v.val, None), v.node))
        return out

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

    # --- statements -------------------------------------------------------------------------

    def statement(self, node: Any) -> None:
        """Lower one statement (counted against the step limit)."""
        self.tick()
        outer, self.stmt = self.stmt, node
        try:
            if self.in_gate and not isinstance(node, _GATE_BODY):
                raise QasmError(
                    "qasm-syntax",
                    f"{type(node).__name__} is not allowed in a gate body (gates, gphase, "
                    "barriers and loops only)",
                    node,
                )
            if getattr(node, "annotations", None):
                self.warn("ignored-annotation", "annotations (`@...`) are ignored", node)
            handler = _HANDLERS.get(type(node))
            if handler is None:
                raise QasmError("qasm3-unsupported", f"{_describe(node)} is not supported", node)
            handler(self, node)
        except QasmError as exc:
            if exc.node is None:
                exc.node = node  # the innermost statement that went wrong
            raise
        finally:
            self.stmt = outer

    def block(self, statements: list[Any]) -> None:
        """Run ``statements`` in a new scope."""
        self.scopes.push()
        try:
            for statement in statements:
                self.statement(statement)
        finally:
            self.scopes.pop()

    def include(self, node: ast.Include) -> None:
        """``include``: only ``stdgates.inc``."""
        if node.filename != "stdgates.inc":
            raise QasmError(
                "qasm3-unsupported",
                f'include {node.filename!r}: only "stdgates.inc" can be included',
                node,
            )
        self.std = True

    def qubit_declaration(self, node: ast.QubitDeclaration) -> None:
        """``qubit[n] name;`` (global scope only)."""
        if not self.scopes.at_top:
            raise QasmError("qasm-syntax", "qubits can only be declared in the global scope", node)
        size = 1 if node.size is None else self.integer(node.size)
        if size < 1:
            raise QasmError("qasm-syntax", f"a qubit register of size {size}", node)
        indices = tuple(range(self.num_qubits, self.num_qubits + size))
        self.num_qubits += size
        self.scopes.declare(node.qubit.name, Qubits(node.qubit.name, indices, node.size is None))

    def ty(self, node: Any) -> Ty:
        """The lowering's type of an AST type."""
        kinds = {
            ast.IntType: "int",
            ast.UintType: "uint",
            ast.FloatType: "float",
            ast.AngleType: "angle",
            ast.BitType: "bit",
        }
        if isinstance(node, ast.BoolType):
            return Ty("bool")
        kind = kinds.get(type(node))
        if kind is None:
            what = type(node).__name__.replace("Type", "").lower()
            raise QasmError("qasm3-unsupported", f"values of type {what} are not supported", node)
        size = getattr(node, "size", None)
        return check_width(Ty(kind, None if size is None else self.integer(size)))

    def default(self, ty: Ty) -> Val:
        """The value of a declared variable without initialiser (zero)."""
        if ty.kind == "bit":
            return Val(ty, int_cells(0, 1 if ty.width is None else ty.width))
        if ty.kind == "bool":
            return Val(ty, False)
        if ty.kind == "float" or (ty.kind == "angle" and ty.width is None):
            return Val(ty, 0.0)
        return Val(ty, 0)

    def classical_declaration(self, node: ast.ClassicalDeclaration) -> None:
        """``type name [= value];`` (a returned local may become the caller's variable)."""
        ty = self.ty(node.type)
        name = node.identifier.name
        call = self.calls[-1] if self.calls else None
        if call is not None and call.returned == name and call.target is not None:
            self.scopes.alias(name, call.target)  # written straight into the caller's variable
            target = call.target
        else:
            target = Var(name, ty, self.default(ty), self.level, node=node)
            self.scopes.declare(name, target)
        init = node.init_expression
        if isinstance(init, ast.QuantumMeasurement):
            self.measure_into(
                target, list(range(len(casts.cells_of(target.val, node)))), init.qubit, node
            )
        elif init is not None:
            self.write(target, casts.cast(self.ev(init), target.ty, node), node)

    def constant_declaration(self, node: ast.ConstantDeclaration) -> None:
        """``const type name = value;`` (known when compiling)."""
        ty = self.ty(node.type)
        value = casts.cast(self.ev(node.init_expression), ty, node)
        if value.runtime or value.symbolic:
            raise QasmError(
                "qasm-syntax", "a const must be known when compiling", node.init_expression
            )
        var = Var(node.identifier.name, ty, value, self.level, const=True)
        self.scopes.declare(node.identifier.name, var)

    def io_declaration(self, node: ast.IODeclaration) -> None:
        """``input float|angle name;`` (a circuit parameter) or ``output type name;``."""
        ty = self.ty(node.type)
        name = node.identifier.name
        if node.io_identifier.name == "output":
            var = Var(name, ty, self.default(ty), self.level, io="output", node=node)
            self.scopes.declare(name, var)
            return
        if ty.kind not in ("float", "angle") or (ty.kind == "angle" and ty.width is not None):
            raise QasmError(
                "qasm3-unsupported",
                f"input {ty} {name}: only `input float` and `input angle` are supported (they "
                "become circuit parameters bound by the job's inputs)",
                node,
            )
        parameter = self.inputs.setdefault(name, Parameter(name))
        self.scopes.declare(
            name, Var(name, ty, Val(ty, parameter), self.level, const=True, io="input")
        )

    def write(self, var: Var, value: Val, node: Any, where: list[int] | None = None) -> None:
        """Assign ``value`` (already of the variable's type, or bits for ``where``)."""
        if var.const:
            raise QasmError("qasm-syntax", f"{var.name!r} is a constant", node)
        if var.level < self.level:
            raise QasmError(
                "qasm3-unsupported",
                f"assigning {var.name!r} under a run-time condition: AQO has no classical "
                "assignment; only measurements can write a variable there",
                node,
            )
        if where is None:
            var.val = value
            return
        cells = list(casts.cells_of(var.val, node))
        new = casts.cells_of(value, node)
        if len(new) != len(where):
            raise QasmError("qasm-syntax", "assigning a value of the wrong size", node)
        for pos, cell in zip(where, new, strict=True):
            cells[pos] = cell
        var.val = casts.normalise(Val(var.ty, tuple(cells)))

    def target(self, node: Any) -> tuple[Var, list[int] | None]:
        """The variable an lvalue names and the bit positions it selects (None: all of it)."""
        name = node.name.name if isinstance(node, ast.IndexedIdentifier) else node.name
        symbol = self.scopes.lookup(name)
        if not isinstance(symbol, Var):
            raise QasmError("qasm-syntax", f"{name!r} is not a classical variable", node)
        if not isinstance(node, ast.IndexedIdentifier):
            return symbol, None
        where = list(range(len(casts.cells_of(symbol.val, node))))
        for index in node.indices:
            picked, _ = self.positions(index, len(where), node)
            where = [where[i] for i in picked]
        return symbol, where

    def assignment(self, node: ast.ClassicalAssignment) -> None:
        """``x = v``, ``x op= v``, ``x = measure q`` and ``x = f(...)``."""
        var, where = self.target(node.lvalue)
        op = node.op.name
        rvalue = node.rvalue
        if op == "=" and isinstance(rvalue, ast.QuantumMeasurement):
            positions = (
                where if where is not None else list(range(len(casts.cells_of(var.val, node))))
            )
            self.measure_into(var, positions, rvalue.qubit, node)
            return
        if op == "=" and where is None and isinstance(rvalue, ast.FunctionCall):
            returned = self.returned_local(rvalue, var)
            if returned is not None:
                self.call(rvalue, returned, var)
                return
        value = self.ev(rvalue)
        if op != "=":
            current = var.val if where is None else self.index_val(var, where)
            value = self.binary(op[:-1], current, value, node)
        if where is None:
            self.write(var, casts.cast(value, var.ty, node), node)
        else:
            ty = Ty("bit") if len(where) == 1 else Ty("bit", len(where))
            self.write(var, casts.cast(value, ty, node), node, where)

    def index_val(self, var: Var, where: list[int]) -> Val:
        """The bits ``where`` of a variable."""
        cells = casts.cells_of(var.val, None)
        picked = tuple(cells[i] for i in where)
        return Val(Ty("bit") if len(where) == 1 else Ty("bit", len(where)), picked)

    def expression_statement(self, node: ast.ExpressionStatement) -> None:
        """An expression run for its effect (a subroutine call, a measurement)."""
        self.ev(node.expression)

    def measurement(self, node: ast.QuantumMeasurementStatement) -> None:
        """``measure q -> target;`` (or without target)."""
        if node.target is None:
            self.measure_value(node.measure)
            return
        var, where = self.target(node.target)
        positions = where if where is not None else list(range(len(casts.cells_of(var.val, node))))
        self.measure_into(var, positions, node.measure.qubit, node)

    # --- control flow ---------------------------------------------------------------------

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
        watch = _Watch(support(cond), node)
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
        qubits, writes, reads = _touches(node)
        for watch in self.watches:
            reused = qubits & watch.written_by or (reads | writes) & watch.written
            another_measurement = writes & watch.reads and not qubits & watch.written_by
            if watch.written and reused and not another_measurement:
                raise QasmError(
                    "qasm3-unsupported",
                    "this block uses the qubits or bits that wrote its own condition "
                    f"(line {_line(watch.where)}) after writing them; AQO reads a condition "
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
                except _Continue:
                    pass
                except _Break:
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
                    except _Continue:
                        pass
                    except _Break:
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
            f"the while loop on a measured value (line {_line(node)}) runs at most "
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
            raise QasmError("qasm-syntax", f"{_describe(node)} outside a loop", node)
        if self.level > self.loops[-1]:
            raise QasmError(
                "qasm3-unsupported",
                f"{_describe(node)} under a run-time condition (AQO has no jumps)",
                node,
            )
        raise _Break() if isinstance(node, ast.BreakStatement) else _Continue()

    def end(self, node: ast.EndStatement) -> None:
        """``end;``: stop the program (refused under a run-time condition)."""
        if self.level > 0:
            raise QasmError("qasm3-unsupported", "`end` under a run-time condition", node)
        raise _End()

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
            if _touches(emitted)[1] & reads:
                raise QasmError(
                    "qasm3-unsupported",
                    "a case of a run-time switch measures into the switch's own target",
                    node,
                )

    # --- definitions and calls ---------------------------------------------------------------

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
        self.calls.append(_Call(self.level, returned, target))
        loops, self.loops = self.loops, []
        value: Val | None = None
        try:
            for pname, sym in bound:
                self.scopes.declare(pname, sym)
            for statement in sdef.body:
                self.statement(statement)
        except _Return as ret:
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
            raise _Return(None)
        if isinstance(expr, ast.QuantumMeasurement):
            raise _Return(self.measure_value(expr))
        raise _Return(self.ev(expr))

    def alias(self, node: ast.AliasStatement) -> None:
        """``let name = qubits;``: another name for qubits (classical aliases are refused)."""
        value = node.value
        try:
            q = self.qubits_of(value)
        except QasmError:
            raise QasmError(
                "qasm3-unsupported", "`let` aliases of classical bits are not supported", node
            ) from None
        self.scopes.declare(node.target.name, Qubits(node.target.name, q.indices, False))

    def box(self, node: ast.Box) -> None:
        """``box``: its body (durations are ignored)."""
        self.block(node.body)

    def compound(self, node: ast.CompoundStatement) -> None:
        """A braced block of statements."""
        self.block(node.statements)

    def pragma(self, node: Any) -> None:
        """``pragma``: ignored with a warning."""
        self.warn("ignored-pragma", "pragmas are ignored", node)


def _touches(node: Node) -> tuple[set[int], set[int], set[int]]:
    """Qubits, written slots and read slots of a node (blocks: everything inside)."""
    if isinstance(node, Prim):
        return set(node.qubits), set(node.slots), set()
    qubits: set[int] = set()
    writes: set[int] = set()
    reads: set[int] = set(support(node.cond))
    for inner in (*node.then, *node.orelse):
        q, w, r = _touches(inner)
        qubits |= q
        writes |= w
        reads |= r
    return qubits, writes, reads


def _line(node: Any) -> int:
    span = getattr(node, "span", None)
    return int(span.start_line) if span is not None else 0


def _describe(node: Any) -> str:
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


_HANDLERS: dict[type, Callable[[Interpreter, Any], None]] = {
    ast.Include: Interpreter.include,
    ast.QubitDeclaration: Interpreter.qubit_declaration,
    ast.ClassicalDeclaration: Interpreter.classical_declaration,
    ast.ConstantDeclaration: Interpreter.constant_declaration,
    ast.IODeclaration: Interpreter.io_declaration,
    ast.ClassicalAssignment: Interpreter.assignment,
    ast.ExpressionStatement: Interpreter.expression_statement,
    ast.QuantumGate: Interpreter.gate_statement,
    ast.QuantumPhase: Interpreter.phase_statement,
    ast.QuantumMeasurementStatement: Interpreter.measurement,
    ast.QuantumReset: Interpreter.reset_statement,
    ast.QuantumBarrier: lambda self, node: self.barrier_statement(node, self.num_qubits),
    ast.BranchingStatement: Interpreter.branch,
    ast.ForInLoop: Interpreter.for_loop,
    ast.WhileLoop: Interpreter.while_loop,
    ast.BreakStatement: Interpreter.jump,
    ast.ContinueStatement: Interpreter.jump,
    ast.EndStatement: Interpreter.end,
    ast.SwitchStatement: Interpreter.switch,
    ast.QuantumGateDefinition: Interpreter.gate_definition,
    ast.SubroutineDefinition: Interpreter.subroutine_definition,
    ast.ExternDeclaration: Interpreter.extern_declaration,
    ast.ReturnStatement: Interpreter.return_statement,
    ast.AliasStatement: Interpreter.alias,
    ast.Box: Interpreter.box,
    ast.CompoundStatement: Interpreter.compound,
    ast.Pragma: Interpreter.pragma,
}
