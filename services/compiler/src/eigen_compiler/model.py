"""Domain types of the compiler: limits, requests, results and diagnostic helpers (no gRPC)."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from eigen_common.errors import CompilationFailedError, Diagnostic
from eigen_ir.aqo import Circuit
from eigen_ir.hybrid import HybridPlan

KIB = 1024
MIB = 1024 * KIB

EIGEN_LANG = "eigen-lang"
QASM2 = "qasm2"
QASM3 = "qasm3"
AQO = "aqo"


@dataclass(frozen=True)
class Limits:
    """Resource limits of one compilation (SPEC §6); all are inclusive upper bounds.

    ``max_qasm3_bytes`` is lower than ``max_qasm_bytes`` because the OpenQASM 3 parser
    (ANTLR, pure Python) needs about 1 s per 45 KiB of source.
    """

    max_source_bytes: int = 256 * KIB
    max_qasm_bytes: int = 4 * MIB
    max_qasm3_bytes: int = 256 * KIB
    max_qubits: int = 1024
    max_operations: int = 1_000_000
    max_ast_nodes: int = 50_000
    max_nesting_depth: int = 100


@dataclass(frozen=True)
class EigenLangSource:
    """Eigen-Lang program text; ``entrypoint`` names the ``@hybrid_program`` ('' = the only one)."""

    source: str
    entrypoint: str = ""


@dataclass(frozen=True)
class QasmSource:
    """OpenQASM text; ``version`` is "2", "3" (also "2.0"/"3.0") or '' (from the header)."""

    source: str
    version: str = ""


@dataclass(frozen=True)
class AqoSource:
    """An AQO v0.1 JSON document to re-target."""

    data: bytes


ProgramSource = EigenLangSource | QasmSource | AqoSource


@dataclass(frozen=True)
class CompileRequest:
    """One compilation: program, target, string options and numeric parameter bindings."""

    source: ProgramSource
    target: str = ""
    options: Mapping[str, str] = field(default_factory=dict)
    inputs: Mapping[str, float] = field(default_factory=dict)
    job_id: str = ""


@dataclass(frozen=True)
class CompileResult:
    """A compiled circuit and its metrics.

    ``aqo_json`` is :meth:`Circuit.canonical_bytes` (deterministic); ``metrics`` values are
    strings (``clbits``, ``optimization_level``, ``language``, ``num_parameters``,
    ``compile_ms``, and ``program.*`` decorator values for Eigen-Lang); ``warnings`` are
    non-fatal diagnostics.

    Symbolic parameters: an Eigen-Lang program using ``Param`` compiles to a parametrised AQO
    (``metrics["parameters"]``: the names, comma-separated; the kernel binds them). A program
    calling ``minimize`` also has ``plan`` (its ``circuit`` is :attr:`circuit`) and
    ``hybrid_plan_json`` (:meth:`HybridPlan.canonical_bytes`), with the metrics ``hybrid``,
    ``plan_sha256``, ``optimizer``, ``parameters_count`` and ``observable_terms``.
    """

    circuit: Circuit
    aqo_json: bytes
    aqo_sha256: str
    logical_qubits: int
    depth: int
    gate_count: int
    metrics: dict[str, str]
    warnings: list[Diagnostic]
    plan: HybridPlan | None = None
    hybrid_plan_json: bytes = b""


@dataclass(frozen=True)
class ValidationReport:
    """Outcome of ValidateCircuit: ``valid`` plus every finding; ``result`` when valid."""

    valid: bool
    diagnostics: list[Diagnostic]
    result: CompileResult | None = None


def fail(diagnostics: Sequence[Diagnostic], what: str = "program") -> CompilationFailedError:
    """Build the :class:`CompilationFailedError` for ``diagnostics``.

    Errors are sorted by position; findings without a line come last.
    """
    errors = sorted(
        (d for d in diagnostics if d.severity == "error"),
        key=lambda d: (d.line == 0, d.line, d.column),
    )
    shown = errors or list(diagnostics)
    more = f" (+{len(shown) - 1} more)" if len(shown) > 1 else ""
    return CompilationFailedError(
        f"{what} does not compile: {shown[0]}{more}", diagnostics=list(shown)
    )


_NEWLINE = re.compile(r"\r\n|\r|\n")


def source_lines(source: str) -> list[str]:
    """Split ``source`` into lines the way Python and OpenQASM count them (LF, CRLF, CR)."""
    return _NEWLINE.split(source)
