"""The IBM driver's cloud path against recorded IBM Quantum Platform HTTP exchanges.

qiskit-ibm-runtime talks HTTP through ``requests`` (its ``RetrySession``, and
``ibm_cloud_sdk_core`` for IAM and the instance search), so the exchanges are replayed with
``responses``: the real ``QiskitRuntimeService``, ``SamplerV2``, ``EstimatorV2``, ``Session``
and ``RuntimeJobV2`` run unchanged down to the socket. The exchanges have the server's shapes
as the SDK reads them (``api/rest/*.py``, ``accounts/account.py``): IAM's token answer (a JWT
with ``iat``/``exp``), the Global Search and Global Catalog answers that resolve the instance,
``/v1/backends`` and the backend's ``configuration``/``properties`` (the SDK's own recorded
snapshots of ibm_brisbane, shipped as its fake backend), ``status`` (``state``,
``length_queue``), ``/v1/jobs`` submit answers, job states QUEUED → RUNNING → COMPLETED,
``metrics`` (``position_in_queue``), results encoded with the SDK's ``RuntimeEncoder``,
``/v1/sessions``, cancel, 5xx outages and 401s.

Covered: discovery of a cloud backend as an asynchronous device (status, vendor queue), submit
→ queue → poll → result with the vendor job id, re-attach after a restart without
resubmitting, cancel, a hybrid loop's jobs in one Session (and its close), a vendor outage
(UNAVAILABLE after the SDK's own retries), an expired token (DEVICE_AUTH_FAILED) and a refused
API key at start-up (``ibm.cloud`` OFFLINE, the key never shown).
"""

from __future__ import annotations

import base64
import json
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import responses
from responses import matchers

from eigen_common.errors import BackendUnavailableError, FailedPreconditionError
from eigen_driver_manager.base import DeviceStatus, ExecutionItem
from eigen_driver_manager.execution import (
    DeviceAuthFailedError,
    ExecutionCancelledError,
    for_job,
)
from eigen_driver_manager.ibm_fake import snapshot_files
from eigen_driver_manager.plugins.ibm_driver import IbmDriver
from eigen_driver_manager.testing import BELL_OPERATIONS, aqo_circuit

API = "https://quantum.cloud.ibm.com/api/v1"
IAM = "https://iam.cloud.ibm.com/identity/token"
SEARCH = "https://api.global-search-tagging.cloud.ibm.com/v3/resources/search"
CATALOG = "https://globalcatalog.cloud.ibm.com/api/v1"
CRN = (
    "crn:v1:bluemix:public:quantum-computing:us-east:a/0c5d3f1e8b2a4c6d9e7f1a2b3c4d5e6f:"
    "7b1e2c3d-4f5a-4b6c-8d7e-9f0a1b2c3d4e::"
)
PLAN = "b0c5f2a4-7e1d-4c3b-9a8f-6d5e4c3b2a10"
API_KEY = "Zq3vW8xR2tY6uI0oP4aS7dF1gH5jK9lZ3xC6vB8nM2qW"  # a made-up 44-character IBM Cloud key
DEVICE = "ibm.ibm_brisbane"
JOB = "d0k3s8rdlklg008fkqb0"
SESSION = "d0k3s6n2r3kg008fkq9g"
BELL = aqo_circuit(2, 2, BELL_OPERATIONS)


def _jwt(lifetime: int = 3600) -> str:
    """An IAM access token: a JWT whose claims ibm_cloud_sdk_core reads (iat, exp)."""

    def part(d: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(d).encode()).rstrip(b"=").decode()

    now = int(time.time())
    claims = {"iam_id": "iam-ServiceId-1", "iat": now, "exp": now + lifetime, "scope": "ibm"}
    return f"{part({'alg': 'RS256', 'kid': '20250130'})}.{part(claims)}.c2lnbmF0dXJl"


