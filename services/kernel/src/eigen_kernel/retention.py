"""Retention (issue 11): terminal jobs' rows and artifacts are removed past an age or count.

Nothing a live job needs is removed: only terminal jobs, never one that a waiting job still
names as a dependency; compiled programs are shared by content hash and kept while any
remaining job uses them. Runs periodically and on demand (``eigen admin gc``).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass

from eigen_common.logs import get_logger
from eigen_kernel import metrics
from eigen_kernel.artifacts import Artifacts
from eigen_kernel.ports import JobStore

log = get_logger("eigen.kernel.retention")


@dataclass(frozen=True)
class RetentionPolicy:
    """What retention keeps.

    Terminal jobs for ``max_age_seconds`` (0 = forever), at most ``max_terminal_jobs`` of them
    (0 = no limit); swept every ``interval_seconds``.
    """

    max_age_seconds: float = 30 * 86_400.0
    max_terminal_jobs: int = 0
    interval_seconds: float = 3600.0


class Retention:
    """Applies a :class:`RetentionPolicy` to the store and the artifacts."""

    def __init__(self, store: JobStore, artifacts: Artifacts, policy: RetentionPolicy):
        self._store = store
        self._artifacts = artifacts
        self.policy = policy
        self._task: asyncio.Task[None] | None = None

    def collect(self, older_than_seconds: float = 0.0, dry_run: bool = False) -> tuple[int, int]:
        """Remove old terminal jobs; returns (jobs removed, bytes freed).

        Those older than ``older_than_seconds`` (0 = the policy's age), and the oldest beyond
        the policy's count.
        """
        age = older_than_seconds or self.policy.max_age_seconds
        keep = {d for j in self._store.active_jobs() for d in j.submission.dependencies}
        doomed: list[str] = []
        if age > 0:
            doomed += self._store.terminal_jobs_before(time.time() - age, 1_000_000)
        if self.policy.max_terminal_jobs and not older_than_seconds:
            excess = self._terminal_count() - self.policy.max_terminal_jobs
            if excess > 0:
                doomed += self._store.terminal_jobs_before(time.time() + 1, excess)
        ids = sorted({j for j in doomed if j not in keep})
        if age > 0 and not dry_run:  # compiled programs nobody used for as long
            self._store.prune_compile_cache(time.time() - age)
        if dry_run or not ids:
            return len(ids), 0
        freed = 0
        for start in range(0, len(ids), 500):
            batch = ids[start : start + 500]
            refs = {j: self._store.compiled(j) for j in batch}
            self._store.delete_jobs(batch)
            for j in batch:
                freed += self._artifacts.delete(j, refs[j])
        metrics.GC_REMOVED.inc(len(ids))
        metrics.GC_BYTES.inc(freed)
        log.info("retention removed jobs", jobs=len(ids), bytes=freed)
        return len(ids), freed

    def _terminal_count(self) -> int:
        return len(self._store.terminal_jobs_before(time.time() + 1, 10_000_000))

    def start(self) -> None:
        """Sweep periodically on the running loop."""
        if self._task is None and (self.policy.max_age_seconds or self.policy.max_terminal_jobs):
            self._task = asyncio.get_running_loop().create_task(self._loop(), name="retention")

    async def stop(self) -> None:
        """Stop sweeping."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _loop(self) -> None:
        while True:
            await asyncio.sleep(self.policy.interval_seconds)
            try:
                self.collect()
            except OSError as exc:
                log.error("retention sweep failed", error=str(exc))
