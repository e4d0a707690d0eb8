"""The kernel-managed hybrid loop (Pattern B) against a driver double that computes exact
expectation values with Qiskit's Statevector; the store, QFS, scheduler and optimiser are real.

The real driver-manager path is covered end to end in tests/integration and tests/e2e.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import numpy as np
import pytest
from qiskit.quantum_info import SparsePauliOp, Statevector

from eigen_ir import aqo
from eigen_ir.aqo_qiskit import to_qiskit
from eigen_ir.hybrid import HybridPlan, OptimizerSpec
from eigen_kernel.app import Qrtx
from eigen_kernel.domain import CompiledProgram, EstimateOutcome, ExecutionOutcome
from eigen_kernel.jobs import Heartbeat
from eigen_kernel.states import TaskState
from eigen_kernel.testing import FakeDriver, running_kernel, submission

H2 = (
    ("II", -1.052373245772859),
    ("IZ", 0.39793742484318045),
    ("ZI", -0.39793742484318045),
    ("ZZ", -0.01128010425623538),
    ("XX", 0.18093119978423156),
)
EXACT = float(np.linalg.eigvalsh(SparsePauliOp.from_list(list(H2)).to_matrix()).min())
ANSATZ = aqo.Circuit(
    2,
    0,
    (
        aqo.Operation("RY", (0,), params=("theta[0]",)),
        aqo.Operation("RY", (1,), params=("theta[1]",)),
        aqo.Operation("CX", (0, 1)),
    ),
    ("theta[0]", "theta[1]"),
)


def plan(method="cobyla", max_iter=120, shots=None, x0=(0.1, 0.1), tol=1e-8) -> HybridPlan:
    return HybridPlan(
        ANSATZ,
        ("theta[0]", "theta[1]"),
        H2,
        shots,
        OptimizerSpec(method, max_iter, tol, x0, None),
        (("energy", {"result": "optimal_value"}), ("qubits", {"value": 2})),
    )


class Compiler:
    def __init__(self, p: HybridPlan | None = None, params: tuple[str, ...] = (), metrics=None):
        self.plan = p
        self.params = params
        self.metrics = metrics or {}
        self.calls = 0

    async def compile(self, job_id, sub, device, timeout):
        self.calls += 1
        if self.plan is None:
            return CompiledProgram(b"{}", "0" * 64, {}, b"", self.params)
        body = self.plan.canonical_bytes()
        return CompiledProgram(
            self.plan.circuit.canonical_bytes(), self.plan.circuit.sha256(), self.metrics, body
        )


class Driver(FakeDriver):
    """Exact expectation values; ``gate`` pauses the loop before evaluation ``pause_at``."""

    def __init__(self, pause_at: int | None = None):
        super().__init__()
        self.calls: list[dict] = []
        self.pause_at = pause_at
        self.pause_gate = asyncio.Event()
        self.paused = asyncio.Event()
        self.params: list[dict] = []

    async def execute(self, job_id, device_id, aqo_json, shots, seed, opts, params, timeout, **kw):
        self.params.append(dict(params))
        return ExecutionOutcome({"0": shots}, 0.0, {})

    async def estimate(self, job_id, device_id, aqo_json, obs, bindings, shots, seed, timeout):
        self.calls.append({"bindings": list(bindings), "shots": shots, "seed": seed})
        if self.pause_at is not None and len(self.calls) >= self.pause_at:
            self.paused.set()
            await self.pause_gate.wait()
        circuit = aqo.parse(aqo_json)
        op = SparsePauliOp.from_list(list(obs))
        values = [
            float(Statevector(to_qiskit(aqo.bind(circuit, dict(b)))).expectation_value(op).real)
            for b in bindings
        ]
        return EstimateOutcome(values, [0.0] * len(values), 0.0, {})


def kernel(path: Path, driver, compiler):
    return running_kernel(path, driver, compiler, device_slots=1)


def sub(**kw):
    return submission("vqe", language="eigen-lang", source="x", **kw)


async def events(jm: Qrtx, job_id: str, until=None) -> list:
    out = []

    async def go():
        async for item in jm.jobs.watch("t", job_id, 0):
            if isinstance(item, Heartbeat):
                continue
            e = item.event
            out.append(e)
            if until is not None and until(e):
                return

    await asyncio.wait_for(go(), 60)
    return out


async def test_h2_vqe_reaches_chemical_accuracy_with_one_event_per_iteration(tmp_path):
    d = Driver()
    async with kernel(tmp_path, d, Compiler(plan())) as jm:
        job, _ = jm.jobs.submit("t", "o", sub(), b"0")
        evs = await events(jm, job.job_id)
        res = jm.jobs.results("t", job.job_id)
    opt = res.outcome.optimization
    assert res.job.state == TaskState.COMPLETED
    assert abs(opt["optimal_value"] - EXACT) < 1.6e-3
    iters = [e for e in evs if e.iteration > 0]
    assert [e.iteration for e in iters] == list(range(1, opt["iterations"] + 1))
    assert len(d.calls) == opt["iterations"]
    assert all(e.state == TaskState.EXECUTING for e in iters)
    assert [e.progress for e in iters] == pytest.approx([k / 120 for k in range(1, len(iters) + 1)])
    assert [e.value for e in iters] == opt["history"]
    assert min(opt["history"]) == opt["optimal_value"]
    assert [e.terminal for e in evs].count(True) == 1 and evs[-1].terminal
    assert [e.seq for e in evs] == list(range(1, len(evs) + 1))
    assert set(opt["optimal_parameters"]) == {"theta[0]", "theta[1]"}
    assert res.outcome.outputs == {"energy": opt["optimal_value"], "qubits": 2}
    history = json.loads((tmp_path / "qfs/jobs" / job.job_id / "history.json").read_text())
    assert len(history["iterations"]) == opt["iterations"]
    assert opt["history_ref"] == f"qfs://jobs/{job.job_id}/history.json"
    meta = res.outcome.metadata
    assert meta["optimizer"] == "cobyla" and meta["shots"] == "exact"


async def test_sampled_plan_sends_shots_and_a_seed_per_evaluation(tmp_path):
    d = Driver()
    async with kernel(tmp_path, d, Compiler(plan(shots=1000, max_iter=5))) as jm:
        job, _ = jm.jobs.submit("t", "o", sub(seed=40), b"0")
        await events(jm, job.job_id)
    assert [c["shots"] for c in d.calls] == [1000] * 5
    assert [c["seed"] for c in d.calls] == [41, 42, 43, 44, 45]


async def test_cancel_stops_the_loop_within_one_iteration(tmp_path):
    d = Driver(pause_at=4)
    async with kernel(tmp_path, d, Compiler(plan())) as jm:
        job, _ = jm.jobs.submit("t", "o", sub(), b"0")
        await events(jm, job.job_id, until=lambda e: e.iteration == 3)
        await asyncio.wait_for(d.paused.wait(), 10)  # the 4th evaluation is in flight
        jm.jobs.cancel("t", job.job_id, "enough")
        d.pause_gate.set()
        evs = await events(jm, job.job_id)
        # Wait until the optimiser's worker thread has exited: one that ignored the cancel
        # would run its remaining evaluations first (and the call count would show them).
        await asyncio.get_running_loop().shutdown_default_executor()
        assert evs[-1].state == TaskState.CANCELLED and evs[-1].terminal
        assert max(e.iteration for e in evs) == 3  # the in-flight evaluation is not announced
        assert len(d.calls) == 4
        assert jm.jobs.get("t", job.job_id).state == TaskState.CANCELLED


async def test_restart_mid_loop_replays_stored_iterations_and_ends_like_an_uninterrupted_run(
    tmp_path,
):
    async with kernel(tmp_path / "ref", Driver(), Compiler(plan())) as ref:
        rjob, _ = ref.jobs.submit("t", "o", sub(), b"0")
        await events(ref, rjob.job_id)
        expected = ref.jobs.results("t", rjob.job_id).outcome.optimization

    d1 = Driver(pause_at=8)
    async with kernel(tmp_path, d1, Compiler(plan())) as jm:
        job, _ = jm.jobs.submit("t", "o", sub(), b"0")
        await events(jm, job.job_id, until=lambda e: e.iteration == 7)
    # the kernel stopped mid-loop; the job stays EXECUTING
    d1.pause_gate.set()

    d2 = Driver()
    async with kernel(tmp_path, d2, Compiler(plan())) as jm2:
        evs = await events(jm2, job.job_id)
        got = jm2.jobs.results("t", job.job_id).outcome.optimization
        assert jm2.jobs.get("t", job.job_id).state == TaskState.COMPLETED
    assert got["optimal_value"] == expected["optimal_value"]
    assert got["iterations"] == expected["iterations"]
    assert got["history"] == expected["history"]
    assert len(d2.calls) == expected["iterations"] - 7  # stored iterations were not re-run
    iters = [e.iteration for e in evs if e.iteration > 0]
    assert iters == list(range(1, expected["iterations"] + 1))  # each iteration announced once


async def test_pattern_a_binds_parameters_from_inputs_and_reuses_the_compilation(tmp_path):
    d = Driver()
    c = Compiler(params=("theta",))
    async with kernel(tmp_path, d, c) as jm:
        for value in (0.1, 0.2, 0.3):
            job, _ = jm.jobs.submit("t", "o", sub(inputs={"theta": value}), b"0")
            await events(jm, job.job_id)
            res = jm.jobs.results("t", job.job_id)
            assert res.job.state == TaskState.COMPLETED
    assert [x["theta"] for x in d.params] == [0.1, 0.2, 0.3]
    assert c.calls == 1  # only the first iteration compiled
    assert res.outcome.metadata["compile.cache"] == "hit"


async def test_unbound_parameter_is_a_clear_error(tmp_path):
    async with kernel(tmp_path, Driver(), Compiler(params=("theta",))) as jm:
        job, _ = jm.jobs.submit("t", "o", sub(), b"0")
        await events(jm, job.job_id)
        res = jm.jobs.results("t", job.job_id)
    assert res.job.state == TaskState.FAILED
    assert res.job.error_code == "MISSING_PARAMETER_VALUES"
    assert "theta" in res.job.error_summary


async def test_the_programs_decorator_seed_makes_a_sampled_loop_reproducible(tmp_path):
    histories = []
    for run in range(2):
        d = Driver()
        c = Compiler(plan(shots=1000, max_iter=4), metrics={"program.seed": "5"})
        async with kernel(tmp_path / str(run), d, c) as jm:
            job, _ = jm.jobs.submit("t", "o", sub(), b"0")  # no seed in the request
            await events(jm, job.job_id)
            res = jm.jobs.results("t", job.job_id)
        assert [c["seed"] for c in d.calls] == [6, 7, 8, 9]
        assert res.outcome.metadata["optimizer_seed"] == "5"
        histories.append(res.outcome.optimization["history"])
    assert histories[0] == histories[1]
    d = Driver()
    c = Compiler(plan(shots=1000, max_iter=4), metrics={"program.seed": "5"})
    async with kernel(tmp_path / "asked", d, c) as jm:
        job, _ = jm.jobs.submit("t", "o", sub(seed=40), b"0")  # the request's seed wins
        await events(jm, job.job_id)
    assert [c["seed"] for c in d.calls] == [41, 42, 43, 44]
