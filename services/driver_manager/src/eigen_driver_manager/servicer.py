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
