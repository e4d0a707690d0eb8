"""One-shot timers by key on the running event loop (job deadlines, reservation expiry)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable


class Timers:
    """``at(key, when, callback)`` runs ``callback()`` at Unix time ``when`` unless cancelled.

    Setting a key again replaces its timer. Times in the past fire on the next loop turn.
    """

    def __init__(self, clock: Callable[[], float] = time.time):
        self._clock = clock
        self._handles: dict[str, asyncio.TimerHandle] = {}

    def at(self, key: str, when: float, callback: Callable[[], None]) -> None:
        """Schedule ``callback`` for ``key`` at ``when`` (Unix seconds)."""
        self.cancel(key)
        loop = asyncio.get_running_loop()

        def fire() -> None:
            self._handles.pop(key, None)
            callback()

        self._handles[key] = loop.call_later(max(0.0, when - self._clock()), fire)

    def cancel(self, key: str) -> None:
        """Drop ``key``'s timer if any."""
        h = self._handles.pop(key, None)
        if h is not None:
            h.cancel()

    def close(self) -> None:
        """Cancel every timer."""
        for h in self._handles.values():
            h.cancel()
        self._handles.clear()

    def __len__(self) -> int:
        return len(self._handles)
