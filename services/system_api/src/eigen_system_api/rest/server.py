"""uvicorn inside the system-api's event loop, beside the gRPC server (SPEC §15).

The socket is bound before the gRPC port (a taken REST port is a startup error, like any
other, when it was configured; the implicit default 8080 being taken only turns REST off, with a
warning, so stacks and tests that do not know about REST yet still start), uvicorn serves it
once the gRPC server listens, and stops after the gRPC server has
drained, letting requests in flight finish within ``grace_seconds`` (event streams still open
then are cut; clients resume with ``Last-Event-ID``). uvicorn's own signal handling is off: the
service's ``serve`` owns SIGTERM/SIGINT. TLS uses the service's ``tls_cert_file``/``_key_file``.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import socket
from collections.abc import Generator

import uvicorn
from starlette.types import ASGIApp

from eigen_common import security
from eigen_common.logs import get_logger
from eigen_common.server import RunningServer, StartupError
from eigen_system_api.settings import SystemApiSettings

log = get_logger("eigen.system_api.rest")


class _Embedded(uvicorn.Server):
    """A uvicorn server that leaves signals alone and says when it listens."""

    def __init__(self, config: uvicorn.Config):
        super().__init__(config)
        self.ready = asyncio.Event()

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        """No signal handlers of its own: the service's ``serve`` stops it."""
        yield

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        """Start listening, then set ``ready``."""
        await super().startup(sockets=sockets)
        self.ready.set()


class RestServer:
    """The REST listener of one system-api; ``port`` is the bound port once :meth:`bind` ran.

    Args:
        app: the ASGI app (:meth:`eigen_system_api.rest.gateway.Gateway.app`).
        settings: ``rest_port``/``rest_host`` (see :meth:`SystemApiSettings.rest_bind`), TLS
            files, ``grace_seconds``.
    """

    def __init__(self, app: ASGIApp, settings: SystemApiSettings):
        self.app = app
        self.settings = settings
        self.port = 0
        self._sock: socket.socket | None = None
        self._server: _Embedded | None = None
        self._task: asyncio.Task[None] | None = None

    async def bind(self) -> None:
        """Bind the REST address (nothing is served yet).

        Raises:
            SecurityConfigError: off loopback without TLS (and not ``allow_insecure``).
            StartupError: the address cannot be bound (unless it is the implicit default
                port and it is in use: then REST stays off and a warning says so).
        """
        where = self.settings.rest_bind()
        if where is None:
            return
        host, port = where
        security.check_exposure(self.settings.model_copy(update={"host": host}))
        try:
            family, _, _, _, addr = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
        except OSError as exc:
            raise StartupError(f"cannot resolve REST host {host}: {exc}") from None
        sock = socket.socket(family, socket.SOCK_STREAM)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind(addr)
        except OSError as exc:
            sock.close()
            if self.settings.rest_port is None and exc.errno == errno.EADDRINUSE:
                log.warning(
                    "REST is off: its default port is in use",
                    rest_port=port,
                    hint="set EIGEN_SYSTEM_API_REST_PORT (or --rest-port; 0 = off)",
                )
                return
            raise StartupError(f"cannot bind REST {host}:{port}: {exc.strerror or exc}") from None
        sock.setblocking(False)
        self._sock = sock
        self.port = sock.getsockname()[1]

    async def serve(self, _grpc: RunningServer | None = None) -> None:
        """Start serving on the bound socket (an ``App.on_started`` hook).

        Raises:
            StartupError: uvicorn could not start (e.g. an unreadable TLS file).
        """
        if self._sock is None:
            return
        s = self.settings
        config = uvicorn.Config(
            self.app,
            lifespan="off",
            http="h11",
            ws="none",
            log_config=None,
            access_log=False,  # the edge writes one audit line per call
            server_header=False,
            proxy_headers=False,
            timeout_graceful_shutdown=max(1, round(s.grace_seconds)),
            ssl_certfile=str(s.tls_cert_file) if s.tls_cert_file else None,
            ssl_keyfile=str(s.tls_key_file) if s.tls_key_file else None,
        )
        server = _Embedded(config)
        task = asyncio.create_task(server.serve(sockets=[self._sock]), name="rest")
        ready = asyncio.create_task(server.ready.wait())
        await asyncio.wait({task, ready}, return_when=asyncio.FIRST_COMPLETED)
        if not ready.done():
            ready.cancel()
            exc = task.exception() if not task.cancelled() else None
            raise StartupError(f"the REST server did not start: {exc}")
        self._server, self._task = server, task
        log.info(
            "rest started",
            rest_port=self.port,
            scheme="https" if s.tls_cert_file else "http",
        )

    async def stop(self) -> None:
        """Stop accepting, let calls in flight finish (``grace_seconds``), close the socket."""
        if self._server is not None and self._task is not None:
            self._server.should_exit = True
            await self._task
            self._server = self._task = None
        if self._sock is not None:
            self._sock.close()
            self._sock = None
