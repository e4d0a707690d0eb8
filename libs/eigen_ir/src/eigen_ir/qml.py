"""Training plan v0.1: a supervised QML job as the compiler hands it to the kernel (seed 004).

A program that calls ``SupervisedTask(...).fit()`` compiles to one plan. The model is a
parametrised circuit — a feature map (:mod:`eigen_ir.qml_encoding`, parameters ``x[k]``) then an
ansatz (weights ``theta[k]``) — and an observable ``O``; its output for a sample ``a`` and
weights ``w`` is the expectation value ``f(a; w) = ⟨ψ(a, w)|O|ψ(a, w)⟩``. With
``s = f / ‖O‖₁`` (``‖O‖₁ = Σ|c_i|`` bounds ``|f|``, so ``s ∈ [-1, 1]``):

- class: 1 when ``s < 0``, else 0 (``⟨Z⟩ = +1`` on ``|0⟩`` is class 0);
- ``cross_entropy``: ``p₁ = (1 − s) / 2`` clipped to [1e-12, 1 − 1e-12],
  ``L = −mean(y log p₁ + (1 − y) log(1 − p₁))`` (nats);
- ``square``: ``L = mean((s − t)²)`` with ``t = +1`` for class 0 and ``−1`` for class 1;
- accuracy: the fraction of samples whose class is right (0..1).

Training (the kernel's loop and a local run share :func:`objective`, :func:`finish`): the
optimiser (:func:`eigen_ir.optimize.minimize`) proposes weights; one **iteration** evaluates
the model on every training sample in one estimate call (one binding per sample: its feature
angles + the weights) and reports the loss, which the optimiser minimises, and the training
accuracy. After the budget, the best weights are evaluated on the training and the test set.
Iteration ``k`` (1-based) samples with seed ``evaluation_seed(seed, k)`` when ``shots`` is set;
the final train/test evaluations use ``k = iterations + 1`` and ``+ 2``. Exact estimates
(``shots`` null) make the whole run a deterministic function of the plan and the seed.

JSON shape (canonical like AQO)::

    {"version": "0.1", "kind": "training",
     "circuit": <AQO: feature map then ansatz, no measurements>,
     "features": ["x[0]", ...],            # feature-map parameters (bound per sample)
     "parameters": ["theta[0]", ...],      # the weights, in optimiser order
     "feature_map": {...}, "dataset": {...}, "split": {"test_size": 0.25, "seed": 7},
     "observable": {"num_qubits": 4, "terms": [["IIIZ", 1.0]]}, "shots": null | int,
     "loss": "cross_entropy" | "square",
     "optimizer": {"method", "max_iter", "tolerance", "initial_point", "seed"},
     "returns": {"acc": {"result": "test_accuracy"}, ...}}
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from eigen_ir import aqo
from eigen_ir.hybrid import HybridPlan, OptimizerSpec, PlanError, parse_plan
from eigen_ir.qml_data import DatasetSpec, QmlError, SplitSpec, load, scale_to_angles, split
from eigen_ir.qml_data import spec_from_json as dataset_from_json
from eigen_ir.qml_data import split_spec as make_split
from eigen_ir.qml_encoding import FeatureMap, feature_map_from_json

PLAN_KIND = "training"
#: Loss functions a task may name.
LOSSES = ("cross_entropy", "square")
#: Fields of a training outcome a program may return (``result.<field>``).
RESULT_FIELDS = (
    "test_accuracy", "train_accuracy", "parameters", "loss_history", "final_loss",
    "iterations", "success",
)  # fmt: skip
#: Upper bound of circuit evaluations one job may ask for (iterations × training samples).
MAX_EVALUATIONS = 2_000_000
#: Probabilities are clipped to [EPS, 1 − EPS] before the logarithm.
EPS = 1e-12

#: ``estimate(bindings, seed) -> values``: one expectation value per binding, in order.
Estimate = Callable[[list[dict[str, float]], int | None], Sequence[float]]


def default_observable(n_qubits: int) -> tuple[tuple[str, float], ...]:
    """``Z`` on qubit 0 (Qiskit label order: rightmost character = qubit 0)."""
    return (("I" * (n_qubits - 1) + "Z", 1.0),)


def observable_norm(terms: Sequence[tuple[str, float]]) -> float:
    """``‖O‖₁ = Σ|c_i|`` (an upper bound of ``|⟨O⟩|``)."""
    return float(sum(abs(c) for _, c in terms))


def model_circuit(feature_map: FeatureMap, ansatz: aqo.Circuit) -> aqo.Circuit:
    """The model's circuit: the feature map, then the ansatz (same width, no measurements).

    Raises:
        QmlError: different widths, a measuring ansatz, or an ansatz parameter named like a
            feature-map parameter (``x[k]``).
    """
    if ansatz.qubits != feature_map.n_qubits:
        raise QmlError(
            f"the ansatz has {ansatz.qubits} qubits but the feature map encodes "
            f"{feature_map.n_features} features on {feature_map.n_qubits} qubits; make them equal"
        )
    if ansatz.clbits or any(o.op == "MEASURE" for o in ansatz.operations):
        raise QmlError("the ansatz must not measure (the observable defines the measurement)")
    clash = sorted(set(ansatz.parameters) & set(feature_map.parameters))
    if clash:
        raise QmlError(
            f"ansatz parameter(s) {', '.join(clash)} have the feature map's names; "
            "name the ansatz's parameter vector theta (x[k] are the features)"
        )
    params = tuple(sorted(set(ansatz.parameters) | set(feature_map.parameters)))
    ops = feature_map.operations() + ansatz.operations
    return canonical_order(aqo.Circuit(feature_map.n_qubits, 0, ops, params))


def canonical_order(circuit: aqo.Circuit) -> aqo.Circuit:
    """``circuit`` with its operations in the order Qiskit's DAG lists them.

    The same gates, commuting ones (on different qubits) reordered the way the compiler's
    translation emits them, so the circuit a local run simulates is the one the platform
    compiles to, operation for operation (floating-point results depend on the order).
    """
    from qiskit.converters import circuit_to_dag, dag_to_circuit

    from eigen_ir.aqo_qiskit import from_qiskit, to_qiskit

    ordered = from_qiskit(dag_to_circuit(circuit_to_dag(to_qiskit(circuit))))
    return aqo.Circuit(circuit.qubits, circuit.clbits, ordered.operations, circuit.parameters)


def initial_weights(count: int, seed: int) -> tuple[float, ...]:
    """Default start point: ``count`` values uniform in [−π/10, π/10) from ``default_rng(seed)``."""
    rng = np.random.default_rng(seed)
    return tuple(float(v) for v in rng.uniform(-math.pi / 10, math.pi / 10, count))


def evaluation_seed(seed: int, k: int) -> int:
    """The sampling seed of evaluation ``k`` (shots only): ``(seed + k) mod 2^63``."""
    return (seed + k) % 2**63


def predictions(values: np.ndarray) -> np.ndarray:
    """Classes from expectation values: 1 where the value is negative, else 0."""
    return (np.asarray(values, dtype=np.float64) < 0).astype(np.int64)


def accuracy(values: np.ndarray, y: np.ndarray) -> float:
    """Fraction of samples classified right (0..1)."""
    return float(np.mean(predictions(values) == y))


def loss_value(values: np.ndarray, y: np.ndarray, loss: str, norm: float) -> float:
    """The loss of expectation values ``values`` (shape (m,)) for labels ``y`` in {0, 1}.

    Raises:
        ValueError: an unknown loss.
    """
    s = np.asarray(values, dtype=np.float64) / norm
    if loss == "cross_entropy":
        p1 = np.clip((1.0 - s) / 2.0, EPS, 1.0 - EPS)
        return float(-np.mean(y * np.log(p1) + (1 - y) * np.log(1.0 - p1)))
    if loss == "square":
        t = 1.0 - 2.0 * y
        return float(np.mean((s - t) ** 2))
    raise ValueError(f"unknown loss {loss!r}; choose one of {', '.join(LOSSES)}")


@dataclass(frozen=True, kw_only=True)
class TrainingPlan(HybridPlan):
    """A validated training plan (module docstring). ``parameters`` are the weights only."""

    features: tuple[str, ...]
    feature_map: FeatureMap
    dataset: DatasetSpec
    split: SplitSpec
    loss: str

    def to_json(self) -> dict[str, Any]:
        """The plan as a JSON object (before canonical serialisation)."""
        out = super().to_json()
        out.update(
            kind=PLAN_KIND,
            features=list(self.features),
            feature_map=self.feature_map.to_json(),
            dataset=self.dataset.to_json(),
            split=self.split.to_json(),
            loss=self.loss,
        )
        return out


def is_training_plan(data: bytes | str) -> bool:
    """True when ``data`` is a plan JSON object whose ``kind`` is ``"training"``."""
    try:
        obj = json.loads(data)
    except (ValueError, RecursionError):
        return False
    return isinstance(obj, dict) and obj.get("kind") == PLAN_KIND


_TRAINING_KEYS = ("kind", "features", "feature_map", "dataset", "split", "loss")


def parse_training_plan(data: bytes | str | Mapping[str, Any]) -> TrainingPlan:
    """Parse and validate a training plan.

    Raises:
        PlanError: every violation found, each with its field path.
    """
    if isinstance(data, bytes | str):
        try:
            obj = json.loads(data)
        except (ValueError, RecursionError) as exc:
            raise PlanError([("$", f"not JSON: {exc}"[:200])]) from None
    else:
        obj = data
    if not isinstance(obj, Mapping) or obj.get("kind") != PLAN_KIND:
        raise PlanError([("kind", f"must be {PLAN_KIND!r}")])
    errs: list[tuple[str, str]] = []
    features = obj.get("features")
    if not isinstance(features, list) or not all(isinstance(f, str) for f in features):
        errs.append(("features", "must be a list of parameter names"))
        features = []
    # the hybrid part: the circuit over weights + features, checked by parse_plan with the
    # features appended to the weights (their start values are irrelevant here)
    hybrid = {k: v for k, v in obj.items() if k not in (*_TRAINING_KEYS, "returns")}
    weights = obj.get("parameters")
    base: HybridPlan | None = None
    if isinstance(weights, list) and isinstance(obj.get("optimizer"), Mapping):
        opt = dict(obj["optimizer"])
        x0 = opt.get("initial_point")
        if isinstance(x0, list):
            opt["initial_point"] = [*x0, *([0.0] * len(features))]
        hybrid.update(parameters=[*weights, *features], optimizer=opt)
    try:
        base = parse_plan(hybrid)
    except PlanError as exc:
        errs.extend(exc.violations)
    parsed: dict[str, Any] = {}
    for key, parse in (
        ("feature_map", feature_map_from_json),
        ("dataset", dataset_from_json),
    ):
        try:
            parsed[key] = parse(obj.get(key))
        except QmlError as exc:
            errs.append((key, str(exc)))
    sp = obj.get("split")
    if isinstance(sp, Mapping) and set(sp) == {"test_size", "seed"} and "dataset" in parsed:
        try:
            parsed["split"] = make_split(
                sp["test_size"], sp["seed"], parsed["dataset"].sample_count()
            )
        except QmlError as exc:
            errs.append(("split", str(exc)))
    elif "dataset" in parsed:
        errs.append(("split", "must be {test_size, seed}"))
    if obj.get("loss") not in LOSSES:
        errs.append(("loss", f"must be one of {', '.join(LOSSES)}"))
    fm: FeatureMap | None = parsed.get("feature_map")
    if fm is not None and tuple(features) != fm.parameters:
        errs.append(("features", "must be the feature map's parameters, in order"))
    ds: DatasetSpec | None = parsed.get("dataset")
    if fm is not None and ds is not None and fm.n_features != ds.n_features:
        errs.append(("feature_map.n_features", f"must equal the dataset's {ds.n_features}"))
    returns = _returns(obj.get("returns", {}), errs)
    if errs or base is None or fm is None or ds is None or "split" not in parsed:
        raise PlanError(errs or [("$", "invalid training plan")])
    assert isinstance(weights, list)
    n = len(weights)
    spec = base.optimizer
    optimizer = OptimizerSpec(
        spec.method, spec.max_iter, spec.tolerance, spec.initial_point[:n], spec.seed
    )
    return TrainingPlan(
        circuit=base.circuit,
        parameters=tuple(weights),
        observable=base.observable,
        shots=base.shots,
        optimizer=optimizer,
        returns=returns,
        features=tuple(features),
        feature_map=fm,
        dataset=ds,
        split=parsed["split"],
        loss=str(obj["loss"]),
    )


def _returns(r: Any, errs: list[tuple[str, str]]) -> tuple[tuple[str, Mapping[str, Any]], ...]:
    out: list[tuple[str, Mapping[str, Any]]] = []
    if not isinstance(r, Mapping):
        errs.append(("returns", "must be an object"))
        return ()
    for key, ref in sorted(r.items()):
        ok = isinstance(ref, Mapping) and len(ref) == 1
        if ok and "result" in ref and ref["result"] in RESULT_FIELDS:
            out.append((key, {"result": ref["result"]}))
        elif ok and "value" in ref:
            out.append((key, {"value": ref["value"]}))
        else:
            errs.append((f"returns.{key}", f"must be {{result: one of {RESULT_FIELDS}}}"))
    return tuple(out)


@dataclass(frozen=True)
class TrainingData:
    """A plan's data, ready to bind: feature-map parameter values per sample and labels.

    ``train``/``test``: shape (m, len(plan.features)) radians; ``y_*``: shape (m,) in {0, 1};
    ``sha256``: a digest of all four arrays (identical data → identical digest).
    """

    train: np.ndarray
    test: np.ndarray
    y_train: np.ndarray
    y_test: np.ndarray
    sha256: str


def prepare(plan: TrainingPlan) -> TrainingData:
    """Load, split and scale the plan's dataset and encode it with its feature map."""
    import hashlib

    x, y = load(plan.dataset)
    x_train, x_test, y_train, y_test = split(x, y, plan.split)
    a_train, a_test = scale_to_angles(x_train, x_test)
    train = plan.feature_map.angles(a_train)
    test = plan.feature_map.angles(a_test)
    h = hashlib.sha256()
    for arr in (train, test, y_train, y_test):
        h.update(np.ascontiguousarray(arr).tobytes())
    return TrainingData(train, test, y_train, y_test, h.hexdigest())


