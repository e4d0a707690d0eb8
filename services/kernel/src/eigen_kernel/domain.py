"""Kernel domain types (no grpc, no generated code, no storage).

Times are Unix seconds (float) unless a name says otherwise.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any

from eigen_kernel.states import TaskState

#: Estimation jobs: one observable = Pauli terms ``(label, coefficient)``, Qiskit label order.
ObservableTerms = tuple[tuple[str, float], ...]


@dataclass(frozen=True)
class Sweep:
    """A parameter sweep (Qiskit PUB with an array of parameter values).

    ``parameters`` names the columns; each row of ``rows`` has one value per parameter
    (radians); ``shape`` is the binding array's shape (product = ``len(rows)``; empty = 1-D).
    """

    parameters: tuple[str, ...]
    rows: tuple[tuple[float, ...], ...]
    shape: tuple[int, ...] = ()

    def bindings(self) -> list[dict[str, float]]:
        """One ``{name: value}`` per row, in row order."""
        return [dict(zip(self.parameters, row, strict=True)) for row in self.rows]


class SavedState(enum.StrEnum):
    """Final simulator state a job keeps as an artifact (QFS level 2); NONE keeps none."""

    NONE = ""
    STATEVECTOR = "statevector"
    DENSITY_MATRIX = "density_matrix"
    MATRIX_PRODUCT_STATE = "matrix_product_state"


@dataclass(frozen=True)
class Submission:
    """A validated job submission (seed 002 SubmitJobRequest fields + SPEC §3 additions).

    ``language`` is ``eigen-lang``, ``qasm`` or ``aqo-ref``; ``source`` holds the program text
    (or the AQO reference URI); ``timeout_seconds`` is wall-clock from acceptance.
    ``sweep``/``observables``/``precision`` make it a sweep or an estimation job (SPEC §15).
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
    sweep: Sweep | None = None
    observables: tuple[ObservableTerms, ...] = ()
    precision: float | None = None
    save_state: SavedState = SavedState.NONE

    def to_json(self) -> dict[str, Any]:
        """JSON-safe dict (stored in the job row; served as ``input/job.yaml``)."""
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
            "sweep": None
            if self.sweep is None
            else {
                "parameters": list(self.sweep.parameters),
                "rows": [list(r) for r in self.sweep.rows],
                "shape": list(self.sweep.shape),
            },
            "observables": [[list(t) for t in obs] for obs in self.observables],
            "precision": self.precision,
            "save_state": self.save_state.value,
        }

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Submission:
        """Inverse of :meth:`to_json` (older rows without the newer keys load too)."""
        d = dict(d)
        d["dependencies"] = tuple(d.get("dependencies", ()))
        sw = d.pop("sweep", None)
        d["sweep"] = (
            None
            if not sw
            else Sweep(
                tuple(sw["parameters"]),
                tuple(tuple(float(v) for v in r) for r in sw["rows"]),
                tuple(sw.get("shape", ())),
            )
        )
        d["observables"] = tuple(
            tuple((str(lab), float(c)) for lab, c in obs) for obs in d.get("observables", ())
        )
        d["save_state"] = SavedState(d.get("save_state", ""))
        return cls(**d)

    @property
    def is_estimation(self) -> bool:
        """True for an estimation job (expectation values instead of counts)."""
        return bool(self.observables)


