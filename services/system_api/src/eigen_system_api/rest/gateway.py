"""The REST gateway (SPEC §15): a Starlette app whose routes are the proto annotations.

Every route goes through the same edge as gRPC (:class:`eigen_system_api.edge.Edge`):
authenticate (``Authorization: Bearer``) → authorise → validate → quotas → forward → rewrap,
with one audit line per call (``transport: http``) and the same scrubbed, typed errors, here as
``google.rpc.Status`` JSON. Per kind of RPC:

- unary: the response message as JSON;
- ``StreamJobUpdates`` (``GET /v1/jobs/{job_id}/events``): server-sent events, one ``data:``
  per ``StreamJobUpdatesResponse`` with ``id:`` = ``event_seq`` (heartbeats carry no id), so a
  browser's ``EventSource`` resumes by itself (``Last-Event-ID``; ``?last_event_seq=N`` also
  works). The stream ends after the terminal event; an error after it started is one
  ``event: error`` whose data is the Status JSON. Unknown or foreign jobs are a plain 404;
- other streams (``GetJobArtifact``): the bytes (chunked), with the artifact's media type.
"""

from __future__ import annotations

import contextvars
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import structlog
from opentelemetry import context as otel_context
from opentelemetry import propagate, trace
from sse_starlette import EventSourceResponse, ServerSentEvent
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route as StarletteRoute

from eigen.kernel.v1 import kernel_pb2
from eigen_common import errors, tracing
from eigen_common.logs import get_logger
from eigen_common.server import request_metrics, stream_metrics
from eigen_system_api.audit import audited
from eigen_system_api.edge import Edge
from eigen_system_api.rest.rules import Binding
from eigen_system_api.rest.transcode import build_request, dumps, error_body, to_json

log = get_logger("eigen.system_api.rest")
JSON = "application/json"
Endpoint = Callable[[Request], Awaitable[Response]]


_span: contextvars.ContextVar[trace.Span] = contextvars.ContextVar("rest_span")


def _enter(request: Request, b: Binding) -> None:
    """Start the call's SERVER span (child of a W3C ``traceparent`` header) and make it current.

    The span is ended by :meth:`Gateway._observe`, when the response (or stream) is over.
    """
    parent = propagate.extract(dict(request.headers))
    span = tracing.tracer("eigen.system_api.rest").start_span(
        f"{request.method} {b.template}",
        context=parent,
        kind=trace.SpanKind.SERVER,
        attributes={
            "http.request.method": request.method,
            "http.route": b.template,
            "url.path": request.url.path,
            "rpc.method": b.route.rpc,
        },
    )
    otel_context.attach(trace.set_span_in_context(span, parent))
    _span.set(span)
    structlog.contextvars.bind_contextvars(trace_id=tracing.current_trace_id(), job_id="")


def _peer(request: Request) -> str:
    c = request.client
    if c is None:
        return ""
    return f"ipv6:[{c.host}]:{c.port}" if ":" in c.host else f"ipv4:{c.host}:{c.port}"


def _auth(request: Request) -> list[tuple[str, str]]:
    value = request.headers.get("authorization")
    return [("authorization", value)] if value is not None else []


def _typed(exc: BaseException, rpc: str) -> errors.EigenError:
    """The error to return: typed errors as they are, anything else INTERNAL (logged)."""
    if isinstance(exc, errors.EigenError):
        return exc
    err = errors.InternalError.with_correlation()
    log.error(
        "unhandled error",
        method=rpc,
        correlation_id=err.metadata["correlation_id"],
        exc_info=exc,
    )
    return err


def error_response(err: errors.EigenError, status: int | None = None) -> Response:
    """The ``google.rpc.Status`` JSON response of ``err``."""
    code, headers, body = error_body(err)
    return Response(body, status_code=status or code, headers=headers, media_type=JSON)


