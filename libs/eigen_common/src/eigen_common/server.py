"""gRPC server bootstrap shared by every service.

- :func:`create_server` builds a ``grpc.aio`` server with health + reflection,
  OpenTelemetry's server interceptor then the one :class:`ErrorInterceptor`,
  ``grpc.so_reuseport=0`` (a taken port is a startup error), binds
  ``address`` (with TLS when the :class:`~eigen_common.security.ServerSecurity` has
  credentials) and returns ``(server, bound_port)`` — tests pass port 0 and read the port back.
- :class:`App` is a wired service (what a composition root returns); :func:`serve` runs it,
  exposes Prometheus ``/metrics`` and drains gracefully on SIGTERM/SIGINT; :func:`run` is the
  whole ``__main__`` of a service: ``run(build, KernelSettings())``.
"""

from __future__ import annotations

import asyncio
import cProfile
import os
import signal
import sys
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import grpc
import structlog
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection
from prometheus_client import Counter, Gauge, Histogram, start_http_server

from eigen_common import context, security, tracing
from eigen_common.errors import EigenError, InternalError, MalformedRequestError
from eigen_common.logs import configure_logging, get_logger
from eigen_common.security import SecurityConfigError, ServerSecurity
from eigen_common.settings import ServiceSettings
from eigen_common.status import to_grpc_status
from eigen_common.tracing import TracingConfigError, configure_tracing, shutdown_tracing

log = get_logger("eigen.server")
S = TypeVar("S", bound=ServiceSettings)

#: Metric name prefix per service: system-api keeps the seed's ``eigen_api_...`` names (SPEC §10).
_PREFIX = {"system-api": "api", "kernel": "kernel", "compiler": "compiler"}
_METRICS: dict[str, tuple[Histogram, Counter]] = {}
_STREAM_METRICS: dict[str, StreamMetrics] = {}
_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)
#: Stream lifetimes: a watch lasts as long as its job (seconds to hours).
_STREAM_BUCKETS = (0.01, 0.1, 0.5, 1, 5, 15, 60, 300, 900, 3600, 4 * 3600)


def _prefix(service: str) -> str:
    return _PREFIX.get(service, service.replace("-", "_"))


def request_metrics(service: str) -> tuple[Histogram, Counter]:
    """``eigen_<prefix>_request_duration_seconds`` and ``eigen_<prefix>_request_errors_total``.

    Created once per process and service (labels: method, code; never job or trace ids). The
    duration is of unary calls; server streams are measured by :func:`stream_metrics`. Errors
    count every call that ended with a typed error or a crash, unary or streaming.
    """
    prefix = _prefix(service)
    if prefix not in _METRICS:
        _METRICS[prefix] = (
            Histogram(
                f"eigen_{prefix}_request_duration_seconds",
                f"{service} gRPC request handling time, in seconds",
                ["method", "code"],
                buckets=_BUCKETS,
            ),
            Counter(
                f"eigen_{prefix}_request_errors_total", f"{service} gRPC errors", ["method", "code"]
            ),
        )
    return _METRICS[prefix]


@dataclass(frozen=True)
class StreamMetrics:
    """Server-streaming calls (``StreamJobUpdates``, ``WatchJobUpdates``, ``GetJobArtifact``).

    - ``eigen_<prefix>_stream_duration_seconds{method,code}``: a stream's lifetime, from the
      call to its end (terminal event, client gone, error); kept out of the request latency
      histogram, whose percentiles it would swamp;
    - ``eigen_<prefix>_stream_messages_total{method}``: messages sent on streams;
    - ``eigen_<prefix>_streams_active{method}``: streams open now.
    """

    duration: Histogram
    messages: Counter
    active: Gauge


def stream_metrics(service: str) -> StreamMetrics:
    """The :class:`StreamMetrics` of ``service``, created once per process and service."""
    prefix = _prefix(service)
    if prefix not in _STREAM_METRICS:
        _STREAM_METRICS[prefix] = StreamMetrics(
            Histogram(
                f"eigen_{prefix}_stream_duration_seconds",
                f"{service} server-streaming call lifetime, in seconds",
                ["method", "code"],
                buckets=_STREAM_BUCKETS,
            ),
            Counter(
                f"eigen_{prefix}_stream_messages_total",
                f"{service} messages sent on server streams",
                ["method"],
            ),
            Gauge(f"eigen_{prefix}_streams_active", f"{service} server streams open", ["method"]),
        )
    return _STREAM_METRICS[prefix]


