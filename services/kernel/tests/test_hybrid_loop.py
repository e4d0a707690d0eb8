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

from eigen_common.devices import Device, DeviceStatus
from eigen_ir import aqo
from eigen_ir.aqo_qiskit import to_qiskit
from eigen_ir.hybrid import HybridPlan, OptimizerSpec
from eigen_kernel.domain import (
    CompiledProgram,
    EstimateOutcome,
    ExecutionOutcome,
    Submission,
)
from eigen_kernel.qfs import Qfs
from eigen_kernel.scheduler import JobManager, KernelConfig
from eigen_kernel.states import TaskState
from eigen_kernel.store import JobStore

DEV = Device("aer", "aer", "simulator", DeviceStatus.ONLINE, 5, ("sim:local",), driver="aer")
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
    def __init__(self, p: HybridPlan | None = None, params: tuple[str, ...] = ()):
        self.plan = p
        self.params = params
        self.calls = 0

    async def compile(self, job_id, sub, timeout):
        self.calls += 1
        if self.plan is None:
            return CompiledProgram(b"{}", "0" * 64, {}, b"", self.params)
        body = self.plan.canonical_bytes()
        return CompiledProgram(
            self.plan.circuit.canonical_bytes(), self.plan.circuit.sha256(), {}, body
        )


class Driver:
    """Exact expectation values; ``gate`` pauses the loop before evaluation ``pause_at``."""

    def __init__(self, pause_at: int | None = None):
        self.calls: list[dict] = []
        self.pause_at = pause_at
        self.gate = asyncio.Event()
        self.paused = asyncio.Event()
        self.executions: list[dict] = []

    async def list_devices(self, timeout):
        return [DEV]

    async def execute(self, job_id, device_id, aqo_json, shots, seed, opts, params, timeout):
        self.executions.append(dict(params))
        return ExecutionOutcome({"0": shots}, 0.0, {})

    async def estimate(self, job_id, device_id, aqo_json, obs, bindings, shots, seed, timeout):
        self.calls.append({"bindings": list(bindings), "shots": shots, "seed": seed})
        if self.pause_at is not None and len(self.calls) >= self.pause_at:
            self.paused.set()
            await self.gate.wait()
        circuit = aqo.parse(aqo_json)
        op = SparsePauliOp.from_list(list(obs))
        values = [
            float(Statevector(to_qiskit(aqo.bind(circuit, dict(b)))).expectation_value(op).real)
            for b in bindings
        ]
        return EstimateOutcome(values, [0.0] * len(values), 0.0, {})


def manager(tmp_path: Path, driver, compiler) -> JobManager:
    return JobManager(
        JobStore(tmp_path / "jobs.db"),
        Qfs(tmp_path / "qfs"),
        compiler,
        driver,
        KernelConfig(device_slots=1, retry_base_seconds=0.01),
    )


def sub(**kw) -> Submission:
    return Submission(name="vqe", language="eigen-lang", source="x", target="sim:local", **kw)


async def events(jm: JobManager, job_id: str, until=None) -> list:
    out = []

    async def go():
        async for e in jm.watch("t", job_id, 0):
            out.append(e)
            if until is not None and until(e):
                return

    await asyncio.wait_for(go(), 60)
    return out


async def test_h2_vqe_reaches_chemical_accuracy_with_one_event_per_iteration(tmp_path):
    d = Driver()
    jm = manager(tmp_path, d, Compiler(plan()))
    job, _ = await jm.submit("t", "o", sub(), b"0")
    evs = await events(jm, job.job_id)
    res = jm.results("t", job.job_id)
    opt = res.optimization
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
    assert res.outputs == {"energy": opt["optimal_value"], "qubits": 2}
    history = json.loads((tmp_path / "qfs/jobs" / job.job_id / "history.json").read_text())
    assert len(history["iterations"]) == opt["iterations"]
    assert res.metadata["optimizer"] == "cobyla" and res.metadata["shots"] == "exact"


