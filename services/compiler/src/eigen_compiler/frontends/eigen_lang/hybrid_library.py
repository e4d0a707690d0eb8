"""Compile-time semantics of Eigen-Lang's hybrid library (seed 004, SPEC §6): pure and bounded.

The lowering evaluates the arguments of ``Param``, ``Observable``,
``create_ising_model_hamiltonian``, ``create_hea_ansatz``, ``ExpectationValue`` and ``minimize``
to constants and calls the functions here. They check every argument and bound every size
*before* calling the quantum model (``eigen_ir``, the same code ``eigen_lang`` runs locally), so
a program compiles to exactly the observable and ansatz a local run builds. Problems raise
:class:`.Problem` (rule, message, hint); the lowering adds the source position.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from eigen_compiler.frontends.eigen_lang import folding as fo
from eigen_compiler.frontends.eigen_lang.problem import Problem
from eigen_compiler.frontends.eigen_lang.values import (
    AnsatzValue,
    Array,
    DictValue,
    Expectation,
    MinimizeResult,
    ObservableValue,
    ParamRef,
    ResultField,
    TermBudget,
    TrainingField,
    TrainingResultValue,
    kind,
)
from eigen_ir.ansatz import ENTANGLEMENTS, ROTATION_GATES, ROTATION_PRESETS, create_hea_ansatz
from eigen_ir.aqo import Circuit, Operation
from eigen_ir.hybrid import (
    MAX_ITER,
    MAX_PARAMETERS,
    MAX_SHOTS,
    MAX_TERMS,
    METHODS,
    OptimizerSpec,
)
from eigen_ir.observable import Observable, create_ising_model_hamiltonian

#: Observable terms one program may build or combine in total (compile-time work bound).
TERM_WORK = 10 * MAX_TERMS
#: Fields of ``minimize(...)``'s result a program may read.
RESULT_FIELDS = ("optimal_value", "optimal_parameters", "success", "iterations")
#: Readable attributes of an ansatz (the ``@ansatz`` function or ``create_hea_ansatz``).
ANSATZ_ATTRIBUTES = ("num_params", "num_qubits", "n_qubits", "parameters")
#: Readable attributes of an ``Observable``.
OBSERVABLE_ATTRIBUTES = ("n_qubits", "num_qubits")


def _library_error(exc: Exception) -> Problem:
    return Problem("bad-argument", str(exc)[:300])


def param(name: Any) -> ParamRef:
    """``Param(name)``: an AQO parameter (an ASCII identifier not starting with ``__``).

    Raises:
        Problem: ``bad-argument`` for any other name.
    """
    if not isinstance(name, str) or not name.isidentifier() or not name.isascii():
        raise Problem("bad-argument", f"Param name must be an ASCII identifier, got {name!r}")
    if name.startswith("__"):
        raise Problem("bad-argument", f"Param name must not start with '__', got {name!r}")
    return ParamRef(name)


def _check_label(label: Any, max_qubits: int) -> None:
    if isinstance(label, str) and len(label) > max_qubits:
        message = f"Pauli label of {len(label)} qubits; the limit is {max_qubits}"
        raise Problem("too-many-qubits", message)


def observable(terms: Any, coeff: Any, budget: TermBudget, max_qubits: int) -> ObservableValue:
    """``Observable(terms, coeff=None)``: a label (+ coefficient), a dict or a list of pairs.

    Shapes: ``terms`` is a label string, a :class:`.values.DictValue` ``{label: coeff}``
    or a tuple of ``(label, coeff)`` pairs; at most :data:`MAX_TERMS` terms of at most
    ``max_qubits`` characters.

    Raises:
        Problem: ``too-many-terms``, ``too-many-qubits`` or ``bad-argument`` (the library's
            own validation: labels, lengths, real finite coefficients).
    """
    spec: Any
    if isinstance(terms, str):
        spec = terms
        count = 1
    elif isinstance(terms, DictValue):
        spec = dict(terms.items)
        count = len(terms.items)
    elif isinstance(terms, tuple):
        spec = [tuple(t) if isinstance(t, tuple) else t for t in terms]
        count = len(terms)
    else:
        message = f"Observable expects a label, a dict or a list of pairs, got {kind(terms)}"
        raise Problem("bad-argument", message)
    if count > MAX_TERMS:
        raise Problem("too-many-terms", f"{count} observable terms; the limit is {MAX_TERMS}")
    budget.charge(count)
    if isinstance(spec, str):
        labels = [spec]
    elif isinstance(spec, dict):
        labels = list(spec)
    else:
        labels = [t[0] for t in spec if isinstance(t, tuple) and t]
    for label in labels:
        _check_label(label, max_qubits)
    try:
        return ObservableValue(Observable(spec, coeff), budget)
    except (TypeError, ValueError) as exc:
        raise _library_error(exc) from None


def _real_matrix(value: Any, n: int) -> list[list[float]] | None:
    """``J`` as an ``n × n`` list of floats, or None when it is not a sequence of rows."""
    if not isinstance(value, tuple | Array):
        return None
    rows = fo.sequence(value)
    if len(rows) != n:
        raise Problem("bad-argument", f"J matrix must have {n} rows, got {len(rows)}")
    out = []
    for row in rows:
        if not isinstance(row, tuple | Array) or len(fo.sequence(row)) != n:
            raise Problem("bad-argument", f"J matrix must be {n} × {n} numbers")
        out.append([float(fo.number(x)) for x in fo.sequence(row)])
    return out


def ising(
    n_spins: Any, coupling: Any, field: Any, periodic: Any, budget: TermBudget, max_qubits: int
) -> ObservableValue:
    """``create_ising_model_hamiltonian(n_spins, J=1.0, h=0.0, periodic=False)``.

    ``J`` is a number or an ``n × n`` matrix (tuples/arrays), ``h`` a number or ``n`` numbers.
    The number of terms is counted before the library builds them.

    Raises:
        Problem: ``too-many-qubits`` (``n_spins`` > ``max_qubits``), ``too-many-terms``
            (> :data:`MAX_TERMS`), ``bad-argument`` (the library's validation).
    """
    if not fo.is_int(n_spins) or n_spins < 1:
        raise Problem("bad-argument", f"n_spins must be a positive integer, got {n_spins!r}")
    if n_spins > max_qubits:
        message = f"n_spins={n_spins} exceeds the qubit limit {max_qubits}"
        raise Problem("too-many-qubits", message)
    matrix = _real_matrix(coupling, n_spins)
    if matrix is None and not fo.is_number(coupling):
        raise Problem("bad-argument", f"J must be a number or a matrix, got {kind(coupling)}")
    fields: Any = field
    if isinstance(field, tuple | Array):
        fields = [float(fo.number(x)) for x in fo.sequence(field)]
    elif not fo.is_number(field):
        raise Problem("bad-argument", f"h must be a number or a list, got {kind(field)}")
    if matrix is not None:
        bonds = sum(1 for i in range(n_spins) for j in range(i + 1, n_spins) if matrix[i][j])
    else:
        bonds = n_spins if periodic is True and n_spins >= 3 else n_spins - 1
    count = bonds + n_spins
    if count > MAX_TERMS:
        raise Problem("too-many-terms", f"{count} observable terms; the limit is {MAX_TERMS}")
    budget.charge(count)
    try:
        obs = create_ising_model_hamiltonian(
            n_spins, coupling if matrix is None else matrix, fields, periodic
        )
    except (TypeError, ValueError) as exc:
        raise _library_error(exc) from None
    return ObservableValue(obs, budget)


def hea(
    n_qubits: Any,
    depth: Any,
    entanglement: Any,
    rotations: Any,
    max_qubits: int,
    max_operations: int,
) -> AnsatzValue:
    """``create_hea_ansatz(n_qubits, depth=1, entanglement="linear", rotations="ry")``.

    Returns the ansatz as AQO: rotations take the parameters ``theta[k]`` (k in application
    order, which is also the optimiser's order), CX gates the entangling pairs.

    Raises:
        Problem: ``too-many-qubits``, ``too-many-operations`` (gates > ``max_operations``),
            ``too-many-parameters`` (> 10 000), ``bad-argument`` (the library's validation).
    """
    if not fo.is_int(n_qubits) or n_qubits < 1:
        raise Problem("bad-argument", f"n_qubits must be a positive integer, got {n_qubits!r}")
    if n_qubits > max_qubits:
        raise Problem("too-many-qubits", f"n_qubits={n_qubits} exceeds the limit {max_qubits}")
    if not fo.is_int(depth) or depth < 0:
        raise Problem("bad-argument", f"depth must be an integer >= 0, got {depth!r}")
    if entanglement not in ENTANGLEMENTS:
        message = f"entanglement must be one of {', '.join(ENTANGLEMENTS)}, got {entanglement!r}"
        raise Problem("bad-argument", message)
    if isinstance(rotations, str):
        gates = ROTATION_PRESETS.get(rotations)
    elif isinstance(rotations, tuple) and rotations:
        gates = rotations if all(r in ROTATION_GATES for r in rotations) else None
    else:
        gates = None
    if gates is None:
        names = ", ".join(ROTATION_PRESETS)
        message = f"rotations must be one of {names} or a list of rx/ry/rz, got {rotations!r}"
        raise Problem("bad-argument", message)
    n = int(n_qubits)
    pairs = {"linear": n - 1, "circular": n if n >= 3 else n - 1, "full": n * (n - 1) // 2}
    per_layer = pairs.get(entanglement, n - 1)
    num_params = (depth + 1) * len(gates) * n
    if num_params > MAX_PARAMETERS:
        message = f"the ansatz has {num_params} parameters; the limit is {MAX_PARAMETERS}"
        raise Problem("too-many-parameters", message)
    if num_params + depth * per_layer > max_operations:
        message = f"the ansatz has more than {max_operations} operations"
        raise Problem("too-many-operations", message)
    try:
        built = create_hea_ansatz(n, depth, entanglement, list(gates))
    except (TypeError, ValueError) as exc:
        raise _library_error(exc) from None
    param_names: tuple[str, ...] = tuple(built.parameters)
    ops = tuple(
        Operation(gate.upper(), qubits, (), () if k is None else (param_names[k],))
        for gate, qubits, k in built.ops
    )
    return AnsatzValue(Circuit(n, 0, ops, tuple(sorted(param_names))), param_names)


def ansatz_from_ops(
    num_qubits: int, ops: Sequence[Operation], vector: str, used: set[int]
) -> AnsatzValue:
    """An ``@ansatz`` function's lowered body as an ansatz: parameters ``vector[k]``.

    Raises:
        Problem: ``invalid-ansatz`` (no qubits), ``unused-parameter`` (no parameter, or an
            index below the largest one never used).
    """
    if num_qubits < 1:
        raise Problem("invalid-ansatz", "the @ansatz creates no qubits", "use QubitRegister(n)")
    if not used:
        message = f"the @ansatz never uses its parameter vector {vector!r}"
        raise Problem("unused-parameter", message, f"use {vector}[0], {vector}[1], ...")
    count = max(used) + 1
    missing = sorted(set(range(count)) - used)
    if missing:
        shown = ", ".join(f"{vector}[{k}]" for k in missing[:5])
        more = f" (+{len(missing) - 5} more)" if len(missing) > 5 else ""
        message = f"parameter(s) {shown}{more} are never used; indices must be 0..{count - 1}"
        raise Problem("unused-parameter", message, "number the parameters without gaps")
    names = tuple(f"{vector}[{k}]" for k in range(count))
    return AnsatzValue(Circuit(num_qubits, 0, tuple(ops), tuple(sorted(names))), names)


def ansatz_attribute(value: AnsatzValue, name: str) -> Any:
    """``ansatz.num_params`` / ``num_qubits`` / ``n_qubits`` / ``parameters``."""
    if name == "num_params":
        return len(value.parameters)
    if name in ("num_qubits", "n_qubits"):
        return value.circuit.qubits
    if name == "parameters":
        return value.parameters
    allowed = ", ".join(ANSATZ_ATTRIBUTES)
    raise Problem("unknown-name", f"an Ansatz has no attribute {name!r}", f"readable: {allowed}")


def observable_attribute(value: ObservableValue, name: str) -> Any:
    """``observable.n_qubits`` / ``num_qubits``."""
    if name in OBSERVABLE_ATTRIBUTES:
        return value.obs.n_qubits
    allowed = ", ".join(OBSERVABLE_ATTRIBUTES)
    message = f"an Observable has no attribute {name!r}"
    raise Problem("unknown-name", message, f"readable: {allowed}")


def expectation(ansatz: AnsatzValue, obs: Any, shots: Any) -> Expectation:
    """``ExpectationValue(ansatz, observable, shots=None)``.

    Labels narrower than the ansatz are padded with ``I`` on the left (the high qubits).

    Raises:
        Problem: ``bad-argument`` (not an observable, no terms, bad shots),
            ``observable-mismatch`` (the observable is wider than the ansatz).
    """
    if not isinstance(obs, ObservableValue):
        raise Problem("bad-argument", f"observable must be an Observable, got {kind(obs)}")
    if shots is not None and not (fo.is_int(shots) and 1 <= shots <= MAX_SHOTS):
        message = f"shots must be None (exact) or an integer in 1..{MAX_SHOTS}, got {shots!r}"
        raise Problem("bad-argument", message)
    width, n = ansatz.circuit.qubits, obs.obs.n_qubits
    if n > width:
        message = f"the observable acts on {n} qubits but the ansatz has only {width}"
        raise Problem("observable-mismatch", message, "use an ansatz at least as wide")
    if not obs.obs.terms:
        raise Problem("bad-argument", "the observable has no terms (it is zero)")
    obs.budget.charge(len(obs.obs))
    pad = "I" * (width - n)
    terms = tuple((pad + label, coeff) for label, coeff in obs.obs.terms)
    return Expectation(ansatz, terms, shots)


def optimizer(
    num_params: int,
    initial_guess: Any,
    method: Any,
    max_iter: Any,
    tolerance: Any,
    seed: int | None,
) -> OptimizerSpec:
    """The optimiser settings of ``minimize(...)`` (``seed`` is kept for SPSA only).

    Raises:
        Problem: ``bad-argument`` (initial guess not ``num_params`` finite numbers, bad
            ``max_iter`` or ``tolerance``), ``unknown-method``.
    """
    if not isinstance(initial_guess, tuple | Array | range):
        message = f"initial_guess must be a list or array of numbers, got {kind(initial_guess)}"
        raise Problem("bad-argument", message)
    point = tuple(float(fo.number(x)) for x in fo.sequence(initial_guess))
    if len(point) != num_params:
        message = f"initial_guess has {len(point)} values; the ansatz has {num_params} parameters"
        raise Problem("bad-argument", message, "use one value per parameter (ansatz.num_params)")
    if not all(math.isfinite(x) for x in point):
        raise Problem("bad-argument", "initial_guess values must be finite")
    name = method.lower() if isinstance(method, str) else None
    if name not in METHODS:
        message = f"unknown optimisation method {method!r}"
        raise Problem("unknown-method", message, f"use one of {', '.join(METHODS)}")
    if not fo.is_int(max_iter) or not 1 <= max_iter <= MAX_ITER:
        message = f"max_iter must be an integer in 1..{MAX_ITER}, got {max_iter!r}"
        raise Problem("bad-argument", message)
    if tolerance is not None and not (
        fo.is_number(tolerance) and math.isfinite(tolerance) and tolerance > 0
    ):
        message = f"tolerance must be None or a positive number, got {tolerance!r}"
        raise Problem("bad-argument", message)
    tol = None if tolerance is None else float(tolerance)
    return OptimizerSpec(name, int(max_iter), tol, point, seed if name == "spsa" else None)


def json_constant(value: Any) -> Any:
    """A compile-time constant as JSON (arrays and tuples → lists).

    Raises:
        Problem: ``unsupported-return`` for anything else.
    """
    if value is None or isinstance(value, bool | str):
        return value
    if fo.is_number(value):
        return value
    if isinstance(value, Array):
        return list(value.values)
    if isinstance(value, tuple | range):
        return [json_constant(v) for v in value]
    message = f"a program can return result fields and constants, not {kind(value)}"
    raise Problem("unsupported-return", message, "return result.<field> or a number/string/list")


def return_entry(value: Any) -> dict[str, Any]:
    """One ``returns`` entry of a plan: ``{"result": field}`` or ``{"value": constant}``."""
    if isinstance(value, ResultField | TrainingField):
        return {"result": value.field}
    if isinstance(value, TrainingResultValue):
        message = "return a field of the result (result.test_accuracy, ...), not the result"
        raise Problem("unsupported-return", message)
    if isinstance(value, MinimizeResult):
        message = "return a field of the result (result.optimal_value, ...), not the result"
        raise Problem("unsupported-return", message)
    return {"value": json_constant(value)}
