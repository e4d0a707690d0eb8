"""Declarations, assignments and measurements into variables of the OpenQASM 3 lowering.

A variable declared outside a run-time block cannot be assigned inside it (AQO has no classical
assignment); measurements into it are written in place (:meth:`~.quantum.Quantum.measure_into`).
"""

from __future__ import annotations

from typing import Any

from openqasm3 import ast
from qiskit.circuit import Parameter

from eigen_compiler.frontends.qasm.oq3 import casts
from eigen_compiler.frontends.qasm.oq3.emit import Output
from eigen_compiler.frontends.qasm.oq3.errors import QasmError
from eigen_compiler.frontends.qasm.oq3.scope import Qubits, Var
from eigen_compiler.frontends.qasm.oq3.state import State
from eigen_compiler.frontends.qasm.oq3.values import Linear, Ty, Val, check_width, int_cells


class Classical(State):
    """The classical part of :class:`~.interp.Interpreter`."""

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
