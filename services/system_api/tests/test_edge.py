"""The edge through the real in-process stack: key management, audit lines, nothing internal on
the wire, results on the terminal event."""

from __future__ import annotations

import json
import time
from pathlib import Path

import grpc
import pytest
from google.rpc import error_details_pb2
from grpc_status import rpc_status
from structlog.testing import capture_logs

from eigen.api.v1 import admin_pb2, common_pb2, compilation_pb2, job_pb2
from eigen_common.status import from_rpc_error
from services.system_api.tests.support import (
    ADMIN,
    AUD,
    BELL,
    ISS,
    READONLY,
    USER,
    Client,
    Edge,
    Signer,
    bell,
    md,
    wait_terminal,
)


async def code_of(coro: object) -> grpc.StatusCode:
    try:
        await coro  # type: ignore[misc]
    except grpc.aio.AioRpcError as exc:
        return exc.code()
    return grpc.StatusCode.OK


async def test_a_created_key_works_at_once_and_a_revoked_one_fails_at_once_everywhere(
    edge: Edge,
) -> None:
    one, two = await edge.replica(), await edge.replica()  # two replicas, one key file
    created = await one.admin.CreateApiKey(
        admin_pb2.CreateApiKeyRequest(
            tenant="a", roles=["readonly"], name="dashboard", expires_days=7
        ),
        metadata=md(ADMIN),
    )
    token, key = created.token, created.key
    assert token.startswith(f"eig_{key.key_id}_") and key.subject == "dashboard"
    assert key.HasField("expires_at") and not key.revoked
    assert token not in edge.keys_file.read_text()
    listed = await two.admin.ListApiKeys(
        admin_pb2.ListApiKeysRequest(tenant="a"), metadata=md(ADMIN)
    )
    assert key.key_id in [k.key_id for k in listed.keys]
    assert token not in str(listed)
    # the new key works on both replicas, with its role and tenant
    jobs = await two.jobs.ListJobs(job_pb2.ListJobsRequest(), metadata=md(token))
    assert jobs is not None
    assert await code_of(two.jobs.SubmitJob(bell(), metadata=md(token))) == (
        grpc.StatusCode.PERMISSION_DENIED
    )
    revoked = await one.admin.RevokeApiKey(
        admin_pb2.RevokeApiKeyRequest(key_id=key.key_id), metadata=md(ADMIN)
    )
    assert revoked.key.revoked
    for c in (one, two):
        assert await code_of(c.jobs.ListJobs(job_pb2.ListJobsRequest(), metadata=md(token))) == (
            grpc.StatusCode.UNAUTHENTICATED
        )


async def test_only_admins_manage_keys(client: Client) -> None:
    for token in (USER, READONLY):
        got = await code_of(
            client.admin.CreateApiKey(
                admin_pb2.CreateApiKeyRequest(tenant="a", roles=["admin"]), metadata=md(token)
            )
        )
        assert got == grpc.StatusCode.PERMISSION_DENIED
    with pytest.raises(grpc.aio.AioRpcError) as exc:
        await client.admin.CreateApiKey(
            admin_pb2.CreateApiKeyRequest(tenant="no spaces", roles=["root"], expires_days=-1),
            metadata=md(ADMIN),
        )
    err = from_rpc_error(exc.value)
    assert {v.field for v in err.violations} == {"tenant", "roles[0]", "expires_days"}


async def test_every_call_and_every_auth_failure_is_one_audit_line(client: Client) -> None:
    with capture_logs() as logs:
        job = (await client.jobs.SubmitJob(bell(shots=10), metadata=md(USER))).job_id
        await wait_terminal(client, job, USER)
        await code_of(client.jobs.SubmitJob(bell(), metadata=md(READONLY)))
        await code_of(client.jobs.ListJobs(job_pb2.ListJobsRequest()))
        await code_of(client.jobs.ListJobs(job_pb2.ListJobsRequest(), metadata=md("leaked-x")))
        await code_of(
            client.jobs.GetJobStatus(job_pb2.GetJobStatusRequest(job_id="../x"), metadata=md(USER))
        )
    audit = [e for e in logs if e["event"] == "audit"]
    assert [(e["rpc"], e["code"]) for e in audit] == [
        ("JobService/SubmitJob", "OK"),
        ("JobService/StreamJobUpdates", "OK"),
        ("JobService/SubmitJob", "PERMISSION_DENIED"),
        ("JobService/ListJobs", "UNAUTHENTICATED"),
        ("JobService/ListJobs", "UNAUTHENTICATED"),
        ("JobService/GetJobStatus", "INVALID_ARGUMENT"),
    ]
    submit, stream, denied, anon, bad, invalid = audit
    assert (submit["subject"], submit["tenant"], submit["job_id"]) == ("alice", "a", job)
    assert submit["credential"].startswith("api_key:") and submit["latency_ms"] > 0
    assert stream["job_id"] == job and int(stream["messages"]) >= 3
    assert (denied["subject"], denied["reason"]) == ("viewer", "PERMISSION_DENIED")
    assert anon["subject"] == "" and bad["subject"] == "" and bad["peer"]
    assert invalid["reason"] == "VALIDATION_FAILED"
    for token in (USER, READONLY, "leaked-x"):
        assert all(token not in str(v) for e in logs for v in e.values()), token


