"""Public servicers (eigen.api.v1): authenticate, validate, forward to kernel / compiler.

No job state is held here. Errors from internal services come back typed and are re-raised, so
the client sees the same code, reason and details the kernel or compiler produced.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import Any, TypeVar, cast

import grpc

from eigen.api.v1 import (
    compilation_pb2,
    compilation_pb2_grpc,
    device_pb2,
    device_pb2_grpc,
    job_pb2,
    job_pb2_grpc,
)
from eigen.common.v1 import circuit_pb2
from eigen.compiler.v1 import compiler_pb2, compiler_pb2_grpc
from eigen.kernel.v1 import kernel_pb2, kernel_pb2_grpc
from eigen_common import errors
from eigen_common.context import auth_var, outgoing_metadata
from eigen_common.logs import get_logger
from eigen_common.status import from_rpc_error
from eigen_system_api.auth import ApiKeyAuthenticator
from eigen_system_api.settings import SystemApiSettings
from eigen_system_api.validation import validate_job_id, validate_submit

log = get_logger("eigen.system_api")
R = TypeVar("R")


class Edge:
    """Shared edge logic: auth check and forwarding with deadlines and typed errors."""

    def __init__(self, auth: ApiKeyAuthenticator, settings: SystemApiSettings):
        self.auth = auth
        self.settings = settings

    def authorize(self, context: grpc.aio.ServicerContext[Any, Any], permission: str) -> None:
        """Authenticate the caller and bind the auth context for outgoing calls."""
        md = cast(Sequence[tuple[str, str | bytes]], context.invocation_metadata() or ())
        auth_var.set(self.auth.authenticate(md, permission))

    async def forward(self, call: Callable[..., Awaitable[R]], request: Any, job_id: str = "") -> R:
        """Call an internal unary RPC with deadline + metadata; re-raise failures typed."""
        try:
            return await call(
                request, timeout=self.settings.call_timeout, metadata=outgoing_metadata(job_id)
            )
        except grpc.RpcError as exc:
            raise from_rpc_error(exc) from None


class JobServicer(job_pb2_grpc.JobServiceServicer):
    """Public JobService."""

    def __init__(self, edge: Edge, kernel: kernel_pb2_grpc.KernelGatewayServiceStub):
        self._edge = edge
        self._kernel = kernel

    async def SubmitJob(
        self, request: job_pb2.SubmitJobRequest, context: grpc.aio.ServicerContext[Any, Any]
    ) -> job_pb2.SubmitJobResponse:
        """Validate and enqueue a job."""
        self._edge.authorize(context, "jobs:submit")
        s = self._edge.settings
        validate_submit(request, s.max_program_bytes, s.max_shots)
        resp = await self._edge.forward(
            self._kernel.EnqueueJob, kernel_pb2.EnqueueJobRequest(submission=request)
        )
        return job_pb2.SubmitJobResponse(
            job_id=resp.job_id,
            state=resp.state,
            created_at=resp.enqueued_at,
            deduplicated=resp.deduplicated,
        )

    async def GetJobStatus(
        self, request: job_pb2.GetJobStatusRequest, context: grpc.aio.ServicerContext[Any, Any]
    ) -> job_pb2.GetJobStatusResponse:
        """The job's status."""
        self._edge.authorize(context, "jobs:read")
        validate_job_id(request.job_id)
        resp = await self._edge.forward(
            self._kernel.GetJobStatus,
            kernel_pb2.GetJobStatusRequest(job_id=request.job_id),
            request.job_id,
        )
        return job_pb2.GetJobStatusResponse(job=resp.job)

    async def CancelJob(
        self, request: job_pb2.CancelJobRequest, context: grpc.aio.ServicerContext[Any, Any]
    ) -> job_pb2.CancelJobResponse:
        """Cancel a job."""
        self._edge.authorize(context, "jobs:cancel")
        validate_job_id(request.job_id)
        if len(request.reason) > 1024:
            raise errors.ValidationError([errors.FieldViolation("reason", "longer than 1024")])
        resp = await self._edge.forward(
            self._kernel.CancelJob,
            kernel_pb2.CancelJobRequest(job_id=request.job_id, reason=request.reason),
            request.job_id,
        )
        return job_pb2.CancelJobResponse(job_id=resp.job_id, state=resp.state)

    async def GetJobResults(
        self, request: job_pb2.GetJobResultsRequest, context: grpc.aio.ServicerContext[Any, Any]
    ) -> job_pb2.GetJobResultsResponse:
        """Results of a terminal job."""
        self._edge.authorize(context, "jobs:read")
        validate_job_id(request.job_id)
        resp = await self._edge.forward(
            self._kernel.GetJobResults,
            kernel_pb2.GetJobResultsRequest(job_id=request.job_id),
            request.job_id,
        )
        return cast(job_pb2.GetJobResultsResponse, resp.results)

    async def ListJobs(
        self, request: job_pb2.ListJobsRequest, context: grpc.aio.ServicerContext[Any, Any]
    ) -> job_pb2.ListJobsResponse:
        """A page of the caller's jobs."""
        self._edge.authorize(context, "jobs:read")
        v = []
        if not 0 <= request.page_size <= 1000:
            v.append(errors.FieldViolation("page_size", "must be in 0..1000"))
        if any(s not in job_pb2.JobStatus.values() or s == 0 for s in request.states):
            v.append(errors.FieldViolation("states", "contains an unknown status"))
        if len(request.page_token) > 512:
            v.append(errors.FieldViolation("page_token", "too long"))
        if v:
            raise errors.ValidationError(v)
        resp = await self._edge.forward(
            self._kernel.ListJobs,
            kernel_pb2.ListJobsRequest(
                states=request.states,
                page_size=request.page_size or 50,
                page_token=request.page_token,
            ),
        )
        return job_pb2.ListJobsResponse(jobs=resp.jobs, next_page_token=resp.next_page_token)

    async def StreamJobUpdates(
        self, request: job_pb2.StreamJobUpdatesRequest, context: grpc.aio.ServicerContext[Any, Any]
    ) -> AsyncIterator[job_pb2.StreamJobUpdatesResponse]:
        """Relay the kernel's live events; if the kernel restarts, resume from the last seq."""
        self._edge.authorize(context, "jobs:read")
        validate_job_id(request.job_id)
        if request.last_event_seq >= 2**63:
            raise errors.ValidationError(
                [errors.FieldViolation("last_event_seq", "must be below 2^63")]
            )
        last = request.last_event_seq
        give_up = None
        while True:
            stream = self._kernel.WatchJobUpdates(
                kernel_pb2.WatchJobUpdatesRequest(job_id=request.job_id, last_event_seq=last),
                metadata=outgoing_metadata(request.job_id),
            )
            try:
                async for item in stream:
                    give_up = None
                    upd = item.update
                    if not upd.heartbeat:
                        last = upd.event_seq
                    yield job_pb2.StreamJobUpdatesResponse(update=upd)
                return
            except grpc.RpcError as exc:
                err = from_rpc_error(exc)
                if not isinstance(err, errors.UnavailableError):
                    raise err from None
                now = time.monotonic()
                give_up = give_up or now + self._edge.settings.stream_resume_seconds
                if now >= give_up:
                    raise err from None
                log.info(
                    "kernel stream broke; resuming", job_id=request.job_id, last_event_seq=last
                )
                await asyncio.sleep(0.2)
            finally:
                stream.cancel()


