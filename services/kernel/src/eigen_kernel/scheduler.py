"""QRTX scheduler: the policy's decisions turned into runs, and the queue explained.

:class:`Scheduler` holds the pure :class:`~eigen_kernel.policy.SchedulingPolicy`, measured
per-device execution times (:class:`DeviceStats`) and the callback that starts a dispatched
job (the runtime's execution stage). A waiting job has no task of its own: it is a queue entry,
so 10,000 queued jobs cost a few megabytes, and a decision is O(log n).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

from eigen_common.devices import Device, DeviceStatus
from eigen_kernel import metrics
from eigen_kernel.domain import QueueInfo, WaitingReason
from eigen_kernel.policy import Dispatch, QueuedJob, SchedulingPolicy, estimate_wait


class DeviceStats:
    """Mean execution time per device (exponentially weighted), for the queue's estimates.

    ``default_seconds`` stands in before a device's first measured execution.
    """

    def __init__(self, initial: dict[str, tuple[float, int]], default_seconds: float = 1.0):
        self._stats = dict(initial)
        self._default = default_seconds
        self.dirty = False

    def record(self, device_id: str, seconds: float) -> None:
        """Add one measured execution (seconds ≥ 0)."""
        if not math.isfinite(seconds) or seconds < 0:
            return
        mean, n = self._stats.get(device_id, (seconds, 0))
        alpha = max(0.1, 1.0 / (n + 1))  # plain mean for the first ten, then EWMA(0.1)
        self._stats[device_id] = (mean + alpha * (seconds - mean), n + 1)
        self.dirty = True

    def mean(self, device_id: str) -> float:
        """Mean execution seconds of a job on the device."""
        return self._stats.get(device_id, (self._default, 0))[0]

    def snapshot(self) -> dict[str, tuple[float, int]]:
        """All statistics (to persist)."""
        self.dirty = False
        return dict(self._stats)


@dataclass
class _Order:
    version: int
    index: dict[str, int]


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


class Scheduler:
    """Queues jobs per device and starts them when the policy says so.

    ``start`` is called synchronously with each :class:`Dispatch` (it must not block: the
    runtime spawns the job's execution task). ``clock`` returns Unix seconds.
    """

    def __init__(
        self,
        policy: SchedulingPolicy,
        stats: DeviceStats,
        default_slots: int,
        clock: Callable[[], float] = time.time,
        batch: int = 1,
    ):
        self.policy = policy
        self.stats = stats
        self.default_slots = default_slots
        self.batch = batch
        self.clock = clock
        self.start: Callable[[Dispatch], None] = lambda d: None
        self._orders: dict[str, _Order] = {}
        self._backend_waits: set[str] = set()
        self._shared: dict[str, int] = {}  # running job → jobs started with it in its slot

    # --- devices ----------------------------------------------------------------------------

    def sync_devices(self, devices: list[Device]) -> None:
        """Declare devices with their slots and availability; dispatch where they came online."""
        for d in devices:
            online = d.status == DeviceStatus.ONLINE
            was = self.policy.slots(d.device_id)
            # a vendor device runs one job per call; a simulator a batch of small ones per slot
            batch = 1 if d.asynchronous else self.batch
            self.policy.set_device(d.device_id, d.slots or self.default_slots, online, batch)
            if online and (was == 0 or self.policy.queue_length(d.device_id)):
                self._run(self.policy.dispatch(d.device_id, self.clock()))

    def kick(self, device_id: str) -> None:
        """Start whatever can start on the device now (after a slot was freed elsewhere)."""
        self._run(self.policy.dispatch(device_id, self.clock()))
        self._gauges(device_id)

    def ensure_device(self, device_id: str) -> None:
        """Declare a device not seen in a device list yet (recovery), with default slots."""
        if not self.policy.slots(device_id):
            self.policy.set_device(device_id, self.default_slots)

    # --- jobs ---------------------------------------------------------------------------------

    def enqueue(self, job: QueuedJob) -> None:
        """Queue a job and start whatever can start now.

        Raises:
            ValueError: see :meth:`SchedulingPolicy.enqueue`.
        """
        self.ensure_device(job.device_id)
        self.policy.enqueue(job)
        self._run(self.policy.dispatch(job.device_id, self.clock()))
        self._gauges(job.device_id)

    def remove(self, job_id: str) -> None:
        """Take a job out of its queue, or free its slot if it runs (it ended)."""
        q = self.policy.queued(job_id)
        if q is not None:
            self.policy.remove(job_id)
            self._gauges(q.device_id)
        self.finish(job_id)

    def finish(self, job_id: str) -> None:
        """Free a running job's slot (if it still holds one) and start the next jobs."""
        self._backend_waits.discard(job_id)
        self._shared.pop(job_id, None)
        device_id = self.policy.finish(job_id)
        if device_id is None:
            return
        now = self.clock()
        self._run(self.policy.dispatch(device_id, now))
        if self.policy.config.tenant_running_cap:
            self._run(self.policy.dispatch_all(now))  # the tenant may have jobs elsewhere
        self._gauges(device_id)

    def set_backend_wait(self, job_id: str, waiting: bool) -> None:
        """Mark a running job as waiting out an unavailable backend (shown in its queue info)."""
        if waiting:
            self._backend_waits.add(job_id)
        else:
            self._backend_waits.discard(job_id)

    def measured(self, job_id: str, device_id: str, seconds: float) -> None:
        """A job's execution took ``seconds``: feed the device's mean slot time per job.

        A job that ran in a batch of k held its slot with k − 1 others, so it counts as
        ``seconds / k``: the queue's estimates then match a device that runs batches
        (queue_bench: 3,000 queued were told 45 s and drained in 21 s when every job counted
        whole).
        """
        self.stats.record(device_id, seconds / max(1, self._shared.pop(job_id, 1)))

    def _run(self, dispatches: list[Dispatch]) -> None:
        sizes: dict[str, int] = {}
        for d in dispatches:
            holder = d.group or d.job_id
            sizes[holder] = sizes.get(holder, 0) + 1
        for d in dispatches:
            if sizes[d.group or d.job_id] > 1:
                self._shared[d.job_id] = sizes[d.group or d.job_id]
            self.start(d)

    def _gauges(self, device_id: str) -> None:
        metrics.QUEUE_DEPTH.labels(device_id).set(self.policy.queue_length(device_id))
        metrics.RUNNING.labels(device_id).set(self.policy.running_count(device_id))

    # --- explanation --------------------------------------------------------------------------

    def _position(self, job_id: str, device_id: str) -> int:
        version = self.policy.device_version(device_id)
        cached = self._orders.get(device_id)
        if cached is None or cached.version != version:
            order = self.policy.order(device_id)
            cached = self._orders[device_id] = _Order(
                version, {jid: i for i, jid in enumerate(order)}
            )
        return cached.index.get(job_id, -1) + 1

    def explain(self, job_id: str) -> QueueInfo | None:
        """Where a queued (or backend-waiting) job stands.

        None when the scheduler has no say (the job is not queued here: compiling, waiting for
        dependencies, running or ended).
        """
        if job_id in self._backend_waits:
            return QueueInfo(
                0,
                0,
                WaitingReason.BACKEND_UNAVAILABLE,
                "waiting for an unavailable backend to come back",
            )
        q = self.policy.queued(job_id)
        if q is None:
            return None
        reason = self.policy.reason(job_id)
        dev = q.device_id
        now = self.clock()
        mean = self.stats.mean(dev)
        if q.reservation_id:
            ahead = self.policy.reserved_order(q.reservation_id).index(job_id)
            position = ahead + 1
            slots = 1
            started = self.policy.reservation_started_at(q.reservation_id)
            running = [] if started is None else [mean - (now - started)]
        else:
            position = self._position(job_id, dev)
            ahead = position - 1
            slots = max(1, self.policy.slots(dev) - self.policy.reserved(dev))
            running = [mean - (now - t) for t in self.policy.started_at(dev)]
        wait = estimate_wait(ahead, slots, running, mean)
        seconds = math.ceil(wait) if wait > 0 else 0
        words = {
            WaitingReason.DEVICE: f"{_ordinal(position)} in line for {dev}, about {seconds} s",
            WaitingReason.RESERVATION: (
                f"{_ordinal(position)} in line for reservation {q.reservation_id} on {dev}, "
                f"about {seconds} s"
            ),
            WaitingReason.TENANT_LIMIT: (
                f"{_ordinal(position)} in line for {dev}; your tenant runs as many jobs as it "
                "may, so it waits for one of them to end"
            ),
            WaitingReason.DEVICE_OFFLINE: f"waiting for {dev}, which is offline",
        }
        return QueueInfo(position, seconds, reason, words.get(reason, ""))

    def device_load(self, device_id: str) -> tuple[int, int]:
        """(jobs queued or running on the device, estimated seconds a new job would wait)."""
        queued = self.policy.queue_length(device_id)
        running = self.policy.running_count(device_id)
        now = self.clock()
        mean = self.stats.mean(device_id)
        slots = max(1, self.policy.slots(device_id) - self.policy.reserved(device_id))
        wait = estimate_wait(
            queued, slots, [mean - (now - t) for t in self.policy.started_at(device_id)], mean
        )
        return queued + running, math.ceil(wait) if wait > 0 else 0