def server_options(max_message_bytes: int) -> list[tuple[str, Any]]:
    """Channel options every server uses."""
    return [
        ("grpc.so_reuseport", 0),
        ("grpc.max_receive_message_length", max_message_bytes),
        ("grpc.max_send_message_length", max_message_bytes),
    ]


class StartupError(RuntimeError):
    """The server cannot start (its address cannot be bound)."""


class ErrorInterceptor(grpc.aio.ServerInterceptor):  # type: ignore[type-arg]
    """The one server interceptor of ours: caller check and context in, typed errors out, metrics.

    Runs inside OpenTelemetry's server interceptor, so the call's span (a child of the caller's
    ``traceparent``) is current here.

    - checks the caller's internal credentials (``security``, SPEC §11): a call to a service
      that requires the stack secret and lacks it ends UNAUTHENTICATED with ErrorInfo and is
      logged; ``grpc.*`` services (health, reflection) stay open;
    - binds ``trace_id`` (the span's) and ``job_id`` (``x-eigen-job-id``) for logs; the
      ``x-eigen-*`` auth context only from a caller ``security`` trusts (never on the public
      ingress); puts the job id, tenant, device, target, shots and language on the span;
    - turns :class:`EigenError` into a rich ``google.rpc.Status``; any other exception becomes
      INTERNAL with a correlation id that is logged with the traceback (never sent); the span
      is marked failed with the status code;
    - records ``eigen_<prefix>_request_duration_seconds{method,code}`` (unary calls),
      ``eigen_<prefix>_request_errors_total{method,code}`` (every call) and the
      :class:`StreamMetrics` of server streams.
    """

    def __init__(self, service: str, server_security: ServerSecurity | None = None):
        self._service = service
        self._security = server_security or ServerSecurity(
            trust_auth_headers=service not in security.PUBLIC_INGRESS
        )
        self._duration, self._errors = request_metrics(service)
        self._streams = stream_metrics(service)

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[Any]],
        details: grpc.HandlerCallDetails,
    ) -> Any:
        """Wrap the method handler (unary-unary and unary-stream) with context and error mapping."""
        handler = await continuation(details)
        if handler is None or details.method.startswith("/grpc."):
            return handler
        method = details.method.rsplit("/", 1)[-1]
        md = details.invocation_metadata or ()
        duration, errors_total, streams = self._duration, self._errors, self._streams
        children: dict[str, Any] = {}  # metric child per status code of this method
        rejected: EigenError | None = None
        trusted = False
        try:
            trusted = self._security.trusted_caller(md)
        except EigenError as exc:
            rejected = exc

        def enter(ctx: Any, request: Any) -> None:
            job_id = ""
            for k, v in md:
                if k == "x-eigen-job-id":
                    job_id = (v if isinstance(v, str) else v.decode())[:64]
            auth = context.AuthContext.from_metadata(md) if trusted else None
            context.auth_var.set(auth)
            structlog.contextvars.bind_contextvars(
                trace_id=tracing.current_trace_id(), job_id=job_id
            )
            if rejected is not None:
                log.warning("call rejected", method=method, reason=rejected.reason, peer=ctx.peer())
                raise rejected
            if isinstance(request, Undecodable):
                log.warning("undecodable request", method=method, peer=ctx.peer())
                raise request.error(method)
            tracing.annotate(job_id=job_id, tenant=auth.tenant if auth else "")
            tracing.annotate_request(request)

        async def fail(exc: BaseException, ctx: Any) -> None:
            if isinstance(exc, EigenError):
                err = exc
            else:
                err = InternalError.with_correlation()
                log.error(
                    "unhandled error",
                    method=method,
                    correlation_id=err.metadata["correlation_id"],
                    exc_info=exc,
                )
            errors_total.labels(method, err.code.name).inc()
            tracing.record_error(err.code.name, err.reason)
            await ctx.abort_with_status(to_grpc_status(err))

        if handler.unary_unary is not None:
            inner_uu = handler.unary_unary

            async def unary_unary(request: Any, ctx: Any) -> Any:
                t0 = time.perf_counter()
                code = "OK"
                try:
                    enter(ctx, request)
                    return await inner_uu(request, ctx)
                except asyncio.CancelledError:
                    code = "CANCELLED"
                    raise
                except grpc.aio.AbortError:
                    code = "ABORTED"
                    raise
                except (KeyboardInterrupt, SystemExit):
                    raise
                except BaseException as exc:  # PyO3's PanicException (Qiskit's Rust) too
                    code = getattr(exc, "code", grpc.StatusCode.INTERNAL).name
                    await fail(exc, ctx)
                finally:
                    child = children.get(code)
                    if child is None:
                        child = children[code] = duration.labels(method, code)
                    child.observe(time.perf_counter() - t0)

            return grpc.unary_unary_rpc_method_handler(
                unary_unary,
                request_deserializer=_lenient(handler.request_deserializer),
                response_serializer=handler.response_serializer,
            )
        if handler.unary_stream is not None:
            inner_us = handler.unary_stream
            active = streams.active.labels(method)
            messages = streams.messages.labels(method)

            async def unary_stream(request: Any, ctx: Any) -> Any:
                t0 = time.perf_counter()
                code = "OK"
                sent = 0
                active.inc()
                try:
                    enter(ctx, request)
                    async for item in inner_us(request, ctx):
                        sent += 1
                        yield item
                except (asyncio.CancelledError, GeneratorExit):
                    code = "CANCELLED"  # the client went away
                    raise
                except grpc.aio.AbortError:
                    code = "ABORTED"
                    raise
                except (KeyboardInterrupt, SystemExit):
                    raise
                except BaseException as exc:  # PyO3's PanicException (Qiskit's Rust) too
                    code = getattr(exc, "code", grpc.StatusCode.INTERNAL).name
                    await fail(exc, ctx)
                finally:
                    active.dec()
                    messages.inc(sent)
                    streams.duration.labels(method, code).observe(time.perf_counter() - t0)

            return grpc.unary_stream_rpc_method_handler(
                unary_stream,
                request_deserializer=_lenient(handler.request_deserializer),
                response_serializer=handler.response_serializer,
            )
        if rejected is not None:  # client-streaming kinds (none in our protos): refused whole
            return _refusal(handler, rejected)
        return handler


