"""Quantum machine learning (seed 004): ``load_dataset``, ``QuantumModel``, ``SupervisedTask``.

A two-class classifier in a few lines::

    data = load_dataset("iris", classes=["setosa", "versicolor"])
    model = QuantumModel(
        feature_map=angle_encoding(n_features=4),
        ansatz=create_hea_ansatz(n_qubits=4, depth=1),
        observable=Observable("Z"),          # default: Z on qubit 0
    )
    task = SupervisedTask(model, data, test_size=0.25, loss="cross_entropy",
                          optimizer="cobyla", max_iter=80)
    result = task.fit()
    result.test_accuracy, result.parameters, result.loss_history

On the platform the compiler turns this into a training plan (:mod:`eigen_ir.qml`) the kernel
runs as a loop, one event per iteration. Locally :meth:`SupervisedTask.fit` runs the very same
plan — same data, split, scaling, circuit, loss, optimiser and seeds — on Qiskit Aer, with
exact expectation values computed the way the platform's Aer devices compute them, so the
same program and seed give the same loss history and weights, bit for bit when exact.
See docs/qml.md for shapes, units and limits.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from eigen_ir import qml
from eigen_ir.aqo import Circuit, Operation
from eigen_ir.hybrid import METHODS, OptimizerSpec
from eigen_ir.observable import Observable
from eigen_ir.qml_data import DATASETS, DatasetSpec, QmlError, dataset_spec, load, split_spec
from eigen_ir.qml_encoding import FeatureMap, angle_encoding, zz_feature_map
from eigen_lang.ansatz import Ansatz, AnsatzFunction
from eigen_lang.program import DEFAULT_RANDOM_SEED, running_program_seed

__all__ = [
    "DATASETS",
    "Dataset",
    "FeatureMap",
    "QuantumModel",
    "SupervisedTask",
    "TrainingResult",
    "angle_encoding",
    "load_dataset",
    "zz_feature_map",
]

#: Metrics a task reports (accuracy is the one a two-class model has).
METRICS = ("accuracy",)


def _program_seed() -> int:
    seed = running_program_seed()
    return DEFAULT_RANDOM_SEED if seed is None else seed


@dataclass(frozen=True)
class Dataset:
    """A dataset from :func:`load_dataset`: its spec and, on first use, its arrays.

    ``X``: shape (n_samples, n_features), feature units (not yet scaled); ``y``: shape
    (n_samples,), labels 0 (``classes[0]``) and 1 (``classes[1]``).
    """

    spec: DatasetSpec

    @property
    def n_samples(self) -> int:
        """Rows of the two classes."""
        return self.spec.sample_count()

    @property
    def n_features(self) -> int:
        """Columns kept (one qubit each in a feature map)."""
        return self.spec.n_features

    @property
    def class_names(self) -> tuple[str, str]:
        """Names of label 0 and label 1."""
        names = DATASETS[self.spec.name].class_names
        return names[self.spec.classes[0]], names[self.spec.classes[1]]

    @property
    def X(self) -> np.ndarray:
        """The features, shape (n_samples, n_features)."""
        return load(self.spec)[0]

    @property
    def y(self) -> np.ndarray:
        """The labels, shape (n_samples,), in {0, 1}."""
        return load(self.spec)[1]


def load_dataset(
    name: str,
    n_samples: int | None = None,
    noise: float | None = None,
    seed: int | None = None,
    classes: Sequence[str | int] | None = None,
    features: Sequence[int] | None = None,
    factor: float | None = None,
) -> Dataset:
    """A dataset shipped with scikit-learn, or generated with a seed (nothing is downloaded).

    Args:
        name: ``"iris"``, ``"breast_cancer"``, ``"digits"`` (bundled) or ``"moons"``,
            ``"circles"`` (generated).
        n_samples: generated only: points, 4..1000 (default 100).
        noise: generated only: standard deviation of the Gaussian noise (default 0).
        seed: generated only: the generator's seed (default: the program's seed, else 0).
        classes: the two classes to keep, by name or index (required for iris and digits);
            label 0 is ``classes[0]``.
        features: column indices to keep (default all; at most 12, one qubit each).
        factor: circles only: inner/outer radius ratio in (0, 1) (default 0.8).

    Raises:
        ValueError: an unknown name (the message lists the available ones) or a bad argument.
    """
    return Dataset(
        dataset_spec(
            name,
            n_samples=n_samples,
            noise=noise,
            factor=factor,
            seed=seed,
            classes=classes,
            features=features,
            default_seed=_program_seed(),
        )
    )


def _ansatz_circuit(ansatz: Any) -> tuple[Circuit, tuple[str, ...]]:
    """An ansatz as AQO (the compiler lowers it to the same operations) and its weights."""
    if isinstance(ansatz, Ansatz):
        names = ansatz.parameters
        ops = qml.ansatz_operations(ansatz.ops, names)
    elif isinstance(ansatz, AnsatzFunction):
        names = ansatz.parameters
        traced = ansatz._trace()
        ops = tuple(
            Operation(
                op.upper(), qubits, (), tuple(names[a] if isinstance(a, int) else a for a in ps)
            )
            for op, qubits, ps in traced.gates
        )
    else:
        raise TypeError(
            f"QuantumModel(ansatz=...) must be create_hea_ansatz(...) or an @ansatz, got {ansatz!r}"
        )
    return Circuit(ansatz.num_qubits, 0, ops, tuple(sorted(names))), names


class QuantumModel:
    """A parametrised quantum model: feature map, then ansatz, measured by an observable.

    Its output for a sample (feature angles ``a``, radians) and weights ``w`` is the
    expectation value ``⟨ψ(a, w)|O|ψ(a, w)⟩``; class 1 when it is negative, else 0.

    Args:
        feature_map: :func:`angle_encoding` or :func:`zz_feature_map` (one qubit per feature).
        ansatz: ``create_hea_ansatz(...)`` or an ``@ansatz`` on as many qubits; its
            parameters are the model's weights (their vector must not be named ``x``).
        observable: an :class:`Observable` (labels narrower than the model act on the low
            qubits); default ``Z`` on qubit 0.

    Raises:
        TypeError: a feature map, ansatz or observable of the wrong type.
        ValueError: widths that differ, or a zero observable.
    """

    def __init__(
        self, feature_map: FeatureMap, ansatz: Any, observable: Observable | None = None
    ) -> None:
        if not isinstance(feature_map, FeatureMap):
            raise TypeError(
                "QuantumModel(feature_map=...) must be angle_encoding(...) or "
                f"zz_feature_map(...), got {feature_map!r}"
            )
        if observable is not None and not isinstance(observable, Observable):
            raise TypeError(
                f"QuantumModel(observable=...) must be an Observable, got {observable!r}"
            )
        self.feature_map = feature_map
        self.ansatz = ansatz
        self.observable = observable
        self.ansatz_circuit, self.weights = _ansatz_circuit(ansatz)
        self.circuit = qml.model_circuit(feature_map, self.ansatz_circuit)
        n = self.circuit.qubits
        terms = qml.default_observable(n) if observable is None else tuple(observable.terms)
        if not terms or qml.observable_norm(terms) == 0.0:
            raise QmlError("the observable is zero")
        if max(len(label) for label, _ in terms) > n:
            raise QmlError(f"the observable is wider than the model's {n} qubits")
        self.terms = tuple(("I" * (n - len(label)) + label, float(c)) for label, c in terms)

    @property
    def n_qubits(self) -> int:
        """Circuit width (= features)."""
        return self.circuit.qubits

    @property
    def num_params(self) -> int:
        """Trainable weights."""
        return len(self.weights)

    def __repr__(self) -> str:
        return f"QuantumModel({self.feature_map!r}, {self.ansatz!r}, {self.observable!r})"


@dataclass(frozen=True)
class TrainingResult:
    """What :meth:`SupervisedTask.fit` returns (the platform reports the same fields).

    Attributes:
        test_accuracy / train_accuracy: fraction right at the trained weights (0..1).
        parameters: the trained weights (radians), in the ansatz's parameter order.
        loss_history: the training loss of every iteration, in order.
        final_loss: the lowest loss (the one of ``parameters``).
        iterations: iterations made (each evaluates every training sample once).
        success: the optimiser reported convergence before its budget ran out.
        message: the optimiser's message.
    """

    test_accuracy: float
    train_accuracy: float
    parameters: list[float]
    loss_history: list[float]
    final_loss: float
    iterations: int
    success: bool
    message: str = ""
    outcome: qml.TrainingOutcome | None = field(default=None, repr=False, compare=False)


class SupervisedTask:
    """A supervised learning task: model, data, split, loss, optimiser and its budget.

    Args:
        model: the :class:`QuantumModel`.
        dataset: from :func:`load_dataset`.
        test_size: fraction of the samples held out for testing, in (0, 1) (stratified).
        seed: the split's seed and the default start point's (default: program seed, else 0).
        loss: ``"cross_entropy"`` (default) or ``"square"``.
        optimizer: ``"cobyla"`` (default), ``"nelder-mead"``, ``"powell"`` or ``"spsa"``.
        max_iter: iterations (loss evaluations over the training set), >= 1.
        tolerance: the optimiser's tolerance (SciPy ``tol``), or None.
        initial_point: start weights (radians, one per weight); default uniform in
            [−π/10, π/10) from ``numpy.random.default_rng(seed)``.
        shots: None for exact expectation values, else shots per measurement group.
        metrics: what is reported; ``("accuracy",)``.

    Raises:
        TypeError / ValueError: a bad argument (the message names it).
    """

    def __init__(
        self,
        model: QuantumModel,
        dataset: Dataset,
        test_size: float = 0.25,
        seed: int | None = None,
        loss: str = "cross_entropy",
        optimizer: str = "cobyla",
        max_iter: int = 100,
        tolerance: float | None = None,
        initial_point: Sequence[float] | np.ndarray | None = None,
        shots: int | None = None,
        metrics: Sequence[str] = METRICS,
    ) -> None:
        if not isinstance(model, QuantumModel):
            raise TypeError(f"SupervisedTask(model=...) must be a QuantumModel, got {model!r}")
        if not isinstance(dataset, Dataset):
            raise TypeError(
                f"SupervisedTask(dataset=...) must be load_dataset(...), got {dataset!r}"
            )
        if isinstance(metrics, str) or any(m not in METRICS for m in metrics):
            raise QmlError(f"metrics must be a list of {', '.join(METRICS)}, got {metrics!r}")
        s = _program_seed() if seed is None else seed
        split = split_spec(test_size, s, dataset.n_samples)
        method = optimizer.lower() if isinstance(optimizer, str) else optimizer
        if method not in METHODS:
            raise QmlError(f"unknown optimizer {optimizer!r}; choose one of {', '.join(METHODS)}")
        if isinstance(max_iter, bool) or not isinstance(max_iter, numbers.Integral) or max_iter < 1:
            raise QmlError(f"max_iter must be an integer >= 1, got {max_iter!r}")
        if shots is not None and (
            isinstance(shots, bool) or not isinstance(shots, numbers.Integral) or shots < 1
        ):
            raise QmlError(f"shots must be None (exact) or an integer >= 1, got {shots!r}")
        if tolerance is not None and not (
            isinstance(tolerance, numbers.Real) and float(tolerance) > 0
        ):
            raise QmlError(f"tolerance must be None or a positive number, got {tolerance!r}")
        x0 = (
            qml.initial_weights(model.num_params, split.seed)
            if initial_point is None
            else tuple(float(v) for v in np.asarray(initial_point, dtype=float).reshape(-1))
        )
        spec = OptimizerSpec(
            str(method),
            int(max_iter),
            None if tolerance is None else float(tolerance),
            x0,
            s if method == "spsa" else None,
        )
        self.model = model
        self.dataset = dataset
        self.plan: qml.TrainingPlan = qml.build_plan(
            feature_map=model.feature_map,
            ansatz=model.ansatz_circuit,
            weights=model.weights,
            observable=model.terms,
            shots=None if shots is None else int(shots),
            dataset=dataset.spec,
            split=split,
            loss=loss,
            optimizer=spec,
        )

    def fit(self) -> TrainingResult:
        """Train locally on Qiskit Aer (the platform's kernel runs the same plan).

        The optimiser and sampling seed is the running program's seed (else 0), as on the
        platform when the job sets no seed of its own.
        """
        from eigen_lang.qml_estimate import AerEstimator

        out = qml.train(self.plan, AerEstimator(self.plan), _program_seed())
        return TrainingResult(
            test_accuracy=out.test_accuracy,
            train_accuracy=out.train_accuracy,
            parameters=list(out.parameters),
            loss_history=list(out.loss_history),
            final_loss=out.final_loss,
            iterations=out.iterations,
            success=out.success,
            message=out.message,
            outcome=out,
        )
