"""eigen_lang's QML constructs run locally: load_dataset, QuantumModel, SupervisedTask.fit."""

from __future__ import annotations

import numpy as np
import pytest
from qiskit.quantum_info import SparsePauliOp, Statevector

from eigen_ir import qml
from eigen_ir.aqo_qiskit import to_qiskit
from eigen_lang import (
    Observable,
    QuantumModel,
    QubitRegister,
    SupervisedTask,
    angle_encoding,
    ansatz,
    create_hea_ansatz,
    cx,
    hybrid_program,
    load_dataset,
    ry,
    zz_feature_map,
)
from eigen_lang.qml_estimate import AerEstimator


@ansatz
def two_layers(theta):
    q = QubitRegister(2)
    ry(theta[0], q[0])
    ry(theta[1], q[1])
    cx(q[0], q[1])
    ry(theta[2], q[0])


def test_load_dataset_names_the_available_datasets_and_subsets_classes():
    with pytest.raises(ValueError, match="available: breast_cancer, circles, digits, iris"):
        load_dataset("mnist")
    data = load_dataset("iris", classes=["setosa", "versicolor"], features=[0, 2])
    assert data.X.shape == (100, 2) and set(data.y) == {0, 1}
    assert data.class_names == ("setosa", "versicolor") and data.n_features == 2


def test_model_checks_its_parts():
    fm = angle_encoding(2)
    with pytest.raises(TypeError, match="feature_map"):
        QuantumModel(feature_map="angle", ansatz=create_hea_ansatz(2))
    with pytest.raises(ValueError, match="feature map encodes 2 features"):
        QuantumModel(fm, create_hea_ansatz(3))
    model = QuantumModel(fm, two_layers, Observable("ZZ"))
    assert model.num_params == 3 and model.terms == (("ZZ", 1.0),)
    assert [o.op for o in model.circuit.operations] == ["RY", "RY", "RY", "RY", "CX", "RY"]


def test_local_estimates_match_an_independent_statevector():
    data = load_dataset("moons", n_samples=20, noise=0.1, seed=1)
    model = QuantumModel(zz_feature_map(2, reps=2), create_hea_ansatz(2, 2, "linear", "ryrz"),
                         Observable({"ZI": 0.5, "IZ": -0.25, "XX": 0.3}))  # fmt: skip
    task = SupervisedTask(model, data, test_size=0.3, seed=3, max_iter=5)
    plan = task.plan
    prepared = qml.prepare(plan)
    w = np.linspace(-1, 1, len(plan.parameters))
    binds = qml.bindings(plan, prepared.train, w)
    got = AerEstimator(plan)(binds, None)
    qc = to_qiskit(plan.circuit)
    params = {p.name: p for p in qc.parameters}
    op = SparsePauliOp.from_list(list(plan.observable))
    ref = [
        Statevector(qc.assign_parameters({params[k]: v for k, v in b.items()}))
        .expectation_value(op).real
        for b in binds
    ]  # fmt: skip
    np.testing.assert_allclose(got, ref, atol=1e-12)
    sampled = SupervisedTask(model, data, test_size=0.3, seed=3, max_iter=5, shots=20000).plan
    approx = AerEstimator(sampled)(binds, 5)
    np.testing.assert_allclose(approx, ref, atol=0.05)
    assert AerEstimator(sampled)(binds, 5) == approx  # seeded


def test_fit_in_a_program_is_deterministic_and_uses_the_program_seed():
    @hybrid_program(seed=11)
    def classify():
        data = load_dataset("iris", classes=[0, 1], features=[0, 1])
        model = QuantumModel(angle_encoding(2), create_hea_ansatz(2, 1))
        result = SupervisedTask(model, data, max_iter=12).fit()
        return {"acc": result.test_accuracy, "loss": result.loss_history, "w": result.parameters}

    a, b = classify(), classify()
    assert a == b and len(a["loss"]) == 12 and 0.0 <= a["acc"] <= 1.0
    # the split and the start point follow the program seed
    plan = SupervisedTask(
        QuantumModel(angle_encoding(2), create_hea_ansatz(2, 1)),
        load_dataset("iris", classes=[0, 1], features=[0, 1]),
        seed=11,
    ).plan
    assert plan.split.seed == 11 and plan.optimizer.initial_point == qml.initial_weights(4, 11)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"test_size": 1.5}, r"fraction in \(0, 1\)"),
        ({"loss": "hinge"}, "unknown loss 'hinge'"),
        ({"optimizer": "adam"}, "unknown optimizer 'adam'"),
        ({"max_iter": 0}, "max_iter must be an integer >= 1"),
        ({"metrics": ["f1"]}, "metrics must be a list of accuracy"),
        ({"initial_point": [0.0]}, "initial_point has 1 values"),
    ],
)
def test_bad_task_arguments_are_named(kwargs, match):
    model = QuantumModel(angle_encoding(2), create_hea_ansatz(2, 1))
    with pytest.raises(ValueError, match=match):
        SupervisedTask(model, load_dataset("moons"), **kwargs)
