"""OpenTelemetry setup: spans per stage, exporter off unless configured (SPEC §10).

The W3C ``traceparent`` itself is handled by :mod:`eigen_common.context` (generated at the edge,
propagated on every hop); :func:`attach_traceparent` makes OTel spans children of it, so traces
join up across the four processes when an exporter is configured.
"""

from __future__ import annotations

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

_PROPAGATOR = TraceContextTextMapPropagator()
_enabled = False


def configure_tracing(service: str, exporter: str) -> None:
    """Install an SDK tracer provider for ``service`` when ``exporter`` is set.

    Args:
        service: ``service.name`` resource attribute.
        exporter: ``""`` (off: the API's no-op tracer) or ``"console"`` (spans as JSON on stdout).

    Raises:
        ValueError: unknown exporter name.
    """
    if not exporter:
        return
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter

    if exporter != "console":
        raise ValueError(f"unknown OpenTelemetry exporter {exporter!r} (supported: console)")
    provider = TracerProvider(resource=Resource.create({"service.name": service}))
    provider.add_span_processor(BatchSpanProcessor(ConsoleSpanExporter()))
    trace.set_tracer_provider(provider)
    global _enabled
    _enabled = True


def attach_traceparent(traceparent: str) -> None:
    """Make ``traceparent`` the parent of spans started in the current (request) context.

    A no-op while tracing is off (the API's tracer records nothing; parsing would be wasted).
    """
    if _enabled:
        otel_context.attach(_PROPAGATOR.extract({"traceparent": traceparent}))
