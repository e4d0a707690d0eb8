"""The hybrid stage: a hybrid plan run as a kernel-managed loop (seed 003 §4.2 Pattern B).

One EXECUTING event per objective evaluation (``iteration``, ``current_value``, progress =
iteration / max_iter), each stored with its evaluation in one transaction; the device slot is
held for the whole loop; a restarted loop replays its stored evaluations
(:mod:`eigen_kernel.hybrid_loop`).
"""

from __future__ import annotations

import math
import time

import numpy as np
from opentelemetry import trace

from eigen_common import errors, tracing
from eigen_common.logs import get_logger
from eigen_ir.hybrid import PlanError, parse_plan, render_returns
from eigen_kernel import metrics
from eigen_kernel.artifacts import Artifacts
from eigen_kernel.domain import CompiledProgram, Evaluation, Job, JobOutcome
from eigen_kernel.lifecycle import JobEnded, Lifecycle
from eigen_kernel.ports import DriverPort, JobStore
from eigen_kernel.retry import Patience

log = get_logger("eigen.kernel.hybrid")


class HybridStage:
    """Runs hybrid plans on a device through the driver's ``EstimateExpectationValues``."""

    def __init__(
        self,
        lifecycle: Lifecycle,
        store: JobStore,
        artifacts: Artifacts,
        driver: DriverPort,
        patience: Patience,
        execute_timeout: float,
    ):
        self._lifecycle = lifecycle
        self._store = store
        self._artifacts = artifacts
        self._driver = driver
        self._patience = patience
        self._timeout = execute_timeout

    async def run(self, job: Job, compiled: CompiledProgram) -> tuple[JobOutcome, str]:
        """Optimise; returns the outcome and the DONE message.

        Raises:
            JobEnded: the job ended during the loop (nothing more is announced).
            InternalError: the plan is invalid or the driver returned no finite value.
            Driver errors, unchanged.
        """
        # SciPy (the optimisers) is imported on the first hybrid job, not at start-up: it
        # costs about a second of the kernel's restart time.
        from eigen_kernel.hybrid_loop import LoopStopped, loop_seed, run_loop

        job_id, device_id = job.job_id, job.device_id
        try:
            plan = parse_plan(compiled.hybrid_plan_json)
        except PlanError as exc:
            raise errors.InternalError(
                f"the compiler produced an invalid hybrid plan: {exc}", reason="INVALID_PLAN"
            ) from None
        sub = job.submission
        # precedence (SPEC §4): the request's seed, else the program's decorator seed, else
        # the optimiser's own (or one derived from the job id): the same seed, the same history
        declared = compiled.metrics.get("program.seed", "")
        if sub.seed is not None:
            seed = sub.seed
        elif declared.isdigit():
            seed = int(declared)
        else:
            seed = loop_seed(plan, job_id)
        aqo_json = plan.circuit.canonical_bytes()
        names = plan.parameters
        max_iter = plan.optimizer.max_iter
        stored = self._store.evaluations(job_id)
        if stored:
            log.info("hybrid loop resuming", job_id=job_id, stored=len(stored))

        async def evaluate(k: int, x: np.ndarray) -> tuple[float, float]:
            binding = {n: float(v) for n, v in zip(names, x, strict=True)}
            eval_seed = None if plan.shots is None else (seed + k) % 2**63
            out = await self._patience.call(
                "estimate",
                job_id,
                lambda: self._driver.estimate(
                    job_id, device_id, aqo_json, plan.observable, [binding], plan.shots,
                    eval_seed, self._timeout,
                ),
                deadline=job.deadline,
            )  # fmt: skip
            if len(out.values) != 1 or not math.isfinite(out.values[0]):
                raise errors.InternalError(
                    "the driver returned no finite expectation value", reason="BAD_ESTIMATE"
                )
            value, err = float(out.values[0]), float(out.std_errors[0] if out.std_errors else 0)
            self._lifecycle.record_iteration(
                job,
                k,
                value,
                f"iteration {k}/{max_iter}: value {value:.8g}",
                min(k / max_iter, 1.0),
                Evaluation(k, tuple(float(v) for v in x), value, err),
            )
            span = trace.get_current_span()  # the loop's (the optimiser's thread carries it)
            if span.is_recording():
                span.add_event("iteration", {"eigen.iteration": k, "eigen.value": value})
            return value, err

        t_x = time.perf_counter()
        try:
            with tracing.job_span(
                "hybrid_loop", job_id, device=device_id, tenant=job.tenant,
                shots=plan.shots, optimizer=plan.optimizer.method, max_iter=max_iter,
                resumed_iterations=len(stored) or None,
            ) as span:  # fmt: skip
                outcome = await run_loop(plan, evaluate, stored, seed)
                tracing.annotate(span, iterations=outcome.iterations, success=outcome.success)
        except LoopStopped:
            raise JobEnded() from None
        elapsed = time.perf_counter() - t_x
        metrics.STAGE_SECONDS.labels("hybrid_loop").observe(elapsed)
        evaluations = self._store.evaluations(job_id)
        history_ref = self._artifacts.put_history(
            job_id,
            {
                "parameters": list(names),
                "iterations": [
                    {"iteration": e.iteration, "value": e.value, "std_error": e.std_error,
                     "point": list(e.point)}
                    for e in evaluations
                ],
            },
        )  # fmt: skip
        best = [float(v) for v in outcome.optimal_parameters]
        optimization = {
            "optimal_value": outcome.optimal_value,
            "optimal_parameters": dict(zip(names, best, strict=True)),
            "optimal_point": best,
            "iterations": outcome.iterations,
            "success": outcome.success,
            "message": outcome.message,
            "method": plan.optimizer.method,
            "history": [e.value for e in evaluations],
            "history_ref": history_ref,
        }
        outputs = render_returns(
            plan,
            {
                "optimal_value": outcome.optimal_value,
                "optimal_parameters": best,
                "success": outcome.success,
                "iterations": outcome.iterations,
            },
        )
        meta = {
            **{f"compile.{k}": v for k, v in compiled.metrics.items()},
            "device_id": device_id,
            "aqo_sha256": compiled.aqo_sha256,
            "plan_sha256": plan.sha256(),
            "optimizer": plan.optimizer.method,
            "optimizer_seed": str(seed),
            "shots": "exact" if plan.shots is None else str(plan.shots),
            "evaluations": str(outcome.iterations),
            "loop_seconds": f"{elapsed:.6f}",
        }
        message = (
            f"done: optimal value {outcome.optimal_value:.8g} after {outcome.iterations} iterations"
        )
        return (
            JobOutcome(
                metadata=meta,
                optimization=optimization,
                outputs=outputs,
                artifacts=("history.json",),
            ),
            message,
        )
