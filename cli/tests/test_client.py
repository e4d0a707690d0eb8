"""The SDK clients against the real in-process stack (configuration tests need no server)."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest

from cli.tests.conftest import (
    ADMIN_TOKEN,
    BELL_QASM,
    READONLY_TOKEN,
    Api,
    cancel_quietly,
    running_stack,
    submit_long_job,
)
from eigen.api.v1 import common_pb2, job_pb2
from eigen_common.errors import (
    DeviceNotFoundError,
    InvalidArgumentError,
    JobNotFoundError,
    PermissionDeniedError,
    ResultsNotReadyError,
    TargetNotFoundError,
    UnauthenticatedError,
)
from eigen_os.client import (
    DEFAULT_ENDPOINT,
    AsyncEigenClient,
    ConfigError,
    ConnectionFailedError,
    EigenClient,
    WaitTimeoutError,
    parse_state,
    resolve_config,
)
from eigen_os.jobspec import JobSpec
from eigen_os.results import JobResult, JobStatus

BELL = JobSpec(
    name="bell", program=BELL_QASM, language="qasm2", target="sim:local", shots=10, seed=3
)
TERMINAL = {
    job_pb2.JOB_STATUS_DONE,
    job_pb2.JOB_STATUS_ERROR,
    job_pb2.JOB_STATUS_CANCELLED,
    job_pb2.JOB_STATUS_TIMEOUT,
}


# --- configuration precedence ----------------------------------------------------------------


def write_config(home: Path, text: str) -> None:
    cfg = home / ".config" / "eigen"
    cfg.mkdir(parents=True, exist_ok=True)
    (cfg / "config.toml").write_text(text)


def test_defaults_without_anything(isolated_env: Path) -> None:
    cfg = resolve_config()
    assert cfg.endpoint == DEFAULT_ENDPOINT == "127.0.0.1:50051"
    assert cfg.token is None


def test_precedence_args_env_file_home(
    isolated_env: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    eigen_home = tmp_path / "eigen-home"
    eigen_home.mkdir()
    (eigen_home / "token").write_text("home-token\n")
    (eigen_home / "stack.json").write_text(json.dumps({"endpoint": "127.0.0.1:6001"}))
    cfg = resolve_config()
    assert (cfg.endpoint, cfg.token) == ("127.0.0.1:6001", "home-token")

    write_config(isolated_env, 'endpoint = "file:1"\ntoken = "file-token"\n')
    cfg = resolve_config()
    assert (cfg.endpoint, cfg.token) == ("file:1", "file-token")
    assert cfg.token_source.endswith("config.toml")

    monkeypatch.setenv("EIGEN_ENDPOINT", "env:2")
    monkeypatch.setenv("EIGEN_TOKEN", "env-token")
    cfg = resolve_config()
    assert (cfg.endpoint, cfg.token) == ("env:2", "env-token")

    cfg = resolve_config("arg:3", "arg-token")
    assert (cfg.endpoint, cfg.token) == ("arg:3", "arg-token")


def test_bad_config_file_is_a_config_error(isolated_env: Path) -> None:
    write_config(isolated_env, "endpoint = [1, 2]\n")
    with pytest.raises(ConfigError, match="must be a string"):
        resolve_config()
    write_config(isolated_env, "endpoint = \n")
    with pytest.raises(ConfigError, match="cannot read config"):
        resolve_config()


def test_tls_scheme() -> None:
    cfg = resolve_config("https://api.example:443", "t")
    assert cfg.tls and cfg.target == "api.example:443"
    assert not resolve_config("127.0.0.1:1", "t").tls


def test_parse_state() -> None:
    assert parse_state("done") == job_pb2.JOB_STATUS_DONE
    assert parse_state("JOB_STATUS_ERROR") == job_pb2.JOB_STATUS_ERROR
    assert parse_state(3) == job_pb2.JOB_STATUS_RUNNING
    with pytest.raises(InvalidArgumentError, match="one of"):
        parse_state("finished")
    with pytest.raises(InvalidArgumentError):
        parse_state(0)


# --- calls against the real stack ------------------------------------------------------------


def test_submit_wait_results_with_token(api: Api) -> None:
    with EigenClient(api.endpoint, ADMIN_TOKEN) as c:
        job_id = c.submit(BELL)
        job = c.wait(job_id, timeout=60)
        assert job.state == job_pb2.JOB_STATUS_DONE
        res = c.results(job_id)
    assert set(res.counts) <= {"00", "11"} and sum(res.counts.values()) == 10
    assert res.metadata["seed"] == "3" and res.metadata["shots"] == "10"
    sub = api.submission(job_id)
    assert (sub.shots, sub.seed, sub.language) == (10, 3, "qasm")
    assert api.source(job_id) == BELL_QASM


def test_same_seed_same_counts(api: Api) -> None:
    spec = BELL.model_copy(update={"shots": 2000, "seed": 77})
    with api.client() as c:
        ids = [c.submit(spec) for _ in range(2)]
        counts = [dict(c.results(c.wait(j, timeout=60).job_id).counts) for j in ids]
    assert counts[0] == counts[1] and sum(counts[0].values()) == 2000


def test_tokens_are_checked(api: Api) -> None:
    with EigenClient(api.endpoint, "nope") as c, pytest.raises(UnauthenticatedError):
        c.submit(BELL)
    with EigenClient(api.endpoint, None) as c, pytest.raises(UnauthenticatedError):
        c.devices()
    with EigenClient(api.endpoint, READONLY_TOKEN) as c:
        assert c.devices()  # a reader may look
        with pytest.raises(PermissionDeniedError):
            c.submit(BELL)


def test_typed_errors(api: Api, long_job: str) -> None:
    with api.client() as c:
        with pytest.raises(JobNotFoundError):
            c.status("missing")
        with pytest.raises(TargetNotFoundError, match=r"available targets: .*sim:local"):
            c.submit(BELL.model_copy(update={"target": "qpu:nowhere"}))
        with pytest.raises(ResultsNotReadyError) as ei:
            c.results(long_job)
        assert ei.value.reason == "RESULTS_NOT_READY"
        with pytest.raises(DeviceNotFoundError):
            c.device("nope")
        with pytest.raises(InvalidArgumentError) as bad:
            c.submit(job_pb2.SubmitJobRequest(name="no program", target="sim:local"))
        assert bad.value.violations  # BadRequest field violations, all at once


def test_connection_refused_is_connection_failed(unused_port: int) -> None:
    port = unused_port
    with (
        EigenClient(f"127.0.0.1:{port}", "t", timeout=5) as c,
        pytest.raises(ConnectionFailedError, match=f"127.0.0.1:{port}"),
    ):
        c.status("x")


def test_stream_resumes_after_the_api_restarts_without_duplicates(tmp_path: Path) -> None:
    with running_stack(tmp_path) as a:
        job_id = submit_long_job(a)
        seqs: list[int] = []
        restarted = threading.Event()
        with a.client() as c:
            try:
                for u in c.stream_updates(job_id, timeout=60):
                    seqs.append(u.event_seq)
                    if len(seqs) == 10:
                        a.restart_api()  # the open stream breaks with UNAVAILABLE
                        restarted.set()
                    if len(seqs) == 40:
                        c.cancel(job_id, "seen enough")
            finally:
                cancel_quietly(a, job_id)
            final = c.status(job_id)
    assert restarted.is_set()
    assert seqs == list(range(1, len(seqs) + 1))  # each event once, none skipped
    assert seqs[-1] == final.last_event_seq and final.state == job_pb2.JOB_STATUS_CANCELLED


def test_stream_from_last_event_seq(api: Api) -> None:
    with api.client() as c:
        job_id = c.submit(BELL)
        job = c.wait(job_id, timeout=60)
        last = job.last_event_seq
        updates = list(c.stream_updates(job_id, last_event_seq=last - 1, timeout=10))
        assert [(u.event_seq, u.terminal) for u in updates] == [(last, True)]
        # resuming after the terminal event: nothing left, and no reconnect loop
        assert list(c.stream_updates(job_id, last_event_seq=last, timeout=10)) == []


def test_wait_follows_live_events_and_times_out(api: Api, long_job: str) -> None:
    with api.client() as c:
        with pytest.raises(WaitTimeoutError) as ei:
            c.wait(long_job, timeout=0.5)
        assert ei.value.job_id == long_job
        assert ei.value.last_update is not None
        assert ei.value.last_update.state == job_pb2.JOB_STATUS_RUNNING
        # a job waiting for the long one, followed live while the long one is cancelled
        dependent = c.submit(BELL.model_copy(update={"dependencies": [long_job]}))
        it = c.stream_updates(dependent, timeout=60)
        first = next(it)
        assert first.event_seq == 1 and not first.terminal
        c.cancel(long_job, "release the dependent")
        rest = list(it)
    assert [u.event_seq for u in rest] == list(range(2, len(rest) + 2))
    assert rest[-1].terminal and rest[-1].state == job_pb2.JOB_STATUS_ERROR
    with api.client() as c:
        assert c.results(dependent).error_code == "DEPENDENCY_FAILED"


def test_list_jobs_pages_and_filters(tmp_path: Path) -> None:
    with running_stack(tmp_path) as a, a.client() as c:
        done = [c.submit(BELL.model_copy(update={"name": f"d{i}"})) for i in range(5)]
        for j in done:
            c.wait(j, timeout=60)
        running = submit_long_job(a, "r")
        try:
            all_done = list(c.list_jobs(["done"], page_size=2))
            first3 = list(c.list_jobs(limit=3, page_size=2))
            page = c.list_jobs_page(page_size=4)
        finally:
            cancel_quietly(a, running)
    assert [j.job_id for j in all_done] == list(reversed(done))
    assert [j.job_id for j in first3] == [running, done[4], done[3]]
    assert len(page.jobs) == 4 and page.next_page_token


def test_devices_and_compile(api: Api) -> None:
    with api.client() as c:
        assert "aer.automatic" in [d.device_id for d in c.devices()]
        assert c.device("sim:local").max_qubits == 30
        status = c.device_status("aer.automatic")
        assert status.status == 1 and status.device_id == "aer.automatic"  # ONLINE
        out = c.compile(BELL)
        assert out.metadata.logical_qubits == 2 and out.metadata.gate_count == 2
        assert c.validate(BELL).valid
        broken = BELL.model_copy(update={"program": "OPENQASM 2.0;\nqreg q[2\n"})
        v = c.validate(broken)
        assert not v.valid and v.diagnostics[0].line == 2
        optimized = c.optimize(out.aqo_json, optimization_level=0)
        assert optimized.metadata.logical_qubits == 2


async def test_async_client(api: Api) -> None:
    async with AsyncEigenClient(api.endpoint, ADMIN_TOKEN) as c:
        job_id = await c.submit(BELL)
        seqs = [u.event_seq async for u in c.stream_updates(job_id, timeout=60)]
        job = await c.wait(job_id, timeout=60)
        res = await c.results(job_id)
        jobs = [j.job_id async for j in c.list_jobs(limit=5)]
        with pytest.raises(JobNotFoundError):
            await c.status("missing")
        devices = await c.devices()
    assert seqs == list(range(1, job.last_event_seq + 1))
    assert job.state is JobStatus.DONE and isinstance(res, JobResult)
    assert sum(res.get_counts().values()) == 10 and res.proto.job_id == job_id
    assert jobs[0] == job_id
    assert any(d.device_id == "aer.automatic" for d in devices)


async def test_async_stream_resumes(tmp_path: Path) -> None:
    with running_stack(tmp_path) as a:
        job_id = submit_long_job(a)
        seqs: list[int] = []
        try:
            async with AsyncEigenClient(a.endpoint, ADMIN_TOKEN) as c:
                async for u in c.stream_updates(job_id, timeout=60):
                    seqs.append(u.event_seq)
                    if len(seqs) == 5:
                        a.restart_api()
                    if len(seqs) == 30:
                        await c.cancel(job_id)
                final = await c.status(job_id)
        finally:
            cancel_quietly(a, job_id)
    assert seqs == list(range(1, len(seqs) + 1))
    assert final.state in TERMINAL and seqs[-1] == final.last_event_seq


def test_submit_request_message(api: Api) -> None:
    req = job_pb2.SubmitJobRequest(
        name="raw",
        target="sim:local",
        qasm=common_pb2.QasmSource(source=BELL_QASM, version="2"),
        shots=5,
        seed=1,
    )
    with api.client() as c:
        job_id = c.submit(req, idempotency_key="raw-key-1")
        again = c.submit_job(req, idempotency_key="raw-key-1")
        assert again.job_id == job_id and again.deduplicated
        assert sum(c.results(c.wait(job_id, timeout=60).job_id).counts.values()) == 5
