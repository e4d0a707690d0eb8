from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from eigen.api.v1 import job_pb2
from eigen_common.errors import (
    DeviceNotFoundError,
    InvalidArgumentError,
    JobNotFoundError,
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

if TYPE_CHECKING:
    from conftest import FakeApi

BELL = JobSpec(name="bell", program="h(0)", target="sim:local", shots=10, seed=3)


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


# --- calls against the fake API --------------------------------------------------------------


def test_submit_wait_results_and_auth_header(fake_api: FakeApi) -> None:
    fake_api.state.required_token = "s3cret"
    with EigenClient(fake_api.endpoint, "s3cret") as c:
        job_id = c.submit(BELL)
        job = c.wait(job_id, timeout=10)
        assert job.state == job_pb2.JOB_STATUS_DONE
        res = c.results(job_id)
    assert dict(res.counts) == {"00": 5, "11": 5}
    req = fake_api.state.requests[-1]
    assert (req.shots, req.seed, req.eigen_lang.source) == (10, 3, "h(0)")
    assert all(md.get("authorization") == "Bearer s3cret" for md in fake_api.state.metadata)


def test_wrong_token_is_unauthenticated(fake_api: FakeApi) -> None:
    fake_api.state.required_token = "s3cret"
    with EigenClient(fake_api.endpoint, "nope") as c, pytest.raises(UnauthenticatedError):
        c.submit(BELL)


def test_typed_errors(fake_api: FakeApi) -> None:
    with EigenClient(fake_api.endpoint, "t") as c:
        with pytest.raises(JobNotFoundError):
            c.status("missing")
        with pytest.raises(TargetNotFoundError, match="available targets: sim:local"):
            c.submit(BELL.model_copy(update={"target": "qpu:nowhere"}))
        held = c.submit(BELL.model_copy(update={"program": "HOLD"}))
        with pytest.raises(ResultsNotReadyError):
            c.results(held)
        with pytest.raises(DeviceNotFoundError):
            c.device("nope")


def test_connection_refused_is_connection_failed(unused_port: int) -> None:
    port = unused_port
    with (
        EigenClient(f"127.0.0.1:{port}", "t", timeout=5) as c,
        pytest.raises(ConnectionFailedError, match=f"127.0.0.1:{port}"),
    ):
        c.status("x")


def test_stream_resumes_after_unavailable_without_duplicates(fake_api: FakeApi) -> None:
    jid = fake_api.call(
        fake_api.state.add_job,
        states=(
            job_pb2.JOB_STATUS_COMPILING,
            job_pb2.JOB_STATUS_QUEUED,
            job_pb2.JOB_STATUS_RUNNING,
            job_pb2.JOB_STATUS_DONE,
        ),
    )
    fake_api.state.flaky_after[jid] = 2
    with EigenClient(fake_api.endpoint, "t") as c:
        seqs = [u.event_seq for u in c.stream_updates(jid, timeout=10)]
    assert seqs == [1, 2, 3, 4]
    assert fake_api.state.stream_calls == [(jid, 0), (jid, 2)]


def test_stream_from_last_event_seq(fake_api: FakeApi) -> None:
    jid = fake_api.call(
        fake_api.state.add_job,
        states=(job_pb2.JOB_STATUS_COMPILING, job_pb2.JOB_STATUS_ERROR),
    )
    with EigenClient(fake_api.endpoint, "t") as c:
        updates = list(c.stream_updates(jid, last_event_seq=1, timeout=10))
    assert [(u.event_seq, u.terminal) for u in updates] == [(2, True)]
    with EigenClient(fake_api.endpoint, "t") as c:
        # resuming after the terminal event: nothing left, and no reconnect loop
        assert list(c.stream_updates(jid, last_event_seq=2, timeout=10)) == []
    assert fake_api.state.stream_calls[-1] == (jid, 2)
    assert len(fake_api.state.stream_calls) == 2


def test_wait_follows_live_events_and_times_out(fake_api: FakeApi) -> None:
    jid = fake_api.call(fake_api.state.add_job, states=(job_pb2.JOB_STATUS_QUEUED,))
    with EigenClient(fake_api.endpoint, "t") as c:
        with pytest.raises(WaitTimeoutError) as ei:
            c.wait(jid, timeout=0.6)
        assert ei.value.job_id == jid
        assert ei.value.last_update is not None
        assert ei.value.last_update.state == job_pb2.JOB_STATUS_QUEUED
        # a job that finishes while we follow it
        it = c.stream_updates(jid, timeout=10)
        assert next(it).event_seq == 1
        fake_api.call(fake_api.state.advance, jid, job_pb2.JOB_STATUS_RUNNING)
        fake_api.call(fake_api.state.advance, jid, job_pb2.JOB_STATUS_DONE)
        rest = list(it)
    assert [(u.event_seq, u.state) for u in rest] == [
        (2, job_pb2.JOB_STATUS_RUNNING),
        (3, job_pb2.JOB_STATUS_DONE),
    ]


def test_list_jobs_pages_and_filters(fake_api: FakeApi) -> None:
    done = [
        fake_api.call(fake_api.state.add_job, f"d{i}", states=(job_pb2.JOB_STATUS_DONE,))
        for i in range(5)
    ]
    fake_api.call(fake_api.state.add_job, "q", states=(job_pb2.JOB_STATUS_QUEUED,))
    with EigenClient(fake_api.endpoint, "t") as c:
        all_done = list(c.list_jobs(["done"], page_size=2))
        first3 = list(c.list_jobs(limit=3, page_size=2))
    assert [j.job_id for j in all_done] == list(reversed(done))
    assert len(first3) == 3 and first3[0].name == "q"


def test_devices_reserve_compile(fake_api: FakeApi) -> None:
    with EigenClient(fake_api.endpoint, "t") as c:
        assert [d.device_id for d in c.devices()] == ["aer.automatic"]
        assert c.device("sim:local").max_qubits == 30
        assert c.device_status("aer.automatic").message == "idle"
        r = c.reserve("sim:local", 60)
        assert r.reservation_id == "res-aer.automatic-60"
        out = c.compile(BELL)
        assert out.metadata.logical_qubits == 2
        assert c.validate(BELL).valid


async def test_async_client(fake_api: FakeApi) -> None:
    fake_api.state.required_token = "tok"
    async with AsyncEigenClient(fake_api.endpoint, "tok") as c:
        jid = await c.submit(BELL)
        seqs = [u.event_seq async for u in c.stream_updates(jid, timeout=10)]
        job = await c.wait(jid, timeout=10)
        res = await c.results(jid)
        jobs = [j.job_id async for j in c.list_jobs(limit=5)]
        with pytest.raises(JobNotFoundError):
            await c.status("missing")
    assert seqs == [1, 2, 3, 4]
    assert job.state == job_pb2.JOB_STATUS_DONE
    assert sum(res.counts.values()) == 10
    assert jobs == [jid]


async def test_async_stream_resumes(fake_api: FakeApi) -> None:
    jid = fake_api.call(
        fake_api.state.add_job,
        states=(job_pb2.JOB_STATUS_COMPILING, job_pb2.JOB_STATUS_RUNNING, job_pb2.JOB_STATUS_DONE),
    )
    fake_api.state.flaky_after[jid] = 1
    async with AsyncEigenClient(fake_api.endpoint, "t") as c:
        seqs = [u.event_seq async for u in c.stream_updates(jid, timeout=10)]
    assert seqs == [1, 2, 3]
    assert fake_api.state.stream_calls == [(jid, 0), (jid, 1)]
