"""Hybrid programs (seed 004): Param, Observable, ansätze, cost functions and minimize → plan.

The seed's appendix program (``programs/seed_appendix.eigen.txt``, imports fixed) compiles
unchanged; its plan is checked field by field against our own library (``eigen_lang``).
"""

from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path

import numpy as np
import pytest
from qiskit.circuit import QuantumCircuit

from eigen_common.errors import CompilationFailedError
from eigen_compiler import convert
from eigen_compiler.frontends.eigen_lang import DEFAULT_RANDOM_SEED, lower_program
from eigen_compiler.model import CompileRequest, EigenLangSource, Limits
from eigen_compiler.optimize import PassManagerCache
from eigen_compiler.pipeline import Compiler
from eigen_ir.hybrid import parse_plan
from eigen_lang import Observable, create_hea_ansatz, create_ising_model_hamiltonian

PROGRAMS = Path(__file__).parent / "programs"
SEED = (PROGRAMS / "seed_appendix.eigen.txt").read_text(encoding="utf-8")
VALID = PROGRAMS / "valid"
PREAMBLE = "from eigen_lang import *\nimport numpy as np\n"


def _plan(source: str, inputs: dict[str, float] | None = None) -> dict[str, object]:
    lowered = lower_program(source, inputs=inputs)
    assert lowered.plan is not None
    data = lowered.plan.canonical_bytes()
    assert parse_plan(data) == lowered.plan
    decoded: dict[str, object] = json.loads(data)
    return decoded


def _rules(source: str) -> list[tuple[str, int]]:
    with pytest.raises(CompilationFailedError) as info:
        lower_program(source)
    return [(d.rule, d.line) for d in info.value.diagnostics]


# --- the seed appendix ------------------------------------------------------------------------


@pytest.mark.parametrize(("inputs", "n"), [({}, 5), ({"n_routes": 4}, 4)])
def test_seed_appendix_plan(inputs: dict[str, float], n: int) -> None:
    plan = _plan(SEED, inputs)
    reference = create_hea_ansatz(n, 3, "linear", "ry")
    assert DEFAULT_RANDOM_SEED == 0
    assert plan["circuit"]["qubits"] == n  # type: ignore[index]
    assert plan["parameters"] == list(reference.parameters)
    assert len(plan["parameters"]) == (20 if n == 5 else 16)  # type: ignore[arg-type]
    assert plan["shots"] is None
    assert plan["optimizer"] == {
        "method": "cobyla",
        "max_iter": 150,
        "tolerance": 1e-5,
        "initial_point": list(np.random.RandomState(0).randn(reference.num_params) * 0.1),
        "seed": None,
    }
    hamiltonian = create_ising_model_hamiltonian(n, -1.0, 0.5, False)
    assert plan["observable"] == {
        "num_qubits": n,
        "terms": [[label, c] for label, c in hamiltonian.terms],
    }
    assert plan["returns"] == {
        "optimal_cost": {"result": "optimal_value"},
        "optimal_parameters": {"result": "optimal_parameters"},
        "success": {"result": "success"},
        "iterations": {"result": "iterations"},
        "qubits_used": {"value": n},
    }
    ops = plan["circuit"]["operations"]  # type: ignore[index]
    expected = [
        {"op": g.upper(), "q": list(q), **({} if k is None else {"params": [f"theta[{k}]"]})}
        for g, q, k in reference.ops
    ]
    assert ops == expected
    assert all(op["op"] != "MEASURE" for op in ops)


def test_seed_appendix_spelled_eigen_lang_compiles_to_the_same_plan() -> None:
    assert "from Eigen_lang import" in (VALID / "41_seed_appendix.eigen.py").read_text()
    seed_spelling = (VALID / "41_seed_appendix.eigen.py").read_text(encoding="utf-8")
    assert _plan(seed_spelling) == _plan(SEED)


def test_seed_appendix_through_the_pipeline(compiler: Compiler) -> None:
    result = compiler.compile(CompileRequest(EigenLangSource(SEED), inputs={"n_routes": 4}))
    plan = parse_plan(result.hybrid_plan_json)
    assert result.plan == plan
    assert plan.circuit.canonical_bytes() == result.aqo_json
    assert result.aqo_sha256 == hashlib.sha256(result.aqo_json).hexdigest()
    assert result.logical_qubits == plan.num_qubits == 4
    assert set(plan.circuit.parameters) == set(plan.parameters)
    m = result.metrics
    assert m["hybrid"] == "true"
    assert m["plan_sha256"] == hashlib.sha256(result.hybrid_plan_json).hexdigest()
    assert (m["optimizer"], m["parameters_count"], m["observable_terms"]) == ("cobyla", "16", "7")
    assert m["optimization_level"] == "3"  # the decorator's level; every parameter survives
    assert not result.warnings
    response = convert.compile_response(result)
    assert response.hybrid_plan_json == result.hybrid_plan_json
    assert response.payload.data == result.aqo_json
    assert compiler.validate(CompileRequest(EigenLangSource(SEED))).valid


