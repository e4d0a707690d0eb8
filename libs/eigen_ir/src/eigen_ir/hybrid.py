"""Hybrid plan v0.1: a variational program as the compiler hands it to the kernel (SPEC §6-7).

A program whose ``@hybrid_program`` calls ``minimize(objective=<@cost_function>, ...)`` on an
``ExpectationValue(circuit_or_ansatz, observable, shots)`` compiles to one plan. The kernel runs
it as a loop (seed 003 §4.2, Pattern B): the optimiser proposes a point θ (in the order of
``parameters``), the driver-manager returns ⟨ψ(θ)|H|ψ(θ)⟩ for the bound ``circuit``, and the
optimiser stops on ``max_iter`` (objective evaluations) or ``tolerance``.

JSON shape (canonical like AQO: keys sorted, compact, UTF-8, no NaN)::

    {"version": "0.1",
     "circuit": <AQO v0.1, symbolic parameters, no measurements>,
     "parameters": ["theta[0]", "theta[1]", ...],      # optimiser vector order
     "observable": {"num_qubits": 2, "terms": [["IZ", 0.39], ...]},  # Qiskit label order
     "shots": null | int,                             # null = exact expectation values
     "optimizer": {"method": "cobyla", "max_iter": 150, "tolerance": 1e-05 | null,
                   "initial_point": [...], "seed": null | int},
     "returns": {"optimal_cost": {"result": "optimal_value"}, "qubits_used": {"value": 5}}}

``returns`` maps each key of the program's returned dict to a field of the optimisation
outcome (:data:`RESULT_FIELDS`) or to a JSON constant. Labels are Qiskit's: the rightmost
character acts on qubit 0; every label has ``num_qubits`` == ``circuit.qubits`` characters.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from eigen_ir import aqo

PLAN_VERSION = "0.1"
#: Optimisers a plan may name (SciPy's COBYLA, Nelder-Mead, Powell; SPSA per Spall 1998).
METHODS = ("cobyla", "nelder-mead", "powell", "spsa")
#: Fields of the optimisation outcome a ``returns`` entry may reference.
RESULT_FIELDS = ("optimal_value", "optimal_parameters", "success", "iterations")
#: Upper bounds that keep one plan cheap to validate and run.
MAX_TERMS = 100_000
MAX_PARAMETERS = 10_000
MAX_ITER = 100_000
MAX_SHOTS = 10_000_000
_LABEL = re.compile(r"^[IXYZ]+$")


class PlanError(ValueError):
    """A hybrid plan is malformed: ``violations`` lists ``(field path, message)`` pairs."""

    def __init__(self, violations: list[tuple[str, str]]):
        self.violations = violations
        super().__init__("; ".join(f"{p}: {m}" for p, m in violations[:10]))


@dataclass(frozen=True)
class OptimizerSpec:
    """How to minimise: method (:data:`METHODS`), evaluation budget, tolerance, start point.

    ``max_iter`` bounds objective evaluations (one evaluation = one iteration event);
    ``tolerance`` is SciPy's ``tol`` (``None`` = the method's default); ``seed`` seeds SPSA's
    perturbations (other methods are deterministic).
    """

    method: str
    max_iter: int
    tolerance: float | None
    initial_point: tuple[float, ...]
    seed: int | None = None


@dataclass(frozen=True)
class HybridPlan:
    """A validated hybrid plan (see the module docstring for the JSON form)."""

    circuit: aqo.Circuit
    parameters: tuple[str, ...]
    observable: tuple[tuple[str, float], ...]
    shots: int | None
    optimizer: OptimizerSpec
    returns: tuple[tuple[str, Mapping[str, Any]], ...] = ()

    @property
    def num_qubits(self) -> int:
        """Qubits of the circuit (and length of every Pauli label)."""
        return self.circuit.qubits

    def to_json(self) -> dict[str, Any]:
        """The plan as a JSON object (before canonical serialisation)."""
        opt = self.optimizer
        return {
            "version": PLAN_VERSION,
            "circuit": self.circuit.to_json(),
            "parameters": list(self.parameters),
            "observable": {
                "num_qubits": self.circuit.qubits,
                "terms": [[label, coeff] for label, coeff in self.observable],
            },
            "shots": self.shots,
            "optimizer": {
                "method": opt.method,
                "max_iter": opt.max_iter,
                "tolerance": opt.tolerance,
                "initial_point": list(opt.initial_point),
                "seed": opt.seed,
            },
            "returns": {k: dict(v) for k, v in self.returns},
        }

    def canonical_bytes(self) -> bytes:
        """Canonical UTF-8 JSON (keys sorted, compact), like AQO (SPEC §5)."""
        return aqo.canonical_json(self.to_json())

    def sha256(self) -> str:
        """Hex sha256 of :meth:`canonical_bytes`."""
        return hashlib.sha256(self.canonical_bytes()).hexdigest()


def _finite(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)


def _int_or_none(v: Any) -> bool:
    return v is None or (isinstance(v, int) and not isinstance(v, bool))


def parse_plan(data: bytes | str | Mapping[str, Any]) -> HybridPlan:
    """Parse and validate a hybrid plan.

    Raises:
        PlanError: every violation found, each with its field path (``circuit.*`` paths come
            from :func:`eigen_ir.aqo.parse`).
    """
    if isinstance(data, bytes | str):
        try:
            obj = json.loads(data)
        except (ValueError, RecursionError) as exc:
            raise PlanError([("$", f"not JSON: {exc}"[:200])]) from None
    else:
        obj = data
    if not isinstance(obj, Mapping):
        raise PlanError([("$", "must be a JSON object")])
    errs: list[tuple[str, str]] = []
    if obj.get("version") != PLAN_VERSION:
        errs.append(("version", f"must be {PLAN_VERSION!r}"))
    extra = set(obj) - {
        "version",
        "circuit",
        "parameters",
        "observable",
        "shots",
        "optimizer",
        "returns",
    }
    if extra:
        errs.append(("$", f"unknown field(s) {sorted(extra)}"))
    circuit: aqo.Circuit | None = None
    try:
        circuit = aqo.parse(obj.get("circuit"))  # type: ignore[arg-type]
    except aqo.AqoError as exc:
        errs.extend((f"circuit.{p}", m) for p, m in exc.violations)
    except (TypeError, ValueError) as exc:
        errs.append(("circuit", str(exc)[:200]))
    if circuit is not None and any(o.op == "MEASURE" for o in circuit.operations):
        errs.append(("circuit", "must not measure (the observable defines the measurement)"))

    params = obj.get("parameters")
    if not isinstance(params, list) or not all(isinstance(p, str) and p for p in params):
        errs.append(("parameters", "must be a list of parameter names"))
        params = []
    elif len(params) > MAX_PARAMETERS or len(set(params)) != len(params):
        errs.append(("parameters", f"must be unique and at most {MAX_PARAMETERS}"))
    elif circuit is not None and set(params) != set(circuit.parameters):
        errs.append(("parameters", "must name exactly the circuit's parameters"))

    terms: list[tuple[str, float]] = []
    ob = obj.get("observable")
    if not isinstance(ob, Mapping) or not isinstance(ob.get("terms"), list):
        errs.append(("observable", "must be {num_qubits, terms: [[label, coefficient], ...]}"))
    else:
        raw_terms = ob["terms"]
        if not raw_terms or len(raw_terms) > MAX_TERMS:
            errs.append(("observable.terms", f"must have 1..{MAX_TERMS} terms"))
        width = circuit.qubits if circuit is not None else None
        if ob.get("num_qubits") != width and width is not None:
            errs.append(("observable.num_qubits", f"must equal the circuit's qubits ({width})"))
        for i, t in enumerate(raw_terms[:MAX_TERMS]):
            ok = isinstance(t, list) and len(t) == 2 and isinstance(t[0], str)
            if not ok or not _LABEL.match(t[0]) or not _finite(t[1]):
                errs.append((f"observable.terms[{i}]", "must be [Pauli label, finite number]"))
            elif width is not None and len(t[0]) != width:
                errs.append((f"observable.terms[{i}]", f"label must have {width} characters"))
            else:
                terms.append((t[0], float(t[1])))

    shots = obj.get("shots")
    if shots is not None and not (_int_or_none(shots) and 1 <= shots <= MAX_SHOTS):
        errs.append(("shots", f"must be null (exact) or 1..{MAX_SHOTS}"))

    spec: OptimizerSpec | None = None
    o = obj.get("optimizer")
    if not isinstance(o, Mapping):
        errs.append(("optimizer", "must be an object"))
    else:
        n0 = len(errs)
        if o.get("method") not in METHODS:
            errs.append(("optimizer.method", f"must be one of {', '.join(METHODS)}"))
        mi = o.get("max_iter")
        if not (isinstance(mi, int) and not isinstance(mi, bool) and 1 <= mi <= MAX_ITER):
            errs.append(("optimizer.max_iter", f"must be an integer in 1..{MAX_ITER}"))
        tol = o.get("tolerance")
        if tol is not None and not (_finite(tol) and tol > 0):
            errs.append(("optimizer.tolerance", "must be null or a positive number"))
        x0 = o.get("initial_point")
        if not isinstance(x0, list) or not all(_finite(v) for v in x0):
            errs.append(("optimizer.initial_point", "must be a list of finite numbers"))
        elif len(x0) != len(params):
            errs.append(
                ("optimizer.initial_point", f"must have {len(params)} values (one per parameter)")
            )
        seed = o.get("seed")
        if not _int_or_none(seed) or (seed is not None and not 0 <= seed < 2**63):
            errs.append(("optimizer.seed", "must be null or an integer in 0..2^63-1"))
        if len(errs) == n0:
            assert isinstance(mi, int) and isinstance(x0, list)
            spec = OptimizerSpec(
                o["method"],
                mi,
                None if tol is None else float(tol),
                tuple(float(v) for v in x0),
                seed,
            )

    returns: list[tuple[str, Mapping[str, Any]]] = []
    r = obj.get("returns", {})
    if not isinstance(r, Mapping):
        errs.append(("returns", "must be an object"))
    else:
        for key, ref in sorted(r.items()):
            ok = isinstance(ref, Mapping) and len(ref) == 1
            if ok and "result" in ref and ref["result"] in RESULT_FIELDS:
                returns.append((key, {"result": ref["result"]}))
            elif ok and "value" in ref:
                returns.append((key, {"value": ref["value"]}))
            else:
                errs.append((f"returns.{key}", f"must be {{result: one of {RESULT_FIELDS}}}"))
    if errs or circuit is None or spec is None:
        raise PlanError(errs or [("$", "invalid plan")])
    return HybridPlan(circuit, tuple(params), tuple(terms), shots, spec, tuple(returns))


def render_returns(plan: HybridPlan, outcome: Mapping[str, Any]) -> dict[str, Any]:
    """The program's returned dict: ``plan.returns`` resolved against ``outcome``.

    Args:
        plan: the plan.
        outcome: the optimisation outcome keyed by :data:`RESULT_FIELDS`
            (``optimal_parameters`` as a list of floats in ``plan.parameters`` order).
    """
    out: dict[str, Any] = {}
    for key, ref in plan.returns:
        out[key] = outcome[ref["result"]] if "result" in ref else ref["value"]
    return out
