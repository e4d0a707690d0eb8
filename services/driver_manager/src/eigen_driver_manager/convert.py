"""Domain ↔ protobuf conversions for ``eigen.driver.v1`` (the only module that knows both)."""

from __future__ import annotations

from eigen.common.v1 import circuit_pb2
from eigen.driver.v1 import driver_pb2
from eigen_common import device_proto
from eigen_common.device_proto import status_to_proto
from eigen_common.errors import EigenError
from eigen_common.status import to_status
from eigen_driver_manager.base import (
    CalibrationResult,
    DeviceStatusReport,
    EstimateOutcome,
    ExecutionProgress,
    ExecutionResult,
    StartedExecution,
)
from eigen_driver_manager.isa import Transpilation
from eigen_driver_manager.requests import (
    EstimationRequest,
    ExecutionRequest,
    PayloadFormat,
    TranspileRequest,
)

_FORMAT_FROM_PROTO: dict[int, PayloadFormat] = {
    circuit_pb2.CircuitPayload.FORMAT_UNSPECIFIED: PayloadFormat.UNSPECIFIED,
    circuit_pb2.CircuitPayload.FORMAT_AQO_JSON: PayloadFormat.AQO_JSON,
    circuit_pb2.CircuitPayload.FORMAT_AQO_PROTO: PayloadFormat.AQO_PROTO,
    circuit_pb2.CircuitPayload.FORMAT_QASM3_TEXT: PayloadFormat.QASM3_TEXT,
    circuit_pb2.CircuitPayload.FORMAT_BACKEND_NATIVE: PayloadFormat.BACKEND_NATIVE,
}


def status_report_to_proto(report: DeviceStatusReport) -> driver_pb2.GetDeviceStatusResponse:
    """Domain status report → ``GetDeviceStatusResponse``."""
    msg = driver_pb2.GetDeviceStatusResponse(
        device_id=report.device_id,
        status=status_to_proto(report.status),
        queue_depth=report.queue_depth,
        estimated_wait_sec=report.estimated_wait_sec,
        message=report.message,
    )
    if report.vendor_queue_length is not None:
        msg.vendor_queue_length = report.vendor_queue_length
    return msg


def execution_request_from_proto(req: driver_pb2.ExecuteCircuitRequest) -> ExecutionRequest:
    """``ExecuteCircuitRequest`` → domain request (an unknown format value → UNSPECIFIED)."""
    return ExecutionRequest(
        job_id=req.job_id,
        device_id=req.device_id,
        payload_format=_FORMAT_FROM_PROTO.get(req.payload.format, PayloadFormat.UNSPECIFIED),
        payload=bytes(req.payload.data),
        shots=req.shots,
        options=dict(req.options),
        seed=req.seed if req.HasField("seed") else None,
        parameter_values=dict(req.parameter_values),
        bindings=[dict(b.values) for b in req.bindings],
        save_state=req.save_state,
    )


def execution_result_to_proto(res: ExecutionResult) -> driver_pb2.ExecuteCircuitResponse:
    """Domain result → ``ExecuteCircuitResponse`` (sweep rows and saved state included)."""
    return driver_pb2.ExecuteCircuitResponse(
        counts=res.counts,
        execution_time_sec=res.execution_time_sec,
        metadata=res.metadata,
        sweep_results=[driver_pb2.SweepCounts(counts=row) for row in res.sweep_counts],
        saved_state=res.saved_state,
    )


def batch_to_proto(
    outcomes: list[ExecutionResult | EigenError],
) -> driver_pb2.ExecuteCircuitBatchResponse:
    """Per-item results or errors → ``ExecuteCircuitBatchResponse`` (errors as rpc Status)."""
    items = [
        driver_pb2.ExecuteCircuitBatchItem(error=to_status(o))
        if isinstance(o, EigenError)
        else driver_pb2.ExecuteCircuitBatchItem(result=execution_result_to_proto(o))
        for o in outcomes
    ]
    return driver_pb2.ExecuteCircuitBatchResponse(items=items)


