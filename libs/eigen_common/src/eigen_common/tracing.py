"""OpenTelemetry in the four services: one trace per job (SPEC §10, §15 Traces).

- **Propagation**: opentelemetry-instrumentation-grpc's ``grpc.aio`` interceptors on every
  server (:func:`server_interceptor`, installed by :func:`eigen_common.server.create_server`)
  and every internal channel (:func:`client_interceptors`, installed by
  :func:`eigen_common.channel.create_channel`) carry the W3C ``traceparent`` on every hop; the
  REST gateway extracts it from the HTTP headers itself. Health and reflection calls are not
  traced (nor the services named in ``OTEL_PYTHON_GRPC_EXCLUDED_SERVICES``).
- **Export**: :func:`configure_tracing` installs the SDK's tracer provider; the SDK and the
  exporters read the standard ``OTEL_*`` variables themselves (endpoint, headers, protocol
  specific settings, sampler, batch processor, ``OTEL_SERVICE_NAME``,
  ``OTEL_RESOURCE_ATTRIBUTES``). Ours only decides *whether* spans are exported: see
  :func:`exporter_names`. Off, spans are still created (not recorded) so every log line and
  every hop keeps a trace id.
- **Jobs**: a job's work goes on in background tasks after the call that submitted it returned;
  :data:`JOBS` keeps each job's trace context (in memory, bounded) so :func:`job_span` makes
  the stages' spans children of the submission's trace.

Span attributes of ours are ``eigen.*`` (``eigen.job_id``, ``eigen.tenant``, ``eigen.device``,
``eigen.shots``, ``eigen.stage``, ...; docs/observability.md lists them). Never the token.
"""

from __future__ import annotations

import os
from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from importlib.metadata import entry_points
from typing import Any

import grpc
from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.sdk.trace.sampling import ALWAYS_OFF
from opentelemetry.trace import NonRecordingSpan, Span, SpanContext, Status, StatusCode

#: Services whose calls make no spans (probes every few seconds would drown the jobs).
_UNTRACED = frozenset(
    {
        "grpc.health.v1.Health",
        "grpc.reflection.v1alpha.ServerReflection",
        "grpc.reflection.v1.ServerReflection",
    }
)
_EXPORTERS_GROUP = "opentelemetry_traces_exporter"
_OTLP = {"grpc": "otlp_proto_grpc", "http/protobuf": "otlp_proto_http"}

_fallback: TracerProvider | None = None
_configured: TracerProvider | None = None


class TracingConfigError(ValueError):
    """The ``OTEL_*`` variables (or ``otel_exporter``) name an exporter we cannot build."""


# --- export ----------------------------------------------------------------------------------


def exporter_names(setting: str = "", env: Mapping[str, str] | None = None) -> list[str]:
    """Entry point names (group ``opentelemetry_traces_exporter``) of the exporters to use.

    - ``OTEL_SDK_DISABLED=true`` or ``OTEL_TRACES_EXPORTER=none``: none;
    - ``OTEL_TRACES_EXPORTER`` (comma-separated, as the SDK reads it), else ``setting`` (the
      service's ``otel_exporter``: ``console``, ``otlp``), else ``otlp`` when
      ``OTEL_EXPORTER_OTLP_ENDPOINT`` or ``OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`` is set, else none
      (unlike the SDK's own default, ``otlp``: no collector is assumed);
    - ``otlp`` becomes ``otlp_proto_grpc`` or ``otlp_proto_http`` by
      ``OTEL_EXPORTER_OTLP_TRACES_PROTOCOL`` / ``OTEL_EXPORTER_OTLP_PROTOCOL`` (``grpc``, the
      Python SDK's default, or ``http/protobuf``).

    Raises:
        TracingConfigError: an OTLP protocol other than ``grpc`` / ``http/protobuf``.
    """
    env = os.environ if env is None else env
    if env.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        return []
    raw = env.get("OTEL_TRACES_EXPORTER", "").strip() or setting.strip()
    if not raw and (
        env.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") or env.get("OTEL_EXPORTER_OTLP_ENDPOINT")
    ):
        raw = "otlp"
    names = [n.strip().lower() for n in raw.split(",") if n.strip()]
    out = []
    for name in names:
        if name == "none":
            continue
        if name == "otlp":
            protocol = (
                env.get("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL")
                or env.get("OTEL_EXPORTER_OTLP_PROTOCOL")
                or "grpc"
            ).strip()
            if protocol not in _OTLP:
                raise TracingConfigError(
                    f"unsupported OTLP protocol {protocol!r} (supported: grpc, http/protobuf)"
                )
            name = _OTLP[protocol]
        out.append(name)
    return out


