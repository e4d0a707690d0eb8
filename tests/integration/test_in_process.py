"""All four services in one process (one event loop, each on its own port 0).

Fast enough to drive kernel behaviour that needs timing control: heartbeats, timeouts,
cancellation of a running execution, long-polling and recovery after a kernel restart.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import grpc
import pytest
import yaml

from eigen.api.v1 import common_pb2, job_pb2, job_pb2_grpc
from eigen.kernel.v1 import kernel_pb2, kernel_pb2_grpc
from eigen_common.context import AuthContext
from eigen_common.server import RunningServer
from eigen_common.status import from_rpc_error
from eigen_kernel.app import KernelApp
from eigen_kernel.jobs import Heartbeat
from tests.conftest import CORPUS
from tests.inprocess import InProcessStack, start_stack

TOKEN = "in-process-token"
READONLY_TOKEN = "read-only-token"
BELL = (
    'OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[2];\ncreg c[2];\n'
    "h q[0];\ncx q[0],q[1];\nmeasure q -> c;\n"
)
HEAVY = (CORPUS / "qasmbench" / "medium" / "qft_n18" / "qft_n18.qasm").read_text()


@dataclass
class Stack:
    """In-process stack with a public client."""

    stack: InProcessStack
    jobs: job_pb2_grpc.JobServiceStub
    channel: grpc.aio.Channel
    md: list[tuple[str, str]]

    @property
    def home(self) -> Path:
        return self.stack.home

    @property
    def kernel(self) -> KernelApp:
        return self.stack.kernel

    @property
    def servers(self) -> dict[str, RunningServer]:
        return self.stack.servers


@pytest.fixture
async def stack(tmp_path: Path) -> AsyncIterator[Stack]:
    async with start_stack(
        tmp_path,
        keys={TOKEN: ("it", ("admin",), "it"), READONLY_TOKEN: ("viewer", ("readonly",), "it")},
        kernel={
            "heartbeat_seconds": 0.2,
            "backend_patience_seconds": 1.0,
            "retry_base_seconds": 0.05,
        },
    ) as st:
        ch = grpc.aio.insecure_channel(st.api_address)
        yield Stack(st, job_pb2_grpc.JobServiceStub(ch), ch, [("authorization", f"Bearer {TOKEN}")])
        await ch.close()


def req(source: str = BELL, **kw: object) -> job_pb2.SubmitJobRequest:
    r = job_pb2.SubmitJobRequest(
        name="it", target="sim:local", qasm=common_pb2.QasmSource(source=source)
    )
    for k, v in kw.items():
        if k == "dependencies":
            r.dependencies.extend(v)  # type: ignore[arg-type]
        elif k == "compiler_options":
            r.compiler_options.update(v)  # type: ignore[arg-type]
        else:
            setattr(r, k, v)
    return r


async def submit(st: Stack, r: job_pb2.SubmitJobRequest) -> str:
    return (await st.jobs.SubmitJob(r, metadata=st.md, timeout=30)).job_id


async def updates(st: Stack, job_id: str, after: int = 0) -> list[job_pb2.JobUpdate]:
    call = st.jobs.StreamJobUpdates(
        job_pb2.StreamJobUpdatesRequest(job_id=job_id, last_event_seq=after),
        metadata=st.md,
        timeout=120,
    )
    return [m.update async for m in call]


async def test_bell_through_in_process_stack(stack: Stack) -> None:
    job_id = await submit(stack, req(shots=500, seed=11))
    ups = await updates(stack, job_id)
    assert ups[-1].state == job_pb2.JOB_STATUS_DONE
    res = await stack.jobs.GetJobResults(
        job_pb2.GetJobResultsRequest(job_id=job_id), metadata=stack.md
    )
    assert set(res.counts) <= {"00", "11"} and sum(res.counts.values()) == 500
    jobs = stack.kernel.qrtx.jobs

    def artifact(name: str) -> str:
        return b"".join(jobs.artifact("it", job_id, name).chunks).decode()

    assert {a.name for a in res.artifacts} == {
        "input/job.yaml",
        "input/program.qasm",
        "compiled.aqo.json",
        "results.json",
        "events.jsonl",
    }
    spec = yaml.safe_load(artifact("input/job.yaml"))
    assert spec["target"] == "sim:local" and spec["shots"] == 500 and "source" not in spec
    assert artifact("input/program.qasm") == BELL
    assert json.loads(artifact("results.json"))["counts"] == dict(res.counts)
    events = artifact("events.jsonl").splitlines()
    assert len(events) == len([u for u in ups if not u.heartbeat])


async def test_repeated_program_hits_the_compile_cache(stack: Stack) -> None:
    results = []
    for shots in (100, 200):
        job_id = await submit(stack, req(shots=shots, seed=1))
        await updates(stack, job_id)
        results.append(
            await stack.jobs.GetJobResults(
                job_pb2.GetJobResultsRequest(job_id=job_id), metadata=stack.md
            )
        )
    first, second = results
    assert "compile.cache" not in first.metadata
    assert second.metadata["compile.cache"] == "hit"
    assert first.metadata["aqo_sha256"] == second.metadata["aqo_sha256"]
    assert sum(second.counts.values()) == 200
    other = await submit(
        stack, req(shots=100, seed=1, compiler_options={"optimization_level": "0"})
    )
    await updates(stack, other)
    res = await stack.jobs.GetJobResults(
        job_pb2.GetJobResultsRequest(job_id=other), metadata=stack.md
    )
    assert "compile.cache" not in res.metadata


async def test_concurrent_retries_with_one_idempotency_key_get_one_job(stack: Stack) -> None:
    r = req(seed=1, idempotency_key="retry-key")
    out = await asyncio.gather(
        *[stack.jobs.SubmitJob(r, metadata=stack.md, timeout=30) for _ in range(6)]
    )
    assert len({o.job_id for o in out}) == 1
    assert sum(not o.deduplicated for o in out) == 1


async def test_edge_rejects_unsupported_and_out_of_range_requests(stack: Stack) -> None:
    job_id = await submit(stack, req(seed=1))
    call = stack.jobs.StreamJobUpdates(
        job_pb2.StreamJobUpdatesRequest(job_id=job_id, last_event_seq=2**63),
        metadata=stack.md,
        timeout=10,
    )
    with pytest.raises(grpc.aio.AioRpcError) as exc:
        [m async for m in call]
    assert exc.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    ref = job_pb2.SubmitJobRequest(
        name="ref",
        target="sim:local",
        aqo_ref=common_pb2.AqoRef(uri=f"qfs://jobs/{job_id}/compiled.aqo.json"),
    )
    with pytest.raises(grpc.aio.AioRpcError) as exc:
        await stack.jobs.SubmitJob(ref, metadata=stack.md)
    assert exc.value.code() == grpc.StatusCode.UNIMPLEMENTED
    with pytest.raises(grpc.aio.AioRpcError) as exc:
        await stack.jobs.SubmitJob(req(name="trailing\n"), metadata=stack.md)
    assert exc.value.code() == grpc.StatusCode.INVALID_ARGUMENT


@pytest.mark.parametrize("option", ["shots=10**12", "seed=2**70"])
async def test_program_declared_shots_or_seed_out_of_range_end_in_error(
    stack: Stack, option: str
) -> None:
    src = (
        "from eigen_lang import QubitRegister, cx, h, hybrid_program, measure_all\n\n\n"
        f'@hybrid_program(target="sim:local", {option})\n'
        "def bell():\n    q = QubitRegister(2)\n    h(q[0])\n    cx(q[0], q[1])\n"
        "    measure_all(q)\n"
    )
    r = job_pb2.SubmitJobRequest(
        name="big", target="sim:local", eigen_lang=common_pb2.EigenLangSource(source=src)
    )
    job_id = await submit(stack, r)
    ups = await updates(stack, job_id)
    res = await stack.jobs.GetJobResults(
        job_pb2.GetJobResultsRequest(job_id=job_id), metadata=stack.md
    )
    assert ups[-1].state == job_pb2.JOB_STATUS_ERROR
    assert res.error_code in ("INVALID_PROGRAM_OPTION", "COMPILATION_FAILED"), res.error_code


async def test_readonly_role_cannot_submit_or_cancel_but_can_read(stack: Stack) -> None:
    job_id = await submit(stack, req(seed=1))
    ro = [("authorization", f"Bearer {READONLY_TOKEN}")]
    for call, request in (
        (stack.jobs.SubmitJob, req()),
        (stack.jobs.CancelJob, job_pb2.CancelJobRequest(job_id=job_id)),
    ):
        with pytest.raises(grpc.aio.AioRpcError) as exc:
            await call(request, metadata=ro)
        assert exc.value.code() == grpc.StatusCode.PERMISSION_DENIED
        assert from_rpc_error(exc.value).reason == "PERMISSION_DENIED"
    status = await stack.jobs.GetJobStatus(job_pb2.GetJobStatusRequest(job_id=job_id), metadata=ro)
    assert status.job.job_id == job_id


async def test_kernel_down_is_unavailable_with_retry_info(stack: Stack) -> None:
    await stack.servers["kernel"].stop(0)
    with pytest.raises(grpc.aio.AioRpcError) as exc:
        await stack.jobs.SubmitJob(req(), metadata=stack.md, timeout=10)
    assert exc.value.code() == grpc.StatusCode.UNAVAILABLE
    err = from_rpc_error(exc.value)
    assert err.reason == "SERVICE_UNAVAILABLE" and err.retry_after is not None
    # the public edge itself keeps serving: unauthenticated calls are still answered by it
    with pytest.raises(grpc.aio.AioRpcError) as exc:
        await stack.jobs.SubmitJob(req(), timeout=10)
    assert exc.value.code() == grpc.StatusCode.UNAUTHENTICATED
    await stack.stack.restart_kernel()


async def test_timeout_ends_job_in_timeout(stack: Stack) -> None:
    blocker = await submit(stack, req(HEAVY, shots=300000, seed=1))
    job_id = await submit(stack, req(timeout_seconds=0.3, dependencies=[blocker]))
    ups = await updates(stack, job_id)
    assert ups[-1].state == job_pb2.JOB_STATUS_TIMEOUT and ups[-1].terminal
    res = await stack.jobs.GetJobResults(
        job_pb2.GetJobResultsRequest(job_id=job_id), metadata=stack.md
    )
    assert res.error_code == "TIMEOUT"
    try:  # clean up; the blocker may have finished meanwhile on a fast machine
        await stack.jobs.CancelJob(job_pb2.CancelJobRequest(job_id=blocker), metadata=stack.md)
    except grpc.aio.AioRpcError as exc:
        assert from_rpc_error(exc).reason == "JOB_ALREADY_TERMINAL"


async def heartbeat_then_cancel(stack: Stack, seed: int) -> list[job_pb2.JobUpdate] | None:
    """Run a long job, cancel it at its first RUNNING heartbeat; its updates, or None when the
    job was over before the cancel arrived (a client lagging far behind its stream)."""
    # 200,000 shots: ~1 s of sampling, during which Aer releases the GIL; at 2,000,000 it holds
    # the GIL for the whole run (7 s measured) and the in-process stack's one event loop — so
    # every heartbeat — stalls until the job is over
    job_id = await submit(stack, req(HEAVY, shots=200_000, seed=seed))
    call = stack.jobs.StreamJobUpdates(
        job_pb2.StreamJobUpdatesRequest(job_id=job_id), metadata=stack.md, timeout=120
    )
    seen: list[job_pb2.JobUpdate] = []
    cancelled = False
    async for m in call:
        seen.append(m.update)
        if m.update.heartbeat and m.update.state == job_pb2.JOB_STATUS_RUNNING:
            assert m.update.event_seq == max(u.event_seq for u in seen if not u.heartbeat)
            if not cancelled:  # a second heartbeat may already be on its way
                try:
                    await stack.jobs.CancelJob(
                        job_pb2.CancelJobRequest(job_id=job_id, reason="enough"),
                        metadata=stack.md,
                    )
                except grpc.aio.AioRpcError as exc:
                    assert from_rpc_error(exc).reason == "JOB_ALREADY_TERMINAL"
                    return None
                cancelled = True
    return seen


async def test_heartbeats_while_running_and_cancel_mid_execution(stack: Stack) -> None:
    seen = await heartbeat_then_cancel(stack, 2)
    if seen is None:  # only on a badly overloaded machine; once more
        seen = await heartbeat_then_cancel(stack, 5)
    assert seen is not None, "the job ended before a cancel sent at its first heartbeat"
    assert any(u.heartbeat for u in seen)
    assert seen[-1].terminal and seen[-1].state == job_pb2.JOB_STATUS_CANCELLED
    assert sum(u.terminal for u in seen) == 1
    # a client closing its stream never cancels a job: a fresh job survives an abandoned stream
    other = await submit(stack, req(seed=3))
    abandoned = stack.jobs.StreamJobUpdates(
        job_pb2.StreamJobUpdatesRequest(job_id=other), metadata=stack.md
    )
    await abandoned.read()
    abandoned.cancel()
    assert (await updates(stack, other))[-1].state == job_pb2.JOB_STATUS_DONE


async def test_poll_job_updates_long_polls(stack: Stack) -> None:
    job_id = await submit(stack, req(seed=4))
    await updates(stack, job_id)
    kstub = kernel_pb2_grpc.KernelGatewayServiceStub(
        grpc.aio.insecure_channel(f"127.0.0.1:{stack.servers['kernel'].port}")
    )
    md = AuthContext("it", ("admin",), "it").to_metadata()
    page = await kstub.PollJobUpdates(
        kernel_pb2.PollJobUpdatesRequest(job_id=job_id, last_event_seq=0, max_events=3),
        metadata=md,
    )
    assert [u.event_seq for u in page.updates] == [1, 2, 3] and page.has_more
    rest = await kstub.PollJobUpdates(
        kernel_pb2.PollJobUpdatesRequest(job_id=job_id, last_event_seq=3, max_events=100),
        metadata=md,
    )
    assert rest.updates[-1].terminal and not rest.has_more
    with pytest.raises(grpc.aio.AioRpcError) as exc:
        await kstub.GetJobStatus(kernel_pb2.GetJobStatusRequest(job_id=job_id))
    assert exc.value.code() == grpc.StatusCode.UNAUTHENTICATED
    other_tenant = AuthContext("x", ("admin",), "other").to_metadata()
    with pytest.raises(grpc.aio.AioRpcError) as exc:
        await kstub.GetJobStatus(
            kernel_pb2.GetJobStatusRequest(job_id=job_id), metadata=other_tenant
        )
    assert from_rpc_error(exc.value).reason == "JOB_NOT_FOUND"


async def test_kernel_restart_resumes_queued_jobs(stack: Stack) -> None:
    blocker = await submit(stack, req(HEAVY, shots=300000, seed=5))
    waiting = [await submit(stack, req(seed=i, dependencies=[blocker])) for i in range(3)]
    # stop the kernel abruptly (pipelines are cancelled, states stay as persisted)
    await stack.stack.restart_kernel()
    jm = stack.kernel.qrtx.jobs
    for j in [blocker, *waiting]:
        job = jm.get("it", j)
        assert job.state.value in {"QUEUED", "ALLOCATING", "EXECUTING", "COMPILING", "COMPLETED"}
    for j in [blocker, *waiting]:
        states = [
            e.event.state.value async for e in jm.watch("it", j, 0) if not isinstance(e, Heartbeat)
        ]
        assert states[-1] == "COMPLETED", (j, states)
