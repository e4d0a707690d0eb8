"""Request-level checks and parameter bindings shared by every source language.

Compiler ``options`` are an allowlist (unknown keys are warnings), job ``inputs`` must be finite
and bind symbolic parameters by name. An OpenQASM ``input`` left without a value stays a
symbolic AQO parameter (bound at execution); an AQO document's parameters must all be bound.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from qiskit.circuit import QuantumCircuit

from eigen_common.errors import Diagnostic, FieldViolation, InvalidOptionError, ValidationError
from eigen_compiler.model import Limits, fail
from eigen_ir import aqo
from eigen_ir.aqo_qiskit import to_qiskit

#: Compiler options understood in ``CompileRequest.options``; others produce a warning.
KNOWN_OPTIONS = ("optimization_level",)


def options(options: Mapping[str, str]) -> tuple[int | None, list[Diagnostic]]:
    """The requested optimisation level (``None``: not given) and unknown-option warnings.

    Raises:
        InvalidOptionError: ``optimization_level`` is not 0-3.
    """
    warnings = [
        Diagnostic(
            "unknown-option",
            f"compiler option {key!r} is not recognised and was "
            f"ignored (known: {', '.join(KNOWN_OPTIONS)})",
            severity="warning",
        )
        for key in sorted(options)
        if key not in KNOWN_OPTIONS
    ]
    raw = options.get("optimization_level")
    if raw is None or raw.strip() == "":
        return None, warnings
    if raw.strip() not in ("0", "1", "2", "3"):
        raise InvalidOptionError(
            f"options.optimization_level must be 0, 1, 2 or 3, got {raw!r}",
            violations=[FieldViolation("options.optimization_level", f"must be 0-3, got {raw!r}")],
        )
    return int(raw), warnings


def finite_inputs(inputs: Mapping[str, float]) -> dict[str, float]:
    """``inputs`` as a dict. Raises ``ValidationError`` for any value that is not finite."""
    bad = [
        FieldViolation(f"inputs.{k}", "must be a finite number")
        for k, v in sorted(inputs.items())
        if not math.isfinite(v)
    ]
    if bad:
        raise ValidationError(bad)
    return dict(inputs)


def parse_aqo(data: bytes, limits: Limits) -> aqo.Circuit:
    """Parse an AQO document within ``limits`` (``CompilationFailedError``: ``aqo-invalid``)."""
    try:
        return aqo.parse(data, max_qubits=limits.max_qubits, max_operations=limits.max_operations)
    except aqo.AqoError as exc:
        raise fail(
            [Diagnostic("aqo-invalid", f"{path}: {desc}") for path, desc in exc.violations],
            "AQO",
        ) from None


def bind_qiskit(
    qc: QuantumCircuit,
    inputs: Mapping[str, float],
    warnings: list[Diagnostic],
) -> QuantumCircuit:
    """Bind ``inputs`` to the circuit's parameters by name (OpenQASM ``input float``/``angle``).

    Inputs matching no parameter add an ``unused-input`` warning to ``warnings``. Parameters
    left without a value stay symbolic: the compiled AQO lists them in ``parameters`` and the
    job binds them at execution (its inputs, or a sweep's rows).
    """
    params = {p.name: p for p in qc.parameters}
    for name in sorted(set(inputs) - set(params)):
        warnings.append(
            Diagnostic("unused-input", f"input {name!r} matches no parameter", severity="warning")
        )
    binding = {params[k]: v for k, v in inputs.items() if k in params}
    return qc.assign_parameters(binding) if binding else qc


def bind_aqo(
    circuit: aqo.Circuit, inputs: Mapping[str, float], warnings: list[Diagnostic]
) -> QuantumCircuit:
    """Bind ``inputs`` to an AQO circuit's parameters and convert it to Qiskit.

    Raises:
        CompilationFailedError: ``unbound-parameter`` for each parameter left without a value.
    """
    for name in sorted(set(inputs) - set(circuit.parameters)):
        warnings.append(
            Diagnostic("unused-input", f"input {name!r} matches no parameter", severity="warning")
        )
    bound = aqo.bind(circuit, {k: v for k, v in inputs.items() if k in circuit.parameters})
    if bound.parameters:
        raise fail([unbound(n, 0, 0) for n in bound.parameters])
    return to_qiskit(bound)


def unbound(name: str, line: int, column: int) -> Diagnostic:
    """The ``unbound-parameter`` diagnostic of parameter ``name``."""
    return Diagnostic(
        "unbound-parameter",
        f"parameter {name!r} has no value",
        line,
        column,
        f"pass it in the job inputs: {name}: <number>",
    )
