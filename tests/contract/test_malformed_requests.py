"""Hostile bytes on the public API (issue 11): every method, corrupt protobuf, fuzzed requests.

The system-api is a real process (the session's process stack). A request whose bytes do not
parse ends INVALID_ARGUMENT with ErrorInfo ``MALFORMED_REQUEST`` (never gRPC's bare INTERNAL);
fuzzed requests — random bytes and bit-flipped valid requests — end in a typed status with
ErrorInfo or succeed, never INTERNAL/UNKNOWN/UNAVAILABLE, and the stack still serves afterwards.
The fuzz is bounded (examples and a deadline per call); the server's own limits cap the rest.
"""

from __future__ import annotations

from typing import Any

import grpc
import pytest
from google.protobuf import descriptor_pool
from grpc_status import rpc_status
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from eigen.api.v1 import admin_pb2, common_pb2, compilation_pb2, device_pb2, job_pb2  # noqa: F401
from eigen_common.status import from_status
from tests.conftest import Api
from tests.e2e.helpers import qasm_request

_SERVICES = [
    "eigen.api.v1.JobService",
    "eigen.api.v1.DeviceService",
    "eigen.api.v1.CompilationService",
    "eigen.api.v1.AdminService",
]
#: bytes that no protobuf parser accepts: a truncated length-delimited field, a varint longer
#: than ten bytes, a length past the end, an end-group without a start.
CORRUPT = [b"\x0a\x05ab", b"\xff" * 11, b"\x0a\xff\xff\xff\xff\x0f", b"\x0c"]
BAD_OUTCOMES = {grpc.StatusCode.INTERNAL, grpc.StatusCode.UNKNOWN, grpc.StatusCode.UNAVAILABLE}
BELL = 'OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[2];\ncreg c[2];\nh q[0];\nmeasure q -> c;\n'


def _methods() -> list[tuple[str, bool]]:
    """(full method path, server-streaming) for every public RPC."""
    pool = descriptor_pool.Default()
    out = []
    for name in _SERVICES:
        service = pool.FindServiceByName(name)
        for m in service.methods:
            out.append((f"/{name}/{m.name}", m.server_streaming))
    return out


def _raw_call(api: Api, path: str, streaming: bool, body: bytes) -> None:
    """Send ``body`` unparsed to ``path``; raise the call's RpcError (or drain it)."""
    if streaming:
        call = api.channel.unary_stream(path, request_serializer=None, response_deserializer=None)
        for _ in call(body, metadata=api.metadata, timeout=20):
            pass
    else:
        api.channel.unary_unary(path, request_serializer=None, response_deserializer=None)(
            body, metadata=api.metadata, timeout=20
        )


def _typed(exc: grpc.RpcError) -> Any:
    status = rpc_status.from_call(exc)  # type: ignore[arg-type]
    assert status is not None, (exc.code(), exc.details())
    assert any(d.type_url.endswith("google.rpc.ErrorInfo") for d in status.details)
    return from_status(status)


@pytest.mark.parametrize("path,streaming", _methods(), ids=lambda v: str(v).rsplit("/", 1)[-1])
def test_corrupt_bytes_are_invalid_argument_on_every_method(
    api: Api, path: str, streaming: bool
) -> None:
    for body in CORRUPT:
        with pytest.raises(grpc.RpcError) as info:
            _raw_call(api, path, streaming, body)
        assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT, (path, body)
        err = _typed(info.value)
        assert err.reason == "MALFORMED_REQUEST"
        assert path.rsplit("/", 1)[-1] in err.message


def test_a_corrupt_request_changes_nothing(api: Api) -> None:
    before = api.jobs.ListJobs(job_pb2.ListJobsRequest(page_size=1000), metadata=api.metadata)
    valid = qasm_request(BELL, seed=5).SerializeToString()
    with pytest.raises(grpc.RpcError):
        _raw_call(api, "/eigen.api.v1.JobService/SubmitJob", False, valid[:-3] + b"\x0a\x7f")
    after = api.jobs.ListJobs(job_pb2.ListJobsRequest(page_size=1000), metadata=api.metadata)
    assert [j.job_id for j in after.jobs] == [j.job_id for j in before.jobs]


def _flip(data: bytes, positions: list[int], mask: int) -> bytes:
    b = bytearray(data)
    for p in positions:
        b[p % len(b)] ^= mask
    return bytes(b)


@settings(
    max_examples=120,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    method=st.sampled_from(_methods()),
    body=st.one_of(
        st.binary(max_size=512),
        st.tuples(
            st.lists(st.integers(min_value=0, max_value=10_000), min_size=1, max_size=4),
            st.integers(min_value=1, max_value=255),
        ),
    ),
)
def test_fuzzed_requests_end_in_a_typed_status(
    api: Api, method: tuple[str, bool], body: bytes | tuple[list[int], int]
) -> None:
    path, streaming = method
    if isinstance(body, tuple):  # a valid request with a few bits flipped
        body = _flip(qasm_request(BELL, seed=7, shots=16).SerializeToString(), *body)
    try:
        _raw_call(api, path, streaming, body)
    except grpc.RpcError as exc:
        assert exc.code() not in BAD_OUTCOMES, (path, body, exc.code(), exc.details())
        _typed(exc)
    health = api.devices.ListDevices(device_pb2.ListDevicesRequest(), metadata=api.metadata)
    assert health.devices