def bindings(plan: TrainingPlan, angles: np.ndarray, w: np.ndarray) -> list[dict[str, float]]:
    """One binding per sample: its feature-map parameters and the weights ``w`` (radians)."""
    weights = {n: float(v) for n, v in zip(plan.parameters, w, strict=True)}
    names = plan.features
    return [{**{n: float(v) for n, v in zip(names, row, strict=True)}, **weights} for row in angles]


def objective(
    plan: TrainingPlan, data: TrainingData, values: Sequence[float]
) -> tuple[float, float]:
    """One iteration's ``(loss, train accuracy)`` from the training samples' expectation values.

    Raises:
        ValueError: not one finite value per training sample.
    """
    v = np.asarray(values, dtype=np.float64)
    if v.shape != (len(data.y_train),) or not np.all(np.isfinite(v)):
        raise ValueError(f"expected {len(data.y_train)} finite expectation values")
    norm = observable_norm(plan.observable)
    return loss_value(v, data.y_train, plan.loss, norm), accuracy(v, data.y_train)


@dataclass(frozen=True)
class TrainingOutcome:
    """What training produced (the fields of :data:`RESULT_FIELDS`, plus the message).

    ``parameters``: the best weights (radians, ``plan.parameters`` order); ``loss_history``:
    the loss of every iteration in order; ``final_loss``: the best (lowest) loss.
    """

    parameters: tuple[float, ...]
    loss_history: tuple[float, ...]
    final_loss: float
    iterations: int
    success: bool
    message: str
    train_accuracy: float
    test_accuracy: float

    def fields(self) -> dict[str, Any]:
        """The outcome keyed by :data:`RESULT_FIELDS` (JSON values)."""
        return {
            "test_accuracy": self.test_accuracy,
            "train_accuracy": self.train_accuracy,
            "parameters": list(self.parameters),
            "loss_history": list(self.loss_history),
            "final_loss": self.final_loss,
            "iterations": self.iterations,
            "success": self.success,
        }


