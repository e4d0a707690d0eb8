"""Fixtures for the CLI/SDK tests.

``fake_api`` runs an in-process fake of the public API (JobService, DeviceService,
CompilationService) with ``eigen_common.testing.start_test_server`` on port 0, in a background
event loop, so that click's ``CliRunner`` (synchronous) can talk to it. It is a test double for
formatting / error-mapping / SDK-behaviour tests only; the real end-to-end tests live in
``tests/``. Errors are raised as the real typed errors, so they cross the wire exactly as the
real server's do (``google.rpc.Status`` + ErrorInfo).
"""

from __future__ import annotations

import asyncio
import itertools
import socket
import threading
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import grpc
import pytest
from google.protobuf.timestamp_pb2 import Timestamp

from eigen.api.v1 import (
    common_pb2,
    compilation_pb2,
    compilation_pb2_grpc,
    device_pb2,
    device_pb2_grpc,
    job_pb2,
    job_pb2_grpc,
)
from eigen_common.errors import (
    CompilationFailedError,
    DeviceNotFoundError,
    Diagnostic,
    InternalError,
    JobAlreadyTerminalError,
    JobNotFoundError,
    ResultsNotReadyError,
    ServiceUnavailableError,
    TargetNotFoundError,
    UnauthenticatedError,
)
from eigen_common.server import RunningServer, ServiceBinding
from eigen_common.status import diagnostic_to_proto
from eigen_common.testing import start_test_server
from eigen_ir import aqo
from eigen_ir.hybrid import HybridPlan, OptimizerSpec

TARGETS = ("sim:local", "aer.automatic")
TERMINAL = {
    job_pb2.JOB_STATUS_DONE,
    job_pb2.JOB_STATUS_ERROR,
    job_pb2.JOB_STATUS_CANCELLED,
    job_pb2.JOB_STATUS_TIMEOUT,
}


@pytest.fixture(autouse=True)
def isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """Never read the developer's ~/.eigen or config: HOME and EIGEN_HOME point into tmp."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("EIGEN_HOME", str(tmp_path / "eigen-home"))
    for var in (
        "EIGEN_TOKEN",
        "EIGEN_ENDPOINT",
        "EIGEN_CONFIG",
        "XDG_CONFIG_HOME",
        "EIGEN_PORT_BASE",
        "EIGEN_METRICS_PORT_BASE",
    ):
        monkeypatch.delenv(var, raising=False)
    return home


@pytest.fixture
def unused_port() -> int:
    """An ephemeral port that was free a moment ago (for "nothing listens here" tests)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _now() -> Timestamp:
    ts = Timestamp()
    ts.GetCurrentTime()
    return ts


@dataclass
class FakeJob:
    job: job_pb2.Job
    events: list[job_pb2.JobUpdate] = field(default_factory=list)
    results: job_pb2.GetJobResultsResponse | None = None
    changed: asyncio.Event = field(default_factory=asyncio.Event)


