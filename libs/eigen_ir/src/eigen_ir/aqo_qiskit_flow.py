"""Qiskit classical conditions and ``if_else`` blocks ↔ AQO's conditioned operations.

AQO is a flat list: an operation carries its own ``cond`` (a cube of clbits or its complement,
:mod:`eigen_ir.aqo_conditions`), read when that operation starts. A Qiskit ``if_else`` reads its
condition once for the whole block, so flattening a block is only exact while nothing in it has
written the clbits the condition reads. :func:`flatten` therefore

- gives every operation the conjunction of the conditions of the blocks around it (``else``:
  the negation), as one AQO condition or, for an operation that writes no clbit the condition
  reads, as disjoint cubes (one copy of the operation per cube, at most one applies);
- merges consecutive measurements of a conditioned block into one ``MEASURE`` (one read of the
  condition), after moving the measurements that write the condition's clbits past the
  operations they commute with (no shared qubit or clbit);
- refuses, naming the operation, a block in which the condition would be read again after being
  written, and every other control flow (``while``, ``for``, ``switch``) and classical ``store``.

Imports Qiskit.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from qiskit.circuit import (
    BoxOp,
    CircuitInstruction,
    ClassicalRegister,
    Clbit,
    ControlFlowOp,
    IfElseOp,
    Measure,
    QuantumCircuit,
)
from qiskit.circuit.classical import expr, types

from eigen_ir.aqo import AqoError, Cond
from eigen_ir.aqo_conditions import (
    FALSE,
    TRUE,
    And,
    Bit,
    BoolExpr,
    ConditionTooComplex,
    Const,
    Not,
    Or,
    check_size,
    conj,
    disj,
    equal_bits,
    less_bits,
    neg,
    support,
    to_conds,
)

#: Emits one plain (non control-flow) instruction: ``(operation, qubits, clbits, conds, path)``.
Emit = Callable[[Any, tuple[int, ...], tuple[int, ...], list[Cond | None], str], None]
#: Widest register a condition may compare (bits of a comparison formula).
MAX_CONDITION_WIDTH = 64


@dataclass
class _Frame:
    """An enclosing ``if``: the clbits its condition reads and those written inside it since."""

    reads: frozenset[int]
    written: set[int] = field(default_factory=set)


# --- Qiskit condition → BoolExpr ---------------------------------------------------------------


def condition_expr(cond: Any, bit_index: Callable[[Clbit], int], path: str) -> BoolExpr:
    """A Qiskit ``if_else`` condition (legacy ``(bit|register, value)`` or ``expr.Expr``).

    ``bit_index`` maps a clbit of the circuit to its AQO index.

    Raises:
        AqoError: a condition AQO cannot read (floats, durations, arithmetic, variables).
    """
    if isinstance(cond, tuple) and len(cond) == 2:
        target, value = cond
        if isinstance(target, Clbit):
            return Bit(bit_index(target)) if value else neg(Bit(bit_index(target)))
        if isinstance(target, ClassicalRegister):
            bits = [Bit(bit_index(b)) for b in target]
            return equal_bits(bits, _const_bits(int(value), len(bits)))
    if isinstance(cond, expr.Expr):
        try:
            return check_size(_ExprReader(bit_index, path).boolean(cond))
        except ConditionTooComplex as exc:
            raise AqoError([(path, str(exc))]) from None
    raise AqoError([(path, f"condition {cond!r} is not supported in AQO")])


def _const_bits(value: int, width: int) -> list[BoolExpr]:
    return [Const(bool((value >> k) & 1)) for k in range(width)]


class _ExprReader:
    """Reads a Qiskit classical expression into a :data:`BoolExpr`.

    Unsigned integer values are lists of bit expressions, least significant first.
    """

    def __init__(self, bit_index: Callable[[Clbit], int], path: str) -> None:
        self.bit_index = bit_index
        self.path = path

    def fail(self, node: Any, why: str = "") -> AqoError:
        text = f"condition {node} is not supported in AQO" + (f": {why}" if why else "")
        return AqoError([(self.path, text)])

    def boolean(self, node: expr.Expr) -> BoolExpr:
        if isinstance(node.type, types.Uint):
            return disj(*self.uint(node))
        if not isinstance(node.type, types.Bool):
            raise self.fail(node, f"type {node.type} is not a Boolean")
        if isinstance(node, expr.Var) and isinstance(node.var, Clbit):
            return Bit(self.bit_index(node.var))
        if isinstance(node, expr.Value):
            return Const(bool(node.value))
        if isinstance(node, expr.Cast):
            return self.boolean(node.operand)
        if isinstance(node, expr.Index):
            return self.index(node)
        if isinstance(node, expr.Unary) and node.op in (
            expr.Unary.Op.LOGIC_NOT,
            expr.Unary.Op.BIT_NOT,
        ):
            return neg(self.boolean(node.operand))
        if isinstance(node, expr.Binary):
            return self.binary(node)
        raise self.fail(node)

    def index(self, node: expr.Index) -> BoolExpr:
        bits = self.uint(node.target)
        if not isinstance(node.index, expr.Value) or not 0 <= int(node.index.value) < len(bits):
            raise self.fail(node, "the index must be a constant within the register")
        return bits[int(node.index.value)]

    def binary(self, node: expr.Binary) -> BoolExpr:
        op = expr.Binary.Op
        if node.op in (op.LOGIC_AND, op.LOGIC_OR, op.BIT_AND, op.BIT_OR, op.BIT_XOR):
            left, right = self.boolean(node.left), self.boolean(node.right)
            if node.op in (op.LOGIC_AND, op.BIT_AND):
                return conj(left, right)
            if node.op in (op.LOGIC_OR, op.BIT_OR):
                return disj(left, right)
            return disj(conj(left, neg(right)), conj(neg(left), right))
        if isinstance(node.left.type, types.Bool) and isinstance(node.right.type, types.Bool):
            a, b = [self.boolean(node.left)], [self.boolean(node.right)]
        else:
            a, b = self.uint(node.left), self.uint(node.right)
        if node.op == op.EQUAL:
            return equal_bits(a, b)
        if node.op == op.NOT_EQUAL:
            return neg(equal_bits(a, b))
        if node.op == op.LESS:
            return less_bits(a, b)
        if node.op == op.GREATER_EQUAL:
            return neg(less_bits(a, b))
        if node.op == op.GREATER:
            return less_bits(b, a)
        if node.op == op.LESS_EQUAL:
            return neg(less_bits(b, a))
        raise self.fail(node, f"operator {node.op.name} is not a comparison")

    def uint(self, node: expr.Expr) -> list[BoolExpr]:
        width = getattr(node.type, "width", 1)
        if isinstance(node.type, types.Uint) and width > MAX_CONDITION_WIDTH:
            raise self.fail(node, f"registers wider than {MAX_CONDITION_WIDTH} bits")
        if isinstance(node.type, types.Bool):
            return [self.boolean(node)]
        if isinstance(node, expr.Var) and isinstance(node.var, ClassicalRegister):
            return [Bit(self.bit_index(b)) for b in node.var]
        if isinstance(node, expr.Value) and isinstance(node.value, int):
            if node.value < 0 or node.value.bit_length() > MAX_CONDITION_WIDTH:
                raise self.fail(node, "the value is out of range")
            return _const_bits(node.value, max(width, node.value.bit_length(), 1))
        if isinstance(node, expr.Cast):
            bits = self.uint(node.operand)
            return [*bits[:width], *[FALSE] * (width - len(bits))]
        if isinstance(node, expr.Unary) and node.op == expr.Unary.Op.BIT_NOT:
            return [neg(b) for b in self.uint(node.operand)]
        if isinstance(node, expr.Binary) and node.op in (
            expr.Binary.Op.BIT_AND,
            expr.Binary.Op.BIT_OR,
            expr.Binary.Op.BIT_XOR,
        ):
            left, right = self.uint(node.left), self.uint(node.right)
            combine = {
                expr.Binary.Op.BIT_AND: conj,
                expr.Binary.Op.BIT_OR: disj,
                expr.Binary.Op.BIT_XOR: lambda a, b: neg(equal_bits([a], [b])),
            }[node.op]
            return [combine(x, y) for x, y in zip(left, right, strict=False)]
        raise self.fail(node)


# --- BoolExpr → Qiskit ---------------------------------------------------------------------------


def qiskit_condition(item: BoolExpr, clbits: Sequence[Clbit]) -> expr.Expr:
    """A Qiskit classical expression of ``item`` over ``clbits`` (conjunctions left-nested)."""
    if isinstance(item, Bit):
        return expr.lift(clbits[item.index])
    if isinstance(item, Not):
        return expr.logic_not(qiskit_condition(item.item, clbits))
    if isinstance(item, And | Or):
        join = expr.logic_and if isinstance(item, And) else expr.logic_or
        out = qiskit_condition(item.items[0], clbits)
        for part in item.items[1:]:
            out = join(out, qiskit_condition(part, clbits))
        return out
    return expr.lift(item.value)


# --- flattening ------------------------------------------------------------------------------


def flatten(circuit: QuantumCircuit, emit: Emit) -> None:
    """Emit every instruction of ``circuit`` with its AQO conditions (see the module docstring).

    Raises:
        AqoError: control flow or a condition AQO cannot express (the path names the operation).
    """
    _Flattener(emit).block(
        circuit.data,
        circuit,
        list(range(circuit.num_qubits)),
        list(range(circuit.num_clbits)),
        TRUE,
        [],
        "operations",
    )


class _Flattener:
    def __init__(self, emit: Emit) -> None:
        self.emit = emit

    def block(
        self,
        data: Sequence[CircuitInstruction],
        owner: QuantumCircuit,
        qmap: list[int],
        cmap: list[int],
        guard: BoolExpr,
        frames: list[_Frame],
        path: str,
    ) -> None:
        def qubits_of(inst: CircuitInstruction) -> tuple[int, ...]:
            return tuple(qmap[owner.find_bit(b).index] for b in inst.qubits)

        def clbits_of(inst: CircuitInstruction) -> tuple[int, ...]:
            return tuple(cmap[owner.find_bit(b).index] for b in inst.clbits)

        reads = frozenset().union(*(f.reads for f in frames))
        items = _sink_measurements(list(data), reads, clbits_of, qubits_of) if reads else data
        i = 0
        while i < len(items):
            inst = items[i]
            op = inst.operation
            where = f"{path}[{i}]"
            qs, cs = qubits_of(inst), clbits_of(inst)
            if isinstance(op, IfElseOp):
                cond = condition_expr(op.condition, lambda b: cmap[owner.find_bit(b).index], where)
                self.if_else(op, cond, qs, cs, guard, frames, where)
            elif isinstance(op, BoxOp):
                self.block(
                    op.blocks[0].data, op.blocks[0], list(qs), list(cs), guard, frames, where
                )
            elif isinstance(op, ControlFlowOp) or op.name == "store":
                raise AqoError([(where, _unsupported_flow(op.name))])
            elif isinstance(op, Measure) and frames:
                group = [inst]
                while (
                    i + 1 < len(items)
                    and isinstance(items[i + 1].operation, Measure)
                    and not set(qubits_of(items[i + 1])) & {q for g in group for q in qubits_of(g)}
                    and not set(clbits_of(items[i + 1])) & {c for g in group for c in clbits_of(g)}
                ):
                    i += 1
                    group.append(items[i])
                gq = tuple(q for g in group for q in qubits_of(g))
                gc = tuple(c for g in group for c in clbits_of(g))
                self.plain(op, gq, gc, guard, frames, where)
            else:
                self.plain(op, qs, cs, guard, frames, where)
            i += 1

    def if_else(
        self,
        op: IfElseOp,
        cond: BoolExpr,
        qs: tuple[int, ...],
        cs: tuple[int, ...],
        guard: BoolExpr,
        frames: list[_Frame],
        path: str,
    ) -> None:
        self.check(frames, path)
        inner = [*frames, _Frame(support(cond))]
        try:
            negated = neg(cond)
        except ConditionTooComplex as exc:
            raise AqoError([(path, str(exc))]) from None
        true_body, false_body = op.blocks[0], op.blocks[1] if len(op.blocks) > 1 else None
        self.block(
            true_body.data, true_body, list(qs), list(cs), conj(guard, cond), inner, f"{path}.then"
        )
        if false_body is not None and false_body.data:
            self.block(
                false_body.data,
                false_body,
                list(qs),
                list(cs),
                conj(guard, negated),
                inner,
                f"{path}.else",
            )

    def check(self, frames: list[_Frame], path: str) -> None:
        for f in frames:
            if f.written & f.reads:
                raise AqoError(
                    [
                        (
                            path,
                            "this operation would read again the condition of its `if`, which "
                            f"an earlier operation of the block wrote (clbits "
                            f"{sorted(f.written & f.reads)}); AQO reads a condition per "
                            "operation, so a block may only write its condition's clbits last",
                        )
                    ]
                )

    def plain(
        self,
        op: Any,
        qs: tuple[int, ...],
        cs: tuple[int, ...],
        guard: BoolExpr,
        frames: list[_Frame],
        path: str,
    ) -> None:
        self.check(frames, path)
        writes = set(cs) if isinstance(op, Measure) else set()
        try:
            conds = to_conds(guard, single=bool(writes & support(guard)))
        except ConditionTooComplex as exc:
            raise AqoError([(path, str(exc))]) from None
        self.emit(op, qs, cs, conds, path)
        for f in frames:
            f.written |= writes


def _sink_measurements(
    items: list[CircuitInstruction],
    reads: frozenset[int],
    clbits_of: Callable[[CircuitInstruction], tuple[int, ...]],
    qubits_of: Callable[[CircuitInstruction], tuple[int, ...]],
) -> list[CircuitInstruction]:
    """Move each measurement that writes ``reads`` past later instructions it commutes with.

    Commuting means no shared qubit or clbit (a nested block counts its clbits); the moved
    measurements keep their order.
    """
    out = list(items)
    for i in range(len(out) - 1, -1, -1):
        inst = out[i]
        if not isinstance(inst.operation, Measure) or not set(clbits_of(inst)) & reads:
            continue
        j = i
        while j + 1 < len(out):
            nxt = out[j + 1]
            if isinstance(nxt.operation, Measure) and set(clbits_of(nxt)) & reads:
                break  # keep measurements of the condition together, in order
            if set(qubits_of(nxt)) & set(qubits_of(inst)) or set(clbits_of(nxt)) & set(
                clbits_of(inst)
            ):
                break
            out[j], out[j + 1] = out[j + 1], out[j]
            j += 1
    return out


def _unsupported_flow(name: str) -> str:
    what = {
        "while_loop": "run-time `while` loops",
        "for_loop": "`for` loops left in the circuit",
        "switch_case": "`switch` statements",
        "break_loop": "`break`",
        "continue_loop": "`continue`",
        "store": "classical assignments (`store`)",
    }.get(name, f"the control-flow instruction {name!r}")
    return f"{what} are not supported in AQO v0.1"
