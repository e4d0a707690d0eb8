"""Quantum statements of the OpenQASM 3 lowering: gates, modifiers, measurement, reset, barrier.

A custom gate applied without modifiers is expanded in place (so measured angles reach the
gates inside it); with modifiers it becomes a Qiskit gate with a definition (cached per
argument values). A measured angle on an additive gate becomes one conditioned gate per bit
(:mod:`.gates`). Measuring into a variable under a run-time condition writes the variable's own
clbit in place (see :meth:`Quantum.measure_into`).
"""

from __future__ import annotations

from typing import Any

from openqasm3 import ast
from qiskit.circuit import Barrier, Gate, Measure, QuantumCircuit, Reset
from qiskit.circuit.library import GlobalPhaseGate

from eigen_compiler.frontends.qasm.oq3.casts import cells_of, to_linear
from eigen_compiler.frontends.qasm.oq3.emit import Block, Node, Prim
from eigen_compiler.frontends.qasm.oq3.errors import QasmError
from eigen_compiler.frontends.qasm.oq3.gates import (
    BUILTIN,
    STDGATES,
    GateInfo,
    Modifier,
    controls,
    modified,
)
from eigen_compiler.frontends.qasm.oq3.scope import Definition, Qubits, Var
from eigen_compiler.frontends.qasm.oq3.state import State
from eigen_compiler.frontends.qasm.oq3.values import FLOAT, Linear, Ty, Val, number
from eigen_ir.aqo_conditions import FALSE, Bit, Const

_REPR_PRECISION = 17


