"""Composition root of system-api."""

from __future__ import annotations

from dataclasses import dataclass

from eigen.compiler.v1 import compiler_pb2_grpc
from eigen.kernel.v1 import kernel_pb2_grpc
from eigen_common.channel import create_channel
from eigen_common.server import App, ServiceBinding
from eigen_system_api.auth import Authenticator
from eigen_system_api.edge import Edge
from eigen_system_api.jwt_auth import JwtVerifier
from eigen_system_api.key_admin import KeyAdmin
from eigen_system_api.keys import KeyStore
from eigen_system_api.quotas import QuotaGuard
from eigen_system_api.rest import RestServer, build_rest
from eigen_system_api.routes import SERVICES
from eigen_system_api.settings import SystemApiSettings


@dataclass
class SystemApiApp(App):
    """The system-api: gRPC servicers plus the REST gateway (``rest.port`` once started)."""

    rest: RestServer | None = None


def build(settings: SystemApiSettings) -> SystemApiApp:
    """Wire key store, JWT verifier, quotas, channels, the table-driven servicers and REST.

    The REST socket is bound before the gRPC port and served once gRPC listens; it stops
    after the gRPC server has drained.

    Raises:
        KeyStoreError: the API key file exists but is malformed.
        ValueError: a quota rate is not in the ``limits`` notation.
        HttpRuleError: a ``google.api.http`` annotation the gateway cannot serve.
    """
    keys = KeyStore(settings.api_keys_file)
    jwt = JwtVerifier(settings) if settings.jwt_jwks else None
    kch = create_channel(settings.kernel_address, settings.max_message_bytes)
    cch = create_channel(settings.compiler_address, settings.max_message_bytes)
    edge = Edge(
        Authenticator(keys, jwt),
        settings,
        {
            "kernel": kernel_pb2_grpc.KernelGatewayServiceStub(kch),
            "compiler": compiler_pb2_grpc.CompilationServiceStub(cch),
            "keys": KeyAdmin(keys),
        },
        QuotaGuard(settings),
    )
    rest = build_rest(edge)

    async def close() -> None:
        for ch in (kch, cch):
            await ch.close(None)

    return SystemApiApp(
        service=settings.service_name,
        settings=settings,
        bindings=[ServiceBinding(edge.servicer(s), s.add, s.name) for s in SERVICES],
        on_starting=[rest.bind],
        on_started=[rest.serve],
        on_stopping=[rest.stop, close],
        rest=rest,
    )
