"""The public API as one table (issue 14).

Per RPC: its permission, validator, backend call and the rewrap of request and response;
:mod:`eigen_system_api.edge` turns the table into servicers.

Permissions are RFC 0009's (``jobs:submit``, ``jobs:read``, ``jobs:cancel``, ``devices:read``,
``devices:reserve``) plus ``admin`` for the operator API. Backends: ``kernel``
(KernelGatewayService), ``compiler`` (the internal CompilationService) and ``keys`` (the API
key store this service owns). Streaming routes rewrap every message; StreamJobUpdates has its
own relay (resume after a kernel restart, results on the terminal event).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol

from eigen.api.v1 import (
    admin_pb2_grpc,
    compilation_pb2,
    compilation_pb2_grpc,
    device_pb2,
    device_pb2_grpc,
    job_pb2,
    job_pb2_grpc,
)
from eigen.common.v1 import circuit_pb2
from eigen.compiler.v1 import compiler_pb2
from eigen.kernel.v1 import kernel_pb2
from eigen_system_api import validation as v


def _same(x: Any) -> Any:
    return x


class Forwarder(Protocol):
    """What a route's follow-up step may call: a backend's unary method (the edge's ``call``)."""

    async def call(self, backend: str, method: str, internal: Any, public: Any = None) -> Any:
        """Call ``backend.method(internal)`` with deadline and auth metadata; errors typed."""
        ...


@dataclass(frozen=True)
class Route:
    """One public RPC.

    Attributes:
        rpc: method name in its public service.
        permission: what the caller's roles must grant.
        validate: ``(request, limits)``; raises ValidationError (all violations) and friends.
        backend: ``kernel``, ``compiler`` or ``keys``.
        call: the backend's method.
        to_internal: public request → backend request.
        from_internal: backend response (or stream message) → public response.
        streaming: server-streaming RPC.
        quota: admission control (rate, shots, queued jobs) before forwarding.
        relay: a stream relay of its own (``"job_updates"``) instead of message-by-message.
        then: a follow-up step of a unary route, ``(forwarder, public request, public
            response) → public response``, that completes the answer with another backend's
            (CompileCircuit with a target: the kernel's TranspileCircuit).
    """

    rpc: str
    permission: str
    validate: Callable[[Any, v.Limits], None]
    backend: str
    call: str
    to_internal: Callable[[Any], Any] = _same
    from_internal: Callable[[Any], Any] = _same
    streaming: bool = False
    quota: bool = False
    relay: str = ""
    then: Callable[[Forwarder, Any, Any], Awaitable[Any]] | None = None


@dataclass(frozen=True)
class PublicService:
    """A public gRPC service: its full name, routes and the generated ``add_*_to_server``."""

    name: str
    routes: tuple[Route, ...]
    add: Callable[[Any, Any], None]


def _compile_request(req: compilation_pb2.CompileCircuitRequest) -> Any:
    out = compiler_pb2.CompileCircuitRequest(
        target=req.target, options=req.options, inputs=req.inputs
    )
    if req.HasField("eigen_lang"):
        out.eigen_lang.CopyFrom(req.eigen_lang)
    else:
        out.qasm.CopyFrom(req.qasm)
    return out


async def _with_isa(
    backends: Forwarder,
    request: compilation_pb2.CompileCircuitRequest,
    response: compilation_pb2.CompileCircuitResponse,
) -> compilation_pb2.CompileCircuitResponse:
    """Add the circuit as the target's device runs it (SPEC §13), when a target is named.

    The kernel resolves the target and has the device's driver transpile the compiled AQO
    with the pass manager its jobs run with. A hybrid program gets none: its circuit is
    parametrised, and a transpiled angle (``θ + π/2``) is no AQO parameter.
    """
    if not request.target or not response.aqo_json or response.hybrid_plan_json:
        return response
    answer = await backends.call(
        "kernel",
        "TranspileCircuit",
        kernel_pb2.TranspileCircuitRequest(target=request.target, aqo_json=response.aqo_json),
    )
    response.isa.CopyFrom(answer.isa)
    return response


def _validate_request(req: compilation_pb2.ValidateCircuitRequest) -> Any:
    out = compiler_pb2.ValidateCircuitRequest(target=req.target, options=req.options)
    if req.HasField("eigen_lang"):
        out.eigen_lang.CopyFrom(req.eigen_lang)
    else:
        out.qasm.CopyFrom(req.qasm)
    return out


def _optimize_request(req: compilation_pb2.OptimizeCircuitRequest) -> Any:
    return compiler_pb2.OptimizeCircuitRequest(
        payload=circuit_pb2.CircuitPayload(
            format=circuit_pb2.CircuitPayload.FORMAT_AQO_JSON, data=req.aqo_json
        ),
        target=req.target,
        optimization_level=req.optimization_level,
    )


JOBS = PublicService(
    "eigen.api.v1.JobService",
    (
        Route(
            "SubmitJob",
            "jobs:submit",
            v.validate_submit,
            "kernel",
            "EnqueueJob",
            lambda r: kernel_pb2.EnqueueJobRequest(submission=r),
            lambda r: job_pb2.SubmitJobResponse(
                job_id=r.job_id,
                state=r.state,
                created_at=r.enqueued_at,
                deduplicated=r.deduplicated,
            ),
            quota=True,
        ),
        Route(
            "GetJobStatus",
            "jobs:read",
            v.job_id_only,
            "kernel",
            "GetJobStatus",
            lambda r: kernel_pb2.GetJobStatusRequest(job_id=r.job_id),
            lambda r: job_pb2.GetJobStatusResponse(job=r.job),
        ),
        Route(
            "CancelJob",
            "jobs:cancel",
            v.cancel_job,
            "kernel",
            "CancelJob",
            lambda r: kernel_pb2.CancelJobRequest(job_id=r.job_id, reason=r.reason),
            lambda r: job_pb2.CancelJobResponse(job_id=r.job_id, state=r.state),
        ),
        Route(
            "GetJobResults",
            "jobs:read",
            v.job_id_only,
            "kernel",
            "GetJobResults",
            lambda r: kernel_pb2.GetJobResultsRequest(job_id=r.job_id),
            lambda r: r.results,
        ),
        Route(
            "ListJobs",
            "jobs:read",
            v.list_jobs,
            "kernel",
            "ListJobs",
            lambda r: kernel_pb2.ListJobsRequest(
                states=r.states, page_size=r.page_size or 50, page_token=r.page_token
            ),
            lambda r: job_pb2.ListJobsResponse(jobs=r.jobs, next_page_token=r.next_page_token),
        ),
        Route(
            "StreamJobUpdates",
            "jobs:read",
            v.stream_updates,
            "kernel",
            "WatchJobUpdates",
            streaming=True,
            relay="job_updates",
        ),
        Route(
            "GetJobArtifact",
            "jobs:read",
            v.get_artifact,
            "kernel",
            "GetJobArtifact",
            lambda r: kernel_pb2.GetJobArtifactRequest(request=r),
            lambda r: r.chunk,
            streaming=True,
        ),
    ),
    job_pb2_grpc.add_JobServiceServicer_to_server,
)

DEVICES = PublicService(
    "eigen.api.v1.DeviceService",
    (
        Route(
            "ListDevices",
            "devices:read",
            v.no_fields,
            "kernel",
            "ListDevices",
            lambda r: kernel_pb2.ListDevicesRequest(),
            lambda r: device_pb2.ListDevicesResponse(devices=r.devices),
        ),
        Route(
            "GetDeviceDetails",
            "devices:read",
            v.device_id,
            "kernel",
            "GetDeviceDetails",
            lambda r: kernel_pb2.GetDeviceDetailsRequest(device_id=r.device_id),
            lambda r: device_pb2.GetDeviceDetailsResponse(device=r.device),
        ),
        Route(
            "GetDeviceStatus",
            "devices:read",
            v.device_id,
            "kernel",
            "GetDeviceStatus",
            lambda r: kernel_pb2.GetDeviceStatusRequest(device_id=r.device_id),
            lambda r: r.status,
        ),
        Route(
            "ReserveDevice",
            "devices:reserve",
            v.reserve_device,
            "kernel",
            "ReserveDevice",
            lambda r: kernel_pb2.ReserveDeviceRequest(
                device_id=r.device_id, ttl_seconds=r.ttl_seconds, purpose=r.purpose
            ),
            lambda r: r.reservation,
        ),
        Route(
            "ListReservations",
            "devices:read",
            v.no_fields,
            "kernel",
            "ListReservations",
            lambda r: kernel_pb2.ListReservationsRequest(request=r),
            lambda r: r.response,
        ),
        Route(
            "CancelReservation",
            "devices:reserve",
            v.reservation_id,
            "kernel",
            "CancelReservation",
            lambda r: kernel_pb2.CancelReservationRequest(reservation_id=r.reservation_id),
            lambda r: r.response,
        ),
    ),
    device_pb2_grpc.add_DeviceServiceServicer_to_server,
)

COMPILATION = PublicService(
    "eigen.api.v1.CompilationService",
    (
        Route(
            "CompileCircuit",
            "jobs:submit",
            v.program_source,
            "compiler",
            "CompileCircuit",
            _compile_request,
            lambda r: compilation_pb2.CompileCircuitResponse(
                aqo_json=r.payload.data, metadata=r.metadata, hybrid_plan_json=r.hybrid_plan_json
            ),
            then=_with_isa,
        ),
        Route(
            "OptimizeCircuit",
            "jobs:submit",
            v.aqo_payload,
            "compiler",
            "OptimizeCircuit",
            _optimize_request,
            lambda r: compilation_pb2.OptimizeCircuitResponse(
                aqo_json=r.payload.data, metadata=r.metadata
            ),
        ),
        Route(
            "ValidateCircuit",
            "jobs:read",
            v.program_source,
            "compiler",
            "ValidateCircuit",
            _validate_request,
            lambda r: compilation_pb2.ValidateCircuitResponse(
                valid=r.valid, diagnostics=r.diagnostics, metadata=r.metadata
            ),
        ),
    ),
    compilation_pb2_grpc.add_CompilationServiceServicer_to_server,
)

ADMIN = PublicService(
    "eigen.api.v1.AdminService",
    (
        Route("CreateApiKey", "admin", v.create_api_key, "keys", "CreateApiKey"),
        Route("ListApiKeys", "admin", v.list_api_keys, "keys", "ListApiKeys"),
        Route("RevokeApiKey", "admin", v.revoke_api_key, "keys", "RevokeApiKey"),
        Route(
            "CollectGarbage",
            "admin",
            v.collect_garbage,
            "kernel",
            "CollectGarbage",
            lambda r: kernel_pb2.CollectGarbageRequest(request=r),
            lambda r: r.response,
        ),
    ),
    admin_pb2_grpc.add_AdminServiceServicer_to_server,
)

#: Every public service, in the order they are served.
SERVICES: tuple[PublicService, ...] = (JOBS, DEVICES, COMPILATION, ADMIN)
