"""Failure modes of the pipeline that real services cannot produce on demand.

The compiler and driver-manager ports are replaced by small in-test doubles so that outages,
disk-full errors and interleavings can be injected deterministically; everything else (SQLite
store, QFS, scheduler) is real. Found by review; each test failed before its fix.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from eigen_common import errors
from eigen_common.devices import Device, DeviceStatus
from eigen_kernel.domain import CompiledProgram, ExecutionOutcome, Submission
from eigen_kernel.qfs import Qfs
from eigen_kernel.scheduler import JobManager, KernelConfig
from eigen_kernel.states import TERMINAL, TaskState
from eigen_kernel.store import JobStore

DEV = Device("aer", "aer", "simulator", DeviceStatus.ONLINE, 5, ("sim:local",), driver="aer")


class Compiler:
    def __init__(self, fail: bool = False):
        self.fail = fail

    async def compile(self, job_id, sub, timeout):
        await asyncio.sleep(0)
        if self.fail:
            raise errors.CompilationFailedError("bad program")
        return CompiledProgram(b"{}", "0" * 64, {"logical_qubits": "1"})


class Driver:
    def __init__(self):
        self.down = False
        self.executions: list[str] = []
        self.gate = asyncio.Event()
        self.gate.set()

    async def list_devices(self, timeout):
        if self.down:
            raise errors.ServiceUnavailableError("driver-manager down")
        return [DEV]

    async def execute(self, job_id, device_id, aqo, shots, seed, opts, params, timeout):
        self.executions.append(job_id)
        await self.gate.wait()
        return ExecutionOutcome({"0": shots}, 0.0, {})


def sub(name: str = "j", **kw) -> Submission:
    return Submission(name=name, language="qasm", source="x", target="sim:local", **kw)


def manager(tmp_path: Path, driver=None, compiler=None, slots: int = 1) -> JobManager:
    return JobManager(
        JobStore(tmp_path / "jobs.db"),
        Qfs(tmp_path / "qfs"),
        compiler or Compiler(),
        driver or Driver(),
        KernelConfig(device_slots=slots, retry_base_seconds=0.01, retry_attempts=6),
    )


async def reached(jm: JobManager, job_id: str, state: TaskState) -> None:
    """Wait (on the job's event stream) until it has reached ``state``."""

    async def go() -> None:
        async for e in jm.watch("t", job_id, 0):
            if getattr(e, "state", None) == state:
                return

    await asyncio.wait_for(go(), 5)


async def final(jm: JobManager, job_id: str):
    async def drain():
        async for _ in jm.watch("t", job_id, 0):
            pass

    await asyncio.wait_for(drain(), 5)
    return jm.get("t", job_id)


class FlakyDriver(Driver):
    """Driver-manager not up yet when the kernel restarts: the first listings fail."""

    def __init__(self, failures: int):
        super().__init__()
        self.failures = failures

    async def list_devices(self, timeout):
        if self.failures:
            self.failures -= 1
            raise errors.ServiceUnavailableError("driver-manager down")
        return [DEV]


async def test_driver_outage_during_recovery_is_retried(tmp_path):
    d = Driver()
    d.gate.clear()
    jm = manager(tmp_path, d)
    a, _ = await jm.submit("t", "o", sub("a"), b"0")
    b, _ = await jm.submit("t", "o", sub("b"), b"1")
    await reached(jm, a.job_id, TaskState.EXECUTING)
    await reached(jm, b.job_id, TaskState.QUEUED)
    await jm.shutdown()
    jm.store.close()
    d2 = FlakyDriver(failures=3)
    jm2 = manager(tmp_path, d2)
    assert jm2.recover() == 2
    assert (await final(jm2, a.job_id)).state == TaskState.COMPLETED
    assert (await final(jm2, b.job_id)).state == TaskState.COMPLETED
    assert d2.failures == 0  # the outage was met and retried through


async def test_disk_full_on_error_record_still_ends_the_job(tmp_path, monkeypatch):
    jm = manager(tmp_path, compiler=Compiler(fail=True))
    original = jm.qfs.write_json

    def write_json(job_id, name, obj):
        if name == "error.json":
            raise OSError(28, "No space left on device")
        return original(job_id, name, obj)

    monkeypatch.setattr(jm.qfs, "write_json", write_json)
    job, _ = await jm.submit("t", "o", sub(), b"0")
    done = await final(jm, job.job_id)
    assert done.state == TaskState.FAILED and done.error_code == "COMPILATION_FAILED"
    assert not jm._tasks


async def test_cancel_before_the_pipeline_first_runs_cleans_up(tmp_path):
    jm = manager(tmp_path)
    job, _ = await jm.submit("t", "o", sub(), b"0")
    jm.cancel("t", job.job_id, "")  # same loop turn as the submission
    done = await final(jm, job.job_id)
    await asyncio.sleep(0)
    assert done.state == TaskState.CANCELLED
    assert job.job_id not in jm._tasks
    assert (tmp_path / "qfs" / "jobs" / job.job_id / "events.jsonl").exists()


async def test_recovery_never_runs_a_live_job_twice(tmp_path):
    d = Driver()
    d.gate.clear()
    jm = manager(tmp_path, d, slots=2)
    job, _ = await jm.submit("t", "o", sub(), b"0")
    await reached(jm, job.job_id, TaskState.EXECUTING)
    task = jm._tasks[job.job_id]
    jm.recover()
    assert list(jm._tasks) == [job.job_id] and jm._tasks[job.job_id] is task
    d.gate.set()
    assert (await final(jm, job.job_id)).state == TaskState.COMPLETED
    assert d.executions == [job.job_id]
    assert not any("restart" in e.message for e in jm.store.events_after(job.job_id, 0))


async def test_offline_device_is_rejected_at_submission(tmp_path):
    class Offline(Driver):
        async def list_devices(self, timeout):
            return [
                Device(
                    "aer", "aer", "simulator", DeviceStatus.OFFLINE, 5, ("sim:local",), driver="aer"
                )
            ]

    jm = manager(tmp_path, Offline())
    with pytest.raises(errors.DeviceOfflineError):
        await jm.submit("t", "o", sub(), b"0")
    assert jm.store.list_jobs("t", [], 10, "")[0] == []


async def test_every_job_ends_exactly_once_under_mixed_faults(tmp_path):
    d = Driver()
    jm = manager(tmp_path, d, slots=2)
    ids = []
    for i in range(30):
        kw = {"timeout_seconds": 0.001} if i % 7 == 0 else {}
        job, _ = await jm.submit("t", "o", sub(f"j{i}", **kw), str(i).encode())
        ids.append(job.job_id)
        if i % 5 == 0:
            jm.cancel("t", job.job_id, "")
    for j in ids:
        done = await final(jm, j)
        evs = jm.store.events_after(j, 0)
        assert done.state in TERMINAL
        assert [e.seq for e in evs] == list(range(1, len(evs) + 1))
        assert sum(e.terminal for e in evs) == 1 and evs[-1].terminal
    assert not jm._tasks


async def test_idempotency_key_is_reusable_after_its_window(tmp_path, monkeypatch):
    from eigen_kernel import scheduler

    jm = manager(tmp_path)
    first, dup = await jm.submit("t", "o", sub(idempotency_key="k"), b"same")
    again, dup2 = await jm.submit("t", "o", sub(idempotency_key="k"), b"same")
    assert not dup and dup2 and again.job_id == first.job_id
    monkeypatch.setattr(scheduler, "IDEMPOTENCY_WINDOW_SECONDS", -1.0)  # everything expired
    fresh, dup3 = await jm.submit("t", "o", sub(idempotency_key="k"), b"other payload")
    assert not dup3 and fresh.job_id != first.job_id
    await final(jm, first.job_id)
    await final(jm, fresh.job_id)
