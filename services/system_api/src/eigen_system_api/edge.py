"""The edge: turns the routing table into servicers (issue 14).

Every public call, unary or streaming, goes the same way: authenticate (API key or JWT) →
authorise (the route's permission) → validate (every violation at once) → admission control
(submissions: quotas) → forward to the backend with a deadline and the auth metadata → rewrap
the answer. Errors of internal calls come back typed (same code, reason and details the kernel
or compiler produced), scrubbed of internal addresses and paths; each call leaves one audit line.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from types import SimpleNamespace
from typing import Any, cast

import grpc

from eigen.api.v1 import job_pb2
from eigen.kernel.v1 import kernel_pb2
from eigen_common import tracing
from eigen_common.context import auth_var, outgoing_metadata
from eigen_system_api.audit import AuditRecord, audited
from eigen_system_api.auth import Authenticator, Identity, authorize
from eigen_system_api.quotas import QuotaGuard
from eigen_system_api.routes import PublicService, Route
from eigen_system_api.scrub import internal_error
from eigen_system_api.settings import SystemApiSettings
from eigen_system_api.streams import relay_job_updates
from eigen_system_api.validation import Limits, submitted_shots

Context = grpc.aio.ServicerContext[Any, Any]
_WAITING = [job_pb2.JOB_STATUS_COMPILING, job_pb2.JOB_STATUS_QUEUED]


def _metadata(context: Context) -> Sequence[tuple[str, str | bytes]]:
    return cast(Sequence[tuple[str, str | bytes]], context.invocation_metadata() or ())


class Edge:
    """Shared edge logic and the servicers built from the routing table.

    Args:
        auth: verifies bearer tokens.
        settings: limits, deadlines, stream resume window.
        backends: ``kernel``/``compiler`` stubs and the ``keys`` backend, by route backend name.
        quotas: admission control for routes with ``quota``.
    """

    def __init__(
        self,
        auth: Authenticator,
        settings: SystemApiSettings,
        backends: dict[str, Any],
        quotas: QuotaGuard,
    ):
        self.auth = auth
        self.settings = settings
        self.backends = backends
        self.quotas = quotas
        self.limits = Limits(
            max_program_bytes=settings.max_program_bytes,
            max_shots=settings.max_shots,
            max_sweep_rows=settings.max_sweep_rows,
            max_observable_terms=settings.max_observable_terms,
        )

    # --- the servicers ---------------------------------------------------------------------

    def servicer(self, service: PublicService) -> Any:
        """An object with one handler per route, for the generated ``add_*_to_server``."""
        short = service.name.rsplit(".", 1)[-1]
        handlers: dict[str, Callable[..., Any]] = {}
        for route in service.routes:
            name = f"{short}/{route.rpc}"
            handlers[route.rpc] = (
                self._stream_handler(route, name)
                if route.streaming
                else self._unary_handler(route, name)
            )
        return SimpleNamespace(**handlers)

    def _unary_handler(self, route: Route, name: str) -> Callable[..., Any]:
        async def handle(request: Any, context: Context) -> Any:
            async with audited(name, context.peer(), getattr(request, "job_id", "")) as rec:
                await self.admit(route, request, _metadata(context), rec)
                response = await self.unary(route, request)
                rec.job_id = rec.job_id or getattr(response, "job_id", "")
                return response

        return handle

    def _stream_handler(self, route: Route, name: str) -> Callable[..., Any]:
        async def handle(request: Any, context: Context) -> AsyncIterator[Any]:
            async with audited(name, context.peer(), getattr(request, "job_id", "")) as rec:
                sent = 0
                try:
                    await self.admit(route, request, _metadata(context), rec)
                    async for item in self.stream(route, request):
                        sent += 1
                        yield item
                finally:
                    rec.extra["messages"] = str(sent)

        return handle

    # --- the steps (shared by the gRPC servicers and the REST gateway) ---------------------

    async def admit(
        self,
        route: Route,
        request: Any,
        metadata: Sequence[tuple[str, str | bytes]],
        rec: AuditRecord,
    ) -> None:
        """Authenticate, authorise, validate and (submissions) check quotas.

        Binds the caller's auth context (``auth_var``) for the calls that follow.

        Args:
            route: the public RPC.
            request: its request message.
            metadata: the call's metadata (``authorization``); nothing else is trusted.
            rec: the audit record that gets the verified identity.

        Raises:
            EigenError: UNAUTHENTICATED, PERMISSION_DENIED, INVALID_ARGUMENT (every
                violation), RESOURCE_EXHAUSTED (quotas), UNAVAILABLE (JWKS unreachable).
        """
        auth_var.set(None)  # never act on identity headers a client sent
        identity: Identity = await self.auth.authenticate(metadata)
        rec.identity = identity
        tracing.annotate(tenant=identity.auth.tenant)
        tracing.annotate_request(request)
        authorize(identity.auth, route.permission)
        auth_var.set(identity.auth)
        route.validate(request, self.limits)
        if route.quota:
            await self.quotas.admit(
                identity.auth.tenant, submitted_shots(request), self.count_waiting_jobs
            )

    async def unary(self, route: Route, request: Any) -> Any:
        """Forward an admitted unary call and rewrap the answer (charges quotas)."""
        resp = await self.call(route.backend, route.call, route.to_internal(request), request)
        tracing.annotate(job_id=getattr(resp, "job_id", ""))  # a submission's new job
        if route.quota and not getattr(resp, "deduplicated", False):
            auth = auth_var.get()
            await self.quotas.charge(auth.tenant if auth else "", submitted_shots(request))
        out = route.from_internal(resp)
        return out if route.then is None else await route.then(self, request, out)

    def stream(self, route: Route, request: Any) -> AsyncIterator[Any]:
        """The public messages of an admitted server-streaming call."""
        if route.relay == "job_updates":
            return relay_job_updates(self, request)
        return self._relay(route, request)

    async def _relay(self, route: Route, request: Any) -> AsyncIterator[Any]:
        stream = self.open_stream(route.backend, route.call, route.to_internal(request), request)
        try:
            async for item in stream:
                yield route.from_internal(item)
        except grpc.RpcError as exc:
            raise internal_error(exc, route.backend) from None
        finally:
            stream.cancel()

    # --- forwarding ------------------------------------------------------------------------

    async def call(self, backend: str, method: str, internal: Any, public: Any = None) -> Any:
        """Call a backend's unary method with deadline and auth metadata; errors typed."""
        job_id = str(getattr(public, "job_id", "") or "")
        try:
            return await getattr(self.backends[backend], method)(
                internal, timeout=self.settings.call_timeout, metadata=outgoing_metadata(job_id)
            )
        except grpc.RpcError as exc:
            raise internal_error(exc, backend) from None

    def open_stream(self, backend: str, method: str, internal: Any, public: Any = None) -> Any:
        """Open a backend's server stream (no deadline: streams end on their own)."""
        job_id = str(getattr(public, "job_id", "") or "")
        return getattr(self.backends[backend], method)(internal, metadata=outgoing_metadata(job_id))

    async def count_waiting_jobs(self, cap: int) -> int:
        """The caller's tenant's jobs COMPILING or QUEUED, counted by the kernel, up to ``cap``."""
        count, token = 0, ""
        while count < cap:
            page = await self.call(
                "kernel",
                "ListJobs",
                kernel_pb2.ListJobsRequest(
                    states=_WAITING, page_size=min(1000, cap - count), page_token=token
                ),
            )
            count += len(page.jobs)
            token = page.next_page_token
            if not token:
                break
        return count
