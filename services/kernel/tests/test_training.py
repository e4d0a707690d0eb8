"""The kernel's training loop (QML, seed 004) against a driver double computing exact expectation
values with Qiskit's Statevector; the store, QFS, scheduler, optimiser and datasets are real.

The real driver-manager path is covered end to end in tests/e2e/test_qml.py.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from qiskit.quantum_info import SparsePauliOp, Statevector

from eigen_ir import aqo, qml, qml_data, qml_encoding
from eigen_ir.ansatz import create_hea_ansatz
from eigen_ir.aqo_qiskit import to_qiskit
from eigen_ir.hybrid import OptimizerSpec
from eigen_kernel.app import Qrtx
from eigen_kernel.domain import CompiledProgram, EstimateOutcome
from eigen_kernel.jobs import Heartbeat
from eigen_kernel.states import TaskState
from eigen_kernel.testing import FakeDriver, running_kernel, submission


def moons_plan(max_iter: int = 15, shots: int | None = None) -> qml.TrainingPlan:
    ds = qml_data.dataset_spec("moons", n_samples=24, noise=0.1, seed=3)
    hea = create_hea_ansatz(2, 1, "linear", "ry")
    names = hea.parameters
    ans = aqo.Circuit(2, 0, qml.ansatz_operations(hea.ops, names), tuple(sorted(names)))
    return qml.build_plan(
        feature_map=qml_encoding.angle_encoding(2),
        ansatz=ans,
        weights=names,
        observable=None,
        shots=shots,
        dataset=ds,
        split=qml_data.split_spec(0.25, 3, 24),
        loss="cross_entropy",
        optimizer=OptimizerSpec("cobyla", max_iter, None, qml.initial_weights(4, 3), None),
        returns=[("acc", {"result": "test_accuracy"})],
    )


def exact(aqo_json: bytes, obs, bindings) -> list[float]:
    circuit = aqo.parse(aqo_json)
    op = SparsePauliOp.from_list(list(obs))
    return [
        float(Statevector(to_qiskit(aqo.bind(circuit, dict(b)))).expectation_value(op).real)
        for b in bindings
    ]


class Compiler:
    def __init__(self, p: qml.TrainingPlan, metrics=None):
        self.plan = p
        self.metrics = metrics or {}

    async def compile(self, job_id, sub, device, timeout):
        body = self.plan.canonical_bytes()
        c = self.plan.circuit
        return CompiledProgram(c.canonical_bytes(), c.sha256(), self.metrics, body)


class Driver(FakeDriver):
    """Exact values; ``pause_gate`` holds estimate call ``pause_at`` (1-based) while cleared."""

    def __init__(self, pause_at: int | None = None):
        super().__init__()
        self.calls: list[dict] = []
        self.pause_at = pause_at
        self.pause_gate = asyncio.Event()
        self.paused = asyncio.Event()

    async def estimate(self, job_id, device_id, aqo_json, obs, bindings, shots, seed, timeout):
        self.calls.append({"n": len(bindings), "shots": shots, "seed": seed})
        if self.pause_at is not None and len(self.calls) >= self.pause_at:
            self.paused.set()
            await self.pause_gate.wait()
        values = exact(aqo_json, obs, bindings)
        return EstimateOutcome(values, [0.0] * len(values), 0.0, {})


def kernel(path: Path, driver, compiler):
    return running_kernel(path, driver, compiler, device_slots=1)


def sub(**kw):
    return submission("qml", language="eigen-lang", source="x", **kw)


async def events(jm: Qrtx, job_id: str, until=None) -> list:
    out = []

    async def go():
        async for item in jm.jobs.watch("t", job_id, 0):
            if isinstance(item, Heartbeat):
                continue
            out.append(item.event)
            if until is not None and until(item.event):
                return

    await asyncio.wait_for(go(), 120)
    return out


async def test_one_event_per_iteration_and_the_outcome_of_the_shared_training_step(tmp_path):
    p = moons_plan()
    d = Driver()
    async with kernel(tmp_path, d, Compiler(p, {"program.seed": "9"})) as jm:
        job, _ = jm.jobs.submit("t", "o", sub(), b"0")
        evs = await events(jm, job.job_id)
        res = jm.jobs.results("t", job.job_id)
    assert res.job.state == TaskState.COMPLETED, evs[-1].message
    n_train, n_test = p.split.sizes(24)
    assert [c["n"] for c in d.calls] == [n_train] * 15 + [n_train, n_test]  # one batch each
    iters = [e for e in evs if e.iteration > 0]
    assert [e.iteration for e in iters] == list(range(1, 16))
    assert all("loss" in e.message and "train accuracy" in e.message for e in iters)
    out = res.outcome.outputs
    assert 0.0 <= out["test_accuracy"] <= 1.0 and out["acc"] == out["test_accuracy"]
    assert [e.value for e in iters] == out["loss_history"] == res.outcome.optimization["history"]
    # the same plan, seed (the decorator's 9) and exact values through eigen_ir.qml.train
    local = qml.train(p, lambda b, s: exact(p.circuit.canonical_bytes(), p.observable, b), 9)
    assert out["parameters"] == list(local.parameters)
    assert out["loss_history"] == list(local.loss_history)
    assert out["train_accuracy"] == local.train_accuracy
    meta = res.outcome.metadata
    assert meta["plan_kind"] == "training" and meta["optimizer_seed"] == "9"
    assert meta["data_sha256"] == qml.prepare(p).sha256
    history = json.loads((tmp_path / "qfs/jobs" / job.job_id / "history.json").read_text())
    assert len(history["iterations"]) == 15


async def test_sampled_training_sends_shots_and_one_seed_per_call(tmp_path):
    d = Driver()
    async with kernel(tmp_path, d, Compiler(moons_plan(max_iter=4, shots=500))) as jm:
        job, _ = jm.jobs.submit("t", "o", sub(seed=40), b"0")
        await events(jm, job.job_id)
    assert [c["shots"] for c in d.calls] == [500] * 6
    assert [c["seed"] for c in d.calls] == [41, 42, 43, 44, 45, 46]


async def test_cancel_mid_training_ends_cancelled_within_one_iteration(tmp_path):
    d = Driver(pause_at=4)
    async with kernel(tmp_path, d, Compiler(moons_plan(max_iter=200))) as jm:
        job, _ = jm.jobs.submit("t", "o", sub(), b"0")
        await events(jm, job.job_id, until=lambda e: e.iteration == 3)
        await asyncio.wait_for(d.paused.wait(), 10)
        jm.jobs.cancel("t", job.job_id, "enough")
        d.pause_gate.set()
        evs = await events(jm, job.job_id)
        await asyncio.get_running_loop().shutdown_default_executor()
        assert evs[-1].state == TaskState.CANCELLED and evs[-1].terminal
        assert max(e.iteration for e in evs) == 3 and len(d.calls) == 4


async def test_restart_mid_training_resumes_and_ends_like_an_uninterrupted_run(tmp_path):
    async with kernel(tmp_path / "ref", Driver(), Compiler(moons_plan())) as ref:
        rjob, _ = ref.jobs.submit("t", "o", sub(), b"0")
        await events(ref, rjob.job_id)
        expected = ref.jobs.results("t", rjob.job_id).outcome.outputs

    d1 = Driver(pause_at=8)
    async with kernel(tmp_path, d1, Compiler(moons_plan())) as jm:
        job, _ = jm.jobs.submit("t", "o", sub(), b"0")
        await events(jm, job.job_id, until=lambda e: e.iteration == 7)
    d1.pause_gate.set()  # the kernel stopped mid-training; the job stays EXECUTING

    d2 = Driver()
    async with kernel(tmp_path, d2, Compiler(moons_plan())) as jm2:
        evs = await events(jm2, job.job_id)
        res = jm2.jobs.results("t", job.job_id)
    assert res.job.state == TaskState.COMPLETED
    assert res.outcome.outputs == expected  # bit for bit
    assert len(d2.calls) == 15 - 7 + 2  # stored iterations replayed, not re-run
    iters = [e.iteration for e in evs if e.iteration > 0]
    assert iters == list(range(1, 16))  # each iteration announced once