@dataclass(frozen=True)
class Job:
    """A job row: identity, owner, current state and bookkeeping.

    ``deadline`` is ``created_at + timeout_seconds`` or None; ``queued_at`` is when it entered
    its device's queue (None before; kept across restarts so aging survives them);
    ``device_id`` is the device its target resolved to at submission.
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
    queued_at: float | None = None


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
class Step:
    """One state change to persist (an event to be).

    ``progress`` 0..1, or None to keep the current; ``iteration``/``value`` for hybrid
    iterations.
    """

    state: TaskState
    message: str
    progress: float | None = None
    iteration: int = 0
    value: float | None = None


@dataclass(frozen=True)
class Evaluation:
    """One stored hybrid-loop evaluation: iteration (1-based), point, value, standard error."""

    iteration: int
    point: tuple[float, ...]
    value: float
    std_error: float = 0.0


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
    """Driver output: counts (bitstring → count, clbit 0 rightmost), seconds, metadata.

    ``sweep_counts``: one counts map per binding of a sweep, in row order; ``saved_state``:
    the final state as ``.npy`` bytes when asked for.
    """

    counts: dict[str, int]
    execution_time_sec: float
    metadata: dict[str, str]
    sweep_counts: tuple[dict[str, int], ...] = ()
    saved_state: bytes = b""


@dataclass(frozen=True)
class IsaCircuit:
    """A circuit as its device runs it (the driver-manager's TranspileCircuit answer).

    ``aqo_json``: the ISA circuit (canonical AQO) over the device's physical qubits;
    ``initial_layout``/``final_layout``: physical qubit of each virtual qubit at the start and
    the end; ``gate_counts``: lower-case name → count; ``metadata``: how it was transpiled.
    """

    device_id: str
    aqo_json: bytes
    initial_layout: tuple[int, ...]
    final_layout: tuple[int, ...]
    depth: int
    two_qubit_gates: int
    gate_counts: dict[str, int]
    active_qubits: tuple[int, ...]
    metadata: dict[str, str]


@dataclass(frozen=True)
class VendorExecution:
    """An execution on an asynchronous device.

    ``execution_id`` is the driver-manager's handle (it names the vendor job, stable across
    restarts); ``vendor_job_id`` the vendor's own id.
    """

    job_id: str
    device_id: str
    execution_id: str
    vendor_job_id: str
    started_at: float


@dataclass(frozen=True)
class VendorProgress:
    """An answer of AwaitExecution.

    ``outcome`` once ``done``; the vendor's status word and queue position meanwhile.
    """

    done: bool
    outcome: ExecutionOutcome | None = None
    vendor_status: str = ""
    queue_position: int | None = None


@dataclass(frozen=True)
class EstimateOutcome:
    """Driver output of an estimate: one value and standard error per binding, in order."""

    values: list[float]
    std_errors: list[float]
    execution_time_sec: float
    metadata: dict[str, str]


@dataclass(frozen=True)
class SweepPoint:
    """Result of one binding of a sweep: its values, counts or expectation values."""

    parameter_values: dict[str, float]
    counts: dict[str, int] = field(default_factory=dict)
    expectation_values: tuple[float, ...] = ()
    std_errors: tuple[float, ...] = ()


@dataclass(frozen=True)
class JobOutcome:
    """What a finished job produced (persisted with its terminal event, in one transaction).

    ``counts``: bitstring → count (clbit 0 rightmost; sums to shots); ``metadata``: strings;
    ``optimization``/``outputs``: hybrid jobs; ``sweep``: sweep/estimation jobs;
    ``artifacts``: names of blob artifacts written for it (``history.json``, ``state.npy``).
    """

    counts: dict[str, int] = field(default_factory=dict)
    metadata: dict[str, str] = field(default_factory=dict)
    optimization: dict[str, Any] = field(default_factory=dict)
    outputs: dict[str, Any] = field(default_factory=dict)
    sweep: tuple[SweepPoint, ...] = ()
    artifacts: tuple[str, ...] = ()


@dataclass(frozen=True)
class ErrorRecord:
    """Why a job ended ERROR/CANCELLED/TIMEOUT (persisted with its terminal event).

    ``diagnostics``: compiler findings as dicts (rule, message, line, column, hint, severity).
    """

    error_code: str
    summary: str
    diagnostics: tuple[dict[str, Any], ...] = ()


@dataclass(frozen=True)
class JobResults:
    """Results of a terminal job (domain form of ``GetJobResultsResponse``)."""

    job: Job
    outcome: JobOutcome
    error: ErrorRecord | None


class WaitingReason(enum.StrEnum):
    """Why a job waits (SPEC §12; names of ``eigen.api.v1.WaitingReason`` without prefix)."""

    UNSPECIFIED = "UNSPECIFIED"
    DEPENDENCY = "DEPENDENCY"
    DEVICE = "DEVICE"
    RESERVATION = "RESERVATION"
    TENANT_LIMIT = "TENANT_LIMIT"
    DEVICE_OFFLINE = "DEVICE_OFFLINE"
    BACKEND_UNAVAILABLE = "BACKEND_UNAVAILABLE"


@dataclass(frozen=True)
class QueueInfo:
    """Where a job stands in line (SPEC §12 "an explained queue").

    ``position``: 1 = next on its device, 0 when not waiting for a device; ``wait_seconds``:
    estimated seconds until it runs (0 only when nothing is ahead and a slot is free);
    ``message``: the same in words.
    """

    position: int = 0
    wait_seconds: int = 0
    reason: WaitingReason = WaitingReason.UNSPECIFIED
    message: str = ""


NOT_WAITING = QueueInfo()


class ReservationState(enum.StrEnum):
    """State of a reservation (names of ``eigen.api.v1.ReservationState`` without prefix)."""

    ACTIVE = "ACTIVE"
    EXPIRED = "EXPIRED"
    CANCELLED = "CANCELLED"


@dataclass(frozen=True)
class Reservation:
    """One slot of a device held for a tenant until ``expires_at`` (SPEC §12)."""

    reservation_id: str
    tenant: str
    owner: str
    device_id: str
    purpose: str
    state: ReservationState
    created_at: float
    starts_at: float
    expires_at: float
    active_jobs: int = 0
