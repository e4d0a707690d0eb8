"""QRTX task state machine (SPEC §3.1; seed 002 status model).

``TaskState`` is the kernel's view; :data:`CLIENT_STATUS` maps it to the client-visible status
exactly as the seed does. Terminal states are final: the first terminal decision wins.
"""

from __future__ import annotations

import enum


class TaskState(enum.StrEnum):
    """Kernel task states."""

    PENDING = "PENDING"
    VALIDATING = "VALIDATING"
    COMPILING = "COMPILING"
    QUEUED = "QUEUED"
    ALLOCATING = "ALLOCATING"
    EXECUTING = "EXECUTING"
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"
    CANCELLED = "CANCELLED"
    TIMEOUT = "TIMEOUT"


class ClientStatus(enum.StrEnum):
    """Client-visible job status (names of ``eigen.api.v1.JobStatus`` without the prefix)."""

    COMPILING = "COMPILING"
    QUEUED = "QUEUED"
    RUNNING = "RUNNING"
    DONE = "DONE"
    ERROR = "ERROR"
    CANCELLED = "CANCELLED"
    TIMEOUT = "TIMEOUT"


#: TaskState → client status, exactly as seed 002 maps them (pinned by a golden test).
CLIENT_STATUS: dict[TaskState, ClientStatus] = {
    TaskState.PENDING: ClientStatus.COMPILING,
    TaskState.VALIDATING: ClientStatus.COMPILING,
    TaskState.COMPILING: ClientStatus.COMPILING,
    TaskState.QUEUED: ClientStatus.QUEUED,
    TaskState.ALLOCATING: ClientStatus.QUEUED,
    TaskState.EXECUTING: ClientStatus.RUNNING,
    TaskState.COMPLETED: ClientStatus.DONE,
    TaskState.FAILED: ClientStatus.ERROR,
    TaskState.CANCELLED: ClientStatus.CANCELLED,
    TaskState.TIMEOUT: ClientStatus.TIMEOUT,
}

TERMINAL: frozenset[TaskState] = frozenset(
    {TaskState.COMPLETED, TaskState.FAILED, TaskState.CANCELLED, TaskState.TIMEOUT}
)

_ENDS = {TaskState.FAILED, TaskState.CANCELLED, TaskState.TIMEOUT}

#: Allowed forward transitions. A non-terminal state may also "transition" to itself, which
#: records a progress event without a state change. ``EXECUTING``/``ALLOCATING → QUEUED`` and
#: ``COMPILING → COMPILING`` are the recovery edges used after a kernel restart.
TRANSITIONS: dict[TaskState, frozenset[TaskState]] = {
    TaskState.PENDING: frozenset({TaskState.VALIDATING, *_ENDS}),
    TaskState.VALIDATING: frozenset({TaskState.COMPILING, *_ENDS}),
    TaskState.COMPILING: frozenset({TaskState.QUEUED, *_ENDS}),
    TaskState.QUEUED: frozenset({TaskState.ALLOCATING, *_ENDS}),
    TaskState.ALLOCATING: frozenset({TaskState.EXECUTING, TaskState.QUEUED, *_ENDS}),
    TaskState.EXECUTING: frozenset({TaskState.COMPLETED, TaskState.QUEUED, *_ENDS}),
    TaskState.COMPLETED: frozenset(),
    TaskState.FAILED: frozenset(),
    TaskState.CANCELLED: frozenset(),
    TaskState.TIMEOUT: frozenset(),
}


def can_transition(src: TaskState, dst: TaskState) -> bool:
    """True when ``src → dst`` is allowed (self-transitions of non-terminal states included)."""
    if src in TERMINAL:
        return False
    return dst == src or dst in TRANSITIONS[src]
