"""KernelGatewayService servicer: proto ↔ domain only (the interceptor maps raised errors)."""

from __future__ import annotations

import math
from collections.abc import AsyncIterator
from typing import Any

import grpc

from eigen.api.v1 import admin_pb2, compilation_pb2, device_pb2
from eigen.kernel.v1 import kernel_pb2, kernel_pb2_grpc
from eigen_common import errors
from eigen_common.context import AuthContext, auth_var
from eigen_kernel import convert
from eigen_kernel.devices import DeviceDirectory
from eigen_kernel.jobs import JobService, Update
from eigen_kernel.reservations import Reservations
from eigen_kernel.retention import Retention
from eigen_kernel.transpile import DeviceTranspiler

Ctx = grpc.aio.ServicerContext[Any, Any]


def _auth() -> AuthContext:
    auth = auth_var.get()
    if auth is None:
        raise errors.UnauthenticatedError("missing x-eigen-tenant auth context")
    return auth


class KernelGateway(kernel_pb2_grpc.KernelGatewayServiceServicer):
    """Internal gateway used by system-api (seed 000 KernelGateway)."""

    def __init__(
        self,
        jobs: JobService,
        devices: DeviceDirectory,
        reservations: Reservations,
        retention: Retention,
        transpiler: DeviceTranspiler,
    ):
        self._jobs = jobs
        self._devices = devices
        self._reservations = reservations
        self._retention = retention
        self._transpiler = transpiler

    def _job(self, tenant: str, job_id: str) -> Any:
        job = self._jobs.get(tenant, job_id)
        return convert.job_to_proto(job, self._jobs.queue_info(job), self._jobs.shots(job))

    async def EnqueueJob(
        self, request: kernel_pb2.EnqueueJobRequest, context: Ctx
    ) -> kernel_pb2.EnqueueJobResponse:
        """Accept a job; see :meth:`JobService.submit`."""
        auth = _auth()
        sub = convert.submission_from_proto(request.submission)
        payload = request.submission.SerializeToString(deterministic=True)
        job, dedup = self._jobs.submit(auth.tenant, auth.subject, sub, payload)
        return kernel_pb2.EnqueueJobResponse(
            job_id=job.job_id,
            enqueued_at=convert.ts(job.created_at),
            state=convert.status_of(job.state),
            deduplicated=dedup,
        )

    async def GetJobStatus(
        self, request: kernel_pb2.GetJobStatusRequest, context: Ctx
    ) -> kernel_pb2.GetJobStatusResponse:
        """The job's status, with where and why it waits."""
        return kernel_pb2.GetJobStatusResponse(job=self._job(_auth().tenant, request.job_id))

    async def CancelJob(
        self, request: kernel_pb2.CancelJobRequest, context: Ctx
    ) -> kernel_pb2.CancelJobResponse:
        """Cancel a job."""
        job = self._jobs.cancel(_auth().tenant, request.job_id, request.reason)
        return kernel_pb2.CancelJobResponse(job_id=job.job_id, state=convert.status_of(job.state))

    async def GetJobResults(
        self, request: kernel_pb2.GetJobResultsRequest, context: Ctx
    ) -> kernel_pb2.GetJobResultsResponse:
        """Results of a terminal job."""
        tenant = _auth().tenant
        res = self._jobs.results(tenant, request.job_id)
        arts = self._jobs.artifacts(tenant, request.job_id)
        return kernel_pb2.GetJobResultsResponse(results=convert.results_to_proto(res, arts))

    async def ListJobs(
        self, request: kernel_pb2.ListJobsRequest, context: Ctx
    ) -> kernel_pb2.ListJobsResponse:
        """A page of jobs."""
        tenant = _auth().tenant
        jobs, nxt = self._jobs.list_jobs(
            tenant,
            convert.task_states(list(request.states)),
            request.page_size or 50,
            request.page_token,
        )
        return kernel_pb2.ListJobsResponse(
            jobs=[
                convert.job_to_proto(j, self._jobs.queue_info(j), self._jobs.shots(j)) for j in jobs
            ],
            next_page_token=nxt,
        )

    async def PollJobUpdates(
        self, request: kernel_pb2.PollJobUpdatesRequest, context: Ctx
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
            updates=[convert.update_to_proto(Update(e)) for e in evs], has_more=more
        )

    async def WatchJobUpdates(
        self, request: kernel_pb2.WatchJobUpdatesRequest, context: Ctx
    ) -> AsyncIterator[kernel_pb2.WatchJobUpdatesResponse]:
        """Live events (and heartbeats); ends after the terminal one (with results if asked)."""
        tenant = _auth().tenant
        asked = request.heartbeat_seconds
        hb = asked if math.isfinite(asked) and asked > 0 else None
        async for item in self._jobs.watch(tenant, request.job_id, request.last_event_seq, hb):
            msg = kernel_pb2.WatchJobUpdatesResponse(update=convert.update_to_proto(item))
            if request.include_results and isinstance(item, Update) and item.event.terminal:
                res = self._jobs.results(tenant, request.job_id)
                arts = self._jobs.artifacts(tenant, request.job_id)
                msg.results.CopyFrom(convert.results_to_proto(res, arts))
            yield msg

    async def GetJobArtifact(
        self, request: kernel_pb2.GetJobArtifactRequest, context: Ctx
    ) -> AsyncIterator[kernel_pb2.GetJobArtifactResponse]:
        """One artifact of a job of the caller's tenant, in chunks of at most 1 MiB."""
        body = self._jobs.artifact(_auth().tenant, request.request.job_id, request.request.name)
        first = True
        sent = False
        for chunk in body.chunks:
            out = kernel_pb2.GetJobArtifactResponse()
            out.chunk.chunk = chunk
            if first:
                out.chunk.content_type = body.info.content_type
                out.chunk.total_bytes = body.info.size_bytes
                first = False
            sent = True
            yield out
        if not sent:
            empty = kernel_pb2.GetJobArtifactResponse()
            empty.chunk.content_type = body.info.content_type
            yield empty

    async def ListDevices(
        self, request: kernel_pb2.ListDevicesRequest, context: Ctx
    ) -> kernel_pb2.ListDevicesResponse:
        """All devices with their queues."""
        devs = await self._devices.list()
        return kernel_pb2.ListDevicesResponse(
            devices=[convert.device_to_proto(d, self._devices.reserved(d.device_id)) for d in devs]
        )

    async def GetDeviceDetails(
        self, request: kernel_pb2.GetDeviceDetailsRequest, context: Ctx
    ) -> kernel_pb2.GetDeviceDetailsResponse:
        """One device."""
        d = await self._devices.get(request.device_id)
        return kernel_pb2.GetDeviceDetailsResponse(
            device=convert.device_to_proto(d, self._devices.reserved(d.device_id))
        )

    async def GetDeviceStatus(
        self, request: kernel_pb2.GetDeviceStatusRequest, context: Ctx
    ) -> kernel_pb2.GetDeviceStatusResponse:
        """One device's status and queue."""
        d = convert.device_to_proto(await self._devices.get(request.device_id))
        msg = device_pb2.GetDeviceStatusResponse(
            device_id=d.device_id,
            status=d.status,
            queue_depth=d.queue_depth,
            estimated_wait_sec=d.estimated_wait_sec,
            message=d.status_message
            or device_pb2.DeviceStatus.Name(d.status).removeprefix("DEVICE_STATUS_").lower(),
        )
        if d.HasField("vendor_queue_length"):
            msg.vendor_queue_length = d.vendor_queue_length
        return kernel_pb2.GetDeviceStatusResponse(status=msg)

    async def ReserveDevice(
        self, request: kernel_pb2.ReserveDeviceRequest, context: Ctx
    ) -> kernel_pb2.ReserveDeviceResponse:
        """Reserve a slot of a device for the caller's tenant."""
        auth = _auth()
        await self._devices.get(request.device_id)  # unknown device → NOT_FOUND
        r = self._reservations.reserve(
            auth.tenant, auth.subject, request.device_id, request.ttl_seconds, request.purpose
        )
        res = convert.reservation_to_proto(r)
        return kernel_pb2.ReserveDeviceResponse(
            reservation=device_pb2.ReserveDeviceResponse(
                reservation_id=r.reservation_id,
                expires_at=res.expires_at,
                device_id=r.device_id,
                starts_at=res.starts_at,
                reservation=res,
            )
        )

    async def ListReservations(
        self, request: kernel_pb2.ListReservationsRequest, context: Ctx
    ) -> kernel_pb2.ListReservationsResponse:
        """The caller's tenant's reservations."""
        rs = self._reservations.list(_auth().tenant, request.request.include_ended)
        return kernel_pb2.ListReservationsResponse(
            response=device_pb2.ListReservationsResponse(
                reservations=[convert.reservation_to_proto(r) for r in rs]
            )
        )

    async def CancelReservation(
        self, request: kernel_pb2.CancelReservationRequest, context: Ctx
    ) -> kernel_pb2.CancelReservationResponse:
        """End one of the caller's tenant's reservations."""
        r = self._reservations.cancel(_auth().tenant, request.reservation_id)
        return kernel_pb2.CancelReservationResponse(
            response=device_pb2.CancelReservationResponse(
                reservation=convert.reservation_to_proto(r)
            )
        )

    async def CollectGarbage(
        self, request: kernel_pb2.CollectGarbageRequest, context: Ctx
    ) -> kernel_pb2.CollectGarbageResponse:
        """Apply the retention policy now (admin role)."""
        if "admin" not in _auth().roles:
            raise errors.PermissionDeniedError("garbage collection needs the admin role")
        older = request.request.older_than_seconds
        if not math.isfinite(older) or older < 0:
            raise errors.ValidationError(
                [errors.FieldViolation("older_than_seconds", "must be a finite number ≥ 0")]
            )
        jobs, freed = self._retention.collect(older, request.request.dry_run)
        return kernel_pb2.CollectGarbageResponse(
            response=admin_pb2.CollectGarbageResponse(jobs_removed=jobs, bytes_freed=freed)
        )

    async def TranspileCircuit(
        self, request: kernel_pb2.TranspileCircuitRequest, context: Ctx
    ) -> kernel_pb2.TranspileCircuitResponse:
        """The compiled circuit as the target's device runs it (see DeviceTranspiler)."""
        _auth()
        isa = await self._transpiler.transpile(request.target, request.aqo_json)
        return kernel_pb2.TranspileCircuitResponse(
            isa=compilation_pb2.IsaCircuit(
                device_id=isa.device_id,
                aqo_json=isa.aqo_json,
                initial_layout=isa.initial_layout,
                final_layout=isa.final_layout,
                depth=isa.depth,
                two_qubit_gates=isa.two_qubit_gates,
                gate_counts=isa.gate_counts,
                active_qubits=isa.active_qubits,
                metadata=isa.metadata,
            )
        )
