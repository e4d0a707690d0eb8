"""Typed views of the public API's job messages: what the SDK returns instead of raw protobuf.

Every object keeps the message it was read from in ``proto`` (``job.proto``, ``result.proto``),
so nothing of the wire format is out of reach; the typed fields are the ones a program uses::

    job = client.wait(job_id)
    if job.state is JobStatus.DONE:
        counts = client.results(job_id).get_counts()   # {"00": 517, "11": 507}

Bit order everywhere is Qiskit's: in a bitstring, classical bit 0 is the rightmost character.
:class:`JobStatus` is an ``IntEnum`` whose values are the proto's, so ``job.state ==
job_pb2.JOB_STATUS_DONE`` keeps working for code written against the messages.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from google.protobuf.json_format import MessageToDict
from google.protobuf.timestamp_pb2 import Timestamp

from eigen.api.v1 import job_pb2
from eigen_common.errors import Code, Diagnostic, EigenError, InvalidArgumentError
from eigen_common.status import diagnostic_from_proto


class JobStatus(enum.IntEnum):
    """Client-visible job status (``eigen.api.v1.JobStatus``, SPEC §3.1), same numbers."""

    UNSPECIFIED = 0
    COMPILING = 1
    QUEUED = 2
    RUNNING = 3
    DONE = 4
    ERROR = 5
    CANCELLED = 6
    TIMEOUT = 7

    @classmethod
    def of(cls, value: int) -> JobStatus:
        """The member for a proto value (unknown numbers → :attr:`UNSPECIFIED`)."""
        try:
            return cls(value)
        except ValueError:
            return cls.UNSPECIFIED

    @property
    def terminal(self) -> bool:
        """True for DONE, ERROR, CANCELLED and TIMEOUT (final states)."""
        return self in _TERMINAL

    def __str__(self) -> str:
        return self.name


_TERMINAL = frozenset({JobStatus.DONE, JobStatus.ERROR, JobStatus.CANCELLED, JobStatus.TIMEOUT})


def state_name(state: int) -> str:
    """``JOB_STATUS_DONE`` (or 4) → ``DONE``; unknown numbers → ``UNKNOWN(n)``."""
    try:
        return job_pb2.JobStatus.Name(state).removeprefix("JOB_STATUS_")
    except ValueError:
        return f"UNKNOWN({state})"


def parse_state(value: str | int) -> int:
    """``"done"``, ``"DONE"``, ``"JOB_STATUS_DONE"`` or ``4`` → ``JOB_STATUS_DONE``.

    Raises:
        InvalidArgumentError: not a job state.
    """
    if isinstance(value, int):
        if value in job_pb2.JobStatus.values() and value != 0:
            return value
        raise InvalidArgumentError(f"unknown job state {value}")
    name = value.strip().upper().replace("-", "_")
    if not name.startswith("JOB_STATUS_"):
        name = "JOB_STATUS_" + name
    if name == "JOB_STATUS_UNSPECIFIED" or name not in job_pb2.JobStatus.keys():  # noqa: SIM118
        choices = ", ".join(state_name(v) for v in job_pb2.JobStatus.values() if v)
        raise InvalidArgumentError(f"unknown job state {value!r} (one of {choices})")
    return int(job_pb2.JobStatus.Value(name))


class WaitingReason(enum.IntEnum):
    """Why a job waits (``eigen.api.v1.WaitingReason``); :attr:`NONE` when it does not."""

    NONE = 0
    DEPENDENCY = 1
    DEVICE = 2
    RESERVATION = 3
    TENANT_LIMIT = 4
    DEVICE_OFFLINE = 5
    BACKEND_UNAVAILABLE = 6

    @classmethod
    def of(cls, value: int) -> WaitingReason:
        """The member for a proto value (unknown numbers → :attr:`NONE`)."""
        try:
            return cls(value)
        except ValueError:
            return cls.NONE


def _time(msg: Any, name: str) -> dt.datetime | None:
    """A timestamp field as an aware UTC datetime; ``None`` when unset."""
    if not msg.HasField(name):
        return None
    ts: Timestamp = getattr(msg, name)
    return ts.ToDatetime(tzinfo=dt.UTC)


def _opt(msg: Any, name: str) -> Any:
    """An ``optional`` scalar field, ``None`` when not set."""
    return getattr(msg, name) if msg.HasField(name) else None


@dataclass(frozen=True)
class Job:
    """A job as :meth:`EigenClient.status` / :meth:`EigenClient.wait` return it.

    Attributes mirror ``eigen.api.v1.Job``; times are aware UTC datetimes (``None`` = unset),
    ``progress`` is 0..1, ``seed`` is ``None`` when none was given, ``proto`` the message.
    """

    job_id: str
    name: str
    state: JobStatus
    stage: str
    progress: float
    message: str
    target: str
    device_id: str
    priority: int
    shots: int
    created_at: dt.datetime | None
    updated_at: dt.datetime | None
    last_event_seq: int
    error_code: str
    metadata: Mapping[str, str]
    dependencies: tuple[str, ...]
    queue_position: int
    estimated_wait_sec: int
    waiting_reason: WaitingReason
    reservation_id: str
    seed: int | None
    proto: job_pb2.Job = field(repr=False, compare=False)

    @property
    def waiting(self) -> bool:
        """True when the job waits (for a device slot, a dependency, ...: ``waiting_reason``)."""
        return bool(self.queue_position or self.waiting_reason)

    @classmethod
    def from_proto(cls, msg: job_pb2.Job) -> Job:
        """Read a ``Job`` message."""
        return cls(
            job_id=msg.job_id,
            name=msg.name,
            state=JobStatus.of(msg.state),
            stage=msg.stage,
            progress=msg.progress,
            message=msg.message,
            target=msg.target,
            device_id=msg.device_id,
            priority=msg.priority,
            shots=msg.shots,
            created_at=_time(msg, "created_at"),
            updated_at=_time(msg, "updated_at"),
            last_event_seq=msg.last_event_seq,
            error_code=msg.error_code,
            metadata=dict(msg.metadata),
            dependencies=tuple(msg.dependencies),
            queue_position=msg.queue_position,
            estimated_wait_sec=msg.estimated_wait_sec,
            waiting_reason=WaitingReason.of(msg.waiting_reason),
            reservation_id=msg.reservation_id,
            seed=_opt(msg, "seed"),
            proto=msg,
        )


@dataclass(frozen=True)
class JobEvent:
    """One event of a job's update stream (``eigen.api.v1.JobUpdate``, SPEC §3.2).

    ``iteration``/``current_value`` are set on a hybrid job's per-iteration events
    (``current_value`` is ``None`` otherwise); a ``heartbeat`` repeats the last ``event_seq``
    and carries the job's queue information now (``queue_position``, ``estimated_wait_sec``,
    ``waiting_reason``), also while it waits. ``results`` is set on the terminal event of a
    stream opened with ``include_results`` when the server attached them.
    """

    job_id: str
    state: JobStatus
    stage: str
    progress: float
    message: str
    event_seq: int
    timestamp: dt.datetime | None
    heartbeat: bool
    terminal: bool
    iteration: int
    current_value: float | None
    queue_position: int
    estimated_wait_sec: int
    waiting_reason: WaitingReason
    proto: job_pb2.JobUpdate = field(repr=False, compare=False)
    results: JobResult | None = field(default=None, repr=False, compare=False)

    @property
    def waiting(self) -> bool:
        """True when the event says the job waits (a queue place or a reason)."""
        return bool(self.queue_position or self.waiting_reason)

    @classmethod
    def from_proto(cls, msg: job_pb2.JobUpdate, results: JobResult | None = None) -> JobEvent:
        """Read a ``JobUpdate`` message (and the results that came with it, if any)."""
        return cls(
            job_id=msg.job_id,
            state=JobStatus.of(msg.state),
            stage=msg.stage,
            progress=msg.progress,
            message=msg.message,
            event_seq=msg.event_seq,
            timestamp=_time(msg, "timestamp"),
            heartbeat=msg.heartbeat,
            terminal=msg.terminal,
            iteration=msg.iteration,
            current_value=_opt(msg, "current_value"),
            queue_position=msg.queue_position,
            estimated_wait_sec=msg.estimated_wait_sec,
            waiting_reason=WaitingReason.of(msg.waiting_reason),
            proto=msg,
            results=results,
        )


@dataclass(frozen=True)
class OptimizationOutcome:
    """A hybrid job's optimisation (``OptimizationResult``): value, parameters by name, history.

    ``history`` holds the objective value per iteration (possibly the first ones only; the
    whole series is the ``history_ref`` artifact).
    """

    optimal_value: float
    optimal_parameters: Mapping[str, float]
    iterations: int
    success: bool
    history: tuple[float, ...]
    history_ref: str

    @classmethod
    def from_proto(cls, msg: job_pb2.OptimizationResult) -> OptimizationOutcome:
        """Read an ``OptimizationResult`` message."""
        return cls(
            msg.optimal_value,
            dict(msg.optimal_parameters),
            msg.iterations,
            msg.success,
            tuple(msg.history),
            msg.history_ref,
        )


@dataclass(frozen=True)
class SweepResult:
    """The result of one binding of a parameter sweep (``eigen.api.v1.SweepResult``).

    Sampling jobs fill ``counts``; estimation jobs ``expectation_values`` and ``std_errors``,
    one per observable in request order (standard errors 0 when exact).
    """

    parameter_values: Mapping[str, float]
    counts: Mapping[str, int]
    expectation_values: tuple[float, ...]
    std_errors: tuple[float, ...]

    @classmethod
    def from_proto(cls, msg: job_pb2.SweepResult) -> SweepResult:
        """Read a ``SweepResult`` message."""
        return cls(
            dict(msg.parameter_values),
            {k: int(v) for k, v in msg.counts.items()},
            tuple(msg.expectation_values),
            tuple(msg.std_errors),
        )

    def get_counts(self) -> dict[str, int]:
        """Counts of this binding, bitstring (clbit 0 rightmost) → count."""
        return dict(self.counts)


@dataclass(frozen=True)
class ArtifactRef:
    """A stored artifact of a job: ``name`` for ``GetJobArtifact``, its ``qfs://`` ``ref``."""

    name: str
    ref: str
    size_bytes: int
    content_type: str


