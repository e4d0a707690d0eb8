"""Patience: calls to the compiler or driver-manager wait out an outage (SPEC §7, issue 11).

UNAVAILABLE is retried with bounded exponential backoff (jittered) until the job's deadline
or, for jobs without one, the configured patience; the job shows the wait
(``waiting_reason`` BACKEND_UNAVAILABLE) meanwhile. Other errors end the job at once.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

from eigen_common import errors
from eigen_common.logs import get_logger
from eigen_kernel import metrics

log = get_logger("eigen.kernel.retry")
T = TypeVar("T")


@dataclass(frozen=True)
class Patience:
    """How long and how often to retry.

    Backoff ``base_seconds`` doubling up to ``cap_seconds``; give up after
    ``patience_seconds`` of unavailability (or at the job's deadline, whichever is first).
    """

    base_seconds: float = 0.2
    cap_seconds: float = 5.0
    patience_seconds: float = 600.0

    async def call(
        self,
        what: str,
        job_id: str,
        call: Callable[[], Awaitable[T]],
        deadline: float | None = None,
        waiting: Callable[[bool], None] | None = None,
    ) -> T:
        """Await ``call()``, retrying UNAVAILABLE as described.

        Args:
            what: stage name for logs and metrics (``compile``, ``execute``, ...).
            job_id: for logs.
            call: the call to make (a new attempt each time).
            deadline: Unix seconds after which to give up (the job's own deadline).
            waiting: told True when the wait starts and False when it ends.

        Raises:
            UnavailableError: still unavailable when patience ran out.
            Whatever else ``call`` raises, unchanged.
        """
        give_up = time.time() + self.patience_seconds
        if deadline is not None:
            give_up = min(give_up, deadline)
        delay = self.base_seconds
        attempt = 0
        try:
            while True:
                attempt += 1
                try:
                    return await call()
                except errors.UnavailableError as exc:
                    metrics.BACKEND_WAITS.labels(what).inc()
                    sleep = min(delay, self.cap_seconds) * (0.5 + random.random() / 2)
                    if time.time() + sleep > give_up:
                        raise
                    if attempt == 1 and waiting is not None:
                        waiting(True)
                    log.warning(
                        "backend unavailable; waiting",
                        what=what,
                        job_id=job_id,
                        attempt=attempt,
                        error=str(exc),
                        sleep=round(sleep, 3),
                    )
                    await asyncio.sleep(sleep)
                    delay *= 2
        finally:
            if attempt > 1 and waiting is not None:
                waiting(False)
