"""Conversions between kernel domain types and ``eigen.api.v1`` / ``eigen.kernel.v1`` messages."""

from __future__ import annotations

from typing import cast

from google.protobuf import struct_pb2, timestamp_pb2

from eigen.api.v1 import device_pb2, job_pb2
from eigen_common import errors
from eigen_common.device_proto import device_to_public
from eigen_common.devices import Device
from eigen_common.status import diagnostic_to_proto
from eigen_kernel.artifacts import ArtifactInfo, ref
from eigen_kernel.domain import (
    Job,
    JobResults,
    QueueInfo,
    Reservation,
    SavedState,
    Submission,
    Sweep,
    WaitingReason,
)
from eigen_kernel.jobs import Heartbeat, Update
from eigen_kernel.states import CLIENT_STATUS, TERMINAL, ClientStatus, TaskState

_STATUS_TO_PROTO = {s: job_pb2.JobStatus.Value(f"JOB_STATUS_{s.value}") for s in ClientStatus}
_PROTO_TO_TASK: dict[int, list[TaskState]] = {}
for _t, _c in CLIENT_STATUS.items():
    _PROTO_TO_TASK.setdefault(_STATUS_TO_PROTO[_c], []).append(_t)
_REASON_TO_PROTO = {
    r: job_pb2.WaitingReason.Value(f"WAITING_REASON_{r.value}") for r in WaitingReason
}
_SAVED_STATE = {
    job_pb2.SAVED_STATE_UNSPECIFIED: SavedState.NONE,
    job_pb2.SAVED_STATE_STATEVECTOR: SavedState.STATEVECTOR,
    job_pb2.SAVED_STATE_DENSITY_MATRIX: SavedState.DENSITY_MATRIX,
    job_pb2.SAVED_STATE_MATRIX_PRODUCT_STATE: SavedState.MATRIX_PRODUCT_STATE,
}

#: Values of the convergence history sent inline; the full history is at ``history_ref``.
MAX_INLINE_HISTORY = 100_000


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
        ValidationError: no program given, or a SavedState value this kernel does not know.
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
    if req.save_state not in _SAVED_STATE:
        raise errors.ValidationError([errors.FieldViolation("save_state", "unknown value")])
    sweep = None
    if req.HasField("sweep") and req.sweep.bindings:  # a sweep of no parameters has rows too
        sweep = Sweep(
            tuple(req.sweep.parameters),
            tuple(tuple(r.values) for r in req.sweep.bindings),
            tuple(req.sweep.shape),
        )
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
        sweep=sweep,
        observables=tuple(
            tuple((t.label, t.coefficient) for t in o.terms) for o in req.observables
        ),
        precision=req.precision if req.HasField("precision") else None,
        save_state=_SAVED_STATE[req.save_state],
    )


def job_to_proto(job: Job, queue: QueueInfo, shots: int) -> job_pb2.Job:
    """Public ``Job`` message.

    ``queue`` explains where it waits (SPEC §12); ``shots`` are the effective shots
    (requested, else the program's, else the default).
    """
    sub = job.submission
    msg = job_pb2.Job(
        job_id=job.job_id,
        name=sub.name,
        state=status_of(job.state),
        stage=job.state.value,
        progress=job.progress,
        message=queue.message or job.message,
        target=sub.target,
        device_id=job.device_id,
        priority=sub.priority,
        shots=shots,
        created_at=ts(job.created_at),
        updated_at=ts(job.updated_at),
        last_event_seq=job.last_event_seq,
        error_code=job.error_code,
        metadata=sub.metadata,
        dependencies=list(sub.dependencies),
        queue_position=queue.position,
        estimated_wait_sec=queue.wait_seconds,
        waiting_reason=cast(job_pb2.WaitingReason, _REASON_TO_PROTO[queue.reason]),
        reservation_id=sub.reservation_id,
    )
    if sub.seed is not None:
        msg.seed = sub.seed
    return msg


def update_to_proto(item: Update | Heartbeat) -> job_pb2.JobUpdate:
    """Public ``JobUpdate`` for an event or a heartbeat, with the queue information."""
    if isinstance(item, Heartbeat):
        q = item.queue
        return job_pb2.JobUpdate(
            job_id=item.job.job_id,
            state=status_of(item.job.state),
            stage=item.job.state.value,
            progress=item.job.progress,
            message=q.message or "heartbeat",
            event_seq=item.seq,
            timestamp=ts(item.timestamp),
            heartbeat=True,
            queue_position=q.position,
            estimated_wait_sec=q.wait_seconds,
            waiting_reason=cast(job_pb2.WaitingReason, _REASON_TO_PROTO[q.reason]),
        )
    e, q = item.event, item.queue
    upd = job_pb2.JobUpdate(
        job_id=e.job_id,
        state=status_of(e.state),
        stage=e.state.value,
        progress=e.progress,
        message=e.message if not q.message else f"{e.message} — {q.message}",
        event_seq=e.seq,
        timestamp=ts(e.timestamp),
        terminal=e.terminal,
        iteration=e.iteration,
        queue_position=q.position,
        estimated_wait_sec=q.wait_seconds,
        waiting_reason=cast(job_pb2.WaitingReason, _REASON_TO_PROTO[q.reason]),
    )
    if e.value is not None:
        upd.current_value = e.value
    return upd


def results_to_proto(
    r: JobResults, artifacts: list[ArtifactInfo] | None = None
) -> job_pb2.GetJobResultsResponse:
    """Public ``GetJobResultsResponse``."""
    job, o = r.job, r.outcome
    resp = job_pb2.GetJobResultsResponse(
        job_id=job.job_id,
        state=status_of(job.state),
        counts=o.counts,
        metadata=o.metadata,
        completed_at=ts(job.updated_at),
        outputs=struct_pb2.Struct(),
    )
    if o.outputs:
        resp.outputs.update(o.outputs)
    opt = o.optimization
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
    for p in o.sweep:
        resp.sweep_results.add(
            parameter_values=p.parameter_values,
            counts=p.counts,
            expectation_values=list(p.expectation_values),
            std_errors=list(p.std_errors),
        )
    if job.state != TaskState.COMPLETED and job.state in TERMINAL:
        err = r.error
        resp.error_code = job.error_code or (err.error_code if err else "")
        resp.error_summary = job.error_summary or (err.summary if err else "")
        resp.error_details_ref = ref(job.job_id, "error.json")
        for d in err.diagnostics if err else ():
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
    for a in artifacts or ():
        resp.artifacts.add(
            name=a.name, ref=a.ref, size_bytes=a.size_bytes, content_type=a.content_type
        )
    return resp


def device_to_proto(d: Device, reserved_slots: int = 0) -> device_pb2.Device:
    """Public ``Device`` message."""
    msg: device_pb2.Device = device_to_public(d, reserved_slots)
    return msg


_RES_STATE = {
    s: device_pb2.ReservationState.Value(f"RESERVATION_STATE_{s}")
    for s in ("ACTIVE", "EXPIRED", "CANCELLED")
}


def reservation_to_proto(r: Reservation) -> device_pb2.Reservation:
    """Public ``Reservation`` message."""
    return device_pb2.Reservation(
        reservation_id=r.reservation_id,
        device_id=r.device_id,
        purpose=r.purpose,
        state=cast(device_pb2.ReservationState, _RES_STATE[r.state.value]),
        created_at=ts(r.created_at),
        starts_at=ts(r.starts_at),
        expires_at=ts(r.expires_at),
        active_jobs=r.active_jobs,
    )
