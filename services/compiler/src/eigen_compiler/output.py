"""Checks of what a compilation produces: finite angles and a response that fits its message.

The AQO of a circuit is bounded twice: before optimisation by a floor that cannot shrink (every
barrier and measurement survives Qiskit's preset pass managers at each level, and their JSON is
at least as long as with the smallest indices), so a 63 KB program of ``barrier q;`` lines on
1,024 qubits is refused in milliseconds instead of after seconds of transpiling; and exactly,
after serialisation and before anything is sent.
"""

from __future__ import annotations

import math
from functools import cache

from qiskit.circuit import QuantumCircuit

from eigen_common.errors import Diagnostic
from eigen_compiler.model import Limits, fail
from eigen_ir import aqo

_BARRIER = len('{"op":"BARRIER","q":[]},')
_MEASURE = len('{"c":[0],"op":"MEASURE","q":[0]},')
_HINT = "split the circuit into smaller jobs"


@cache
def _digits_below(n: int) -> int:
    """Decimal digits of ``0, 1, ..., n - 1`` together (the shortest list of n distinct indices)."""
    total, width, start = 0, 1, 0
    while start < n:
        end = min(n, 10**width)
        total += (end - start) * width
        start, width = end, width + 1
    return total


def aqo_floor_bytes(circuit: QuantumCircuit) -> int:
    """A lower bound of the AQO bytes of ``circuit`` after any optimisation level.

    Counts only barriers and measurements (optimisation never removes them) with their
    shortest possible index lists.
    """
    floor = 0
    for inst in circuit.data:
        name = inst.operation.name
        if name == "barrier":
            n = len(inst.qubits)
            floor += _BARRIER + _digits_below(n) + max(n - 1, 0)
        elif name == "measure":
            floor += _MEASURE
    return floor


def check_floor(circuit: QuantumCircuit, limits: Limits) -> None:
    """Refuse a circuit whose AQO is certainly larger than ``limits.max_result_bytes``.

    Raises:
        CompilationFailedError: ``result-too-large``.
    """
    floor = aqo_floor_bytes(circuit)
    if floor > limits.max_result_bytes:
        message = (
            f"the compiled circuit would be more than {floor} bytes of AQO; responses are "
            f"limited to {limits.max_result_bytes} bytes"
        )
        raise fail([Diagnostic("result-too-large", message, hint=_HINT)])


def check_finite(circuit: aqo.Circuit) -> None:
    """Every numeric parameter of ``circuit`` is finite (AQO has no NaN or Infinity).

    Raises:
        CompilationFailedError: ``numeric-error`` naming the first offending operation.
    """
    for index, op in enumerate(circuit.operations):
        for value in op.params:
            if isinstance(value, float) and not math.isfinite(value):
                message = (
                    f"operation {index} ({op.op} on qubits {list(op.q)}) has a parameter that "
                    f"is not finite ({value})"
                )
                raise fail([Diagnostic("numeric-error", message, hint="use finite angles")])


def check_size(size: int, limits: Limits, what: str = "the compiled circuit") -> None:
    """Refuse a response body of ``size`` bytes beyond ``limits.max_result_bytes``.

    Raises:
        CompilationFailedError: ``result-too-large``.
    """
    if size > limits.max_result_bytes:
        message = (
            f"{what} is {size} bytes of AQO; responses are limited to "
            f"{limits.max_result_bytes} bytes"
        )
        raise fail([Diagnostic("result-too-large", message, hint=_HINT)])
