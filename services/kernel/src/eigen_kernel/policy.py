"""The QRTX scheduling policy: which queued job runs next on a device (SPEC §12).

Pure: no I/O, no asyncio, no clock — times are passed in (Unix seconds). The async
:class:`eigen_kernel.scheduler.Scheduler` owns one instance and turns its decisions into runs.
The rule, with a worked example, is written down in ``docs/scheduling.md``:

1. **Slots.** A device runs at most ``slots`` jobs at once. Each active reservation holds one of
   them for its tenant: only jobs carrying that reservation's id run in it, one at a time, and
   jobs without a reservation share the other ``slots - reservations`` slots.
2. **Fair share between tenants.** When a shared slot is free, the tenant chosen is the one
   with the fewest jobs running on the device, then the one served longest ago, then (a fresh
   tenant) the one with the highest-ranked waiting job. A tenant with 1,000 queued jobs
   therefore delays another tenant's single job by at most one slot turn.
3. **Priority with aging inside a tenant.** A job's effective priority is
   ``priority + wait / aging_seconds`` (+1 per 10 s by default); the tenant's job with the highest
   effective priority runs first, FIFO (arrival order) among equals. All waiting jobs age at the
   same rate, so their relative order never changes while they wait: each tenant queue is a
   heap keyed by ``priority - queued_at / aging_seconds`` and a decision costs O(log n) in the
   queue length (plus O(T) over the T tenants with work on the device).
4. **No starvation.** A job of priority p that has waited ``(100 - p) * aging_seconds`` ranks
   above any job that arrives later (priorities are at most 100), so from then on it waits only
   for jobs of its tenant already ahead of it — and, by rule 2, for other tenants' turns.
5. **Running caps.** A tenant at its running-job cap (across all devices; 0 = no cap) is skipped
   until one of its jobs ends.
6. **Offline devices** dispatch nothing; their jobs wait (reason DEVICE_OFFLINE).
"""

from __future__ import annotations

import heapq
import itertools
import math
from collections.abc import Iterable
from dataclasses import dataclass, field

from eigen_kernel.domain import WaitingReason

#: Highest priority a job can have (SPEC §3: 0..100).
MAX_PRIORITY = 100


@dataclass(frozen=True)
class PolicyConfig:
    """Tuning of the policy.

    Attributes:
        aging_seconds: seconds of waiting that raise the effective priority by 1.
        tenant_running_cap: most jobs one tenant may run at once across all devices (0 = no cap).
    """

    aging_seconds: float = 10.0
    tenant_running_cap: int = 0


@dataclass(frozen=True)
class QueuedJob:
    """A job waiting for a device: ``queued_at`` in Unix seconds, ``priority`` 0..100."""

    job_id: str
    tenant: str
    device_id: str
    priority: int
    queued_at: float
    reservation_id: str = ""
    batchable: bool = False  # a small plain run that may share a slot (see SchedulingPolicy)


@dataclass(frozen=True)
class Dispatch:
    """A decision: start ``job_id`` on ``device_id`` now (in ``reservation_id``'s slot, if set).

    ``group``: the job whose slot this one shares (a batch; empty when it has a slot of its own).
    """

    job_id: str
    device_id: str
    tenant: str
    reservation_id: str = ""
    group: str = ""


@dataclass(frozen=True)
class Place:
    """Where a queued job stands: ``position`` 1 = next; ``ahead`` jobs will start before it."""

    position: int
    reason: WaitingReason
    device_id: str


@dataclass
class _Running:
    tenant: str
    reservation_id: str
    started_at: float
    group: str  # the job whose slot it holds (itself when it took the slot)


@dataclass
class _Reserved:
    tenant: str
    heap: list[tuple[float, int, str]] = field(default_factory=list)
    running: str = ""


@dataclass
class _Device:
    slots: int
    online: bool = True
    batch: int = 1  # jobs one slot may run together
    running: dict[str, _Running] = field(default_factory=dict)
    groups: dict[str, int] = field(default_factory=dict)  # slot holder → jobs running in it
    queues: dict[str, list[tuple[float, int, str]]] = field(default_factory=dict)
    tenant_running: dict[str, int] = field(default_factory=dict)
    served: dict[str, int] = field(default_factory=dict)
    reservations: dict[str, _Reserved] = field(default_factory=dict)
    version: int = 0

    def general_running(self) -> int:
        """Slots in use outside reservations (a reserved job never shares its slot)."""
        return len(self.groups) - sum(1 for r in self.running.values() if r.reservation_id)


