"""Library calls that build the circuit: registers, gates, measure/measure_all/reset/barrier.

Arguments are evaluated here and handed to the :class:`..circuit.CircuitBuilder` of the
function being lowered (the program, or an ``@ansatz`` lowered on its own).
"""

from __future__ import annotations

import ast
from typing import Any

from eigen_compiler.frontends.eigen_lang import folding as fo
from eigen_compiler.frontends.eigen_lang.circuit import CircuitBuilder
from eigen_compiler.frontends.eigen_lang.lowering.context import Parts
from eigen_compiler.frontends.eigen_lang.problem import Problem
from eigen_compiler.frontends.eigen_lang.values import CReg, ParamRef, QReg, QubitRef
from eigen_ir.gates import GATE_ARITY, INSTRUCTIONS


class CircuitLibrary:
    """Applies library functions to the circuit (implements :class:`.context.CircuitCalls`)."""

    def __init__(self, parts: Parts) -> None:
        self.parts = parts
        self.diagnostics = parts.diagnostics
        self.state = parts.state

    def call(self, name: str, node: ast.Call) -> Any:
        """Apply ``name`` (a register type, gate or instruction); registers are returned.

        Raises:
            Reject: ``forbidden-call`` outside a function, ``bad-argument``, the circuit's
                limits (``too-many-qubits``, ``too-many-operations``, ...).
        """
        builder = self.state.builder
        if builder is None:
            message = f"{name}() can only be used inside the @hybrid_program function"
            self.diagnostics.reject("forbidden-call", message, node)
        if name in ("QubitRegister", "ClassicalRegister"):
            if self.state.hybrid.in_ansatz and name == "ClassicalRegister":
                self.parts.hybrid_values.rejects_in_ansatz("ClassicalRegister()", node)
            return self._register(builder, name, node)
        if name not in GATE_ARITY and name not in INSTRUCTIONS:
            message = f"eigen_lang.{name} cannot be called here"
            self.diagnostics.reject("forbidden-call", message, node)
        if node.keywords:
            message = f"{name}() takes positional arguments only"
            self.diagnostics.reject("bad-argument", message, node)
        if name in GATE_ARITY:
            self._gate(builder, name, node)
        else:
            getattr(self, f"_instr_{name}")(builder, node)
        return None

    def _register(self, b: CircuitBuilder, name: str, node: ast.Call) -> QReg | CReg:
        eval_ = self.parts.expressions.eval
        bound: dict[str, Any] = {}
        for pname, arg in zip(("size", "name"), node.args, strict=False):
            bound[pname] = eval_(arg)
        usage = f"{name}(size, name=None): bad arguments"
        for kw in node.keywords:
            if kw.arg not in ("size", "name") or kw.arg in bound or len(node.args) > 2:
                self.diagnostics.reject("bad-argument", usage, node)
            bound[kw.arg] = eval_(kw.value)
        if len(node.args) > 2 or "size" not in bound:
            self.diagnostics.reject("bad-argument", usage, node)
        if not isinstance(bound.get("name"), str | None):
            self.diagnostics.reject("bad-argument", f"{name} name must be a string", node)
        return b.allocate(name == "QubitRegister", bound["size"])

    def _qubit_args(self, b: CircuitBuilder, args: list[ast.expr]) -> list[list[int]]:
        eval_ = self.parts.expressions.eval
        out = []
        for arg in args:
            value = eval_(arg)
            if type(value) is QubitRef:  # fast path of ``b.qubits``
                out.append([value.index])
                continue
            try:  # inline ``diagnostics.located(arg)`` (hot)
                out.append(b.qubits(value))
            except Problem as p:
                raise self.diagnostics.positioned(p, arg) from None
        return out

    def _clbit_arg(self, b: CircuitBuilder, arg: ast.expr) -> list[int]:
        value = self.parts.expressions.eval(arg)
        with self.diagnostics.located(arg):
            return b.clbits(value)

    def _gate(self, b: CircuitBuilder, name: str, node: ast.Call) -> None:
        eval_ = self.parts.expressions.eval
        spec = GATE_ARITY[name]
        expected = spec.num_params + spec.num_qubits
        if len(node.args) != expected:
            shape = f"{spec.num_params} angle(s) then {spec.num_qubits} qubit(s)"
            message = f"{name}() takes {expected} arguments ({shape}), got {len(node.args)}"
            self.diagnostics.reject("bad-argument", message, node)
        params: list[float | str] = []
        hybrid = self.state.hybrid
        for arg in node.args[: spec.num_params]:
            value = eval_(arg)
            if type(value) is float or type(value) is int:  # fast path of ``fo.number``
                params.append(float(value))
                continue
            if type(value) is ParamRef:  # a symbolic AQO parameter
                params.append(value.name)
                if not hybrid.in_ansatz:
                    hybrid.param_names.add(value.name)
                continue
            try:  # inline ``diagnostics.located(arg)`` (hot)
                params.append(float(fo.number(value)))
            except Problem as p:
                raise self.diagnostics.positioned(p, arg) from None
        b.gate(name, params, self._qubit_args(b, node.args[spec.num_params :]))

    def _in_ansatz(self, what: str, node: ast.Call) -> None:
        if self.state.hybrid.in_ansatz:
            self.parts.hybrid_values.rejects_in_ansatz(what, node)

    def _instr_measure(self, b: CircuitBuilder, node: ast.Call) -> None:
        self._in_ansatz("measure()", node)
        if len(node.args) != 2:
            message = "measure(qubits, clbits) takes 2 arguments"
            self.diagnostics.reject("bad-argument", message, node)
        (qs,) = self._qubit_args(b, node.args[:1])
        b.measure(qs, self._clbit_arg(b, node.args[1]))

    def _instr_measure_all(self, b: CircuitBuilder, node: ast.Call) -> None:
        self._in_ansatz("measure_all()", node)
        qubits = self._qubit_args(b, node.args)
        b.measure_all([q for qs in qubits for q in qs] if node.args else b.all_qubits())

    def _instr_reset(self, b: CircuitBuilder, node: ast.Call) -> None:
        self._in_ansatz("reset()", node)
        if not node.args:
            self.diagnostics.reject("bad-argument", "reset() needs at least one qubit", node)
        b.reset([q for qs in self._qubit_args(b, node.args) for q in qs])

    def _instr_barrier(self, b: CircuitBuilder, node: ast.Call) -> None:
        qubits = self._qubit_args(b, node.args)
        b.barrier([q for qs in qubits for q in qs] if node.args else b.all_qubits())