def configure_tracing(service: str, exporter: str = "") -> list[str]:
    """Install this process's tracer provider, exporting as the ``OTEL_*`` variables say.

    Args:
        service: ``service.name`` unless ``OTEL_SERVICE_NAME`` or ``OTEL_RESOURCE_ATTRIBUTES``
            name one.
        exporter: the service's ``otel_exporter`` setting, used when ``OTEL_TRACES_EXPORTER``
            is unset (``""`` = decide from the OTLP endpoint variables).

    Returns:
        The exporters in use (entry point names; empty = spans are not recorded).

    Raises:
        TracingConfigError: an exporter that is not installed, or a bad OTLP protocol.
    """
    global _configured
    names = exporter_names(exporter)
    exporters = []
    for name in names:
        found = entry_points(group=_EXPORTERS_GROUP, name=name)
        if not found:
            known = sorted({e.name for e in entry_points(group=_EXPORTERS_GROUP)} | {"otlp"})
            raise TracingConfigError(
                f"unknown trace exporter {name!r} (installed: {', '.join(known)})"
            )
        exporters.append(next(iter(found)).load()())
    resource = Resource.create()  # reads OTEL_RESOURCE_ATTRIBUTES and OTEL_SERVICE_NAME
    if str(resource.attributes.get("service.name", "")).startswith("unknown_service"):
        resource = resource.merge(Resource({"service.name": service}))
    if exporters:
        provider = TracerProvider(resource=resource)  # sampler: OTEL_TRACES_SAMPLER
        for exp in exporters:
            provider.add_span_processor(BatchSpanProcessor(exp))  # OTEL_BSP_*
    else:
        provider = TracerProvider(resource=resource, sampler=ALWAYS_OFF, shutdown_on_exit=False)
    trace.set_tracer_provider(provider)
    _configured = provider
    return names


def shutdown_tracing() -> None:
    """Export the spans still buffered and stop the exporters (the service is stopping)."""
    global _configured
    if _configured is not None:
        _configured.shutdown()
        _configured = None


def tracer_provider() -> trace.TracerProvider:
    """The process's SDK tracer provider.

    The one :func:`configure_tracing` (or a test) installed, else a provider that records
    nothing but still gives every span real ids (in-process tests, tools), so trace ids reach
    the logs and the next hop either way.
    """
    global _fallback
    current = trace.get_tracer_provider()
    if isinstance(current, TracerProvider):
        return current
    if _fallback is None:
        _fallback = TracerProvider(sampler=ALWAYS_OFF, shutdown_on_exit=False)
    return _fallback


def tracer(name: str) -> trace.Tracer:
    """A tracer of :func:`tracer_provider` for instrumentation scope ``name``."""
    return tracer_provider().get_tracer(name)


# --- gRPC interceptors -----------------------------------------------------------------------