class FakeState:
    """Shared state of the fake API, inspectable from tests."""

    def __init__(self) -> None:
        self.jobs: dict[str, FakeJob] = {}
        self.requests: list[job_pb2.SubmitJobRequest] = []
        self.compile_requests: list[Any] = []
        self.stream_calls: list[tuple[str, int]] = []
        self.metadata: list[dict[str, str]] = []
        self.required_token: str | None = None
        #: job ids whose first update stream breaks with UNAVAILABLE after this many events
        self.flaky_after: dict[str, int] = {}
        self._ids = itertools.count(1)

    def new_id(self) -> str:
        return f"job-{next(self._ids):04d}"

    def check_auth(self, context: grpc.aio.ServicerContext) -> None:
        md = {k: v for k, v in context.invocation_metadata() or ()}
        self.metadata.append({k: str(v) for k, v in md.items()})
        if self.required_token is not None and md.get("authorization") != (
            f"Bearer {self.required_token}"
        ):
            raise UnauthenticatedError("missing or invalid bearer token")

    def add_job(
        self,
        name: str = "seeded",
        *,
        states: tuple[int, ...] = (job_pb2.JOB_STATUS_COMPILING,),
        shots: int = 100,
        target: str = "sim:local",
        source: str = "",
        seed: int | None = None,
    ) -> str:
        """Create a job that went through ``states`` (the last one is terminal or not)."""
        jid = self.new_id()
        fj = FakeJob(
            job_pb2.Job(
                job_id=jid,
                name=name,
                target=target,
                shots=shots,
                priority=50,
                created_at=_now(),
                device_id="aer.automatic",
            )
        )
        self.jobs[jid] = fj
        for st in states:
            self.advance(jid, st, source=source, seed=seed)
        return jid

    def add_hybrid_job(
        self,
        name: str,
        history: tuple[float, ...],
        *,
        max_iter: int = 50,
        parameters: dict[str, float] | None = None,
    ) -> str:
        """A finished hybrid job: one RUNNING iteration event per value of ``history``.

        Iteration events carry ``iteration``, ``current_value`` and progress k / ``max_iter``
        like the kernel's; the results carry the optimisation outcome and the outputs.
        """
        jid = self.add_job(name, states=(job_pb2.JOB_STATUS_COMPILING, job_pb2.JOB_STATUS_QUEUED))
        fj = self.jobs[jid]
        for k, value in enumerate(history, 1):
            fj.events.append(
                job_pb2.JobUpdate(
                    job_id=jid,
                    state=job_pb2.JOB_STATUS_RUNNING,
                    stage="EXECUTING",
                    progress=min(k / max_iter, 1.0),
                    message=f"iteration {k}/{max_iter}: value {value:.8g}",
                    event_seq=len(fj.events) + 1,
                    timestamp=_now(),
                    iteration=k,
                    current_value=value,
                )
            )
        self.advance(jid, job_pb2.JOB_STATUS_DONE)
        res = fj.results
        assert res is not None
        res.counts.clear()
        params = parameters if parameters is not None else {"theta[0]": 0.21, "theta[1]": -3.1}
        best = min(history) if history else 0.0
        res.optimization.CopyFrom(
            job_pb2.OptimizationResult(
                optimal_value=best,
                optimal_parameters=params,
                iterations=len(history),
                success=True,
                history=history,
                history_ref=f"qfs://jobs/{jid}/history.json" if history else "",
            )
        )
        res.outputs.update(
            {"optimal_cost": best, "optimal_parameters": list(params.values()), "qubits_used": 2}
        )
        res.metadata.clear()
        res.metadata.update(
            {
                "optimizer": "cobyla",
                "optimizer.message": "Optimization terminated successfully.",
                "shots": "exact",
                "optimizer_seed": "7",
                "evaluations": str(len(history)),
            }
        )
        return jid

    def advance(self, jid: str, state: int, *, source: str = "", seed: int | None = None) -> None:
        fj = self.jobs[jid]
        stage = {
            job_pb2.JOB_STATUS_COMPILING: "COMPILING",
            job_pb2.JOB_STATUS_QUEUED: "QUEUED",
            job_pb2.JOB_STATUS_RUNNING: "EXECUTING",
            job_pb2.JOB_STATUS_DONE: "COMPLETED",
            job_pb2.JOB_STATUS_ERROR: "FAILED",
            job_pb2.JOB_STATUS_CANCELLED: "CANCELLED",
            job_pb2.JOB_STATUS_TIMEOUT: "TIMEOUT",
        }[state]
        terminal = state in TERMINAL
        progress = {job_pb2.JOB_STATUS_QUEUED: 0.4, job_pb2.JOB_STATUS_RUNNING: 0.7}.get(
            state, 1.0 if terminal else 0.1
        )
        seq = len(fj.events) + 1
        msg = f"{stage.lower()} {fj.job.name}"
        fj.events.append(
            job_pb2.JobUpdate(
                job_id=jid,
                state=state,  # type: ignore[arg-type]
                stage=stage,
                progress=progress,
                message=msg,
                event_seq=seq,
                timestamp=_now(),
                terminal=terminal,
            )
        )
        fj.job.state = state  # type: ignore[assignment]
        fj.job.stage = stage
        fj.job.progress = progress
        fj.job.message = msg
        fj.job.last_event_seq = seq
        fj.job.updated_at.CopyFrom(_now())
        if terminal:
            res = job_pb2.GetJobResultsResponse(
                job_id=jid,
                state=state,
                completed_at=_now(),  # type: ignore[arg-type]
            )
            if state == job_pb2.JOB_STATUS_DONE:
                half = fj.job.shots // 2
                res.counts.update({"00": fj.job.shots - half, "11": half})
                res.metadata.update(
                    {"backend": "fake", "shots": str(fj.job.shots), "seed": str(seed or 0)}
                )
            elif state == job_pb2.JOB_STATUS_ERROR:
                fj.job.error_code = "COMPILATION_FAILED"
                res.error_code = "COMPILATION_FAILED"
                res.error_summary = "the program does not compile"
                res.diagnostics.append(
                    common_pb2.Diagnostic(
                        rule="forbidden-import",
                        message="import of 'os' is not allowed",
                        line=3,
                        column=5,
                        hint="only eigen_lang, math, numpy, typing",
                        severity=common_pb2.SEVERITY_ERROR,
                    )
                )
            fj.results = res
        fj.changed.set()
        fj.changed = asyncio.Event()


