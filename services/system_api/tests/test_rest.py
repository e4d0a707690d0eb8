"""REST (SPEC §15) through the real in-process stack: the same edge as gRPC, over HTTP/JSON.

Each test starts a system-api replica (``app.build``) serving gRPC and REST in one event loop
and drives it with plain HTTP (``requests``); where it matters the answer is compared with the
gRPC answer for the same call.
"""

from __future__ import annotations

import grpc
import pytest
from google.protobuf import json_format
from google.rpc import error_details_pb2
from grpc_status import rpc_status
from structlog.testing import capture_logs

from eigen.api.v1 import job_pb2
from services.system_api.tests.rest_support import (
    bell_json,
    error_info,
    rest_replica,
    status_of,
)
from services.system_api.tests.support import READONLY, USER, USER_B, Edge, bell, md

TERMINAL = {"JOB_STATUS_DONE", "JOB_STATUS_ERROR", "JOB_STATUS_CANCELLED", "JOB_STATUS_TIMEOUT"}


async def test_submit_watch_and_results_over_rest_match_grpc(edge: Edge) -> None:
    http, rpc = await rest_replica(edge, USER)
    sub = await http.post("/v1/jobs", json=bell_json(shots=300, seed=11, metadata={"k": "v"}))
    assert sub.status_code == 200 and sub.headers["content-type"] == "application/json"
    job = sub.json()
    assert job["state"] == "JOB_STATUS_COMPILING" and job["deduplicated"] is False
    job_id = job["job_id"]

    resp, events = await http.events(f"/v1/jobs/{job_id}/events")
    assert resp.headers["content-type"].startswith("text/event-stream")
    updates = [e for e in events if not e.data["update"]["heartbeat"]]
    seqs = [int(e.data["update"]["event_seq"]) for e in updates]
    assert seqs == list(range(1, len(seqs) + 1)) and len(seqs) >= 3
    assert [e.id for e in updates] == [str(s) for s in seqs]
    last = updates[-1].data["update"]
    assert last["terminal"] and last["state"] == "JOB_STATUS_DONE" and events[-1] == updates[-1]
    assert all(e.event == "message" for e in events)

    results = (await http.get(f"/v1/jobs/{job_id}/results")).json()
    assert results["state"] == "JOB_STATUS_DONE" and set(results["counts"]) <= {"00", "11"}
    assert sum(int(v) for v in results["counts"].values()) == 300  # int64 → JSON string
    same = await rpc.jobs.GetJobResults(
        job_pb2.GetJobResultsRequest(job_id=job_id), metadata=md(USER)
    )
    assert json_format.ParseDict(results, job_pb2.GetJobResultsResponse()) == same

    status = (await http.get(f"/v1/jobs/{job_id}")).json()["job"]
    assert (status["state"], status["shots"], status["metadata"]) == (
        "JOB_STATUS_DONE",
        300,
        {"k": "v"},
    )
    listed = (
        await http.get("/v1/jobs", params={"states": "JOB_STATUS_DONE", "page_size": 5})
    ).json()
    assert job_id in [j["job_id"] for j in listed["jobs"]]
    assert all(j["state"] == "JOB_STATUS_DONE" for j in listed["jobs"])

    # resume: exactly the events after N, by query parameter or by EventSource's header
    n = seqs[-3]
    _, tail = await http.events(f"/v1/jobs/{job_id}/events?last_event_seq={n}")
    assert [e.id for e in tail] == [str(s) for s in seqs if s > n]
    _, tail2 = await http.events(f"/v1/jobs/{job_id}/events", headers={"Last-Event-ID": str(n)})
    assert [e.id for e in tail2] == [e.id for e in tail]
    _, with_results = await http.events(
        f"/v1/jobs/{job_id}/events?last_event_seq={n}&include_results=true"
    )
    assert with_results[-1].data["results"]["counts"] == results["counts"]