def _filter() -> Callable[[Any], bool]:
    """The calls to trace: all but :data:`_UNTRACED` and ``OTEL_PYTHON_GRPC_EXCLUDED_SERVICES``.

    A plain look-up on the call's method (the instrumentation's own ``filters`` cost a sixth of
    a small call's time: they test protocols with ``isinstance``).
    """
    extra = os.environ.get("OTEL_PYTHON_GRPC_EXCLUDED_SERVICES", "")
    skipped = _UNTRACED | {s.strip() for s in extra.split(",") if s.strip()}

    def traced(details: Any) -> bool:
        method = details.method
        if isinstance(method, bytes):
            method = method.decode()
        return str(method).lstrip("/").split("/", 1)[0] not in skipped

    return traced


def server_interceptor() -> grpc.aio.ServerInterceptor:  # type: ignore[type-arg]
    """The OpenTelemetry server interceptor: extracts ``traceparent``, one SERVER span per call.

    Goes first in the server's interceptor list, so the span is current in everything after it.
    """
    from opentelemetry.instrumentation.grpc import aio_server_interceptor

    interceptor: grpc.aio.ServerInterceptor = aio_server_interceptor(  # type: ignore[type-arg]
        tracer_provider=tracer_provider(), filter_=_filter()
    )
    return interceptor


def client_interceptors() -> list[grpc.aio.ClientInterceptor]:
    """The OpenTelemetry client interceptors: one CLIENT span per call, ``traceparent`` sent."""
    from opentelemetry.instrumentation.grpc import aio_client_interceptors

    interceptors: list[grpc.aio.ClientInterceptor] = aio_client_interceptors(
        tracer_provider=tracer_provider(), filter_=_filter()
    )
    return interceptors


# --- the current span ------------------------------------------------------------------------


def current_trace_id() -> str:
    """The current span's trace id (32 hex digits), ``""`` outside any span."""
    sc = trace.get_current_span().get_span_context()
    return f"{sc.trace_id:032x}" if sc.is_valid else ""


def annotate(span: Span | None = None, **attributes: str | int | float | bool | None) -> None:
    """Set ``eigen.<name>`` attributes on ``span`` (default: the current one).

    Empty values (``""``, ``None``) are skipped; nothing is done when the span is not recorded.
    """
    span = span or trace.get_current_span()
    if not span.is_recording():
        return
    span.set_attributes(
        {f"eigen.{k}": v for k, v in attributes.items() if v is not None and v != ""}
    )


#: Request fields worth a span attribute, wherever a message has them (top level or in
#: ``submission``): the name of the attribute (``eigen.<name>``) by field name.
_REQUEST_FIELDS = {"job_id": "job_id", "device_id": "device", "target": "target", "shots": "shots"}


def annotate_request(request: Any, span: Span | None = None) -> None:
    """Put a request's job id, device, target, shots and source language on ``span``.

    ``request`` is any protobuf message; fields it does not have are skipped, and so are
    unset ones (``shots`` 0). The language is the set field of a ``source`` / ``program`` oneof
    (``qasm``, ``eigen-lang``, ``aqo-ref``: the kernel's names).
    """
    span = span or trace.get_current_span()
    if not span.is_recording() or not hasattr(request, "DESCRIPTOR"):
        return
    for msg in (request, getattr(request, "submission", None)):
        if msg is None or not hasattr(msg, "DESCRIPTOR"):
            continue
        fields = msg.DESCRIPTOR.fields_by_name
        attrs: dict[str, Any] = {
            name: getattr(msg, field) for field, name in _REQUEST_FIELDS.items() if field in fields
        }
        for oneof in ("source", "program"):
            if oneof in msg.DESCRIPTOR.oneofs_by_name:
                attrs["language"] = (msg.WhichOneof(oneof) or "").replace("_", "-")
        annotate(span, **{k: v for k, v in attrs.items() if v})


def record_error(code: str, reason: str = "", span: Span | None = None) -> None:
    """Mark ``span`` (default: the current one) failed with gRPC status ``code`` (a name)."""
    span = span or trace.get_current_span()
    if not span.is_recording():
        return
    value = getattr(grpc.StatusCode, code, None)
    if value is not None:
        span.set_attribute("rpc.grpc.status_code", value.value[0])
    span.set_status(Status(StatusCode.ERROR, f"{code}: {reason}" if reason else code))