class FakeJobService(job_pb2_grpc.JobServiceServicer):
    def __init__(self, state: FakeState) -> None:
        self.s = state

    async def SubmitJob(self, request: Any, context: Any) -> job_pb2.SubmitJobResponse:
        self.s.check_auth(context)
        self.s.requests.append(request)
        if request.target not in TARGETS:
            raise TargetNotFoundError(
                f"unknown target {request.target!r}; available targets: {', '.join(TARGETS)}"
            )
        source = request.eigen_lang.source or request.qasm.source
        shots = request.shots if request.HasField("shots") else 1024
        seed = request.seed if request.HasField("seed") else None
        if "HOLD" in source:
            states: tuple[int, ...] = (job_pb2.JOB_STATUS_COMPILING, job_pb2.JOB_STATUS_QUEUED)
        elif "BROKEN" in source:
            states = (job_pb2.JOB_STATUS_COMPILING, job_pb2.JOB_STATUS_ERROR)
        else:
            states = (
                job_pb2.JOB_STATUS_COMPILING,
                job_pb2.JOB_STATUS_QUEUED,
                job_pb2.JOB_STATUS_RUNNING,
                job_pb2.JOB_STATUS_DONE,
            )
        if "VQE" in source:
            jid = self.s.add_hybrid_job(request.name, VQE_HISTORY)
        else:
            jid = self.s.add_job(
                request.name, states=states, shots=shots, target=request.target, seed=seed
            )
        return job_pb2.SubmitJobResponse(
            job_id=jid, state=job_pb2.JOB_STATUS_COMPILING, created_at=_now()
        )

    def _get(self, job_id: str) -> FakeJob:
        if job_id == "boom":
            raise InternalError.with_correlation()
        if job_id not in self.s.jobs:
            raise JobNotFoundError(f"job {job_id} not found")
        return self.s.jobs[job_id]

    async def GetJobStatus(self, request: Any, context: Any) -> job_pb2.GetJobStatusResponse:
        self.s.check_auth(context)
        return job_pb2.GetJobStatusResponse(job=self._get(request.job_id).job)

    async def CancelJob(self, request: Any, context: Any) -> job_pb2.CancelJobResponse:
        self.s.check_auth(context)
        fj = self._get(request.job_id)
        if fj.job.state in TERMINAL:
            raise JobAlreadyTerminalError(f"job {request.job_id} already finished")
        self.s.advance(request.job_id, job_pb2.JOB_STATUS_CANCELLED)
        return job_pb2.CancelJobResponse(job_id=request.job_id, state=job_pb2.JOB_STATUS_CANCELLED)

    async def StreamJobUpdates(
        self, request: Any, context: Any
    ) -> AsyncIterator[job_pb2.StreamJobUpdatesResponse]:
        self.s.check_auth(context)
        fj = self._get(request.job_id)
        self.s.stream_calls.append((request.job_id, request.last_event_seq))
        sent = 0
        seq = request.last_event_seq
        while True:
            changed = fj.changed
            for ev in list(fj.events):
                if ev.event_seq <= seq:
                    continue
                limit = self.s.flaky_after.get(request.job_id)
                if limit is not None and sent >= limit:
                    del self.s.flaky_after[request.job_id]
                    raise ServiceUnavailableError("kernel restarting")
                yield job_pb2.StreamJobUpdatesResponse(update=ev)
                sent += 1
                seq = ev.event_seq
                if ev.terminal:
                    return
            if fj.events and fj.events[-1].terminal and seq >= fj.events[-1].event_seq:
                return  # resumed past the terminal event: nothing more will come
            try:
                await asyncio.wait_for(changed.wait(), timeout=0.2)
            except TimeoutError:
                last = fj.events[-1]
                hb = job_pb2.JobUpdate()
                hb.CopyFrom(last)
                hb.heartbeat = True
                yield job_pb2.StreamJobUpdatesResponse(update=hb)

    async def GetJobResults(self, request: Any, context: Any) -> job_pb2.GetJobResultsResponse:
        self.s.check_auth(context)
        fj = self._get(request.job_id)
        if fj.results is None:
            raise ResultsNotReadyError(f"job {request.job_id} has not finished yet")
        return fj.results

    async def ListJobs(self, request: Any, context: Any) -> job_pb2.ListJobsResponse:
        self.s.check_auth(context)
        jobs = [fj.job for fj in reversed(self.s.jobs.values())]
        if request.states:
            jobs = [j for j in jobs if j.state in request.states]
        start = int(request.page_token or 0)
        size = request.page_size or 50
        page = jobs[start : start + size]
        nxt = str(start + size) if start + size < len(jobs) else ""
        return job_pb2.ListJobsResponse(jobs=page, next_page_token=nxt)


