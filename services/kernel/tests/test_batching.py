"""ExecutionBatcher: runs of one device made in one loop turn travel as one batch (issue 9).

The driver-manager side is stood in for by two coroutines that record what they were sent;
the end-to-end path (a real driver-manager running the batch on Aer) is in
tests/integration/test_batches.py.
"""

from __future__ import annotations

import asyncio

import grpc
import pytest
from grpc_status import rpc_status

from eigen.driver.v1 import driver_pb2
from eigen_common import errors
from eigen_common.status import to_status
from eigen_kernel.batching import ExecutionBatcher


class Recorder:
    def __init__(self, fail_items: set[str] = frozenset(), fail_call: Exception | None = None):
        self.singles: list[str] = []
        self.batches: list[list[str]] = []
        self.fail_items = fail_items
        self.fail_call = fail_call
        self.timeouts: list[float] = []

    @staticmethod
    def _result(req: driver_pb2.ExecuteCircuitRequest) -> driver_pb2.ExecuteCircuitResponse:
        return driver_pb2.ExecuteCircuitResponse(
            counts={"0": req.shots}, metadata={"job": req.job_id, "seed": str(req.seed)}
        )

    async def single(self, req, timeout):
        self.singles.append(req.job_id)
        await asyncio.sleep(0)
        if self.fail_call is not None:
            raise self.fail_call
        return self._result(req)

    async def batch(self, req, timeout, metadata):
        self.batches.append([r.job_id for r in req.items])
        self.timeouts.append(timeout)
        await asyncio.sleep(0)
        if self.fail_call is not None:
            raise self.fail_call
        items = []
        for r in req.items:
            if r.job_id in self.fail_items:
                err = errors.InvalidArgumentError(f"bad circuit {r.job_id}", reason="BAD_AQO")
                items.append(driver_pb2.ExecuteCircuitBatchItem(error=to_status(err)))
            else:
                items.append(driver_pb2.ExecuteCircuitBatchItem(result=self._result(r)))
        return driver_pb2.ExecuteCircuitBatchResponse(items=items)


def req(job_id: str, device: str = "sim", shots: int = 10, seed: int = 1):
    return driver_pb2.ExecuteCircuitRequest(job_id=job_id, device_id=device, shots=shots, seed=seed)


async def test_runs_of_one_turn_go_as_one_batch_each_with_its_own_result() -> None:
    rec = Recorder()
    b = ExecutionBatcher(rec.single, rec.batch)
    outs = await asyncio.gather(
        *(b.execute(req(f"j{i}", shots=10 + i, seed=i), 5.0 + i) for i in range(5))
    )
    assert rec.batches == [["j0", "j1", "j2", "j3", "j4"]] and rec.singles == []
    assert [dict(o.counts) for o in outs] == [{"0": 10 + i} for i in range(5)]
    assert [o.metadata["seed"] for o in outs] == [str(i) for i in range(5)]
    assert rec.timeouts == [9.0]  # the longest of the runs' deadlines
    assert b.batches_sent == 1


async def test_a_lone_run_is_a_plain_execute_circuit() -> None:
    rec = Recorder()
    b = ExecutionBatcher(rec.single, rec.batch)
    out = await b.execute(req("solo"), 5.0)
    assert rec.singles == ["solo"] and rec.batches == []
    assert dict(out.counts) == {"0": 10}


async def test_devices_are_batched_apart_and_runs_of_later_turns_apart() -> None:
    rec = Recorder()
    b = ExecutionBatcher(rec.single, rec.batch)
    first = [b.execute(req(f"a{i}", device="A"), 5) for i in range(2)]
    first += [b.execute(req(f"b{i}", device="B"), 5) for i in range(2)]
    await asyncio.gather(*first)
    await asyncio.gather(*(b.execute(req(f"c{i}", device="A"), 5) for i in range(3)))
    assert sorted(rec.batches) == [["a0", "a1"], ["b0", "b1"], ["c0", "c1", "c2"]]


async def test_max_items_splits_a_large_turn() -> None:
    rec = Recorder()
    b = ExecutionBatcher(rec.single, rec.batch, max_items=4)
    await asyncio.gather(*(b.execute(req(f"j{i}"), 5) for i in range(10)))
    assert [len(x) for x in rec.batches] == [4, 4, 2] and rec.singles == []


async def test_a_bad_item_fails_only_its_own_run() -> None:
    rec = Recorder(fail_items={"j1"})
    b = ExecutionBatcher(rec.single, rec.batch)
    outs = await asyncio.gather(
        *(b.execute(req(f"j{i}"), 5) for i in range(3)), return_exceptions=True
    )
    assert isinstance(outs[1], errors.InvalidArgumentError) and outs[1].reason == "BAD_AQO"
    assert [dict(outs[i].counts) for i in (0, 2)] == [{"0": 10}, {"0": 10}]


async def test_a_failed_call_fails_every_run_with_the_typed_error() -> None:
    status = to_status(errors.UnavailableError("driver-manager down"))

    class Down(grpc.RpcError):
        def code(self):
            return grpc.StatusCode.UNAVAILABLE

        def details(self):
            return "driver-manager down"

        def trailing_metadata(self):
            return (("grpc-status-details-bin", status.SerializeToString()),)

    assert rpc_status.from_call(Down()) is not None
    rec = Recorder(fail_call=Down())
    b = ExecutionBatcher(rec.single, rec.batch)
    outs = await asyncio.gather(
        *(b.execute(req(f"j{i}"), 5) for i in range(3)), return_exceptions=True
    )
    assert all(isinstance(o, errors.UnavailableError) for o in outs), outs


async def test_a_cancelled_run_is_left_out_and_the_others_complete() -> None:
    rec = Recorder()
    b = ExecutionBatcher(rec.single, rec.batch)
    tasks = [asyncio.ensure_future(b.execute(req(f"j{i}"), 5)) for i in range(3)]
    await asyncio.sleep(0)  # all three are waiting in the open batch
    tasks[1].cancel()
    done = await asyncio.gather(*tasks, return_exceptions=True)
    assert isinstance(done[1], asyncio.CancelledError)
    assert rec.batches == [["j0", "j2"]]
    assert dict(done[0].counts) == {"0": 10}


@pytest.mark.parametrize("n", [1, 2, 17])
async def test_every_run_gets_exactly_one_answer(n: int) -> None:
    rec = Recorder()
    b = ExecutionBatcher(rec.single, rec.batch, max_items=8)
    outs = await asyncio.gather(*(b.execute(req(f"j{i}", shots=i + 1), 5) for i in range(n)))
    assert [sum(o.counts.values()) for o in outs] == [i + 1 for i in range(n)]
    sent = rec.singles + [j for batch in rec.batches for j in batch]
    assert sorted(sent) == sorted(f"j{i}" for i in range(n))