async def test_sampled_plan_sends_shots_and_a_seed_per_evaluation(tmp_path):
    d = Driver()
    jm = manager(tmp_path, d, Compiler(plan(shots=1000, max_iter=5)))
    job, _ = await jm.submit("t", "o", sub(seed=40), b"0")
    await events(jm, job.job_id)
    assert [c["shots"] for c in d.calls] == [1000] * 5
    assert [c["seed"] for c in d.calls] == [41, 42, 43, 44, 45]


async def test_cancel_stops_the_loop_within_one_iteration(tmp_path):
    d = Driver(pause_at=4)
    jm = manager(tmp_path, d, Compiler(plan()))
    job, _ = await jm.submit("t", "o", sub(), b"0")
    await events(jm, job.job_id, until=lambda e: e.iteration == 3)
    await asyncio.wait_for(d.paused.wait(), 10)  # the 4th evaluation is in flight
    jm.cancel("t", job.job_id, "enough")
    d.gate.set()
    evs = await events(jm, job.job_id)
    # Wait until the optimiser's worker thread has exited: one that ignored the cancel would
    # run its remaining evaluations first (and the call count below would show them).
    await asyncio.get_running_loop().shutdown_default_executor()
    assert evs[-1].state == TaskState.CANCELLED and evs[-1].terminal
    assert max(e.iteration for e in evs) == 3  # the in-flight evaluation is not announced
    assert len(d.calls) == 4
    assert jm.get("t", job.job_id).state == TaskState.CANCELLED


async def test_restart_mid_loop_replays_stored_iterations_and_ends_like_an_uninterrupted_run(
    tmp_path,
):
    ref_dir = tmp_path / "ref"
    ref_dir.mkdir()
    ref = manager(ref_dir, Driver(), Compiler(plan()))
    rjob, _ = await ref.submit("t", "o", sub(), b"0")
    await events(ref, rjob.job_id)
    expected = ref.results("t", rjob.job_id).optimization

    d1 = Driver(pause_at=8)
    jm = manager(tmp_path, d1, Compiler(plan()))
    job, _ = await jm.submit("t", "o", sub(), b"0")
    await events(jm, job.job_id, until=lambda e: e.iteration == 7)
    await jm.shutdown()  # the kernel stops mid-loop; the job stays EXECUTING
    jm.store.close()
    d1.gate.set()

    d2 = Driver()
    jm2 = manager(tmp_path, d2, Compiler(plan()))
    assert jm2.recover() == 1
    evs = await events(jm2, job.job_id)
    got = jm2.results("t", job.job_id).optimization
    assert jm2.get("t", job.job_id).state == TaskState.COMPLETED
    assert got["optimal_value"] == expected["optimal_value"]
    assert got["iterations"] == expected["iterations"]
    assert got["history"] == expected["history"]
    assert len(d2.calls) == expected["iterations"] - 7  # stored iterations were not re-run
    iters = [e.iteration for e in evs if e.iteration > 0]
    assert iters == list(range(1, expected["iterations"] + 1))  # each iteration announced once


async def test_pattern_a_binds_parameters_from_inputs_and_reuses_the_compilation(tmp_path):
    d = Driver()
    c = Compiler(params=("theta",))
    jm = manager(tmp_path, d, c)
    for value in (0.1, 0.2, 0.3):
        job, _ = await jm.submit("t", "o", sub(inputs={"theta": value}), b"0")
        await events(jm, job.job_id)
        res = jm.results("t", job.job_id)
        assert res.job.state == TaskState.COMPLETED
    assert [x["theta"] for x in d.executions] == [0.1, 0.2, 0.3]
    assert c.calls == 1  # only the first iteration compiled
    assert res.metadata["compile.cache"] == "hit"


async def test_unbound_parameter_is_a_clear_error(tmp_path):
    jm = manager(tmp_path, Driver(), Compiler(params=("theta",)))
    job, _ = await jm.submit("t", "o", sub(), b"0")
    await events(jm, job.job_id)
    res = jm.results("t", job.job_id)
    assert res.job.state == TaskState.FAILED
    assert res.job.error_code == "MISSING_PARAMETER_VALUES"
    assert "theta" in res.job.error_summary
