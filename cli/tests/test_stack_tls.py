"""TLS for the local stack (SPEC §11): the local CA, TLS on the public endpoint, mTLS plus the
per-stack secret among the services — with real gRPC servers and certificates."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import grpc
import pytest
from click.testing import CliRunner
from cryptography import x509
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_status import rpc_status

from cli.tests.stackkit import (
    alive,
    fake_services,
    free_ports,
    port_args,
    use_fakes,
)
from eigen_common import context, security
from eigen_common.channel import create_channel
from eigen_common.server import App, ServiceBinding
from eigen_common.settings import ServiceSettings
from eigen_common.status import from_rpc_error
from eigen_os import localtls, paths, stack
from eigen_os.cli.main import cli
from eigen_os.localtls import TlsFiles, ensure_local_tls


@pytest.fixture
def dump_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    return use_fakes(monkeypatch, tmp_path)


TOKEN = "t" * 43


class KernelLike(ServiceSettings):
    """An internal service's settings."""


class IngressLike(ServiceSettings):
    service_name = "system-api"


def _add(_servicer, server):
    async def whoami(request, ctx):
        auth = context.auth_var.get()
        return (auth.tenant if auth else "-").encode()

    server.add_generic_rpc_handlers(
        [
            grpc.method_handlers_generic_handler(
                "test.T", {"WhoAmI": grpc.unary_unary_rpc_method_handler(whoami)}
            )
        ]
    )


BINDING = ServiceBinding(None, _add, "test.T")


@pytest.fixture
def tls(tmp_path: Path) -> TlsFiles:
    return ensure_local_tls(tmp_path)


@pytest.fixture
def reset_client_security():
    yield
    security.set_client(security.ClientSecurity())


def _creds(tls: TlsFiles, client_cert: bool) -> grpc.ChannelCredentials:
    if not client_cert:
        return grpc.ssl_channel_credentials(tls.ca.read_bytes())
    return grpc.ssl_channel_credentials(
        tls.ca.read_bytes(), tls.key.read_bytes(), tls.cert.read_bytes()
    )


def test_local_ca_is_made_once_and_the_certificate_follows_the_hosts(tmp_path: Path) -> None:
    files = ensure_local_tls(tmp_path)
    for key in (files.key, tmp_path / "tls" / "ca.key"):
        assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "tls").stat().st_mode) == 0o700
    ca = x509.load_pem_x509_certificate(files.ca.read_bytes())
    leaf = x509.load_pem_x509_certificate(files.cert.read_bytes())
    leaf.verify_directly_issued_by(ca)
    san = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert {"localhost"} <= set(san.get_values_for_type(x509.DNSName))
    assert {"127.0.0.1", "::1"} <= {str(a) for a in san.get_values_for_type(x509.IPAddress)}

    before = {p: p.read_bytes() for p in (files.ca, files.cert, files.key)}
    assert ensure_local_tls(tmp_path) == files
    assert {p: p.read_bytes() for p in before} == before  # kept while valid

    ensure_local_tls(tmp_path, ["10.1.2.3", "eigen.internal"])
    assert files.ca.read_bytes() == before[files.ca]  # the CA stays: clients keep trusting it
    again = x509.load_pem_x509_certificate(files.cert.read_bytes())
    again.verify_directly_issued_by(ca)
    san = again.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert "eigen.internal" in san.get_values_for_type(x509.DNSName)

    files.ca.write_text("garbage")  # a broken CA is replaced, and the certificate with it
    ensure_local_tls(tmp_path)
    new_ca = x509.load_pem_x509_certificate(files.ca.read_bytes())
    x509.load_pem_x509_certificate(files.cert.read_bytes()).verify_directly_issued_by(new_ca)
    assert localtls.SERVER_DAYS <= 398  # what browsers/clients accept for a leaf


async def test_internal_service_with_mtls_and_the_secret(tls: TlsFiles, reset_client_security):
    settings = KernelLike(
        internal_token=TOKEN,
        tls_cert_file=tls.cert,
        tls_key_file=tls.key,
        tls_client_ca_file=tls.ca,
        tls_ca_file=tls.ca,
    )
    running = await App("kernel", settings, [BINDING]).start()
    assert running.security == "internal token + mTLS"
    target = f"127.0.0.1:{running.port}"
    md = context.AuthContext("s", ("admin",), "acme").to_metadata()
    try:
        for ch in (
            grpc.aio.insecure_channel(target),  # plaintext
            grpc.aio.secure_channel(target, _creds(tls, client_cert=False)),  # no client cert
        ):
            with pytest.raises(grpc.aio.AioRpcError) as exc:
                await ch.unary_unary("/test.T/WhoAmI")(b"", metadata=md, timeout=5)
            assert exc.value.code() == grpc.StatusCode.UNAVAILABLE
            await ch.close()

        async with grpc.aio.secure_channel(target, _creds(tls, client_cert=True)) as ch:
            with pytest.raises(grpc.aio.AioRpcError) as exc:  # a certificate, no secret
                await ch.unary_unary("/test.T/WhoAmI")(b"", metadata=md, timeout=5)
            assert exc.value.code() == grpc.StatusCode.UNAUTHENTICATED
            assert rpc_status.from_call(exc.value).details[0].type_url.endswith("ErrorInfo")
            assert isinstance(from_rpc_error(exc.value), security.InternalCredentialsMissingError)
            health = health_pb2_grpc.HealthStub(ch)
            resp = await health.Check(health_pb2.HealthCheckRequest(), timeout=5)
            assert resp.status == health_pb2.HealthCheckResponse.SERVING

        # what a service does: configure this process's client side, then create channels
        security.configure(settings)
        ch = create_channel(target)
        context.auth_var.set(context.AuthContext("s", ("admin",), "acme"))
        try:
            out = await ch.unary_unary("/test.T/WhoAmI")(
                b"", metadata=context.outgoing_metadata(), timeout=5
            )
        finally:
            context.auth_var.set(None)
        assert out == b"acme"
        await ch.close()
    finally:
        await running.stop(0)


