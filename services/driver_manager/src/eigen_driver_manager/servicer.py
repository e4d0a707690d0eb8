"""``eigen.driver.v1.DriverManagerService``: proto in, domain call, proto out.

Thin by design: no error mapping here (typed errors raised below are turned into statuses by the
shared server interceptor).
"""

from __future__ import annotations

import grpc

from eigen.driver.v1 import driver_pb2, driver_pb2_grpc
from eigen_common.device_proto import device_to_proto
from eigen_driver_manager import convert
from eigen_driver_manager.manager import DriverManager

_Ctx = grpc.aio.ServicerContext

#: Full gRPC service name (for health and reflection).
SERVICE_NAME = "eigen.driver.v1.DriverManagerService"


class DriverManagerServicer(driver_pb2_grpc.DriverManagerServiceServicer):
    """The kernel-facing driver-manager API (seed 001 ``DriverManagerService``)."""

    def __init__(self, manager: DriverManager):
        self._manager = manager

    async def ListDevices(
        self,
        request: driver_pb2.ListDevicesRequest,
        context: _Ctx[driver_pb2.ListDevicesRequest, driver_pb2.ListDevicesResponse],
    ) -> driver_pb2.ListDevicesResponse:
        """All devices of all loaded drivers, sorted by id."""
        devices = await self._manager.list_devices()
        return driver_pb2.ListDevicesResponse(devices=[device_to_proto(d) for d in devices])

    async def GetDeviceStatus(
        self,
        request: driver_pb2.GetDeviceStatusRequest,
        context: _Ctx[driver_pb2.GetDeviceStatusRequest, driver_pb2.GetDeviceStatusResponse],
    ) -> driver_pb2.GetDeviceStatusResponse:
        """One device's status (NOT_FOUND for an unknown id)."""
        report = await self._manager.device_status(request.device_id)
        return convert.status_report_to_proto(report)

    async def ExecuteCircuit(
        self,
        request: driver_pb2.ExecuteCircuitRequest,
        context: _Ctx[driver_pb2.ExecuteCircuitRequest, driver_pb2.ExecuteCircuitResponse],
    ) -> driver_pb2.ExecuteCircuitResponse:
        """Run a circuit and return normalised counts."""
        result = await self._manager.execute(convert.execution_request_from_proto(request))
        return convert.execution_result_to_proto(result)

    async def EstimateExpectationValues(
        self,
        request: driver_pb2.EstimateExpectationValuesRequest,
        context: _Ctx[
            driver_pb2.EstimateExpectationValuesRequest,
            driver_pb2.EstimateExpectationValuesResponse,
        ],
    ) -> driver_pb2.EstimateExpectationValuesResponse:
        """One expectation value per binding: exact without shots, else sampled."""
        outcome = await self._manager.estimate(convert.estimation_request_from_proto(request))
        return convert.estimate_outcome_to_proto(outcome)

    async def CalibrateDevice(
        self,
        request: driver_pb2.CalibrateDeviceRequest,
        context: _Ctx[driver_pb2.CalibrateDeviceRequest, driver_pb2.CalibrateDeviceResponse],
    ) -> driver_pb2.CalibrateDeviceResponse:
        """Calibrate a device (UNIMPLEMENTED when its driver has no calibration)."""
        result = await self._manager.calibrate(request.device_id)
        return convert.calibration_to_proto(result)

    async def ExecuteCircuitBatch(
        self,
        request: driver_pb2.ExecuteCircuitBatchRequest,
        context: _Ctx[
            driver_pb2.ExecuteCircuitBatchRequest, driver_pb2.ExecuteCircuitBatchResponse
        ],
    ) -> driver_pb2.ExecuteCircuitBatchResponse:
        """Several circuits of one device; each item succeeds or fails on its own."""
        reqs = [convert.execution_request_from_proto(r) for r in request.items]
        return convert.batch_to_proto(await self._manager.execute_batch(reqs))

    async def CancelExecution(
        self,
        request: driver_pb2.CancelExecutionRequest,
        context: _Ctx[driver_pb2.CancelExecutionRequest, driver_pb2.CancelExecutionResponse],
    ) -> driver_pb2.CancelExecutionResponse:
        """Abandon a job's execution (idempotent)."""
        found = await self._manager.cancel(request.job_id, request.device_id, request.execution_id)
        return driver_pb2.CancelExecutionResponse(cancelled=found)

    async def StartExecution(
        self,
        request: driver_pb2.StartExecutionRequest,
        context: _Ctx[driver_pb2.StartExecutionRequest, driver_pb2.StartExecutionResponse],
    ) -> driver_pb2.StartExecutionResponse:
        """Submit to an asynchronous device; answers with the execution id at once."""
        req = convert.execution_request_from_proto(request.execution)
        return convert.started_to_proto(await self._manager.start(req))

    async def AwaitExecution(
        self,
        request: driver_pb2.AwaitExecutionRequest,
        context: _Ctx[driver_pb2.AwaitExecutionRequest, driver_pb2.AwaitExecutionResponse],
    ) -> driver_pb2.AwaitExecutionResponse:
        """Wait up to ``wait_seconds`` for a started execution."""
        progress = await self._manager.await_execution(
            request.device_id, request.execution_id, request.wait_seconds, request.job_id
        )
        return convert.progress_to_proto(progress)

    async def TranspileCircuit(
        self,
        request: driver_pb2.TranspileCircuitRequest,
        context: _Ctx[driver_pb2.TranspileCircuitRequest, driver_pb2.TranspileCircuitResponse],
    ) -> driver_pb2.TranspileCircuitResponse:
        """The circuit as its device runs it (same pass manager and seed), not run."""
        result = await self._manager.transpile(convert.transpile_request_from_proto(request))
        return convert.transpilation_to_proto(result)
