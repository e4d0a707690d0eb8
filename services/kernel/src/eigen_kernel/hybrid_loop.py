"""The kernel-managed hybrid loop (seed 003 §4.2 Pattern B, SPEC §7): optimiser ↔ driver.

The optimiser (:func:`eigen_ir.optimize.minimize`, synchronous SciPy code) runs in a worker
thread; each objective evaluation hops back to the event loop, where ``evaluate`` asks the
driver-manager for the expectation value and persists the evaluation with its job event. So
an announced iteration is always a stored one.

Restart: a restarted loop **replays** from the stored evaluations. The optimisers are
deterministic given their start point, seed and the values they see, so the optimiser is
re-run from the start and every evaluation already stored is answered from the store (no
quantum execution, no new event) as long as the optimiser asks for exactly the stored point;
the first new point continues the loop where it stopped. SPSA without a program seed gets one
derived from the job id (:func:`loop_seed`), so its replay is deterministic too. Should a
replay diverge (e.g. a SciPy upgrade between runs), the loop warns and continues with fresh
evaluations, numbered after the last stored iteration so events stay ordered.

Cancellation and timeouts cancel the awaiting task; the worker notices within one evaluation
(or within :data:`POLL_SECONDS` while waiting for one) and stops.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import hashlib
import threading
from collections.abc import Callable, Coroutine, Sequence
from typing import Any

import numpy as np

from eigen_common.logs import get_logger
from eigen_ir.hybrid import HybridPlan
from eigen_ir.optimize import OptimizeOutcome, minimize
from eigen_kernel.domain import Evaluation

log = get_logger("eigen.kernel.hybrid")

#: How often (seconds) a worker waiting for an evaluation checks whether the loop was stopped.
POLL_SECONDS = 0.1

#: ``evaluate(iteration, point) -> (value, std_error)``, run on the event loop.
Evaluate = Callable[[int, np.ndarray], Coroutine[Any, Any, tuple[float, float]]]


class LoopStopped(Exception):
    """The loop was stopped from outside (job cancelled, timed out or the kernel stopping)."""


def loop_seed(plan: HybridPlan, job_id: str) -> int:
    """The optimiser seed: the plan's, else one derived from ``job_id`` (0..2^32-1)."""
    if plan.optimizer.seed is not None:
        return int(plan.optimizer.seed)
    return int.from_bytes(hashlib.sha256(job_id.encode()).digest()[:4], "big")


async def run_loop(
    plan: HybridPlan,
    evaluate: Evaluate,
    stored: Sequence[Evaluation],
    seed: int,
) -> OptimizeOutcome:
    """Minimise the plan's expectation value; returns the optimiser's outcome.

    Args:
        plan: the validated hybrid plan (start point, method, budget, tolerance).
        evaluate: coroutine function computing and persisting one evaluation.
        stored: evaluations persisted by an earlier run of this job (replayed, not re-run).
        seed: optimiser seed (SPSA perturbations).

    Raises:
        LoopStopped: the awaiting task was cancelled (re-raised as ``CancelledError``) or the
            job ended while an evaluation was being recorded.
        Whatever ``evaluate`` raises (driver errors), unchanged.
    """
    loop = asyncio.get_running_loop()
    stop = threading.Event()
    replay = list(stored)
    state = {"k": 0, "offset": 0}
    last_stored = replay[-1].iteration if replay else 0

    def fun(x: np.ndarray) -> float:
        if stop.is_set():
            raise LoopStopped
        state["k"] += 1
        k = state["k"]
        if replay:
            first = replay.pop(0)
            if first.iteration == k and np.array_equal(np.asarray(first.point, dtype=float), x):
                return first.value
            log.warning("hybrid loop replay diverged", iteration=k, stored=len(stored))
            replay.clear()
            state["offset"] = last_stored - (k - 1)
        fut: concurrent.futures.Future[tuple[float, float]] = asyncio.run_coroutine_threadsafe(
            evaluate(k + state["offset"], x), loop
        )
        while True:
            try:
                value, _ = fut.result(timeout=POLL_SECONDS)
                return float(value)
            except concurrent.futures.TimeoutError:
                if stop.is_set():
                    fut.cancel()
                    raise LoopStopped from None
            except concurrent.futures.CancelledError:
                raise LoopStopped from None

    opt = plan.optimizer
    try:
        return await asyncio.to_thread(
            minimize,
            fun,
            np.asarray(opt.initial_point, dtype=float),
            method=opt.method,
            max_iter=opt.max_iter,
            tolerance=opt.tolerance,
            seed=seed,
        )
    finally:
        stop.set()