@dataclass(frozen=True)
class Undecodable:
    """A request whose bytes did not parse as the method's message (corrupt or foreign).

    Stands in for the request so the call ends with our INVALID_ARGUMENT ``MALFORMED_REQUEST``
    (ErrorInfo, logged) instead of gRPC's bare INTERNAL "Exception deserializing request!".
    """

    size_bytes: int
    problem: str

    def error(self, method: str) -> MalformedRequestError:
        """The error the call ends with."""
        return MalformedRequestError(
            f"the {method} request is not a valid protobuf message "
            f"({self.size_bytes} bytes: {self.problem})",
            metadata={"method": method},
        )


def _lenient(deserialize: Callable[[bytes], Any] | None) -> Callable[[bytes], Any] | None:
    """``deserialize`` that returns :class:`Undecodable` instead of raising."""
    if deserialize is None:
        return None

    def parse(data: bytes) -> Any:
        try:
            return deserialize(data)
        except Exception as exc:  # protobuf's DecodeError, or any parser failure
            return Undecodable(len(data), str(exc)[:200] or type(exc).__name__)

    return parse


def _refusal(handler: Any, err: EigenError) -> Any:
    """A handler of ``handler``'s (client-streaming) kind that aborts with ``err``."""

    async def refuse(_requests: Any, ctx: Any) -> Any:
        await ctx.abort_with_status(to_grpc_status(err))

    make = (
        grpc.stream_unary_rpc_method_handler
        if handler.stream_unary is not None
        else grpc.stream_stream_rpc_method_handler
    )
    return make(
        refuse,
        request_deserializer=handler.request_deserializer,
        response_serializer=handler.response_serializer,
    )


