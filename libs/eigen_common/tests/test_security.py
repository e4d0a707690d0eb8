"""Internal authentication (SPEC §11): the per-stack secret, who is trusted, plaintext exposure."""

import subprocess
import sys
import textwrap
from pathlib import Path

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_status import rpc_status
from pydantic import ValidationError
from pydantic_settings import SettingsConfigDict

from eigen_common import context, security
from eigen_common.channel import create_channel
from eigen_common.server import App, ServiceBinding, create_server
from eigen_common.settings import ServiceSettings
from eigen_common.status import from_rpc_error

TOKEN = "s" * 20 + "-per-stack-secret"


class InternalSettings(ServiceSettings):
    """An internal service (token required when configured)."""


class IngressSettings(ServiceSettings):
    service_name = "system-api"


def _add(_servicer, server):
    async def whoami(request, ctx):
        auth = context.auth_var.get()
        return (f"{auth.tenant}/{','.join(auth.roles)}" if auth else "-").encode()

    async def stream(request, ctx):
        yield b"one"
        yield b"two"

    server.add_generic_rpc_handlers(
        [
            grpc.method_handlers_generic_handler(
                "test.T",
                {
                    "WhoAmI": grpc.unary_unary_rpc_method_handler(whoami),
                    "Stream": grpc.unary_stream_rpc_method_handler(stream),
                },
            )
        ]
    )


BINDING = ServiceBinding(None, _add, "test.T")
ADMIN = context.AuthContext("mallory", ("admin",), "victim").to_metadata()


@pytest.fixture
def client_security():
    yield
    security.set_client(security.ClientSecurity())


async def _serve(settings: ServiceSettings):
    app = App(settings.service_name, settings, [BINDING])
    return await app.start()


def _call(ch, method="WhoAmI"):
    return ch.unary_unary(f"/test.T/{method}")


async def _rejected(call, **kw) -> grpc.aio.AioRpcError:
    with pytest.raises(grpc.aio.AioRpcError) as exc:
        await call(b"", timeout=5, **kw)
    return exc.value


async def test_internal_service_requires_the_stack_secret():
    running = await _serve(InternalSettings(internal_token=TOKEN))
    assert running.security == "internal token"
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{running.port}") as ch:
            missing = await _rejected(_call(ch), metadata=ADMIN)
            assert missing.code() == grpc.StatusCode.UNAUTHENTICATED
            info = rpc_status.from_call(missing).details[0]
            assert info.type_url.endswith("google.rpc.ErrorInfo")
            assert isinstance(from_rpc_error(missing), security.InternalCredentialsMissingError)
            assert "Eigen OS stack" in missing.details() and TOKEN not in missing.details()

            wrong = await _rejected(
                _call(ch), metadata=[*ADMIN, (security.INTERNAL_TOKEN_KEY, TOKEN[:-1] + "x")]
            )
            assert wrong.code() == grpc.StatusCode.UNAUTHENTICATED
            assert isinstance(from_rpc_error(wrong), security.InternalCredentialsInvalidError)

            stream = ch.unary_stream("/test.T/Stream")(b"", timeout=5)
            with pytest.raises(grpc.aio.AioRpcError) as exc:
                [m async for m in stream]
            assert exc.value.code() == grpc.StatusCode.UNAUTHENTICATED

            ok = [*ADMIN, (security.INTERNAL_TOKEN_KEY, TOKEN)]
            assert await _call(ch)(b"", metadata=ok, timeout=5) == b"victim/admin"
            assert await _call(ch)(b"", metadata=ok[3:], timeout=5) == b"-"
            got = ch.unary_stream("/test.T/Stream")(b"", metadata=ok, timeout=5)
            assert [m async for m in got] == [b"one", b"two"]

            # health checks stay open
            health = health_pb2_grpc.HealthStub(ch)
            resp = await health.Check(health_pb2.HealthCheckRequest(), timeout=5)
            assert resp.status == health_pb2.HealthCheckResponse.SERVING
    finally:
        await running.stop(0)


async def test_outgoing_calls_carry_the_secret_of_this_process(tmp_path: Path, client_security):
    token_file = tmp_path / "internal_token"
    token_file.write_text(TOKEN + "\n")
    settings = InternalSettings(internal_token_file=token_file)
    running = await _serve(settings)
    try:
        assert (security.INTERNAL_TOKEN_KEY, TOKEN) not in context.outgoing_metadata()
        ch = create_channel(f"127.0.0.1:{running.port}")
        assert (await _rejected(_call(ch))).code() == grpc.StatusCode.UNAUTHENTICATED
        security.configure(settings)  # what `run` does before the composition root builds
        context.auth_var.set(context.AuthContext("svc", ("user",), "acme"))
        md = context.outgoing_metadata("j1")
        assert (security.INTERNAL_TOKEN_KEY, TOKEN) in md
        assert await _call(ch)(b"", metadata=md, timeout=5) == b"acme/user"
        await ch.close()
    finally:
        context.auth_var.set(None)
        await running.stop(0)


