"""``python /app/tools/healthcheck.py SERVICE``: is this container's Eigen OS service serving?

The container health check of the compose stack and the exec probe of the Kubernetes ``tls``
component (Kubernetes' own ``grpc:`` probe speaks plaintext only). It asks the standard
``grpc.health.v1.Health/Check`` (service ``""``) of the service running beside it, configured the
way the service itself is: the service's own settings class reads the same ``EIGEN_<SERVICE>_*``
environment with the same defaults, so the port and the TLS material are the service's.

- plaintext when the service serves plaintext;
- TLS when it has ``tls_cert_file``: the server certificate is checked against ``tls_ca_file``
  (else ``tls_client_ca_file``, else the system roots) under the name ``tls_server_name`` (else
  ``localhost``; ``--server-name`` overrides), and the service's own certificate is presented as
  the client certificate, which mTLS services require.

Exit status: 0 when the service answers SERVING; 1 otherwise (not serving, unreachable, TLS
failure, deadline), with one line on stderr saying why; 2 for a bad command line or unusable
settings. Nothing is printed on success.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from pathlib import Path

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from eigen_common.settings import ServiceSettings

#: Service name → settings class (``module:Class``), the class its ``__main__`` parses.
SETTINGS = {
    "system-api": "eigen_system_api.settings:SystemApiSettings",
    "kernel": "eigen_kernel.settings:KernelSettings",
    "compiler": "eigen_compiler.settings:CompilerSettings",
    "driver-manager": "eigen_driver_manager.settings:DriverManagerSettings",
}

#: Bind addresses that mean "every interface": the check then dials loopback.
WILDCARDS = frozenset({"", "0.0.0.0", "::", "[::]"})


class HealthCheckError(RuntimeError):
    """The service is not healthy; the message says how (one line, no secrets)."""


def load_settings(service: str) -> ServiceSettings:
    """The settings of ``service`` as its ``__main__`` would parse them from the environment.

    Raises:
        KeyError: ``service`` is not one of :data:`SETTINGS`.
        pydantic.ValidationError: the environment holds invalid settings.
    """
    module, name = SETTINGS[service].split(":")
    cls = getattr(importlib.import_module(module), name)
    settings = cls()
    assert isinstance(settings, ServiceSettings)
    return settings


def _read(path: Path | None) -> bytes | None:
    return path.read_bytes() if path is not None else None


def channel_for(settings: ServiceSettings, server_name: str = "") -> grpc.Channel:
    """A channel to the service (on loopback when it binds every interface), secured like it.

    Args:
        settings: the service's settings (``port``, ``tls_*`` fields).
        server_name: name checked in the server certificate (default ``tls_server_name``, else
            ``localhost``).

    Raises:
        OSError: a certificate, key or CA file cannot be read.
    """
    host = "127.0.0.1" if settings.host in WILDCARDS else settings.host
    target = f"{host}:{settings.port}"
    cert = _read(settings.tls_cert_file)
    if cert is None:
        return grpc.insecure_channel(target)
    key = _read(settings.tls_key_file)
    roots = _read(settings.tls_ca_file) or _read(settings.tls_client_ca_file)
    name = server_name or settings.tls_server_name or "localhost"
    creds = grpc.ssl_channel_credentials(roots, key, cert)
    return grpc.secure_channel(target, creds, options=[("grpc.ssl_target_name_override", name)])


def check(channel: grpc.Channel, timeout: float) -> None:
    """Ask ``grpc.health.v1.Health/Check`` for the whole server (service ``""``).

    Args:
        channel: channel to the service.
        timeout: deadline of the call, in seconds.

    Raises:
        HealthCheckError: the call failed or the answer is not SERVING.
    """
    stub = health_pb2_grpc.HealthStub(channel)
    try:
        resp = stub.Check(health_pb2.HealthCheckRequest(service=""), timeout=timeout)
    except grpc.RpcError as exc:
        code = exc.code().name if hasattr(exc, "code") else "UNKNOWN"
        details = exc.details() if hasattr(exc, "details") else ""
        raise HealthCheckError(f"health check failed: {code} {details}".strip()) from None
    if resp.status != health_pb2.HealthCheckResponse.SERVING:
        status = health_pb2.HealthCheckResponse.ServingStatus.Name(resp.status)
        raise HealthCheckError(f"service is {status}")


def main(argv: list[str] | None = None) -> int:
    """Run the check; the exit status (0 serving, 1 not, 2 usage/settings error)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("service", choices=sorted(SETTINGS))
    parser.add_argument("--timeout", type=float, default=3.0, help="deadline in seconds")
    parser.add_argument("--server-name", default="", help="name checked in the certificate")
    args = parser.parse_args(argv)
    try:
        settings = load_settings(args.service)
        channel = channel_for(settings, args.server_name)
    except (ValueError, OSError) as exc:  # pydantic.ValidationError is a ValueError
        print(f"{args.service}: unusable settings: {exc}".splitlines()[0], file=sys.stderr)
        return 2
    try:
        with channel:
            check(channel, args.timeout)
    except HealthCheckError as exc:
        print(f"{args.service}: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
