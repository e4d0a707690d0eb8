"""In-process gRPC tests of the execution RPCs beyond the seed's: batch, cancel, start/await,
sweeps and saved states (real Aer, real gRPC server on port 0)."""

from __future__ import annotations

import asyncio
import io
import json
import math
import threading
from collections.abc import AsyncIterator
from typing import Any

import grpc
import numpy as np
import pytest
from google.rpc import error_details_pb2

from eigen.common.v1 import circuit_pb2
from eigen.driver.v1 import driver_pb2, driver_pb2_grpc
from eigen_common.channel import create_channel
from eigen_common.errors import EigenError
from eigen_common.server import ServiceBinding
from eigen_common.status import from_rpc_error, from_status
from eigen_common.testing import start_test_server
from eigen_driver_manager.manager import DriverManager
from eigen_driver_manager.plugins.aer_driver import AerDriver
from eigen_driver_manager.registry import DriverRegistry
from eigen_driver_manager.servicer import SERVICE_NAME, DriverManagerServicer
from eigen_driver_manager.testing import BELL_OPERATIONS, FakeDriver, aqo_document

AQO = circuit_pb2.CircuitPayload.FORMAT_AQO_JSON
T = 30.0


def payload(doc: dict[str, Any]) -> circuit_pb2.CircuitPayload:
    return circuit_pb2.CircuitPayload(format=AQO, data=json.dumps(doc).encode())  # type: ignore[arg-type]


BELL = payload(aqo_document(2, 2, BELL_OPERATIONS))
RY = payload(
    aqo_document(
        1,
        1,
        [{"op": "RY", "q": [0], "params": ["t"]}, {"op": "MEASURE", "q": [0], "c": [0]}],
        ["t"],
    )
)
CRY = payload(
    aqo_document(
        2,
        2,
        [
            {"op": "X", "q": [0]},
            {"op": "CRY", "q": [0, 1], "params": ["t"]},
            {"op": "MEASURE", "q": [0, 1], "c": [0, 1]},
        ],
        ["t"],
    )
)


def req(
    device: str = "aer.automatic", p: Any = BELL, **kw: Any
) -> driver_pb2.ExecuteCircuitRequest:
    kw.setdefault("shots", 1000)
    return driver_pb2.ExecuteCircuitRequest(
        job_id=kw.pop("job_id", "j"), device_id=device, payload=p, **kw
    )


@pytest.fixture
def held() -> FakeDriver:
    drv = FakeDriver()
    drv.initialize({"devices": "fake.device,fake.async", "asynchronous": "fake.async"})
    return drv


@pytest.fixture
async def env(
    aer_driver: AerDriver, held: FakeDriver
) -> AsyncIterator[tuple[driver_pb2_grpc.DriverManagerServiceStub, FakeDriver]]:
    manager = DriverManager(DriverRegistry([aer_driver, held]), max_workers=2, max_state_bytes=4096)
    binding = ServiceBinding(
        DriverManagerServicer(manager),
        driver_pb2_grpc.add_DriverManagerServiceServicer_to_server,
        SERVICE_NAME,
    )
    server = await start_test_server("driver-manager", [binding])
    channel = create_channel(f"127.0.0.1:{server.port}")
    try:
        yield driver_pb2_grpc.DriverManagerServiceStub(channel), held
    finally:
        await channel.close()
        await server.stop(0)
        manager.close()


async def call_error(coro: Any) -> tuple[grpc.StatusCode, EigenError]:
    with pytest.raises(grpc.aio.AioRpcError) as exc:
        await coro
    return exc.value.code(), from_rpc_error(exc.value)


# --- batch ---------------------------------------------------------------------------------


