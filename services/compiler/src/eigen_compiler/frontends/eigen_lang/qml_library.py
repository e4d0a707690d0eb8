"""Compile-time semantics of Eigen-Lang's QML constructs (seed 004): pure and bounded.

``load_dataset``, ``angle_encoding``, ``zz_feature_map``, ``QuantumModel`` and
``SupervisedTask`` evaluate their (constant) arguments with :mod:`eigen_ir.qml` — the code
``eigen_lang`` runs locally — so a program compiles to exactly the training plan a local run
builds. No data is loaded here: :data:`eigen_ir.qml_data.DATASETS` knows every size, so the
split, the qubits and the evaluation count are checked before the kernel ever sees the job.
Problems raise :class:`.Problem` (rule, message, hint); the lowering adds the source position.
"""

from __future__ import annotations

import math
from typing import Any

from eigen_compiler.frontends.eigen_lang import folding as fo
from eigen_compiler.frontends.eigen_lang.problem import Problem
from eigen_compiler.frontends.eigen_lang.values import (
    AnsatzValue,
    Array,
    DatasetValue,
    FeatureMapValue,
    ModelValue,
    ObservableValue,
    TaskValue,
    TrainingField,
    TrainingResultValue,
    kind,
)
from eigen_ir import qml
from eigen_ir.hybrid import MAX_ITER, MAX_SHOTS, METHODS, OptimizerSpec
from eigen_ir.qml_data import QmlError, dataset_spec, split_spec
from eigen_ir.qml_encoding import angle_encoding, zz_feature_map

#: ``(parameter names, number required, defaults)`` of the QML calls (``eigen_lang``'s).
SIGNATURES: dict[str, tuple[tuple[str, ...], int, dict[str, Any]]] = {
    "load_dataset": (
        ("name", "n_samples", "noise", "seed", "classes", "features", "factor"),
        1,
        {},
    ),
    "angle_encoding": (("n_features", "rotation"), 1, {"rotation": "ry"}),
    "zz_feature_map": (
        ("n_features", "reps", "entanglement"),
        1,
        {"reps": 2, "entanglement": "full"},
    ),
    "QuantumModel": (("feature_map", "ansatz", "observable"), 2, {}),
    "SupervisedTask": (
        (
            "model",
            "dataset",
            "test_size",
            "seed",
            "loss",
            "optimizer",
            "max_iter",
            "tolerance",
            "initial_point",
            "shots",
            "metrics",
        ),
        2,
        {
            "test_size": 0.25,
            "loss": "cross_entropy",
            "optimizer": "cobyla",
            "max_iter": 100,
            "metrics": ("accuracy",),
        },
    ),
}
#: Every library name :mod:`.lowering.qml_calls` evaluates.
QML_CALLS = frozenset(SIGNATURES)
#: Seed of datasets, splits and start points when the program gives none (the lowering's
#: ``DEFAULT_RANDOM_SEED`` and the local runtime's too; a test pins that they agree).
DEFAULT_SEED = 0
#: Metrics a task may ask for.
METRICS = ("accuracy",)
#: Readable attributes of a dataset and a model.
DATASET_ATTRIBUTES = ("n_samples", "n_features")
MODEL_ATTRIBUTES = ("n_qubits", "num_params")


def _problem(exc: QmlError) -> Problem:
    text = str(exc)
    rule = "unknown-dataset" if text.startswith("unknown dataset") else "bad-argument"
    if "the limit is" in text or "more than the limit" in text:
        rule = "too-large"
    return Problem(rule, text[:300])


def _plain(value: Any) -> Any:
    """Tuples and arrays of constants as lists (what the eigen_ir checks accept)."""
    if isinstance(value, Array):
        return list(value.values)
    if isinstance(value, tuple | range):
        return [_plain(v) for v in value]
    return value


def load_dataset(args: dict[str, Any], default_seed: int) -> DatasetValue:
    """``load_dataset(name, n_samples, noise, seed, classes, features, factor)``.

    Raises:
        Problem: ``unknown-dataset`` (the message lists the available ones), ``too-large``
            (samples or features over the limits) or ``bad-argument``.
    """
    try:
        spec = dataset_spec(
            args["name"],
            n_samples=args["n_samples"],
            noise=args["noise"],
            factor=args["factor"],
            seed=args["seed"],
            classes=_plain(args["classes"]),
            features=_plain(args["features"]),
            default_seed=default_seed,
        )
    except QmlError as exc:
        raise _problem(exc) from None
    return DatasetValue(spec)


def feature_map(name: str, args: dict[str, Any]) -> FeatureMapValue:
    """``angle_encoding(n_features, rotation)``, ``zz_feature_map(n_features, reps, entanglement)``.

    Raises:
        Problem: ``too-large`` (features over the qubit limit) or ``bad-argument``.
    """
    try:
        if name == "angle_encoding":
            return FeatureMapValue(angle_encoding(args["n_features"], args["rotation"]))
        fm = zz_feature_map(args["n_features"], args["reps"], args["entanglement"])
    except QmlError as exc:
        raise _problem(exc) from None
    return FeatureMapValue(fm)


