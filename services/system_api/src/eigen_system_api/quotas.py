"""Per-tenant quotas and rate limits at the edge (SPEC §11), with the ``limits`` library.

Checked before a submission is forwarded, so a rejected one creates nothing:

- **submission rate**: a sliding window counter per tenant (``"100/second"`` allows a burst of
  100, then about 100 per second: the previous window's count weighted by its overlap with the
  last second plus the current one's — two counters per tenant, where ``limits``' exact moving
  window keeps every event and prunes them through a thread hop each time, which cost the
  system-api a sixth of its CPU at 100 submissions a second); every admitted attempt counts;
- **shots per day**: a 24 h fixed window per tenant, tested before and charged after the kernel
  accepted the job (a rejected or deduplicated submission costs nothing);
- **queued jobs**: the kernel's count of the tenant's jobs waiting (COMPILING or QUEUED), cached
  with this replica's admissions added; recounted at the cap (at most once a second), every
  ``quota_queue_recount_seconds`` once past half the cap, and every 12 such periods otherwise
  (a recount pages through ListJobs: the kernel has no count query yet).

Replicas: with ``async+memory://`` storage each replica keeps its own windows (R replicas admit
up to R× the rate); a shared ``async+redis://`` storage makes them global. The queued count is
the kernel's, so replicas agree up to the submissions made since each one's last recount; the
running-jobs cap is the kernel's own. Exceeding a limit raises
:class:`~eigen_common.errors.ResourceExhaustedError` (reason ``QUOTA_EXCEEDED``) whose
``metadata["subject"]`` names the limit (→ ``QuotaFailure``) and ``retry_after`` says when
waiting helps (→ ``RetryInfo``).
"""

from __future__ import annotations

import math
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import limits
from limits.aio.strategies import FixedWindowRateLimiter, SlidingWindowCounterRateLimiter
from limits.storage import storage_from_string

from eigen_common import errors
from eigen_system_api.settings import SystemApiSettings, TenantQuota

#: Counts the calling tenant's waiting jobs, stopping at the given cap.
QueueCounter = Callable[[int], Awaitable[int]]


class QuotaExceededError(errors.ResourceExhaustedError):
    """A tenant quota or rate limit is exhausted (QuotaFailure names it)."""

    reason = "QUOTA_EXCEEDED"


@dataclass
class _QueueCount:
    count: int
    counted_at: float


def _exceeded(tenant: str, limit: str, value: str, what: str, retry_after: float | None) -> None:
    raise QuotaExceededError(
        f"tenant {tenant!r} exceeded its {what} ({value})",
        metadata={"subject": f"tenant:{tenant}/{limit}", "limit": limit, "value": value},
        retry_after=None if retry_after is None else max(0.05, round(retry_after, 3)),
    )


class QuotaGuard:
    """Admission control for submissions, per tenant.

    Args:
        settings: limits (``quota_*``) and their storage.
        clock: monotonic clock for the queued-jobs cache (tests).

    Raises:
        ValueError: (at construction) a rate in the settings is not in the ``limits`` notation.
    """

    def __init__(
        self, settings: SystemApiSettings, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._settings = settings
        self._clock = clock
        storage = storage_from_string(settings.quota_storage_uri)
        self._rate = SlidingWindowCounterRateLimiter(storage)
        self._daily = FixedWindowRateLimiter(storage)
        self._rates: dict[str, list[limits.RateLimitItem]] = {}
        self._queued: dict[str, _QueueCount] = {}
        for q in [settings.quota_for(""), *settings.quota_overrides.values()]:
            self._items(q.submit_rate or "")

    def _items(self, rate: str) -> list[limits.RateLimitItem]:
        if rate not in self._rates:
            self._rates[rate] = limits.parse_many(rate) if rate else []
        return self._rates[rate]

    async def admit(self, tenant: str, shots: int, count_queued: QueueCounter) -> None:
        """Check every limit for one submission of ``shots`` shots (before forwarding it).

        Raises:
            QuotaExceededError: a limit is reached (nothing is charged for later checks).
        """
        q = self._settings.quota_for(tenant)
        for item in self._items(q.submit_rate or ""):
            if not await self._rate.hit(item, "submit", tenant):
                stats = await self._rate.get_window_stats(item, "submit", tenant)
                _exceeded(
                    tenant,
                    "submit_rate",
                    str(item),
                    "submission rate",
                    stats.reset_time - time.time(),
                )
        await self._check_shots(tenant, q, shots)
        await self._check_queue(tenant, q, count_queued)

    async def _check_shots(self, tenant: str, q: TenantQuota, shots: int) -> None:
        if not q.shots_per_day:
            return
        day = limits.RateLimitItemPerDay(q.shots_per_day)
        if shots > q.shots_per_day or not await self._daily.test(day, "shots", tenant, cost=shots):
            stats = await self._daily.get_window_stats(day, "shots", tenant)
            wait = None if shots > q.shots_per_day else stats.reset_time - time.time()
            _exceeded(tenant, "shots_per_day", f"{q.shots_per_day} shots per day", "shots", wait)

    async def _check_queue(self, tenant: str, q: TenantQuota, count_queued: QueueCounter) -> None:
        cap = q.max_queued_jobs or 0
        if not cap:
            return
        now = self._clock()
        cached = self._queued.get(tenant)
        every = self._settings.quota_queue_recount_seconds
        age = math.inf if cached is None else now - cached.counted_at
        count = 0 if cached is None else cached.count
        if (
            cached is None
            or age >= 12 * every
            # past half the cap: other replicas' submissions matter, ask every period
            or (age >= every and count >= cap // 2)
            # at the cap: jobs may have left the queue; ask again, but at most once a second
            or (count >= cap and age >= min(1.0, every))
        ):
            cached = self._queued[tenant] = _QueueCount(await count_queued(cap), now)
        if cached.count >= cap:
            _exceeded(tenant, "max_queued_jobs", f"{cap} queued jobs", "queued jobs", 1.0)

    async def charge(self, tenant: str, shots: int) -> None:
        """Record an accepted (not deduplicated) submission: its shots and one queued job."""
        q = self._settings.quota_for(tenant)
        if q.shots_per_day:
            await self._daily.hit(
                limits.RateLimitItemPerDay(q.shots_per_day), "shots", tenant, cost=shots
            )
        cached = self._queued.get(tenant)
        if cached is not None:
            cached.count += 1
