"""Small helpers shared by the cross-service tests (no sleeps: waiting uses the event stream)."""

from __future__ import annotations

from typing import Any

import grpc

from eigen.api.v1 import common_pb2, job_pb2
from eigen_common import errors
from eigen_common.status import from_rpc_error

TERMINAL = {
    job_pb2.JOB_STATUS_DONE,
    job_pb2.JOB_STATUS_ERROR,
    job_pb2.JOB_STATUS_CANCELLED,
    job_pb2.JOB_STATUS_TIMEOUT,
}


def qasm_request(source: str, name: str = "t", **kw: Any) -> job_pb2.SubmitJobRequest:
    """A SubmitJobRequest for an OpenQASM program on sim:local."""
    req = job_pb2.SubmitJobRequest(
        name=name, target=kw.pop("target", "sim:local"), qasm=common_pb2.QasmSource(source=source)
    )
    for k, v in kw.items():
        if k == "dependencies":
            req.dependencies.extend(v)
        else:
            setattr(req, k, v)
    return req


def submit(api: Any, req: job_pb2.SubmitJobRequest) -> str:
    """Submit and return the job id."""
    return api.jobs.SubmitJob(req, metadata=api.metadata, timeout=30).job_id


def stream(api: Any, job_id: str, after: int = 0, timeout: float = 120) -> list[job_pb2.JobUpdate]:
    """All updates of a job's stream until the server closes it."""
    req = job_pb2.StreamJobUpdatesRequest(job_id=job_id, last_event_seq=after)
    return [
        m.update for m in api.jobs.StreamJobUpdates(req, metadata=api.metadata, timeout=timeout)
    ]


def wait(api: Any, job_id: str, timeout: float = 120) -> job_pb2.GetJobResultsResponse:
    """Wait for the terminal event, then fetch results."""
    ups = stream(api, job_id, timeout=timeout)
    assert ups and ups[-1].terminal, f"stream of {job_id} ended without a terminal event"
    return api.jobs.GetJobResults(
        job_pb2.GetJobResultsRequest(job_id=job_id), metadata=api.metadata, timeout=30
    )


def call_error(fn: Any, req: Any, api: Any) -> errors.EigenError:
    """Call ``fn`` expecting failure; return the typed error."""
    try:
        fn(req, metadata=api.metadata, timeout=30)
    except grpc.RpcError as exc:
        return from_rpc_error(exc)
    raise AssertionError("call succeeded but an error was expected")
