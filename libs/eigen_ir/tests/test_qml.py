"""eigen_ir.qml*: datasets, feature maps, losses, the training plan and the training step.

References are independent of the code under test: scikit-learn's own loaders and metrics,
Qiskit's ``zz_feature_map`` and ``Statevector``.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from qiskit import QuantumCircuit
from qiskit.circuit.library import zz_feature_map as qiskit_zz
from qiskit.quantum_info import SparsePauliOp, Statevector
from sklearn import datasets
from sklearn.metrics import log_loss

from eigen_ir import qml, qml_data, qml_encoding
from eigen_ir.ansatz import create_hea_ansatz
from eigen_ir.aqo import Circuit
from eigen_ir.aqo_qiskit import to_qiskit
from eigen_ir.hybrid import OptimizerSpec, PlanError
from eigen_ir.qml_data import QmlError


def iris_plan(max_iter: int = 60, loss: str = "cross_entropy", fm=None, shots=None, seed=7):
    ds = qml_data.dataset_spec("iris", classes=["setosa", "versicolor"])
    sp = qml_data.split_spec(0.25, seed, ds.sample_count())
    hea = create_hea_ansatz(4, 1, "linear", "ry")
    names = hea.parameters
    ans = Circuit(4, 0, qml.ansatz_operations(hea.ops, names), tuple(sorted(names)))
    opt = OptimizerSpec("cobyla", max_iter, None, qml.initial_weights(len(names), seed), None)
    return qml.build_plan(
        feature_map=fm or qml_encoding.angle_encoding(4),
        ansatz=ans,
        weights=names,
        observable=None,
        shots=shots,
        dataset=ds,
        split=sp,
        loss=loss,
        optimizer=opt,
        returns=[("acc", {"result": "test_accuracy"}), ("tag", {"value": "iris"})],
    )


def statevector_estimate(plan: qml.TrainingPlan):
    """Exact expectation values with Qiskit's Statevector (independent of Aer)."""
    qc = to_qiskit(plan.circuit)
    op = SparsePauliOp.from_list(list(plan.observable))
    params = {p.name: p for p in qc.parameters}
    calls: list[int] = []

    def estimate(binds, seed):
        calls.append(len(binds))
        return [
            float(Statevector(qc.assign_parameters({params[k]: v for k, v in b.items()}))
                  .expectation_value(op).real)
            for b in binds
        ]  # fmt: skip

    return estimate, calls


# --- datasets -------------------------------------------------------------------------------


def test_unknown_dataset_lists_the_available_ones():
    with pytest.raises(QmlError, match="available: breast_cancer, circles, digits, iris, moons"):
        qml_data.dataset_spec("mnist")


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"name": "iris"}, r"3 classes .*classes=\['setosa', 'versicolor'\]"),
        ({"name": "iris", "classes": ["setosa", "rose"]}, "no class 'rose'"),
        ({"name": "iris", "classes": [0, 0]}, "two different"),
        ({"name": "iris", "classes": [0, 1], "features": [4]}, "not a column"),
        ({"name": "digits", "classes": [0, 1]}, "64 features, more than the limit of 12"),
        ({"name": "breast_cancer", "features": [0], "n_samples": 50}, "n_samples apply to the gen"),
        ({"name": "moons", "n_samples": 5000}, r"n_samples must be an integer in 4\.\.1000"),
        ({"name": "moons", "noise": -1}, "noise must be in 0..10"),
        ({"name": "moons", "factor": 0.5}, "circles"),
        ({"name": "circles", "factor": 1.5}, r"factor must be in \(0, 1\)"),
    ],
)
def test_bad_dataset_arguments_are_named(kwargs, match):
    name = kwargs.pop("name")
    with pytest.raises(QmlError, match=match):
        qml_data.dataset_spec(name, **kwargs)


def test_iris_subset_matches_sklearn_rows_and_relabels():
    spec = qml_data.dataset_spec("iris", classes=["versicolor", "setosa"], features=[2, 0])
    x, y = qml_data.load(spec)
    ref_x, ref_y = datasets.load_iris(return_X_y=True)
    keep = ref_y < 2
    assert x.shape == (100, 2) and spec.sample_count() == 100
    np.testing.assert_array_equal(x, ref_x[keep][:, [2, 0]])
    np.testing.assert_array_equal(y, (ref_y[keep] == 0).astype(int))  # label 1 = setosa


