"""The explained queue in words and cells (SPEC §12): where a job waits, why, and for how long.

A ``Job`` and a ``JobUpdate`` both carry ``queue_position`` (1 = next on its device, 0 when not
waiting for a device), ``estimated_wait_sec`` and ``waiting_reason``; the server's ``message``
says it in a sentence ("3rd in line for aer.automatic, about 2 s"). ``eigen status`` shows the
fields, ``eigen list`` one compact cell, ``eigen watch`` the heartbeats that change them.
"""

from __future__ import annotations

from typing import Protocol

from eigen.api.v1 import job_pb2

#: Short words per waiting reason (``eigen list``'s WAITING column).
REASON_WORDS: dict[int, str] = {
    job_pb2.WAITING_REASON_DEPENDENCY: "dependency",
    job_pb2.WAITING_REASON_DEVICE: "device",
    job_pb2.WAITING_REASON_RESERVATION: "reservation",
    job_pb2.WAITING_REASON_TENANT_LIMIT: "tenant limit",
    job_pb2.WAITING_REASON_DEVICE_OFFLINE: "device offline",
    job_pb2.WAITING_REASON_BACKEND_UNAVAILABLE: "backend unavailable",
}


class Queued(Protocol):
    """What ``Job`` and ``JobUpdate`` have in common about the queue."""

    @property
    def queue_position(self) -> int:
        """1 = next on its device; 0 = not waiting for a device."""

    @property
    def estimated_wait_sec(self) -> int:
        """Seconds until it is expected to start."""

    @property
    def waiting_reason(self) -> int:
        """``WaitingReason`` value; 0 = not waiting."""


def reason_name(reason: int) -> str:
    """``WAITING_REASON_DEVICE`` (or 2) → ``DEVICE``; 0 → ``-``."""
    if not reason:
        return "-"
    try:
        return job_pb2.WaitingReason.Name(reason).removeprefix("WAITING_REASON_")
    except ValueError:
        return f"UNKNOWN({reason})"


def format_wait(seconds: int) -> str:
    """``about 2 s``, ``about 3 min``, ``about 1.5 h`` (rounded as a person would say it)."""
    if seconds < 90:
        return f"about {max(seconds, 0)} s"
    if seconds < 90 * 60:
        return f"about {round(seconds / 60)} min"
    return f"about {seconds / 3600:.1f} h"


def ordinal(n: int) -> str:
    """``1st``, ``2nd``, ``3rd``, ``4th``, ``11th``, ``22nd``."""
    if 10 <= n % 100 <= 20:
        return f"{n}th"
    return f"{n}{ {1: 'st', 2: 'nd', 3: 'rd'}.get(n % 10, 'th') }"


def is_waiting(q: Queued) -> bool:
    """True when ``q`` says the job waits (a place in a queue or a reason)."""
    return bool(q.queue_position or q.waiting_reason)


def queue_cell(q: Queued) -> str:
    """One cell for a job list: ``#2 device, about 4 s``, ``dependency``, or ``-``."""
    if not is_waiting(q):
        return "-"
    words = REASON_WORDS.get(q.waiting_reason, reason_name(q.waiting_reason).lower())
    if not q.queue_position:
        return words
    cell = f"#{q.queue_position} {words}"
    if q.waiting_reason in (
        job_pb2.WAITING_REASON_DEVICE,
        job_pb2.WAITING_REASON_RESERVATION,
    ):
        cell += f", {format_wait(q.estimated_wait_sec)}"
    return cell


def queue_rows(q: Queued) -> list[tuple[str, str]]:
    """``eigen status`` rows about the queue (none when the job does not wait)."""
    if not is_waiting(q):
        return []
    rows = [("waiting_reason", reason_name(q.waiting_reason))]
    if q.queue_position:
        pos, wait = q.queue_position, q.estimated_wait_sec
        rows.append(("queue_position", f"{pos} ({ordinal(pos)} in line)"))
        rows.append(
            ("estimated_wait", f"{wait} s" + (f" ({format_wait(wait)})" if wait >= 90 else ""))
        )
    return rows


def queue_key(q: Queued) -> tuple[int, int, int]:
    """What a heartbeat must change to be shown again: (position, wait, reason)."""
    return (q.queue_position, q.estimated_wait_sec, q.waiting_reason)


class QueueChanges:
    """Which updates ``eigen watch`` shows: every event, and heartbeats that move the queue.

    A heartbeat comes every few seconds while a job runs or waits; it is shown only when the job
    waits and its place, estimate or reason differ from what was shown last.
    """

    def __init__(self) -> None:
        self._last: tuple[int, int, int] | None = None

    def shows(self, update: job_pb2.JobUpdate) -> bool:
        """Record ``update``; True when it should be shown."""
        key = queue_key(update)
        if not update.heartbeat:
            self._last = key
            return True
        if not is_waiting(update) or key == self._last:
            return False
        self._last = key
        return True


__all__ = [
    "REASON_WORDS",
    "QueueChanges",
    "format_wait",
    "is_waiting",
    "ordinal",
    "queue_cell",
    "queue_key",
    "queue_rows",
    "reason_name",
]
