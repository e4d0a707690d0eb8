"""Ports of the kernel domain (``typing.Protocol``): job store, blob store, compiler, driver.

The domain (scheduler, stages, job API) depends on these only; adapters live beside them:
:class:`eigen_kernel.store.SqliteJobStore`, :class:`eigen_kernel.blobs.LocalBlobStore`,
:mod:`eigen_kernel.clients` (gRPC). Implementations raise :mod:`eigen_common.errors` types
(e.g. ``CompilationFailedError``, ``UnavailableError``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from eigen_common.devices import Device
from eigen_kernel.domain import (
    CompiledProgram,
    ErrorRecord,
    EstimateOutcome,
    Evaluation,
    Event,
    ExecutionOutcome,
    IsaCircuit,
    Job,
    JobOutcome,
    Reservation,
    ReservationState,
    Step,
    Submission,
    VendorExecution,
    VendorProgress,
)
from eigen_kernel.states import TaskState


class DuplicateJob(Exception):
    """A job with this id, or the tenant's idempotency key, exists already (a unique key)."""


class TransitionRejected(Exception):
    """The job is terminal already, or the transition is not allowed; carries the current state."""

    def __init__(self, job_id: str, current: TaskState, wanted: TaskState):
        super().__init__(f"job {job_id}: {current} → {wanted} not allowed")
        self.current = current


@dataclass(frozen=True)
class CompiledRef:
    """What the store keeps of a job's compilation.

    Content hashes of the AQO (and hybrid plan) blobs, the compiler's metrics and the AQO's
    symbolic parameter names.
    """

    aqo_sha256: str
    plan_sha256: str = ""
    metrics: dict[str, str] = field(default_factory=dict)
    parameters: tuple[str, ...] = ()


class JobStore(Protocol):
    """Durable jobs, events, outcomes, reservations (SPEC §7: persisted before announced)."""

    def create_job(
        self,
        job_id: str,
        tenant: str,
        owner: str,
        submission: Submission,
        payload_hash: str,
        device_id: str = "",
        message: str = "accepted",
        owner_kernel: str = "",
    ) -> tuple[Job, Event]:
        """Insert a PENDING job with its first event.

        Raises:
            DuplicateJob: the job id, or the tenant's idempotency key, exists already.
        """
        ...

    def get_job(self, job_id: str, tenant: str | None = None) -> Job | None:
        """The job (None when absent or another tenant's)."""
        ...

    def source(self, job_id: str) -> str:
        """The program source of a job."""
        ...

    def find_idempotent(self, tenant: str, key: str) -> Job | None:
        """The tenant's job holding an idempotency key."""
        ...

    def release_idempotency_key(self, job_id: str) -> None:
        """Free an expired idempotency key."""
        ...

    def active_jobs(self, device_id: str | None = None) -> list[Job]:
        """Non-terminal jobs (of one device), oldest first."""
        ...

    def claim_device(self, device_id: str, owner: str, ttl: float) -> bool:
        """Take or renew a device's scheduling lease; False if another live owner holds it."""
        ...

    def release_device(self, device_id: str, owner: str) -> None:
        """Give a device's lease up."""
        ...

    def claim_jobs(self, device_id: str, owner: str) -> list[Job]:
        """Claim every unfinished job of a device whose lease ``owner`` holds."""
        ...

    def claim_job(self, job_id: str, owner: str) -> None:
        """Claim one job."""
        ...

    def claim_new(self, device_id: str, owner: str) -> list[Job]:
        """Claim a leased device's jobs that no kernel works on yet."""
        ...

    def count_active_reservations(self, device_id: str) -> int:
        """Active reservations of a device."""
        ...

    def list_jobs(
        self, tenant: str, states: Iterable[TaskState], page_size: int, page_token: str
    ) -> tuple[list[Job], str]:
        """A page of the tenant's jobs, newest first."""
        ...

    def advance(
        self,
        job_id: str,
        steps: Sequence[Step],
        *,
        device_id: str | None = None,
        queued_at: float | None = None,
        compiled: CompiledRef | None = None,
        evaluation: Evaluation | None = None,
        outcome: JobOutcome | None = None,
        error: ErrorRecord | None = None,
        owner: str | None = None,
    ) -> tuple[Job, list[Event]]:
        """Apply steps and persist their events (and payloads) in one transaction.

        With ``owner``: only if that kernel claimed the job (else TransitionRejected).
        """
        ...

    def compiled(self, job_id: str) -> CompiledRef | None:
        """The job's compiled program reference."""
        ...

    def outcome(self, job_id: str) -> tuple[JobOutcome | None, ErrorRecord | None]:
        """What a terminal job produced."""
        ...

    def events_after(self, job_id: str, after_seq: int, limit: int = 1000) -> list[Event]:
        """Persisted events after ``after_seq``."""
        ...

    def evaluations(self, job_id: str) -> list[Evaluation]:
        """Stored hybrid-loop evaluations."""
        ...

    def create_reservation(self, r: Reservation) -> None:
        """Insert a reservation."""
        ...

    def get_reservation(self, reservation_id: str) -> Reservation | None:
        """A reservation by id."""
        ...

    def list_reservations(
        self, tenant: str, include_ended_since: float | None
    ) -> list[Reservation]:
        """The tenant's reservations."""
        ...

    def active_reservations(self) -> list[Reservation]:
        """All active reservations."""
        ...

    def end_reservation(self, reservation_id: str, state: ReservationState) -> bool:
        """End an active reservation."""
        ...

    def device_stats(self) -> dict[str, tuple[float, int]]:
        """Per-device mean execution seconds and sample counts."""
        ...

    def save_device_stats(self, stats: dict[str, tuple[float, int]]) -> None:
        """Persist per-device statistics."""
        ...

    def get_value(self, key: str) -> str | None:
        """A stored value."""
        ...

    def set_value(self, key: str, value: str) -> None:
        """Store a value."""
        ...

    def terminal_jobs_before(self, before: float, limit: int) -> list[str]:
        """Terminal jobs older than ``before``."""
        ...

    def delete_jobs(self, job_ids: Sequence[str]) -> None:
        """Delete terminal jobs' rows."""
        ...

    def cached_compile(self, key: str) -> CompiledRef | None:
        """A compiled program of the knowledge base by compile key (marks it used)."""
        ...

    def cached_parameters(self, base_key: str) -> tuple[str, ...] | None:
        """The symbolic parameter names of a program compiled before (by its base key)."""
        ...

    def cache_compile(self, key: str, base_key: str, ref: CompiledRef) -> None:
        """Keep a compiled program in the knowledge base."""
        ...

    def prune_compile_cache(self, unused_since: float) -> int:
        """Forget compiled programs unused since then; returns how many."""
        ...

    def blob_in_use(self, aqo_sha256: str = "", plan_sha256: str = "") -> bool:
        """Whether a remaining job references a compiled blob."""
        ...

    def save_execution(self, e: VendorExecution) -> None:
        """Remember a job's vendor execution."""
        ...

    def execution(self, job_id: str) -> VendorExecution | None:
        """A job's vendor execution."""
        ...

    def close(self) -> None:
        """Release the connection."""
        ...


