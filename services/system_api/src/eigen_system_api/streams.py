"""The StreamJobUpdates relay: the kernel's live events, resumed across a kernel restart.

- Each event of ``WatchJobUpdates`` is passed on as it comes (SPEC §3.2). If the kernel stream
  breaks with UNAVAILABLE (restart, failover), it is reopened from the last ``event_seq`` seen
  (heartbeats repeat it and do not move it) for up to ``stream_resume_seconds``.
- ``include_results``: the terminal event carries the job's results. The kernel attaches them
  when it can; when it did not, the edge fetches them with GetJobResults, so the client always
  gets them in the same message.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

import grpc

from eigen.api.v1 import job_pb2
from eigen.kernel.v1 import kernel_pb2
from eigen_common import errors
from eigen_common.logs import get_logger
from eigen_system_api.scrub import internal_error

if TYPE_CHECKING:
    from eigen_system_api.edge import Edge

log = get_logger("eigen.system_api")


async def relay_job_updates(
    edge: Edge, request: job_pb2.StreamJobUpdatesRequest
) -> AsyncIterator[job_pb2.StreamJobUpdatesResponse]:
    """Relay a job's events (validated request; auth context already bound).

    Raises:
        EigenError: the kernel's error (scrubbed), or UNAVAILABLE once the resume window passed.
    """
    last = request.last_event_seq
    give_up: float | None = None
    while True:
        stream = edge.open_stream(
            "kernel",
            "WatchJobUpdates",
            kernel_pb2.WatchJobUpdatesRequest(
                job_id=request.job_id,
                last_event_seq=last,
                include_results=request.include_results,
            ),
            request,
        )
        try:
            async for item in stream:
                give_up = None
                upd = item.update
                if not upd.heartbeat:
                    last = upd.event_seq
                out = job_pb2.StreamJobUpdatesResponse(update=upd)
                if item.HasField("results"):
                    out.results.CopyFrom(item.results)
                elif request.include_results and upd.terminal:
                    res = await edge.call(
                        "kernel",
                        "GetJobResults",
                        kernel_pb2.GetJobResultsRequest(job_id=request.job_id),
                        request,
                    )
                    out.results.CopyFrom(res.results)
                yield out
            return
        except grpc.RpcError as exc:
            err = internal_error(exc, "kernel")
            if not isinstance(err, errors.UnavailableError):
                raise err from None
            now = time.monotonic()
            give_up = give_up or now + edge.settings.stream_resume_seconds
            if now >= give_up:
                raise err from None
            log.info("kernel stream broke; resuming", job_id=request.job_id, last_event_seq=last)
            await asyncio.sleep(0.2)
        finally:
            stream.cancel()