async def test_batch_items_keep_their_seeds_and_a_bad_item_fails_alone(env: Any) -> None:
    stub, _ = env
    wide = payload(aqo_document(40, 1, [{"op": "MEASURE", "q": [0], "c": [0]}]))
    items = [
        req(seed=11, job_id="a"),
        req(job_id="b"),
        req(p=wide, job_id="c"),
        req(seed=12, job_id="d", shots=500),
        req(options={"nope": "1"}, job_id="e"),
        req(job_id="f"),
    ]
    resp = await stub.ExecuteCircuitBatch(
        driver_pb2.ExecuteCircuitBatchRequest(items=items), timeout=T
    )
    assert len(resp.items) == 6
    ok = [i for i, it in enumerate(resp.items) if it.HasField("result")]
    assert ok == [0, 1, 3, 5]
    assert from_status(resp.items[2].error).reason == "CIRCUIT_TOO_LARGE"
    assert from_status(resp.items[4].error).reason == "INVALID_OPTION"
    info = error_details_pb2.ErrorInfo()
    resp.items[2].error.details[0].Unpack(info)
    assert info.reason == "CIRCUIT_TOO_LARGE"
    for i, shots in ((0, 1000), (1, 1000), (3, 500), (5, 1000)):
        res = resp.items[i].result
        assert sum(res.counts.values()) == shots
        assert set(res.counts) <= {"00", "11"}
    # a seeded item gives exactly the counts of a single execution with that seed
    single = await stub.ExecuteCircuit(req(seed=11), timeout=T)
    assert dict(resp.items[0].result.counts) == dict(single.counts)
    single = await stub.ExecuteCircuit(req(seed=12, shots=500), timeout=T)
    assert dict(resp.items[3].result.counts) == dict(single.counts)
    # an unseeded item reports the seed Aer used, which reproduces its counts alone
    seed_b = int(resp.items[1].result.metadata["seed"])
    again = await stub.ExecuteCircuit(req(seed=seed_b), timeout=T)
    assert dict(again.counts) == dict(resp.items[1].result.counts)
    # the unseeded items ran in the same Aer call as the first seeded one
    assert resp.items[1].result.metadata["batch_size"] == "3"


async def test_batch_shape_errors(env: Any) -> None:
    stub, _ = env
    code, err = await call_error(
        stub.ExecuteCircuitBatch(driver_pb2.ExecuteCircuitBatchRequest(), timeout=T)
    )
    assert code == grpc.StatusCode.INVALID_ARGUMENT
    mixed = [req(), req(device="aer.statevector")]
    code, err = await call_error(
        stub.ExecuteCircuitBatch(driver_pb2.ExecuteCircuitBatchRequest(items=mixed), timeout=T)
    )
    assert code == grpc.StatusCode.INVALID_ARGUMENT
    assert [v.field for v in err.violations] == ["items[1].device_id"]


async def test_batch_on_a_driver_without_batching_uses_the_default_loop(env: Any) -> None:
    stub, fake = env
    items = [req(device="fake.device", job_id=str(i)) for i in range(3)]
    resp = await stub.ExecuteCircuitBatch(
        driver_pb2.ExecuteCircuitBatchRequest(items=items), timeout=T
    )
    assert [dict(it.result.counts) for it in resp.items] == [{"00": 1000}] * 3
    assert len(fake.calls) == 3


# --- sweeps and saved states --------------------------------------------------------------


@pytest.mark.parametrize("device", ["aer.automatic", "aer.density_matrix", "aer.noisy_generic_5q"])
@pytest.mark.parametrize("circuit", [RY, CRY], ids=["ry", "cry"])
async def test_sweep_rows_follow_the_bindings(env: Any, device: str, circuit: Any) -> None:
    stub, _ = env
    angles = [0.0, math.pi / 2, math.pi, 2.0]
    bindings = [driver_pb2.ParameterBinding(values={"t": a}) for a in angles]
    resp = await stub.ExecuteCircuit(
        req(device, circuit, shots=4000, seed=3, bindings=bindings), timeout=T
    )
    assert not resp.counts
    assert len(resp.sweep_results) == 4
    for a, row in zip(angles, resp.sweep_results, strict=True):
        counts = dict(row.counts)
        assert sum(counts.values()) == 4000
        p1 = sum(v for k, v in counts.items() if k[0] == "1") / 4000  # the rotated qubit
        tol = 0.05 if device != "aer.noisy_generic_5q" else 0.12
        assert p1 == pytest.approx(math.sin(a / 2) ** 2, abs=tol), (a, counts)
    again = await stub.ExecuteCircuit(
        req(device, circuit, shots=4000, seed=3, bindings=bindings), timeout=T
    )
    assert [dict(r.counts) for r in again.sweep_results] == [
        dict(r.counts) for r in resp.sweep_results
    ]


