"""Executions in progress, by job, so that CancelExecution can abandon them.

Cancelling a job sets the event its ExecuteCircuit calls wait on (they end at once with
CANCELLED and their result, if it still arrives, is dropped) and cancels its pool work when that
has not started yet (a running simulation cannot be interrupted). The job stays marked as
cancelled (bounded memory) so that a repeated cancel answers the same and a late ExecuteCircuit
for it is refused.
"""

from __future__ import annotations

import asyncio
import threading
from collections import OrderedDict
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any

#: How many cancelled job ids are remembered.
REMEMBERED_CANCELLATIONS = 4096


@dataclass
class TrackedExecution:
    """One execution of a job: its cancel event and, once submitted, its pool future."""

    job_id: str
    cancelled: asyncio.Event = field(default_factory=asyncio.Event)
    future: Future[Any] | None = None

    def attach(self, future: Future[Any]) -> None:
        """Remember the pool future (cancelled with the job when it has not started)."""
        self.future = future
        if self.cancelled.is_set():
            future.cancel()


class ExecutionTracker:
    """Job id → executions in progress; remembers recently cancelled job ids.

    Methods are called on the event loop; the lock guards against pool-thread callers.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._running: dict[str, list[TrackedExecution]] = {}
        self._cancelled: OrderedDict[str, None] = OrderedDict()

    def is_cancelled(self, job_id: str) -> bool:
        """True when ``job_id`` was cancelled (recently enough to be remembered)."""
        with self._lock:
            return bool(job_id) and job_id in self._cancelled

    def add(self, job_id: str) -> TrackedExecution:
        """Track a new execution of ``job_id`` (untracked when the id is empty)."""
        entry = TrackedExecution(job_id)
        if job_id:
            with self._lock:
                self._running.setdefault(job_id, []).append(entry)
        return entry

    def remove(self, entry: TrackedExecution) -> None:
        """Forget a finished execution."""
        with self._lock:
            entries = self._running.get(entry.job_id)
            if entries is not None and entry in entries:
                entries.remove(entry)
                if not entries:
                    del self._running[entry.job_id]

    def cancel(self, job_id: str) -> bool:
        """Mark ``job_id`` cancelled and stop its executions; idempotent.

        Returns:
            True when the job had executions in progress or was cancelled before.
        """
        if not job_id:
            return False
        with self._lock:
            known = job_id in self._cancelled
            self._cancelled[job_id] = None
            self._cancelled.move_to_end(job_id)
            while len(self._cancelled) > REMEMBERED_CANCELLATIONS:
                self._cancelled.popitem(last=False)
            entries = list(self._running.get(job_id, ()))
        for entry in entries:
            entry.cancelled.set()
            if entry.future is not None:
                entry.future.cancel()  # only effective when the work has not started
        return known or bool(entries)