DEVICE = device_pb2.Device(
    device_id="aer.automatic",
    name="Aer simulator (automatic)",
    backend_type="simulator",
    status=device_pb2.DEVICE_STATUS_ONLINE,
    queue_depth=2,
    estimated_wait_sec=3,
    capabilities={"method": "automatic", "basis_gates": "cx,h,rz"},
    targets=["sim:local"],
    driver="aer",
    max_qubits=30,
)


class FakeDeviceService(device_pb2_grpc.DeviceServiceServicer):
    def __init__(self, state: FakeState) -> None:
        self.s = state

    def _get(self, device_id: str) -> device_pb2.Device:
        if device_id not in (DEVICE.device_id, *DEVICE.targets):
            raise DeviceNotFoundError(f"device {device_id!r} not found")
        return DEVICE

    async def ListDevices(self, request: Any, context: Any) -> device_pb2.ListDevicesResponse:
        self.s.check_auth(context)
        return device_pb2.ListDevicesResponse(devices=[DEVICE])

    async def GetDeviceDetails(self, request: Any, context: Any) -> Any:
        self.s.check_auth(context)
        return device_pb2.GetDeviceDetailsResponse(device=self._get(request.device_id))

    async def GetDeviceStatus(self, request: Any, context: Any) -> Any:
        self.s.check_auth(context)
        d = self._get(request.device_id)
        return device_pb2.GetDeviceStatusResponse(
            device_id=d.device_id,
            status=d.status,
            queue_depth=d.queue_depth,
            estimated_wait_sec=d.estimated_wait_sec,
            message="idle",
        )

    async def ReserveDevice(self, request: Any, context: Any) -> Any:
        self.s.check_auth(context)
        d = self._get(request.device_id)
        expires = _now()
        expires.seconds += request.ttl_seconds
        return device_pb2.ReserveDeviceResponse(
            reservation_id=f"res-{d.device_id}-{request.ttl_seconds}",
            expires_at=expires,
            device_id=d.device_id,
        )


BELL_AQO = aqo.parse(
    {
        "version": "0.1",
        "qubits": 2,
        "clbits": 2,
        "parameters": [],
        "operations": [
            {"op": "H", "q": [0]},
            {"op": "CX", "q": [0, 1]},
            {"op": "MEASURE", "q": [0, 1], "c": [0, 1]},
        ],
    }
)


VQE_CIRCUIT = aqo.parse(
    {
        "version": "0.1",
        "qubits": 2,
        "clbits": 0,
        "parameters": ["theta[0]", "theta[1]"],
        "operations": [
            {"op": "RY", "q": [0], "params": ["theta[0]"]},
            {"op": "RY", "q": [1], "params": ["theta[1]"]},
            {"op": "CX", "q": [0, 1]},
        ],
    }
)
#: The hybrid plan the fake compiler returns for sources containing ``VQE``.
VQE_PLAN = HybridPlan(
    circuit=VQE_CIRCUIT,
    parameters=("theta[0]", "theta[1]"),
    observable=(
        ("II", -1.0523732),
        ("IZ", 0.39793742),
        ("ZI", -0.39793742),
        ("ZZ", -0.0112801),
        ("XX", 0.18093120),
    ),
    shots=None,
    optimizer=OptimizerSpec("cobyla", 50, 1e-6, (0.1, -0.2), None),
    returns=(("optimal_cost", {"result": "optimal_value"}), ("qubits_used", {"value": 2})),
)
#: The objective history of the fake hybrid jobs (one value per evaluation).
VQE_HISTORY = (-0.5, -1.2, -1.6, -1.83, -1.851, -1.8572, -1.8569)


