"""One trace per job through the four real processes, collected over OTLP (SPEC §10, §15).

The services run as processes (``ProcessStack``) with nothing but the standard
``OTEL_EXPORTER_OTLP_ENDPOINT`` set, pointing at an OTLP/gRPC collector this test runs
(opentelemetry-proto's generated ``TraceService`` on port 0). The jobs: a Bell circuit over gRPC
with the caller's own ``traceparent``, a program that does not compile, a small VQE (hybrid
loop) and a circuit submitted over REST with a ``traceparent`` header. The services are then
stopped (SIGTERM: each exports what it still buffers) and the spans examined: one trace per job,
with spans of every service that worked on it, parents that exist and lead to the submission,
and the attributes an operator searches by. The same run's ``/metrics`` (kernel, system-api)
are checked for the issue 13 fixes: streams measured, hybrid iterations not counted as state
transitions.
"""

from __future__ import annotations

import json
import secrets
import socket
import threading
import urllib.request
from collections.abc import Iterator
from concurrent import futures
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2, trace_service_pb2_grpc
from opentelemetry.proto.common.v1 import common_pb2 as otlp_common_pb2
from opentelemetry.proto.trace.v1 import trace_pb2
from prometheus_client.parser import text_string_to_metric_families

from eigen.api.v1 import common_pb2, device_pb2_grpc, job_pb2, job_pb2_grpc
from tests.conftest import CORPUS, ROOT, Api, ProcessStack
from tests.e2e.helpers import qasm_request, stream

BELL = (CORPUS / "qasmbench" / "small" / "bell_n4" / "bell_n4.qasm").read_text()
GHZ = (CORPUS / "qasmbench" / "small" / "cat_state_n4" / "cat_state_n4.qasm").read_text()
BROKEN = 'OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[2];\nnot_a_gate q[0];\n'
VQE = (
    (ROOT / "examples" / "h2_vqe" / "program.eigen.py")
    .read_text()
    .replace("max_iter: int = 100", "max_iter: int = 6")
)
SERVICES = {"system-api", "kernel", "compiler", "driver-manager"}
SERVER, CLIENT = trace_pb2.Span.SPAN_KIND_SERVER, trace_pb2.Span.SPAN_KIND_CLIENT
ERROR = trace_pb2.Status.STATUS_CODE_ERROR
SUBMIT = "/eigen.api.v1.JobService/SubmitJob"
ENQUEUE = "/eigen.kernel.v1.KernelGatewayService/EnqueueJob"
COMPILE = "/eigen.compiler.v1.CompilationService/CompileCircuit"
EXECUTE = "/eigen.driver.v1.DriverManagerService/ExecuteCircuit"
ESTIMATE = "/eigen.driver.v1.DriverManagerService/EstimateExpectationValues"


# --- the collector ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Span:
    """One exported span, flattened."""

    service: str
    name: str
    kind: int
    trace_id: str
    span_id: str
    parent_id: str
    attrs: dict[str, Any]
    status: int
    events: tuple[str, ...]


def _value(v: otlp_common_pb2.AnyValue) -> Any:
    kind = v.WhichOneof("value")
    return getattr(v, kind) if kind else None


