"""The lowering's output: operations and run-time blocks → a Qiskit circuit with placed clbits.

Measurements write *slots* (one per write, :mod:`.values`); here every slot gets a clbit:

- the program's outputs come first, bit 0 of the first declared one at clbit 0 (as Qiskit's
  importer lays out registers): a bit holding a measurement at the end is that slot's clbit, a
  bit that is 0 at the end keeps a clbit nothing writes;
- every other slot shares a clbit with slots whose lifetimes (first write to last read) do not
  overlap it, or gets a scratch clbit after the outputs (left of them in a counts bitstring);
  a slot first written under a run-time condition reads 0 when the write is skipped, so it only
  takes a clbit nothing wrote before.

A :class:`Block` becomes one ``if_test`` (with ``else``), read once when it starts.
"""

from __future__ import annotations

import bisect
import heapq
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from qiskit.circuit import ClassicalRegister, Instruction, QuantumCircuit, QuantumRegister

from eigen_compiler.frontends.qasm.oq3.errors import QasmError
from eigen_ir.aqo_conditions import And, Bit, BoolExpr, Const, Not, Or
from eigen_ir.aqo_qiskit_flow import qiskit_condition

_END = 1 << 62


@dataclass
class Prim:
    """One quantum operation on qubits ``qubits``; a measurement writes ``slots``."""

    op: Instruction
    qubits: tuple[int, ...]
    slots: tuple[int, ...] = ()


@dataclass
class Block:
    """Operations that run when ``cond`` (over slots) holds, else ``orelse``."""

    cond: BoolExpr
    then: list[Prim | Block]
    orelse: list[Prim | Block] = field(default_factory=list)


Node = Prim | Block


@dataclass
class Output:
    """A classical output of the program: its name and final cells (least significant first)."""

    name: str
    cells: tuple[BoolExpr, ...]
    node: Any = None


@dataclass
class _Life:
    first: int = _END
    last: int = -1
    conditional: bool = False


def build(
    nodes: Sequence[Node], num_qubits: int, conditional: Sequence[bool], outputs: Sequence[Output]
) -> tuple[QuantumCircuit, int]:
    """The Qiskit circuit of ``nodes`` and its number of scratch clbits.

    Args:
        nodes: the lowered program.
        num_qubits: qubits declared.
        conditional: per slot, whether its first write is under a run-time condition.
        outputs: the program's classical outputs in declaration order.

    Raises:
        QasmError: an output bit that is a constant 1, a computed value or a bit another output
            also holds (AQO cannot set or copy a classical bit).
    """
    lives = [_Life(conditional=c) for c in conditional]
    _walk(nodes, lives, [0])
    place, width, scratch = _allocate(lives, outputs)
    qc = QuantumCircuit(QuantumRegister(num_qubits, "q"))
    if width:
        qc.add_register(ClassicalRegister(width, "c"))
    _emit(qc, nodes, place)
    return qc, scratch


def _walk(nodes: Sequence[Node], lives: list[_Life], clock: list[int]) -> None:
    for node in nodes:
        clock[0] += 1
        if isinstance(node, Prim):
            for s in node.slots:
                life = lives[s]
                life.first = min(life.first, clock[0])
                life.last = max(life.last, clock[0])
            continue
        for s in _slots(node.cond):
            lives[s].last = max(lives[s].last, clock[0])
        _walk(node.then, lives, clock)
        _walk(node.orelse, lives, clock)


def _slots(item: BoolExpr) -> set[int]:
    if isinstance(item, Bit):
        return {item.index}
    if isinstance(item, Not):
        return _slots(item.item)
    if isinstance(item, And | Or):
        return set().union(*(_slots(i) for i in item.items))
    return set()


def _allocate(lives: list[_Life], outputs: Sequence[Output]) -> tuple[dict[int, int], int, int]:
    """Slot → clbit, the clbit count and how many are scratch (see the module docstring).

    Slots are placed in order of first write, each on the free clbit whose output slot starts
    soonest after it ends (best fit); a clbit is free once its last slot's lifetime is over.
    """
    place: dict[int, int] = {}
    pinned_start: list[int] = []  # per clbit: when its output slot is first written
    usable: list[bool] = []  # False: must stay 0, or holds an output written under a condition
    for out in outputs:
        for k, cell in enumerate(out.cells):
            pos = len(pinned_start)
            if isinstance(cell, Const):
                if cell.value:
                    raise QasmError(
                        "qasm3-unsupported",
                        f"output {out.name}[{k}] is the constant 1 at the end of the program; "
                        "AQO can only set a classical bit by measuring",
                        out.node,
                        hint="measure into the bit, or declare the outputs with `output`",
                    )
                pinned_start.append(_END)
                usable.append(False)
            elif isinstance(cell, Bit) and cell.index not in place:
                life = lives[cell.index]
                place[cell.index] = pos
                pinned_start.append(life.first)
                usable.append(not life.conditional and life.first != _END)
            else:
                shared = f" (it is also {_holder(outputs, cell)})" if isinstance(cell, Bit) else ""
                raise QasmError(
                    "qasm3-unsupported",
                    f"output {out.name}[{k}] holds a value computed from measured bits{shared}; "
                    "AQO has no classical copy or logic, so an output bit must be a measurement",
                    out.node,
                )
    outputs_width = len(pinned_start)
    virgin = sorted((pinned_start[p], p) for p in range(outputs_width) if usable[p])
    free: list[tuple[int, int]] = []  # (pinned start, clbit) of used clbits free again
    busy: list[tuple[int, int]] = []  # heap of (busy until, clbit)
    order = sorted((i for i in range(len(lives)) if i not in place), key=lambda i: lives[i].first)
    for s in order:
        life = lives[s]
        if life.first == _END:
            continue  # never written: nothing reads it either
        while busy and busy[0][0] < life.first:
            _, pos = heapq.heappop(busy)
            bisect.insort(free, (pinned_start[pos], pos))
        pos = -1
        for pool in (virgin,) if life.conditional else (free, virgin):
            i = bisect.bisect_right(pool, (life.last, _END))
            if i < len(pool):
                pos = pool.pop(i)[1]
                break
        if pos < 0:
            pos = len(pinned_start)
            pinned_start.append(_END)
        place[s] = pos
        heapq.heappush(busy, (life.last, pos))
    return place, len(pinned_start), len(pinned_start) - outputs_width


def _holder(outputs: Sequence[Output], cell: Bit) -> str:
    for out in outputs:
        for k, c in enumerate(out.cells):
            if c == cell:
                return f"{out.name}[{k}]"
    return "another bit"


def _remap(item: BoolExpr, place: dict[int, int]) -> BoolExpr:
    if isinstance(item, Bit):
        return Bit(place[item.index])
    if isinstance(item, Not):
        return Not(_remap(item.item, place))
    if isinstance(item, And):
        return And(tuple(_remap(i, place) for i in item.items))
    if isinstance(item, Or):
        return Or(tuple(_remap(i, place) for i in item.items))
    return item


def _emit(qc: QuantumCircuit, nodes: Sequence[Node], place: dict[int, int]) -> None:
    for node in nodes:
        if isinstance(node, Prim):
            clbits = [qc.clbits[place[s]] for s in node.slots]
            qc.append(node.op, [qc.qubits[q] for q in node.qubits], clbits, copy=False)
            continue
        cond = qiskit_condition(_remap(node.cond, place), qc.clbits)
        with qc.if_test(cond) as orelse:
            _emit(qc, node.then, place)
        if node.orelse:
            with orelse:
                _emit(qc, node.orelse, place)