async def test_errors_are_google_rpc_status_json_with_the_grpc_details(edge: Edge) -> None:
    http, rpc = await rest_replica(edge, USER)
    # the same invalid submission over both transports: same code, reason and violations
    bad = {"name": "bad name!", "target": "", "shots": -5, "priority": 400}
    resp = await http.post("/v1/jobs", json=bad)
    assert resp.status_code == 400
    status = status_of(resp)
    with pytest.raises(grpc.aio.AioRpcError) as exc:
        req = job_pb2.SubmitJobRequest(name="bad name!", shots=-5, priority=400)
        await rpc.jobs.SubmitJob(req, metadata=md(USER))
    grpc_status = rpc_status.from_call(exc.value)  # type: ignore[arg-type]
    assert grpc_status is not None and status == grpc_status
    info = error_info(status)
    assert (info.reason, info.domain, info.metadata["retryable"]) == (
        "VALIDATION_FAILED",
        "eigen.os",
        "false",
    )
    br = error_details_pb2.BadRequest()
    assert status.details[1].Unpack(br)
    assert {"name", "target", "shots", "priority", "program"} <= {
        v.field for v in br.field_violations
    }

    cases = [
        (await http.get("/v1/jobs", token=False), 401, "UNAUTHENTICATED"),
        (await http.get("/v1/jobs", token="not-a-key"), 401, "UNAUTHENTICATED"),
        (await http.post("/v1/jobs", token=READONLY, json=bell_json()), 403, "PERMISSION_DENIED"),
        (await http.get("/v1/jobs/j0123456789abcdef0123"), 404, "JOB_NOT_FOUND"),
        (await http.post("/v1/jobs", json=bell_json(target="nowhere")), 404, "TARGET_NOT_FOUND"),
        (await http.post("/v1/jobs", json=bell_json(shot=10)), 400, "VALIDATION_FAILED"),
        (await http.post("/v1/jobs", data=b"{not json"), 400, "VALIDATION_FAILED"),
        (await http.post("/v1/jobs", data=b"[1, 2]"), 400, "VALIDATION_FAILED"),
        (await http.get("/v1/jobs", params={"page_sise": "3"}), 400, "VALIDATION_FAILED"),
        (await http.get("/v1/jobs", params={"states": "DONE"}), 400, "VALIDATION_FAILED"),
        (
            await http.get("/v1/jobs/x/events", params={"include_results": "maybe"}),
            400,
            "VALIDATION_FAILED",
        ),
        (await http.post("/v1/jobs?shots=3", json=bell_json()), 400, "VALIDATION_FAILED"),
        (await http.get("/v1/nothing/here"), 404, "NOT_FOUND"),
        (await http.request("DELETE", "/v1/jobs"), 405, "UNIMPLEMENTED"),
    ]
    for resp, http_status, reason in cases:
        assert resp.status_code == http_status, (resp.request.url, resp.text)
        assert error_info(status_of(resp)).reason == reason, resp.text
    unauth = cases[0][0]
    assert unauth.headers["www-authenticate"].startswith("Bearer")
    unknown_field = status_of(cases[5][0]).message
    assert "shot" in unknown_field and "no field named" in unknown_field

    # a finished job cannot be cancelled: FAILED_PRECONDITION → 400 with PreconditionFailure
    job_id = (await http.post("/v1/jobs", json=bell_json(shots=10))).json()["job_id"]
    await http.events(f"/v1/jobs/{job_id}/events")
    resp = await http.post(f"/v1/jobs/{job_id}:cancel", json={"reason": "late"})
    assert resp.status_code == 400
    status = status_of(resp)
    pf = error_details_pb2.PreconditionFailure()
    assert error_info(status).reason == "JOB_ALREADY_TERMINAL" and status.details[1].Unpack(pf)

    # tenants never see each other's jobs, events included (404 before any stream starts)
    other, _ = await rest_replica(edge, USER_B)
    for resp in (
        await other.get(f"/v1/jobs/{job_id}"),
        await other.get(f"/v1/jobs/{job_id}/results"),
        (await other.events(f"/v1/jobs/{job_id}/events"))[0],
        await other.post(f"/v1/jobs/{job_id}:cancel"),
    ):
        assert resp.status_code == 404 and error_info(status_of(resp)).reason == "JOB_NOT_FOUND"


async def test_cancel_over_rest_and_a_closed_event_stream_does_not_cancel(edge: Edge) -> None:
    http, _ = await rest_replica(edge, USER)
    keep = (await http.post("/v1/jobs", json=bell_json(shots=50))).json()["job_id"]
    resp, first = await http.events(f"/v1/jobs/{keep}/events", first_only=True)
    assert resp.status_code == 200 and first[0].id == "1"  # the client hung up after one event
    _, rest = await http.events(f"/v1/jobs/{keep}/events?last_event_seq=1")
    assert rest[-1].data["update"]["state"] == "JOB_STATUS_DONE"

    # cancel at once; the stack cannot hold a job back on demand, so it may have finished
    other = (await http.post("/v1/jobs", json=bell_json(shots=10))).json()["job_id"]
    cancelled = await http.post(f"/v1/jobs/{other}:cancel", json={"reason": "no longer needed"})
    _, events = await http.events(f"/v1/jobs/{other}/events")
    if cancelled.status_code == 200:
        assert cancelled.json() == {"job_id": other, "state": "JOB_STATUS_CANCELLED"}
        assert events[-1].data["update"]["state"] == "JOB_STATUS_CANCELLED"
    else:
        assert error_info(status_of(cancelled)).reason == "JOB_ALREADY_TERMINAL"
        assert events[-1].data["update"]["state"] == "JOB_STATUS_DONE"