class SchedulingPolicy:
    """Queues, running sets and reservations of every device; decides what starts next.

    Jobs are identified by id; every method is O(log n) in the device's queue length except
    :meth:`order` (a snapshot, O(n log n)) and where stated.

    Batches (issue 9): a device declared with ``batch`` > 1 lets a slot run up to ``batch``
    jobs together when they are ``batchable`` (small plain runs the driver executes in one
    call). When a batchable job takes a slot, the jobs the rules would start next join it while
    they are batchable too — the same jobs in the same order as one by one, only sooner; the
    slot is free again when the last of them ends. Reserved jobs never share a slot.
    """

    def __init__(self, config: PolicyConfig | None = None):
        self.config = config or PolicyConfig()
        self._devices: dict[str, _Device] = {}
        self._queued: dict[str, QueuedJob] = {}
        self._running_device: dict[str, str] = {}
        self._tenant_total: dict[str, int] = {}
        self._reservation_device: dict[str, str] = {}
        self._tick = itertools.count(1)
        self._seq = itertools.count()

    # --- devices and reservations -----------------------------------------------------------

    def set_device(self, device_id: str, slots: int, online: bool = True, batch: int = 1) -> None:
        """Declare a device (or update its slots/availability/batch); ``slots``, ``batch`` ≥ 1."""
        d = self._devices.get(device_id)
        if d is None:
            self._devices[device_id] = _Device(max(1, slots), online, max(1, batch))
        else:
            d.slots, d.online, d.batch = max(1, slots), online, max(1, batch)
            d.version += 1

    def slots(self, device_id: str) -> int:
        """Slots of a device (0 when unknown)."""
        d = self._devices.get(device_id)
        return 0 if d is None else d.slots

    def reserved(self, device_id: str) -> int:
        """Reservations holding slots of the device."""
        d = self._devices.get(device_id)
        return 0 if d is None else len(d.reservations)

    def running_count(self, device_id: str) -> int:
        """Jobs running on the device."""
        d = self._devices.get(device_id)
        return 0 if d is None else len(d.running)

    def queue_length(self, device_id: str) -> int:
        """Jobs waiting for the device (including reserved ones)."""
        return sum(1 for q in self._queued.values() if q.device_id == device_id)

    def can_reserve(self, device_id: str) -> bool:
        """True when the device has a slot not yet held by a reservation."""
        d = self._devices.get(device_id)
        return d is not None and len(d.reservations) < d.slots

    def add_reservation(self, reservation_id: str, device_id: str, tenant: str) -> None:
        """Hold one slot of ``device_id`` for ``tenant``.

        Raises:
            ValueError: unknown device or no slot left to reserve.
        """
        d = self._devices.get(device_id)
        if d is None or len(d.reservations) >= d.slots:
            raise ValueError(f"no slot of {device_id} left to reserve")
        d.reservations[reservation_id] = _Reserved(tenant)
        self._reservation_device[reservation_id] = device_id
        d.version += 1

    def remove_reservation(self, reservation_id: str) -> list[str]:
        """Free a reservation's slot; returns the ids of its jobs still waiting (now removed).

        A job of the reservation that is running keeps running (in a slot that is no longer
        reserved) until it ends.
        """
        device_id = self._reservation_device.pop(reservation_id, None)
        if device_id is None:
            return []
        d = self._devices[device_id]
        res = d.reservations.pop(reservation_id)
        waiting = [jid for _, _, jid in res.heap if jid in self._queued]
        for jid in waiting:
            del self._queued[jid]
        d.version += 1
        return waiting

    # --- jobs -------------------------------------------------------------------------------

    def _key(self, q: QueuedJob) -> float:
        # effective priority = priority + (now - queued_at) / aging; "now" is common to all
        # waiting jobs, so ranking by priority - queued_at / aging is the same order forever.
        return -(q.priority - q.queued_at / self.config.aging_seconds)

    def enqueue(self, job: QueuedJob) -> None:
        """Add a job to its device's queue (or its reservation's).

        Raises:
            ValueError: unknown device, unknown reservation, or a reservation of another
                tenant or device; or the job is already queued or running.
        """
        if job.job_id in self._queued or job.job_id in self._running_device:
            raise ValueError(f"job {job.job_id} is already queued or running")
        d = self._devices.get(job.device_id)
        if d is None:
            raise ValueError(f"unknown device {job.device_id}")
        entry = (self._key(job), next(self._seq), job.job_id)
        if job.reservation_id:
            res = d.reservations.get(job.reservation_id)
            if res is None or res.tenant != job.tenant:
                raise ValueError(f"no reservation {job.reservation_id} of {job.tenant} here")
            heapq.heappush(res.heap, entry)
        else:
            heapq.heappush(d.queues.setdefault(job.tenant, []), entry)
        self._queued[job.job_id] = job
        d.version += 1

    def remove(self, job_id: str) -> bool:
        """Forget a queued job (cancelled, timed out); True if it was queued.

        Its heap entry is dropped lazily (skipped when reached).
        """
        q = self._queued.pop(job_id, None)
        if q is None:
            return False
        self._devices[q.device_id].version += 1
        return True

    def queued(self, job_id: str) -> QueuedJob | None:
        """The queued job, or None."""
        return self._queued.get(job_id)

    def is_running(self, job_id: str) -> bool:
        """True while the job holds a slot."""
        return job_id in self._running_device

    def occupy(self, job: QueuedJob, now: float) -> Dispatch:
        """Mark a job running without queueing it.

        Recovery: a vendor execution that held a slot before a restart keeps it, even beyond
        the slots now free.

        Raises:
            ValueError: unknown device, or the job is already queued or running.
        """
        if job.job_id in self._queued or job.job_id in self._running_device:
            raise ValueError(f"job {job.job_id} is already queued or running")
        d = self._devices.get(job.device_id)
        if d is None:
            raise ValueError(f"unknown device {job.device_id}")
        self._queued[job.job_id] = job
        if job.reservation_id and job.reservation_id in d.reservations:
            d.reservations[job.reservation_id].running = job.job_id
        return self._start(d, job.device_id, job.job_id, now)

    def finish(self, job_id: str) -> str | None:
        """Release the slot of a running job; returns its device id (None if not running)."""
        device_id = self._running_device.pop(job_id, None)
        if device_id is None:
            return None
        d = self._devices[device_id]
        r = d.running.pop(job_id)
        d.groups[r.group] -= 1
        if not d.groups[r.group]:
            del d.groups[r.group]
        d.tenant_running[r.tenant] -= 1
        self._tenant_total[r.tenant] -= 1
        if r.reservation_id and r.reservation_id in d.reservations:
            d.reservations[r.reservation_id].running = ""
        d.version += 1
        return device_id

    def started_at(self, device_id: str) -> list[float]:
        """Start times of the jobs running on the device."""
        d = self._devices.get(device_id)
        return [] if d is None else [r.started_at for r in d.running.values()]

    # --- decisions ----------------------------------------------------------------------------

    def _capped(self, tenant: str) -> bool:
        cap = self.config.tenant_running_cap
        return cap > 0 and self._tenant_total.get(tenant, 0) >= cap

    @staticmethod
    def _head(heap: list[tuple[float, int, str]], live: dict[str, QueuedJob]) -> str | None:
        while heap and heap[0][2] not in live:
            heapq.heappop(heap)
        return heap[0][2] if heap else None

    def _start(
        self, d: _Device, device_id: str, job_id: str, now: float, group: str = ""
    ) -> Dispatch:
        q = self._queued.pop(job_id)
        holder = group or job_id
        d.running[job_id] = _Running(q.tenant, q.reservation_id, now, holder)
        d.groups[holder] = d.groups.get(holder, 0) + 1
        d.tenant_running[q.tenant] = d.tenant_running.get(q.tenant, 0) + 1
        self._tenant_total[q.tenant] = self._tenant_total.get(q.tenant, 0) + 1
        self._running_device[job_id] = device_id
        d.served[q.tenant] = next(self._tick)
        d.version += 1
        return Dispatch(job_id, device_id, q.tenant, q.reservation_id, group)

    def dispatch(self, device_id: str, now: float) -> list[Dispatch]:
        """Start every job the rules allow on ``device_id`` now, in decision order."""
        d = self._devices.get(device_id)
        if d is None or not d.online:
            return []
        out: list[Dispatch] = []
        for res in d.reservations.values():
            if len(d.groups) >= d.slots:
                break
            if res.running or self._capped(res.tenant):
                continue
            head = self._head(res.heap, self._queued)
            if head is not None:
                heapq.heappop(res.heap)
                res.running = head
                out.append(self._start(d, device_id, head, now))
        shared = d.slots - len(d.reservations)
        while len(d.groups) < d.slots and d.general_running() < shared:
            tenant = self._pick_tenant(d)
            if tenant is None:
                break
            _, _, job_id = heapq.heappop(d.queues[tenant])
            batchable = self._queued[job_id].batchable
            out.append(self._start(d, device_id, job_id, now))
            if batchable:
                out.extend(self._riders(d, device_id, job_id, now))
        return out

    def _riders(self, d: _Device, device_id: str, holder: str, now: float) -> list[Dispatch]:
        """The next jobs by the rules, while batchable, into ``holder``'s slot."""
        out: list[Dispatch] = []
        while len(out) < d.batch - 1:
            tenant = self._pick_tenant(d)
            if tenant is None:
                break
            heap = d.queues[tenant]
            if not self._queued[heap[0][2]].batchable:
                break
            _, _, job_id = heapq.heappop(heap)
            out.append(self._start(d, device_id, job_id, now, group=holder))
        return out

    def _pick_tenant(self, d: _Device) -> str | None:
        best: tuple[int, int, float, int] | None = None
        chosen = None
        for tenant, heap in d.queues.items():
            if self._capped(tenant) or self._head(heap, self._queued) is None:
                continue
            rank = (
                d.tenant_running.get(tenant, 0),
                d.served.get(tenant, 0),
                heap[0][0],
                heap[0][1],
            )
            if best is None or rank < best:
                best, chosen = rank, tenant
        return chosen

    def dispatch_all(self, now: float) -> list[Dispatch]:
        """:meth:`dispatch` on every device (after a tenant's job ended: caps may have freed)."""
        out: list[Dispatch] = []
        for device_id in self._devices:
            out.extend(self.dispatch(device_id, now))
        return out

    # --- explanation --------------------------------------------------------------------------

    def device_version(self, device_id: str) -> int:
        """Changes whenever the device's queue, running set or reservations change."""
        d = self._devices.get(device_id)
        return -1 if d is None else d.version

    def order(self, device_id: str) -> list[str]:
        """The device's waiting jobs (without reservations) in their start order.

        The dispatch rules replayed on a copy as if nothing else arrived, each start counted as
        a running job of its tenant until the queue is empty. O(n log n).
        """
        d = self._devices.get(device_id)
        if d is None:
            return []
        heaps = {t: sorted(e for e in h if e[2] in self._queued) for t, h in d.queues.items() if h}
        running = dict(d.tenant_running)
        served = dict(d.served)
        pos = dict.fromkeys(heaps, 0)
        tick = max(served.values(), default=0)
        out: list[str] = []
        while True:
            best = None
            for t, entries in heaps.items():
                i = pos[t]
                if i >= len(entries):
                    continue
                rank = (running.get(t, 0), served.get(t, 0), entries[i][0], entries[i][1])
                if best is None or rank < best[0]:
                    best = (rank, t)
            if best is None:
                return out
            t = best[1]
            out.append(heaps[t][pos[t]][2])
            pos[t] += 1
            running[t] = running.get(t, 0) + 1
            tick += 1
            served[t] = tick

    def reserved_order(self, reservation_id: str) -> list[str]:
        """A reservation's waiting jobs in start order."""
        device_id = self._reservation_device.get(reservation_id)
        if device_id is None:
            return []
        res = self._devices[device_id].reservations[reservation_id]
        return [jid for _, _, jid in sorted(res.heap) if jid in self._queued]

    def reservation_started_at(self, reservation_id: str) -> float | None:
        """Start time of the job running in a reservation's slot, or None."""
        device_id = self._reservation_device.get(reservation_id)
        if device_id is None:
            return None
        d = self._devices[device_id]
        running = d.reservations[reservation_id].running
        return d.running[running].started_at if running else None

    def reason(self, job_id: str) -> WaitingReason:
        """Why a queued job is not running (UNSPECIFIED when it is not queued)."""
        q = self._queued.get(job_id)
        if q is None:
            return WaitingReason.UNSPECIFIED
        d = self._devices[q.device_id]
        if not d.online:
            return WaitingReason.DEVICE_OFFLINE
        if self._capped(q.tenant):
            return WaitingReason.TENANT_LIMIT
        if q.reservation_id:
            return WaitingReason.RESERVATION
        return WaitingReason.DEVICE


def estimate_wait(ahead: int, slots: int, running_remaining: Iterable[float], mean: float) -> float:
    """Seconds until the job with ``ahead`` jobs before it starts.

    Each of ``slots`` slots is free after its running job's remaining time (0 when idle); each
    job ahead takes ``mean`` seconds on the earliest free slot. Pure list scheduling, O(k log s)
    for the first 1,000 jobs ahead, then an average for the rest.

    Args:
        ahead: jobs that start before this one.
        slots: slots this job may use (≥ 1).
        running_remaining: remaining seconds of each running job in those slots.
        mean: mean execution time of a job on the device, seconds.
    """
    slots = max(1, slots)
    free = sorted(max(0.0, r) for r in running_remaining)[:slots]
    free += [0.0] * (slots - len(free))
    heapq.heapify(free)
    exact = min(ahead, 1000)
    for _ in range(exact):
        t = heapq.heappop(free)
        heapq.heappush(free, t + mean)
    rest = ahead - exact
    soonest = free[0]
    if rest:
        soonest = sum(free) / slots + rest * mean / slots
    return soonest if math.isfinite(soonest) else 0.0