class Collector(trace_service_pb2_grpc.TraceServiceServicer):
    """An OTLP/gRPC trace receiver keeping every span it is sent."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.spans: list[Span] = []

    def Export(
        self, request: trace_service_pb2.ExportTraceServiceRequest, context: Any
    ) -> trace_service_pb2.ExportTraceServiceResponse:
        got = []
        for rs in request.resource_spans:
            res = {a.key: _value(a.value) for a in rs.resource.attributes}
            for ss in rs.scope_spans:
                for s in ss.spans:
                    got.append(
                        Span(
                            service=str(res.get("service.name", "")),
                            name=s.name,
                            kind=s.kind,
                            trace_id=s.trace_id.hex(),
                            span_id=s.span_id.hex(),
                            parent_id=s.parent_span_id.hex(),
                            attrs={a.key: _value(a.value) for a in s.attributes},
                            status=s.status.code,
                            events=tuple(e.name for e in s.events),
                        )
                    )
        with self._lock:
            self.spans.extend(got)
        return trace_service_pb2.ExportTraceServiceResponse()


# --- the run ---------------------------------------------------------------------------------


@dataclass
class Run:
    """What the multi-process run did and what it left: job ids, spans, metrics."""

    token: str
    jobs: dict[str, str] = field(default_factory=dict)  # kind → job id
    results: dict[str, job_pb2.GetJobResultsResponse] = field(default_factory=dict)
    sent: dict[str, tuple[str, str]] = field(default_factory=dict)  # kind → (trace, span id)
    spans: list[Span] = field(default_factory=list)
    metrics: dict[str, dict[tuple[str, tuple[tuple[str, str], ...]], float]] = field(
        default_factory=dict
    )
    streamed: int = 0  # stream messages the test received over gRPC
    streams: int = 0

    def trace(self, trace_id: str) -> list[Span]:
        """The spans of one trace."""
        return [s for s in self.spans if s.trace_id == trace_id]

    def submission(self, kind: str, name: str = SUBMIT) -> Span:
        """The system-api SERVER span that submitted the ``kind`` job."""
        (root,) = [
            s
            for s in self.spans
            if s.service == "system-api"
            and s.kind == SERVER
            and s.name == name
            and s.attrs.get("eigen.job_id") == self.jobs[kind]
        ]
        return root

    def metric(self, service: str, name: str, **labels: str) -> float:
        """Sum of the samples of ``name`` whose labels include ``labels``."""
        return sum(
            v
            for (n, ls), v in self.metrics[service].items()
            if n == name and labels.items() <= dict(ls).items()
        )


def _free_port() -> int:
    """A port for a setting where 0 means off (metrics); released before the service binds."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _started(log: Path, event: str) -> dict[str, Any]:
    for line in log.read_text(errors="replace").splitlines():
        if f'"{event}"' in line:
            d: dict[str, Any] = json.loads(line)
            if d.get("event") == event:
                return d
    raise AssertionError(f"no {event!r} line in {log}")


def _scrape(port: int) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as r:
        text = r.read().decode()
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for fam in text_string_to_metric_families(text)
        for s in fam.samples
    }


def _traceparent() -> tuple[str, str, str]:
    trace_id, span_id = secrets.token_hex(16), secrets.token_hex(8)
    return trace_id, span_id, f"00-{trace_id}-{span_id}-01"


def _finish(run: Run, api: Api, kind: str) -> None:
    updates = stream(api, run.jobs[kind])
    run.streamed += len(updates)
    run.streams += 1
    assert updates and updates[-1].terminal, kind
    run.results[kind] = api.jobs.GetJobResults(
        job_pb2.GetJobResultsRequest(job_id=run.jobs[kind]), metadata=api.metadata, timeout=30
    )


def _probe(stack: ProcessStack) -> None:
    """A health check of every service (what orchestrators do every few seconds).

    Watched until SERVING: the compiler answers NOT_SERVING until its first sandbox worker is
    warm, which on a loaded machine can be after "server started".
    """
    for svc in stack.services.values():
        with grpc.insecure_channel(f"127.0.0.1:{svc.port}") as ch:
            watch = health_pb2_grpc.HealthStub(ch).Watch(
                health_pb2.HealthCheckRequest(), timeout=120
            )
            for reply in watch:
                if reply.status == health_pb2.HealthCheckResponse.SERVING:
                    watch.cancel()
                    break
            else:
                raise AssertionError(f"{svc.name} never reported SERVING")