def model(fm: Any, ansatz: AnsatzValue, observable: Any) -> ModelValue:
    """``QuantumModel(feature_map, ansatz, observable=None)``.

    Raises:
        Problem: ``bad-argument`` (not a feature map / observable, widths that differ, a zero
            observable, an ansatz parameter vector named ``x``).
    """
    if not isinstance(fm, FeatureMapValue):
        message = f"feature_map must be angle_encoding(...) or zz_feature_map(...), not {kind(fm)}"
        raise Problem("bad-argument", message)
    terms: tuple[tuple[str, float], ...] | None = None
    if observable is not None:
        if not isinstance(observable, ObservableValue):
            raise Problem(
                "bad-argument", f"observable must be an Observable, not {kind(observable)}"
            )
        terms = tuple(observable.obs.terms)
        if not terms or qml.observable_norm(terms) == 0.0:
            raise Problem("bad-argument", "the observable is zero (it has no terms)")
        width = max(len(label) for label, _ in terms)
        if width > ansatz.circuit.qubits:
            message = (
                f"the observable acts on {width} qubits but the model has {ansatz.circuit.qubits}"
            )
            raise Problem("observable-mismatch", message)
    try:
        qml.model_circuit(fm.feature_map, ansatz.circuit)
    except QmlError as exc:
        raise _problem(exc) from None
    return ModelValue(fm.feature_map, ansatz, terms)


def _initial_point(value: Any, count: int) -> tuple[float, ...] | None:
    if value is None:
        return None
    if not isinstance(value, tuple | Array | range):
        message = f"initial_point must be a list or array of numbers, got {kind(value)}"
        raise Problem("bad-argument", message)
    point = tuple(float(fo.number(x)) for x in fo.sequence(value))
    if len(point) != count:
        message = f"initial_point has {len(point)} values; the model has {count} weights"
        raise Problem("bad-argument", message, "use one value per weight (model.num_params)")
    if not all(math.isfinite(x) for x in point):
        raise Problem("bad-argument", "initial_point values must be finite")
    return point


def task(args: dict[str, Any], default_seed: int) -> TaskValue:
    """``SupervisedTask(...)`` → its training plan (the program's returns come later).

    Arguments: ``model, dataset, test_size, seed, loss, optimizer, max_iter, tolerance,
    initial_point, shots, metrics`` (:data:`SIGNATURES`).

    Raises:
        Problem: ``bad-argument`` (types, split, loss, metrics, optimiser settings),
            ``unknown-method``, ``too-large`` (more circuit evaluations than allowed).
    """
    m, data = args["model"], args["dataset"]
    if not isinstance(m, ModelValue):
        raise Problem("bad-argument", f"model must be a QuantumModel, not {kind(m)}")
    if not isinstance(data, DatasetValue):
        raise Problem("bad-argument", f"dataset must be load_dataset(...), not {kind(data)}")
    metrics = _plain(args["metrics"])
    if not isinstance(metrics, list) or any(x not in METRICS for x in metrics):
        raise Problem("bad-argument", f"metrics must be a list of {', '.join(METRICS)}")
    seed = default_seed if args["seed"] is None else args["seed"]
    method = args["optimizer"].lower() if isinstance(args["optimizer"], str) else None
    if method not in METHODS:
        message = f"unknown optimizer {args['optimizer']!r}"
        raise Problem("unknown-method", message, f"use one of {', '.join(METHODS)}")
    max_iter = args["max_iter"]
    if not fo.is_int(max_iter) or not 1 <= max_iter <= MAX_ITER:
        message = f"max_iter must be an integer in 1..{MAX_ITER}, got {max_iter!r}"
        raise Problem("bad-argument", message)
    tol = args["tolerance"]
    if tol is not None and not (fo.is_number(tol) and math.isfinite(tol) and tol > 0):
        raise Problem("bad-argument", f"tolerance must be None or a positive number, got {tol!r}")
    shots = args["shots"]
    if shots is not None and not (fo.is_int(shots) and 1 <= shots <= MAX_SHOTS):
        message = f"shots must be None (exact) or an integer in 1..{MAX_SHOTS}, got {shots!r}"
        raise Problem("bad-argument", message)
    weights = m.ansatz.parameters
    try:
        split = split_spec(args["test_size"], seed, data.spec.sample_count())
        x0 = _initial_point(args["initial_point"], len(weights))
        start = qml.initial_weights(len(weights), split.seed) if x0 is None else x0
        spec = OptimizerSpec(
            method, int(max_iter), None if tol is None else float(tol), start,
            split.seed if method == "spsa" else None,
        )  # fmt: skip
        plan = qml.build_plan(
            feature_map=m.feature_map,
            ansatz=m.ansatz.circuit,
            weights=weights,
            observable=m.terms,
            shots=shots,
            dataset=data.spec,
            split=split,
            loss=args["loss"] if isinstance(args["loss"], str) else repr(args["loss"]),
            optimizer=spec,
        )
    except QmlError as exc:
        raise _problem(exc) from None
    return TaskValue(plan)


def attribute(base: Any, name: str) -> Any:
    """Readable attributes: ``data.n_samples``, ``model.num_params``, ``result.<field>``.

    Raises:
        Problem: ``unknown-name`` listing what is readable.
    """
    if isinstance(base, DatasetValue) and name in DATASET_ATTRIBUTES:
        return base.spec.sample_count() if name == "n_samples" else base.spec.n_features
    if isinstance(base, ModelValue) and name in MODEL_ATTRIBUTES:
        return base.feature_map.n_qubits if name == "n_qubits" else len(base.ansatz.parameters)
    if isinstance(base, TrainingResultValue) and name in qml.RESULT_FIELDS:
        return TrainingField(name)
    readable = {
        DatasetValue: DATASET_ATTRIBUTES,
        ModelValue: MODEL_ATTRIBUTES,
        TrainingResultValue: qml.RESULT_FIELDS,
        TaskValue: ("fit",),
    }.get(type(base), ())
    message = f"{kind(base)} has no attribute {name!r}"
    raise Problem("unknown-name", message, f"readable: {', '.join(readable)}")
