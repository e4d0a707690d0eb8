"""A job's lifecycle: every state change persisted (with its event) before it is announced.

:class:`Lifecycle` is the only writer of job state. It persists through the job store (one
transaction per call, however many steps), then wakes watchers through the :class:`EventBus`
and runs the terminal hooks (clean-up in the runtime, dependants, metrics) when a job ends.
The first terminal decision wins: a step on a job that ended elsewhere raises :class:`JobEnded`.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from eigen_common.logs import get_logger
from eigen_kernel import metrics
from eigen_kernel.domain import ErrorRecord, Evaluation, Job, JobOutcome, Step
from eigen_kernel.ports import JobStore, TransitionRejected
from eigen_kernel.states import TERMINAL, TaskState

log = get_logger("eigen.kernel.lifecycle")


class JobEnded(Exception):
    """The job reached a terminal state elsewhere (cancelled, timed out): stop working on it."""


class EventBus:
    """In-process wake-ups for watchers of a job; the events themselves are read from the store."""

    def __init__(self) -> None:
        self._waiters: dict[str, set[asyncio.Event]] = {}

    def publish(self, job_id: str) -> None:
        """Wake every watcher of ``job_id``."""
        for ev in self._waiters.get(job_id, ()):
            ev.set()

    @contextlib.contextmanager
    def subscribe(self, job_ids: Iterable[str]) -> Iterator[asyncio.Event]:
        """An event set whenever one of ``job_ids`` gets a new persisted event."""
        ev = asyncio.Event()
        ids = list(job_ids)
        for j in ids:
            self._waiters.setdefault(j, set()).add(ev)
        try:
            yield ev
        finally:
            for j in ids:
                s = self._waiters.get(j)
                if s is not None:
                    s.discard(ev)
                    if not s:
                        del self._waiters[j]


class Lifecycle:
    """Persists and announces a job's steps; ends jobs (done or failed) exactly once."""

    def __init__(self, store: JobStore, bus: EventBus, kernel_id: str = "local"):
        self.store = store
        self.bus = bus
        self.kernel_id = kernel_id
        self._on_terminal: list[Callable[[Job], None]] = []

    def on_terminal(self, hook: Callable[[Job], None]) -> None:
        """Run ``hook(job)`` after a job's terminal event is persisted and announced."""
        self._on_terminal.append(hook)

    def advance(self, job: Job, *steps: Step, claimed: bool = True, **payload: Any) -> Job:
        """Persist ``steps`` (one transaction; ``payload`` as in ``JobStore.advance``), announce.

        ``claimed``: only if this kernel works on the job (its claim holds); False for a user's
        decision (cancel), which any kernel may record.

        Raises:
            JobEnded: the job is terminal already (another decision won) or another kernel
                took it over; nothing is written.
        """
        owner = self.kernel_id if claimed else None
        try:
            new, _ = self.store.advance(job.job_id, steps, owner=owner, **payload)
        except TransitionRejected:
            raise JobEnded() from None
        prev = job.state
        for s in steps:
            metrics.transition(prev.value, s.state.value)
            prev = s.state
        self.bus.publish(job.job_id)
        if new.state in TERMINAL:
            self._ended(new)
        return new

    def record_iteration(
        self, job: Job, iteration: int, value: float, message: str, progress: float,
        evaluation: Evaluation,
    ) -> None:  # fmt: skip
        """Persist a hybrid iteration (an EXECUTING event with its evaluation) and announce it.

        Raises:
            JobEnded: the job ended meanwhile (the iteration is not recorded).
        """
        try:
            self.store.advance(
                job.job_id,
                [Step(TaskState.EXECUTING, message, progress, iteration, value)],
                evaluation=evaluation,
                owner=self.kernel_id,
            )
        except TransitionRejected:
            raise JobEnded() from None
        metrics.ITERATIONS.inc()
        self.bus.publish(job.job_id)

    def complete(self, job: Job, outcome: JobOutcome, message: str = "done") -> Job:
        """End a job DONE with what it produced (one transaction with the terminal event).

        Raises:
            JobEnded: the job ended otherwise first; its late outcome is discarded.
        """
        return self.advance(job, Step(TaskState.COMPLETED, message, 1.0), outcome=outcome)

    def fail(
        self,
        job_id: str,
        state: TaskState,
        code: str,
        summary: str,
        diagnostics: Iterable[dict[str, Any]] = (),
    ) -> Job | None:
        """End a job FAILED/CANCELLED/TIMEOUT with its error record; None if it had ended.

        The error record is written in the same transaction as the terminal event, so a job is
        never left terminal without it, nor non-terminal because it could not be written.
        """
        job = self.store.get_job(job_id)
        if job is None or job.state in TERMINAL:
            return None
        error = ErrorRecord(code, summary[:2000], tuple(diagnostics))
        msg = summary if code in ("CANCELLED", "TIMEOUT") else f"{code}: {summary}"
        try:
            job = self.advance(job, Step(state, msg[:2000]), error=error)
        except JobEnded:
            return None
        log.info("job ended", job_id=job_id, error_code=code, state=state.value)
        return job

    def ended_elsewhere(self, job: Job) -> None:
        """Another kernel recorded this job's terminal event: run the local hooks."""
        self._ended(job)

    def _ended(self, job: Job) -> None:
        for hook in self._on_terminal:
            try:
                hook(job)
            except Exception as exc:  # a broken hook must not undo a persisted decision
                log.error("terminal hook failed", job_id=job.job_id, exc_info=exc)