class Feed(Protocol):
    """Notifications between kernels sharing a store (PostgreSQL LISTEN/NOTIFY).

    ``run`` calls ``on_notice(kind, key, origin)`` for each notice another kernel (or this one)
    published: kind ``event`` (key = job id: a new persisted event), ``job`` (key = device id: a
    job accepted for it), ``reservation`` (key = device id). ``origin`` is the publishing
    kernel's id. The embedded SQLite store has no feed (one kernel).
    """

    async def run(self, on_notice: Callable[[str, str, str], None]) -> None:
        """Listen until cancelled."""
        ...


class BlobStore(Protocol):
    """Named immutable byte blobs (QFS level 3 storage): local directory or S3-compatible.

    Keys are ``/``-separated paths of safe segments (``aqo/<sha>.json``,
    ``jobs/<job_id>/history.json``). Writes are atomic (a reader never sees half a blob).
    """

    def put(self, key: str, data: bytes) -> None:
        """Store ``data`` under ``key`` (replacing it)."""
        ...

    def get(self, key: str) -> bytes | None:
        """The blob, or None when absent."""
        ...

    def exists(self, key: str) -> bool:
        """True when the blob exists."""
        ...

    def size(self, key: str) -> int | None:
        """The blob's size in bytes, or None when absent."""
        ...

    def open(self, key: str, chunk_bytes: int) -> Iterator[bytes] | None:
        """The blob in chunks of at most ``chunk_bytes``, or None when absent."""
        ...

    def delete_prefix(self, prefix: str) -> int:
        """Delete every blob under ``prefix``; returns bytes freed."""
        ...


class CompilerPort(Protocol):
    """Compiles a submission's program to AQO (for ``device``'s ISA when given)."""

    async def compile(
        self, job_id: str, submission: Submission, device: Device | None, timeout: float
    ) -> CompiledProgram:
        """Compile; ``timeout`` in seconds."""
        ...


class DriverPort(Protocol):
    """Executes AQO on devices and lists them."""

    async def list_devices(self, timeout: float) -> list[Device]:
        """All devices of all drivers."""
        ...

    async def execute(
        self,
        job_id: str,
        device_id: str,
        aqo_json: bytes,
        shots: int,
        seed: int | None,
        options: Mapping[str, str],
        parameter_values: Mapping[str, float],
        timeout: float,
        *,
        bindings: Sequence[Mapping[str, float]] = (),
        save_state: str = "",
    ) -> ExecutionOutcome:
        """Run a circuit (once, or once per binding of a sweep); ``timeout`` in seconds."""
        ...

    async def estimate(
        self,
        job_id: str,
        device_id: str,
        aqo_json: bytes,
        observable: Sequence[tuple[str, float]],
        bindings: Sequence[Mapping[str, float]],
        shots: int | None,
        seed: int | None,
        timeout: float,
    ) -> EstimateOutcome:
        """Expectation values of ``observable`` for each binding of the parametrised circuit.

        ``shots`` None = exact; otherwise shots per measurement group. ``timeout`` in seconds.
        """
        ...

    async def cancel(self, job_id: str, device_id: str, execution_id: str = "") -> bool:
        """Tell the driver to abandon a job's execution (best effort); True if it had one."""
        ...

    async def start(
        self,
        job_id: str,
        device_id: str,
        aqo_json: bytes,
        shots: int,
        seed: int | None,
        parameter_values: Mapping[str, float],
        timeout: float,
        *,
        bindings: Sequence[Mapping[str, float]] = (),
    ) -> tuple[str, str]:
        """Submit to an asynchronous device; returns (execution id, vendor job id)."""
        ...

    async def wait(
        self, job_id: str, device_id: str, execution_id: str, wait_seconds: float
    ) -> VendorProgress:
        """Wait up to ``wait_seconds`` for a started execution (long poll)."""
        ...

    async def transpile(self, device_id: str, aqo_json: bytes, timeout: float) -> IsaCircuit:
        """The circuit as the device runs it (its driver's own pass manager); not run."""
        ...