def started_to_proto(started: StartedExecution) -> driver_pb2.StartExecutionResponse:
    """Domain handle → ``StartExecutionResponse``."""
    return driver_pb2.StartExecutionResponse(
        execution_id=started.execution_id, vendor_job_id=started.vendor_job_id
    )


def progress_to_proto(progress: ExecutionProgress) -> driver_pb2.AwaitExecutionResponse:
    """Domain progress → ``AwaitExecutionResponse``."""
    msg = driver_pb2.AwaitExecutionResponse(
        done=progress.done, vendor_status=progress.vendor_status
    )
    if progress.result is not None:
        msg.result.CopyFrom(execution_result_to_proto(progress.result))
    if progress.queue_position is not None:
        msg.vendor_queue_position = progress.queue_position
    return msg


def estimation_request_from_proto(
    req: driver_pb2.EstimateExpectationValuesRequest,
) -> EstimationRequest:
    """``EstimateExpectationValuesRequest`` → domain request (unset shots → None = exact)."""
    return EstimationRequest(
        job_id=req.job_id,
        device_id=req.device_id,
        payload_format=_FORMAT_FROM_PROTO.get(req.payload.format, PayloadFormat.UNSPECIFIED),
        payload=bytes(req.payload.data),
        observable=[(t.label, t.coefficient) for t in req.observable],
        bindings=[dict(b.values) for b in req.bindings],
        shots=req.shots if req.HasField("shots") else None,
        options=dict(req.options),
        seed=req.seed if req.HasField("seed") else None,
    )


def estimate_outcome_to_proto(
    out: EstimateOutcome,
) -> driver_pb2.EstimateExpectationValuesResponse:
    """Domain outcome → ``EstimateExpectationValuesResponse`` (values in binding order)."""
    return driver_pb2.EstimateExpectationValuesResponse(
        values=[
            driver_pb2.ExpectationValue(value=v, std_error=e)
            for v, e in zip(out.values, out.std_errors, strict=True)
        ],
        execution_time_sec=out.execution_time_sec,
        metadata=out.metadata,
    )


def calibration_to_proto(res: CalibrationResult) -> driver_pb2.CalibrateDeviceResponse:
    """Domain calibration → ``CalibrateDeviceResponse``."""
    return driver_pb2.CalibrateDeviceResponse(
        device_id=res.device_id,
        status=status_to_proto(res.status),
        calibration=dict(res.calibration),
        details=None if res.details is None else device_proto.calibration_to_proto(res.details),
    )


def transpile_request_from_proto(req: driver_pb2.TranspileCircuitRequest) -> TranspileRequest:
    """``TranspileCircuitRequest`` → domain request (an unknown format value → UNSPECIFIED)."""
    return TranspileRequest(
        device_id=req.device_id,
        payload_format=_FORMAT_FROM_PROTO.get(req.payload.format, PayloadFormat.UNSPECIFIED),
        payload=bytes(req.payload.data),
    )


def transpilation_to_proto(t: Transpilation) -> driver_pb2.TranspileCircuitResponse:
    """Domain transpilation → ``TranspileCircuitResponse`` (the ISA circuit as AQO JSON)."""
    f = t.figures
    return driver_pb2.TranspileCircuitResponse(
        device_id=t.device_id,
        payload=circuit_pb2.CircuitPayload(
            format=circuit_pb2.CircuitPayload.FORMAT_AQO_JSON,
            data=t.transpiled.circuit.canonical_bytes(),
        ),
        initial_layout=t.transpiled.initial_layout,
        final_layout=t.transpiled.final_layout,
        depth=f.depth,
        two_qubit_gates=f.two_qubit_gates,
        gate_counts=f.gate_counts,
        active_qubits=f.active_qubits,
        metadata=t.transpiled.metadata,
    )