# --- parametrised straight-line programs ------------------------------------------------------


PARAMS = PREAMBLE + (
    "@hybrid_program(shots=10)\ndef p(n=2):\n"
    "    q = QubitRegister(n)\n"
    "    ry(Param('theta'), q[0])\n"
    "    rz(Param('theta'), q[1])\n"
    "    cx(q[0], q[1])\n"
    "    measure_all(q)\n"
)


def test_param_inputs_do_not_change_the_bytes_nor_warn(compiler: Compiler) -> None:
    plain = compiler.compile(CompileRequest(EigenLangSource(PARAMS)))
    bound = compiler.compile(CompileRequest(EigenLangSource(PARAMS), inputs={"theta": 0.3}))
    assert plain.aqo_json == bound.aqo_json
    assert not bound.warnings
    assert bound.metrics["parameters"] == "theta"
    assert bound.circuit.parameters == ("theta",)
    assert not bound.hybrid_plan_json and bound.plan is None
    other = compiler.compile(CompileRequest(EigenLangSource(PARAMS), inputs={"nope": 1.0}))
    assert [w.rule for w in other.warnings] == ["unused-input"]


@pytest.mark.parametrize(
    "expression", ["2 * Param('a')", "Param('a') + 1", "-Param('a')", "math.sin(Param('a'))"]
)
def test_param_arithmetic_is_rejected(expression: str) -> None:
    source = PREAMBLE + f"import math\n@hybrid_program\ndef p():\n    rx({expression}, 0)\n"
    assert _rules(source) == [("param-arithmetic", 6)]


@pytest.mark.parametrize("name", ["'1x'", "'__x'", "3", "'a b'"])
def test_param_names_are_identifiers(name: str) -> None:
    source = PREAMBLE + f"@hybrid_program\ndef p():\n    rx(Param({name}), 0)\n"
    assert _rules(source) == [("bad-argument", 5)]


# --- observables ------------------------------------------------------------------------------


def test_observable_arithmetic_matches_the_library() -> None:
    plan = _plan((VALID / "39_observable_arithmetic.eigen.py").read_text(encoding="utf-8"))
    zz = Observable("ZZ", 0.5)
    xx = Observable([("XX", 1.0), ("XX", 0.5), ("YY", -0.25)])
    field = Observable({"IZ": 1.0, "ZI": 1.0})
    total = 2 * zz - xx / 3 + field * 0.5 - Observable("YY", -0.25 / 3)
    assert plan["observable"]["terms"] == [[lb, c] for lb, c in total.terms]  # type: ignore[index]


def test_narrow_observables_are_padded_on_the_left() -> None:
    plan = _plan((VALID / "40_observable_padding.eigen.py").read_text(encoding="utf-8"))
    assert plan["observable"] == {  # type: ignore[comparison-overlap]
        "num_qubits": 4,
        "terms": [["IIXZ", 0.5], ["IIZI", -1.0]],
    }


def test_observable_work_is_bounded() -> None:
    source = PREAMBLE + (
        "@hybrid_program\ndef p():\n"
        "    chain = create_ising_model_hamiltonian(1000, 1.0, 1.0)\n"
        "    total = chain\n"
        "    for i in range(1000):\n"
        "        total = total + chain\n"
    )
    t0 = time.perf_counter()
    assert _rules(source) == [("too-many-terms", 8)]
    assert time.perf_counter() - t0 < 2.0


def test_observable_attributes_and_errors() -> None:
    source = PREAMBLE + (
        "@hybrid_program\ndef p():\n"
        "    o = Observable('ZZI')\n"
        "    q = QubitRegister(o.n_qubits + o.num_qubits)\n"
        "    h(q)\n"
    )
    assert lower_program(source).circuit.qubits == 6
    negated = PREAMBLE + (
        "@hybrid_program\ndef p():\n"
        "    b = create_hea_ansatz(2, 0)\n"
        "    o = -Observable({'ZZ': 0.5, 'XI': -2.0})\n"
        "    @cost_function\n"
        "    def cost(x):\n"
        "        return ExpectationValue(b, +o)\n"
        "    r = minimize(cost, [0.0, 0.0])\n"
    )
    terms = _plan(negated)["observable"]["terms"]  # type: ignore[index]
    assert terms == [[lb, c] for lb, c in (-Observable({"ZZ": 0.5, "XI": -2.0})).terms]
    bad = PREAMBLE + (
        "@hybrid_program\ndef p():\n"
        "    a = Observable('ZQ')\n"
        "    b = Observable('ZZ') + Observable('Z')\n"
        "    c = Observable('ZZ') * Observable('ZZ')\n"
        "    d = Observable('ZZ').terms\n"
    )
    assert _rules(bad) == [
        ("bad-argument", 5),
        ("observable-mismatch", 6),
        ("bad-argument", 7),
        ("unknown-name", 8),
    ]


