"""A kernel killed with SIGKILL while jobs are queued and running loses none of them."""

from __future__ import annotations

import secrets

import grpc
import pytest

from eigen.api.v1 import device_pb2_grpc, job_pb2, job_pb2_grpc
from tests.conftest import CORPUS, Api, ProcessStack
from tests.e2e.helpers import TERMINAL, qasm_request, stream, submit

QFT = (CORPUS / "qasmbench" / "medium" / "qft_n18" / "qft_n18.qasm").read_text()
BELL = (CORPUS / "qasmbench" / "small" / "bell_n4" / "bell_n4.qasm").read_text()


@pytest.fixture
def stack(tmp_path):
    s = ProcessStack(tmp_path, secrets.token_urlsafe(16))
    s.start()
    yield s
    s.stop()


@pytest.mark.slow
def test_sigkill_loses_no_accepted_job(stack):
    ch = grpc.insecure_channel(stack.endpoint)
    api = Api(
        ch,
        job_pb2_grpc.JobServiceStub(ch),
        device_pb2_grpc.DeviceServiceStub(ch),
        [("authorization", f"Bearer {stack.token}")],
    )
    ids = []
    for i in range(6):
        ids.append(submit(api, qasm_request(QFT, name=f"heavy{i}", shots=50000, seed=i)))
    for i in range(20):
        ids.append(submit(api, qasm_request(BELL, name=f"light{i}", seed=i)))
    # wait until at least one job is executing, so the kill hits running and queued jobs
    for u in api.jobs.StreamJobUpdates(
        job_pb2.StreamJobUpdatesRequest(job_id=ids[0]), metadata=api.metadata, timeout=60
    ):
        if u.update.state == job_pb2.JOB_STATUS_RUNNING:
            break
    stack.kill_kernel()
    stack.restart_kernel()
    for job_id in ids:
        ups = [u for u in stream(api, job_id, timeout=300) if not u.heartbeat]
        seqs = [u.event_seq for u in ups]
        assert seqs == list(range(1, len(seqs) + 1)), (job_id, seqs)
        terminal = [u for u in ups if u.state in TERMINAL]
        assert len(terminal) == 1 and ups[-1].terminal, (job_id, [u.stage for u in ups])
        assert terminal[0].state == job_pb2.JOB_STATUS_DONE, (job_id, terminal[0].message)
    ch.close()


@pytest.mark.slow
def test_sigterm_drain_and_restart_keeps_public_streams(stack):
    """A graceful kernel restart is invisible to a client streaming through system-api."""
    ch = grpc.insecure_channel(stack.endpoint)
    md = [("authorization", f"Bearer {stack.token}")]
    jobs = job_pb2_grpc.JobServiceStub(ch)
    req = qasm_request(QFT, name="long", shots=3_000_000, seed=3)  # outlasts the 5 s drain
    job_id = jobs.SubmitJob(req, metadata=md, timeout=30).job_id
    seen = []
    restarted = False
    stream_ = jobs.StreamJobUpdates(
        job_pb2.StreamJobUpdatesRequest(job_id=job_id), metadata=md, timeout=300
    )
    for m in stream_:
        seen.append(m.update)
        if m.update.state == job_pb2.JOB_STATUS_RUNNING and not restarted:
            restarted = True
            kernel = stack.services["kernel"].proc
            kernel.terminate()  # SIGTERM: drain, then stop pipelines (states persist)
            assert kernel.wait(30) == 0
            stack.restart_kernel()
            seen.append(job_pb2.JobUpdate(message="--restart--"))
    events = [u for u in seen if u.event_seq and not u.heartbeat]
    assert [u.event_seq for u in events] == sorted({u.event_seq for u in events})
    assert events[-1].terminal and events[-1].state == job_pb2.JOB_STATUS_DONE
    assert restarted and any(u.message == "--restart--" for u in seen)
    messages = [u.message for u in events]
    assert "requeued after kernel restart" in messages, messages  # ran across the restart
    ch.close()
