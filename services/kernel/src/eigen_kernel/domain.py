"""Kernel domain types (no grpc, no generated code)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from eigen_kernel.states import TaskState


@dataclass(frozen=True)
class Submission:
    """A validated job submission (seed 002 SubmitJobRequest fields + SPEC §3 additions).

    ``language`` is ``eigen-lang``, ``qasm`` or ``aqo-ref``; ``source`` holds the program text
    (or the AQO reference URI); ``timeout_seconds`` is wall-clock from acceptance.
    """

    name: str
    language: str
    source: str
    target: str
    entrypoint: str = ""
    qasm_version: str = ""
    priority: int = 50
    compiler_options: dict[str, str] = field(default_factory=dict)
    metadata: dict[str, str] = field(default_factory=dict)
    dependencies: tuple[str, ...] = ()
    shots: int | None = None
    seed: int | None = None
    inputs: dict[str, float] = field(default_factory=dict)
    timeout_seconds: float | None = None
    idempotency_key: str = ""
    reservation_id: str = ""

    def to_json(self) -> dict[str, Any]:
        """JSON-safe dict (stored in the job row and as QFS ``input/job.yaml``)."""
        return {
            "name": self.name,
            "language": self.language,
            "source": self.source,
            "target": self.target,
            "entrypoint": self.entrypoint,
            "qasm_version": self.qasm_version,
            "priority": self.priority,
            "compiler_options": dict(self.compiler_options),
            "metadata": dict(self.metadata),
            "dependencies": list(self.dependencies),
            "shots": self.shots,
            "seed": self.seed,
            "inputs": dict(self.inputs),
            "timeout_seconds": self.timeout_seconds,
            "idempotency_key": self.idempotency_key,
            "reservation_id": self.reservation_id,
        }

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Submission:
        """Inverse of :meth:`to_json`."""
        d = dict(d)
        d["dependencies"] = tuple(d.get("dependencies", ()))
        return cls(**d)


@dataclass(frozen=True)
class Job:
    """A job row: identity, owner, current state and bookkeeping.

    Times are Unix seconds (float). ``deadline`` is ``created_at + timeout_seconds`` or None.
    """

    job_id: str
    tenant: str
    owner: str
    submission: Submission
    state: TaskState
    device_id: str
    progress: float
    message: str
    created_at: float
    updated_at: float
    last_event_seq: int
    error_code: str
    error_summary: str
    deadline: float | None
    payload_hash: str


@dataclass(frozen=True)
class Event:
    """One persisted job event (SPEC §3.2): ``seq`` is 1, 2, 3, ... per job."""

    job_id: str
    seq: int
    state: TaskState
    progress: float
    message: str
    timestamp: float
    terminal: bool
    iteration: int = 0
    value: float | None = None


@dataclass(frozen=True)
class CompiledProgram:
    """Compiler output: canonical AQO bytes, metrics (strings) and optional hybrid plan.

    ``parameters``: the AQO's symbolic parameter names (sorted); job ``inputs`` with these
    names are bound at execution (Pattern A), not compiled in.
    """

    aqo_json: bytes
    aqo_sha256: str
    metrics: dict[str, str]
    hybrid_plan_json: bytes = b""
    parameters: tuple[str, ...] = ()


@dataclass(frozen=True)
class ExecutionOutcome:
    """Driver output: counts (bitstring → count, clbit 0 rightmost), seconds, metadata."""

    counts: dict[str, int]
    execution_time_sec: float
    metadata: dict[str, str]


@dataclass(frozen=True)
class EstimateOutcome:
    """Driver output of an estimate: one value and standard error per binding, in order."""

    values: list[float]
    std_errors: list[float]
    execution_time_sec: float
    metadata: dict[str, str]