async def test_sweep_validation(env: Any) -> None:
    stub, _ = env
    bad = [driver_pb2.ParameterBinding(values={"x": 1.0})]
    code, err = await call_error(stub.ExecuteCircuit(req(p=RY, bindings=bad), timeout=T))
    assert code == grpc.StatusCode.INVALID_ARGUMENT
    assert {v.field for v in err.violations} == {"bindings[0].values"}
    both = req(
        p=RY, bindings=[driver_pb2.ParameterBinding(values={"t": 1.0})], parameter_values={"t": 1.0}
    )
    code, err = await call_error(stub.ExecuteCircuit(both, timeout=T))
    assert "bindings" in {v.field for v in err.violations}


async def test_saved_statevector_is_the_pre_measurement_state(env: Any) -> None:
    stub, _ = env
    resp = await stub.ExecuteCircuit(
        req("aer.statevector", save_state="statevector", seed=1), timeout=T
    )
    state = np.load(io.BytesIO(resp.saved_state))
    assert state.dtype == np.complex128 and state.shape == (4,)
    np.testing.assert_allclose(np.abs(state) ** 2, [0.5, 0, 0, 0.5], atol=1e-12)
    assert sum(resp.counts.values()) == 1000
    assert resp.metadata["saved_state"] == "statevector"


async def test_saved_density_matrix_and_mps(env: Any) -> None:
    stub, _ = env
    resp = await stub.ExecuteCircuit(
        req("aer.density_matrix", save_state="density_matrix"), timeout=T
    )
    rho = np.load(io.BytesIO(resp.saved_state))
    assert rho.shape == (4, 4)
    assert rho[0, 3] == pytest.approx(0.5)
    resp = await stub.ExecuteCircuit(
        req("aer.matrix_product_state", save_state="matrix_product_state"), timeout=T
    )
    mps = np.load(io.BytesIO(resp.saved_state))
    assert {"gamma_0_0", "gamma_1_1", "lambda_0"} <= set(mps.files)


async def test_saved_state_errors(env: Any) -> None:
    stub, _ = env
    code, err = await call_error(
        stub.ExecuteCircuit(req("aer.density_matrix", save_state="statevector"), timeout=T)
    )
    assert (code, err.reason) == (grpc.StatusCode.INVALID_ARGUMENT, "SAVE_STATE_UNSUPPORTED")
    code, err = await call_error(
        stub.ExecuteCircuit(req("fake.device", save_state="statevector"), timeout=T)
    )
    assert (code, err.reason) == (grpc.StatusCode.INVALID_ARGUMENT, "SAVE_STATE_UNSUPPORTED")
    wide = payload(aqo_document(9, 0, [{"op": "H", "q": [8]}]))  # 16 * 2^9 > 4096 bytes
    code, err = await call_error(
        stub.ExecuteCircuit(req("aer.statevector", wide, save_state="statevector"), timeout=T)
    )
    assert (code, err.reason) == (grpc.StatusCode.RESOURCE_EXHAUSTED, "STATE_TOO_LARGE")
    code, err = await call_error(stub.ExecuteCircuit(req(save_state="wavefunction"), timeout=T))
    assert code == grpc.StatusCode.INVALID_ARGUMENT
    assert [v.field for v in err.violations] == ["save_state"]


