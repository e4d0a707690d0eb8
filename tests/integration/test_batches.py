"""Small jobs waiting for the same device run as one batch, each as if alone (issue 9).

The in-process stack with a real driver-manager on Aer: with one slot on ``sim:local`` and a
batch size of 8, jobs queued together start together in that slot and reach the driver-manager
as one ExecuteCircuitBatch (the kernel's batch-size histogram says so). Each keeps its own
events, seed and counts — the same counts as the same job run alone — and a bad one fails
alone.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import grpc
from prometheus_client import REGISTRY

from eigen.api.v1 import common_pb2, job_pb2, job_pb2_grpc
from tests.inprocess import DEFAULT_KEYS, start_stack

TOKEN = next(iter(DEFAULT_KEYS))
MD = [("authorization", f"Bearer {TOKEN}")]
GHZ = (
    'OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[3];\ncreg c[3];\n'
    "h q[0];\ncx q[0],q[1];\ncx q[1],q[2];\nrx(0.3) q[2];\nmeasure q -> c;\n"
)
WIDE = 'OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[14];\ncreg c[14];\nh q;\nmeasure q -> c;\n'


def batch_calls() -> tuple[float, float]:
    """(driver-manager calls carrying plain runs, runs carried) so far in this process."""
    n = REGISTRY.get_sample_value("eigen_kernel_execution_batch_size_count") or 0.0
    total = REGISTRY.get_sample_value("eigen_kernel_execution_batch_size_sum") or 0.0
    return n, total


async def executing(stub: job_pb2_grpc.JobServiceStub, source: str, shots: int) -> str:
    """Submit a job and return once it executes (it then holds its slot)."""
    req = job_pb2.SubmitJobRequest(
        name="blocker", target="sim:local", qasm=common_pb2.QasmSource(source=source), shots=shots
    )
    job_id = (await stub.SubmitJob(req, metadata=MD, timeout=30)).job_id
    async for r in stub.StreamJobUpdates(
        job_pb2.StreamJobUpdatesRequest(job_id=job_id), metadata=MD, timeout=120
    ):
        if r.update.stage == "EXECUTING":
            return job_id
    raise AssertionError(f"{job_id} ended before it executed")


async def run(stub: job_pb2_grpc.JobServiceStub, source: str, seed: int, shots: int = 2000):
    req = job_pb2.SubmitJobRequest(
        name=f"b{seed}",
        target="sim:local",
        qasm=common_pb2.QasmSource(source=source),
        shots=shots,
        seed=seed,
    )
    job_id = (await stub.SubmitJob(req, metadata=MD, timeout=30)).job_id
    ups = []
    async for r in stub.StreamJobUpdates(
        job_pb2.StreamJobUpdatesRequest(job_id=job_id, include_results=True),
        metadata=MD,
        timeout=120,
    ):
        ups.append(r)
    return job_id, ups


async def test_queued_small_jobs_run_as_one_batch_with_their_own_seeds(tmp_path: Path) -> None:
    kernel = {"device_slots": 1, "batch_size": 8}
    async with (
        start_stack(tmp_path, kernel=kernel) as stack,
        grpc.aio.insecure_channel(stack.api_address) as ch,
    ):
        stub = job_pb2_grpc.JobServiceStub(ch)
        # a wide job (not batchable: 14 qubits > batch_max_qubits) holds the one slot
        # while eight small ones queue behind it
        await executing(stub, WIDE, shots=200_000)
        calls0, runs0 = batch_calls()
        together = await asyncio.gather(*(run(stub, GHZ, seed) for seed in range(8)))
        calls1, runs1 = batch_calls()
        # then the same jobs one at a time: each alone in the slot
        alone = [await run(stub, GHZ, seed) for seed in range(8)]
        calls2, runs2 = batch_calls()
    counts = [dict(ups[-1].results.counts) for _, ups in together]
    assert counts == [dict(ups[-1].results.counts) for _, ups in alone]
    assert len({tuple(sorted(c.items())) for c in counts}) > 1  # the seeds differ
    for _, ups in together:
        assert ups[-1].update.terminal and ups[-1].results.state == job_pb2.JOB_STATUS_DONE
        seqs = [u.update.event_seq for u in ups]
        assert seqs == list(range(1, len(seqs) + 1))
        assert sum(ups[-1].results.counts.values()) == 2000
    # the small jobs reached the driver-manager in fewer calls than jobs (batched) ...
    assert runs1 - runs0 >= 8 and calls1 - calls0 < runs1 - runs0
    # ... and alone, one call each
    assert (calls2 - calls1, runs2 - runs1) == (8, 8)


async def test_a_bad_job_in_a_batch_fails_alone(tmp_path: Path) -> None:
    kernel = {"device_slots": 1, "batch_size": 8}
    options = {"max_shots": 10_000}  # the driver-manager refuses the 50,000-shot job alone
    async with (
        start_stack(tmp_path, kernel=kernel, driver_manager=options) as stack,
        grpc.aio.insecure_channel(stack.api_address) as ch,
    ):
        stub = job_pb2_grpc.JobServiceStub(ch)
        await executing(stub, WIDE, shots=5_000)
        outs = await asyncio.gather(
            run(stub, GHZ, 1), run(stub, GHZ, 2, shots=50_000), run(stub, GHZ, 3)
        )
    states = [ups[-1].results.state for _, ups in outs]
    assert states == [job_pb2.JOB_STATUS_DONE, job_pb2.JOB_STATUS_ERROR, job_pb2.JOB_STATUS_DONE]
