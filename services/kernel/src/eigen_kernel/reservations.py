"""Device reservations (RFC 0004 ReserveDevice, SPEC §12).

A reservation holds one slot of a device for its tenant until it expires or is cancelled; only
jobs carrying its id run in that slot, one at a time. Reservations are persisted and survive a
kernel restart; on expiry or cancellation the slot is freed and the reservation's jobs still
waiting end ERROR ``RESERVATION_EXPIRED``. Another tenant's reservation id is NOT_FOUND.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable

from eigen_common import errors
from eigen_common.logs import get_logger
from eigen_kernel import metrics
from eigen_kernel.catalog import DeviceCatalog, online
from eigen_kernel.domain import Reservation, ReservationState
from eigen_kernel.lifecycle import Lifecycle
from eigen_kernel.ports import JobStore
from eigen_kernel.scheduler import Scheduler
from eigen_kernel.states import TaskState
from eigen_kernel.timers import Timers

log = get_logger("eigen.kernel.reservations")

#: Longest reservation, in seconds (RFC 0004: 1..86400).
MAX_TTL_SECONDS = 86_400
#: How long ended reservations stay listable with ``include_ended``.
ENDED_VISIBLE_SECONDS = 86_400


def new_reservation_id() -> str:
    """``r`` + 12 hex ms timestamp + 8 random hex."""
    return f"r{int(time.time() * 1000):012x}{secrets.token_hex(4)}"


class Reservations:
    """Creates, lists, cancels and expires reservations; checks jobs that name one."""

    def __init__(
        self,
        store: JobStore,
        scheduler: Scheduler,
        catalog: DeviceCatalog,
        lifecycle: Lifecycle,
        timers: Timers,
        clock: Callable[[], float] = time.time,
    ):
        self._store = store
        self._scheduler = scheduler
        self._catalog = catalog
        self._lifecycle = lifecycle
        self._timers = timers
        self._clock = clock
        self._active: dict[str, Reservation] = {}
        #: Whether this kernel schedules a device (set by the runtime; one kernel: always).
        self.owns: Callable[[str], bool] = lambda device_id: True

    def adopt(self, device_id: str) -> None:
        """Bring the device's reservations in line with the store.

        Called when this kernel schedules the device: after a start, a take-over, or another
        kernel's ReserveDevice/CancelReservation.

        Persisted active ones are held (expired ones end now); held ones no longer active in
        the store end here (their waiting jobs fail).
        """
        active = {
            r.reservation_id: r
            for r in self._store.active_reservations()
            if r.device_id == device_id
        }
        for rid, r in list(self._active.items()):
            if r.device_id == device_id and rid not in active:
                self._release(rid, "was cancelled")
        for r in active.values():
            if r.reservation_id in self._active:
                continue
            if r.expires_at <= self._clock():
                self.end(r.reservation_id, ReservationState.EXPIRED)
                continue
            self._scheduler.ensure_device(r.device_id)
            try:
                self._scheduler.policy.add_reservation(r.reservation_id, r.device_id, r.tenant)
            except ValueError:
                # fewer slots than before the restart: the reservation cannot be honoured
                log.warning("reservation dropped: no slot", reservation_id=r.reservation_id)
                self._store.end_reservation(r.reservation_id, ReservationState.EXPIRED)
                continue
            self._hold(r)

    def _hold(self, r: Reservation) -> None:
        self._active[r.reservation_id] = r
        self._timers.at(
            f"reservation:{r.reservation_id}",
            r.expires_at,
            lambda rid=r.reservation_id: self.end(rid, ReservationState.EXPIRED),  # type: ignore[misc]
        )
        metrics.RESERVATIONS.set(len(self._active))

    def reserve(
        self, tenant: str, owner: str, device_name: str, ttl_seconds: int, purpose: str
    ) -> Reservation:
        """Reserve one slot of a device for ``ttl_seconds`` (1..86400).

        Raises:
            ValidationError: ttl outside 1..86400.
            DeviceNotFoundError: unknown device.
            DeviceOfflineError: the device is not ONLINE.
            NoSlotsError: every slot of the device is reserved already.
        """
        if not 1 <= ttl_seconds <= MAX_TTL_SECONDS:
            raise errors.ValidationError(
                [errors.FieldViolation("ttl_seconds", f"must be 1..{MAX_TTL_SECONDS}")]
            )
        device = self._catalog.device(device_name)
        if not online(device):
            raise errors.DeviceOfflineError(
                f"device {device.device_id} is {device.status.value.lower()}",
                metadata={"subject": device.device_id},
            )
        self._scheduler.sync_devices([device])
        policy = self._scheduler.policy
        slots = policy.slots(device.device_id)
        if self._store.count_active_reservations(device.device_id) >= slots:
            raise errors.NoSlotsError(
                f"every slot of {device.device_id} is reserved ({slots} slots)",
                metadata={"subject": device.device_id},
            )
        now = self._clock()
        starts_at = now
        if policy.running_count(device.device_id) >= policy.slots(device.device_id):
            _, wait = self._scheduler.device_load(device.device_id)
            starts_at = now + min(wait, ttl_seconds)
        r = Reservation(
            new_reservation_id(),
            tenant,
            owner,
            device.device_id,
            purpose[:200],
            ReservationState.ACTIVE,
            now,
            starts_at,
            now + ttl_seconds,
        )
        self._store.create_reservation(r)
        if self.owns(r.device_id):
            policy.add_reservation(r.reservation_id, r.device_id, tenant)
            self._hold(r)  # else the device's owner kernel holds it when told
        log.info("reservation created", reservation_id=r.reservation_id, device=r.device_id)
        return r

    def get(self, tenant: str, reservation_id: str) -> Reservation:
        """The tenant's reservation (active or ended).

        Raises:
            NotFoundError: no such reservation for this tenant (reason RESERVATION_NOT_FOUND).
        """
        r = self._store.get_reservation(reservation_id)
        if r is None or r.tenant != tenant:
            raise errors.NotFoundError(
                f"reservation {reservation_id[:64]!r} not found",
                reason="RESERVATION_NOT_FOUND",
                metadata={"reservation_id": reservation_id[:64]},
            )
        return self._with_jobs(r)

    def _with_jobs(self, r: Reservation) -> Reservation:
        if r.state != ReservationState.ACTIVE:
            return r
        policy = self._scheduler.policy
        waiting = len(policy.reserved_order(r.reservation_id))
        running = 1 if policy.reservation_started_at(r.reservation_id) is not None else 0
        return Reservation(**{**r.__dict__, "active_jobs": waiting + running})

    def list(self, tenant: str, include_ended: bool) -> list[Reservation]:
        """The tenant's reservations, newest first."""
        since = self._clock() - ENDED_VISIBLE_SECONDS if include_ended else None
        return [self._with_jobs(r) for r in self._store.list_reservations(tenant, since)]

    def cancel(self, tenant: str, reservation_id: str) -> Reservation:
        """End a reservation early.

        Raises:
            NotFoundError: not the tenant's reservation.
            FailedPreconditionError: it had ended already (reason RESERVATION_ENDED).
        """
        r = self.get(tenant, reservation_id)
        if r.state != ReservationState.ACTIVE:
            raise errors.FailedPreconditionError(
                f"reservation {reservation_id} has ended ({r.state.value.lower()})",
                reason="RESERVATION_ENDED",
                metadata={"subject": reservation_id},
            )
        self.end(reservation_id, ReservationState.CANCELLED)
        return self.get(tenant, reservation_id)

    def end(self, reservation_id: str, state: ReservationState) -> None:
        """Expire or cancel: free the slot, fail the jobs still waiting on it."""
        if not self._store.end_reservation(reservation_id, state):
            return
        self._release(
            reservation_id, "expired" if state == ReservationState.EXPIRED else "was cancelled"
        )
        log.info("reservation ended", reservation_id=reservation_id, state=state.value)

    def _release(self, reservation_id: str, how: str) -> None:
        """Free a held reservation's slot here and fail its waiting jobs."""
        self._timers.cancel(f"reservation:{reservation_id}")
        r = self._active.pop(reservation_id, None)
        metrics.RESERVATIONS.set(len(self._active))
        waiting = self._scheduler.policy.remove_reservation(reservation_id)
        for job_id in waiting:
            self._lifecycle.fail(
                job_id,
                TaskState.FAILED,
                "RESERVATION_EXPIRED",
                f"reservation {reservation_id} {how} before the job could run",
            )
        if r is not None:
            self._scheduler.kick(r.device_id)

    def check(self, tenant: str, reservation_id: str, device_id: str) -> None:
        """Validate a job's ``reservation_id`` at submission.

        Raises:
            NotFoundError: unknown, or another tenant's (RESERVATION_NOT_FOUND).
            FailedPreconditionError: ended (RESERVATION_ENDED), or for another device
                (RESERVATION_DEVICE_MISMATCH).
        """
        r = self.get(tenant, reservation_id)  # NOT_FOUND for strangers
        if r.state != ReservationState.ACTIVE or r.expires_at <= self._clock():
            raise errors.FailedPreconditionError(
                f"reservation {reservation_id} has ended",
                reason="RESERVATION_ENDED",
                metadata={"subject": reservation_id},
            )
        if r.device_id != device_id:
            raise errors.FailedPreconditionError(
                f"reservation {reservation_id} is for {r.device_id}, not {device_id}",
                reason="RESERVATION_DEVICE_MISMATCH",
                metadata={"subject": reservation_id},
            )

    def reserved_slots(self, device_id: str) -> int:
        """Slots of the device held by reservations."""
        return self._scheduler.policy.reserved(device_id)
