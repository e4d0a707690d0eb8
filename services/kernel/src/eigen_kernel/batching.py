"""ExecuteCircuit calls of one device made together, sent as one ExecuteCircuitBatch (issue 9).

The scheduler starts a batch of small jobs in one slot (:class:`~eigen_kernel.policy.
SchedulingPolicy`); each job's execution task then calls the driver-manager as if alone. The
:class:`ExecutionBatcher` collects the plain runs (no sweep, no saved state) that arrive for
one device within one turn of the event loop and sends them as one ExecuteCircuitBatch: one
gRPC call and one simulator call for all of them, each item with its own job id, shots, seed
and counts, and its own error (a bad circuit fails only its job). A run that arrives alone is
sent as ExecuteCircuit, as before, so a single job pays one loop turn (microseconds) and
nothing else.

The batch call is made in the context (trace, job id) of the run that opened the batch; the
others' spans end when their results arrive.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import grpc

from eigen.driver.v1 import driver_pb2
from eigen_common.context import outgoing_metadata
from eigen_common.errors import InternalError
from eigen_common.status import from_rpc_error, from_status
from eigen_kernel import metrics

#: The driver-manager's limit on the items of one ExecuteCircuitBatch.
MAX_ITEMS = 256

Single = Callable[
    [driver_pb2.ExecuteCircuitRequest, float], Awaitable[driver_pb2.ExecuteCircuitResponse]
]
Batch = Callable[
    [driver_pb2.ExecuteCircuitBatchRequest, float, list[tuple[str, str]]],
    Awaitable[driver_pb2.ExecuteCircuitBatchResponse],
]


@dataclass
class _Waiting:
    request: driver_pb2.ExecuteCircuitRequest
    timeout: float
    result: asyncio.Future[driver_pb2.ExecuteCircuitResponse]


class ExecutionBatcher:
    """Coalesces concurrent plain ExecuteCircuit calls per device.

    Args:
        single: sends one ExecuteCircuit (request, timeout in seconds).
        batch: sends one ExecuteCircuitBatch (request, timeout in seconds, metadata).
        max_items: most runs in one batch (≤ :data:`MAX_ITEMS`).
    """

    def __init__(self, single: Single, batch: Batch, max_items: int = 64):
        self._single = single
        self._batch = batch
        self._max = max(1, min(max_items, MAX_ITEMS))
        self._open: dict[str, list[_Waiting]] = {}
        self._sending: set[asyncio.Task[None]] = set()
        self.batches_sent = 0  # ExecuteCircuitBatch calls made (tests, metrics)

    async def execute(
        self, request: driver_pb2.ExecuteCircuitRequest, timeout: float
    ) -> driver_pb2.ExecuteCircuitResponse:
        """Run ``request`` with whatever else arrives for its device in this loop turn.

        Raises:
            EigenError subclasses: this run's own error (typed, as from ExecuteCircuit).
        """
        loop = asyncio.get_running_loop()
        waiting = _Waiting(request, timeout, loop.create_future())
        device = request.device_id
        group = self._open.get(device)
        if group is None:
            group = self._open[device] = []
            loop.call_soon(self._close, device)  # after the runs ready in this turn
        group.append(waiting)
        if len(group) >= self._max:
            self._close(device)
        return await waiting.result

    def _close(self, device: str) -> None:
        group = self._open.pop(device, None)
        if not group:
            return
        task = asyncio.get_running_loop().create_task(self._send(group))
        self._sending.add(task)
        task.add_done_callback(self._sending.discard)

    async def _send(self, group: list[_Waiting]) -> None:
        live = [w for w in group if not w.result.done()]  # a cancelled job's run is dropped
        if not live:
            return
        metrics.EXECUTION_BATCH.observe(len(live))
        if len(live) == 1:
            w = live[0]
            try:
                _settle(w, await self._single(w.request, w.timeout))
            except BaseException as exc:  # handed to the one waiting run
                _fail(w, exc)
            return
        request = driver_pb2.ExecuteCircuitBatchRequest(items=[w.request for w in live])
        timeout = max(w.timeout for w in live)
        self.batches_sent += 1
        try:
            response = await self._batch(request, timeout, outgoing_metadata())
        except BaseException as exc:  # the whole call failed: every run fails
            for w in live:
                _fail(w, exc)
            return
        if len(response.items) != len(live):
            err = InternalError("the driver-manager answered a batch with the wrong length")
            for w in live:
                _fail(w, err)
            return
        for w, item in zip(live, response.items, strict=True):
            if item.HasField("result"):
                _settle(w, item.result)
            else:
                _fail(w, from_status(item.error))


def _settle(w: _Waiting, response: driver_pb2.ExecuteCircuitResponse) -> None:
    if not w.result.done():
        w.result.set_result(response)


def _fail(w: _Waiting, exc: BaseException) -> None:
    if w.result.done():
        return
    if isinstance(exc, asyncio.CancelledError):  # the sending task was cancelled (shutdown)
        w.result.cancel()
    elif isinstance(exc, grpc.RpcError):
        w.result.set_exception(from_rpc_error(exc))
    else:
        w.result.set_exception(exc)
