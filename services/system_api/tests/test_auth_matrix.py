"""Every public RPC × every kind of caller × tenant, through the real in-process stack.

Callers: admin, user and readonly of tenant ``a`` (which owns the job), a user of tenant ``b``,
no token, an unknown token, a revoked key and an expired key. Expected:
- no/unknown/revoked/expired credential → UNAUTHENTICATED, for every RPC;
- a role without the RPC's permission → PERMISSION_DENIED;
- tenant ``b`` on tenant ``a``'s job → NOT_FOUND (never PERMISSION_DENIED: no existence leak);
- otherwise the RPC's own outcome (OK, or its business error such as JOB_ALREADY_TERMINAL).
RPCs whose kernel side is being built (reservations, artifacts, garbage collection) are
checked for the edge's decisions only: a permitted caller gets past the edge (any code but
UNAUTHENTICATED, PERMISSION_DENIED or INVALID_ARGUMENT); test_forwarding.py checks what the
edge sends them and returns from them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import grpc
import pytest

from eigen.api.v1 import (
    admin_pb2,
    common_pb2,
    compilation_pb2,
    device_pb2,
    job_pb2,
)
from eigen_common.status import from_rpc_error
from eigen_system_api.auth import ROLE_PERMISSIONS
from eigen_system_api.keys import KeyStore
from eigen_system_api.routes import SERVICES
from services.system_api.tests.support import (
    ADMIN,
    BELL,
    READONLY,
    USER,
    USER_B,
    Client,
    Edge,
    bell,
    md,
    wait_terminal,
)

EDGE_REFUSALS = frozenset({"UNAUTHENTICATED", "PERMISSION_DENIED", "INVALID_ARGUMENT"})


@dataclass(frozen=True)
class Case:
    service: str
    rpc: str
    request: Callable[[dict[str, str]], Any]
    ok: frozenset[str] | None  # codes of a permitted caller of tenant a; None = past the edge
    tenant_scoped: bool = False  # tenant b gets NOT_FOUND
    streaming: bool = False


def cases() -> list[Case]:
    q = common_pb2.QasmSource(source=BELL)
    ok = frozenset({"OK"})
    pend = None  # kernel side in progress
    return [
        Case("jobs", "SubmitJob", lambda c: bell(shots=10), ok),
        Case(
            "jobs", "GetJobStatus", lambda c: job_pb2.GetJobStatusRequest(job_id=c["job"]), ok, True
        ),
        Case(
            "jobs",
            "GetJobResults",
            lambda c: job_pb2.GetJobResultsRequest(job_id=c["job"]),
            ok,
            True,
        ),
        Case(
            "jobs",
            "CancelJob",
            lambda c: job_pb2.CancelJobRequest(job_id=c["job"]),
            frozenset({"FAILED_PRECONDITION"}),  # JOB_ALREADY_TERMINAL
            True,
        ),
        Case("jobs", "ListJobs", lambda c: job_pb2.ListJobsRequest(page_size=5), ok),
        Case(
            "jobs",
            "StreamJobUpdates",
            lambda c: job_pb2.StreamJobUpdatesRequest(job_id=c["job"]),
            ok,
            True,
            True,
        ),
        Case(
            "jobs",
            "GetJobArtifact",
            lambda c: job_pb2.GetJobArtifactRequest(job_id=c["job"], name="results.json"),
            pend,
            True,
            True,
        ),
        Case("devices", "ListDevices", lambda c: device_pb2.ListDevicesRequest(), ok),
        Case(
            "devices",
            "GetDeviceDetails",
            lambda c: device_pb2.GetDeviceDetailsRequest(device_id="sim:local"),
            ok,
        ),
        Case(
            "devices",
            "GetDeviceStatus",
            lambda c: device_pb2.GetDeviceStatusRequest(device_id="sim:local"),
            ok,
        ),
        Case(
            "devices",
            "ReserveDevice",
            lambda c: device_pb2.ReserveDeviceRequest(device_id="sim:local", ttl_seconds=60),
            pend,
        ),
        Case("devices", "ListReservations", lambda c: device_pb2.ListReservationsRequest(), pend),
        Case(
            "devices",
            "CancelReservation",
            lambda c: device_pb2.CancelReservationRequest(reservation_id="rsv-unknown"),
            pend,
        ),
        Case(
            "compiler",
            "CompileCircuit",
            lambda c: compilation_pb2.CompileCircuitRequest(qasm=q, target="sim:local"),
            ok,
        ),
        Case(
            "compiler",
            "ValidateCircuit",
            lambda c: compilation_pb2.ValidateCircuitRequest(qasm=q, target="sim:local"),
            ok,
        ),
        Case(
            "compiler",
            "OptimizeCircuit",
            lambda c: compilation_pb2.OptimizeCircuitRequest(
                aqo_json=c["aqo"].encode(), optimization_level=1
            ),
            ok,
        ),
        Case(
            "admin",
            "CreateApiKey",
            lambda c: admin_pb2.CreateApiKeyRequest(tenant="a", roles=["readonly"]),
            ok,
        ),
        Case("admin", "ListApiKeys", lambda c: admin_pb2.ListApiKeysRequest(), ok),
        Case(
            "admin",
            "RevokeApiKey",
            lambda c: admin_pb2.RevokeApiKeyRequest(key_id="000000000000"),
            frozenset({"NOT_FOUND"}),
        ),
        Case(
            "admin",
            "CollectGarbage",
            lambda c: admin_pb2.CollectGarbageRequest(dry_run=True),
            pend,
        ),
    ]


def permission(rpc: str) -> str:
    return next(r.permission for s in SERVICES for r in s.routes if r.rpc == rpc)


async def outcome(c: Client, case: Case, ctx: dict[str, str], metadata: Any) -> str:
    stub = getattr(c, case.service)
    try:
        if case.streaming:
            call = getattr(stub, case.rpc)(case.request(ctx), metadata=metadata, timeout=60)
            async for _ in call:
                pass
        else:
            await getattr(stub, case.rpc)(case.request(ctx), metadata=metadata, timeout=60)
    except grpc.aio.AioRpcError as exc:
        return exc.code().name
    return "OK"


def test_the_matrix_covers_every_public_rpc() -> None:
    assert {c.rpc for c in cases()} == {r.rpc for s in SERVICES for r in s.routes}


async def test_auth_matrix(edge: Edge) -> None:
    c = await edge.replica()
    job = (await c.jobs.SubmitJob(bell(shots=10, seed=1), metadata=md(USER))).job_id
    await wait_terminal(c, job, USER)
    aqo = (
        await c.compiler.CompileCircuit(
            compilation_pb2.CompileCircuitRequest(
                qasm=common_pb2.QasmSource(source=BELL), target="sim:local"
            ),
            metadata=md(ADMIN),
        )
    ).aqo_json.decode()
    store = KeyStore(edge.keys_file)
    rev, revoked = store.create("a", ("admin",))
    store.revoke(rev.key_id)
    _, expired = store.create("a", ("admin",), expires_days=1, now=datetime.now(UTC) - timedelta(2))
    ctx = {"job": job, "aqo": aqo}
    callers: dict[str, tuple[list[tuple[str, str]], str, str]] = {
        # name: (metadata, role, tenant)
        "admin-a": (md(ADMIN), "admin", "a"),
        "user-a": (md(USER), "user", "a"),
        "readonly-a": (md(READONLY), "readonly", "a"),
        "user-b": (md(USER_B), "user", "b"),
        "no-token": ([], "", ""),
        "bad-token": (md("not-a-key"), "", ""),
        "revoked": (md(revoked), "", ""),
        "expired": (md(expired), "", ""),
    }
    cells, wrong = 0, []
    for case in cases():
        for name, (metadata, role, tenant) in callers.items():
            got = await outcome(c, case, ctx, metadata)
            if not role:
                ok = got == "UNAUTHENTICATED"
            elif permission(case.rpc) not in ROLE_PERMISSIONS[role]:
                ok = got == "PERMISSION_DENIED"
            elif case.ok is None:
                ok = got not in EDGE_REFUSALS
            elif tenant == "b" and case.tenant_scoped:
                ok = got == "NOT_FOUND"
            else:
                ok = got in case.ok
            cells += 1
            if not ok:
                wrong.append(f"{case.rpc} × {name} ({role or 'no role'}, {tenant or '-'}): {got}")
    assert not wrong, "\n".join(wrong)
    assert cells == 20 * 8


async def test_client_identity_headers_are_ignored(edge: Edge) -> None:
    c = await edge.replica()
    job = (await c.jobs.SubmitJob(bell(shots=10), metadata=md(USER))).job_id
    forged = [*md(USER_B), ("x-eigen-tenant", "a"), ("x-eigen-roles", "admin")]
    with pytest.raises(grpc.aio.AioRpcError) as exc:
        await c.jobs.GetJobStatus(job_pb2.GetJobStatusRequest(job_id=job), metadata=forged)
    assert exc.value.code() == grpc.StatusCode.NOT_FOUND
    with pytest.raises(grpc.aio.AioRpcError) as exc:
        await c.jobs.GetJobStatus(
            job_pb2.GetJobStatusRequest(job_id=job), metadata=[("x-eigen-tenant", "a")]
        )
    assert exc.value.code() == grpc.StatusCode.UNAUTHENTICATED
    assert from_rpc_error(exc.value).reason == "UNAUTHENTICATED"