# --- cancellation ------------------------------------------------------------------------


async def test_cancel_ends_a_running_execution_and_drops_its_result(env: Any) -> None:
    stub, fake = env
    fake.hold = threading.Event()
    running = asyncio.ensure_future(
        stub.ExecuteCircuit(req("fake.device", job_id="job-1"), timeout=T)
    )
    await asyncio.get_running_loop().run_in_executor(None, fake.started.wait, T)
    resp = await stub.CancelExecution(
        driver_pb2.CancelExecutionRequest(job_id="job-1", device_id="fake.device"), timeout=T
    )
    assert resp.cancelled
    code, err = await call_error(running)
    assert (code, err.reason) == (grpc.StatusCode.CANCELLED, "EXECUTION_CANCELLED")
    fake.hold.set()
    # idempotent, and a late execution of the same job is refused
    again = await stub.CancelExecution(
        driver_pb2.CancelExecutionRequest(job_id="job-1", device_id="fake.device"), timeout=T
    )
    assert again.cancelled
    code, _ = await call_error(stub.ExecuteCircuit(req("fake.device", job_id="job-1"), timeout=T))
    assert code == grpc.StatusCode.CANCELLED
    unknown = await stub.CancelExecution(
        driver_pb2.CancelExecutionRequest(job_id="never-ran", device_id="fake.device"), timeout=T
    )
    assert not unknown.cancelled


# --- asynchronous devices ----------------------------------------------------------------


async def test_start_await_and_reattach_from_a_new_driver(env: Any, aer_driver: AerDriver) -> None:
    stub, fake = env
    started = await stub.StartExecution(
        driver_pb2.StartExecutionRequest(execution=req("fake.async", job_id="q1", shots=64)),
        timeout=T,
    )
    assert started.execution_id and started.vendor_job_id == "fakejob-q1"
    fake.hold = threading.Event()
    pending = await stub.AwaitExecution(
        driver_pb2.AwaitExecutionRequest(
            device_id="fake.async", execution_id=started.execution_id, wait_seconds=0
        ),
        timeout=T,
    )
    assert not pending.done and pending.vendor_status == "RUNNING"
    fake.hold.set()
    # a restarted driver-manager (new driver object) re-attaches by execution id
    fresh = FakeDriver()
    fresh.initialize({"devices": "fake.async", "asynchronous": "fake.async"})
    progress = fresh.await_execution("fake.async", started.execution_id, 0)
    assert progress.done and progress.result is not None
    assert progress.result.counts == {"00": 64}
    done = await stub.AwaitExecution(
        driver_pb2.AwaitExecutionRequest(
            device_id="fake.async", execution_id=started.execution_id, wait_seconds=1
        ),
        timeout=T,
    )
    assert done.done and dict(done.result.counts) == {"00": 64}


async def test_start_on_a_synchronous_device_is_refused(env: Any) -> None:
    stub, _ = env
    code, err = await call_error(
        stub.StartExecution(driver_pb2.StartExecutionRequest(execution=req()), timeout=T)
    )
    assert (code, err.reason) == (grpc.StatusCode.FAILED_PRECONDITION, "DEVICE_NOT_ASYNCHRONOUS")
    code, err = await call_error(
        stub.AwaitExecution(
            driver_pb2.AwaitExecutionRequest(
                device_id="fake.async", execution_id="x", wait_seconds=-1
            ),
            timeout=T,
        )
    )
    assert code == grpc.StatusCode.INVALID_ARGUMENT
    assert [v.field for v in err.violations] == ["wait_seconds"]
    code, err = await call_error(
        stub.AwaitExecution(
            driver_pb2.AwaitExecutionRequest(
                device_id="fake.async", execution_id="bogus", wait_seconds=0
            ),
            timeout=T,
        )
    )
    assert code == grpc.StatusCode.NOT_FOUND
