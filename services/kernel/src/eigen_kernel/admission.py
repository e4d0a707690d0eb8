"""The admission stage: validate → compile → QUEUED (seed 003 §3 step 2).

A job the compile cache already knows is recorded PENDING → VALIDATING → COMPILING → QUEUED
in one transaction (three events, one commit); otherwise the compiler is called (waiting out an
outage) and the result stored by content hash. The job's shots and seed are checked here, so a
program declaring impossible ones fails before it waits for a device.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace

from eigen_common import errors, tracing
from eigen_common.devices import Device
from eigen_kernel import metrics
from eigen_kernel.artifacts import Artifacts
from eigen_kernel.catalog import DeviceCatalog
from eigen_kernel.compile_cache import CompileCache
from eigen_kernel.domain import CompiledProgram, Job, Step, Submission
from eigen_kernel.lifecycle import Lifecycle
from eigen_kernel.ports import CompilerPort, JobStore
from eigen_kernel.retry import Patience
from eigen_kernel.states import TaskState

#: Largest ``shots`` a job may run with (SPEC §3: 1..10^7), the one home of this limit.
MAX_SHOTS = 10_000_000
#: Shots when neither the request nor the program says.
DEFAULT_SHOTS = 1024


@dataclass(frozen=True)
class RunOptions:
    """Shots and seed of a job by precedence: request > program decorator > default."""

    shots: int
    seed: int | None


def run_options(sub: Submission, metrics_: dict[str, str]) -> RunOptions:
    """Resolve shots and seed (SPEC §4: CLI > job.yaml > decorator defaults in the program).

    Raises:
        InvalidArgumentError: the program declares shots outside 1..10^7 or a seed outside
            0..2^63-1 (the request's own values were checked at the edge), reason
            ``INVALID_PROGRAM_OPTION``.
    """
    shots = sub.shots or _int(metrics_.get("program.shots")) or DEFAULT_SHOTS
    seed = sub.seed if sub.seed is not None else _int(metrics_.get("program.seed"))
    if not 1 <= shots <= MAX_SHOTS:
        raise errors.InvalidArgumentError(
            f"shots={shots} is outside 1..{MAX_SHOTS}", reason="INVALID_PROGRAM_OPTION"
        )
    if seed is not None and not 0 <= seed < 2**63:
        raise errors.InvalidArgumentError(
            f"seed={seed} is outside 0..2^63-1", reason="INVALID_PROGRAM_OPTION"
        )
    return RunOptions(shots, seed)


def _int(v: str | None) -> int | None:
    try:
        return int(v) if v not in (None, "") else None
    except ValueError:
        return None


class Admission:
    """Compiles a job and records it QUEUED (its queue entry is made by the runtime)."""

    def __init__(
        self,
        lifecycle: Lifecycle,
        store: JobStore,
        artifacts: Artifacts,
        compiler: CompilerPort,
        cache: CompileCache,
        catalog: DeviceCatalog,
        patience: Patience,
        compile_timeout: float,
    ):
        self._lifecycle = lifecycle
        self._store = store
        self._artifacts = artifacts
        self._compiler = compiler
        self._cache = cache
        self._catalog = catalog
        self._patience = patience
        self._timeout = compile_timeout

    async def run(self, job: Job, queued_message: str, queued_at: float | None) -> Job:
        """Compile ``job`` (PENDING, VALIDATING or COMPILING after a restart) → QUEUED.

        ``queued_message`` is the QUEUED event's message (it says what the job waits for);
        ``queued_at`` is recorded as the time it entered its device's queue (None while it
        still waits for dependencies).

        Raises:
            JobEnded: the job ended meanwhile (cancelled, timed out).
            CompilationFailedError, InvalidArgumentError, UnavailableError: the job must fail.
        """
        sub = job.submission
        with tracing.job_span(
            "admission",
            job.job_id,
            adopt=True,  # runs in the task EnqueueJob started: the submission's trace
            tenant=job.tenant,
            device=job.device_id,
            language=sub.language,
            shots=sub.shots or None,
        ):
            return await self._admit(job, queued_message, queued_at)

    async def _admit(self, job: Job, queued_message: str, queued_at: float | None) -> Job:
        t0 = time.perf_counter()
        sub = replace(job.submission, source=self._store.source(job.job_id))
        device = self._catalog.find(job.device_id)
        early = []
        if job.state == TaskState.PENDING:
            early.append(Step(TaskState.VALIDATING, "validating", 0.05))
        restarted = job.state == TaskState.COMPILING
        early.append(
            Step(
                TaskState.COMPILING,
                "recompiling after kernel restart" if restarted else "compiling",
                0.1,
            )
        )
        compiled = self._cache.get(sub, job.device_id)
        if compiled is not None:
            metrics.COMPILE_CACHE.labels("hit").inc()
            tracing.annotate(compile_cache="hit")
            compiled = replace(compiled, metrics={**compiled.metrics, "cache": "hit"})
        else:
            job = self._lifecycle.advance(job, *early)
            early = []
            compiled = await self._compile(job, sub, device)
            self._cache.put(sub, compiled, job.device_id)
            metrics.COMPILE_CACHE.labels("miss").inc()
            tracing.annotate(compile_cache="miss")
        run_options(sub, compiled.metrics)
        ref = self._artifacts.put_compiled(compiled)
        q = compiled.metrics.get("logical_qubits", "?")
        job = self._lifecycle.advance(
            job,
            *early,
            Step(TaskState.QUEUED, f"compiled ({q} qubits); {queued_message}", 0.3),
            compiled=ref,
            queued_at=queued_at,
        )
        metrics.STAGE_SECONDS.labels("compile").observe(time.perf_counter() - t0)
        return job

    async def _compile(self, job: Job, sub: Submission, device: Device | None) -> CompiledProgram:
        with tracing.job_span("compile", job.job_id, language=sub.language, target=sub.target):
            return await self._patience.call(
                "compile",
                job.job_id,
                lambda: self._compiler.compile(job.job_id, sub, device, self._timeout),
                deadline=job.deadline,
            )
