"""The compilation pipeline: frontend → parameter binding → optimisation → canonical AQO.

``Compiler.compile`` is deterministic: the same source, options, inputs and target give
byte-identical AQO (the AQO ``metadata`` holds no timings; ``compile_ms`` is only reported in
:attr:`CompileResult.metrics`). All methods block (Qiskit work); callers in an event loop run them
in a thread.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import replace
from importlib.metadata import PackageNotFoundError, version
from typing import Any

import qiskit
from qiskit.circuit import QuantumCircuit
from qiskit.exceptions import QiskitError

from eigen_common.errors import (
    CompilationFailedError,
    Diagnostic,
    FieldViolation,
    InvalidOptionError,
)
from eigen_compiler.frontends.eigen_lang import lower_program
from eigen_compiler.frontends.qasm import load_qasm
from eigen_compiler.model import (
    AQO,
    EIGEN_LANG,
    CompileObserver,
    CompileRequest,
    CompileResult,
    EigenLangSource,
    Limits,
    QasmSource,
    ValidationReport,
    fail,
)
from eigen_compiler.optimize import LEVELS, PassManagerCache
from eigen_compiler.output import check_finite, check_floor, check_size
from eigen_compiler.request import (
    bind_aqo,
    bind_qiskit,
    finite_inputs,
    parse_aqo,
    unbound,
)
from eigen_compiler.request import options as request_options
from eigen_ir import aqo
from eigen_ir.aqo_qiskit import from_qiskit, to_qiskit
from eigen_ir.hybrid import HybridPlan


def _compiler_id() -> str:
    try:
        own = version("eigen-compiler")
    except PackageNotFoundError:  # pragma: no cover - source checkout without metadata
        own = "0"
    return f"eigen-compiler {own} (qiskit {qiskit.__version__})"


def circuit_stats(circuit: aqo.Circuit) -> tuple[int, int]:
    """Return ``(depth, gate_count)`` of an AQO circuit.

    ``gate_count`` counts unitary gates (MEASURE, RESET and BARRIER excluded). ``depth`` is the
    longest chain over qubits and clbits (a MEASURE writes its clbits, a ``cond`` reads them);
    barriers do not add depth, as in Qiskit's ``QuantumCircuit.depth()``.
    """
    qlevel: dict[int, int] = {}
    clevel: dict[int, int] = {}
    depth = gates = 0
    for op in circuit.operations:
        name = op.op
        if name == "BARRIER":
            continue
        if name != "MEASURE" and name != "RESET":
            gates += 1
        clbits = op.c if op.cond is None else (*op.c, *op.cond[0])
        d = 0
        for q in op.q:
            d = max(d, qlevel.get(q, 0))
        for c in clbits:
            d = max(d, clevel.get(c, 0))
        d += 1
        for q in op.q:
            qlevel[q] = d
        for c in clbits:
            clevel[c] = d
        depth = max(depth, d)
    return depth, gates


class Compiler:
    """Compiles Eigen-Lang, OpenQASM 2/3 and AQO to canonical AQO.

    Args:
        limits: size limits applied to every program.
        pass_managers: the process-wide pass manager cache.
        metrics: where compilations are reported (``None`` = not recorded).
        default_level: optimisation level when neither options nor the program set one.
    """

    def __init__(
        self,
        limits: Limits,
        pass_managers: PassManagerCache,
        metrics: CompileObserver | None = None,
        default_level: int = 1,
    ) -> None:
        self.limits = limits
        self.pass_managers = pass_managers
        self.metrics = metrics
        self.default_level = default_level
        self._compiler_id = _compiler_id()

    # --- public API --------------------------------------------------------------------

    def compile(self, request: CompileRequest) -> CompileResult:
        """Compile ``request`` to canonical AQO.

        Raises:
            InvalidOptionError: ``optimization_level`` is not 0-3.
            ValidationError: an input value is not finite.
            UnsupportedFormatError: bad OpenQASM version.
            CompilationFailedError: the program does not compile (diagnostics attached).
        """
        return self._compile(request, record=True)

    def validate(self, request: CompileRequest) -> ValidationReport:
        """Compile ``request`` and report findings as data (errors as well as warnings).

        Raises:
            InvalidOptionError / ValidationError / UnsupportedFormatError: request-level faults.
        """
        try:
            result = self._compile(request, record=False)
        except CompilationFailedError as exc:
            return ValidationReport(False, list(exc.diagnostics))
        return ValidationReport(True, list(result.warnings), result)

    def optimize(self, data: bytes, level: int, target: str = "") -> CompileResult:
        """Re-optimise an AQO document at ``level`` (symbolic parameters are kept).

        Raises:
            InvalidOptionError: ``level`` is not 0-3.
            CompilationFailedError: the AQO is malformed (rule ``aqo-invalid``) or cannot be
                optimised into AQO (``unsupported-construct``).
        """
        if level not in LEVELS:
            raise InvalidOptionError(
                f"optimization_level must be 0, 1, 2 or 3, got {level}",
                violations=[FieldViolation("optimization_level", "must be 0, 1, 2 or 3")],
            )
        t0 = time.perf_counter()
        circuit = parse_aqo(data, self.limits)
        meta = self._metadata(AQO, level, target, data, {})
        return self._finish(to_qiskit(circuit), level, meta, AQO, t0, [], allow_parameters=True)

    # --- pipeline ----------------------------------------------------------------------

    def _compile(self, request: CompileRequest, *, record: bool) -> CompileResult:
        t0 = time.perf_counter()
        level_opt, warnings = request_options(request.options)
        inputs = finite_inputs(request.inputs)
        language = EIGEN_LANG
        try:
            src = request.source
            extra_meta: dict[str, Any] = {}
            program_metrics: dict[str, str] = {}
            lowered = None
            if isinstance(src, EigenLangSource):
                lowered = lower_program(
                    src.source, entrypoint=src.entrypoint, inputs=inputs, limits=self.limits
                )
                warnings += lowered.warnings
                program_metrics = {f"program.{k}": str(v) for k, v in lowered.options.items()}
                program_metrics["program.entrypoint"] = lowered.entrypoint
                extra_meta["entrypoint"] = lowered.entrypoint
                decorator_level = lowered.options.get("optimization_level")
                if level_opt is None and isinstance(decorator_level, int):
                    level_opt = decorator_level
                qc = to_qiskit(lowered.circuit)
                raw = src.source.encode("utf-8")
            elif isinstance(src, QasmSource):
                language = "qasm"
                loaded = load_qasm(src.source, src.version, self.limits)
                language = f"qasm{loaded.version}"
                warnings += loaded.warnings
                qc = bind_qiskit(loaded.circuit, inputs, warnings)
                raw = src.source.encode("utf-8")
            else:
                language = AQO
                qc = bind_aqo(parse_aqo(src.data, self.limits), inputs, warnings)
                raw = src.data
            level = self.default_level if level_opt is None else level_opt
            meta = self._metadata(language, level, request.target, raw, extra_meta)
            if lowered is not None and lowered.circuit.parameters:
                result = self._finish_parametrised(qc, level, meta, language, t0, warnings)
                if lowered.plan is not None:
                    result = _with_plan(result, lowered.plan, self.limits)
                else:
                    result.metrics["parameters"] = ",".join(result.circuit.parameters)
            elif isinstance(src, QasmSource) and qc.parameters:  # inputs bound at execution
                result = self._finish_parametrised(qc, level, meta, language, t0, warnings)
                result.metrics["parameters"] = ",".join(result.circuit.parameters)
            else:
                result = self._finish(qc, level, meta, language, t0, warnings)
        except CompilationFailedError as exc:
            if record and self.metrics is not None:
                self.metrics.observe(language, time.perf_counter() - t0)
                self.metrics.failed(d.rule for d in exc.diagnostics if d.severity == "error")
            raise
        result.metrics.update(program_metrics)
        if record and self.metrics is not None:
            self.metrics.observe(language, time.perf_counter() - t0)
        return result

    def _metadata(
        self, language: str, level: int, target: str, raw: bytes, extra: dict[str, Any]
    ) -> dict[str, Any]:
        return {
            "compiler": self._compiler_id,
            "language": language,
            "optimization_level": level,
            "source_sha256": hashlib.sha256(raw).hexdigest(),
            "target": target,
            **extra,
        }

    def _finish_parametrised(
        self,
        qc: QuantumCircuit,
        level: int,
        meta: dict[str, Any],
        language: str,
        t0: float,
        warnings: list[Diagnostic],
    ) -> CompileResult:
        """Optimise a circuit with symbolic parameters, keeping every parameter by name.

        Qiskit keeps ``Parameter`` objects, but an optimisation may merge rotations into
        expressions (``theta[0] + theta[1]``, not AQO) or drop a parameter; then the circuit is
        compiled at level 0 (translation only) instead, and the metric
        ``requested_optimization_level`` records the level that was asked for.
        """
        names = sorted(p.name for p in qc.parameters)
        if level > 0:
            try:
                result = self._finish(
                    qc, level, meta, language, t0, warnings, allow_parameters=True
                )
            except CompilationFailedError:
                result = None
            if result is not None and list(result.circuit.parameters) == names:
                return result
        meta = {**meta, "optimization_level": 0}
        result = self._finish(qc, 0, meta, language, t0, warnings, allow_parameters=True)
        if level > 0:
            result.metrics["requested_optimization_level"] = str(level)
        return result

    def _finish(
        self,
        qc: QuantumCircuit,
        level: int,
        meta: dict[str, Any],
        language: str,
        t0: float,
        warnings: list[Diagnostic],
        *,
        allow_parameters: bool = False,
    ) -> CompileResult:
        check_floor(qc, self.limits)
        try:
            optimised = self.pass_managers.run(qc, level)
        except QiskitError as exc:
            raise fail(
                [
                    Diagnostic(
                        "unsupported-construct",
                        f"cannot translate the circuit to the AQO gate set: {_first_line(exc)}",
                        hint="opaque gates and unsupported instructions cannot run",
                    )
                ]
            ) from None
        try:
            circuit = from_qiskit(optimised, meta)
        except aqo.AqoError as exc:
            raise fail(
                [Diagnostic("unsupported-construct", f"{desc}") for _, desc in exc.violations]
            ) from None
        if len(circuit.operations) > self.limits.max_operations:
            raise fail(
                [
                    Diagnostic(
                        "too-many-operations",
                        f"the compiled circuit has "
                        f"{len(circuit.operations)} operations; the limit is "
                        f"{self.limits.max_operations}",
                    )
                ]
            )
        if circuit.parameters and not allow_parameters:
            raise fail([unbound(n, 0, 0) for n in circuit.parameters])
        check_finite(circuit)
        data = circuit.canonical_bytes()
        check_size(len(data), self.limits)
        depth, gates = circuit_stats(circuit)
        elapsed_ms = (time.perf_counter() - t0) * 1000
        metrics = {
            "clbits": str(circuit.clbits),
            "optimization_level": str(level),
            "language": language,
            "num_parameters": str(len(circuit.parameters)),
            "compile_ms": f"{elapsed_ms:.3f}",
            "operations": str(len(circuit.operations)),
        }
        return CompileResult(
            circuit=circuit,
            aqo_json=data,
            aqo_sha256=hashlib.sha256(data).hexdigest(),
            logical_qubits=circuit.qubits,
            depth=depth,
            gate_count=gates,
            metrics=metrics,
            warnings=list(warnings),
        )


def _with_plan(result: CompileResult, lowered: HybridPlan, limits: Limits) -> CompileResult:
    """``result`` (the compiled ansatz) with the hybrid plan around it and plan metrics."""
    plan = replace(lowered, circuit=result.circuit)
    data = plan.canonical_bytes()
    check_size(len(result.aqo_json) + len(data), limits, "the circuit with its hybrid plan")
    metrics = {
        **result.metrics,
        "hybrid": "true",
        "plan_sha256": hashlib.sha256(data).hexdigest(),
        "optimizer": plan.optimizer.method,
        "parameters_count": str(len(plan.parameters)),
        "observable_terms": str(len(plan.observable)),
    }
    return replace(result, metrics=metrics, plan=plan, hybrid_plan_json=data)


def _first_line(exc: BaseException) -> str:
    msg = getattr(exc, "message", None)
    text = msg if isinstance(msg, str) else str(exc)
    return (text.strip().splitlines() or [""])[0][:300]