async def test_quotas_audit_and_size_limits_are_the_edge_s(edge: Edge) -> None:
    http, _ = await rest_replica(
        edge, USER, quota_submit_rate="1/minute", max_message_bytes=64 * 1024
    )
    with capture_logs() as logs:
        ok = await http.post("/v1/jobs", json=bell_json(shots=10))
        limited = await http.post("/v1/jobs", json=bell_json(shots=10))
        await http.get("/v1/jobs", token="leaked-secret-token")
    assert ok.status_code == 200
    assert limited.status_code == 429 and int(limited.headers["retry-after"]) >= 1
    status = status_of(limited)
    qf = error_details_pb2.QuotaFailure()
    assert error_info(status).reason == "QUOTA_EXCEEDED" and status.details[1].Unpack(qf)
    assert qf.violations[0].subject == "tenant:a/submit_rate"
    audit = [e for e in logs if e["event"] == "audit"]
    assert [(e["rpc"], e["code"], e["transport"]) for e in audit] == [
        ("JobService/SubmitJob", "OK", "http"),
        ("JobService/SubmitJob", "RESOURCE_EXHAUSTED", "http"),
        ("JobService/ListJobs", "UNAUTHENTICATED", "http"),
    ]
    assert audit[0]["job_id"] == ok.json()["job_id"] and audit[0]["subject"] == "alice"
    assert audit[0]["http_method"] == "POST" and audit[0]["path"] == "/v1/jobs"
    assert all("leaked-secret-token" not in str(v) for e in logs for v in e.values())

    huge = await http.post("/v1/jobs", data=b'{"name": "' + b"x" * 70_000 + b'"}')
    assert huge.status_code == 429 and error_info(status_of(huge)).reason == "PAYLOAD_TOO_LARGE"


async def test_devices_reservations_and_artifacts(edge: Edge) -> None:
    http, rpc = await rest_replica(edge, USER)
    devices = (await http.get("/v1/devices")).json()["devices"]
    assert "aer.statevector" in {d["device_id"] for d in devices}
    detail = (await http.get("/v1/devices/aer.statevector")).json()["device"]
    assert detail["device_id"] == "aer.statevector"
    st = (await http.get("/v1/devices/sim:local/status")).json()
    assert st["status"].startswith("DEVICE_STATUS_")
    missing = await http.get("/v1/devices/nope.nothing")
    assert missing.status_code == 404

    res = await http.post(
        "/v1/devices/aer.statevector:reserve", json={"ttl_seconds": 60, "purpose": "rest"}
    )
    assert res.status_code == 200, res.text
    rid = res.json()["reservation_id"]
    listed = (await http.get("/v1/reservations")).json()["reservations"]
    assert rid in [r["reservation_id"] for r in listed]
    done = await http.post(f"/v1/reservations/{rid}:cancel")
    assert done.status_code == 200 and done.json()["reservation"]["reservation_id"] == rid

    job_id = (await http.post("/v1/jobs", json=bell_json(shots=20, seed=3))).json()["job_id"]
    await http.events(f"/v1/jobs/{job_id}/events")
    names = [a["name"] for a in (await http.get(f"/v1/jobs/{job_id}/results")).json()["artifacts"]]
    assert "results.json" in names
    body = await http.get(f"/v1/jobs/{job_id}/artifacts/results.json")
    assert body.status_code == 200 and body.headers["content-type"].startswith("application/json")
    chunks = [
        m.chunk
        async for m in rpc.jobs.GetJobArtifact(
            job_pb2.GetJobArtifactRequest(job_id=job_id, name="results.json"), metadata=md(USER)
        )
    ]
    assert body.content == b"".join(chunks) and body.json()["counts"]
    nothing = await http.get(f"/v1/jobs/{job_id}/artifacts/nothing.bin")
    assert nothing.status_code == 404


async def test_grpc_and_rest_share_one_process_and_state(edge: Edge) -> None:
    http, rpc = await rest_replica(edge, USER)
    sub = await rpc.jobs.SubmitJob(bell(shots=10), metadata=md(USER))
    _, events = await http.events(f"/v1/jobs/{sub.job_id}/events")  # gRPC job, REST stream
    assert events[-1].data["update"]["state"] in TERMINAL
