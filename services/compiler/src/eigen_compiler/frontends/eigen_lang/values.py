"""Compile-time values of Eigen-Lang: what a name or an expression evaluates to while lowering.

Numbers, bools, strings, ``None`` and tuples are plain Python values; everything else is one of
the small frozen types below (registers, qubits, library references, hybrid values). They carry
no behaviour beyond their shape; :mod:`.folding` and :mod:`.library` compute with them.
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from eigen_compiler.frontends.eigen_lang.problem import Problem
from eigen_ir.aqo import Circuit
from eigen_ir.observable import Observable
from eigen_ir.qml import TrainingPlan
from eigen_ir.qml_data import DatasetSpec
from eigen_ir.qml_encoding import FeatureMap

# --- names ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ModuleRef:
    """An imported module; ``name`` is canonical (eigen_lang, math, numpy, typing)."""

    name: str


@dataclass(frozen=True)
class LibRef:
    """A public name of ``eigen_lang`` (gate, instruction, register type, decorator)."""

    name: str


@dataclass(frozen=True)
class HelperRef:
    """A module-level ``@quantum_circuit`` function (inlined at each call)."""

    name: str


@dataclass(frozen=True)
class PureFunction:
    """An allowlisted pure numeric function (``math.sqrt``, ``abs``, ...)."""

    qualname: str
    fn: Callable[..., Any]


@dataclass(frozen=True)
class AnnotationOnly:
    """A name usable only in annotations (``typing.Optional``)."""

    qualname: str


@dataclass(frozen=True)
class NumpyRandom:
    """The ``np.random`` namespace."""


@dataclass(frozen=True)
class RandomFunction:
    """An allowlisted ``np.random`` function, evaluated with the program's seeded generator."""

    name: str


# --- circuits -------------------------------------------------------------------------------


@dataclass(frozen=True)
class QReg:
    """A qubit register: flat qubits ``offset .. offset + size - 1``."""

    offset: int
    size: int


@dataclass(frozen=True)
class CReg:
    """A classical register: flat clbits ``offset .. offset + size - 1``."""

    offset: int
    size: int


@dataclass(frozen=True)
class QubitRef:
    """One qubit (flat index)."""

    index: int


@dataclass(frozen=True)
class ClbitRef:
    """One classical bit (flat index)."""

    index: int


@dataclass(frozen=True)
class Array:
    """A one-dimensional numpy array of floats, folded at compile time (``np.zeros(3)``)."""

    values: tuple[float, ...]


@dataclass(frozen=True)
class DictValue:
    """A dict literal of constants, in source order (``Observable({"ZZ": 1.0})``)."""

    items: tuple[tuple[Any, Any], ...]


# --- hybrid values (seed 004: Param, Observable, ansätze, cost functions, minimize) ---------


@dataclass(frozen=True)
class ParamRef:
    """A symbolic AQO parameter (``Param("name")`` or ``theta[k]`` inside an ``@ansatz``)."""

    name: str


@dataclass(frozen=True)
class ParamVector:
    """The parameter vector argument of an ``@ansatz`` function: ``theta[k]`` → ``theta[k]``."""

    name: str


@dataclass
class TermBudget:
    """Observable terms a program may build or combine in total (bounds compile time).

    Raises ``Problem('too-many-terms')`` from :meth:`charge` once ``limit`` is exceeded.
    """

    limit: int
    used: int = 0

    def charge(self, terms: int) -> None:
        """Account for ``terms`` more terms processed."""
        self.used += terms
        if self.used > self.limit:
            message = f"the program processes more than {self.limit} observable terms"
            raise Problem("too-many-terms", message, "use fewer or smaller observables")


@dataclass(frozen=True, eq=False)
class ObservableValue:
    """A compile-time :class:`eigen_lang.Observable` (the user's machine builds the same one)."""

    obs: Observable
    budget: TermBudget


@dataclass(frozen=True, eq=False)
class AnsatzValue:
    """A lowered ansatz: parametrised AQO (no clbits) and its parameters in optimiser order."""

    circuit: Circuit
    parameters: tuple[str, ...]


@dataclass(frozen=True, eq=False)
class AnsatzFunction:
    """An ``@ansatz`` function, lowered at its first use; ``closure`` = enclosing locals."""

    name: str
    fn: ast.FunctionDef
    closure: dict[str, Any] | None