# --- jobs ------------------------------------------------------------------------------------


class JobTraces:
    """The trace context of each job, kept in memory while the job's stages run.

    The first stage of a job remembers the span current when it starts (the kernel's
    ``EnqueueJob`` server span, inherited by the admission task), so every later stage — run by
    other tasks, after the call returned — joins the submission's trace. A job first seen with
    no span (resumed after a restart) is rooted at its first stage's span.

    At most ``capacity`` jobs are kept (least recently used dropped; a dropped or never-seen job
    starts a new trace at its next stage). Not persisted: a restarted or another kernel starts
    a new trace for the job.
    """

    def __init__(self, capacity: int = 10_000):
        self.capacity = capacity
        self._contexts: OrderedDict[str, SpanContext] = OrderedDict()

    def remember(self, job_id: str, span_context: SpanContext | None = None) -> None:
        """Keep ``span_context`` (default: the current span's) as ``job_id``'s, if it is valid.

        A job that has one keeps it.
        """
        if job_id in self._contexts:
            self._contexts.move_to_end(job_id)
            return
        sc = span_context or trace.get_current_span().get_span_context()
        if not sc.is_valid:
            return
        self._contexts[job_id] = sc
        while len(self._contexts) > self.capacity:
            self._contexts.popitem(last=False)

    def parent(self, job_id: str) -> otel_context.Context | None:
        """The context to start ``job_id``'s next span in; ``None`` when it has none.

        The current context when the current span is in the job's trace already (a stage
        inside another, a call inside a stage), else the job's remembered span.
        """
        sc = self._contexts.get(job_id)
        if sc is None:
            return None
        self._contexts.move_to_end(job_id)
        current = otel_context.get_current()
        if trace.get_current_span(current).get_span_context().trace_id == sc.trace_id:
            return current
        return trace.set_span_in_context(NonRecordingSpan(sc))

    def forget(self, job_id: str) -> None:
        """Drop ``job_id``'s context (its work is over)."""
        self._contexts.pop(job_id, None)

    def __len__(self) -> int:
        return len(self._contexts)


#: The jobs of this process (the kernel's).
JOBS = JobTraces()


@contextmanager
def job_span(
    name: str,
    job_id: str,
    *,
    adopt: bool = False,
    start_time: float | None = None,
    scope: str = "eigen.kernel",
    **attributes: str | int | float | bool | None,
) -> Iterator[Span]:
    """A span of one of ``job_id``'s stages, in the job's trace (see :class:`JobTraces`).

    Args:
        name: span name, also its ``eigen.stage`` attribute (``compile``, ``queue``, ...).
        job_id: the job.
        adopt: the caller runs in the job's own context (the task its submission started):
            a job with no trace yet joins the current one. Otherwise (a task started for
            whichever job) a job with no trace starts a new one at this span.
        start_time: when the stage began (UNIX seconds; default: now).
        scope: instrumentation scope of the tracer.
        attributes: more ``eigen.*`` attributes (empty values skipped).

    Yields:
        The span, current inside the block; it ends with the block (an exception escaping the
        block marks it failed).
    """
    if adopt:
        JOBS.remember(job_id)
    parent = JOBS.parent(job_id)
    if parent is None and not adopt:
        parent = otel_context.Context()  # a root span, not a child of another job's work
    t0 = None if start_time is None else int(start_time * 1e9)
    with tracer(scope).start_as_current_span(
        name, context=parent, start_time=t0, kind=trace.SpanKind.INTERNAL
    ) as span:
        JOBS.remember(job_id, span.get_span_context())  # no trace yet: this span roots it
        annotate(span, job_id=job_id, stage=name, **attributes)
        yield span
