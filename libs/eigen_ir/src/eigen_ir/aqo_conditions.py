"""Boolean conditions over clbits and their AQO form (``cond``: a cube or its complement).

AQO conditions one operation at a time (docs/aqo.md): ``{"c": bits, "value": v}`` holds when
``bits`` spell ``v`` (a *cube*: a conjunction of bit literals) and ``"cmp": "!="`` holds when
they do not (the complement of a cube). Front ends produce arbitrary Boolean expressions over
clbits (``c0 && !c1``, ``int(c) < 5``, nested ``if``/``else``); :func:`to_conds` writes one as
a single AQO condition when it is one, else as disjoint cubes (the operation is then repeated
once per cube, and at most one copy applies).

Pure Python (no Qiskit). Expressions are immutable tuples of :class:`Bit`, :class:`Not`,
:class:`And`, :class:`Or` and :class:`Const`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from eigen_ir.aqo import Cond

#: At most this many disjoint cubes per condition (each repeats the conditioned operation).
MAX_CUBES = 256
#: At most this many nodes in a condition written out as a tree. Expressions share subtrees
#: (``xor`` uses each operand twice), so a chain of ``^`` doubles at every step; every
#: traversal checks this first, so none can take exponential time.
MAX_TERMS = 4096
#: Shannon expansion steps :func:`disjoint_cubes` may take (dead ends included).
MAX_STEPS = 4096


@dataclass(frozen=True)
class Const:
    """A constant truth value."""

    value: bool


@dataclass(frozen=True)
class Bit:
    """Clbit ``index`` is 1."""

    index: int


@dataclass(frozen=True)
class Not:
    """Negation of ``item``."""

    item: BoolExpr


@dataclass(frozen=True)
class And:
    """Conjunction of ``items`` (empty: true)."""

    items: tuple[BoolExpr, ...]


@dataclass(frozen=True)
class Or:
    """Disjunction of ``items`` (empty: false)."""

    items: tuple[BoolExpr, ...]


BoolExpr = Const | Bit | Not | And | Or
TRUE = Const(True)
FALSE = Const(False)


class ConditionTooComplex(ValueError):
    """A condition is too large: more than :data:`MAX_TERMS` terms or :data:`MAX_CUBES` cubes."""


def tree_size(item: BoolExpr, cap: int = MAX_TERMS) -> int:
    """Nodes of ``item`` written out as a tree, at most ``cap + 1``.

    Shared subtrees count each time they appear; the count is linear in the shared graph.
    """
    memo: dict[int, int] = {}

    def size(e: BoolExpr) -> int:
        key = id(e)
        if key not in memo:
            if isinstance(e, And | Or):
                total = 1
                for i in e.items:
                    total = min(total + size(i), cap + 1)
                memo[key] = total
            elif isinstance(e, Not):
                memo[key] = min(1 + size(e.item), cap + 1)
            else:
                memo[key] = 1
        return memo[key]

    return size(item)


def check_size(item: BoolExpr) -> BoolExpr:
    """``item`` unless it has more than :data:`MAX_TERMS` terms.

    Raises:
        ConditionTooComplex: it has.
    """
    if tree_size(item) > MAX_TERMS:
        raise ConditionTooComplex(
            f"the condition has more than {MAX_TERMS} terms (Boolean operators on measured bits "
            "nest too far, e.g. a long chain of ^)"
        )
    return item


def conj(*items: BoolExpr) -> BoolExpr:
    """``items`` and-ed, with constants folded and nested conjunctions flattened."""
    out: list[BoolExpr] = []
    for item in items:
        if isinstance(item, Const):
            if not item.value:
                return FALSE
            continue
        out.extend(item.items if isinstance(item, And) else (item,))
    return out[0] if len(out) == 1 else And(tuple(out)) if out else TRUE


def disj(*items: BoolExpr) -> BoolExpr:
    """``items`` or-ed, with constants folded and nested disjunctions flattened."""
    out: list[BoolExpr] = []
    for item in items:
        if isinstance(item, Const):
            if item.value:
                return TRUE
            continue
        out.extend(item.items if isinstance(item, Or) else (item,))
    return out[0] if len(out) == 1 else Or(tuple(out)) if out else FALSE


def neg(item: BoolExpr) -> BoolExpr:
    """Negation, pushed inwards (De Morgan) so literals stay at the leaves.

    Raises:
        ConditionTooComplex: ``item`` has more than :data:`MAX_TERMS` terms.
    """
    return _neg(check_size(item))


def _neg(item: BoolExpr) -> BoolExpr:
    if isinstance(item, Const):
        return Const(not item.value)
    if isinstance(item, Not):
        return item.item
    if isinstance(item, And):
        return disj(*(_neg(i) for i in item.items))
    if isinstance(item, Or):
        return conj(*(_neg(i) for i in item.items))
    return Not(item)


def xor(a: BoolExpr, b: BoolExpr) -> BoolExpr:
    """Exclusive or."""
    return disj(conj(a, neg(b)), conj(neg(a), b))


def equal_bits(a: Sequence[BoolExpr], b: Sequence[BoolExpr]) -> BoolExpr:
    """Two unsigned values (bits least significant first, the shorter zero-extended) are equal."""
    width = max(len(a), len(b))
    a = [*a, *[FALSE] * (width - len(a))]
    b = [*b, *[FALSE] * (width - len(b))]
    return conj(*(neg(xor(x, y)) for x, y in zip(a, b, strict=True)))


def less_bits(a: Sequence[BoolExpr], b: Sequence[BoolExpr]) -> BoolExpr:
    """Unsigned ``a < b`` (bits least significant first): the highest differing bit decides."""
    width = max(len(a), len(b))
    a = [*a, *[FALSE] * (width - len(a))]
    b = [*b, *[FALSE] * (width - len(b))]
    out: BoolExpr = FALSE
    for x, y in zip(a, b, strict=True):  # from the least significant bit up
        out = disj(conj(neg(x), y), conj(neg(xor(x, y)), out))
    return out


def support(item: BoolExpr) -> frozenset[int]:
    """The clbits ``item`` reads (linear in the shared graph)."""
    found: set[int] = set()
    seen: set[int] = set()
    stack = [item]
    while stack:
        e = stack.pop()
        if id(e) in seen:
            continue
        seen.add(id(e))
        if isinstance(e, Bit):
            found.add(e.index)
        elif isinstance(e, Not):
            stack.append(e.item)
        elif isinstance(e, And | Or):
            stack.extend(e.items)
    return frozenset(found)


def restrict(item: BoolExpr, bit: int, value: bool) -> BoolExpr:
    """``item`` with clbit ``bit`` fixed to ``value`` (simplified; linear in the shared graph).

    Raises:
        ConditionTooComplex: ``item`` has more than :data:`MAX_TERMS` terms.
    """
    check_size(item)
    memo: dict[int, BoolExpr] = {}

    def walk(e: BoolExpr) -> BoolExpr:
        key = id(e)
        if key not in memo:
            if isinstance(e, Bit):
                memo[key] = Const(value) if e.index == bit else e
            elif isinstance(e, Not):
                memo[key] = _neg(walk(e.item))
            elif isinstance(e, And):
                memo[key] = conj(*(walk(i) for i in e.items))
            elif isinstance(e, Or):
                memo[key] = disj(*(walk(i) for i in e.items))
            else:
                memo[key] = e
        return memo[key]

    return walk(item)


def evaluate(item: BoolExpr, bits: Mapping[int, bool]) -> bool:
    """The value of ``item`` for clbit values ``bits`` (missing clbits are 0)."""
    memo: dict[int, bool] = {}

    def walk(e: BoolExpr) -> bool:
        key = id(e)
        if key not in memo:
            if isinstance(e, Const):
                memo[key] = e.value
            elif isinstance(e, Bit):
                memo[key] = bool(bits.get(e.index, False))
            elif isinstance(e, Not):
                memo[key] = not walk(e.item)
            elif isinstance(e, And):
                memo[key] = all(walk(i) for i in e.items)
            else:
                memo[key] = any(walk(i) for i in e.items)
        return memo[key]

    return walk(item)


Cube = tuple[tuple[int, bool], ...]


def as_cube(item: BoolExpr) -> Cube | None:
    """``item`` as a cube (sorted ``(bit, value)`` literals), or None if it is not one.

    A constant true is the empty cube; a contradictory conjunction is not a cube.
    """
    literals: dict[int, bool] = {}
    parts = item.items if isinstance(item, And) else (item,)
    for part in parts:
        if isinstance(part, Const) and part.value:
            continue
        if isinstance(part, Bit):
            bit, value = part.index, True
        elif isinstance(part, Not) and isinstance(part.item, Bit):
            bit, value = part.item.index, False
        else:
            return None
        if literals.setdefault(bit, value) != value:
            return None
    return tuple(sorted(literals.items()))


def cube_expr(cube: Iterable[tuple[int, bool]]) -> BoolExpr:
    """The conjunction a cube stands for."""
    return conj(*(Bit(b) if v else Not(Bit(b)) for b, v in cube))


def disjoint_cubes(item: BoolExpr, limit: int = MAX_CUBES) -> list[Cube]:
    """Pairwise disjoint cubes whose union is ``item`` (Shannon expansion, in bit order).

    Raises:
        ConditionTooComplex: more than ``limit`` cubes or :data:`MAX_STEPS` steps are needed,
            or ``item`` has more than :data:`MAX_TERMS` terms.
    """
    check_size(item)
    out: list[Cube] = []
    steps = [0]

    def walk(e: BoolExpr, path: tuple[tuple[int, bool], ...]) -> None:
        steps[0] += 1
        if steps[0] > MAX_STEPS:
            raise ConditionTooComplex(
                f"splitting the condition into cubes takes more than {MAX_STEPS} steps"
            )
        if isinstance(e, Const):
            if e.value:
                out.append(tuple(sorted(path)))
                if len(out) > limit:
                    raise ConditionTooComplex(f"the condition needs more than {limit} cubes")
            return
        cube = as_cube(e)
        if cube is not None:
            walk(TRUE, path + cube)
            return
        bit = min(support(e))
        walk(restrict(e, bit, False), (*path, (bit, False)))
        walk(restrict(e, bit, True), (*path, (bit, True)))

    walk(item, ())
    return out


def cube_cond(cube: Cube, negate: bool = False) -> Cond:
    """The AQO condition of a non-empty cube (``!=`` for its complement)."""
    bits = tuple(b for b, _ in cube)
    value = sum(1 << k for k, (_, v) in enumerate(cube) if v)
    return (bits, value, "!=") if negate else (bits, value)


def cond_expr(cond: Cond) -> BoolExpr:
    """The Boolean expression of an AQO condition."""
    bits, value = cond[0], cond[1]
    cube = cube_expr((b, bool((value >> k) & 1)) for k, b in enumerate(bits))
    return neg(cube) if len(cond) == 3 and cond[2] == "!=" else cube


def to_conds(item: BoolExpr, *, single: bool = False) -> list[Cond | None]:
    """AQO conditions equivalent to ``item``: an operation under ``item`` is emitted once per entry.

    ``[None]`` means unconditional, ``[]`` never; one entry is a cube or its complement; more
    entries are disjoint cubes (each a copy of the operation, at most one of which applies).

    Args:
        item: the condition.
        single: the operation writes clbits the condition reads, so it may not be repeated.

    Raises:
        ConditionTooComplex: ``single`` and the condition is not one cube or its complement, or
            more than :data:`MAX_CUBES` cubes would be needed.
    """
    check_size(item)
    if isinstance(item, Const):
        return [None] if item.value else []
    cube = as_cube(item)
    if cube is not None:
        return [cube_cond(cube)] if cube else [None]
    anti = as_cube(neg(item))
    if anti is not None:
        return [cube_cond(anti, negate=True)] if anti else []
    if single:
        raise ConditionTooComplex(
            "an operation that writes the clbits of its own condition needs a condition that "
            "is one comparison of clbits with a value"
        )
    return [cube_cond(c) if c else None for c in disjoint_cubes(item)]
