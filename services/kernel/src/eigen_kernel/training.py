"""The training stage: a QML training plan run as a kernel-managed loop (seed 004, Pattern B).

The plan (:mod:`eigen_ir.qml`) names its dataset, split, feature map, model circuit, loss and
optimiser. Each **iteration** binds every training sample (its feature angles + the proposed
weights) into one ``EstimateExpectationValues`` call, turns the values into the loss and the
training accuracy with :func:`eigen_ir.qml.objective` (the code a local run uses), and stores
one EXECUTING event (``iteration``, ``current_value`` = loss, the accuracy in the message,
progress = iteration / max_iter) with the evaluation (weights, loss) in one transaction.

Cancel and timeouts stop the loop within one iteration; a restarted kernel replays the stored
iterations (:func:`eigen_kernel.hybrid_loop.run_loop`: the optimiser is re-run and answered from
the store) and continues where it stopped. After the budget the best weights are evaluated on
the training and the test set; the results' ``outputs`` hold ``test_accuracy``,
``train_accuracy``, ``parameters``, ``loss_history`` (and the other :data:`RESULT_FIELDS`),
then the program's own returned keys.

Seeds: the job's ``seed``, else the program's decorator seed, else 0 — a local run of the same
program uses the same one, so exact estimates give identical histories.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Sequence

import numpy as np

from eigen_common import errors, tracing
from eigen_common.logs import get_logger
from eigen_ir import qml
from eigen_ir.hybrid import PlanError
from eigen_kernel import metrics
from eigen_kernel.artifacts import Artifacts
from eigen_kernel.domain import CompiledProgram, Evaluation, Job, JobOutcome
from eigen_kernel.lifecycle import JobEnded, Lifecycle
from eigen_kernel.ports import DriverPort, JobStore
from eigen_kernel.retry import Patience

log = get_logger("eigen.kernel.training")


def training_seed(job: Job, compiled: CompiledProgram) -> int:
    """The job's seed, else the program's decorator seed, else 0."""
    if job.submission.seed is not None:
        return int(job.submission.seed)
    declared = compiled.metrics.get("program.seed", "")
    return int(declared) if declared.isdigit() else 0


class TrainingStage:
    """Runs training plans on a device through the driver's ``EstimateExpectationValues``."""

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

    async def _values(
        self, job: Job, aqo_json: bytes, plan: qml.TrainingPlan,
        bindings: list[dict[str, float]], seed: int,
    ) -> list[float]:  # fmt: skip
        """One estimate call: an expectation value per binding (finite, in order)."""
        sample_seed = None if plan.shots is None else seed
        out = await self._patience.call(
            "estimate",
            job.job_id,
            lambda: self._driver.estimate(
                job.job_id, job.device_id, aqo_json, plan.observable, bindings, plan.shots,
                sample_seed, self._timeout,
            ),
            deadline=job.deadline,
        )  # fmt: skip
        values = [float(v) for v in out.values]
        if len(values) != len(bindings) or not all(math.isfinite(v) for v in values):
            raise errors.InternalError(
                "the driver returned no finite expectation value per sample",
                reason="BAD_ESTIMATE",
            )
        return values

    async def run(self, job: Job, compiled: CompiledProgram) -> tuple[JobOutcome, str]:
        """Train; returns the outcome and the DONE message.

        Raises:
            JobEnded: the job ended during the loop (nothing more is announced).
            InternalError: the plan is invalid or the driver returned bad values.
            Driver errors, unchanged.
        """
        from eigen_kernel.hybrid_loop import LoopStopped, run_loop

        try:
            plan = qml.parse_training_plan(compiled.hybrid_plan_json)
        except PlanError as exc:
            raise errors.InternalError(
                f"the compiler produced an invalid training plan: {exc}", reason="INVALID_PLAN"
            ) from None
        seed = training_seed(job, compiled)
        data = await asyncio.to_thread(qml.prepare, plan)
        aqo_json = plan.circuit.canonical_bytes()
        max_iter = plan.optimizer.max_iter
        stored = self._store.evaluations(job.job_id)
        if stored:
            log.info("training resuming", job_id=job.job_id, stored=len(stored))

        async def evaluate(k: int, w: np.ndarray) -> tuple[float, float]:
            batch = qml.bindings(plan, data.train, w)
            values = await self._values(job, aqo_json, plan, batch, qml.evaluation_seed(seed, k))
            loss, acc = qml.objective(plan, data, values)
            self._lifecycle.record_iteration(
                job,
                k,
                loss,
                f"iteration {k}/{max_iter}: loss {loss:.6g}, train accuracy {acc:.4f}",
                min(k / max_iter, 1.0),
                Evaluation(k, tuple(float(v) for v in w), loss, 0.0),
            )
            return loss, 0.0

        t0 = time.perf_counter()
        try:
            with tracing.job_span(
                "training_loop", job.job_id, device=job.device_id, tenant=job.tenant,
                shots=plan.shots, optimizer=plan.optimizer.method, max_iter=max_iter,
                samples=len(data.y_train), resumed_iterations=len(stored) or None,
            ) as span:  # fmt: skip
                result = await run_loop(plan, evaluate, stored, seed)
                tracing.annotate(span, iterations=result.iterations, success=result.success)
        except LoopStopped:
            raise JobEnded() from None
        best = result.optimal_parameters
        k = result.iterations
        train = await self._values(
            job,
            aqo_json,
            plan,
            qml.bindings(plan, data.train, best),
            qml.evaluation_seed(seed, k + 1),
        )
        test = await self._values(
            job,
            aqo_json,
            plan,
            qml.bindings(plan, data.test, best),
            qml.evaluation_seed(seed, k + 2),
        )
        outcome = qml.finish(
            plan, data, best, train, test, result.history, result.success, result.message
        )
        elapsed = time.perf_counter() - t0
        metrics.STAGE_SECONDS.labels("training_loop").observe(elapsed)
        return self._outcome(job, compiled, plan, data, outcome, seed, elapsed), (
            f"done: test accuracy {outcome.test_accuracy:.4f}, train accuracy "
            f"{outcome.train_accuracy:.4f}, loss {outcome.final_loss:.6g} after "
            f"{outcome.iterations} iterations"
        )

    def _outcome(
        self,
        job: Job,
        compiled: CompiledProgram,
        plan: qml.TrainingPlan,
        data: qml.TrainingData,
        outcome: qml.TrainingOutcome,
        seed: int,
        elapsed: float,
    ) -> JobOutcome:
        evaluations: Sequence[Evaluation] = self._store.evaluations(job.job_id)
        names = plan.parameters
        history_ref = self._artifacts.put_history(
            job.job_id,
            {
                "parameters": list(names),
                "iterations": [
                    {"iteration": e.iteration, "value": e.value, "std_error": e.std_error,
                     "point": list(e.point)}
                    for e in evaluations
                ],
            },
        )  # fmt: skip
        optimization = {
            "optimal_value": outcome.final_loss,
            "optimal_parameters": dict(zip(names, outcome.parameters, strict=True)),
            "optimal_point": list(outcome.parameters),
            "iterations": outcome.iterations,
            "success": outcome.success,
            "message": outcome.message,
            "method": plan.optimizer.method,
            "history": list(outcome.loss_history),
            "history_ref": history_ref,
        }
        n_train, n_test = len(data.y_train), len(data.y_test)
        meta = {
            **{f"compile.{k}": v for k, v in compiled.metrics.items()},
            "device_id": job.device_id,
            "aqo_sha256": compiled.aqo_sha256,
            "plan_sha256": plan.sha256(),
            "plan_kind": qml.PLAN_KIND,
            "dataset": plan.dataset.name,
            "data_sha256": data.sha256,
            "train_samples": str(n_train),
            "test_samples": str(n_test),
            "loss": plan.loss,
            "optimizer": plan.optimizer.method,
            "optimizer_seed": str(seed),
            "shots": "exact" if plan.shots is None else str(plan.shots),
            "evaluations": str(outcome.iterations * n_train + n_train + n_test),
            "loop_seconds": f"{elapsed:.6f}",
        }
        return JobOutcome(
            metadata=meta,
            optimization=optimization,
            outputs=qml.outputs(plan, outcome),
            artifacts=("history.json",),
        )