def finish(
    plan: TrainingPlan,
    data: TrainingData,
    best: Sequence[float] | np.ndarray,
    train_values: Sequence[float],
    test_values: Sequence[float],
    history: Sequence[float],
    success: bool,
    message: str,
) -> TrainingOutcome:
    """The outcome from the final evaluations at the best weights ``best``."""
    return TrainingOutcome(
        parameters=tuple(float(v) for v in best),
        loss_history=tuple(float(v) for v in history),
        final_loss=float(min(history)),
        iterations=len(history),
        success=success,
        message=message,
        train_accuracy=accuracy(np.asarray(train_values), data.y_train),
        test_accuracy=accuracy(np.asarray(test_values), data.y_test),
    )


def outputs(plan: TrainingPlan, outcome: TrainingOutcome) -> dict[str, Any]:
    """A job's ``outputs``: every field of :data:`RESULT_FIELDS`, then the program's returns."""
    out = outcome.fields()
    fields = outcome.fields()
    for key, ref in plan.returns:
        out[key] = fields[ref["result"]] if "result" in ref else ref["value"]
    return out


def train(plan: TrainingPlan, estimate: Estimate, seed: int) -> TrainingOutcome:
    """Train synchronously (a local run; the kernel runs the same steps as a resumable loop).

    Args:
        plan: the training plan.
        estimate: expectation values of ``plan.circuit`` and ``plan.observable`` per binding.
        seed: the optimiser seed (SPSA) and the base of the sampling seeds.

    Raises:
        ValueError: the estimator returned the wrong number of values or a non-finite one.
    """
    from eigen_ir.optimize import minimize

    data = prepare(plan)
    state = {"k": 0}

    def fun(w: np.ndarray) -> float:
        state["k"] += 1
        sd = evaluation_seed(seed, state["k"])
        values = estimate(bindings(plan, data.train, w), sd)
        return objective(plan, data, values)[0]

    opt = plan.optimizer
    result = minimize(
        fun,
        np.asarray(opt.initial_point, dtype=float),
        method=opt.method,
        max_iter=opt.max_iter,
        tolerance=opt.tolerance,
        seed=seed,
    )
    best = result.optimal_parameters
    k = result.iterations
    train_values = estimate(bindings(plan, data.train, best), evaluation_seed(seed, k + 1))
    test_values = estimate(bindings(plan, data.test, best), evaluation_seed(seed, k + 2))
    return finish(
        plan, data, best, train_values, test_values, result.history, result.success,
        result.message,
    )  # fmt: skip


