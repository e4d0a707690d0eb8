"""EigenClient.submit_many: a burst of jobs from one client with the calls overlapping."""

from __future__ import annotations

import pytest

from cli.tests.conftest import ADMIN_TOKEN, BELL_QASM, Api
from eigen.api.v1 import job_pb2
from eigen_common.errors import TargetNotFoundError
from eigen_os.client import EigenClient
from eigen_os.jobspec import JobSpec

BELL = JobSpec(name="burst", program=BELL_QASM, language="qasm2", target="sim:local", shots=10)


def named(client: EigenClient, name: str) -> list[str]:
    return [j.job_id for j in client.list_jobs() if j.name == name]


def test_ids_come_back_in_submission_order_and_every_job_runs(api: Api) -> None:
    jobs = [BELL.model_copy(update={"seed": 100 + i}) for i in range(25)]
    with EigenClient(api.endpoint, ADMIN_TOKEN) as c:
        ids = c.submit_many(jobs, window=4, name="burst-order")
        assert len(set(ids)) == 25
        assert [api.submission(j).seed for j in ids] == [100 + i for i in range(25)]
        assert {c.wait(j, timeout=120).state for j in ids} == {job_pb2.JOB_STATUS_DONE}
        assert sorted(named(c, "burst-order")) == sorted(ids)


def test_an_invalid_job_submits_nothing(api: Api) -> None:
    with EigenClient(api.endpoint, ADMIN_TOKEN) as c:
        with pytest.raises(TypeError):
            c.submit_many([BELL, BELL, object()], name="burst-invalid")
        assert named(c, "burst-invalid") == []
        with pytest.raises(ValueError, match="window"):
            c.submit_many([BELL], window=0, name="burst-invalid")
        assert named(c, "burst-invalid") == []


def test_a_refused_call_is_raised_typed(api: Api) -> None:
    with EigenClient(api.endpoint, ADMIN_TOKEN) as c, pytest.raises(TargetNotFoundError):
        c.submit_many([BELL, BELL], target="sim:nowhere", name="burst-refused")