def test_generated_datasets_follow_their_seed():
    a = qml_data.load(qml_data.dataset_spec("moons", n_samples=60, noise=0.1, seed=3))
    b = qml_data.load(qml_data.dataset_spec("moons", n_samples=60, noise=0.1, seed=3))
    c = qml_data.load(qml_data.dataset_spec("moons", n_samples=60, noise=0.1, seed=4))
    assert a[0].tobytes() == b[0].tobytes() and not np.array_equal(a[0], c[0])
    ref = datasets.make_circles(n_samples=40, noise=0.05, factor=0.5, random_state=9)
    got = qml_data.load(qml_data.dataset_spec("circles", n_samples=40, noise=0.05, factor=0.5,
                                              seed=9))  # fmt: skip
    np.testing.assert_array_equal(got[0], ref[0])
    assert qml_data.DATASETS["breast_cancer"].class_counts == tuple(
        np.bincount(datasets.load_breast_cancer().target)
    )


def test_split_is_stratified_sized_like_sklearn_and_seeded():
    spec = qml_data.dataset_spec("iris", classes=[0, 1])
    x, y = qml_data.load(spec)
    sp = qml_data.split_spec(0.3, 11, len(y))
    _, x_te, y_tr, y_te = qml_data.split(x, y, sp)
    assert (len(y_tr), len(y_te)) == sp.sizes(100) == (70, 30)
    assert y_te.sum() == 15  # stratified
    again = qml_data.split(x, y, sp)
    assert again[1].tobytes() == x_te.tobytes()
    with pytest.raises(QmlError, match="leaves 2 for training and 1 for testing"):
        qml_data.split_spec(0.2, 0, 3)
    with pytest.raises(QmlError, match=r"fraction in \(0, 1\)"):
        qml_data.split_spec(1.0, 0, 100)


def test_scaling_maps_training_features_to_zero_pi():
    tr = np.array([[1.0, 5.0], [3.0, 5.0], [2.0, 5.0]])
    te = np.array([[4.0, 7.0]])
    a, b = qml_data.scale_to_angles(tr, te)
    np.testing.assert_allclose(a[:, 0], [0.0, math.pi, math.pi / 2])
    assert np.all(a[:, 1] == 0.0) and b[0, 0] == pytest.approx(1.5 * math.pi) and b[0, 1] == 0


# --- feature maps ---------------------------------------------------------------------------


@pytest.mark.parametrize("entanglement", ["full", "linear"])
def test_zz_feature_map_prepares_qiskits_state(entanglement):
    fm = qml_encoding.zz_feature_map(3, reps=2, entanglement=entanglement)
    a = np.array([[0.3, 1.7, 2.9]])
    values = dict(zip(fm.parameters, fm.angles(a)[0], strict=True))
    ours = to_qiskit(Circuit(3, 0, fm.operations(), tuple(sorted(fm.parameters))), values)
    ref = qiskit_zz(3, reps=2, entanglement=entanglement)
    ref = ref.assign_parameters(dict(zip(ref.parameters, a[0], strict=True)))
    assert Statevector(ours).equiv(Statevector(ref))


def test_angle_encoding_rotates_each_qubit_by_its_feature():
    fm = qml_encoding.angle_encoding(2, rotation="rx")
    a = np.array([[0.4, 2.0]])
    values = dict(zip(fm.parameters, fm.angles(a)[0], strict=True))
    ours = to_qiskit(Circuit(2, 0, fm.operations(), fm.parameters), values)
    ref = QuantumCircuit(2)
    ref.rx(0.4, 0)
    ref.rx(2.0, 1)
    assert Statevector(ours).equiv(Statevector(ref))
    with pytest.raises(QmlError, match="rotation must be one of rx, ry"):
        qml_encoding.angle_encoding(2, rotation="rz")
    with pytest.raises(QmlError, match=r"n_features must be in 1\.\.12"):
        qml_encoding.zz_feature_map(13)


# --- loss and metrics -----------------------------------------------------------------------


def test_cross_entropy_matches_sklearn_log_loss_and_square_loss_by_hand():
    values = np.array([0.9, -0.5, 0.2, -0.99])
    y = np.array([0, 1, 1, 1])
    p1 = (1 - values) / 2
    assert qml.loss_value(values, y, "cross_entropy", 1.0) == pytest.approx(log_loss(y, p1))
    t = np.array([1, -1, -1, -1])
    assert qml.loss_value(values, y, "square", 1.0) == pytest.approx(np.mean((values - t) ** 2))
    assert qml.loss_value(2 * values, y, "square", 2.0) == pytest.approx(
        qml.loss_value(values, y, "square", 1.0)
    )
    assert qml.accuracy(values, y) == 0.75  # 0.2 → class 0 (wrong), the others right
    assert math.isfinite(qml.loss_value(np.array([1.0]), np.array([1]), "cross_entropy", 1.0))


