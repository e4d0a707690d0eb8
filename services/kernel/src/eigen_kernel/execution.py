"""The execution stage: a dispatched job runs on its device (seed 003 §3 step 3).

ALLOCATING and EXECUTING are recorded in one transaction; the outcome is persisted with the
COMPLETED event in another, so a job cancelled meanwhile never shows a late result. Kinds:

- a circuit: counts (once, or once per binding of a sweep — one driver call either way);
- an estimation job (observables; Qiskit's EstimatorV2): expectation values per binding and
  observable through ``EstimateExpectationValues``;
- a hybrid plan: the kernel-managed loop (:class:`eigen_kernel.hybrid.HybridStage`);
- a training plan (QML): the training loop (:class:`eigen_kernel.training.TrainingStage`).
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable, Mapping
from typing import Any

from eigen_common import errors, tracing
from eigen_ir.qml import is_training_plan
from eigen_kernel import metrics
from eigen_kernel.admission import run_options
from eigen_kernel.artifacts import Artifacts
from eigen_kernel.catalog import DeviceCatalog
from eigen_kernel.domain import (
    CompiledProgram,
    EstimateOutcome,
    ExecutionOutcome,
    Job,
    JobOutcome,
    ObservableTerms,
    Step,
    Submission,
    SweepPoint,
    VendorExecution,
)
from eigen_kernel.hybrid import HybridStage
from eigen_kernel.lifecycle import Lifecycle
from eigen_kernel.ports import DriverPort, JobStore
from eigen_kernel.retry import Patience
from eigen_kernel.states import TaskState
from eigen_kernel.training import TrainingStage


def bindings(sub: Submission, compiled: CompiledProgram) -> list[dict[str, float]]:
    """The values of the AQO's symbolic parameters, one mapping per run.

    A sweep gives one mapping per row (its columns must cover every parameter); otherwise the
    job's ``inputs`` give one (Pattern A); a circuit without parameters runs once with none.

    Raises:
        InvalidArgumentError: a parameter has no value (reason ``MISSING_PARAMETER_VALUES``) or
            a sweep names a parameter the program does not have.
    """
    params = compiled.parameters
    if sub.sweep is not None:
        unknown = [p for p in sub.sweep.parameters if p not in params]
        missing = [p for p in params if p not in sub.sweep.parameters and p not in sub.inputs]
        if unknown:
            raise errors.InvalidArgumentError(
                f"the sweep names parameter(s) the program does not have: {', '.join(unknown)}",
                reason="UNKNOWN_SWEEP_PARAMETER",
                violations=[errors.FieldViolation("sweep.parameters", "unknown parameter")],
            )
        if missing:
            raise _missing(missing)
        fixed = {p: float(sub.inputs[p]) for p in params if p not in sub.sweep.parameters}
        return [{**fixed, **row} for row in sub.sweep.bindings()]
    if not params:
        return [{}]
    missing = [p for p in params if p not in sub.inputs]
    if missing:
        raise _missing(missing)
    return [{p: float(sub.inputs[p]) for p in params}]


def _missing(names: list[str]) -> errors.InvalidArgumentError:
    return errors.InvalidArgumentError(
        f"the program has unbound parameter(s) {', '.join(names)}; give their values "
        "in the job's inputs (radians)",
        reason="MISSING_PARAMETER_VALUES",
        violations=[errors.FieldViolation(f"inputs.{p}", "value required") for p in names],
    )


def precision_shots(precision: float | None) -> int | None:
    """Shots per measurement group for a target standard error (Qiskit: ⌈1/precision²⌉).

    None (exact) when no precision is asked.
    """
    if precision is None:
        return None
    return max(1, min(10_000_000, math.ceil(1.0 / (precision * precision))))


class Execution:
    """Runs dispatched jobs on the driver-manager and stores what they produce."""

    def __init__(
        self,
        lifecycle: Lifecycle,
        artifacts: Artifacts,
        driver: DriverPort,
        hybrid: HybridStage,
        patience: Patience,
        execute_timeout: float,
        backend_wait: Callable[[str, bool], None] = lambda job_id, waiting: None,
        measured: Callable[[str, str, float], None] = lambda job_id, device_id, seconds: None,
        *,
        store: JobStore,
        catalog: DeviceCatalog,
        vendor_poll_seconds: float = 10.0,
        training: TrainingStage | None = None,
        batch_limits: tuple[int, int] = (0, 0),
    ):
        self._lifecycle = lifecycle
        self._artifacts = artifacts
        self._driver = driver
        self._hybrid = hybrid
        self._patience = patience
        self._timeout = execute_timeout
        self._backend_wait = backend_wait
        self._measured = measured
        self._store = store
        self._catalog = catalog
        self._poll = vendor_poll_seconds
        self._training = training
        self._batch_qubits, self._batch_shots = batch_limits

    async def run(self, job: Job, reservation_id: str = "", resume: bool = False) -> None:
        """Run a dispatched job to its end (its execution time feeds the queue's estimates).

        ``resume``: the job was EXECUTING on an asynchronous device before a kernel restart;
        it re-attaches to its vendor execution instead of starting anew.

        Raises:
            JobEnded: the job ended meanwhile.
            EigenError subclasses: the job must fail with that error.
        """
        compiled = self._artifacts.compiled(job.job_id)
        where = job.device_id + (f" (reservation {reservation_id})" if reservation_id else "")
        hybrid = bool(compiled.hybrid_plan_json)
        if not resume and job.queued_at is not None:  # the wait for the device, as a span
            with tracing.job_span(
                "queue",
                job.job_id,
                start_time=job.queued_at,
                device=job.device_id,
                tenant=job.tenant,
                reservation_id=reservation_id,
            ):
                pass
        if not resume:
            job = self._lifecycle.advance(
                job,
                Step(TaskState.ALLOCATING, f"allocating {where}"),
                Step(
                    TaskState.EXECUTING,
                    f"{'optimising' if hybrid else 'executing'} on {where}",
                    0.0 if hybrid else 0.5,
                ),
            )
        t0 = time.perf_counter()
        if hybrid and is_training_plan(compiled.hybrid_plan_json):
            if self._training is None:
                raise errors.InternalError("this kernel cannot train", reason="NO_TRAINING")
            outcome, message = await self._training.run(job, compiled)
        elif hybrid:
            outcome, message = await self._hybrid.run(job, compiled)
        elif job.submission.is_estimation:
            outcome, message = await self._estimate(job, compiled)
        else:
            outcome, message = await self._sample(job, compiled)
        self._measured(job.job_id, job.device_id, time.perf_counter() - t0)
        self._lifecycle.complete(job, outcome, message)

    def batchable(self, job: Job) -> bool:
        """True when the job may share a device slot with others (one ExecuteCircuitBatch).

        A plain sampling run (no sweep, estimation, hybrid plan or saved state, no reservation)
        of at most ``batch_limits`` (qubits, shots) on a synchronous device: small runs whose
        results the driver computes together in one call, each with its own seed and counts.
        """
        sub = job.submission
        if sub.sweep is not None or sub.is_estimation or sub.save_state.value or sub.reservation_id:
            return False
        device = self._catalog.find(job.device_id)
        cref = self._store.compiled(job.job_id)
        if device is None or device.asynchronous or cref is None or cref.plan_sha256:
            return False
        try:
            qubits = int(cref.metrics.get("logical_qubits", "") or -1)
            shots = run_options(sub, dict(cref.metrics)).shots
        except (ValueError, errors.EigenError):
            return False
        return 0 <= qubits <= self._batch_qubits and shots <= self._batch_shots

    def _waiting(self, job_id: str) -> Callable[[bool], None]:
        return lambda waiting: self._backend_wait(job_id, waiting)

    async def _sample(self, job: Job, compiled: CompiledProgram) -> tuple[JobOutcome, str]:
        sub = job.submission
        opts = run_options(sub, compiled.metrics)
        runs = bindings(sub, compiled)
        sweep = sub.sweep is not None
        t_x = time.perf_counter()
        device = self._catalog.find(job.device_id)
        vendor: VendorExecution | None = None
        stage = "vendor_execution" if device is not None and device.asynchronous else "execute"
        with tracing.job_span(
            stage, job.job_id, device=job.device_id, tenant=job.tenant, shots=opts.shots,
            bindings=len(runs) if sweep else None,
        ) as span:  # fmt: skip
            if stage == "vendor_execution":
                out, vendor = await self._vendor(job, compiled, opts.shots, opts.seed, runs, sweep)
                tracing.annotate(span, vendor_job_id=vendor.vendor_job_id)
            else:
                out = await self._patience.call(
                    "execute",
                    job.job_id,
                    lambda: self._driver.execute(
                        job.job_id, job.device_id, compiled.aqo_json, opts.shots, opts.seed, {},
                        {} if sweep else runs[0], self._timeout,
                        bindings=runs if sweep else (), save_state=sub.save_state.value,
                    ),
                    deadline=job.deadline,
                    waiting=self._waiting(job.job_id),
                )  # fmt: skip
        metrics.STAGE_SECONDS.labels("execute").observe(time.perf_counter() - t_x)
        meta = self._metadata(job, compiled, opts.shots, opts.seed, out.metadata)
        if vendor is not None:
            meta["vendor_job_id"] = vendor.vendor_job_id
        meta["execution_time_sec"] = f"{out.execution_time_sec:.6f}"
        if not sweep and runs[0]:
            meta["parameter_values"] = json.dumps(runs[0], sort_keys=True)
        artifacts: tuple[str, ...] = ()
        if out.saved_state:
            self._artifacts.put_state(job.job_id, out.saved_state)
            artifacts = ("state.npy",)
        points: tuple[SweepPoint, ...] = ()
        if sweep:
            if len(out.sweep_counts) != len(runs):
                raise errors.InternalError(
                    "the driver returned a sweep of the wrong length", reason="BAD_SWEEP"
                )
            points = tuple(
                SweepPoint(values, dict(c))
                for values, c in zip(runs, out.sweep_counts, strict=True)
            )
        outcome = JobOutcome(
            counts={} if sweep else dict(out.counts),
            metadata=meta,
            sweep=points,
            artifacts=artifacts,
        )
        return outcome, "done"

    async def _vendor(
        self,
        job: Job,
        compiled: CompiledProgram,
        shots: int,
        seed: int | None,
        runs: list[dict[str, float]],
        sweep: bool,
    ) -> tuple[ExecutionOutcome, VendorExecution]:
        """Run on an asynchronous device.

        Started once (remembered before waiting, so a restart re-attaches instead of
        resubmitting), then long-polled with the vendor's status shown as events.
        """
        handle = self._store.execution(job.job_id)
        if handle is None:
            execution_id, vendor_id = await self._patience.call(
                "start",
                job.job_id,
                lambda: self._driver.start(
                    job.job_id, job.device_id, compiled.aqo_json, shots, seed,
                    {} if sweep else runs[0], self._timeout, bindings=runs if sweep else (),
                ),
                deadline=job.deadline,
                waiting=self._waiting(job.job_id),
            )  # fmt: skip
            handle = VendorExecution(
                job.job_id, job.device_id, execution_id, vendor_id, time.time()
            )
            self._store.save_execution(handle)
            job = self._lifecycle.advance(
                job,
                Step(TaskState.EXECUTING, f"submitted to {job.device_id}: vendor job {vendor_id}"),
            )
        said = ""
        job_id, device_id, execution_id = job.job_id, job.device_id, handle.execution_id
        while True:
            progress = await self._patience.call(
                "await",
                job_id,
                lambda: self._driver.wait(job_id, device_id, execution_id, self._poll),
                deadline=job.deadline,
                waiting=self._waiting(job.job_id),
            )
            if progress.done and progress.outcome is not None:
                return progress.outcome, handle
            word = progress.vendor_status or "waiting"
            if progress.queue_position is not None:
                word += f", {progress.queue_position} in the vendor's queue"
            if word != said:
                job = self._lifecycle.advance(
                    job, Step(TaskState.EXECUTING, f"vendor job {handle.vendor_job_id}: {word}")
                )
                said = word

    async def _estimate(self, job: Job, compiled: CompiledProgram) -> tuple[JobOutcome, str]:
        sub = job.submission
        runs = bindings(sub, compiled)
        shots = precision_shots(sub.precision)
        seed = sub.seed
        values: list[list[float]] = [[] for _ in runs]
        stds: list[list[float]] = [[] for _ in runs]
        total = 0.0
        extra: dict[str, str] = {}
        with tracing.job_span(
            "estimate", job.job_id, device=job.device_id, tenant=job.tenant, shots=shots,
            bindings=len(runs), observables=len(sub.observables),
        ):  # fmt: skip
            for k, obs in enumerate(sub.observables):
                obs_seed = None if seed is None else (seed + k) % 2**63

                def call(obs: ObservableTerms = obs, obs_seed: int | None = obs_seed) -> Any:
                    return self._driver.estimate(
                        job.job_id,
                        job.device_id,
                        compiled.aqo_json,
                        obs,
                        runs,
                        shots,
                        obs_seed,
                        self._timeout,
                    )

                out: EstimateOutcome = await self._patience.call(
                    "estimate",
                    job.job_id,
                    call,
                    deadline=job.deadline,
                    waiting=self._waiting(job.job_id),
                )  # fmt: skip
                if len(out.values) != len(runs):
                    raise errors.InternalError(
                        "the driver returned the wrong number of values", reason="BAD_ESTIMATE"
                    )
                for i, (v, e) in enumerate(zip(out.values, out.std_errors, strict=True)):
                    values[i].append(float(v))
                    stds[i].append(float(e))
                total += out.execution_time_sec
                extra = dict(out.metadata)
        meta = self._metadata(job, compiled, shots, seed, extra)
        meta["execution_time_sec"] = f"{total:.6f}"
        meta["observables"] = str(len(sub.observables))
        points = tuple(
            SweepPoint(runs[i], {}, tuple(values[i]), tuple(stds[i])) for i in range(len(runs))
        )
        return JobOutcome(metadata=meta, sweep=points), "done"

    @staticmethod
    def _metadata(
        job: Job,
        compiled: CompiledProgram,
        shots: int | None,
        seed: int | None,
        driver_meta: Mapping[str, str],
    ) -> dict[str, str]:
        meta = {
            **{f"compile.{k}": v for k, v in compiled.metrics.items()},
            **driver_meta,
            "device_id": job.device_id,
            "shots": "exact" if shots is None else str(shots),
            "aqo_sha256": compiled.aqo_sha256,
        }
        if seed is not None:
            meta["seed"] = str(seed)
        return meta
