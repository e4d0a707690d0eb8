"""QML programs (seed 004): load_dataset, QuantumModel, SupervisedTask(...).fit() → training plan.

A valid program lowers to exactly the plan ``eigen_lang`` builds locally for the same code, and
compiles (through the whole pipeline) to that plan with the circuit unchanged operation for
operation; bad programs are rejected with the rule, line and a message naming the problem.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from eigen_common.errors import CompilationFailedError
from eigen_compiler.frontends.eigen_lang import DEFAULT_RANDOM_SEED, lower_program, qml_library
from eigen_compiler.model import CompileRequest, EigenLangSource, Limits
from eigen_compiler.optimize import PassManagerCache
from eigen_compiler.pipeline import Compiler
from eigen_ir.hybrid import parse_plan
from eigen_ir.qml import TrainingPlan, parse_training_plan

EXAMPLE = Path(__file__).parents[3] / "examples" / "qml" / "program.eigen.py"
HEAD = "from eigen_lang import *\n\n@hybrid_program(seed=5)\ndef train():\n"


def program(body: str, ret: str = 'return {"acc": result.test_accuracy}') -> str:
    lines = [*body.strip().splitlines(), ret]
    return HEAD + "".join(f"    {line}\n" for line in lines)


MOONS = """
data = load_dataset("moons", n_samples=40, noise=0.1)
model = QuantumModel(zz_feature_map(2, reps=1), create_hea_ansatz(2, 1), Observable("ZZ"))
task = SupervisedTask(model, data, test_size=0.25, loss="square", max_iter=7)
result = task.fit()
"""


def diagnostics(source: str) -> list[tuple[str, int, str]]:
    with pytest.raises(CompilationFailedError) as info:
        lower_program(source)
    return [(d.rule, d.line, d.message) for d in info.value.diagnostics]


def test_the_example_lowers_to_the_plan_eigen_lang_builds():
    from eigen_lang import (
        QuantumModel,
        SupervisedTask,
        angle_encoding,
        create_hea_ansatz,
        load_dataset,
    )
    from eigen_lang.program import _RUNNING, ProgramOptions

    lowered = lower_program(EXAMPLE.read_text())
    plan = lowered.plan
    assert isinstance(plan, TrainingPlan)
    assert dict(plan.returns)["test_accuracy"] == {"result": "test_accuracy"}
    token = _RUNNING.set(ProgramOptions(seed=7))  # the example's decorator seed
    try:
        model = QuantumModel(angle_encoding(4), create_hea_ansatz(4, 1, "linear", "ry"))
        data = load_dataset("iris", classes=["setosa", "versicolor"])
        local = SupervisedTask(model, data, test_size=0.25, max_iter=60).plan
    finally:
        _RUNNING.reset(token)
    assert replace(plan, returns=()).canonical_bytes() == local.canonical_bytes()
    assert parse_training_plan(plan.canonical_bytes()) == plan


def test_the_pipeline_keeps_the_model_circuit_and_reports_plan_metrics():
    compiler = Compiler(Limits(), PassManagerCache())
    source = program(MOONS)
    result = compiler.compile(CompileRequest(EigenLangSource(source)))
    plan = parse_training_plan(result.hybrid_plan_json)
    lowered = lower_program(source).plan
    assert lowered is not None
    assert plan.circuit.operations == lowered.circuit.operations  # local runs simulate this
    assert result.metrics["hybrid"] == "true" and result.metrics["parameters_count"] == "4"
    assert plan.dataset.seed == 5 and plan.split.seed == 5  # the decorator seed
    assert plan.observable == (("ZZ", 1.0),) and plan.loss == "square"
    with pytest.raises(ValueError):
        parse_plan(result.hybrid_plan_json)  # not a VQE plan: the kernel tells them apart


def test_attributes_and_returned_fields():
    src = program(
        MOONS + "n = data.n_samples + model.num_params + model.n_qubits",
        'return {"p": result.parameters, "l": result.loss_history, "n": n, "ok": result.success}',
    )
    plan = lower_program(src).plan
    assert plan is not None
    assert dict(plan.returns) == {
        "p": {"result": "parameters"},
        "l": {"result": "loss_history"},
        "n": {"value": 46},
        "ok": {"result": "success"},
    }


@pytest.mark.parametrize(
    ("body", "rule", "text"),
    [
        (MOONS.replace('"moons"', '"mnist"'), "unknown-dataset",
         "available: breast_cancer, circles, digits, iris, moons"),
        (MOONS.replace("test_size=0.25", "test_size=0.99"), "bad-argument",
         "leaves 0 for training"),
        (MOONS.replace('"moons", n_samples=40, noise=0.1', '"digits", classes=[0, 1]'),
         "too-large", "64 features, more than the limit of 12"),
        (MOONS.replace('"moons", n_samples=40, noise=0.1', '"iris"'), "bad-argument",
         "choose two with classes="),
        (MOONS.replace("max_iter=7", "max_iter=90000"), "too-large",
         "circuit evaluations; the limit is 2000000"),
        (MOONS.replace("n_samples=40", "n_samples=5000"), "bad-argument",
         "n_samples must be an integer in 4..1000"),
        (MOONS.replace('loss="square"', 'loss="hinge"'), "bad-argument", "unknown loss 'hinge'"),
        (MOONS.replace("max_iter=7", 'max_iter=7, optimizer="adam"'), "unknown-method",
         "unknown optimizer 'adam'"),
        (MOONS.replace("create_hea_ansatz(2, 1)", "create_hea_ansatz(3, 1)"), "bad-argument",
         "feature map encodes 2 features"),
        (MOONS.replace('Observable("ZZ")', 'Observable("ZZZ")'), "observable-mismatch",
         "acts on 3 qubits"),
        (MOONS + "again = task.fit()", "multiple-plans", "one plan per program"),
        (MOONS.replace("task.fit()", "task.fit(3)"), "bad-argument", "fit() takes no arguments"),
        (MOONS.replace("result = task.fit()", "result = task.train()"), "unknown-call",
         "'task.train' is not a function"),
        (MOONS + "x = result.accuracy", "unknown-name", "has no attribute 'accuracy'"),
        (MOONS + "x = data.rows", "unknown-name", "a dataset has no attribute 'rows'"),
    ],
)  # fmt: skip
def test_bad_programs_are_rejected_at_their_line(body, rule, text):
    found = diagnostics(program(body))
    assert any(r == rule and text in m and line > 4 for r, line, m in found), found


def test_returning_the_result_itself_or_fitting_in_a_helper_is_rejected():
    found = diagnostics(program(MOONS, 'return {"r": result}'))
    assert any(r == "unsupported-return" and "result.test_accuracy" in m for r, _, m in found)
    helper = (
        "from eigen_lang import *\n\n@quantum_circuit\ndef fit_it(task):\n"
        "    return task.fit()\n\n@hybrid_program()\ndef train():\n"
        + "".join(f"    {line}\n" for line in MOONS.strip().splitlines()[:-1])
        + "    result = fit_it(task)\n"
    )
    found = diagnostics(helper)
    assert any(r == "misplaced-hybrid" for r, _, _ in found), found


def test_training_and_minimize_are_one_plan_each():
    body = MOONS + (
        "h = Observable('Z')\n"
        "@cost_function\n"
        "def cost(p):\n"
        "    return ExpectationValue(create_hea_ansatz(1, 0), h)\n"
        "best = minimize(cost, [0.1])"
    )
    assert ("multiple-plans", 13) in [(r, line) for r, line, _ in diagnostics(program(body))]


def test_missing_import_is_named():
    source = "from eigen_lang import hybrid_program\n\n@hybrid_program()\ndef f():\n"
    source += '    data = load_dataset("moons")\n'
    assert ("missing-import", 5) in [(r, line) for r, line, _ in diagnostics(source)]


def test_default_seed_agrees_with_the_lowering_and_the_runtime():
    from eigen_lang.program import DEFAULT_RANDOM_SEED as RUNTIME

    assert qml_library.DEFAULT_SEED == DEFAULT_RANDOM_SEED == RUNTIME


def test_an_ansatz_function_model_lowers_like_the_local_one():
    from eigen_lang import Observable, QuantumModel, SupervisedTask, load_dataset, zz_feature_map
    from eigen_lang.program import _RUNNING, ProgramOptions

    source = (
        "from eigen_lang import *\n\n@ansatz\ndef two(theta):\n    q = QubitRegister(2)\n"
        "    ry(theta[0], q[0])\n    rz(0.5, q[1])\n    ry(theta[1], q[1])\n"
        "    cx(q[0], q[1])\n    ry(theta[2], q[0])\n\n@hybrid_program(seed=3)\ndef train():\n"
        '    data = load_dataset("moons", n_samples=30, noise=0.1)\n'
        '    model = QuantumModel(zz_feature_map(2), two, Observable("ZI"))\n'
        "    result = SupervisedTask(model, data, max_iter=5).fit()\n"
    )
    lowered = lower_program(source).plan
    assert lowered is not None
    namespace: dict[str, object] = {}
    exec(source, namespace)  # the user's machine runs the program; the compiler never does
    token = _RUNNING.set(ProgramOptions(seed=3))
    try:
        model = QuantumModel(zz_feature_map(2), namespace["two"], Observable("ZI"))
        data = load_dataset("moons", n_samples=30, noise=0.1)
        local = SupervisedTask(model, data, max_iter=5).plan
    finally:
        _RUNNING.reset(token)
    assert lowered.canonical_bytes() == local.canonical_bytes()