class Gateway:
    """The Starlette app of the REST bindings over one :class:`Edge`.

    Args:
        edge: the edge the gRPC servicers use.
        bindings: the REST routes (:func:`eigen_system_api.rest.rules.bindings`).
        openapi: the OpenAPI document served at ``/openapi.json``.
        ping_seconds: keep-alive comment interval on idle event streams.
    """

    def __init__(
        self, edge: Edge, bindings: list[Binding], openapi: bytes, ping_seconds: float = 15.0
    ):
        self.edge = edge
        self.bindings = bindings
        self.openapi = openapi
        self.ping_seconds = ping_seconds
        self.limit = edge.settings.max_message_bytes
        self._duration, self._errors = request_metrics(edge.settings.service_name)
        self._streams = stream_metrics(edge.settings.service_name)

    def app(self) -> Starlette:
        """The ASGI application."""
        routes = [
            StarletteRoute(b.template, self._endpoint(b), methods=[b.verb]) for b in self.bindings
        ]
        routes.append(StarletteRoute("/openapi.json", self._openapi, methods=["GET"]))
        return Starlette(
            routes=routes,
            exception_handlers={HTTPException: self._no_route},  # type: ignore[dict-item]
        )

    # --- plumbing ----------------------------------------------------------------------------

    async def _openapi(self, request: Request) -> Response:
        return Response(self.openapi, media_type=JSON)

    async def _no_route(self, request: Request, exc: HTTPException) -> Response:
        what = f"{request.method} {request.url.path}"
        if exc.status_code == 405:
            resp = error_response(errors.UnimplementedError(f"method not allowed: {what}"), 405)
            resp.headers.update(exc.headers or {})
            return resp
        if exc.status_code == 404:
            return error_response(errors.NotFoundError(f"no such route: {what}"))
        return error_response(errors.InvalidArgumentError(str(exc.detail)), exc.status_code)

    def _observe(self, b: Binding, code: str, t0: float) -> None:
        """Metrics of the finished call (streams: their lifetime) and the end of its span."""
        rpc, elapsed = b.route.rpc, time.perf_counter() - t0
        if b.streaming:
            self._streams.duration.labels(rpc, code).observe(elapsed)
        else:
            self._duration.labels(rpc, code).observe(elapsed)
        if code not in ("OK", "CANCELLED"):
            self._errors.labels(rpc, code).inc()
        span = _span.get(None)
        if span is not None:
            if code != "OK":
                tracing.record_error(code, span=span)
            span.end()

    async def _body(self, request: Request) -> bytes:
        declared = request.headers.get("content-length", "")
        too_big = errors.PayloadTooLargeError(f"request body over {self.limit} bytes")
        if declared.isdigit() and int(declared) > self.limit:
            raise too_big
        buf = bytearray()
        async for chunk in request.stream():
            buf += chunk
            if len(buf) > self.limit:
                raise too_big
        return bytes(buf)

    async def _request(self, b: Binding, request: Request) -> Any:
        msg: Any = build_request(
            b.method.input_type,
            body_is_request=b.body == "*",
            path=dict(request.path_params),
            query=request.query_params.multi_items(),
            body=await self._body(request),
        )
        last_id = request.headers.get("last-event-id")
        if b.route.relay == "job_updates" and last_id is not None and not msg.last_event_seq:
            if not last_id.strip().isdigit():
                raise errors.ValidationError(
                    [errors.FieldViolation("Last-Event-ID", "must be an event_seq")]
                )
            msg.last_event_seq = int(last_id)
        return msg

    def _audit(self, b: Binding, request: Request) -> Any:
        return audited(
            b.name,
            _peer(request),
            transport="http",
            http_method=request.method,
            path=request.url.path,
        )

    def _endpoint(self, b: Binding) -> Endpoint:
        if b.route.relay == "job_updates":
            handler = self._events
        elif b.streaming:
            handler = self._download
        else:
            handler = self._unary

        async def endpoint(request: Request) -> Response:  # Starlette wants a coroutine fn
            return await handler(b, request)

        return endpoint

    # --- unary -------------------------------------------------------------------------------

    async def _unary(self, b: Binding, request: Request) -> Response:
        _enter(request, b)
        t0, code = time.perf_counter(), "OK"
        try:
            async with self._audit(b, request) as rec:
                msg = await self._request(b, request)
                rec.job_id = getattr(msg, "job_id", "")
                await self.edge.admit(b.route, msg, _auth(request), rec)
                resp = await self.edge.unary(b.route, msg)
                rec.job_id = rec.job_id or getattr(resp, "job_id", "")
            return Response(dumps(to_json(resp)), media_type=JSON)
        except Exception as exc:
            err = _typed(exc, b.route.rpc)
            code = err.code.name
            return error_response(err)
        finally:
            self._observe(b, code, t0)

    # --- streams -----------------------------------------------------------------------------

    async def _admitted(self, b: Binding, request: Request) -> AsyncIterator[Any]:
        """A stream call: ``None`` once admitted, then the stream's messages.

        For events the job is looked up first (a 404 now, not an error event later). The
        audit line is written when the stream ends.
        """
        async with self._audit(b, request) as rec:
            sent = 0
            try:
                msg = await self._request(b, request)
                rec.job_id = msg.job_id
                await self.edge.admit(b.route, msg, _auth(request), rec)
                if b.route.relay == "job_updates":
                    await self.edge.call(
                        "kernel",
                        "GetJobStatus",
                        kernel_pb2.GetJobStatusRequest(job_id=msg.job_id),
                        msg,
                    )
                yield None
                async for item in self.edge.stream(b.route, msg):
                    sent += 1
                    yield item
            finally:
                rec.extra["messages"] = str(sent)

    async def _events(self, b: Binding, request: Request) -> Response:
        _enter(request, b)
        t0 = time.perf_counter()
        stream = self._admitted(b, request)
        try:
            await anext(stream)
        except Exception as exc:
            err = _typed(exc, b.route.rpc)
            self._observe(b, err.code.name, t0)
            return error_response(err)
        return EventSourceResponse(self._frames(b, stream, t0), ping=self.ping_seconds)

    async def _frames(
        self, b: Binding, stream: AsyncIterator[Any], t0: float
    ) -> AsyncIterator[ServerSentEvent]:
        code = "OK"
        active, sent = self._streams.active.labels(b.route.rpc), 0
        active.inc()
        try:
            async for item in stream:
                upd = item.update
                sent += 1
                yield ServerSentEvent(
                    data=dumps(to_json(item)).decode(),
                    id=None if upd.heartbeat else str(upd.event_seq),
                )
        except Exception as exc:
            err = _typed(exc, b.route.rpc)
            code = err.code.name
            yield ServerSentEvent(data=error_body(err)[2].decode(), event="error")
        finally:
            active.dec()
            self._streams.messages.labels(b.route.rpc).inc(sent)
            self._observe(b, code, t0)

    async def _download(self, b: Binding, request: Request) -> Response:
        _enter(request, b)
        t0 = time.perf_counter()
        stream = self._admitted(b, request)
        try:
            await anext(stream)
            first = await anext(stream, None)
        except Exception as exc:
            err = _typed(exc, b.route.rpc)
            self._observe(b, err.code.name, t0)
            return error_response(err)
        media = (first.content_type if first else "") or "application/octet-stream"
        return StreamingResponse(self._chunks(b, first, stream, t0), media_type=media)

    async def _chunks(
        self, b: Binding, first: Any, stream: AsyncIterator[Any], t0: float
    ) -> AsyncIterator[bytes]:
        code = "OK"
        active, sent = self._streams.active.labels(b.route.rpc), 0
        active.inc()
        try:
            if first is not None:
                sent += 1
                yield first.chunk
                async for item in stream:
                    sent += 1
                    yield item.chunk
        except Exception as exc:
            code = _typed(exc, b.route.rpc).code.name
            raise  # the connection is cut before the last chunk: the client sees it failed
        finally:
            active.dec()
            self._streams.messages.labels(b.route.rpc).inc(sent)
            self._observe(b, code, t0)
