"""The REST gateway of the public API (SPEC §15): HTTP/1.1 + JSON from the proto annotations.

:func:`build_rest` wires it for a composition root: the bindings read from the
``google.api.http`` annotations, the Starlette app over the shared :class:`Edge`, and the
uvicorn listener (:class:`RestServer`) that runs in the service's event loop.
"""

from __future__ import annotations

from importlib import resources

from eigen_system_api.edge import Edge
from eigen_system_api.rest.gateway import Gateway
from eigen_system_api.rest.rules import bindings
from eigen_system_api.rest.server import RestServer
from eigen_system_api.routes import SERVICES

__all__ = ["RestServer", "build_rest", "openapi_document"]


def openapi_document() -> bytes:
    """The committed OpenAPI document (``rest/openapi.json``, regenerated from the protos)."""
    return (resources.files(__package__) / "openapi.json").read_bytes()


def build_rest(edge: Edge) -> RestServer:
    """The REST listener of ``edge``'s settings (it binds nothing while ``rest_port`` is 0).

    Raises:
        HttpRuleError: an annotation this gateway cannot serve.
    """
    gateway = Gateway(edge, bindings(SERVICES), openapi_document(), edge.settings.rest_ping_seconds)
    return RestServer(gateway.app(), edge.settings)
