"""Expressions: constants, names, attributes, subscripts and operators, folded at compile time.

Calls are handed to :mod:`.calls`, hybrid attributes and ``theta[k]`` to :mod:`.hybrid_values`;
everything else folds here with :mod:`..folding`.
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from typing import Any

from eigen_compiler.frontends.eigen_lang import folding as fo
from eigen_compiler.frontends.eigen_lang.library import member, random_member
from eigen_compiler.frontends.eigen_lang.lowering.context import Parts
from eigen_compiler.frontends.eigen_lang.problem import Problem
from eigen_compiler.frontends.eigen_lang.syntax import describe
from eigen_compiler.frontends.eigen_lang.values import (
    Array,
    ClbitRef,
    CReg,
    DictValue,
    ModuleRef,
    NumpyRandom,
    ObservableValue,
    ParamVector,
    QReg,
    QubitRef,
    kind,
)

_SCALABLE = (Array, ObservableValue)


class Evaluator:
    """Evaluates expressions (implements :class:`.context.Expressions`)."""

    def __init__(self, parts: Parts) -> None:
        self.parts = parts
        self.diagnostics = parts.diagnostics
        self.scope = parts.scope
        # Lowering evaluates the same nodes once per unrolled iteration: one handler per type.
        self._handlers: dict[type, Callable[[Any], Any]] = {}

    def eval(self, node: ast.expr) -> Any:
        """The compile-time value of ``node``.

        Raises:
            Reject: the expression is not supported or cannot be folded (positioned).
            Silent: it uses a name whose assignment failed.
        """
        handler = self._handlers.get(type(node))
        if handler is None:
            handler = getattr(self, f"_expr_{type(node).__name__}", None)
            if handler is None:
                message = f"{describe(node)} is not supported in Eigen-Lang v0.1"
                hint = "use numbers, tuples, registers, qubits and library calls"
                self.diagnostics.reject("unsupported-expression", message, node, hint)
            self._handlers[type(node)] = handler
        try:  # inline ``diagnostics.located(node)``: this is the hottest call of the lowering
            return handler(node)
        except Problem as p:
            raise self.diagnostics.positioned(p, node) from None

    def _expr_Constant(self, node: ast.Constant) -> Any:
        v = node.value
        if type(v) is float or type(v) is int:  # fast path; bool and subclasses fall through
            return fo.checked(v)
        if not (v is None or isinstance(v, bool | int | float | str)):
            self.diagnostics.reject(
                "unsupported-expression", f"constant {v!r} is not supported", node
            )
        if isinstance(v, str) and len(v) > fo.MAX_SEQUENCE:
            self.diagnostics.reject("unsupported-expression", "string constant is too long", node)
        return fo.checked(v) if fo.is_number(v) else v

    def _expr_Tuple(self, node: ast.Tuple) -> tuple[Any, ...]:
        return tuple(self.eval(e) for e in node.elts)

    def _expr_List(self, node: ast.List) -> tuple[Any, ...]:
        return tuple(self.eval(e) for e in node.elts)

    def _expr_Name(self, node: ast.Name) -> Any:
        return self.scope.lookup(node.id, node)

    def _expr_Call(self, node: ast.Call) -> Any:
        return self.parts.calls.call(node)

    def _expr_Attribute(self, node: ast.Attribute) -> Any:
        if node.attr.startswith("_"):
            self.diagnostics.reject("dunder", f"attribute {node.attr!r} is not allowed", node)
        base = self.eval(node.value)
        if type(base) is ModuleRef:
            return member(base, node.attr)
        if isinstance(base, NumpyRandom):
            return random_member(node.attr)
        return self.parts.hybrid_values.attribute(base, node)

    def _expr_Subscript(self, node: ast.Subscript) -> Any:
        base = self.eval(node.value)
        if isinstance(node.slice, ast.Slice):
            return self._slice(base, node, node.slice)
        index = self.eval(node.slice)
        if not fo.is_int(index):
            message = f"index must be an integer, got {kind(index)}"
            self.diagnostics.reject("bad-argument", message, node.slice)
        if isinstance(base, QReg | CReg):
            i = index + base.size if index < 0 else index
            if not 0 <= i < base.size:
                rule = "qubit-out-of-range" if isinstance(base, QReg) else "clbit-out-of-range"
                message = f"index {index} is out of range for a register of size {base.size}"
                self.diagnostics.reject(rule, message, node.slice)
            if isinstance(base, QReg):
                return QubitRef(base.offset + i)
            return ClbitRef(base.offset + i)
        if isinstance(base, ParamVector):
            return self.parts.hybrid_values.vector_item(base, index, node)
        if isinstance(base, tuple | range | Array | str):
            items = fo.sequence(base)
            if not -len(items) <= index < len(items):
                message = f"index {index} is out of range for length {len(items)}"
                self.diagnostics.reject("index-out-of-range", message, node.slice)
            return items[index]
        self.diagnostics.reject("bad-argument", f"{kind(base)} cannot be indexed", node)

    def _slice(self, base: Any, node: ast.Subscript, cut_node: ast.Slice) -> Any:
        if isinstance(base, QReg | CReg):
            hint = "index single qubits, or pass the whole register"
            message = "register slices are not supported"
            self.diagnostics.reject("unsupported-expression", message, node, hint)
        parts = (cut_node.lower, cut_node.upper, cut_node.step)
        bounds = [None if b is None else self.eval(b) for b in parts]
        if any(b is not None and not fo.is_int(b) for b in bounds):
            self.diagnostics.reject("bad-argument", "slice bounds must be integers", cut_node)
        if bounds[2] == 0:
            self.diagnostics.reject("bad-argument", "slice step must not be zero", cut_node)
        cut = slice(*bounds)
        if isinstance(base, Array):
            return Array(base.values[cut])
        if isinstance(base, tuple | range):
            return base[cut]
        self.diagnostics.reject("bad-argument", f"{kind(base)} cannot be sliced", node)

    def _expr_UnaryOp(self, node: ast.UnaryOp) -> Any:
        value = self.eval(node.operand)
        if isinstance(node.op, ast.Not):
            return not fo.truth(value)
        if isinstance(node.op, ast.USub | ast.UAdd):
            if isinstance(value, _SCALABLE):  # arrays and observables: times ±1.0, as numpy
                sign = -1.0 if isinstance(node.op, ast.USub) else 1.0
                return fo.binary("Mult", value, sign)
            num = fo.number(value)
            return -num if isinstance(node.op, ast.USub) else +num
        message = f"{describe(node.op)} is not supported"
        self.diagnostics.reject("unsupported-expression", message, node)

    def _expr_BinOp(self, node: ast.BinOp) -> Any:
        left, right = self.eval(node.left), self.eval(node.right)
        return fo.binary(type(node.op).__name__, left, right)

    def _expr_Compare(self, node: ast.Compare) -> bool:
        left = self.eval(node.left)
        for op, comparator in zip(node.ops, node.comparators, strict=True):
            right = self.eval(comparator)
            if not fo.compare(type(op).__name__, left, right):
                return False
            left = right
        return True

    def _expr_BoolOp(self, node: ast.BoolOp) -> Any:
        is_and = isinstance(node.op, ast.And)
        value: Any = None
        for operand in node.values:
            value = self.eval(operand)
            if fo.truth(value) != is_and:
                return value
        return value

    def _expr_IfExp(self, node: ast.IfExp) -> Any:
        test = self.eval(node.test)
        if not fo.is_constant(test):
            message = f"the condition is {kind(test)}, not a compile-time constant"
            self.diagnostics.reject("non-constant-if", message, node.test)
        return self.eval(node.body if fo.truth(test) else node.orelse)

    def _expr_Dict(self, node: ast.Dict) -> DictValue:
        items = []
        for key, value in zip(node.keys, node.values, strict=True):
            if key is None:
                self.diagnostics.reject("star-args", "`**` unpacking is not allowed", value)
            k = self.eval(key)
            if not fo.is_constant(k) or isinstance(k, Array):
                message = f"dict keys must be constants, not {kind(k)}"
                self.diagnostics.reject("bad-argument", message, key)
            items.append((k, self.eval(value)))
        return DictValue(tuple(items))