def _snapshot(kind: str) -> dict[str, Any]:
    files = snapshot_files("fake_brisbane")
    assert files is not None
    data: dict[str, Any] = json.loads((files[0] if kind == "conf" else files[1]).read_text())
    data["backend_name"] = "ibm_brisbane"
    return data


def _job(status: str, **extra: Any) -> dict[str, Any]:
    """``GET /v1/jobs/{id}`` as the API answers it (the fields ``_decode_job`` reads)."""
    state: dict[str, Any] = {"status": status}
    if status == "Failed":
        state.update(reason="Error code 1517; internal error", reason_code=1517)
    return {
        "id": extra.get("id", JOB),
        "backend": "ibm_brisbane",
        "state": state,
        "status": status,
        "program": {"id": "sampler"},
        "created": "2026-12-06T10:14:03.128Z",
        "runtime": "",
        "session_id": extra.get("session_id"),
        "tags": [],
        "private": False,
        "user_id": "IBMid-6940003ABC",
    }


def _bell_result(counts: dict[str, int]) -> str:
    """``GET /v1/jobs/{id}/results``: a SamplerV2 PrimitiveResult in the SDK's encoding."""
    from qiskit.primitives import PrimitiveResult, SamplerPubResult
    from qiskit.primitives.containers import BitArray, DataBin
    from qiskit_ibm_runtime.json import RuntimeEncoder

    bits = BitArray.from_counts(counts, num_bits=2)
    pub = SamplerPubResult(
        DataBin(c=bits, shape=()), metadata={"circuit_metadata": {}, "num_randomizations": 0}
    )
    result = PrimitiveResult([pub], metadata={"execution": {}, "version": 2})
    return json.dumps(result, cls=RuntimeEncoder)


def _record_start_up(rs: responses.RequestsMock, *, queue: int = 12) -> None:
    """IAM, instance search and catalog, backend list, configuration, properties, status."""
    rs.post(
        IAM,
        json={
            "access_token": _jwt(),
            "refresh_token": "not_supported",
            "token_type": "Bearer",
            "expires_in": 3600,
            "expiration": int(time.time()) + 3600,
            "scope": "ibm openid",
        },
    )
    rs.post(
        re.compile(re.escape(SEARCH) + r".*"),
        json={
            "items": [
                {
                    "crn": CRN,
                    "name": "eigen-open",
                    "service_plan_unique_id": PLAN,
                    "tags": [],
                    "doc": {"extensions": {"virtual_private_endpoints": {}, "allocations": 1}},
                }
            ],
            "limit": 100,
        },
    )
    rs.get(
        f"{CATALOG}/{PLAN}",
        json={"overview_ui": {"en": {"display_name": "Open"}}, "metadata": {"pricing": {}}},
    )
    rs.get(
        f"{API}/backends",
        json={"devices": [{"name": "ibm_brisbane", "class": "real", "status": "online"}]},
    )
    rs.get(f"{API}/backends/ibm_brisbane/configuration", json=_snapshot("conf"))
    rs.get(f"{API}/backends/ibm_brisbane/properties", json=_snapshot("props"))
    rs.get(
        f"{API}/backends/ibm_brisbane/status",
        json={
            "state": True,
            "status": "active",
            "message": "available",
            "length_queue": queue,
            "backend_version": "1.1.79",
        },
    )
    rs.get(
        f"{API}/instances/usage",
        json={
            "instance_id": CRN,
            "plan_id": PLAN,
            "usage_consumed_seconds": 12,
            "usage_limit_reached": False,
            "usage_limit_seconds": 600,
            "usage_remaining_seconds": 588,
        },
    )


