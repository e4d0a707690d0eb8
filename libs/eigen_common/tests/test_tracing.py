"""Tracing (SPEC §10, §15): OTEL_* export choice, W3C propagation by the gRPC instrumentation,
one trace per job across background tasks, trace ids in logs, stream metrics.

The multi-process check (four services exporting OTLP to a collector) is tests/e2e/test_traces.py.
"""

import asyncio
import secrets
import subprocess
import sys
import textwrap

import grpc
import pytest
import structlog
import structlog.testing
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from prometheus_client import REGISTRY

from eigen_common import context, errors, tracing
from eigen_common.channel import create_channel
from eigen_common.logs import _add_trace, get_logger
from eigen_common.server import ServiceBinding
from eigen_common.testing import start_test_server

ENDPOINT = {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4317"}


# --- which exporters ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("env", "setting", "expected"),
    [
        ({}, "", []),  # nothing configured: off (no collector assumed)
        (ENDPOINT, "", ["otlp_proto_grpc"]),
        (
            {"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://c:4318/v1/traces"},
            "",
            ["otlp_proto_grpc"],
        ),
        ({**ENDPOINT, "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf"}, "", ["otlp_proto_http"]),
        (
            {
                **ENDPOINT,
                "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf",
                "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL": "grpc",
            },
            "",
            ["otlp_proto_grpc"],
        ),
        ({"OTEL_TRACES_EXPORTER": "console,otlp"}, "", ["console", "otlp_proto_grpc"]),
        ({**ENDPOINT, "OTEL_TRACES_EXPORTER": "none"}, "", []),
        ({**ENDPOINT, "OTEL_SDK_DISABLED": "true"}, "console", []),
        ({}, "console", ["console"]),  # the service's otel_exporter setting
        ({"OTEL_TRACES_EXPORTER": "otlp"}, "console", ["otlp_proto_grpc"]),  # OTEL_* first
    ],
)
def test_exporters_follow_the_standard_variables(env, setting, expected):
    assert tracing.exporter_names(setting, env) == expected


def test_an_unknown_protocol_or_exporter_is_a_clear_error(monkeypatch):
    with pytest.raises(tracing.TracingConfigError, match="http/json"):
        tracing.exporter_names("", {**ENDPOINT, "OTEL_EXPORTER_OTLP_PROTOCOL": "http/json"})
    monkeypatch.setenv("OTEL_TRACES_EXPORTER", "zipkinn")
    with pytest.raises(tracing.TracingConfigError, match=r"zipkinn.*installed: .*console"):
        tracing.configure_tracing("test")


def test_a_service_with_an_unknown_exporter_does_not_start():
    code = textwrap.dedent(
        """
        from eigen_common.server import App, run
        from eigen_common.settings import ServiceSettings
        run(lambda s: App("probe", s, []), ServiceSettings())
        """
    )
    env = {"OTEL_TRACES_EXPORTER": "nope", "PATH": "/usr/bin:/bin"}
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 2, out.stderr
    assert "cannot start" in out.stderr and "unknown trace exporter 'nope'" in out.stderr
    assert "Traceback" not in out.stderr


# --- propagation through real servers --------------------------------------------------------


@pytest.fixture
async def hop():
    """Server ``b`` answers with what it sees; server ``a`` calls ``b`` on a create_channel."""
    seen: dict[str, str] = {}

    def add_b(_s, server):
        async def echo(request, ctx):
            seen["trace_id"] = structlog.contextvars.get_contextvars()["trace_id"]
            seen["traceparent"] = dict(ctx.invocation_metadata()).get("traceparent", "")
            return b""

        async def fail_after_one(request, ctx):
            yield b"one"
            raise errors.NotFoundError("no such thing")

        server.add_generic_rpc_handlers(
            [
                grpc.method_handlers_generic_handler(
                    "test.B",
                    {
                        "Echo": grpc.unary_unary_rpc_method_handler(echo),
                        "Stream": grpc.unary_stream_rpc_method_handler(fail_after_one),
                    },
                )
            ]
        )

    b = await start_test_server("hop-b", [ServiceBinding(None, add_b, "test.B")])
    ch_b = create_channel(f"127.0.0.1:{b.port}")

    def add_a(_s, server):
        async def forward(request, ctx):
            seen["a_trace_id"] = tracing.current_trace_id()
            md = context.outgoing_metadata("j-1")
            await ch_b.unary_unary("/test.B/Echo")(b"", metadata=md, timeout=5)
            return b""

        server.add_generic_rpc_handlers(
            [
                grpc.method_handlers_generic_handler(
                    "test.A", {"Forward": grpc.unary_unary_rpc_method_handler(forward)}
                )
            ]
        )

    a = await start_test_server("hop-a", [ServiceBinding(None, add_a, "test.A")])
    ch_a = grpc.aio.insecure_channel(f"127.0.0.1:{a.port}")
    yield ch_a, b.port, seen
    await ch_a.close()
    await ch_b.close()
    await a.stop(0)
    await b.stop(0)