@dataclass
class ServiceBinding:
    """One servicer and how to add it: ``add(servicer, server)`` and its full service name."""

    servicer: Any
    add: Callable[[Any, grpc.aio.Server], None]
    name: str


@dataclass
class RunningServer:
    """A started server: ``port`` is the bound port, ``health`` the health servicer.

    ``security`` describes what callers need (``internal token + mTLS``, ``TLS``, ``open``).
    """

    server: grpc.aio.Server
    port: int
    health: Any  # grpc_health.v1.health.aio.HealthServicer (untyped)
    names: list[str] = field(default_factory=list)
    security: str = "open"

    async def stop(self, grace: float | None = 1.0) -> None:
        """Mark NOT_SERVING, then stop, letting calls in flight finish within ``grace`` s."""
        for n in [*self.names, ""]:
            await self.health.set(n, health_pb2.HealthCheckResponse.NOT_SERVING)
        await self.server.stop(grace)


async def create_server(
    service: str,
    bindings: Sequence[ServiceBinding],
    address: str,
    *,
    max_message_bytes: int = 16 * 1024 * 1024,
    interceptors: Iterable[grpc.aio.ServerInterceptor] = (),  # type: ignore[type-arg]
    server_security: ServerSecurity | None = None,
) -> RunningServer:
    """Build, bind and start a server with health and reflection.

    Args:
        service: service name for logs/metrics (``kernel``).
        bindings: servicers to register.
        address: ``host:port``; port 0 binds an ephemeral port.
        max_message_bytes: receive/send limit (larger requests → RESOURCE_EXHAUSTED by gRPC).
        interceptors: extra interceptors, run after OpenTelemetry's and before the error
            interceptor.
        server_security: what callers need (secret, TLS, mTLS); default: nothing, and the
            ``x-eigen-*`` auth headers are trusted except on the public ingress.

    Returns:
        The started server and its bound port.

    Raises:
        StartupError: the address cannot be bound (e.g. the port is taken).
    """
    sec = server_security or ServerSecurity(
        trust_auth_headers=service not in security.PUBLIC_INGRESS
    )
    server = grpc.aio.server(
        interceptors=[tracing.server_interceptor(), *interceptors, ErrorInterceptor(service, sec)],
        options=server_options(max_message_bytes),
    )
    health_servicer = health.aio.HealthServicer()  # type: ignore[attr-defined]
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    names = []
    for b in bindings:
        b.add(b.servicer, server)
        names.append(b.name)
    reflection.enable_server_reflection(
        [
            *names,
            health_pb2.DESCRIPTOR.services_by_name["Health"].full_name,
            reflection.SERVICE_NAME,
        ],
        server,
    )
    try:
        if sec.credentials is not None:
            port = server.add_secure_port(address, sec.credentials)
        else:
            port = server.add_insecure_port(address)
    except RuntimeError as exc:
        raise StartupError(f"cannot bind {address}: {exc}") from None
    if port == 0:
        raise StartupError(f"cannot bind {address}: address already in use")
    await server.start()
    for n in [*names, ""]:
        await health_servicer.set(n, health_pb2.HealthCheckResponse.SERVING)
    return RunningServer(server, port, health_servicer, names, sec.describe())