@pytest.fixture
def account(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """An IBM Quantum Platform account in the SDK's environment variables only."""
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("QISKIT_IBM_TOKEN", API_KEY)
    monkeypatch.setenv("QISKIT_IBM_INSTANCE", CRN)
    monkeypatch.setenv("QISKIT_IBM_CHANNEL", "ibm_quantum_platform")
    monkeypatch.delenv("QISKIT_IBM_URL", raising=False)


@pytest.fixture
def rs() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


def _driver(**config: str) -> IbmDriver:
    drv = IbmDriver()
    drv.initialize({"fake_backends": "", "cloud_backends": "ibm_brisbane", **config})
    return drv


def _calls(rs: responses.RequestsMock, method: str, url: str) -> list[Any]:
    return [c for c in rs.calls if c.request.method == method and c.request.url.startswith(url)]


def test_a_cloud_backend_is_an_asynchronous_device(account: None, rs: Any) -> None:
    _record_start_up(rs, queue=12)
    drv = _driver()
    (dev,) = drv.get_devices()
    assert dev.device_id == DEVICE and dev.asynchronous and dev.status is DeviceStatus.ONLINE
    assert dev.max_qubits == 127 and "ecr" in dev.basis_gates and dev.vendor_queue_length == 12
    report = drv.get_device_status(DEVICE)
    assert report.vendor_queue_length == 12 and report.status is DeviceStatus.ONLINE
    token_call = _calls(rs, "POST", IAM)[0]
    assert "apikey=" + API_KEY in token_call.request.body  # the SDK's own IAM exchange
    assert all(c.request.headers.get("Service-CRN") == CRN for c in _calls(rs, "GET", API))


def test_submit_queue_poll_result_and_reattach_without_resubmitting(account: None, rs: Any) -> None:
    _record_start_up(rs)
    rs.post(f"{API}/sessions", json={"id": SESSION, "mode": "dedicated", "max_ttl": 28800})
    rs.post(f"{API}/jobs", json={"id": JOB, "backend": "ibm_brisbane"})
    rs.get(f"{API}/jobs/{JOB}", json=_job("Queued", session_id=SESSION))
    rs.get(f"{API}/jobs/{JOB}/metrics", json={"position_in_queue": 3, "usage": {}})
    drv = _driver(hybrid_mode="session")
    started = drv.start_execution(ExecutionItem("job-1", DEVICE, BELL, 1000, seed=None))
    assert started.vendor_job_id == JOB and started.execution_id == f"ibm:ibm_brisbane:{JOB}"
    (submit,) = _calls(rs, "POST", f"{API}/jobs")
    body = json.loads(submit.request.body)
    assert body["program_id"] == "sampler" and body["backend"] == "ibm_brisbane"
    assert body["session_id"] == SESSION  # the job's Session (hybrid_mode=session)
    (pub,) = body["params"]["pubs"]  # (circuit in QPY, parameter values, shots)
    assert pub[0]["__type__"] == "QuantumCircuit" and pub[-1] == 1000
    (create,) = _calls(rs, "POST", f"{API}/sessions")
    assert json.loads(create.request.body)["mode"] == "dedicated"

    queued = drv.await_execution(DEVICE, started.execution_id, 0)
    assert not queued.done and queued.vendor_status == "QUEUED" and queued.queue_position == 3

    # a restart: a new driver re-attaches by the execution id, never posts the job again
    rs.replace(responses.GET, f"{API}/jobs/{JOB}", json=_job("Completed", session_id=SESSION))
    rs.get(f"{API}/jobs/{JOB}/results", body=_bell_result({"00": 507, "11": 493}))
    rs.get(f"{API}/jobs/{JOB}/metrics", json={"usage": {"quantum_seconds": 2, "seconds": 2}})
    restarted = _driver()
    submits_before = len(_calls(rs, "POST", f"{API}/jobs"))
    done = restarted.await_execution(DEVICE, started.execution_id, 30)
    assert done.done and done.result is not None
    assert done.result.counts == {"00": 507, "11": 493}
    assert done.result.metadata["vendor_job_id"] == JOB
    assert len(_calls(rs, "POST", f"{API}/jobs")) == submits_before
    drv.close()
    patch = _calls(rs, "PATCH", f"{API}/sessions/{SESSION}")
    assert patch and json.loads(patch[-1].request.body) == {"accepting_jobs": False}


def test_polling_follows_the_job_through_the_queue(account: None, rs: Any) -> None:
    _record_start_up(rs)
    rs.post(f"{API}/jobs", json={"id": JOB, "backend": "ibm_brisbane"})
    for status in ("Queued", "Running", "Completed"):
        rs.get(f"{API}/jobs/{JOB}", json=_job(status))
    rs.get(f"{API}/jobs/{JOB}/metrics", json={"position_in_queue": 1, "usage": {}})
    rs.get(f"{API}/jobs/{JOB}/results", body=_bell_result({"00": 260, "01": 4, "11": 236}))
    drv = _driver(hybrid_mode="none", poll_seconds="0.01")
    result = drv.execute_circuit(DEVICE, BELL, 500, {})
    assert result.counts == {"00": 260, "01": 4, "11": 236}
    assert result.metadata["primitive"] == "SamplerV2"
    assert len(_calls(rs, "GET", f"{API}/jobs/{JOB}")) >= 3


def test_cancel_stops_the_vendor_job(account: None, rs: Any) -> None:
    _record_start_up(rs)
    rs.post(f"{API}/jobs", json={"id": JOB, "backend": "ibm_brisbane"})
    rs.post(f"{API}/jobs/{JOB}/cancel", status=204)
    rs.get(f"{API}/jobs/{JOB}", json=_job("Cancelled"))
    drv = _driver(hybrid_mode="none")
    started = drv.start_execution(ExecutionItem("job-2", DEVICE, BELL, 100))
    assert drv.cancel_execution(DEVICE, "job-2", started.execution_id) is True
    assert len(_calls(rs, "POST", f"{API}/jobs/{JOB}/cancel")) == 1
    with pytest.raises(ExecutionCancelledError):
        drv.await_execution(DEVICE, started.execution_id, 5)


def test_a_vendor_outage_is_unavailable_after_the_sdks_retries(
    account: None, rs: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import urllib3.util.retry

    monkeypatch.setattr(urllib3.util.retry.time, "sleep", lambda s: None)  # its backoff only
    _record_start_up(rs)
    rs.post(f"{API}/jobs", status=503, json={"errors": [{"message": "Service Unavailable"}]})
    drv = _driver(hybrid_mode="none")
    with pytest.raises(BackendUnavailableError) as exc:
        drv.start_execution(ExecutionItem("job-3", DEVICE, BELL, 100))
    assert exc.value.code.name == "UNAVAILABLE"
    assert len(_calls(rs, "POST", f"{API}/jobs")) == 6  # first try + the SDK's 5 retries


def test_an_expired_token_is_device_auth_failed(account: None, rs: Any) -> None:
    _record_start_up(rs)
    rs.post(f"{API}/jobs", json={"id": JOB, "backend": "ibm_brisbane"})
    rs.get(
        f"{API}/jobs/{JOB}",
        status=401,
        json={"errors": [{"code": "unauthorized", "message": "Token has expired"}]},
    )
    drv = _driver(hybrid_mode="none")
    started = drv.start_execution(ExecutionItem("job-4", DEVICE, BELL, 100))
    with pytest.raises(DeviceAuthFailedError) as exc:
        drv.await_execution(DEVICE, started.execution_id, 5)
    assert exc.value.reason == "DEVICE_AUTH_FAILED" and API_KEY not in exc.value.message


def test_a_refused_api_key_makes_the_cloud_offline_with_the_reason(account: None, rs: Any) -> None:
    rs.post(
        IAM,
        status=400,
        json={
            "errorCode": "BXNIM0415E",
            "errorMessage": "Provided API key could not be found.",
            "context": {"requestId": "Njk1Mzc2NjQ"},
        },
    )
    drv = IbmDriver()
    drv.initialize({"fake_backends": "fake_kyiv"})
    devices = {d.device_id: d for d in drv.get_devices()}
    assert devices["ibm.fake_kyiv"].status is DeviceStatus.ONLINE  # offline devices still run
    cloud = devices["ibm.cloud"]
    assert cloud.status is DeviceStatus.OFFLINE
    assert "DEVICE_AUTH_FAILED" in cloud.status_message
    assert API_KEY not in cloud.status_message


@pytest.mark.parametrize(("mode", "vendor_mode"), [("session", "dedicated"), ("batch", "batch")])
def test_a_hybrid_loops_estimates_share_the_jobs_session(
    account: None, rs: Any, mode: str, vendor_mode: str
) -> None:
    """EstimatorV2 jobs of one Eigen OS job go to one Session (or Batch): one POST /sessions
    with the SDK's mode, every job carrying its id."""
    import numpy as np
    from qiskit.primitives import PrimitiveResult, PubResult
    from qiskit.primitives.containers import DataBin
    from qiskit_ibm_runtime.json import RuntimeEncoder

    _record_start_up(rs)
    rs.post(f"{API}/sessions", json={"id": SESSION, "mode": vendor_mode})
    ids = ["d0k3t1rdlklg008fkqc0", "d0k3t2rdlklg008fkqd0"]
    evs = PrimitiveResult(
        [PubResult(DataBin(evs=np.array(0.91), stds=np.array(0.012), shape=()), metadata={})],
        metadata={"version": 2},
    )
    for job_id in ids:
        rs.post(
            f"{API}/jobs",
            json={"id": job_id, "backend": "ibm_brisbane"},
            match=[matchers.json_params_matcher({"session_id": SESSION}, strict_match=False)],
        )
        rs.get(f"{API}/jobs/{job_id}", json=_job("Completed", id=job_id, session_id=SESSION))
        rs.get(f"{API}/jobs/{job_id}/results", body=json.dumps(evs, cls=RuntimeEncoder))
    drv = _driver(hybrid_mode=mode)
    ansatz = aqo_circuit(
        2, 0, [{"op": "RY", "q": [0], "params": ["t"]}, {"op": "CX", "q": [0, 1]}], ["t"]
    )
    with for_job("vqe-1"):
        for theta in (0.1, 0.2):
            out = drv.estimate_expectation_values(
                DEVICE, ansatz, [("ZZ", 1.0)], [{"t": theta}], 1000, {}
            )
            assert (
                out.values == [pytest.approx(0.91)] and out.metadata["primitive"] == "EstimatorV2"
            )
    (create,) = _calls(rs, "POST", f"{API}/sessions")
    assert json.loads(create.request.body)["mode"] == vendor_mode
    bodies = [json.loads(c.request.body) for c in _calls(rs, "POST", f"{API}/jobs")]
    assert [b["program_id"] for b in bodies] == ["estimator", "estimator"]
    assert all(b["session_id"] == SESSION for b in bodies)
    assert drv.cancel_execution(DEVICE, "vqe-1", "") is True  # closes the loop's session


def test_a_job_the_vendor_failed_reports_its_reason(account: None, rs: Any) -> None:
    _record_start_up(rs)
    rs.post(f"{API}/jobs", json={"id": JOB, "backend": "ibm_brisbane"})
    rs.get(f"{API}/jobs/{JOB}", json=_job("Failed"))
    rs.get(f"{API}/jobs/{JOB}/results", body="Error code 1517; internal error")
    drv = _driver(hybrid_mode="none")
    started = drv.start_execution(ExecutionItem("job-5", DEVICE, BELL, 100))
    with pytest.raises(FailedPreconditionError) as exc:
        drv.await_execution(DEVICE, started.execution_id, 5)
    assert exc.value.reason == "VENDOR_JOB_FAILED" and "1517" in exc.value.message