async def test_the_callers_trace_reaches_the_next_hop(hop):
    ch_a, _, seen = hop
    trace_id = secrets.token_hex(16)
    tp = f"00-{trace_id}-{secrets.token_hex(8)}-01"
    await ch_a.unary_unary("/test.A/Forward")(b"", metadata=[("traceparent", tp)], timeout=5)
    assert seen["a_trace_id"] == trace_id == seen["trace_id"]
    # a new span id on the hop (A's client span), the same trace
    assert seen["traceparent"].split("-")[1] == trace_id and seen["traceparent"] != tp
    await ch_a.unary_unary("/test.A/Forward")(b"", timeout=5)  # no traceparent: A starts one
    assert len(seen["a_trace_id"]) == 32 and seen["a_trace_id"] != trace_id
    assert seen["trace_id"] == seen["a_trace_id"]


async def test_a_failed_stream_is_measured_when_the_caller_sees_the_error(hop):
    _, port, _ = hop

    def value(name, **labels):
        return REGISTRY.get_sample_value(name, labels) or 0.0

    before = (
        value("eigen_hop_b_stream_messages_total", method="Stream"),
        value("eigen_hop_b_stream_duration_seconds_count", method="Stream", code="NOT_FOUND"),
        value("eigen_hop_b_request_errors_total", method="Stream", code="NOT_FOUND"),
    )
    async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as ch:
        got = []
        with pytest.raises(grpc.aio.AioRpcError) as exc:
            async for m in ch.unary_stream("/test.B/Stream")(b"", timeout=5):
                got.append(m)
    assert exc.value.code() == grpc.StatusCode.NOT_FOUND and got == [b"one"]
    after = (
        value("eigen_hop_b_stream_messages_total", method="Stream"),
        value("eigen_hop_b_stream_duration_seconds_count", method="Stream", code="NOT_FOUND"),
        value("eigen_hop_b_request_errors_total", method="Stream", code="NOT_FOUND"),
    )
    assert [a - b for a, b in zip(after, before, strict=True)] == [1, 1, 1]
    assert value("eigen_hop_b_streams_active", method="Stream") == 0
    assert not value("eigen_hop_b_request_duration_seconds_count", method="Stream", code="OK")


# --- jobs: one trace across background tasks -------------------------------------------------


@pytest.fixture
def recorded(monkeypatch):
    """Spans of :func:`tracing.tracer` recorded in memory (the global provider is untouched)."""
    if isinstance(trace.get_tracer_provider(), TracerProvider):
        pytest.skip("a global SDK tracer provider is installed in this process")
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    monkeypatch.setattr(tracing, "_fallback", provider)
    monkeypatch.setattr(tracing, "JOBS", tracing.JobTraces(capacity=2))
    return exporter


async def test_later_stages_in_other_tasks_join_the_submissions_trace(recorded):
    t = tracing.tracer("test")
    with t.start_as_current_span("EnqueueJob") as submit:

        async def admission():
            with (
                tracing.job_span("admission", "j1", adopt=True, tenant="acme"),
                tracing.job_span("compile", "j1"),
            ):
                pass

        await asyncio.get_running_loop().create_task(admission())
    with t.start_as_current_span("another job's work"):  # dispatched from an unrelated context

        async def execution():
            with tracing.job_span("execute", "j1", shots=100, device=""):
                pass
            with tracing.job_span("execute", "j2"):  # never admitted here: its own trace
                pass

        await asyncio.get_running_loop().create_task(execution())
    spans = {(s.name, s.attributes.get("eigen.job_id")): s for s in recorded.get_finished_spans()}
    root = submit.get_span_context()
    admission_span = spans[("admission", "j1")]
    assert admission_span.parent.span_id == root.span_id
    assert spans[("compile", "j1")].parent.span_id == admission_span.context.span_id
    j1 = spans[("execute", "j1")]
    assert j1.context.trace_id == root.trace_id and j1.parent.span_id == root.span_id
    assert dict(j1.attributes) == {
        "eigen.job_id": "j1",
        "eigen.stage": "execute",
        "eigen.shots": 100,
    }
    assert admission_span.attributes["eigen.tenant"] == "acme"
    j2 = spans[("execute", "j2")]
    assert j2.parent is None and j2.context.trace_id != root.trace_id
    # bounded: the least recently used job is forgotten first
    tracing.JOBS.remember("j3", j1.context)
    assert tracing.JOBS.parent("j1") is None and len(tracing.JOBS) == 2


def test_a_failing_stage_marks_its_span(recorded):
    with pytest.raises(errors.CompilationFailedError), tracing.job_span("compile", "j9"):
        raise errors.CompilationFailedError("does not compile")
    (span,) = recorded.get_finished_spans()
    assert span.status.status_code == trace.StatusCode.ERROR and span.parent is None


def test_log_lines_carry_the_current_spans_trace_id():
    t = tracing.tracer("test")
    with structlog.testing.capture_logs(processors=[_add_trace]) as lines:
        with t.start_as_current_span("work") as span:
            get_logger("probe").info("inside")
        get_logger("probe").info("outside")
    inside, outside = lines
    sc = span.get_span_context()
    assert inside["trace_id"] == f"{sc.trace_id:032x}" and inside["span_id"] == f"{sc.span_id:016x}"
    assert outside["trace_id"] == "" and outside["job_id"] == "" and "span_id" not in outside
