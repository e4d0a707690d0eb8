"""AQO's extensions: ``cond`` with ``"cmp": "!="``, affine parameter expressions, and the
Boolean algebra that writes any condition over clbits as AQO conditions."""

from __future__ import annotations

import itertools
import pickle

import pytest

from eigen_ir import aqo
from eigen_ir.aqo_conditions import (
    FALSE,
    TRUE,
    Bit,
    ConditionTooComplex,
    Not,
    cond_expr,
    conj,
    disj,
    disjoint_cubes,
    equal_bits,
    evaluate,
    less_bits,
    neg,
    to_conds,
    xor,
)


def doc(ops: list[dict[str, object]], params: list[str] | None = None) -> dict[str, object]:
    return {
        "version": "0.1",
        "qubits": 2,
        "clbits": 3,
        "parameters": params or [],
        "operations": ops,
    }


# --- cond "!=" -----------------------------------------------------------------------------


def test_not_equal_cond_round_trips_and_equal_is_the_canonical_default() -> None:
    c = aqo.parse(
        doc(
            [
                {"op": "X", "q": [0], "cond": {"c": [0, 2], "value": 1, "cmp": "!="}},
                {"op": "X", "q": [1], "cond": {"c": [1], "value": 1, "cmp": "=="}},
            ]
        )
    )
    assert c.operations[0].cond == ((0, 2), 1, "!=")
    assert c.operations[1].cond == ((1,), 1)  # "==" is not kept: one form per meaning
    data = c.canonical_bytes()
    assert b'"cond":{"c":[0,2],"cmp":"!=","value":1}' in data
    assert b'"cond":{"c":[1],"value":1}' in data
    assert aqo.parse(data).canonical_bytes() == data


@pytest.mark.parametrize(
    ("cond", "path"),
    [
        ({"c": [0], "value": 1, "cmp": "<"}, "operations[0].cond.cmp"),
        ({"c": [0, 0], "value": 1}, "operations[0].cond.c"),
        ({"c": [0], "value": 2}, "operations[0].cond.value"),
        ({"c": [0], "value": 1, "mask": 3}, "operations[0].cond"),
        ({"c": [7], "value": 1}, "operations[0].cond.c[0]"),
        ([0, 1], "operations[0].cond"),
    ],
)
def test_bad_conditions_are_named(cond: object, path: str) -> None:
    with pytest.raises(aqo.AqoError) as info:
        aqo.parse(doc([{"op": "X", "q": [0], "cond": cond}]))
    assert path in {p for p, _ in info.value.violations}


def test_cond_holds() -> None:
    assert aqo.cond_holds(((0, 2), 1), [1, 0, 0])
    assert not aqo.cond_holds(((0, 2), 1), [1, 0, 1])
    assert aqo.cond_holds(((0, 2), 1, "!="), [1, 0, 1])
    assert not aqo.cond_holds(((0, 2), 1, "!="), [1, 1, 0])


# --- affine parameter expressions ----------------------------------------------------------


def test_affine_params_parse_serialise_and_bind() -> None:
    c = aqo.parse(
        doc(
            [{"op": "RX", "q": [0], "params": [{"terms": {"b": -0.5, "a": 2.0}, "offset": 0.1}]}],
            ["a", "b"],
        )
    )
    (p,) = c.operations[0].params
    assert isinstance(p, aqo.ParamExpr) and isinstance(p, str)  # "symbolic" to str checks
    assert p.terms == (("a", 2.0), ("b", -0.5)) and p.offset == 0.1 and p.names == ("a", "b")
    data = c.canonical_bytes()
    assert b'"params":[{"offset":0.1,"terms":{"a":2.0,"b":-0.5}}]' in data
    assert aqo.parse(data) == c
    partly = aqo.bind(c, {"a": 1.0})
    assert partly.parameters == ("b",)
    assert partly.operations[0].params == (aqo.ParamExpr([("b", -0.5)], 2.1),)
    fully = aqo.bind(partly, {"b": 2.0})
    assert fully.parameters == () and fully.operations[0].params == (1.1,)
    assert pickle.loads(pickle.dumps(p)) == p and hash(p) == hash(aqo.ParamExpr(p.terms, 0.1))
    assert p != str(p) and aqo.ParamExpr(p.terms, 0.2) != p


def test_affine_canonical_forms() -> None:
    assert aqo.affine([("a", 1.0)], 0) == "a"
    assert aqo.affine([("a", 1.0), ("a", -1.0)], 0.5) == 0.5
    assert aqo.affine([("a", 2.0)], 0) == aqo.ParamExpr([("a", 2.0)], 0)


@pytest.mark.parametrize(
    "param",
    [
        {"terms": {}, "offset": 1.0},
        {"terms": {"a": 0}, "offset": 1.0},
        {"terms": {"a": float("nan")}},
        {"terms": {"a": 1.0}, "offset": float("inf")},
        {"terms": {"": 1.0}},
        {"terms": {"a": 1.0}, "scale": 2},
        {"terms": {"a": True}},
    ],
)
def test_bad_affine_params_are_refused(param: object) -> None:
    with pytest.raises(aqo.AqoError) as info:
        aqo.parse(doc([{"op": "RX", "q": [0], "params": [param]}], ["a"]))
    assert "operations[0].params[0]" in {p for p, _ in info.value.violations}