@dataclass
class App:
    """A wired service, built by its composition root (``app.build(settings)``).

    ``bindings`` are served; ``on_starting`` hooks run before the port is bound (e.g. the
    kernel's recovery, so no call races it); ``on_started`` hooks run once the server listens;
    ``on_stopping`` hooks release resources after the server has drained. Each list runs in
    order.
    """

    service: str
    settings: ServiceSettings
    bindings: list[ServiceBinding]
    on_starting: list[Callable[[], Awaitable[None]]] = field(default_factory=list)
    on_started: list[Callable[[RunningServer], Awaitable[None]]] = field(default_factory=list)
    on_stopping: list[Callable[[], Awaitable[None]]] = field(default_factory=list)

    async def start(self) -> RunningServer:
        """Run ``on_starting``, bind and start the server, run ``on_started``.

        Binds ``settings.host:settings.port`` (port 0 = ephemeral; read ``RunningServer.port``)
        with the caller requirements of the settings (:class:`ServerSecurity`).

        Raises:
            SecurityConfigError: unusable security settings, or plaintext off loopback.
            StartupError: the address cannot be bound.
        """
        server_security = ServerSecurity.from_settings(self.settings)
        for pre in self.on_starting:
            await pre()
        running = await create_server(
            self.service,
            self.bindings,
            f"{self.settings.host}:{self.settings.port}",
            max_message_bytes=self.settings.max_message_bytes,
            server_security=server_security,
        )
        for hook in self.on_started:
            await hook(running)
        return running

    async def close(self) -> None:
        """Run the ``on_stopping`` hooks (after the server has stopped)."""
        for hook in self.on_stopping:
            await hook()


async def serve(app: App) -> None:
    """Run ``app`` until SIGTERM/SIGINT, then drain gracefully and close it.

    Serves Prometheus ``/metrics`` on ``settings.metrics_host`` (default: ``host``) when
    ``metrics_port`` is set. Prints one JSON log line ``server started`` with the bound
    ``port`` and ``metrics_port`` (0 = no ``/metrics``).
    """
    settings = app.settings
    running = await app.start()
    metrics_port = 0
    if settings.metrics_port:
        httpd, _ = start_http_server(
            settings.metrics_port, addr=settings.metrics_host or settings.host
        )
        metrics_port = httpd.server_port
    log.info(
        "server started",
        address=f"{settings.host}:{settings.port}",
        port=running.port,
        metrics_port=metrics_port,
        security=running.security,
    )
    if running.security == "open" and app.service not in security.PUBLIC_INGRESS:
        log.warning("internal calls are not authenticated: no internal token or mTLS configured")
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    log.info("draining", grace_seconds=settings.grace_seconds)
    # Drain RPCs first (callers see UNAVAILABLE and can resume elsewhere), then release the
    # service's resources: closing them first turned in-flight calls into INTERNAL errors.
    await running.stop(settings.grace_seconds)
    await app.close()
    log.info("server stopped")


def run(build: Callable[[S], App], settings: S) -> None:
    """Entry point of ``python -m eigen_<service>``: logging, tracing, security, build, serve.

    Tracing (:func:`eigen_common.tracing.configure_tracing`: the ``OTEL_*`` variables, else
    ``settings.otel_exporter``) and the process's client security (secret, TLS for internal
    channels) are configured from ``settings`` before ``build``, so the channels the
    composition root creates use them; spans still buffered are exported on the way out. A
    configuration that cannot start (unreadable certificate, plaintext off loopback, a taken
    port, an unknown trace exporter) is one ``cannot start`` log line and exit code 2, not a
    traceback.

    Args:
        build: the service's composition root.
        settings: the service's settings, parsed once (``KernelSettings()``).

    ``EIGEN_PROFILE_DIR`` (a directory; for benchmarks only) runs the process under cProfile
    and writes ``<service>.pstats`` there when it stops.
    """
    configure_logging(settings.service_name, settings.log_level, settings.log_json)

    async def main() -> None:
        security.configure(settings)
        await serve(build(settings))  # built inside the loop: constructors may create tasks

    profile_dir = os.environ.get("EIGEN_PROFILE_DIR", "")
    profiler = cProfile.Profile() if profile_dir else None
    try:
        exporters = configure_tracing(settings.service_name, settings.otel_exporter)
        if exporters:
            log.info("exporting traces", exporters=exporters)
        if profiler is not None:  # bench/profile_throughput.py: where a service's CPU goes
            profiler.enable()
        asyncio.run(main())
    except (SecurityConfigError, StartupError, TracingConfigError) as exc:
        log.error("cannot start", error=str(exc))
        sys.exit(2)
    finally:
        if profiler is not None:
            profiler.disable()
            profiler.dump_stats(Path(profile_dir) / f"{settings.service_name}.pstats")
        shutdown_tracing()