class JobFailedError(EigenError):
    """A job the caller needed the results of ended ERROR, CANCELLED or TIMEOUT.

    Attributes: ``job_id``, ``state`` (:class:`JobStatus`), ``error_code``, ``result``
    (the :class:`JobResult`); ``diagnostics`` as the compiler reported them.
    """

    code = Code.ABORTED
    reason = "JOB_FAILED"

    def __init__(self, result: JobResult) -> None:
        what = result.error_code or result.state.name
        summary = f": {result.error_summary}" if result.error_summary else ""
        super().__init__(
            f"job {result.job_id} ended {result.state.name} ({what}){summary}",
            metadata={"job_id": result.job_id, "state": result.state.name},
            diagnostics=result.diagnostics,
        )
        self.job_id = result.job_id
        self.state = result.state
        self.error_code = result.error_code
        self.result = result


@dataclass(frozen=True)
class JobResult:
    """Results of a terminal job (``GetJobResultsResponse``), as :meth:`EigenClient.results`.

    Attributes:
        job_id: the job.
        state: its terminal :class:`JobStatus`.
        counts: bitstring (clbit 0 rightmost, Qiskit's order) → count; empty for hybrid,
            estimation and failed jobs.
        metadata: backend, device_id, shots, seed, execution_time_sec, compile metrics, ...
        completed_at: when it ended (aware UTC), or ``None``.
        optimization: a hybrid job's outcome, else ``None``.
        expectation_values: a hybrid job's expectation values by observable name.
        outputs: a hybrid program's returned mapping (JSON values).
        error_code, error_summary, error_details_ref: why it did not end DONE.
        diagnostics: COMPILATION_FAILED: the compiler's findings with line and column.
        sweep_results: sweep jobs: one :class:`SweepResult` per binding, in row order.
        artifacts: the job's stored artifacts.
        proto: the ``GetJobResultsResponse``.
    """

    job_id: str
    state: JobStatus
    counts: Mapping[str, int]
    metadata: Mapping[str, str]
    completed_at: dt.datetime | None
    optimization: OptimizationOutcome | None
    expectation_values: Mapping[str, float]
    outputs: Mapping[str, Any]
    error_code: str
    error_summary: str
    error_details_ref: str
    diagnostics: tuple[Diagnostic, ...]
    sweep_results: tuple[SweepResult, ...]
    artifacts: tuple[ArtifactRef, ...]
    proto: job_pb2.GetJobResultsResponse = field(repr=False, compare=False)

    @classmethod
    def from_proto(cls, msg: job_pb2.GetJobResultsResponse) -> JobResult:
        """Read a ``GetJobResultsResponse`` message."""
        return cls(
            job_id=msg.job_id,
            state=JobStatus.of(msg.state),
            counts={k: int(v) for k, v in msg.counts.items()},
            metadata=dict(msg.metadata),
            completed_at=_time(msg, "completed_at"),
            optimization=(
                OptimizationOutcome.from_proto(msg.optimization)
                if msg.HasField("optimization")
                else None
            ),
            expectation_values=dict(msg.expectation_values),
            outputs=MessageToDict(msg.outputs) if msg.HasField("outputs") else {},
            error_code=msg.error_code,
            error_summary=msg.error_summary,
            error_details_ref=msg.error_details_ref,
            diagnostics=tuple(diagnostic_from_proto(d) for d in msg.diagnostics),
            sweep_results=tuple(SweepResult.from_proto(s) for s in msg.sweep_results),
            artifacts=tuple(
                ArtifactRef(a.name, a.ref, a.size_bytes, a.content_type) for a in msg.artifacts
            ),
            proto=msg,
        )

    @property
    def ok(self) -> bool:
        """True when the job ended DONE."""
        return self.state is JobStatus.DONE

    def raise_for_state(self) -> JobResult:
        """Return ``self`` if the job ended DONE.

        Raises:
            JobFailedError: it ended ERROR, CANCELLED or TIMEOUT.
        """
        if not self.ok:
            raise JobFailedError(self)
        return self

    def get_counts(self, index: int | None = None) -> dict[str, int]:
        """Counts, bitstring → count, with classical bit 0 rightmost (Qiskit's order).

        Args:
            index: for a sweep job, the binding (row) whose counts to return; ``None`` for an
                ordinary job.

        Raises:
            IndexError: ``index`` is not a row of the sweep.
            ValueError: ``index`` given for a job without a sweep.
        """
        if index is None:
            return dict(self.counts)
        if not self.sweep_results:
            raise ValueError(f"job {self.job_id} has no sweep; call get_counts() without index")
        return self.sweep_results[index].get_counts()


__all__ = [
    "ArtifactRef",
    "Job",
    "JobEvent",
    "JobFailedError",
    "JobResult",
    "JobStatus",
    "OptimizationOutcome",
    "SweepResult",
    "WaitingReason",
    "parse_state",
    "state_name",
]