def test_expression_names_must_be_declared_and_results_finite() -> None:
    with pytest.raises(aqo.AqoError, match="undeclared"):
        aqo.parse(doc([{"op": "RX", "q": [0], "params": [{"terms": {"z": 2.0}}]}]))
    c = aqo.parse(doc([{"op": "RX", "q": [0], "params": [{"terms": {"a": 1e308}}]}], ["a"]))
    with pytest.raises(aqo.AqoError, match="not finite"):
        aqo.bind(c, {"a": 10.0})


# --- Boolean algebra -------------------------------------------------------------------------


def test_cubes_and_their_complements_are_single_conditions() -> None:
    a, b, c = Bit(0), Bit(1), Bit(2)
    assert to_conds(conj(a, neg(c))) == [((0, 2), 1)]
    assert to_conds(disj(neg(a), c)) == [((0, 2), 1, "!=")]  # ¬(a ∧ ¬c)
    assert to_conds(TRUE) == [None] and to_conds(FALSE) == []
    assert to_conds(conj(a, neg(a))) == []  # never
    split = to_conds(xor(a, b))
    assert len(split) == 2 and all(c is not None and len(c) == 2 for c in split)
    with pytest.raises(ConditionTooComplex):
        to_conds(xor(a, b), single=True)


@pytest.mark.parametrize("seed", range(20))
def test_disjoint_cubes_cover_exactly_once(seed: int) -> None:
    import random

    rng = random.Random(seed)

    def rand(depth: int) -> object:
        if depth == 0 or rng.random() < 0.3:
            return Bit(rng.randrange(4))
        kind = rng.choice(["and", "or", "not", "xor"])
        if kind == "not":
            return neg(rand(depth - 1))  # type: ignore[arg-type]
        x, y = rand(depth - 1), rand(depth - 1)
        return {"and": conj, "or": disj, "xor": xor}[kind](x, y)  # type: ignore[arg-type]

    e = rand(4)
    conds = to_conds(e)  # type: ignore[arg-type]
    for bits in itertools.product([0, 1], repeat=4):
        hits = sum(1 for c in conds if c is None or aqo.cond_holds(c, bits))
        assert hits == int(evaluate(e, dict(enumerate(map(bool, bits))))), (e, conds)  # type: ignore[arg-type]


def test_comparisons_over_bits() -> None:
    x = [Bit(0), Bit(1), Bit(2)]
    for k in range(8):
        const = [TRUE if (k >> i) & 1 else FALSE for i in range(3)]
        lt, eq = less_bits(x, const), equal_bits(x, const)
        for v in range(8):
            bits = {i: bool((v >> i) & 1) for i in range(3)}
            assert evaluate(lt, bits) == (v < k) and evaluate(eq, bits) == (v == k)
    y = [Bit(3), Bit(4)]  # two run-time values, the shorter zero-extended
    for u, v in itertools.product(range(8), range(4)):
        bits = {i: bool((u >> i) & 1) for i in range(3)} | {
            3 + i: bool((v >> i) & 1) for i in range(2)
        }
        assert evaluate(less_bits(x, y), bits) == (u < v)
        assert evaluate(equal_bits(x, y), bits) == (u == v)


def test_cube_limit() -> None:
    parity = Bit(0)
    for i in range(1, 10):
        parity = xor(parity, Bit(i))  # type: ignore[assignment]
    assert len(disjoint_cubes(parity, limit=512)) == 512  # one cube per odd assignment
    with pytest.raises(ConditionTooComplex, match="more than 256 cubes"):
        disjoint_cubes(parity, limit=256)


def test_cond_expr_inverts_cube_cond() -> None:
    assert cond_expr(((0, 1), 2)) == conj(Not(Bit(0)), Bit(1))
    assert evaluate(cond_expr(((0, 1), 2, "!=")), {0: False, 1: True}) is False


def test_shared_subtrees_cannot_make_traversals_exponential() -> None:
    """``xor`` uses each operand twice: a chain of 40 doubles 40 times as a tree. Every
    traversal refuses it at once instead of walking 2**40 nodes."""
    import time

    from eigen_ir.aqo_conditions import MAX_TERMS, check_size, support, tree_size

    chain = Bit(0)
    for i in range(1, 40):
        chain = disj(conj(chain, Not(Bit(i))), conj(Not(chain), Bit(i)))  # shares, builds fast
    t0 = time.perf_counter()
    assert tree_size(chain) == MAX_TERMS + 1
    assert support(chain) == frozenset(range(40))  # linear in the shared graph
    assert evaluate(chain, {0: True}) is True
    for call in (lambda: check_size(chain), lambda: neg(chain), lambda: to_conds(chain)):
        with pytest.raises(ConditionTooComplex, match="more than 4096 terms"):
            call()
    assert time.perf_counter() - t0 < 2
