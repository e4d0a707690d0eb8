"""``eigen compile`` on QML programs: the training plan (docs/qml.md) summarised, text and JSON."""

from __future__ import annotations

import json
import re
from pathlib import Path

from cli.tests.conftest import BELL_QASM, EXAMPLES, Api
from eigen_ir.qml import parse_training_plan

QML_PROGRAM = EXAMPLES / "qml" / "program.eigen.py"
#: A generated dataset, a ZZ feature map on 2 qubits, a non-default observable and loss.
MOONS = """\
from eigen_lang import *


@hybrid_program(seed=5)
def train():
    data = load_dataset("moons", n_samples=40, noise=0.1, seed=3)
    model = QuantumModel(zz_feature_map(2, reps=1), create_hea_ansatz(2, 1), Observable("ZZ"))
    task = SupervisedTask(model, data, test_size=0.25, loss="square", optimizer="spsa", max_iter=7)
    result = task.fit()
    return {"acc": result.test_accuracy}
"""


def row(out: str, key: str) -> str:
    """The value of the summary row ``key`` (the table pads the key and the line)."""
    found = re.search(rf"^{re.escape(key)} +(.*?) *$", out, re.MULTILINE)
    assert found, f"no row {key!r} in:\n{out}"
    return found.group(1)


def test_compile_shows_the_training_plan_of_the_example(api: Api) -> None:
    r = api.cli("compile", str(QML_PROGRAM))
    assert r.exit_code == 0, r.output
    out = r.stdout
    assert "cannot read" not in out
    _, plan_part = out.split("training plan\n")
    assert row(plan_part, "dataset") == (
        "iris: setosa (0) vs versicolor (1), feature columns 0, 1, 2, 3"
    )
    assert row(plan_part, "samples") == "100: 75 train / 25 test (test_size 0.25, split seed 7)"
    assert row(plan_part, "feature_map") == (
        "angle encoding (ry), 4 feature(s) → 4 parameter(s): x[0], x[1], x[2], x[3]"
    )
    # create_hea_ansatz(4, depth=1, linear, ry): an RY layer, a CX chain, an RY layer
    assert row(plan_part, "ansatz") == "11 gate(s) (cx 3, ry 8)"
    assert row(plan_part, "qubits") == "4"
    assert row(plan_part, "weights").startswith("8: theta[0], theta[1], ")
    assert row(plan_part, "loss") == "cross_entropy"
    assert row(plan_part, "observable") == "1 term(s) on 4 qubit(s): +1·IIIZ"
    assert row(plan_part, "shots") == "exact"
    assert row(plan_part, "optimizer") == "cobyla" and row(plan_part, "max_iter") == "60"
    assert row(plan_part, "initial_point").startswith("8 value(s) [")
    assert "test_accuracy ← test_accuracy" in row(plan_part, "returns")
    # the compiler's own digest of the plan is the one the summary computes
    assert row(plan_part, "plan_sha256") == row(out, "plan_sha256")
    assert "parametrised circuit" in out and "Ry(x[0])" in out and "Ry(theta[7])" in out


def test_compile_json_summarises_the_training_plan(api: Api) -> None:
    r = api.cli("compile", str(QML_PROGRAM), "--json")
    assert r.exit_code == 0, r.output
    data = json.loads(r.stdout)
    plan = parse_training_plan(json.dumps(data["hybrid_plan_json"]))
    summary = data["plan_summary"]
    assert summary["kind"] == "training" and summary["num_qubits"] == 4
    assert summary["parameters"] == list(plan.parameters) and len(plan.parameters) == 8
    assert summary["features"] == ["x[0]", "x[1]", "x[2]", "x[3]"]
    ds = summary["dataset"]
    assert ds["name"] == "iris" and ds["class_names"] == ["setosa", "versicolor"]
    assert (ds["samples"], ds["train_samples"], ds["test_samples"]) == (100, 75, 25)
    assert ds["test_size"] == 0.25 and ds["split_seed"] == 7
    assert summary["feature_map"]["kind"] == "angle" and summary["feature_map"]["rotation"] == "ry"
    assert summary["ansatz_gates"] == {"cx": 3, "ry": 8}
    assert summary["loss"] == "cross_entropy" and summary["shots"] is None
    assert summary["optimizer"]["method"] == "cobyla" and summary["optimizer"]["max_iter"] == 60
    assert summary["plan_sha256"] == plan.sha256() == data["metadata"]["metrics"]["plan_sha256"]


def test_compile_training_plan_zz_feature_map_generated_data(api: Api, tmp_path: Path) -> None:
    program = tmp_path / "moons.eigen.py"
    program.write_text(MOONS)
    r = api.cli("compile", str(program))
    assert r.exit_code == 0, r.output
    _, out = r.stdout.split("training plan\n")
    assert row(out, "dataset") == (
        "moons: 0 (0) vs 1 (1), feature columns 0, 1, generated with seed 3, noise 0.1"
    )
    assert row(out, "samples") == "40: 30 train / 10 test (test_size 0.25, split seed 5)"
    # zz on 2 features: x[0], x[1] per qubit and x[2] for the pair
    assert row(out, "feature_map") == (
        "zz feature map (reps 1, full entanglement), 2 feature(s) → 3 parameter(s): "
        "x[0], x[1], x[2]"
    )
    ansatz = row(out, "ansatz")
    assert ansatz.endswith(")") and "h " not in ansatz and "p " not in ansatz  # map gates out
    assert row(out, "loss") == "square" and row(out, "optimizer") == "spsa"
    assert row(out, "observable") == "1 term(s) on 2 qubit(s): +1·ZZ"
    summary = json.loads(api.cli("compile", str(program), "--json").stdout)["plan_summary"]
    assert summary["dataset"]["n_samples"] == 40 and summary["dataset"]["seed"] == 3
    assert summary["feature_map"] == {
        "kind": "zz",
        "n_features": 2,
        "rotation": "",
        "reps": 1,
        "entanglement": "full",
    }
    # the feature map's H, P and CX gates are not the ansatz's
    assert "h" not in summary["ansatz_gates"] and "p" not in summary["ansatz_gates"]


def test_compile_json_summarises_a_vqe_plan_too(api: Api, tmp_path: Path) -> None:
    data = json.loads(
        api.cli("compile", str(EXAMPLES / "h2_vqe" / "program.eigen.py"), "--json").stdout
    )
    summary = data["plan_summary"]
    assert summary["kind"] == "hybrid" and "dataset" not in summary
    assert summary["num_qubits"] == 2 and summary["parameters"] == ["theta[0]", "theta[1]"]
    assert summary["observable_terms"] == 5 and summary["optimizer"]["method"] == "cobyla"
    circuit = tmp_path / "bell.qasm"
    circuit.write_text(BELL_QASM)
    bell = json.loads(api.cli("compile", str(circuit), "--json").stdout)
    assert bell["plan_summary"] is None
