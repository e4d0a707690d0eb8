"""AQO v0.1: the JSON circuit IR between compiler and driver-manager (SPEC §5; RFC 0005).

An AQO document is a JSON object::

    {"version": "0.1", "qubits": 2, "clbits": 2, "parameters": ["theta"],
     "operations": [{"op": "RY", "q": [0], "params": ["theta"]},
                    {"op": "CX", "q": [0, 1]},
                    {"op": "MEASURE", "q": [0, 1], "c": [0, 1]}],
     "metadata": {...}}

- ``ECR`` (extension, docs/aqo.md) is Qiskit's ``ECRGate``: ``q[0]`` the control, ``q[1]`` the
  target; it appears in ISA circuits of ECR devices, never in compiler output.
- ``params`` is an ordered list; each entry is a number (radians) or the name of a symbolic
  parameter listed in ``parameters`` (sorted). ``U`` takes ``[theta, phi, lambda]``.
- ``cond`` (extension recorded in docs/aqo.md) makes an operation classically conditioned, as in
  OpenQASM 2 ``if (creg == value)``: ``{"c": [clbit, ...], "value": int}`` where ``c`` lists the
  register's clbits least-significant first; with ``"cmp": "!="`` the operation applies when
  the clbits do *not* hold ``value``. The condition is read once, when the operation starts.
- A param may also be an affine expression of symbolic parameters (extension, docs/aqo.md):
  ``{"terms": {"a": 2.0}, "offset": 0.1}`` is ``2.0*a + 0.1``.
- Bit order: clbit 0 is the rightmost character of a counts bitstring (Qiskit's order).

This module is pure Python (no Qiskit); see :mod:`eigen_ir.aqo_qiskit` for conversion.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeGuard

AQO_VERSION = "0.1"


@dataclass(frozen=True)
class GateSpec:
    """Arity of an AQO operation: ``num_qubits`` (0 = any ≥ 1) and ``num_params``."""

    num_qubits: int
    num_params: int


#: Every operation AQO v0.1 speaks, with its arity (SPEC §5; ``ECR``: docs/aqo.md).
GATES: dict[str, GateSpec] = {
    "H": GateSpec(1, 0),
    "X": GateSpec(1, 0),
    "Y": GateSpec(1, 0),
    "Z": GateSpec(1, 0),
    "S": GateSpec(1, 0),
    "SDG": GateSpec(1, 0),
    "T": GateSpec(1, 0),
    "TDG": GateSpec(1, 0),
    "SX": GateSpec(1, 0),
    "RX": GateSpec(1, 1),
    "RY": GateSpec(1, 1),
    "RZ": GateSpec(1, 1),
    "P": GateSpec(1, 1),
    "U": GateSpec(1, 3),
    "CX": GateSpec(2, 0),
    "CY": GateSpec(2, 0),
    "CZ": GateSpec(2, 0),
    "CH": GateSpec(2, 0),
    "SWAP": GateSpec(2, 0),
    "CRX": GateSpec(2, 1),
    "CRY": GateSpec(2, 1),
    "CRZ": GateSpec(2, 1),
    "CP": GateSpec(2, 1),
    "RXX": GateSpec(2, 1),
    "RYY": GateSpec(2, 1),
    "RZZ": GateSpec(2, 1),
    "ECR": GateSpec(2, 0),
    "CCX": GateSpec(3, 0),
    "CSWAP": GateSpec(3, 0),
    "MEASURE": GateSpec(0, 0),
    "RESET": GateSpec(0, 0),
    "BARRIER": GateSpec(0, 0),
}

#: Gates AQO writes only for a device's ISA view (``ECR``, the two-qubit gate of IBM Eagle
#: devices), or that a document written by hand may use: no compiler output has them, since
#: Eigen-Lang has no such gate function and the compiler's basis
#: (:data:`eigen_ir.aqo_qiskit.BASIS_GATES`) leaves them out. Every driver still runs them.
ISA_ONLY_GATES: frozenset[str] = frozenset({"ECR"})

#: Default limits a parsed document must respect (callers may pass stricter ones).
MAX_QUBITS = 4096
MAX_OPERATIONS = 1_000_000


class AqoError(ValueError):
    """An AQO document is malformed.

    Attributes:
        violations: list of ``(path, description)`` pairs, e.g. ``("operations[3].q", "...")``.
    """

    def __init__(self, violations: list[tuple[str, str]]):
        self.violations = violations
        first = "; ".join(f"{p}: {d}" for p, d in violations[:5])
        more = f" (+{len(violations) - 5} more)" if len(violations) > 5 else ""
        super().__init__(f"invalid AQO: {first}{more}")


class ParamExpr(str):
    """An affine expression of symbolic parameters: ``offset + sum(coefficient * name)``.

    JSON: ``{"terms": {"a": 2.0}, "offset": 0.1}``. It is a ``str`` (its text, e.g.
    ``"2.0*a + 0.1"``) so that code which treats every string param as "symbolic, bind first"
    keeps doing so; equality and hashing use the terms and offset, not the text.

    Attributes:
        terms: ``(name, coefficient)`` pairs sorted by name, coefficients finite and non-zero.
        offset: the constant part (radians).
    """

    terms: tuple[tuple[str, float | int], ...]
    offset: float | int

    def __new__(
        cls, terms: Iterable[tuple[str, float | int]], offset: float | int = 0
    ) -> ParamExpr:
        """Build the expression from ``(name, coefficient)`` pairs and an ``offset``."""
        ordered = tuple(sorted(terms))
        text = " + ".join(f"{c!r}*{n}" for n, c in ordered) + f" + {offset!r}"
        obj = super().__new__(cls, text)
        obj.terms = ordered
        obj.offset = offset
        return obj

    def __eq__(self, other: object) -> bool:
        if isinstance(other, ParamExpr):
            return self.terms == other.terms and self.offset == other.offset
        return False

    def __ne__(self, other: object) -> bool:
        return not self == other

    def __hash__(self) -> int:
        return hash((self.terms, self.offset))

    def __reduce__(self) -> tuple[Any, ...]:
        return (ParamExpr, (self.terms, self.offset))

    @property
    def names(self) -> tuple[str, ...]:
        """The parameter names the expression reads, sorted."""
        return tuple(n for n, _ in self.terms)

    def to_json(self) -> dict[str, Any]:
        """The JSON object of the expression."""
        return {"terms": dict(self.terms), "offset": self.offset}


def affine(terms: Iterable[tuple[str, float | int]], offset: float | int = 0) -> Param:
    """The canonical param of ``offset + sum(c * name)``.

    A number without terms, a plain name for ``1 * name + 0``, else a :class:`ParamExpr`
    (repeated names summed, zero coefficients dropped).
    """
    merged: dict[str, float | int] = {}
    for name, coefficient in terms:
        merged[name] = merged.get(name, 0) + coefficient
    kept = [(n, c) for n, c in merged.items() if c != 0]
    if not kept:
        return offset
    if len(kept) == 1 and kept[0][1] == 1 and offset == 0:
        return kept[0][0]
    return ParamExpr(kept, offset)


Param = float | int | str
#: A condition: ``(clbits LSB first, value)`` (equal) or ``(clbits, value, "!=")``.
Cond = tuple[tuple[int, ...], int] | tuple[tuple[int, ...], int, str]
#: The comparisons a condition may make (``==`` is the default and is not written).
CMPS = ("==", "!=")


def cond_holds(cond: Cond, clbits: Sequence[int]) -> bool:
    """Whether ``cond`` holds when clbit ``i`` has value ``clbits[i]`` (0 or 1)."""
    value = sum(clbits[b] << k for k, b in enumerate(cond[0]))
    return (value == cond[1]) != (len(cond) == 3 and cond[2] == "!=")


@dataclass(frozen=True)
class Operation:
    """One AQO operation.

    ``q``: qubit indices; ``c``: clbit indices (MEASURE only, same length as ``q``);
    ``params``: numbers in radians, parameter names or :class:`ParamExpr`; ``cond``:
    ``(clbits LSB first, value)`` or ``(clbits, value, "!=")`` (see :data:`Cond`).
    """

    op: str
    q: tuple[int, ...]
    c: tuple[int, ...] = ()
    params: tuple[Param, ...] = ()
    cond: Cond | None = None

    def to_json(self) -> dict[str, Any]:
        """Return the JSON object of this operation (omits empty optional fields)."""
        out: dict[str, Any] = {"op": self.op, "q": list(self.q)}
        if self.c:
            out["c"] = list(self.c)
        if self.params:
            out["params"] = [p.to_json() if isinstance(p, ParamExpr) else p for p in self.params]
        if self.cond is not None:
            out["cond"] = {"c": list(self.cond[0]), "value": self.cond[1]}
            if len(self.cond) == 3 and self.cond[2] != "==":
                out["cond"]["cmp"] = self.cond[2]
        return out


@dataclass(frozen=True)
class Circuit:
    """A validated AQO v0.1 circuit.

    ``parameters`` are the sorted symbolic parameter names used by ``operations``.
    """

    qubits: int
    clbits: int
    operations: tuple[Operation, ...]
    parameters: tuple[str, ...] = ()
    metadata: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """Return the AQO JSON object (before canonical serialisation)."""
        out: dict[str, Any] = {
            "version": AQO_VERSION,
            "qubits": self.qubits,
            "clbits": self.clbits,
            "parameters": list(self.parameters),
            "operations": [o.to_json() for o in self.operations],
        }
        if self.metadata:
            out["metadata"] = self.metadata
        return out

    def canonical_bytes(self) -> bytes:
        """Canonical UTF-8 JSON of this circuit (SPEC §5); see :func:`canonical_json`."""
        return canonical_json(self.to_json())

    def sha256(self) -> str:
        """``aqo_sha256``: hex sha256 of :meth:`canonical_bytes`."""
        return hashlib.sha256(self.canonical_bytes()).hexdigest()


def canonical_json(obj: Any) -> bytes:
    """Serialise ``obj`` canonically: keys sorted at every level, compact, UTF-8, no NaN/Inf.

    Raises:
        ValueError: ``obj`` contains NaN or Infinity.
    """
    return json.dumps(
        obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode("utf-8")


def _is_int(v: Any) -> TypeGuard[int]:
    return isinstance(v, int) and not isinstance(v, bool)


def _int_list(
    v: Any, path: str, bound: int, errs: list[tuple[str, str]], what: str
) -> tuple[int, ...]:
    if not isinstance(v, list):
        errs.append((path, f"must be a list of {what} indices"))
        return ()
    out: list[int] = []
    for i, x in enumerate(v):
        if not _is_int(x) or not 0 <= x < bound:
            errs.append((f"{path}[{i}]", f"{what} index {x!r} out of range 0..{bound - 1}"))
        else:
            out.append(x)
    return tuple(out)


def _finite(v: Any) -> TypeGuard[float | int]:
    return isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)


def _param(p: Any, path: str, errs: list[tuple[str, str]]) -> Param | None:
    """One entry of ``params``: a finite number, a name, or an affine expression object."""
    if isinstance(p, str) and p:
        return p
    if _finite(p):
        return p
    if isinstance(p, dict):
        terms, offset = p.get("terms"), p.get("offset", 0)
        good = (
            set(p) <= {"terms", "offset"}
            and isinstance(terms, dict)
            and terms
            and all(isinstance(n, str) and n and _finite(c) and c != 0 for n, c in terms.items())
            and _finite(offset)
        )
        if good:
            assert isinstance(terms, dict) and _finite(offset)
            return ParamExpr(terms.items(), offset)
        errs.append(
            (
                path,
                'an expression must be {"terms": {name: non-zero number, ...}, "offset": number}',
            )
        )
        return None
    errs.append((path, "must be a finite number, a parameter name or an affine expression"))
    return None


def _cond(rc: Any, path: str, nc: int, errs: list[tuple[str, str]]) -> Cond | None:
    """The ``cond`` object ``{c, value, cmp?}`` of an operation."""
    if not isinstance(rc, dict):
        errs.append((path, "must be an object {c, value, cmp?}"))
        return None
    cbits = _int_list(rc.get("c"), f"{path}.c", nc, errs, "clbit")
    val = rc.get("value")
    cmp = rc.get("cmp", "==")
    if not cbits:
        errs.append((f"{path}.c", "must name at least one clbit"))
    if len(set(cbits)) != len(cbits):
        errs.append((f"{path}.c", "clbits must be distinct"))
    if cmp not in CMPS:
        errs.append((f"{path}.cmp", f"must be one of {', '.join(CMPS)}, got {cmp!r}"))
    extra = set(rc) - {"c", "value", "cmp"}
    if extra:
        errs.append((path, f"unknown field(s) {sorted(extra)}"))
    if not _is_int(val) or not 0 <= val < 2 ** max(len(cbits), 1):
        errs.append((f"{path}.value", "must be an integer that fits the clbits"))
        return None
    return (cbits, val) if cmp == "==" else (cbits, val, cmp)


def parse(
    data: bytes | str | dict[str, Any],
    *,
    max_qubits: int = MAX_QUBITS,
    max_operations: int = MAX_OPERATIONS,
) -> Circuit:
    """Parse and validate an AQO v0.1 document.

    Args:
        data: JSON bytes/str, or an already-decoded object.
        max_qubits: upper bound on ``qubits``.
        max_operations: upper bound on ``len(operations)``.

    Returns:
        The validated :class:`Circuit`.

    Raises:
        AqoError: with every violation found (path + description).
    """
    if isinstance(data, bytes | str):
        try:
            obj = json.loads(data)
        except (ValueError, RecursionError) as exc:
            raise AqoError([("$", f"not valid JSON: {exc}")]) from None
    else:
        obj = data
    errs: list[tuple[str, str]] = []
    if not isinstance(obj, dict):
        raise AqoError([("$", "must be a JSON object")])
    if obj.get("version") != AQO_VERSION:
        errs.append(("version", f'must be "{AQO_VERSION}", got {obj.get("version")!r}'))
    nq, nc = obj.get("qubits"), obj.get("clbits", 0)
    if not _is_int(nq) or not 0 <= nq <= max_qubits:
        errs.append(("qubits", f"must be an integer in 0..{max_qubits}"))
        nq = 0
    if not _is_int(nc) or not 0 <= nc <= max_qubits * 4:
        errs.append(("clbits", "must be a non-negative integer"))
        nc = 0
    declared = obj.get("parameters", [])
    if not isinstance(declared, list) or not all(isinstance(p, str) and p for p in declared):
        errs.append(("parameters", "must be a list of non-empty names"))
        declared = []
    elif declared != sorted(set(declared)):
        errs.append(("parameters", "must be sorted and unique"))
    raw_ops = obj.get("operations")
    if not isinstance(raw_ops, list):
        errs.append(("operations", "must be a list"))
        raw_ops = []
    elif len(raw_ops) > max_operations:
        raise AqoError(
            [("operations", f"{len(raw_ops)} operations exceed the limit {max_operations}")]
        )
    ops: list[Operation] = []
    used: set[str] = set()
    for i, raw in enumerate(raw_ops):
        path = f"operations[{i}]"
        if len(errs) > 100:
            break
        if not isinstance(raw, dict):
            errs.append((path, "must be an object"))
            continue
        name = raw.get("op")
        spec = GATES.get(name) if isinstance(name, str) else None
        if spec is None or not isinstance(name, str):
            errs.append((f"{path}.op", f"unknown operation {name!r}"))
            continue
        q = _int_list(raw.get("q"), f"{path}.q", nq, errs, "qubit")
        if spec.num_qubits and len(q) != spec.num_qubits:
            errs.append((f"{path}.q", f"{name} acts on {spec.num_qubits} qubit(s), got {len(q)}"))
        if not q:
            errs.append((f"{path}.q", "must name at least one qubit"))
        if len(set(q)) != len(q):
            errs.append((f"{path}.q", "qubits must be distinct"))
        c: tuple[int, ...] = ()
        if name == "MEASURE":
            c = _int_list(raw.get("c"), f"{path}.c", nc, errs, "clbit")
            if len(c) != len(q):
                errs.append((f"{path}.c", "MEASURE needs one clbit per qubit"))
        elif "c" in raw:
            errs.append((f"{path}.c", f"{name} takes no clbits"))
        params_raw = raw.get("params", [])
        params: list[Param] = []
        if not isinstance(params_raw, list) or len(params_raw) != spec.num_params:
            errs.append((f"{path}.params", f"{name} takes {spec.num_params} parameter(s)"))
        else:
            for j, p in enumerate(params_raw):
                value = _param(p, f"{path}.params[{j}]", errs)
                if value is not None:
                    params.append(value)
                    if isinstance(value, ParamExpr):
                        used.update(value.names)
                    elif isinstance(value, str):
                        used.add(value)
        cond = _cond(raw["cond"], f"{path}.cond", nc, errs) if "cond" in raw else None
        extra = set(raw) - {"op", "q", "c", "params", "cond"}
        if extra:
            errs.append((path, f"unknown field(s) {sorted(extra)}"))
        ops.append(Operation(name, q, c, tuple(params), cond))
    missing = used - set(declared)
    if missing:
        errs.append(("parameters", f"undeclared parameter(s) {sorted(missing)}"))
    meta = obj.get("metadata", {})
    if not isinstance(meta, dict):
        errs.append(("metadata", "must be an object"))
        meta = {}
    extra_top = set(obj) - {"version", "qubits", "clbits", "parameters", "operations", "metadata"}
    if extra_top:
        errs.append(("$", f"unknown field(s) {sorted(extra_top)}"))
    if errs:
        raise AqoError(errs)
    return Circuit(nq, nc, tuple(ops), tuple(declared), meta)


def bind(circuit: Circuit, values: dict[str, float]) -> Circuit:
    """Return ``circuit`` with symbolic parameters replaced by ``values`` (radians).

    Parameters absent from ``values`` stay symbolic.

    Raises:
        AqoError: a value is not finite.
    """
    bad = [(f"inputs.{k}", "must be finite") for k, v in values.items() if not math.isfinite(v)]
    if bad:
        raise AqoError(bad)
    ops = tuple(
        Operation(o.op, o.q, o.c, tuple(_bind_param(p, values) for p in o.params), o.cond)
        for o in circuit.operations
    )
    for i, o in enumerate(ops):
        for j, p in enumerate(o.params):
            if isinstance(p, float) and not math.isfinite(p):
                bad.append(
                    (f"operations[{i}].params[{j}]", "evaluates to a value that is not finite")
                )
    if bad:
        raise AqoError(bad)
    remaining = tuple(p for p in circuit.parameters if p not in values)
    return Circuit(circuit.qubits, circuit.clbits, ops, remaining, circuit.metadata)


def _bind_param(p: Param, values: dict[str, float]) -> Param:
    if isinstance(p, ParamExpr):
        offset = p.offset + math.fsum(c * values[n] for n, c in p.terms if n in values)
        return affine(((n, c) for n, c in p.terms if n not in values), float(offset))
    if isinstance(p, str):
        return values.get(p, p)
    return p