class DeviceServicer(device_pb2_grpc.DeviceServiceServicer):
    """Public DeviceService."""

    def __init__(self, edge: Edge, kernel: kernel_pb2_grpc.KernelGatewayServiceStub):
        self._edge = edge
        self._kernel = kernel

    def _check_id(self, device_id: str) -> None:
        if not device_id or len(device_id) > 128:
            raise errors.ValidationError(
                [errors.FieldViolation("device_id", "must be 1..128 chars")]
            )

    async def ListDevices(
        self, request: device_pb2.ListDevicesRequest, context: grpc.aio.ServicerContext[Any, Any]
    ) -> device_pb2.ListDevicesResponse:
        """All devices."""
        self._edge.authorize(context, "devices:read")
        resp = await self._edge.forward(self._kernel.ListDevices, kernel_pb2.ListDevicesRequest())
        return device_pb2.ListDevicesResponse(devices=resp.devices)

    async def GetDeviceDetails(
        self,
        request: device_pb2.GetDeviceDetailsRequest,
        context: grpc.aio.ServicerContext[Any, Any],
    ) -> device_pb2.GetDeviceDetailsResponse:
        """One device."""
        self._edge.authorize(context, "devices:read")
        self._check_id(request.device_id)
        resp = await self._edge.forward(
            self._kernel.GetDeviceDetails,
            kernel_pb2.GetDeviceDetailsRequest(device_id=request.device_id),
        )
        return device_pb2.GetDeviceDetailsResponse(device=resp.device)

    async def GetDeviceStatus(
        self,
        request: device_pb2.GetDeviceStatusRequest,
        context: grpc.aio.ServicerContext[Any, Any],
    ) -> device_pb2.GetDeviceStatusResponse:
        """One device's status."""
        self._edge.authorize(context, "devices:read")
        self._check_id(request.device_id)
        resp = await self._edge.forward(
            self._kernel.GetDeviceStatus,
            kernel_pb2.GetDeviceStatusRequest(device_id=request.device_id),
        )
        return cast(device_pb2.GetDeviceStatusResponse, resp.status)

    async def ReserveDevice(
        self, request: device_pb2.ReserveDeviceRequest, context: grpc.aio.ServicerContext[Any, Any]
    ) -> device_pb2.ReserveDeviceResponse:
        """Reserve a slot (the kernel decides whether reservations are offered)."""
        self._edge.authorize(context, "devices:reserve")
        self._check_id(request.device_id)
        if not 1 <= request.ttl_seconds <= 86400:
            raise errors.ValidationError(
                [errors.FieldViolation("ttl_seconds", "must be in 1..86400")]
            )
        resp = await self._edge.forward(
            self._kernel.ReserveDevice,
            kernel_pb2.ReserveDeviceRequest(
                device_id=request.device_id,
                ttl_seconds=request.ttl_seconds,
                purpose=request.purpose,
            ),
        )
        return cast(device_pb2.ReserveDeviceResponse, resp.reservation)