class Quantum(State):
    """The quantum part of :class:`~.interp.Interpreter`."""

    # --- operands ------------------------------------------------------------------------

    def qubits_of(self, node: Any) -> Qubits:
        """The qubits an operand names (a register, an element, a slice, an alias)."""
        if isinstance(node, ast.Identifier):
            if node.name.startswith("$"):
                raise QasmError(
                    "qasm3-unsupported",
                    f"physical qubit {node.name}: declare qubits with `qubit` instead",
                    node,
                )
            symbol = self.scopes.lookup(node.name)
            if isinstance(symbol, Qubits):
                return symbol
            if symbol is None:
                raise QasmError("qasm-syntax", f"qubit {node.name!r} is not declared", node)
            raise QasmError("qasm-syntax", f"{node.name!r} is not a qubit", node)
        if isinstance(node, ast.IndexedIdentifier):
            q = self.qubits_of(node.name)
            for index in node.indices:
                picked, single = self.positions(index, len(q.indices), node)
                q = Qubits(q.name, tuple(q.indices[i] for i in picked), single)
            return q
        if isinstance(node, ast.IndexExpression):
            q = self.qubits_of(node.collection)
            picked, single = self.positions(node.index, len(q.indices), node)
            return Qubits(q.name, tuple(q.indices[i] for i in picked), single)
        if isinstance(node, ast.Concatenation):
            a, b = self.qubits_of(node.lhs), self.qubits_of(node.rhs)
            return Qubits(a.name, a.indices + b.indices, False)
        raise QasmError("qasm-syntax", "expected qubits", node)

    def broadcast(self, operands: list[Qubits], node: Any) -> list[tuple[int, ...]]:
        """One tuple of qubits per application of a broadcast statement."""
        sizes = {len(q.indices) for q in operands if not q.single}
        if len(sizes) > 1:
            raise QasmError("qasm-syntax", "registers of different sizes in one statement", node)
        n = sizes.pop() if sizes else 1
        out = []
        for j in range(n):
            qs = tuple(q.indices[0] if q.single else q.indices[j] for q in operands)
            if len(set(qs)) != len(qs):
                raise QasmError("qasm-syntax", "a gate is applied to the same qubit twice", node)
            out.append(qs)
        return out

    # --- gates ---------------------------------------------------------------------------

    def modifiers(self, node: Any) -> list[Modifier]:
        """The modifiers of a gate application, evaluated."""
        out = []
        for m in node.modifiers:
            kind = m.modifier.name
            if kind == "pow":
                v = self.ev(m.argument)
                if v.runtime or v.symbolic:
                    raise QasmError(
                        "qasm3-unsupported", "pow(k) needs a k known when compiling", node
                    )
                out.append(Modifier("pow", float(number(v))))
            elif kind == "inv":
                out.append(Modifier("inv"))
            else:
                n = 1 if m.argument is None else self.integer(m.argument)
                if n < 1:
                    raise QasmError("qasm-syntax", f"{kind}({n}): the count must be ≥ 1", node)
                out.append(Modifier(kind, n))
        return out

    def gate_statement(self, node: ast.QuantumGate) -> None:
        """A gate application with its modifiers, broadcast over registers."""
        name = node.name.name
        mods = self.modifiers(node)
        args = [self.ev(a) for a in node.arguments]
        apps = self.broadcast([self.qubits_of(q) for q in node.qubits], node)
        symbol = self.scopes.lookup(name)
        info = self.gate_info(name, symbol, node)
        if info is not None:
            arity, params = info.num_qubits, info.num_params
        else:
            assert isinstance(symbol, Definition)  # gate_info returns None only for these
            arity, params = len(symbol.node.qubits), len(symbol.node.arguments)
        if len(args) != params:
            raise QasmError("qasm-syntax", f"{name} takes {params} parameter(s)", node)
        if len(node.qubits) != arity + controls(mods):
            raise QasmError(
                "qasm-syntax",
                f"{name} with these modifiers acts on {arity + controls(mods)} qubit(s)",
                node,
            )
        for qs in apps:
            self.apply(name, info, symbol, mods, args, qs, node)

    def gate_info(self, name: str, symbol: Any, node: Any) -> GateInfo | None:
        """The known gate called ``name`` (None for a custom gate)."""
        if isinstance(symbol, Definition) and symbol.kind == "gate":
            return None
        if name in BUILTIN:
            return BUILTIN[name]
        if self.std and name in STDGATES:
            return STDGATES[name]
        hint = 'include "stdgates.inc" for the standard gates' if name in STDGATES else ""
        if name == "CX":
            hint = 'OpenQASM 3 builds in only U and gphase; include "stdgates.inc" for CX'
        raise QasmError("qasm-syntax", f"gate {name!r} is not defined", node, hint)

    def apply(
        self,
        name: str,
        info: GateInfo | None,
        symbol: Any,
        mods: list[Modifier],
        args: list[Val],
        qs: tuple[int, ...],
        node: Any,
    ) -> None:
        """Apply one gate (custom or known) to one tuple of qubits."""
        measured = [a for a in args if a.runtime]
        if info is None and not mods:
            self.run_gate_body(symbol.node, args, qs, node)
            return
        if measured:
            if info is None or not info.additive:
                raise QasmError(
                    "qasm3-unsupported",
                    f"a measured value as the angle of {name}: only rotations about one axis "
                    "(rx, ry, rz, p, cp, crx, cry, crz, u1) and gates written without "
                    "modifiers take one",
                    node,
                )
            self.apply_measured_angle(info, mods, to_linear(args[0], node), qs, name)
            return
        values = [self.param(a, node) for a in args]
        gate = info.build(*values) if info is not None else self.definition(symbol, values, node)
        for g in modified(gate, mods, name if info is not None else "", self.budget_left()):
            self.emit(Prim(g, qs))

    def param(self, v: Val, node: Any) -> Any:
        """A gate parameter: radians, or an expression of unbound inputs."""
        if v.symbolic:
            return v.data
        value = number(v)
        if isinstance(value, tuple):  # pragma: no cover - number() never returns cells
            raise QasmError("qasm-syntax", "a bit array as an angle", node)
        return float(value)

    def apply_measured_angle(
        self, info: GateInfo, mods: list[Modifier], angle: Linear, qs: tuple[int, ...], name: str
    ) -> None:
        """``G(offset + Σ w·bit)`` as ``G(offset)`` and ``G(w)`` under each bit."""
        limit = self.budget_left()
        if angle.offset:
            for g in modified(info.build(angle.offset), mods, name, limit):
                self.emit(Prim(g, qs))
        for cell, weight in angle.terms:
            body: list[Node] = [
                Prim(g, qs) for g in modified(info.build(weight), mods, name, limit)
            ]
            self.emit(Block(cell, body))

    def phase_statement(self, node: ast.QuantumPhase) -> None:
        """``gphase(a)``: a global phase, observable only under ``ctrl``/``negctrl``."""
        mods = self.modifiers(node)
        angle = self.ev(node.argument)
        qubits = [self.qubits_of(q) for q in node.qubits]
        n = controls(mods)
        if len(node.qubits) != n:
            raise QasmError("qasm-syntax", "gphase takes only its control qubits", node)
        if n == 0:
            if self.phase_sink is not None and not angle.runtime:
                value = self.param(angle, node)
                for m in reversed(mods):
                    value = -value if m.kind == "inv" else value * m.value
                self.phase_sink[0] = self.phase_sink[0] + value
            return
        info = GateInfo(GlobalPhaseGate, 1, 0, additive=True)
        for qs in self.broadcast(qubits, node):
            if angle.runtime:
                self.apply_measured_angle(info, mods, to_linear(angle, node), qs, "gphase")
            else:
                g0 = GlobalPhaseGate(self.param(angle, node))
                for g in modified(g0, mods, "", self.budget_left()):
                    self.emit(Prim(g, qs))

    def definition(self, symbol: Definition, values: list[Any], node: Any) -> Gate:
        """The Qiskit gate of a custom gate for these argument values (built once)."""
        gnode = symbol.node
        key = (gnode.name.name, tuple(_key(v) for v in values))
        gate = self.definitions.get(key)
        if gate is not None:
            return gate
        k = len(gnode.qubits)
        saved = self.phase_sink
        self.phase_sink = [0.0]
        try:
            body = self.capture_gate(gnode, [Val(FLOAT, v) for v in values], tuple(range(k)), node)
            qc = QuantumCircuit(k)
            for prim in body:
                if not isinstance(prim, Prim):  # pragma: no cover - gates take no measured angle
                    raise QasmError("qasm3-unsupported", "a measured angle inside a gate", node)
                qc.append(prim.op, [qc.qubits[i] for i in prim.qubits], copy=False)
            qc.global_phase = self.phase_sink[0]
        finally:
            self.phase_sink = saved
        gate = Gate(gnode.name.name, k, [])
        gate.definition = qc
        self.definitions[key] = gate
        return gate

    # --- measurement, reset, barrier -------------------------------------------------------

    def new_slot(self, conditional: bool) -> int:
        """A new measurement slot (``conditional``: first written under a run-time condition)."""
        self.slot_conditional.append(conditional)
        return len(self.slot_conditional) - 1

    def measure_value(self, node: ast.QuantumMeasurement) -> Val:
        """``measure q`` as a value: fresh bits (read 0 where a run-time condition skips it)."""
        q = self.qubits_of(node.qubit)
        cells = []
        for qubit in q.indices:
            slot = self.new_slot(self.level > 0)
            self.emit(Prim(Measure(), (qubit,), (slot,)))
            cells.append(Bit(slot))
        ty = Ty("bit") if q.single else Ty("bit", len(cells))
        return Val(ty, tuple(cells))

    def measure_into(self, var: Var, where: list[int], qubit_node: Any, node: Any) -> None:
        """Measure ``qubit_node`` into cells ``where`` of ``var`` (all of them: broadcast).

        At the variable's own run-time level every write is a new slot. Under a run-time
        condition the variable keeps its slot (written in place, so it still holds the old value
        when the condition skips the write); a cell that is 0 gets a slot that starts at 0.

        Raises:
            QasmError: sizes differ, or an in-place write is impossible (the cell is 1, computed,
                or shared with another variable).
        """
        q = self.qubits_of(qubit_node)
        if len(q.indices) != len(where):
            raise QasmError(
                "qasm-syntax", f"measuring {len(q.indices)} qubit(s) into {len(where)} bit(s)", node
            )
        cells = list(cells_of(var.val, node))
        for qubit, pos in zip(q.indices, where, strict=True):
            cell = cells[pos]
            if var.level >= self.level:
                slot = self.new_slot(False)
            elif isinstance(cell, Bit) and self.scopes.slot_users(cell.index) == 1:
                slot = cell.index
            elif cell == FALSE:
                slot = self.new_slot(True)
            else:
                what = "holds 1" if isinstance(cell, Const) else "shares its measured bit"
                if not isinstance(cell, Const | Bit):
                    what = "holds a value computed from measured bits"
                raise QasmError(
                    "qasm3-unsupported",
                    f"measuring into {var.name}[{pos}] under a run-time condition: it {what}, "
                    "and AQO can only keep or overwrite a measured bit in place",
                    node,
                )
            self.emit(Prim(Measure(), (qubit,), (slot,)))
            cells[pos] = Bit(slot)
        var.val = Val(var.val.ty, tuple(cells))

    def reset_statement(self, node: ast.QuantumReset) -> None:
        """``reset``: each qubit named."""
        for qubit in self.qubits_of(node.qubits).indices:
            self.emit(Prim(Reset(), (qubit,)))

    def barrier_statement(self, node: ast.QuantumBarrier, all_qubits: int) -> None:
        """``barrier``: on the qubits named, or all declared ones."""
        if node.qubits:
            qs: list[int] = []
            for operand in node.qubits:
                qs.extend(i for i in self.qubits_of(operand).indices if i not in qs)
        else:
            qs = list(range(all_qubits))
        if qs:
            self.emit(Prim(Barrier(len(qs)), tuple(qs)))


def _key(value: Any) -> str:
    return repr(value) if isinstance(value, float) else str(value)