async def test_public_endpoint_serves_tls_to_any_client_trusting_the_ca(tls: TlsFiles):
    settings = IngressLike(tls_cert_file=tls.cert, tls_key_file=tls.key, host="0.0.0.0")
    running = await App("system-api", settings, [BINDING]).start()  # off loopback: TLS is enough
    assert running.security == "TLS"
    target = f"127.0.0.1:{running.port}"
    try:
        async with grpc.aio.secure_channel(target, _creds(tls, client_cert=False)) as ch:
            assert await ch.unary_unary("/test.T/WhoAmI")(b"", timeout=5) == b"-"
        async with grpc.aio.insecure_channel(target) as ch:
            with pytest.raises(grpc.aio.AioRpcError) as exc:
                await ch.unary_unary("/test.T/WhoAmI")(b"", timeout=5)
            assert exc.value.code() == grpc.StatusCode.UNAVAILABLE
    finally:
        await running.stop(0)


async def test_unreadable_certificate_is_a_clear_startup_error(tmp_path: Path):
    settings = KernelLike(tls_cert_file=tmp_path / "nope.pem", tls_key_file=tmp_path / "k")
    with pytest.raises(security.SecurityConfigError, match="cannot read TLS certificate"):
        await App("kernel", settings, [BINDING]).start()


def test_eigen_up_tls(dump_dir: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(stack, "SERVICES", fake_services())
    ports = free_ports(4)
    home = tmp_path / "eh"
    args = ["up", "--home", str(home), *port_args(ports)]
    r = CliRunner().invoke(cli, [*args, "--tls", "--json"])
    assert r.exit_code == 0, r.output
    data = json.loads(r.stdout)
    ca = home / "tls" / "ca.pem"
    assert data["endpoint"] == f"grpcs://127.0.0.1:{ports[0]}"
    assert data["tls"] == {"ca_file": str(ca)} and data["tls_ca_file"] == str(ca)
    assert paths.stack_ca_file(home) == ca
    files = TlsFiles(ca, home / "tls" / "server.pem", home / "tls" / "server.key")
    try:
        env = {p.stem: json.loads(p.read_text()) for p in dump_dir.glob("*.json")}
        for prefix, e in env.items():
            assert e[f"{prefix}TLS_CERT_FILE"] == str(files.cert)
            assert e[f"{prefix}TLS_CA_FILE"] == str(ca)
            internal = prefix != "EIGEN_SYSTEM_API_"
            assert (f"{prefix}TLS_CLIENT_CA_FILE" in e) is internal

        def health(port: int, creds: grpc.ChannelCredentials | None) -> str:
            target = f"127.0.0.1:{port}"
            ch = grpc.secure_channel(target, creds) if creds else grpc.insecure_channel(target)
            with ch:
                try:
                    resp = health_pb2_grpc.HealthStub(ch).Check(
                        health_pb2.HealthCheckRequest(), timeout=5
                    )
                except grpc.RpcError as exc:
                    return exc.code().name
            return health_pb2.HealthCheckResponse.ServingStatus.Name(resp.status)

        api, kernel = ports[0], ports[1]
        assert health(api, _creds(files, client_cert=False)) == "SERVING"
        assert health(api, None) == "UNAVAILABLE"
        assert health(kernel, _creds(files, client_cert=True)) == "SERVING"
        assert health(kernel, _creds(files, client_cert=False)) == "UNAVAILABLE"
        assert health(kernel, None) == "UNAVAILABLE"

        r = CliRunner().invoke(cli, args)  # the same stack without --tls: say so, change nothing
        assert r.exit_code == 2 and "already running with TLS" in r.stderr, r.output
        assert all(alive(s["pid"]) for s in data["services"])
    finally:
        r = CliRunner().invoke(cli, ["down", "--home", str(home)])
    assert r.exit_code == 0, r.output
    assert paths.stack_ca_file(home) is None
    assert not any(alive(s["pid"]) for s in data["services"])
    assert os.path.exists(ca)  # the CA is kept: clients configured to trust it keep working
