"""OpenQASM 2 / 3 → Qiskit ``QuantumCircuit`` (SPEC §5), every size checked before the work.

The version comes from the request or, when empty, from the ``OPENQASM x[.y];`` header
(:mod:`.version`). :mod:`.prescan` bounds every size the parsers would allocate before they
run; parsing and its diagnostics are in :mod:`.parse`; :mod:`.owngates` makes a program's own
gates with standard names compile by their bodies; :mod:`.size` checks the parsed circuit
(qubits, clbits, expanded operations, finite angles, operands) before it is transpiled.
Diagnostic lines and columns are 1-based.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from qiskit.circuit import QuantumCircuit

from eigen_common.errors import CompilationFailedError, Diagnostic
from eigen_compiler.frontends.qasm.owngates import PREFIX, honour_definitions, unmangle
from eigen_compiler.frontends.qasm.parse import parse2, parse3
from eigen_compiler.frontends.qasm.prescan import check_sizes
from eigen_compiler.frontends.qasm.size import check_circuit, check_expanded_size
from eigen_compiler.frontends.qasm.version import (
    COMMENTS,
    guess_version,
    header_version,
    normalise_version,
)
from eigen_compiler.model import Limits, fail

__all__ = [
    "LoadedQasm",
    "check_expanded_size",
    "guess_version",
    "header_version",
    "load_qasm",
    "normalise_version",
]


@dataclass
class LoadedQasm:
    """A parsed OpenQASM program: the circuit and its major ``version`` ("2" or "3")."""

    circuit: QuantumCircuit
    version: str
    warnings: list[Diagnostic] = field(default_factory=list)


def load_qasm(source: str, version: str = "", limits: Limits | None = None) -> LoadedQasm:
    """Parse OpenQASM ``source`` into a Qiskit circuit.

    Args:
        source: program text.
        version: "2", "3" (also "2.0"/"3.0") or '' to use the header.
        limits: byte, qubit and operation limits.

    Returns:
        The circuit (custom gates not yet expanded) and the version used.

    Raises:
        UnsupportedFormatError: ``version`` is not 2 or 3.
        CompilationFailedError: rules ``source-too-large``, ``empty-source``,
            ``unsupported-version``, ``qasm-version-mismatch``, ``qasm-syntax``,
            ``qasm3-unsupported``, ``too-deep``, ``non-constant-size``, ``too-many-qubits``,
            ``too-many-clbits``, ``too-many-operations``, ``too-complex``, ``numeric-error``,
            ``result-too-large`` (sizes are bounded before parsing, see :mod:`.prescan`).
    """
    lim = limits or Limits()
    requested = normalise_version(version)
    size = len(source.encode("utf-8"))
    if size > lim.max_qasm_bytes:
        raise fail([_too_large(size, lim.max_qasm_bytes)])
    if not COMMENTS.sub("", source).strip():
        raise fail([Diagnostic("empty-source", "the OpenQASM program is empty")])
    header = header_version(source)
    if header is not None and header[0] not in ("2", "3"):
        raise fail(
            [
                Diagnostic(
                    "unsupported-version",
                    f"OpenQASM {header[0]} is not supported",
                    header[1],
                    1,
                    "use OpenQASM 2.0 or 3",
                )
            ]
        )
    if header is not None and requested and header[0] != requested:
        raise fail(
            [
                Diagnostic(
                    "qasm-version-mismatch",
                    f"the request says OpenQASM {requested} but the header says "
                    f"OpenQASM {header[0]}",
                    header[1],
                    1,
                    "leave the version empty to use the header",
                )
            ]
        )
    major = requested or (header[0] if header else guess_version(source))
    if major == "3" and size > lim.max_qasm3_bytes:
        raise fail([_too_large(size, lim.max_qasm3_bytes, qasm3_parser=True)])
    check_sizes(source, major, lim)
    notes: list[Diagnostic] = []
    try:
        if major == "2":
            circuit = parse2(source)
        else:
            circuit, notes = parse3(source, lim)
        circuit = honour_definitions(circuit, source)
        check_circuit(circuit, lim)
    except CompilationFailedError as exc:
        if not any(PREFIX in d.message + d.hint for d in exc.diagnostics):
            raise
        raise fail([_unmangled(d) for d in exc.diagnostics]) from None
    loaded = LoadedQasm(circuit, major, [_unmangled(d) for d in notes])
    if not circuit.data:
        message = "the program has no operations"
        loaded.warnings.append(Diagnostic("empty-program", message, severity="warning"))
    return loaded


def _unmangled(diagnostic: Diagnostic) -> Diagnostic:
    """``diagnostic`` naming a program's gate as the program does (see :mod:`.owngates`)."""
    message, hint = unmangle(diagnostic.message), unmangle(diagnostic.hint)
    return replace(diagnostic, message=message, hint=hint)


def _too_large(size: int, limit: int, *, qasm3_parser: bool = False) -> Diagnostic:
    what = "OpenQASM 3 programs are limited to" if qasm3_parser else "the limit is"
    return Diagnostic(
        "source-too-large",
        f"program is {size} bytes; {what} {limit} bytes",
        hint="split the circuit or use OpenQASM 2 for very large circuits",
    )