# --- ansätze, cost functions and minimize -----------------------------------------------------


COBYLA_SEEDED = PREAMBLE + (
    "@hybrid_program(seed=9)\ndef p():\n"
    "    a = create_hea_ansatz(2, 1)\n"
    "    obs = Observable('ZZ')\n"
    "    @cost_function\n"
    "    def cost(x):\n"
    "        return ExpectationValue(a, obs)\n"
    "    obs = Observable('XX')\n"  # closure: the cost function sees the value at minimize
    "    result = minimize(cost, np.random.randn(a.num_params), method='{method}')\n"
)


def test_spsa_takes_the_decorator_seed_other_methods_none() -> None:
    spsa = _plan(COBYLA_SEEDED.replace("{method}", "SPSA"))
    cobyla = _plan(COBYLA_SEEDED.replace("{method}", "COBYLA"))
    assert spsa["optimizer"]["seed"] == 9  # type: ignore[index]
    assert cobyla["optimizer"]["seed"] is None  # type: ignore[index]
    assert cobyla["optimizer"]["method"] == "cobyla"  # type: ignore[index]
    x0 = list(np.random.RandomState(9).randn(4))
    assert cobyla["optimizer"]["initial_point"] == x0  # type: ignore[index]
    assert cobyla["optimizer"]["max_iter"] == 100  # type: ignore[index]
    assert cobyla["optimizer"]["tolerance"] is None  # type: ignore[index]


def test_cost_function_names_resolve_when_minimize_runs() -> None:
    plan = _plan(COBYLA_SEEDED.replace("{method}", "powell"))
    assert plan["observable"]["terms"] == [["XX", 1.0]]  # type: ignore[index]
    assert plan["returns"] == {}


def test_ansatz_parameters_follow_the_index_order() -> None:
    plan = _plan((VALID / "36_nelder_mead_closure.eigen.py").read_text(encoding="utf-8"))
    assert plan["parameters"] == [f"angles[{k}]" for k in range(6)]
    assert plan["optimizer"]["method"] == "nelder-mead"  # type: ignore[index]
    assert plan["returns"]["layers"] == {"value": [2, 6]}  # type: ignore[index]


def test_sampled_shots_and_matrix_couplings() -> None:
    plan = _plan((VALID / "38_sampled_powell.eigen.py").read_text(encoding="utf-8"))
    assert plan["shots"] == 4096
    matrix = [[0.0, 1.0, 0.5], [1.0, 0.0, -0.25], [0.5, -0.25, 0.0]]
    expected = create_ising_model_hamiltonian(3, matrix, 0.0)
    assert plan["observable"]["terms"] == [[lb, c] for lb, c in expected.terms]  # type: ignore[index]


def test_every_hybrid_violation_is_collected() -> None:
    source = PREAMBLE + (
        "@hybrid_program\ndef p():\n"
        "    a = create_hea_ansatz(2, 1, 'ring')\n"
        "    b = create_hea_ansatz(2, 1)\n"
        "    @cost_function\n"
        "    def cost(x):\n"
        "        return ExpectationValue(b, Observable('ZZZ'))\n"
        "    r = minimize(cost, [0.0], method='bfgs', max_iter=0)\n"
        "    s = minimize(b, [0.0])\n"
        "    return {'x': r.optimal_value}\n"
    )
    assert _rules(source) == [
        ("bad-argument", 5),
        ("observable-mismatch", 9),
        ("invalid-objective", 11),
    ]


def test_hybrid_program_has_no_gates_outside_its_ansatz() -> None:
    source = PREAMBLE + (
        "@hybrid_program\ndef p():\n"
        "    h(0)\n"
        "    b = create_hea_ansatz(1, 0)\n"
        "    @cost_function\n"
        "    def cost(x):\n"
        "        return ExpectationValue(b, Observable('Z'))\n"
        "    r = minimize(cost, [0.0])\n"
    )
    assert _rules(source) == [("mixed-program", 4)]