class FakeCompilationService(compilation_pb2_grpc.CompilationServiceServicer):
    def __init__(self, state: FakeState) -> None:
        self.s = state

    @staticmethod
    def _source(request: Any) -> str:
        return str(request.eigen_lang.source or request.qasm.source)

    @staticmethod
    def _diag() -> Diagnostic:
        return Diagnostic("syntax", "invalid syntax", 2, 7, "check the parentheses")

    def _meta(self) -> compilation_pb2.CompilationMetadata:
        return compilation_pb2.CompilationMetadata(
            logical_qubits=BELL_AQO.qubits,
            depth=3,
            gate_count=2,
            metrics={"clbits": "2", "optimization_level": "1"},
            aqo_sha256=BELL_AQO.sha256(),
        )

    async def CompileCircuit(self, request: Any, context: Any) -> Any:
        self.s.check_auth(context)
        self.s.compile_requests.append(request)
        if "BROKEN" in self._source(request):
            raise CompilationFailedError(
                "the program does not compile: 2:7: [syntax] invalid syntax",
                diagnostics=[self._diag()],
            )
        if "VQE" in self._source(request):
            return compilation_pb2.CompileCircuitResponse(
                aqo_json=VQE_CIRCUIT.canonical_bytes(),
                metadata=self._meta(),
                hybrid_plan_json=VQE_PLAN.canonical_bytes(),
            )
        return compilation_pb2.CompileCircuitResponse(
            aqo_json=BELL_AQO.canonical_bytes(), metadata=self._meta()
        )

    async def ValidateCircuit(self, request: Any, context: Any) -> Any:
        self.s.check_auth(context)
        self.s.compile_requests.append(request)
        if "BROKEN" in self._source(request):
            return compilation_pb2.ValidateCircuitResponse(
                valid=False, diagnostics=[diagnostic_to_proto(self._diag())]
            )
        return compilation_pb2.ValidateCircuitResponse(valid=True, metadata=self._meta())


def fake_bindings(state: FakeState) -> list[ServiceBinding]:
    return [
        ServiceBinding(
            FakeJobService(state),
            job_pb2_grpc.add_JobServiceServicer_to_server,
            "eigen.api.v1.JobService",
        ),
        ServiceBinding(
            FakeDeviceService(state),
            device_pb2_grpc.add_DeviceServiceServicer_to_server,
            "eigen.api.v1.DeviceService",
        ),
        ServiceBinding(
            FakeCompilationService(state),
            compilation_pb2_grpc.add_CompilationServiceServicer_to_server,
            "eigen.api.v1.CompilationService",
        ),
    ]


@dataclass
class FakeApi:
    """A running fake API: ``endpoint`` to connect to, ``state`` to seed and inspect."""

    endpoint: str
    state: FakeState
    loop: asyncio.AbstractEventLoop

    def call(self, fn: Any, *args: Any, **kwargs: Any) -> Any:
        """Run ``fn`` on the server's loop (state changes must happen there)."""

        async def run() -> Any:
            return fn(*args, **kwargs)

        return asyncio.run_coroutine_threadsafe(run(), self.loop).result(5)


@pytest.fixture
def fake_api() -> Iterator[FakeApi]:
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    state: FakeState = asyncio.run_coroutine_threadsafe(_make_state(), loop).result(5)
    running: RunningServer = asyncio.run_coroutine_threadsafe(
        start_test_server("fake-api", fake_bindings(state)), loop
    ).result(10)
    try:
        yield FakeApi(f"127.0.0.1:{running.port}", state, loop)
    finally:
        asyncio.run_coroutine_threadsafe(running.stop(0), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(5)
        loop.close()


async def _make_state() -> FakeState:
    return FakeState()


@pytest.fixture
def vqe_plan() -> HybridPlan:
    """The hybrid plan the fake compiler returns for ``VQE`` sources."""
    return VQE_PLAN
