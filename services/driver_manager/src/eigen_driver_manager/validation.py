"""Request validation of the driver-manager: every field problem reported at once.

Pure checks on domain requests (:mod:`eigen_driver_manager.requests`); large payloads and
observables are checked off the event loop through the ``offload`` callable.
"""

from __future__ import annotations

import math
import re
from collections.abc import Awaitable, Callable, Mapping, Sequence
from functools import partial
from typing import Any, TypeVar

from eigen_common.errors import FieldViolation, UnimplementedError, ValidationError
from eigen_driver_manager.base import BaseDriver, EstimateOutcome, ExecutionResult, SaveState
from eigen_driver_manager.requests import (
    MAX_BINDINGS,
    MAX_TERMS,
    EstimationRequest,
    ExecutionRequest,
    PayloadFormat,
    TranspileRequest,
)
from eigen_ir.aqo import AqoError, Circuit, parse

T = TypeVar("T")
Offload = Callable[[Callable[[], Any]], Awaitable[Any]]

#: Payloads up to this size (bytes) are parsed on the event loop (tens of µs); larger ones in
#: the worker pool.
_PARSE_INLINE_BYTES = 32 * 1024
#: At most this many violations are listed per repeated field (the rest are counted).
_MAX_LISTED = 20
_PAULI_LABEL = re.compile(r"[IXYZ]+")
#: Observables up to this many terms are checked on the event loop, larger ones in the pool.
_CHECK_INLINE_TERMS = 4096


class RequestValidator:
    """Checks requests against the service limits.

    Args:
        max_shots: upper bound for ``shots``.
        offload: runs a blocking function off the event loop and returns its value.
    """

    def __init__(self, max_shots: int, offload: Offload):
        self._max_shots = max_shots
        self._offload = offload

    async def execution(self, req: ExecutionRequest) -> Circuit:
        """Check every field of an ExecuteCircuit request; return the parsed circuit.

        Raises:
            ValidationError: every field problem at once.
            UnimplementedError: a payload format other than AQO JSON.
        """
        violations: list[FieldViolation] = []
        if not req.device_id:
            violations.append(FieldViolation("device_id", "must not be empty"))
        if not 1 <= req.shots <= self._max_shots:
            violations.append(FieldViolation("shots", f"must be in 1..{self._max_shots}"))
        for k, v in sorted(req.parameter_values.items()):
            if not math.isfinite(v):
                violations.append(FieldViolation(f"parameter_values.{k}", "must be finite"))
        circuit = await self.parse_payload(req.payload_format, req.payload, violations)
        if req.save_state and req.save_state not in {s.value for s in SaveState}:
            violations.append(
                FieldViolation(
                    "save_state", f"must be one of {', '.join(s.value for s in SaveState)} or empty"
                )
            )
        if req.bindings:
            if req.parameter_values:
                violations.append(FieldViolation("bindings", "exclusive with parameter_values"))
            if req.save_state:
                violations.append(FieldViolation("save_state", "cannot be combined with bindings"))
            violations.extend(binding_violations(req.bindings, circuit))
        if violations:
            raise ValidationError(violations)
        return _require_circuit(circuit, req.payload_format)

    async def estimation(self, req: EstimationRequest) -> Circuit:
        """Check every field of an EstimateExpectationValues request; return the circuit.

        Raises:
            ValidationError: every field problem at once.
            UnimplementedError: a payload format other than AQO JSON.
        """
        violations: list[FieldViolation] = []
        if not req.device_id:
            violations.append(FieldViolation("device_id", "must not be empty"))
        if req.shots is not None and not 1 <= req.shots <= self._max_shots:
            violations.append(
                FieldViolation("shots", f"must be in 1..{self._max_shots} or unset (exact)")
            )
        if req.seed is not None and req.seed < 0:
            violations.append(FieldViolation("seed", "must be >= 0"))
        circuit = await self.parse_payload(req.payload_format, req.payload, violations)
        if circuit is not None and (
            circuit.clbits or any(o.op == "MEASURE" for o in circuit.operations)
        ):
            violations.append(
                FieldViolation(
                    "payload.data",
                    "must not measure or have classical bits (estimation adds its own "
                    "measurements)",
                )
            )
        if len(req.observable) <= _CHECK_INLINE_TERMS:
            violations.extend(observable_violations(req.observable, circuit))
        else:  # up to 100,000 labels: keep the event loop free
            violations.extend(
                await self._offload(partial(observable_violations, req.observable, circuit))
            )
        violations.extend(binding_violations(req.bindings, circuit))
        if violations:
            raise ValidationError(violations)
        return _require_circuit(circuit, req.payload_format)

    async def transpilation(self, req: TranspileRequest) -> Circuit:
        """Check every field of a TranspileCircuit request; return the parsed circuit.

        Raises:
            ValidationError: every field problem at once.
            UnimplementedError: a payload format other than AQO JSON.
        """
        violations: list[FieldViolation] = []
        if not req.device_id:
            violations.append(FieldViolation("device_id", "must not be empty"))
        circuit = await self.parse_payload(req.payload_format, req.payload, violations)
        if violations:
            raise ValidationError(violations)
        return _require_circuit(circuit, req.payload_format)

    async def parse_payload(
        self, fmt: PayloadFormat, payload: bytes, violations: list[FieldViolation]
    ) -> Circuit | None:
        """Parse an AQO JSON payload; append problems to ``violations``.

        Returns None when the payload is invalid or in another format.
        """
        if fmt is PayloadFormat.UNSPECIFIED:
            violations.append(FieldViolation("payload.format", "must be set (FORMAT_AQO_JSON)"))
        elif not payload:
            violations.append(FieldViolation("payload.data", "must not be empty"))
        elif fmt is PayloadFormat.AQO_JSON:
            try:
                if len(payload) <= _PARSE_INLINE_BYTES:
                    return parse(payload)
                # a big document takes long to parse: keep the event loop free
                circuit: Circuit = await self._offload(partial(parse, payload))
                return circuit
            except AqoError as exc:
                violations.extend(
                    FieldViolation(f"payload.data.{p}" if p != "$" else "payload.data", d)
                    for p, d in exc.violations
                )
        return None


