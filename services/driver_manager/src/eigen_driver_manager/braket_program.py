"""AQO → OpenQASM 3 for Amazon Braket, and Braket's counts back to Eigen OS bit order.

Braket's gate names (``ctrl @`` for the controlled rotations and ``ch``; every AQO gate,
``ECR`` included, has one); Braket reports
counts per measured qubit, first character = first measured qubit, normalised here to our clbit
order (clbit 0 rightmost, unmeasured clbits 0, counts sum to shots). Measurements must be
terminal (no gate on a qubit after it is measured, each qubit measured once) and there is no
run-time classical control (AQO ``cond``, ``==`` or ``!=``: an OpenQASM 3 ``if``/``while`` on a
measurement) and no reset: anything else is INVALID_ARGUMENT ``UNSUPPORTED_INSTRUCTION`` naming
the feature. Parameters must be bound (an affine expression is bound like a name).
"""

from __future__ import annotations

from collections.abc import Mapping

from eigen_common.errors import InvalidArgumentError
from eigen_ir.aqo import Circuit

#: AQO op → Braket OpenQASM 3 gate (``ctrl @`` where Braket has no controlled gate of its own).
BRAKET_GATE = {
    "H": "h",
    "X": "x",
    "Y": "y",
    "Z": "z",
    "S": "s",
    "SDG": "si",
    "T": "t",
    "TDG": "ti",
    "SX": "v",
    "RX": "rx",
    "RY": "ry",
    "RZ": "rz",
    "P": "phaseshift",
    "U": "U",
    "CX": "cnot",
    "CY": "cy",
    "CZ": "cz",
    "CH": "ctrl @ h",
    "SWAP": "swap",
    "CRX": "ctrl @ rx",
    "CRY": "ctrl @ ry",
    "CRZ": "ctrl @ rz",
    "CP": "cphaseshift",
    "RXX": "xx",
    "RYY": "yy",
    "RZZ": "zz",
    # Braket's ecr is Qiskit's (same matrix once both are read in one qubit order; first
    # operand the control): checked on the local simulator against Aer in the tests
    "ECR": "ecr",
    "CCX": "ccnot",
    "CSWAP": "cswap",
}


def to_openqasm(circuit: Circuit) -> tuple[str, list[tuple[int, int]]]:
    """OpenQASM 3 for Braket from a bound AQO circuit.

    Returns:
        The program text and the measurements as ``(qubit, clbit)`` pairs in program order.

    Raises:
        InvalidArgumentError: ``UNSUPPORTED_INSTRUCTION`` (conditions, resets, non-terminal or
            repeated measurements, symbolic parameters or expressions left).
    """
    lines = ["OPENQASM 3.0;", f"qubit[{circuit.qubits}] q;"]
    if circuit.clbits:
        lines.append(f"bit[{circuit.clbits}] c;")
    measured: dict[int, int] = {}
    pairs: list[tuple[int, int]] = []
    for i, op in enumerate(circuit.operations):
        if op.cond is not None:
            test = "!=" if len(op.cond) == 3 and op.cond[2] == "!=" else "=="
            raise _unsupported(
                f"operations[{i}]: {op.op} conditioned on measured clbits {list(op.cond[0])} "
                f"{test} {op.cond[1]} (run-time classical control: an `if` or `while` on a "
                "measurement)"
            )
        if op.op == "RESET":
            raise _unsupported(f"operations[{i}]: RESET (a mid-circuit reset)")
        if op.op == "BARRIER":
            continue
        if op.op == "MEASURE":
            for q, c in zip(op.q, op.c, strict=True):
                if q in measured:
                    raise _unsupported(f"operations[{i}]: qubit {q} is measured twice")
                measured[q] = c
                pairs.append((q, c))
                lines.append(f"c[{c}] = measure q[{q}];")
            continue
        if any(q in measured for q in op.q):
            raise _unsupported(f"operations[{i}]: {op.op} after a measurement of its qubit")
        unbound = [p for p in op.params if isinstance(p, str)]
        if unbound:
            raise _unsupported(f"operations[{i}]: unbound parameter {unbound[0]!r}")
        args = f"({', '.join(repr(float(p)) for p in op.params)})" if op.params else ""
        qubits = ", ".join(f"q[{q}]" for q in op.q)
        lines.append(f"{BRAKET_GATE[op.op]}{args} {qubits};")
    return "\n".join(lines) + "\n", pairs


def normalise_counts(
    raw: Mapping[str, int], measured_qubits: list[int], pairs: list[tuple[int, int]], clbits: int
) -> dict[str, int]:
    """Braket counts (char k = ``measured_qubits[k]``) → ours (clbit 0 rightmost)."""
    position = {q: k for k, q in enumerate(measured_qubits)}
    out: dict[str, int] = {}
    for key, n in raw.items():
        bits = ["0"] * clbits
        for q, c in pairs:
            bits[clbits - 1 - c] = key[position[q]]
        s = "".join(bits)
        out[s] = out.get(s, 0) + int(n)
    return out


def _unsupported(detail: str) -> InvalidArgumentError:
    return InvalidArgumentError(
        f"Amazon Braket cannot run this circuit: {detail}", reason="UNSUPPORTED_INSTRUCTION"
    )
