"""Domain types of the compiler: limits, requests, results and diagnostic helpers (no gRPC)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from eigen_common.errors import CompilationFailedError, Diagnostic
from eigen_ir.aqo import Circuit
from eigen_ir.hybrid import HybridPlan

KIB = 1024
MIB = 1024 * KIB

EIGEN_LANG = "eigen-lang"
QASM2 = "qasm2"
QASM3 = "qasm3"
AQO = "aqo"


#: Bytes of a response besides the circuit (metadata, metrics, warnings) kept free under the
#: message limit when :attr:`Limits.max_result_bytes` is derived from it.
RESPONSE_OVERHEAD = 64 * KIB


@dataclass(frozen=True)
class Limits:
    """Resource limits of one compilation (SPEC §6, §11); all are inclusive upper bounds.

    ``max_qasm3_bytes`` is lower than ``max_qasm_bytes`` because the OpenQASM 3 parser
    (ANTLR, pure Python) needs about 1 s per 45 KiB of source; for the same reason
    ``max_qasm3_expanded_gates`` bounds the gate applications its importer performs when it
    expands custom gates (each costs ~0.1 ms and ~6 KB). ``max_result_bytes`` bounds the
    compiled AQO (plus the hybrid plan) so a response always fits the gRPC message limit.
    ``max_sequence_elements`` bounds the tuple and array elements an Eigen-Lang program builds
    at compile time, in total.
    """

    max_source_bytes: int = 256 * KIB
    max_qasm_bytes: int = 4 * MIB
    max_qasm3_bytes: int = 256 * KIB
    max_qubits: int = 1024
    max_operations: int = 1_000_000
    max_ast_nodes: int = 50_000
    max_nesting_depth: int = 100
    max_qasm3_expanded_gates: int = 50_000
    max_result_bytes: int = 16 * MIB - RESPONSE_OVERHEAD
    max_sequence_elements: int = 10_000_000

    @property
    def max_clbits(self) -> int:
        """Classical bits allowed (four per allowed qubit)."""
        return 4 * self.max_qubits

    @property
    def max_operands(self) -> int:
        """Qubit and clbit operands a circuit may have: each costs at least 2 bytes of AQO."""
        return self.max_result_bytes // 2


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

    def artifact(self) -> CompiledArtifact:
        """What a response carries of this result (no circuit objects: cheap to pickle)."""
        return CompiledArtifact(
            aqo_json=self.aqo_json,
            aqo_sha256=self.aqo_sha256,
            logical_qubits=self.logical_qubits,
            depth=self.depth,
            gate_count=self.gate_count,
            metrics=self.metrics,
            warnings=self.warnings,
            hybrid_plan_json=self.hybrid_plan_json,
        )


@dataclass(frozen=True)
class CompiledArtifact:
    """A compilation as the responses carry it: AQO bytes, statistics, metrics, warnings.

    This is what crosses the sandbox boundary (see :mod:`eigen_compiler.sandbox`); the fields
    mean the same as in :class:`CompileResult`.
    """

    aqo_json: bytes
    aqo_sha256: str
    logical_qubits: int
    depth: int
    gate_count: int
    metrics: dict[str, str]
    warnings: list[Diagnostic]
    hybrid_plan_json: bytes = b""


class Compiled(Protocol):
    """Read access to a compilation: a :class:`CompileResult` or a :class:`CompiledArtifact`."""

    @property
    def aqo_json(self) -> bytes:
        """Canonical AQO bytes."""
        ...

    @property
    def aqo_sha256(self) -> str:
        """SHA-256 of :attr:`aqo_json`."""
        ...

    @property
    def logical_qubits(self) -> int:
        """Qubits of the circuit."""
        ...

    @property
    def depth(self) -> int:
        """Circuit depth."""
        ...

    @property
    def gate_count(self) -> int:
        """Unitary gates."""
        ...

    @property
    def metrics(self) -> dict[str, str]:
        """Compilation metrics (strings)."""
        ...

    @property
    def warnings(self) -> list[Diagnostic]:
        """Non-fatal diagnostics."""
        ...

    @property
    def hybrid_plan_json(self) -> bytes:
        """Canonical hybrid plan bytes ('' for a plain circuit)."""
        ...


@dataclass(frozen=True)
class ValidationReport:
    """Outcome of ValidateCircuit: ``valid`` plus every finding; ``result`` when valid."""

    valid: bool
    diagnostics: list[Diagnostic]
    result: Compiled | None = None


class CompileObserver(Protocol):
    """Where a compiler reports its compilations (Prometheus in the service)."""

    def observe(self, language: str, seconds: float) -> None:
        """One compilation of ``language`` took ``seconds``."""
        ...

    def failed(self, rules: Iterable[str]) -> None:
        """One compilation failed with diagnostics of these ``rules``."""
        ...


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
