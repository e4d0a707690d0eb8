"""Conversions between kernel domain types and ``eigen.api.v1`` / ``eigen.kernel.v1`` messages."""

from __future__ import annotations

from typing import cast

from google.protobuf import struct_pb2, timestamp_pb2

from eigen.api.v1 import device_pb2, job_pb2
from eigen_common import errors
from eigen_common.device_proto import device_to_public
from eigen_common.devices import Device
from eigen_common.status import diagnostic_to_proto
from eigen_kernel.domain import Event, Job, Submission
from eigen_kernel.scheduler import Heartbeat, JobResults
from eigen_kernel.states import CLIENT_STATUS, TERMINAL, ClientStatus, TaskState

_STATUS_TO_PROTO = {s: job_pb2.JobStatus.Value(f"JOB_STATUS_{s.value}") for s in ClientStatus}
_PROTO_TO_TASK: dict[int, list[TaskState]] = {}
for _t, _c in CLIENT_STATUS.items():
    _PROTO_TO_TASK.setdefault(_STATUS_TO_PROTO[_c], []).append(_t)


def status_of(state: TaskState) -> job_pb2.JobStatus:
    """``eigen.api.v1.JobStatus`` value of a task state (seed mapping)."""
    return cast(job_pb2.JobStatus, _STATUS_TO_PROTO[CLIENT_STATUS[state]])


def task_states(statuses: list[int]) -> list[TaskState]:
    """Task states behind a list of client statuses (ListJobs filter)."""
    out: list[TaskState] = []
    for s in statuses:
        out.extend(_PROTO_TO_TASK.get(s, []))
    return out


def ts(seconds: float) -> timestamp_pb2.Timestamp:
    """Unix seconds → Timestamp."""
    t = timestamp_pb2.Timestamp()
    t.FromNanoseconds(int(seconds * 1e9))
    return t


def submission_from_proto(req: job_pb2.SubmitJobRequest) -> Submission:
    """Domain submission from a (validated) public request.

    Raises:
        ValidationError: no program given.
    """
    which = req.WhichOneof("program")
    if which == "eigen_lang":
        language, source, entry, ver = (
            "eigen-lang",
            req.eigen_lang.source,
            req.eigen_lang.entrypoint,
            "",
        )
    elif which == "qasm":
        language, source, entry, ver = "qasm", req.qasm.source, "", req.qasm.version
    elif which == "aqo_ref":
        language, source, entry, ver = "aqo-ref", req.aqo_ref.uri, "", ""
    else:
        raise errors.ValidationError([errors.FieldViolation("program", "is required")])
    return Submission(
        name=req.name,
        language=language,
        source=source,
        target=req.target,
        entrypoint=entry,
        qasm_version=ver,
        priority=req.priority if req.HasField("priority") else 50,
        compiler_options=dict(req.compiler_options),
        metadata=dict(req.metadata),
        dependencies=tuple(req.dependencies),
        shots=req.shots if req.HasField("shots") else None,
        seed=req.seed if req.HasField("seed") else None,
        inputs=dict(req.inputs),
        timeout_seconds=req.timeout_seconds if req.HasField("timeout_seconds") else None,
        idempotency_key=req.idempotency_key,
        reservation_id=req.reservation_id,
    )


def job_to_proto(job: Job) -> job_pb2.Job:
    """Public ``Job`` message."""
    sub = job.submission
    return job_pb2.Job(
        job_id=job.job_id,
        name=sub.name,
        state=status_of(job.state),
        stage=job.state.value,
        progress=job.progress,
        message=job.message,
        target=sub.target,
        device_id=job.device_id,
        priority=sub.priority,
        shots=sub.shots or 0,
        created_at=ts(job.created_at),
        updated_at=ts(job.updated_at),
        last_event_seq=job.last_event_seq,
        error_code=job.error_code,
        metadata=sub.metadata,
        dependencies=list(sub.dependencies),
    )


def event_to_proto(item: Event | Heartbeat) -> job_pb2.JobUpdate:
    """Public ``JobUpdate`` for an event or a heartbeat."""
    if isinstance(item, Heartbeat):
        return job_pb2.JobUpdate(
            job_id=item.job.job_id,
            state=status_of(item.job.state),
            stage=item.job.state.value,
            progress=item.job.progress,
            message="heartbeat",
            event_seq=item.seq,
            timestamp=ts(item.timestamp),
            heartbeat=True,
        )
    upd = job_pb2.JobUpdate(
        job_id=item.job_id,
        state=status_of(item.state),
        stage=item.state.value,
        progress=item.progress,
        message=item.message,
        event_seq=item.seq,
        timestamp=ts(item.timestamp),
        terminal=item.terminal,
        iteration=item.iteration,
    )
    if item.value is not None:
        upd.current_value = item.value
    return upd


#: Values of the convergence history sent inline; the full history is at ``history_ref``.
MAX_INLINE_HISTORY = 100_000


def results_to_proto(r: JobResults) -> job_pb2.GetJobResultsResponse:
    """Public ``GetJobResultsResponse``."""
    job = r.job
    resp = job_pb2.GetJobResultsResponse(
        job_id=job.job_id,
        state=status_of(job.state),
        counts=r.counts,
        metadata=r.metadata,
        completed_at=ts(job.updated_at),
        outputs=struct_pb2.Struct(),
    )
    if r.outputs:
        resp.outputs.update(r.outputs)
    opt = r.optimization
    if opt:
        resp.optimization.CopyFrom(
            job_pb2.OptimizationResult(
                optimal_value=float(opt["optimal_value"]),
                optimal_parameters={k: float(v) for k, v in opt["optimal_parameters"].items()},
                iterations=int(opt["iterations"]),
                success=bool(opt["success"]),
                history=[float(v) for v in opt.get("history", [])[:MAX_INLINE_HISTORY]],
                history_ref=opt.get("history_ref", ""),
            )
        )
        resp.metadata["optimizer.message"] = str(opt.get("message", ""))[:500]
    if job.state != TaskState.COMPLETED and job.state in TERMINAL:
        resp.error_code = job.error_code or r.error.get("error_code", "")
        resp.error_summary = job.error_summary or r.error.get("summary", "")
        resp.error_details_ref = f"qfs://jobs/{job.job_id}/error.json"
        for d in r.error.get("diagnostics", []):
            resp.diagnostics.append(
                diagnostic_to_proto(
                    errors.Diagnostic(
                        rule=d.get("rule", ""),
                        message=d.get("message", ""),
                        line=int(d.get("line", 0)),
                        column=int(d.get("column", 0)),
                        hint=d.get("hint", ""),
                        severity=d.get("severity", "error"),
                    )
                )
            )
    return resp


def device_to_proto(d: Device) -> device_pb2.Device:
    """Public ``Device`` message."""
    return device_to_public(d)
