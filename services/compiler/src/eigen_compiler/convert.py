"""Conversions between ``eigen.compiler.v1`` messages and compiler domain types."""

from __future__ import annotations

from eigen.api.v1 import common_pb2, compilation_pb2
from eigen.common.v1 import circuit_pb2
from eigen.compiler.v1 import compiler_pb2
from eigen_common.errors import FieldViolation, UnsupportedFormatError, ValidationError
from eigen_common.status import diagnostic_to_proto
from eigen_compiler.model import (
    AqoSource,
    Compiled,
    CompileRequest,
    EigenLangSource,
    ProgramSource,
    QasmSource,
    ValidationReport,
)

AQO_JSON = circuit_pb2.CircuitPayload.FORMAT_AQO_JSON


def aqo_bytes(payload: circuit_pb2.CircuitPayload, field: str) -> bytes:
    """Return the AQO bytes of ``payload``.

    Raises:
        UnsupportedFormatError: the payload is not ``FORMAT_AQO_JSON``.
    """
    if payload.format != AQO_JSON:
        name = circuit_pb2.CircuitPayload.Format.Name(payload.format)
        raise UnsupportedFormatError(
            f"payload format {name} is not supported; send FORMAT_AQO_JSON",
            violations=[FieldViolation(f"{field}.format", "must be FORMAT_AQO_JSON")],
        )
    return payload.data


def _source(
    msg: compiler_pb2.CompileCircuitRequest | compiler_pb2.ValidateCircuitRequest,
) -> ProgramSource:
    which = msg.WhichOneof("source")
    if which == "eigen_lang":
        return EigenLangSource(msg.eigen_lang.source, msg.eigen_lang.entrypoint)
    if which == "qasm":
        return QasmSource(msg.qasm.source, msg.qasm.version)
    if which == "aqo":
        return AqoSource(aqo_bytes(msg.aqo, "aqo"))
    raise ValidationError([FieldViolation("source", "one of eigen_lang, qasm or aqo is required")])


def compile_request(msg: compiler_pb2.CompileCircuitRequest) -> CompileRequest:
    """Build the domain request of a CompileCircuit call.

    Raises:
        ValidationError: no source is set.
        UnsupportedFormatError: an AQO payload in another format.
    """
    return CompileRequest(
        source=_source(msg),
        target=msg.target,
        options=dict(msg.options),
        inputs=dict(msg.inputs),
        job_id=msg.job_id,
    )


def validate_request(msg: compiler_pb2.ValidateCircuitRequest) -> CompileRequest:
    """Build the domain request of a ValidateCircuit call.

    Raises:
        ValidationError / UnsupportedFormatError: as :func:`compile_request`.
    """
    return CompileRequest(source=_source(msg), target=msg.target, options=dict(msg.options))


def metadata(result: Compiled) -> compilation_pb2.CompilationMetadata:
    """``CompilationMetadata`` of a compiled circuit (warnings rendered as text)."""
    return compilation_pb2.CompilationMetadata(
        logical_qubits=result.logical_qubits,
        depth=result.depth,
        gate_count=result.gate_count,
        metrics=result.metrics,
        warnings=[str(w) for w in result.warnings],
        aqo_sha256=result.aqo_sha256,
    )


def payload(result: Compiled) -> circuit_pb2.CircuitPayload:
    """The canonical AQO JSON of ``result`` as a ``CircuitPayload``."""
    return circuit_pb2.CircuitPayload(format=AQO_JSON, data=result.aqo_json)


def compile_response(result: Compiled) -> compiler_pb2.CompileCircuitResponse:
    """Answer to CompileCircuit (``hybrid_plan_json`` stays empty for plain circuits)."""
    return compiler_pb2.CompileCircuitResponse(
        payload=payload(result),
        metadata=metadata(result),
        hybrid_plan_json=result.hybrid_plan_json,
    )


def optimize_response(result: Compiled) -> compiler_pb2.OptimizeCircuitResponse:
    """Answer to OptimizeCircuit."""
    return compiler_pb2.OptimizeCircuitResponse(payload=payload(result), metadata=metadata(result))


def validate_response(report: ValidationReport) -> compiler_pb2.ValidateCircuitResponse:
    """Answer to ValidateCircuit: ``valid``, every diagnostic, metadata when valid."""
    diagnostics: list[common_pb2.Diagnostic] = [diagnostic_to_proto(d) for d in report.diagnostics]
    out = compiler_pb2.ValidateCircuitResponse(valid=report.valid, diagnostics=diagnostics)
    if report.result is not None:
        out.metadata.CopyFrom(metadata(report.result))
    return out