@pytest.mark.parametrize(
    ("body", "rule"),
    [
        ("    r = minimize(cost, [0.0], max_iter=True)\n", "bad-argument"),
        ("    r = minimize(cost, [0.0], tolerance=-1)\n", "bad-argument"),
        ("    r = minimize(cost, [float('nan')])\n", "bad-argument"),
        ("    r = minimize(cost, [0.0], 'cobyla', 10, None, 5)\n", "bad-argument"),
        ("    r = minimize(cost)\n", "bad-argument"),
        ("    r = minimize(cost, [0.0])\n    return r\n", "unsupported-return"),
        ("    r = minimize(cost, [0.0])\n    return {'r': r}\n", "unsupported-return"),
        ("    r = minimize(cost, [0.0])\n    return {1: r.success}\n", "unsupported-return"),
        ("    r = minimize(cost, [0.0])\n    x = r.optimal_value + 1\n", "bad-argument"),
        ("    r = minimize(cost, [0.0])\n    y = r.nothing\n", "unknown-name"),
    ],
)
def test_minimize_arguments_and_results(body: str, rule: str) -> None:
    source = PREAMBLE + (
        "@hybrid_program\ndef p():\n"
        "    b = create_hea_ansatz(1, 0)\n"
        "    @cost_function\n"
        "    def cost(x):\n"
        "        return ExpectationValue(b, Observable('Z'))\n"
    )
    assert rule in [r for r, _ in _rules(source + body)]


@pytest.mark.parametrize(
    ("ansatz", "rule"),
    [
        ("def a(t, u):\n    ry(t[0], 0)\n", "invalid-ansatz"),
        ("def a(t):\n    ClassicalRegister(1)\n    ry(t[0], 0)\n", "invalid-ansatz"),
        ("def a(t):\n    ry(t[0], 0)\n    reset(0)\n", "invalid-ansatz"),
        ("def a(t):\n    h(0)\n", "unused-parameter"),
        ("def a(t):\n    ry(t[0], 0)\n    return 1\n", "invalid-ansatz"),
        ("def a(t):\n    ry(t[0] * 2, 0)\n", "param-arithmetic"),
        ("def a(t):\n    ry(t[0], 0)\n    n = a.num_params\n", "misplaced-hybrid"),
        ("def a(t):\n    ry(t[0], 0)\n    r = minimize(cost, [0.0])\n", "misplaced-hybrid"),
    ],
)
def test_invalid_ansatz(ansatz: str, rule: str) -> None:
    source = (
        PREAMBLE
        + "@ansatz\n"
        + ansatz
        + (
            "@cost_function\ndef cost(x):\n    return ExpectationValue(a, Observable('Z'))\n"
            "@hybrid_program\ndef p():\n    r = minimize(cost, [0.0])\n"
        )
    )
    assert rule in [r for r, _ in _rules(source)]


def test_ansatz_limits() -> None:
    source = PREAMBLE + "@hybrid_program\ndef p():\n    a = create_hea_ansatz(30, 20, 'full')\n"
    with pytest.raises(CompilationFailedError) as info:
        lower_program(source, limits=Limits(max_operations=5_000))
    assert [d.rule for d in info.value.diagnostics] == ["too-many-operations"]
    wide = PREAMBLE + "@hybrid_program\ndef p():\n    a = create_hea_ansatz(2000, 1)\n"
    assert _rules(wide) == [("too-many-qubits", 5)]


class _MergingPassManagers(PassManagerCache):
    """Optimises every level > 0 into a parameter expression (not expressible in AQO)."""

    def run(self, circuit: QuantumCircuit, level: int) -> QuantumCircuit:
        if level == 0:
            return super().run(circuit, level)
        merged = QuantumCircuit(circuit.num_qubits)
        params = sorted(circuit.parameters, key=lambda p: p.name)
        merged.ry(params[0] + params[1], 0)
        return merged


def test_optimisation_falls_back_to_level_0_when_parameters_change() -> None:
    source = (VALID / "34_vqe_h2_ansatz.eigen.py").read_text(encoding="utf-8")
    compiler = Compiler(Limits(), _MergingPassManagers())
    result = compiler.compile(
        CompileRequest(EigenLangSource(source), options={"optimization_level": "2"})
    )
    assert result.metrics["optimization_level"] == "0"
    assert result.metrics["requested_optimization_level"] == "2"
    plan = parse_plan(result.hybrid_plan_json)
    assert plan.circuit.parameters == ("theta[0]", "theta[1]", "theta[2]")
    assert plan.circuit.metadata["optimization_level"] == 0
