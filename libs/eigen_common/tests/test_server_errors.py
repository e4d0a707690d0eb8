"""The one interceptor: typed errors → rich status; crashes → INTERNAL with a correlation id."""

import secrets

import grpc
import pytest
import structlog
from grpc_status import rpc_status

from eigen_common import context, errors, tracing
from eigen_common.server import ServiceBinding
from eigen_common.status import from_rpc_error
from eigen_common.testing import start_test_server


class RustPanic(BaseException):
    """Like PyO3's ``PanicException`` (a Rust panic in Qiskit): a BaseException, not Exception."""


def _add(_servicer, server):
    async def raise_validation(request, ctx):
        raise errors.ValidationError(
            [errors.FieldViolation("a", "bad"), errors.FieldViolation("b", "worse")]
        )

    async def crash(request, ctx):
        raise RuntimeError("secret path /etc/shadow exploded")

    async def echo_trace(request, ctx):
        auth = context.auth_var.get()
        bound = structlog.contextvars.get_contextvars()
        assert bound["trace_id"] == tracing.current_trace_id()
        return f"{bound['trace_id']}|{auth.tenant if auth else ''}|{bound['job_id']}".encode()

    async def panic(request, ctx):
        raise RustPanic("called `Option::unwrap()` on a `None` value")

    async def unavailable(request, ctx):
        raise errors.BackendUnavailableError("backend down", retry_after=2.5)

    def h(fn):
        return grpc.unary_unary_rpc_method_handler(
            fn, request_deserializer=None, response_serializer=None
        )

    server.add_generic_rpc_handlers(
        [
            grpc.method_handlers_generic_handler(
                "test.T",
                {
                    "Validation": h(raise_validation),
                    "Crash": h(crash),
                    "Echo": h(echo_trace),
                    "Unavailable": h(unavailable),
                    "Panic": h(panic),
                },
            )
        ]
    )


@pytest.fixture
async def channel():
    running = await start_test_server("test", [ServiceBinding(None, _add, "test.T")])
    ch = grpc.aio.insecure_channel(f"127.0.0.1:{running.port}")
    yield ch
    await ch.close()
    await running.stop(0)


def call(ch, method):
    return ch.unary_unary(f"/test.T/{method}", request_serializer=None, response_deserializer=None)


async def test_validation_error_carries_error_info_then_bad_request(channel):
    with pytest.raises(grpc.aio.AioRpcError) as exc:
        await call(channel, "Validation")(b"", timeout=5)
    assert exc.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    status = rpc_status.from_call(exc.value)
    assert status.details[0].type_url.endswith("google.rpc.ErrorInfo")
    assert status.details[1].type_url.endswith("google.rpc.BadRequest")
    err = from_rpc_error(exc.value)
    assert isinstance(err, errors.ValidationError)
    assert [v.field for v in err.violations] == ["a", "b"]


async def test_crash_is_internal_with_correlation_id_and_no_internals(channel, capsys):
    with pytest.raises(grpc.aio.AioRpcError) as exc:
        await call(channel, "Crash")(b"", timeout=5)
    assert exc.value.code() == grpc.StatusCode.INTERNAL
    err = from_rpc_error(exc.value)
    cid = err.metadata["correlation_id"]
    assert cid in exc.value.details()
    assert "/etc/shadow" not in exc.value.details() and "Traceback" not in exc.value.details()
    assert "secret path" not in str(rpc_status.from_call(exc.value))


async def test_a_rust_panic_is_internal_and_the_server_goes_on(channel):
    with pytest.raises(grpc.aio.AioRpcError) as exc:
        await call(channel, "Panic")(b"", timeout=5)
    assert exc.value.code() == grpc.StatusCode.INTERNAL
    assert "correlation_id" in from_rpc_error(exc.value).metadata
    assert "unwrap" not in exc.value.details()
    with pytest.raises(grpc.aio.AioRpcError) as again:
        await call(channel, "Validation")(b"", timeout=5)
    assert again.value.code() == grpc.StatusCode.INVALID_ARGUMENT


async def test_unavailable_is_retryable_with_retry_info(channel):
    with pytest.raises(grpc.aio.AioRpcError) as exc:
        await call(channel, "Unavailable")(b"", timeout=5)
    err = from_rpc_error(exc.value)
    assert isinstance(err, errors.BackendUnavailableError)
    assert err.retry_after == pytest.approx(2.5)
    info = rpc_status.from_call(exc.value).details[0]
    assert info.type_url.endswith("ErrorInfo")


async def test_traceparent_and_auth_context_are_propagated(channel):
    trace_id = secrets.token_hex(16)
    tp = f"00-{trace_id}-{secrets.token_hex(8)}-01"
    md = [
        ("traceparent", tp),
        ("x-eigen-job-id", "j123"),
        *context.AuthContext("u", ("user",), "acme").to_metadata(),
    ]
    out = (await call(channel, "Echo")(b"", metadata=md, timeout=5)).decode()
    assert out == f"{trace_id}|acme|j123"
    fresh = (await call(channel, "Echo")(b"", timeout=5)).decode()
    assert len(fresh.split("|")[0]) == 32 and fresh.split("|")[0] != trace_id
    bad = await call(channel, "Echo")(b"", metadata=[("traceparent", "00-zz-1-01")], timeout=5)
    assert len(bad.decode().split("|")[0]) == 32  # an invalid traceparent starts a new trace


async def test_port_in_use_is_a_startup_error():
    running = await start_test_server("a", [])
    try:
        from eigen_common.server import create_server

        with pytest.raises(RuntimeError, match="cannot bind"):
            await create_server("b", [], f"127.0.0.1:{running.port}")
    finally:
        await running.stop(0)
