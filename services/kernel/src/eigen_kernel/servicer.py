"""KernelGatewayService servicer: proto ↔ domain only (the interceptor maps raised errors)."""

from __future__ import annotations

import math
from collections.abc import AsyncIterator
from typing import Any

import grpc

from eigen.api.v1 import device_pb2
from eigen.kernel.v1 import kernel_pb2, kernel_pb2_grpc
from eigen_common import errors
from eigen_common.context import AuthContext, auth_var
from eigen_kernel import convert
from eigen_kernel.scheduler import JobManager


def _auth() -> AuthContext:
    auth = auth_var.get()
    if auth is None:
        raise errors.UnauthenticatedError("missing x-eigen-tenant auth context")
    return auth


class KernelGateway(kernel_pb2_grpc.KernelGatewayServiceServicer):
    """Internal gateway used by system-api (seed 000 KernelGateway)."""

    def __init__(self, jobs: JobManager):
        self._jobs = jobs

    async def EnqueueJob(
        self, request: kernel_pb2.EnqueueJobRequest, context: grpc.aio.ServicerContext[Any, Any]
    ) -> kernel_pb2.EnqueueJobResponse:
        """Accept a job; see :meth:`JobManager.submit`."""
        auth = _auth()
        sub = convert.submission_from_proto(request.submission)
        payload = request.submission.SerializeToString(deterministic=True)
        job, dedup = await self._jobs.submit(auth.tenant, auth.subject, sub, payload)
        return kernel_pb2.EnqueueJobResponse(
            job_id=job.job_id,
            enqueued_at=convert.ts(job.created_at),
            state=convert.status_of(job.state),
            deduplicated=dedup,
        )

    async def GetJobStatus(
        self, request: kernel_pb2.GetJobStatusRequest, context: grpc.aio.ServicerContext[Any, Any]
    ) -> kernel_pb2.GetJobStatusResponse:
        """The job's status."""
        job = self._jobs.get(_auth().tenant, request.job_id)
        return kernel_pb2.GetJobStatusResponse(job=convert.job_to_proto(job))

    async def CancelJob(
        self, request: kernel_pb2.CancelJobRequest, context: grpc.aio.ServicerContext[Any, Any]
    ) -> kernel_pb2.CancelJobResponse:
        """Cancel a job."""
        job = self._jobs.cancel(_auth().tenant, request.job_id, request.reason)
        return kernel_pb2.CancelJobResponse(job_id=job.job_id, state=convert.status_of(job.state))

    async def GetJobResults(
        self, request: kernel_pb2.GetJobResultsRequest, context: grpc.aio.ServicerContext[Any, Any]
    ) -> kernel_pb2.GetJobResultsResponse:
        """Results of a terminal job."""
        res = self._jobs.results(_auth().tenant, request.job_id)
        return kernel_pb2.GetJobResultsResponse(results=convert.results_to_proto(res))

    async def ListJobs(
        self, request: kernel_pb2.ListJobsRequest, context: grpc.aio.ServicerContext[Any, Any]
    ) -> kernel_pb2.ListJobsResponse:
        """A page of jobs."""
        size = request.page_size or 50
        jobs, nxt = self._jobs.list_jobs(
            _auth().tenant, convert.task_states(list(request.states)), size, request.page_token
        )
        return kernel_pb2.ListJobsResponse(
            jobs=[convert.job_to_proto(j) for j in jobs], next_page_token=nxt
        )

    async def PollJobUpdates(
        self, request: kernel_pb2.PollJobUpdatesRequest, context: grpc.aio.ServicerContext[Any, Any]
    ) -> kernel_pb2.PollJobUpdatesResponse:
        """Persisted events after ``last_event_seq`` (long-poll)."""
        evs, more = await self._jobs.poll(
            _auth().tenant,
            request.job_id,
            request.last_event_seq,
            min(max(request.max_events, 0), 1000) or 100,
            min(max(request.wait_seconds, 0.0), 60.0)
            if math.isfinite(request.wait_seconds)
            else 0.0,
        )
        return kernel_pb2.PollJobUpdatesResponse(
            updates=[convert.event_to_proto(e) for e in evs], has_more=more
        )

    async def WatchJobUpdates(
        self,
        request: kernel_pb2.WatchJobUpdatesRequest,
        context: grpc.aio.ServicerContext[Any, Any],
    ) -> AsyncIterator[kernel_pb2.WatchJobUpdatesResponse]:
        """Live events; ends after the terminal one."""
        hb = request.heartbeat_seconds if request.heartbeat_seconds > 0 else None
        async for item in self._jobs.watch(
            _auth().tenant, request.job_id, request.last_event_seq, hb
        ):
            yield kernel_pb2.WatchJobUpdatesResponse(update=convert.event_to_proto(item))

    async def ListDevices(
        self, request: kernel_pb2.ListDevicesRequest, context: grpc.aio.ServicerContext[Any, Any]
    ) -> kernel_pb2.ListDevicesResponse:
        """All devices."""
        devs = await self._jobs.devices()
        return kernel_pb2.ListDevicesResponse(devices=[convert.device_to_proto(d) for d in devs])

    async def GetDeviceDetails(
        self,
        request: kernel_pb2.GetDeviceDetailsRequest,
        context: grpc.aio.ServicerContext[Any, Any],
    ) -> kernel_pb2.GetDeviceDetailsResponse:
        """One device."""
        d = await self._jobs.device(request.device_id)
        return kernel_pb2.GetDeviceDetailsResponse(device=convert.device_to_proto(d))

    async def GetDeviceStatus(
        self,
        request: kernel_pb2.GetDeviceStatusRequest,
        context: grpc.aio.ServicerContext[Any, Any],
    ) -> kernel_pb2.GetDeviceStatusResponse:
        """One device's status."""
        d = convert.device_to_proto(await self._jobs.device(request.device_id))
        return kernel_pb2.GetDeviceStatusResponse(
            status=device_pb2.GetDeviceStatusResponse(
                device_id=d.device_id,
                status=d.status,
                queue_depth=d.queue_depth,
                estimated_wait_sec=d.estimated_wait_sec,
                message=device_pb2.DeviceStatus.Name(d.status)
                .removeprefix("DEVICE_STATUS_")
                .lower(),
            )
        )

    async def ReserveDevice(
        self, request: kernel_pb2.ReserveDeviceRequest, context: grpc.aio.ServicerContext[Any, Any]
    ) -> kernel_pb2.ReserveDeviceResponse:
        """Not offered yet: slot reservations arrive with the scheduling issue."""
        await self._jobs.device(request.device_id)
        raise errors.UnimplementedError(
            "device reservations are not available yet", metadata={"device": request.device_id}
        )