async def test_public_ingress_never_trusts_auth_headers():
    running = await _serve(IngressSettings(internal_token=TOKEN))
    assert running.security == "open"  # clients authenticate with bearer tokens there
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{running.port}") as ch:
            assert await _call(ch)(b"", metadata=ADMIN, timeout=5) == b"-"
            with_secret = [*ADMIN, (security.INTERNAL_TOKEN_KEY, TOKEN)]
            assert await _call(ch)(b"", metadata=with_secret, timeout=5) == b"-"
    finally:
        await running.stop(0)


async def test_without_any_internal_auth_headers_pass_as_before():
    running = await create_server("kernel", [BINDING], "127.0.0.1:0")
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{running.port}") as ch:
            assert await _call(ch)(b"", metadata=ADMIN, timeout=5) == b"victim/admin"
    finally:
        await running.stop(0)


def test_token_settings_are_validated(tmp_path: Path):
    with pytest.raises(ValidationError, match="not both"):
        InternalSettings(internal_token=TOKEN, internal_token_file=tmp_path / "t")
    with pytest.raises(security.SecurityConfigError, match="at least 16"):
        security.load_token(InternalSettings(internal_token="short"))
    with pytest.raises(security.SecurityConfigError, match="cannot read internal token file"):
        security.load_token(InternalSettings(internal_token_file=tmp_path / "missing"))
    (tmp_path / "empty").write_text("\n")
    with pytest.raises(security.SecurityConfigError, match="empty"):
        security.load_token(InternalSettings(internal_token_file=tmp_path / "empty"))
    assert security.load_token(InternalSettings()) is None
    assert TOKEN not in repr(InternalSettings(internal_token=TOKEN))
    assert TOKEN not in repr(
        security.ServerSecurity.from_settings(InternalSettings(internal_token=TOKEN))
    )
    with pytest.raises(ValidationError, match="go together"):
        InternalSettings(tls_cert_file=tmp_path / "c")


@pytest.mark.parametrize(
    ("host", "loopback"),
    [("127.0.0.1", True), ("127.3.4.5", True), ("::1", True), ("[::1]", True),
     ("localhost", True), ("0.0.0.0", False), ("::", False), ("10.0.0.7", False),
     ("kernel", False)],
)  # fmt: skip
def test_is_loopback(host: str, loopback: bool):
    assert security.is_loopback(host) is loopback


def test_plaintext_off_loopback_is_refused_unless_allowed(tmp_path: Path):
    class Kernel(ServiceSettings):
        model_config = SettingsConfigDict(env_prefix="EIGEN_KERNEL_")
        service_name = "kernel"

    with pytest.raises(security.SecurityConfigError) as exc:
        security.check_exposure(Kernel(host="0.0.0.0"))
    msg = str(exc.value)
    assert "without mTLS" in msg and "EIGEN_KERNEL_TLS_CLIENT_CA_FILE" in msg
    assert "EIGEN_KERNEL_ALLOW_INSECURE=true" in msg
    security.check_exposure(Kernel(host="0.0.0.0", allow_insecure=True))
    security.check_exposure(Kernel(host="127.0.0.1"))
    cert = {"tls_cert_file": tmp_path / "c", "tls_key_file": tmp_path / "k"}
    with pytest.raises(security.SecurityConfigError, match="mTLS"):
        security.check_exposure(Kernel(host="0.0.0.0", **cert))
    security.check_exposure(Kernel(host="0.0.0.0", tls_client_ca_file=tmp_path / "ca", **cert))
    with pytest.raises(security.SecurityConfigError, match="without TLS"):
        security.check_exposure(IngressSettings(host="0.0.0.0"))
    security.check_exposure(IngressSettings(host="0.0.0.0", **cert))


def test_a_service_that_cannot_start_says_why_in_one_line_and_exits_2():
    script = textwrap.dedent(
        """
        from eigen_common.server import App, run
        from eigen_common.settings import ServiceSettings

        class KernelSettings(ServiceSettings):
            model_config = {"env_prefix": "EIGEN_KERNEL_"}
            service_name = "kernel"

        run(lambda s: App("kernel", s, []), KernelSettings(host="0.0.0.0"))
        """
    )
    proc = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=False
    )
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "cannot start" in lines[0] and "refusing to listen" in lines[0]
    assert "Traceback" not in proc.stderr
