"""DAG dependencies (SPEC §3.3).

A job waits until every dependency is DONE; if one ends any other way the job ends ERROR
``DEPENDENCY_FAILED``. Event-driven: no task per waiting job.
"""

from __future__ import annotations

from collections.abc import Callable

from eigen_kernel.domain import Job
from eigen_kernel.lifecycle import Lifecycle
from eigen_kernel.ports import JobStore
from eigen_kernel.states import TERMINAL, TaskState


class Dependencies:
    """Jobs waiting for other jobs; ``ready(job)`` is called when one may be queued."""

    def __init__(self, store: JobStore, lifecycle: Lifecycle):
        self._store = store
        self._lifecycle = lifecycle
        self._waiting: dict[str, set[str]] = {}
        self._dependants: dict[str, set[str]] = {}
        self.ready: Callable[[Job], None] = lambda job: None

    def pending(self, job_id: str) -> int:
        """How many dependencies a job still waits for (0 when it does not wait)."""
        return len(self._waiting.get(job_id, ()))

    def admit(self, job: Job) -> None:
        """A compiled job: queue it now, fail it, or wait for its dependencies."""
        pending: set[str] = set()
        for dep in job.submission.dependencies:
            d = self._store.get_job(dep)
            if d is None or (d.state in TERMINAL and d.state != TaskState.COMPLETED):
                self._fail(job.job_id, dep, "missing" if d is None else d.state.value)
                return
            if d.state != TaskState.COMPLETED:
                pending.add(dep)
        if not pending:
            self.ready(job)
            return
        self._waiting[job.job_id] = pending
        for dep in pending:
            self._dependants.setdefault(dep, set()).add(job.job_id)

    def ended(self, job: Job) -> None:
        """A job reached a terminal state: release or fail its dependants; forget it."""
        for dep in self._waiting.pop(job.job_id, set()):
            s = self._dependants.get(dep)
            if s is not None:
                s.discard(job.job_id)
                if not s:
                    del self._dependants[dep]
        for jid in sorted(self._dependants.pop(job.job_id, set())):
            waiting = self._waiting.get(jid)
            if waiting is None:
                continue
            if job.state != TaskState.COMPLETED:
                self._fail(jid, job.job_id, job.state.value)
                continue
            waiting.discard(job.job_id)
            if not waiting:
                del self._waiting[jid]
                dependant = self._store.get_job(jid)
                if dependant is not None and dependant.state not in TERMINAL:
                    self.ready(dependant)

    def _fail(self, job_id: str, dep: str, how: str) -> None:
        self._lifecycle.fail(
            job_id,
            TaskState.FAILED,
            "DEPENDENCY_FAILED",
            f"dependency {dep} ended {how}",
        )