def ansatz_operations(
    ops: Sequence[tuple[str, tuple[int, ...], int | None]], names: Sequence[str]
) -> tuple[aqo.Operation, ...]:
    """An :class:`eigen_ir.ansatz.Ansatz`'s ops as AQO (parameter ``k`` → ``names[k]``)."""
    return tuple(
        aqo.Operation(gate.upper(), qubits, (), () if k is None else (names[k],))
        for gate, qubits, k in ops
    )


def build_plan(
    *,
    feature_map: FeatureMap,
    ansatz: aqo.Circuit,
    weights: Sequence[str],
    observable: Sequence[tuple[str, float]] | None,
    shots: int | None,
    dataset: DatasetSpec,
    split: SplitSpec,
    loss: str,
    optimizer: OptimizerSpec,
    returns: Sequence[tuple[str, Mapping[str, Any]]] = (),
) -> TrainingPlan:
    """Assemble and check a training plan (the compiler and a local run both call this).

    ``observable`` None means :func:`default_observable`; narrower labels are padded with
    ``I`` on the left. ``optimizer.initial_point`` has one value per weight.

    Raises:
        QmlError: widths that differ (dataset features, feature map, ansatz, observable), a
            zero observable, an unknown loss, a start point of the wrong length, weights that
            are not the ansatz's parameters, or more than :data:`MAX_EVALUATIONS` circuit
            evaluations.
    """
    if dataset.n_features != feature_map.n_features:
        raise QmlError(
            f"the dataset has {dataset.n_features} features but the feature map encodes "
            f"{feature_map.n_features}; make them equal"
        )
    circuit = model_circuit(feature_map, ansatz)
    if set(weights) != set(ansatz.parameters) or len(set(weights)) != len(weights):
        raise QmlError("the weights must be exactly the ansatz's parameters")
    n = circuit.qubits
    terms = default_observable(n) if observable is None else tuple(observable)
    if not terms:
        raise QmlError("the observable has no terms (it is zero)")
    width = max(len(label) for label, _ in terms)
    if width > n:
        raise QmlError(f"the observable acts on {width} qubits but the model has only {n}")
    terms = tuple(("I" * (n - len(label)) + label, float(c)) for label, c in terms)
    if observable_norm(terms) == 0.0:
        raise QmlError("the observable is zero (every coefficient is 0)")
    if loss not in LOSSES:
        raise QmlError(f"unknown loss {loss!r}; choose one of {', '.join(LOSSES)}")
    if len(optimizer.initial_point) != len(weights):
        raise QmlError(
            f"initial_point has {len(optimizer.initial_point)} values; the ansatz has "
            f"{len(weights)} parameters"
        )
    n_train, n_test = split.sizes(dataset.sample_count())
    work = optimizer.max_iter * n_train + n_train + n_test
    if work > MAX_EVALUATIONS:
        raise QmlError(
            f"max_iter={optimizer.max_iter} × {n_train} training samples is {work} circuit "
            f"evaluations; the limit is {MAX_EVALUATIONS}"
        )
    return TrainingPlan(
        circuit=circuit,
        parameters=tuple(weights),
        observable=terms,
        shots=shots,
        optimizer=optimizer,
        returns=tuple(sorted(returns)),
        features=feature_map.parameters,
        feature_map=feature_map,
        dataset=dataset,
        split=split,
        loss=loss,
    )
