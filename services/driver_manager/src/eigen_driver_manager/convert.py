"""Domain ↔ protobuf conversions for ``eigen.driver.v1`` (the only module that knows both)."""

from __future__ import annotations

from eigen.compiler.v1 import compiler_pb2
from eigen.driver.v1 import driver_pb2
from eigen_driver_manager.base import (
    CalibrationResult,
    DeviceInfo,
    DeviceStatus,
    DeviceStatusReport,
    EstimateOutcome,
    ExecutionResult,
)
from eigen_driver_manager.manager import EstimationRequest, ExecutionRequest, PayloadFormat

_STATUS_TO_PROTO: dict[DeviceStatus, driver_pb2.DeviceStatus] = {
    DeviceStatus.ONLINE: driver_pb2.DEVICE_STATUS_ONLINE,
    DeviceStatus.OFFLINE: driver_pb2.DEVICE_STATUS_OFFLINE,
    DeviceStatus.CALIBRATING: driver_pb2.DEVICE_STATUS_CALIBRATING,
    DeviceStatus.MAINTENANCE: driver_pb2.DEVICE_STATUS_MAINTENANCE,
    DeviceStatus.ERROR: driver_pb2.DEVICE_STATUS_ERROR,
}
_STATUS_FROM_PROTO: dict[int, DeviceStatus] = {int(v): k for k, v in _STATUS_TO_PROTO.items()}

_FORMAT_FROM_PROTO: dict[int, PayloadFormat] = {
    compiler_pb2.CircuitPayload.FORMAT_UNSPECIFIED: PayloadFormat.UNSPECIFIED,
    compiler_pb2.CircuitPayload.FORMAT_AQO_JSON: PayloadFormat.AQO_JSON,
    compiler_pb2.CircuitPayload.FORMAT_AQO_PROTO: PayloadFormat.AQO_PROTO,
    compiler_pb2.CircuitPayload.FORMAT_QASM3_TEXT: PayloadFormat.QASM3_TEXT,
    compiler_pb2.CircuitPayload.FORMAT_BACKEND_NATIVE: PayloadFormat.BACKEND_NATIVE,
}


def status_to_proto(status: DeviceStatus) -> driver_pb2.DeviceStatus:
    """Domain status → proto enum value."""
    return _STATUS_TO_PROTO[status]


def status_from_proto(value: int) -> DeviceStatus:
    """Proto enum value → domain status (UNSPECIFIED/unknown → ERROR)."""
    return _STATUS_FROM_PROTO.get(value, DeviceStatus.ERROR)


def device_info_to_proto(info: DeviceInfo) -> driver_pb2.DeviceInfo:
    """Domain device → ``eigen.driver.v1.DeviceInfo``."""
    return driver_pb2.DeviceInfo(
        device_id=info.device_id,
        name=info.name,
        backend_type=info.backend_type,
        status=status_to_proto(info.status),
        queue_depth=info.queue_depth,
        estimated_wait_sec=info.estimated_wait_sec,
        capabilities=dict(info.capabilities),
        driver=info.driver,
        targets=list(info.targets),
        max_qubits=info.max_qubits,
        allowed_options=list(info.allowed_options),
    )


def device_info_from_proto(msg: driver_pb2.DeviceInfo) -> DeviceInfo:
    """``eigen.driver.v1.DeviceInfo`` → domain device (for clients and tests)."""
    return DeviceInfo(
        device_id=msg.device_id,
        name=msg.name,
        backend_type=msg.backend_type,
        status=status_from_proto(msg.status),
        max_qubits=msg.max_qubits,
        targets=tuple(msg.targets),
        capabilities=dict(msg.capabilities),
        queue_depth=msg.queue_depth,
        estimated_wait_sec=msg.estimated_wait_sec,
        driver=msg.driver,
        allowed_options=tuple(msg.allowed_options),
    )


def status_report_to_proto(report: DeviceStatusReport) -> driver_pb2.GetDeviceStatusResponse:
    """Domain status report → ``GetDeviceStatusResponse``."""
    return driver_pb2.GetDeviceStatusResponse(
        device_id=report.device_id,
        status=status_to_proto(report.status),
        queue_depth=report.queue_depth,
        estimated_wait_sec=report.estimated_wait_sec,
        message=report.message,
    )


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
    )


def execution_result_to_proto(res: ExecutionResult) -> driver_pb2.ExecuteCircuitResponse:
    """Domain result → ``ExecuteCircuitResponse``."""
    return driver_pb2.ExecuteCircuitResponse(
        counts=res.counts,
        execution_time_sec=res.execution_time_sec,
        metadata=res.metadata,
    )


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
    )