# --- plans ----------------------------------------------------------------------------------


def test_training_plan_round_trips_canonically():
    plan = iris_plan(fm=qml_encoding.zz_feature_map(4, reps=1, entanglement="linear"))
    data = plan.canonical_bytes()
    assert qml.is_training_plan(data) and not qml.is_training_plan(b'{"version": "0.1"}')
    again = qml.parse_training_plan(data)
    assert again == plan and again.canonical_bytes() == data
    assert plan.observable == (("IIIZ", 1.0),)
    assert plan.circuit.parameters == tuple(sorted(plan.features + plan.parameters))


def test_corrupt_training_plans_are_rejected_with_paths():
    import json

    obj = json.loads(iris_plan().canonical_bytes())
    obj["loss"] = "hinge"
    obj["dataset"]["name"] = "mnist"
    obj["returns"]["acc"] = {"result": "optimal_value"}
    obj["optimizer"]["max_iter"] = 0
    with pytest.raises(PlanError) as exc:
        qml.parse_training_plan(json.dumps(obj))
    paths = {p for p, _ in exc.value.violations}
    assert {"loss", "dataset", "returns.acc", "optimizer.max_iter"} <= paths


def test_build_plan_checks_widths_names_and_the_work_bound():
    ds = qml_data.dataset_spec("moons", n_samples=1000)
    sp = qml_data.split_spec(0.2, 0, 1000)
    hea = create_hea_ansatz(2, 1)
    names = hea.parameters
    ans = Circuit(2, 0, qml.ansatz_operations(hea.ops, names), tuple(sorted(names)))
    common = {"weights": names, "shots": None, "dataset": ds, "split": sp, "loss": "square"}
    opt = OptimizerSpec("cobyla", 5000, None, (0.0,) * len(names), None)
    with pytest.raises(QmlError, match="4001000 circuit evaluations; the limit is 2000000"):
        qml.build_plan(feature_map=qml_encoding.angle_encoding(2), ansatz=ans, observable=None,
                       optimizer=opt, **common)  # fmt: skip
    opt = OptimizerSpec("cobyla", 5, None, (0.0,) * len(names), None)
    with pytest.raises(QmlError, match="feature map encodes 3"):
        qml.build_plan(feature_map=qml_encoding.angle_encoding(3), ansatz=ans, observable=None,
                       optimizer=opt, **common)  # fmt: skip
    with pytest.raises(QmlError, match="acts on 3 qubits"):
        qml.build_plan(feature_map=qml_encoding.angle_encoding(2), ansatz=ans,
                       observable=[("ZZZ", 1.0)], optimizer=opt, **common)  # fmt: skip
    clash = Circuit(2, 0, qml.ansatz_operations(hea.ops, [f"x[{k}]" for k in range(4)]),
                    tuple(sorted(f"x[{k}]" for k in range(4))))  # fmt: skip
    with pytest.raises(QmlError, match="feature map's names"):
        qml.build_plan(
            feature_map=qml_encoding.angle_encoding(2),
            ansatz=clash,
            observable=None,
            optimizer=opt,
            **{**common, "weights": clash.parameters},
        )


# --- training -------------------------------------------------------------------------------


def test_training_separates_setosa_from_versicolor_and_is_deterministic():
    plan = iris_plan(max_iter=60)
    estimate, calls = statevector_estimate(plan)
    out = qml.train(plan, estimate, seed=7)
    n_train, n_test = plan.split.sizes(100)
    assert calls == [n_train] * 60 + [n_train, n_test]  # one batched call per iteration
    assert out.iterations == 60 and len(out.loss_history) == 60
    assert out.final_loss == min(out.loss_history) < out.loss_history[0]
    assert out.test_accuracy >= 0.9 and out.train_accuracy >= 0.9
    again = qml.train(plan, statevector_estimate(plan)[0], seed=7)
    assert again == out  # bit for bit: same plan, same exact values, same seed
    outs = qml.outputs(plan, out)
    assert outs["acc"] == out.test_accuracy and outs["tag"] == "iris"
    assert set(qml.RESULT_FIELDS) <= set(outs)


def test_sampled_iterations_use_one_seed_each():
    plan = iris_plan(max_iter=3, shots=100)
    seeds: list[int | None] = []

    def estimate(binds, seed):
        seeds.append(seed)
        return [0.5] * len(binds)

    qml.train(plan, estimate, seed=40)
    assert seeds == [41, 42, 43, 44, 45]