def _require_circuit(circuit: Circuit | None, fmt: PayloadFormat) -> Circuit:
    if circuit is None:
        raise UnimplementedError(
            f"payload format {fmt.name} is not supported; send FORMAT_AQO_JSON",
            metadata={"format": fmt.name},
        )
    return circuit


def _capped(field_name: str, found: list[FieldViolation]) -> list[FieldViolation]:
    """The first :data:`_MAX_LISTED` violations, plus one that counts the rest."""
    if len(found) <= _MAX_LISTED:
        return found
    rest = len(found) - _MAX_LISTED
    return [*found[:_MAX_LISTED], FieldViolation(field_name, f"{rest} more problem(s) not listed")]


def observable_violations(
    observable: Sequence[tuple[str, float]], circuit: Circuit | None
) -> list[FieldViolation]:
    """Check term count, labels (``IXYZ``, one per qubit when the circuit parsed), coefficients."""
    if not 1 <= len(observable) <= MAX_TERMS:
        return [FieldViolation("observable", f"must have 1..{MAX_TERMS} terms")]
    width = circuit.qubits if circuit is not None else None
    found: list[FieldViolation] = []
    for i, (label, coeff) in enumerate(observable):
        if not _PAULI_LABEL.fullmatch(label):
            found.append(FieldViolation(f"observable[{i}].label", "must be non-empty over IXYZ"))
        elif width is not None and len(label) != width:
            found.append(
                FieldViolation(
                    f"observable[{i}].label",
                    f"has {len(label)} characters; the circuit has {width} qubits",
                )
            )
        if not math.isfinite(coeff):
            found.append(FieldViolation(f"observable[{i}].coefficient", "must be finite"))
    return _capped("observable", found)


def binding_violations(
    bindings: Sequence[Mapping[str, float]], circuit: Circuit | None
) -> list[FieldViolation]:
    """Check binding count, that each binds exactly the circuit's parameters, finite values."""
    if not 1 <= len(bindings) <= MAX_BINDINGS:
        return [FieldViolation("bindings", f"must have 1..{MAX_BINDINGS} entries")]
    params = set(circuit.parameters) if circuit is not None else None
    found: list[FieldViolation] = []
    for i, values in enumerate(bindings):
        if params is not None:
            missing = sorted(params - set(values))
            unknown = sorted(set(values) - params)
            if missing:
                found.append(
                    FieldViolation(f"bindings[{i}].values", f"missing {', '.join(missing)}")
                )
            if unknown:
                found.append(
                    FieldViolation(
                        f"bindings[{i}].values",
                        f"unknown parameter(s) {', '.join(unknown)}; the circuit has "
                        f"{', '.join(sorted(params)) or 'none'}",
                    )
                )
        for name, value in sorted(values.items()):
            if not math.isfinite(value):
                found.append(FieldViolation(f"bindings[{i}].values.{name}", "must be finite"))
    return _capped("bindings", found)


def check_outcome(driver: BaseDriver, n: int, out: EstimateOutcome) -> None:
    """Enforce the estimate contract; a violation is a driver bug (→ INTERNAL)."""
    ok = (
        len(out.values) == n
        and len(out.std_errors) == n
        and all(math.isfinite(v) for v in out.values)
        and all(math.isfinite(e) and e >= 0 for e in out.std_errors)
    )
    if not ok:
        raise RuntimeError(f"driver {driver.name!r} broke the estimate contract ({n} bindings)")


def require_device_id(device_id: str) -> None:
    """Raise ValidationError for an empty ``device_id``."""
    if not device_id:
        raise ValidationError([FieldViolation("device_id", "must not be empty")])


def check_result(driver: BaseDriver, circuit: Circuit, shots: int, res: ExecutionResult) -> None:
    """Enforce the result contract; a violation is a driver bug (→ INTERNAL)."""
    width = circuit.clbits
    if width == 0:
        ok = not res.counts
    else:
        ok = (
            all(len(k) == width and not k.strip("01") for k in res.counts)
            and all(isinstance(v, int) and v >= 0 for v in res.counts.values())
            and sum(res.counts.values()) == shots
        )
    if not ok:
        raise RuntimeError(
            f"driver {driver.name!r} broke the result contract (width {width}, shots {shots})"
        )


def check_sweep(
    driver: BaseDriver, circuit: Circuit, shots: int, rows: int, res: ExecutionResult
) -> None:
    """Enforce the sweep contract: one valid counts mapping per binding (else INTERNAL)."""
    if len(res.sweep_counts) != rows:
        raise RuntimeError(
            f"driver {driver.name!r} broke the sweep contract ({rows} bindings, "
            f"{len(res.sweep_counts)} results)"
        )
    for row in res.sweep_counts:
        check_result(driver, circuit, shots, ExecutionResult(row, 0.0))