def _jobs(run: Run, stack: ProcessStack, api: Api) -> None:
    _probe(stack)
    # a Bell circuit, the caller's trace continued
    trace_id, span_id, tp = _traceparent()
    run.sent["bell"] = (trace_id, span_id)
    run.jobs["bell"] = api.jobs.SubmitJob(
        qasm_request(BELL, name="bell", shots=1000),
        metadata=[*api.metadata, ("traceparent", tp)],
        timeout=30,
    ).job_id
    # a program that does not compile, no traceparent: the system-api starts the trace
    run.jobs["broken"] = api.jobs.SubmitJob(
        qasm_request(BROKEN, name="broken"), metadata=api.metadata, timeout=30
    ).job_id
    # a hybrid loop (the kernel runs the optimiser)
    vqe = job_pb2.SubmitJobRequest(name="vqe", target="sim:local")
    vqe.eigen_lang.CopyFrom(common_pb2.EigenLangSource(source=VQE))
    run.jobs["vqe"] = api.jobs.SubmitJob(vqe, metadata=api.metadata, timeout=30).job_id
    # REST, with a traceparent header
    rest_port = int(_started(stack.services["system-api"].log_path, "rest started")["rest_port"])
    trace_id, span_id, tp = _traceparent()
    run.sent["rest"] = (trace_id, span_id)
    body = {"name": "ghz", "target": "sim:local", "qasm": {"source": GHZ}, "shots": 200}
    req = urllib.request.Request(
        f"http://127.0.0.1:{rest_port}/v1/jobs",
        data=json.dumps(body).encode(),
        headers={
            "Authorization": f"Bearer {stack.token}",
            "Content-Type": "application/json",
            "traceparent": tp,
        },
        method="POST",
    )
    with urllib.request.urlopen(req, timeout=30) as r:
        run.jobs["rest"] = json.loads(r.read())["job_id"]
    for kind in run.jobs:
        _finish(run, api, kind)


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Run]:
    collector = Collector()
    server = grpc.server(
        futures.ThreadPoolExecutor(max_workers=2), options=[("grpc.so_reuseport", 0)]
    )
    trace_service_pb2_grpc.add_TraceServiceServicer_to_server(collector, server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    out = Run(secrets.token_urlsafe(24))
    metrics_ports = {"kernel": _free_port(), "system-api": _free_port()}
    stack = ProcessStack(
        tmp_path_factory.mktemp("traces"),
        out.token,
        env={
            "kernel": {"EIGEN_KERNEL_METRICS_PORT": str(metrics_ports["kernel"])},
            "system-api": {"EIGEN_SYSTEM_API_METRICS_PORT": str(metrics_ports["system-api"])},
        },
    )
    try:
        with pytest.MonkeyPatch.context() as mp:  # inherited by the four processes only
            for name in ("OTEL_TRACES_EXPORTER", "OTEL_SERVICE_NAME", "OTEL_SDK_DISABLED"):
                mp.delenv(name, raising=False)
            mp.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", f"http://127.0.0.1:{port}")
            stack.start()
        ch = grpc.insecure_channel(stack.endpoint)
        md = [("authorization", f"Bearer {out.token}")]
        api = Api(ch, job_pb2_grpc.JobServiceStub(ch), device_pb2_grpc.DeviceServiceStub(ch), md)
        try:
            _jobs(out, stack, api)
        finally:
            ch.close()
        for service, mport in metrics_ports.items():
            out.metrics[service] = _scrape(mport)
    finally:
        stack.stop()  # SIGTERM: each service exports the spans it still holds, then exits
        server.stop(None)
    assert all(s.proc.returncode == 0 for s in stack.services.values()), {
        n: s.log_tail() for n, s in stack.services.items() if s.proc.returncode
    }
    out.spans = list(collector.spans)
    yield out


# --- trace shape -----------------------------------------------------------------------------


def _by_id(spans: list[Span]) -> dict[str, Span]:
    ids = [s.span_id for s in spans]
    assert len(ids) == len(set(ids)), "a span was exported twice or ids collide"
    return {s.span_id: s for s in spans}


def _path(spans: dict[str, Span], span: Span) -> list[tuple[str, str]]:
    """``(service, name)`` from ``span`` up to the trace's root (parents must exist)."""
    out = [(span.service, span.name)]
    seen = {span.span_id}
    while span.parent_id in spans:
        span = spans[span.parent_id]
        assert span.span_id not in seen, "a cycle in the parent links"
        seen.add(span.span_id)
        out.append((span.service, span.name))
    return out


def _consistent(spans: list[Span], root: Span) -> dict[str, Span]:
    """Every span's parent is in the trace and every span leads to ``root``."""
    by_id = _by_id(spans)
    for s in spans:
        if s is root:
            continue
        assert s.parent_id in by_id, f"{s.service} {s.name}: parent {s.parent_id} not exported"
        assert _path(by_id, s)[-1] == (root.service, root.name), (s.service, s.name)
    return by_id


def _one(spans: list[Span], service: str, name: str, kind: int | None = None) -> Span:
    found = [s for s in spans if s.service == service and s.name == name]
    if kind is not None:
        found = [s for s in found if s.kind == kind]
    assert len(found) == 1, (service, name, [(s.service, s.name) for s in spans])
    return found[0]


def _tree(spans: dict[str, Span], root: Span) -> str:
    """The trace as an indented tree (service, kind, name), for failure messages."""
    kinds = {SERVER: "SERVER", CLIENT: "CLIENT"}
    lines: list[str] = []

    def walk(span: Span, depth: int) -> None:
        kind = kinds.get(span.kind, "INTERNAL")
        lines.append(f"{span.service:<15} {kind:<9}{'  ' * depth}{span.name}")
        for child in sorted(spans.values(), key=lambda s: (s.service, s.name)):
            if child.parent_id == span.span_id:
                walk(child, depth + 1)

    walk(root, 0)
    return "\n".join(lines)


KERNEL_ENQUEUE = [("kernel", ENQUEUE), ("system-api", ENQUEUE), ("system-api", SUBMIT)]


def test_a_bell_job_is_one_trace_through_the_four_services(run: Run) -> None:
    trace_id, caller_span = run.sent["bell"]
    spans = run.trace(trace_id)
    job_id = run.jobs["bell"]
    assert run.results["bell"].state == job_pb2.JOB_STATUS_DONE
    assert {s.service for s in spans} == SERVICES
    root = run.submission("bell")
    assert root.trace_id == trace_id and root.parent_id == caller_span  # the caller's trace
    by_id = _consistent(spans, root)
    print(_tree(by_id, root))  # shown with -rP
    compiler = _one(spans, "compiler", COMPILE, SERVER)
    driver = _one(spans, "driver-manager", EXECUTE, SERVER)
    assert _path(by_id, compiler) == [
        ("compiler", COMPILE),
        ("kernel", COMPILE),
        ("kernel", "compile"),
        ("kernel", "admission"),
        *KERNEL_ENQUEUE,
    ]
    assert _path(by_id, driver) == [
        ("driver-manager", EXECUTE),
        ("kernel", EXECUTE),
        ("kernel", "execute"),
        *KERNEL_ENQUEUE,
    ]
    assert _path(by_id, _one(spans, "kernel", "queue")) == [("kernel", "queue"), *KERNEL_ENQUEUE]
    assert by_id[compiler.parent_id].kind == CLIENT and by_id[driver.parent_id].kind == CLIENT
    assert all(s.status != ERROR for s in spans), [s.name for s in spans if s.status == ERROR]
    # the attributes an operator searches by
    device = run.results["bell"].metadata["device_id"]
    assert root.attrs["eigen.tenant"] == "test" and root.attrs["eigen.target"] == "sim:local"
    assert root.attrs["eigen.shots"] == 1000 and root.attrs["eigen.language"] == "qasm"
    for stage in ("admission", "compile", "queue", "execute"):
        s = _one(spans, "kernel", stage)
        assert s.attrs["eigen.job_id"] == job_id and s.attrs["eigen.stage"] == stage, stage
    execute = _one(spans, "kernel", "execute")
    assert execute.attrs["eigen.device"] == device and execute.attrs["eigen.shots"] == 1000
    assert execute.attrs["eigen.tenant"] == "test"
    assert _one(spans, "kernel", "queue").attrs["eigen.device"] == device
    assert _one(spans, "kernel", ENQUEUE, SERVER).attrs["eigen.tenant"] == "test"
    assert compiler.attrs["eigen.job_id"] == job_id and compiler.attrs["eigen.language"] == "qasm"
    assert driver.attrs["eigen.job_id"] == job_id and driver.attrs["eigen.device"] == device
    assert driver.attrs["eigen.shots"] == 1000
    assert driver.attrs["rpc.grpc.status_code"] == 0


def test_a_compile_failure_is_one_trace_that_says_where_it_failed(run: Run) -> None:
    assert run.results["broken"].error_code == "COMPILATION_FAILED"
    root = run.submission("broken")
    assert root.parent_id == ""  # no traceparent sent: the system-api began the trace
    spans = run.trace(root.trace_id)
    _consistent(spans, root)
    assert {s.service for s in spans} == {"system-api", "kernel", "compiler"}
    compiler = _one(spans, "compiler", COMPILE, SERVER)
    assert compiler.status == ERROR and compiler.attrs["rpc.grpc.status_code"] != 0
    for stage in ("admission", "compile"):
        s = _one(spans, "kernel", stage)
        assert s.status == ERROR and s.attrs["eigen.job_id"] == run.jobs["broken"], stage
    assert not [s for s in spans if s.name in ("queue", "execute")]
    assert root.status != ERROR  # the submission itself was accepted


def test_a_hybrid_loop_is_one_trace_with_one_estimate_per_iteration(run: Run) -> None:
    res = run.results["vqe"]
    assert res.state == job_pb2.JOB_STATUS_DONE, res.error_summary
    root = run.submission("vqe")
    spans = run.trace(root.trace_id)
    by_id = _consistent(spans, root)
    assert {s.service for s in spans} == SERVICES
    compiler = _one(spans, "compiler", COMPILE, SERVER)
    assert root.attrs["eigen.language"] == "eigen-lang" == compiler.attrs["eigen.language"]
    assert _one(spans, "kernel", "compile").attrs["eigen.language"] == "eigen-lang"
    loop = _one(spans, "kernel", "hybrid_loop")
    iterations = res.optimization.iterations
    assert iterations > 0 and loop.attrs["eigen.iterations"] == iterations
    assert loop.attrs["eigen.optimizer"] == "cobyla" and loop.attrs["eigen.max_iter"] == 6
    assert loop.events.count("iteration") == iterations
    estimates = [s for s in spans if s.service == "driver-manager" and s.name == ESTIMATE]
    assert len(estimates) == iterations
    for e in estimates:
        assert _path(by_id, e)[:3] == [
            ("driver-manager", ESTIMATE),
            ("kernel", ESTIMATE),
            ("kernel", "hybrid_loop"),
        ]
        assert e.attrs["eigen.job_id"] == run.jobs["vqe"]


def test_a_rest_submission_continues_the_callers_trace(run: Run) -> None:
    trace_id, caller_span = run.sent["rest"]
    assert run.results["rest"].state == job_pb2.JOB_STATUS_DONE
    spans = run.trace(trace_id)
    root = run.submission("rest", name="POST /v1/jobs")
    assert root.trace_id == trace_id and root.parent_id == caller_span
    assert root.attrs["http.route"] == "/v1/jobs" and root.attrs["eigen.tenant"] == "test"
    by_id = _consistent(spans, root)
    assert {s.service for s in spans} == SERVICES
    driver = _one(spans, "driver-manager", EXECUTE, SERVER)
    assert _path(by_id, driver)[-3:] == [
        ("kernel", ENQUEUE),
        ("system-api", ENQUEUE),
        ("system-api", "POST /v1/jobs"),
    ]
    assert driver.attrs["eigen.shots"] == 200


def test_no_span_carries_the_token_and_probes_make_none(run: Run) -> None:
    assert run.spans
    for s in run.spans:
        assert run.token not in json.dumps(s.attrs, default=str), (s.service, s.name)
        assert not s.name.startswith("/grpc."), s.name  # health checks, reflection


# --- metrics of the same run -----------------------------------------------------------------


def test_streams_are_measured_apart_from_request_latency(run: Run) -> None:
    api = "system-api"
    assert run.metric(api, "eigen_api_stream_messages_total", method="StreamJobUpdates") == (
        run.streamed
    )
    assert (
        run.metric(
            api, "eigen_api_stream_duration_seconds_count", method="StreamJobUpdates", code="OK"
        )
        == run.streams
    )
    assert run.metric(api, "eigen_api_streams_active", method="StreamJobUpdates") == 0
    submitted = run.metric(api, "eigen_api_request_duration_seconds_count", method="SubmitJob")
    assert submitted == len(run.jobs)  # gRPC and REST alike
    assert not run.metric(
        api, "eigen_api_request_duration_seconds_count", method="StreamJobUpdates"
    )
    # the system-api relays each stream from the kernel's WatchJobUpdates
    assert (
        run.metric("kernel", "eigen_kernel_stream_duration_seconds_count", method="WatchJobUpdates")
        >= run.streams
    )
    assert run.metric("kernel", "eigen_kernel_stream_messages_total", method="WatchJobUpdates") > 0


def test_hybrid_iterations_are_not_state_transitions(run: Run) -> None:
    iterations = run.results["vqe"].optimization.iterations
    assert run.metric("kernel", "eigen_kernel_hybrid_iterations_total") == iterations
    name = "eigen_kernel_job_state_transitions_total"
    assert run.metric("kernel", name, from_state="EXECUTING", to_state="EXECUTING") == 0
    assert run.metric("kernel", name, from_state="ALLOCATING", to_state="EXECUTING") == 3
    assert run.metric("kernel", name, to_state="COMPLETED") == 3


def test_compile_seconds_has_the_same_language_label_compiled_or_rejected() -> None:
    """The compiler's own pipeline (in-process: the stack's compiler exposes no /metrics)."""
    from prometheus_client import CollectorRegistry

    from eigen_common.errors import CompilationFailedError
    from eigen_compiler.app import build_compiler
    from eigen_compiler.metrics import CompilerMetrics
    from eigen_compiler.model import CompileRequest, QasmSource
    from eigen_compiler.settings import CompilerSettings

    registry = CollectorRegistry()
    compiler = build_compiler(CompilerSettings(), CompilerMetrics(registry))
    compiler.compile(CompileRequest(QasmSource(BELL), target="sim:local"))
    with pytest.raises(CompilationFailedError):
        compiler.compile(CompileRequest(QasmSource(BROKEN), target="sim:local"))
    counts = {
        s.labels["language"]: s.value
        for fam in registry.collect()
        for s in fam.samples
        if s.name == "eigen_compiler_compile_seconds_count"
    }
    assert counts == {"qasm": 2}
    failures = [
        s
        for fam in registry.collect()
        for s in fam.samples
        if s.name == "eigen_compiler_failures_total"
    ]
    assert failures and sum(s.value for s in failures) >= 1