async def test_kernel_down_leaks_no_internal_address(edge: Edge) -> None:
    c = await edge.replica(stream_resume_seconds=0)
    job = (await c.jobs.SubmitJob(bell(shots=10), metadata=md(USER))).job_id
    await edge.stack.servers["kernel"].stop(0)
    kernel_port = str(edge.stack.servers["kernel"].port)
    calls = [
        c.jobs.SubmitJob(bell(), metadata=md(USER), timeout=10),
        c.jobs.GetJobStatus(job_pb2.GetJobStatusRequest(job_id=job), metadata=md(USER)),
        c.admin.CollectGarbage(admin_pb2.CollectGarbageRequest(), metadata=md(ADMIN)),
    ]
    for call in calls:
        with pytest.raises(grpc.aio.AioRpcError) as exc:
            await call
        check_unavailable(exc.value, "kernel", kernel_port)
    with pytest.raises(grpc.aio.AioRpcError) as exc:
        async for _ in c.jobs.StreamJobUpdates(
            job_pb2.StreamJobUpdatesRequest(job_id=job), metadata=md(USER)
        ):
            pass
    check_unavailable(exc.value, "kernel", kernel_port)
    await edge.stack.restart_kernel()


async def test_compiler_down_leaks_no_internal_address(edge: Edge) -> None:
    c = await edge.replica()
    await edge.stack.servers["compiler"].stop(0)
    with pytest.raises(grpc.aio.AioRpcError) as exc:
        await c.compiler.ValidateCircuit(
            compilation_pb2.ValidateCircuitRequest(qasm=common_pb2.QasmSource(source=BELL)),
            metadata=md(USER),
        )
    check_unavailable(exc.value, "compiler", str(edge.stack.servers["compiler"].port))


def check_unavailable(exc: grpc.aio.AioRpcError, service: str, port: str) -> None:
    assert exc.code() == grpc.StatusCode.UNAVAILABLE
    status = rpc_status.from_call(exc)  # type: ignore[arg-type]
    assert status is not None
    wire = (exc.details() or "") + status.SerializeToString().decode("latin-1")
    for leak in ("127.0.0.1", "ipv4", "ipv6", "localhost", port):
        assert leak not in wire, (leak, exc.details())
    assert service in (exc.details() or "")
    err = from_rpc_error(exc)
    assert err.reason == "SERVICE_UNAVAILABLE" and err.retry_after is not None
    infos = [d for d in status.details if d.Is(error_details_pb2.ErrorInfo.DESCRIPTOR)]
    assert infos and status.details[0].Is(error_details_pb2.ErrorInfo.DESCRIPTOR)


async def test_include_results_puts_the_results_on_the_terminal_event(client: Client) -> None:
    job = (await client.jobs.SubmitJob(bell(shots=300, seed=5), metadata=md(USER))).job_id
    msgs = [
        m
        async for m in client.jobs.StreamJobUpdates(
            job_pb2.StreamJobUpdatesRequest(job_id=job, include_results=True), metadata=md(USER)
        )
    ]
    assert msgs[-1].update.terminal and msgs[-1].update.state == job_pb2.JOB_STATUS_DONE
    res = msgs[-1].results
    assert res.job_id == job and sum(res.counts.values()) == 300
    assert set(res.counts) <= {"00", "11"}
    assert not any(m.HasField("results") for m in msgs[:-1])
    plain = [
        m
        async for m in client.jobs.StreamJobUpdates(
            job_pb2.StreamJobUpdatesRequest(job_id=job), metadata=md(USER)
        )
    ]
    assert not any(m.HasField("results") for m in plain)


async def test_jwt_callers_through_the_edge(edge: Edge, tmp_path: Path) -> None:
    signer = Signer("ES256", "k1")
    jwks = tmp_path / "jwks.json"
    jwks.write_text(json.dumps({"keys": [signer.jwk]}))
    c = await edge.replica(jwt_jwks=str(jwks), jwt_issuer=ISS, jwt_audience=AUD)
    user_a = signer.token(sub="dana", tenant="a", roles=["user"])
    reader_b = signer.token(sub="eve", tenant="b", roles="readonly")
    with capture_logs() as logs:
        job = (await c.jobs.SubmitJob(bell(shots=10), metadata=md(user_a))).job_id
    assert logs[-1]["credential"] == f"jwt:{ISS}" and logs[-1]["subject"] == "dana"
    # the API key of the same tenant sees the JWT user's job: tenancy is the tenant claim
    status = await c.jobs.GetJobStatus(job_pb2.GetJobStatusRequest(job_id=job), metadata=md(USER))
    assert status.job.job_id == job
    assert (
        await code_of(
            c.jobs.GetJobStatus(job_pb2.GetJobStatusRequest(job_id=job), metadata=md(reader_b))
        )
        == grpc.StatusCode.NOT_FOUND
    )
    assert await code_of(c.jobs.SubmitJob(bell(), metadata=md(reader_b))) == (
        grpc.StatusCode.PERMISSION_DENIED
    )
    expired = signer.token(tenant="a", exp=int(time.time()) - 3600)
    with pytest.raises(grpc.aio.AioRpcError) as exc:
        await c.jobs.ListJobs(job_pb2.ListJobsRequest(), metadata=md(expired))
    assert exc.value.code() == grpc.StatusCode.UNAUTHENTICATED and "expired" in exc.value.details()
    # API keys keep working next to JWTs
    assert await code_of(c.jobs.ListJobs(job_pb2.ListJobsRequest(), metadata=md(USER))) == (
        grpc.StatusCode.OK
    )
