"""What the edge sends to and returns from the kernel RPCs whose kernel side is being built
(reservations, artifacts, garbage collection, results on the terminal event).

The kernel here is a real gRPC server on port 0 — the generated KernelGatewayService with these
methods answering from what they were sent — so the test runs at the gRPC boundary only: the
edge under test is the production build (``app.build``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import grpc
import pytest

from eigen.api.v1 import admin_pb2, device_pb2, job_pb2
from eigen.kernel.v1 import kernel_pb2, kernel_pb2_grpc
from eigen_common import errors
from eigen_common.context import AuthContext, auth_var
from eigen_common.server import RunningServer, ServiceBinding
from eigen_common.status import from_rpc_error
from eigen_common.testing import start_test_server
from eigen_system_api.app import build
from eigen_system_api.settings import SystemApiSettings
from services.system_api.tests.support import (
    ADMIN,
    KEYS,
    USER,
    USER_B,
    Client,
    bell,
    md,
    write_keys,
)

CHUNKS = [b"x" * 1000, b"y" * 10, b"z"]


@dataclass
class Kernel(kernel_pb2_grpc.KernelGatewayServiceServicer):
    """Records each request with the caller the edge said it was."""

    seen: list[tuple[str, Any, AuthContext | None]] = field(default_factory=list)
    waiting: dict[str, int] = field(default_factory=dict)  # tenant → jobs COMPILING/QUEUED

    async def ListJobs(self, request: Any, context: Any) -> Any:
        self._record("ListJobs", request)
        auth = auth_var.get()
        assert auth is not None
        assert list(request.states) == [job_pb2.JOB_STATUS_COMPILING, job_pb2.JOB_STATUS_QUEUED]
        start = int(request.page_token or 0)
        total = self.waiting.get(auth.tenant, 0)
        n = max(0, min(request.page_size, total - start))
        more = start + n < total
        return kernel_pb2.ListJobsResponse(
            jobs=[job_pb2.Job(job_id=f"w{start + i}") for i in range(n)],
            next_page_token=str(start + n) if more else "",
        )

    async def EnqueueJob(self, request: Any, context: Any) -> Any:
        self._record("EnqueueJob", request)
        return kernel_pb2.EnqueueJobResponse(job_id=f"j{len(self.seen)}")

    def _record(self, name: str, request: Any) -> None:
        self.seen.append((name, request, auth_var.get()))

    async def ListReservations(self, request: Any, context: Any) -> Any:
        self._record("ListReservations", request)
        r = device_pb2.Reservation(reservation_id="rsv-1", device_id="aer.automatic")
        return kernel_pb2.ListReservationsResponse(
            response=device_pb2.ListReservationsResponse(reservations=[r])
        )

    async def CancelReservation(self, request: Any, context: Any) -> Any:
        self._record("CancelReservation", request)
        if request.reservation_id != "rsv-1":
            raise errors.NotFoundError(
                f"no reservation {request.reservation_id} in /var/lib/eigen/kernel/jobs.db",
                reason="RESERVATION_NOT_FOUND",
            )
        r = device_pb2.Reservation(
            reservation_id="rsv-1", state=device_pb2.RESERVATION_STATE_CANCELLED
        )
        return kernel_pb2.CancelReservationResponse(
            response=device_pb2.CancelReservationResponse(reservation=r)
        )

    async def GetJobArtifact(self, request: Any, context: Any) -> AsyncIterator[Any]:
        self._record("GetJobArtifact", request)
        for i, c in enumerate(CHUNKS):
            chunk = job_pb2.GetJobArtifactResponse(chunk=c)
            if i == 0:
                chunk.content_type, chunk.total_bytes = "application/json", sum(map(len, CHUNKS))
            yield kernel_pb2.GetJobArtifactResponse(chunk=chunk)

    async def CollectGarbage(self, request: Any, context: Any) -> Any:
        self._record("CollectGarbage", request)
        return kernel_pb2.CollectGarbageResponse(
            response=admin_pb2.CollectGarbageResponse(jobs_removed=7, bytes_freed=4096)
        )

    async def WatchJobUpdates(self, request: Any, context: Any) -> AsyncIterator[Any]:
        self._record("WatchJobUpdates", request)
        for seq in (1, 2):
            upd = job_pb2.JobUpdate(job_id=request.job_id, event_seq=seq, terminal=seq == 2)
            out = kernel_pb2.WatchJobUpdatesResponse(update=upd)
            if seq == 2 and request.include_results:
                out.results.job_id, out.results.counts["11"] = request.job_id, 5
            yield out


@pytest.fixture
async def fake(tmp_path: Path) -> AsyncIterator[tuple[Kernel, Client]]:
    kernel = Kernel()
    server: RunningServer = await start_test_server(
        "kernel",
        [
            ServiceBinding(
                kernel,
                kernel_pb2_grpc.add_KernelGatewayServiceServicer_to_server,
                "eigen.kernel.v1.KernelGatewayService",
            )
        ],
    )
    app = build(
        SystemApiSettings(
            port=0,
            metrics_port=0,
            kernel_address=f"127.0.0.1:{server.port}",
            compiler_address="127.0.0.1:9",
            api_keys_file=write_keys(tmp_path / "keys.json", KEYS),
            quota_max_queued_jobs=2500,
            quota_queue_recount_seconds=0.001,
        )
    )
    edge = await app.start()
    ch = grpc.aio.insecure_channel(f"127.0.0.1:{edge.port}")
    try:
        yield kernel, Client(ch)
    finally:
        await ch.close()
        await edge.stop(0)
        await app.close()
        await server.stop(0)


async def test_reservations_are_forwarded_with_the_callers_tenant(
    fake: tuple[Kernel, Client],
) -> None:
    kernel, c = fake
    listed = await c.devices.ListReservations(
        device_pb2.ListReservationsRequest(include_ended=True), metadata=md(USER)
    )
    assert [r.reservation_id for r in listed.reservations] == ["rsv-1"]
    cancelled = await c.devices.CancelReservation(
        device_pb2.CancelReservationRequest(reservation_id="rsv-1"), metadata=md(USER)
    )
    assert cancelled.reservation.state == device_pb2.RESERVATION_STATE_CANCELLED
    (n1, r1, a1), (n2, r2, a2) = kernel.seen
    assert (n1, r1.request.include_ended, n2, r2.reservation_id) == (
        "ListReservations",
        True,
        "CancelReservation",
        "rsv-1",
    )
    assert a1 == a2 == AuthContext("alice", ("user",), "a")


async def test_kernel_errors_keep_their_reason_and_lose_their_paths(
    fake: tuple[Kernel, Client],
) -> None:
    _, c = fake
    with pytest.raises(grpc.aio.AioRpcError) as exc:
        await c.devices.CancelReservation(
            device_pb2.CancelReservationRequest(reservation_id="rsv-2"), metadata=md(USER)
        )
    err = from_rpc_error(exc.value)
    assert exc.value.code() == grpc.StatusCode.NOT_FOUND and err.reason == "RESERVATION_NOT_FOUND"
    assert "rsv-2" in err.message and "/var/lib" not in err.message


async def test_artifact_chunks_are_relayed_in_order(fake: tuple[Kernel, Client]) -> None:
    kernel, c = fake
    got = [
        m
        async for m in c.jobs.GetJobArtifact(
            job_pb2.GetJobArtifactRequest(job_id="j1", name="results.json"), metadata=md(USER)
        )
    ]
    assert [m.chunk for m in got] == CHUNKS
    assert (got[0].content_type, got[0].total_bytes) == ("application/json", 1011)
    assert kernel.seen[0][1].request == job_pb2.GetJobArtifactRequest(
        job_id="j1", name="results.json"
    )
    with pytest.raises(grpc.aio.AioRpcError) as exc:
        async for _ in c.jobs.GetJobArtifact(
            job_pb2.GetJobArtifactRequest(job_id="j1", name="../../jobs.db"), metadata=md(USER)
        ):
            pass
    assert exc.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert len(kernel.seen) == 1  # the traversal never reached the kernel


async def test_collect_garbage_is_forwarded_for_admins(fake: tuple[Kernel, Client]) -> None:
    kernel, c = fake
    resp = await c.admin.CollectGarbage(
        admin_pb2.CollectGarbageRequest(older_than_seconds=3600, dry_run=True), metadata=md(ADMIN)
    )
    assert (resp.jobs_removed, resp.bytes_freed) == (7, 4096)
    assert kernel.seen[0][1].request.older_than_seconds == 3600
    assert kernel.seen[0][1].request.dry_run


async def test_results_attached_by_the_kernel_pass_through(fake: tuple[Kernel, Client]) -> None:
    kernel, c = fake
    msgs = [
        m
        async for m in c.jobs.StreamJobUpdates(
            job_pb2.StreamJobUpdatesRequest(job_id="j9", include_results=True), metadata=md(USER)
        )
    ]
    assert [m.update.event_seq for m in msgs] == [1, 2]
    assert dict(msgs[-1].results.counts) == {"11": 5}
    assert kernel.seen[0][1].include_results


def calls(kernel: Kernel, name: str) -> list[Any]:
    return [(r, a) for n, r, a in kernel.seen if n == name]


async def test_queued_jobs_cap_counts_with_the_kernel_and_creates_nothing_past_it(
    fake: tuple[Kernel, Client],
) -> None:
    kernel, c = fake
    kernel.waiting = {"a": 2498, "b": 2600}
    await c.jobs.SubmitJob(bell(), metadata=md(USER))  # 2498 → 2499
    sizes = [r.page_size for r, _ in calls(kernel, "ListJobs")]
    assert sizes == [1000, 1000, 500]  # paged, and never past the cap
    assert all(a == AuthContext("alice", ("user",), "a") for _, a in calls(kernel, "ListJobs"))
    kernel.waiting["a"] = 2500  # meanwhile another replica filled the queue
    with pytest.raises(grpc.aio.AioRpcError) as exc:
        await c.jobs.SubmitJob(bell(), metadata=md(USER))
    err = from_rpc_error(exc.value)
    assert exc.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert (err.reason, err.metadata["subject"]) == ("QUOTA_EXCEEDED", "tenant:a/max_queued_jobs")
    assert err.retry_after is not None
    with pytest.raises(grpc.aio.AioRpcError) as exc:  # tenant b is over its own cap
        await c.jobs.SubmitJob(bell(), metadata=md(USER_B))
    assert from_rpc_error(exc.value).metadata["subject"] == "tenant:b/max_queued_jobs"
    assert len(calls(kernel, "EnqueueJob")) == 1  # nothing forwarded past the cap
    kernel.waiting["a"] = 10  # jobs left the queue
    await c.jobs.SubmitJob(bell(), metadata=md(USER))
    assert len(calls(kernel, "EnqueueJob")) == 2