@dataclass(frozen=True, eq=False)
class CostFunction:
    """A ``@cost_function``; its return expression is evaluated when ``minimize`` lowers it."""

    name: str
    fn: ast.FunctionDef
    closure: dict[str, Any] | None


@dataclass(frozen=True)
class CostPoint:
    """The point argument of a cost function (only the optimiser knows its value)."""

    name: str


@dataclass(frozen=True, eq=False)
class Expectation:
    """``ExpectationValue(ansatz, observable, shots)``: labels padded to the ansatz width."""

    ansatz: AnsatzValue
    terms: tuple[tuple[str, float], ...]
    shots: int | None


@dataclass(frozen=True)
class MinimizeResult:
    """What ``minimize(...)`` returns: fields are known only when the kernel has run the loop."""


@dataclass(frozen=True)
class ResultField:
    """``result.<field>``: optimal_value, optimal_parameters, success or iterations."""

    field: str


@dataclass(frozen=True)
class ResultMethod:
    """``result.optimal_parameters.tolist`` (calling it gives the same field)."""

    field: str


# --- QML values (seed 004: load_dataset, feature maps, QuantumModel, SupervisedTask) --------


@dataclass(frozen=True)
class DatasetValue:
    """``load_dataset(...)``: the checked spec (the data is loaded by the kernel, not here)."""

    spec: DatasetSpec


@dataclass(frozen=True)
class FeatureMapValue:
    """``angle_encoding(...)`` / ``zz_feature_map(...)``."""

    feature_map: FeatureMap


@dataclass(frozen=True, eq=False)
class ModelValue:
    """``QuantumModel(feature_map, ansatz, observable)``: observable terms None = default Z."""

    feature_map: FeatureMap
    ansatz: AnsatzValue
    terms: tuple[tuple[str, float], ...] | None


@dataclass(frozen=True, eq=False)
class TaskValue:
    """``SupervisedTask(...)``: the training plan it trains (without the program's returns)."""

    plan: TrainingPlan


@dataclass(frozen=True, eq=False)
class TaskMethod:
    """``task.fit`` (calling it records the training plan)."""

    task: TaskValue


@dataclass(frozen=True)
class TrainingResultValue:
    """What ``task.fit()`` returns: fields are known only when the kernel has trained."""


@dataclass(frozen=True)
class TrainingField:
    """``result.<field>`` of a training result (:data:`eigen_ir.qml.RESULT_FIELDS`)."""

    field: str


#: Values a name may hold besides constants (``x = QubitRegister(2)``, ``obs = Observable(...)``).
STORABLE = (
    QReg, CReg, QubitRef, ClbitRef, ParamRef, ObservableValue, AnsatzValue, AnsatzFunction,
    CostFunction, MinimizeResult, ResultField, DictValue, Expectation, DatasetValue,
    FeatureMapValue, ModelValue, TaskValue, TrainingResultValue, TrainingField,
)  # fmt: skip


def kind(v: Any) -> str:
    """Describe a value for messages (``a qubit``, ``int 3``)."""
    if type(v) in _KINDS:
        return _KINDS[type(v)]
    if v is None:
        return "None (the call returns nothing)"
    return f"{type(v).__name__} {v!r}"[:60]


_KINDS: dict[type, str] = {
    QReg: "a QubitRegister",
    CReg: "a ClassicalRegister",
    QubitRef: "a qubit",
    ClbitRef: "a clbit",
    PureFunction: "a function",
    LibRef: "a function",
    HelperRef: "a function",
    ModuleRef: "a module",
    Array: "an array",
    RandomFunction: "a function",
    ParamRef: "a Param",
    ParamVector: "the @ansatz parameter vector",
    ObservableValue: "an Observable",
    AnsatzValue: "an Ansatz",
    AnsatzFunction: "an @ansatz function",
    CostFunction: "a @cost_function",
    CostPoint: "the cost function's point (known only while optimising)",
    Expectation: "an ExpectationValue",
    MinimizeResult: "the minimize() result (known only after the run)",
    ResultField: "a minimize() result field (known only after the run)",
    ResultMethod: "a method",
    DictValue: "a dict",
    DatasetValue: "a dataset",
    FeatureMapValue: "a feature map",
    ModelValue: "a QuantumModel",
    TaskValue: "a SupervisedTask",
    TaskMethod: "a method",
    TrainingResultValue: "the fit() result (known only after training)",
    TrainingField: "a fit() result field (known only after training)",
}