def _source_size(req: Any) -> int:
    which = req.WhichOneof("source")
    if which is None:
        raise errors.ValidationError([errors.FieldViolation("source", "is required")])
    return len(getattr(req, which).source.encode("utf-8", "surrogatepass"))


class CompilationServicer(compilation_pb2_grpc.CompilationServiceServicer):
    """Public CompilationService: a thin proxy to the compiler."""

    def __init__(self, edge: Edge, compiler: compiler_pb2_grpc.CompilationServiceStub):
        self._edge = edge
        self._compiler = compiler

    def _check(self, req: Any) -> None:
        size = _source_size(req)
        limit = self._edge.settings.max_program_bytes
        if size > limit:
            raise errors.PayloadTooLargeError(f"program is {size} bytes; the limit is {limit}")

    async def CompileCircuit(
        self,
        request: compilation_pb2.CompileCircuitRequest,
        context: grpc.aio.ServicerContext[Any, Any],
    ) -> compilation_pb2.CompileCircuitResponse:
        """Compile a program to AQO."""
        self._edge.authorize(context, "jobs:submit")
        self._check(request)
        internal = compiler_pb2.CompileCircuitRequest(
            target=request.target, options=request.options, inputs=request.inputs
        )
        if request.HasField("eigen_lang"):
            internal.eigen_lang.CopyFrom(request.eigen_lang)
        else:
            internal.qasm.CopyFrom(request.qasm)
        resp = await self._edge.forward(self._compiler.CompileCircuit, internal)
        return compilation_pb2.CompileCircuitResponse(
            aqo_json=resp.payload.data,
            metadata=resp.metadata,
            hybrid_plan_json=resp.hybrid_plan_json,
        )

    async def OptimizeCircuit(
        self,
        request: compilation_pb2.OptimizeCircuitRequest,
        context: grpc.aio.ServicerContext[Any, Any],
    ) -> compilation_pb2.OptimizeCircuitResponse:
        """Re-optimise AQO."""
        self._edge.authorize(context, "jobs:submit")
        if len(request.aqo_json) > self._edge.settings.max_program_bytes * 4:
            raise errors.PayloadTooLargeError("AQO payload too large")
        resp = await self._edge.forward(
            self._compiler.OptimizeCircuit,
            compiler_pb2.OptimizeCircuitRequest(
                payload=circuit_pb2.CircuitPayload(
                    format=circuit_pb2.CircuitPayload.FORMAT_AQO_JSON, data=request.aqo_json
                ),
                target=request.target,
                optimization_level=request.optimization_level,
            ),
        )
        return compilation_pb2.OptimizeCircuitResponse(
            aqo_json=resp.payload.data, metadata=resp.metadata
        )

    async def ValidateCircuit(
        self,
        request: compilation_pb2.ValidateCircuitRequest,
        context: grpc.aio.ServicerContext[Any, Any],
    ) -> compilation_pb2.ValidateCircuitResponse:
        """Validate a program; findings are data."""
        self._edge.authorize(context, "jobs:read")
        self._check(request)
        internal = compiler_pb2.ValidateCircuitRequest(
            target=request.target, options=request.options
        )
        if request.HasField("eigen_lang"):
            internal.eigen_lang.CopyFrom(request.eigen_lang)
        else:
            internal.qasm.CopyFrom(request.qasm)
        resp = await self._edge.forward(self._compiler.ValidateCircuit, internal)
        return compilation_pb2.ValidateCircuitResponse(
            valid=resp.valid, diagnostics=resp.diagnostics, metadata=resp.metadata
        )
