"""Sharing a device through four real processes (SPEC §12, issue 8): priorities, fair share
between tenants, reservations and an explained queue, driven through the public API.

The device has one slot (``EIGEN_KERNEL_DEVICE_SLOTS=1``); a reservation holds it while the
queue is built, so every job waits and the order in which they then run is the scheduler's.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator

import grpc
import pytest

from eigen.api.v1 import device_pb2, device_pb2_grpc, job_pb2, job_pb2_grpc
from tests.conftest import CORPUS, Api, ProcessStack
from tests.e2e.helpers import call_error, qasm_request, stream, submit

BELL = (CORPUS / "qasmbench" / "small" / "bell_n4" / "bell_n4.qasm").read_text()


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ProcessStack]:
    s = ProcessStack(
        tmp_path_factory.mktemp("sched"),
        secrets.token_urlsafe(16),
        extra_keys={"other-tenant-token": ("bob", ("user",), "other")},
        env={
            "kernel": {"EIGEN_KERNEL_DEVICE_SLOTS": "1"},
            "system-api": {"EIGEN_SYSTEM_API_QUOTA_SUBMIT_RATE": "100000/second"},
        },
    )
    s.start()
    yield s
    s.stop()


def api(stack: ProcessStack, token: str) -> Api:
    ch = grpc.insecure_channel(stack.endpoint)
    return Api(
        ch,
        job_pb2_grpc.JobServiceStub(ch),
        device_pb2_grpc.DeviceServiceStub(ch),
        [("authorization", f"Bearer {token}")],
    )


def wait_queued(a: Api, job_id: str) -> None:
    """Read the job's stream until its QUEUED event (then close the stream)."""
    call = a.jobs.StreamJobUpdates(
        job_pb2.StreamJobUpdatesRequest(job_id=job_id), metadata=a.metadata, timeout=60
    )
    for m in call:
        if m.update.state == job_pb2.JOB_STATUS_QUEUED:
            call.cancel()
            return
    raise AssertionError(f"{job_id} never queued")


def start_times(a: Api, ids: list[str]) -> dict[str, int]:
    """When each job's EXECUTING event was persisted (ns), once it is DONE."""
    when = {}
    for j in ids:
        ups = stream(a, j)
        assert ups[-1].state == job_pb2.JOB_STATUS_DONE, ups[-1].message
        when[j] = next(u.timestamp.ToNanoseconds() for u in ups if u.stage == "EXECUTING")
    return when


def test_priority_fair_share_and_an_explained_queue(stack: ProcessStack) -> None:
    lab, other = api(stack, stack.token), api(stack, "other-tenant-token")
    hold = lab.devices.ReserveDevice(
        device_pb2.ReserveDeviceRequest(device_id="sim:local", ttl_seconds=600, purpose="hold"),
        metadata=lab.metadata,
    )
    low = [submit(lab, qasm_request(BELL, name=f"low{i}", priority=10, seed=i)) for i in range(3)]
    flood = [submit(lab, qasm_request(BELL, name=f"f{i}", priority=10, seed=i)) for i in range(20)]
    high = submit(lab, qasm_request(BELL, name="high", priority=90, seed=7))
    lone = submit(other, qasm_request(BELL, name="lone", priority=0, seed=8))
    try:
        for j in [*low, *flood, high]:
            wait_queued(lab, j)
        wait_queued(other, lone)
        queue_explained(lab, other, high, lone, low)
    finally:
        lab.devices.CancelReservation(
            device_pb2.CancelReservationRequest(reservation_id=hold.reservation_id),
            metadata=lab.metadata,
        )
    when = {**start_times(lab, [high, *low, *flood]), **start_times(other, [lone])}
    order = sorted(when, key=when.__getitem__)
    # priority 90 overtakes the queued priority-10 jobs; the other tenant's single job waits
    # one slot turn, not behind lab's 24; then lab's jobs in arrival order (FIFO)
    assert order == [high, lone, *low, *flood]


def queue_explained(lab: Api, other: Api, high: str, lone: str, low: list[str]) -> None:
    """Where each job stands and why, in words too."""
    for j, who in ((high, lab), (lone, other), (low[0], lab)):
        job = who.jobs.GetJobStatus(
            job_pb2.GetJobStatusRequest(job_id=j), metadata=who.metadata
        ).job
        assert job.state == job_pb2.JOB_STATUS_QUEUED
        assert job.waiting_reason == job_pb2.WAITING_REASON_DEVICE
    high_job = lab.jobs.GetJobStatus(
        job_pb2.GetJobStatusRequest(job_id=high), metadata=lab.metadata
    ).job
    assert high_job.queue_position == 1  # priority 90 first
    assert high_job.message.startswith("1st in line for aer.automatic, about ")
    lone_job = other.jobs.GetJobStatus(
        job_pb2.GetJobStatusRequest(job_id=lone), metadata=other.metadata
    ).job
    assert lone_job.queue_position == 2  # then the other tenant's turn: fair share
    assert lone_job.estimated_wait_sec > 0
    page = lab.jobs.ListJobs(job_pb2.ListJobsRequest(page_size=100), metadata=lab.metadata)
    listed = {j.job_id: j for j in page.jobs}
    assert listed[low[2]].queue_position == 5  # behind high, lone, low0, low1


def test_a_reservation_is_used_by_its_owner_and_refused_to_another_tenant(
    stack: ProcessStack,
) -> None:
    lab, other = api(stack, stack.token), api(stack, "other-tenant-token")
    r = lab.devices.ReserveDevice(
        device_pb2.ReserveDeviceRequest(device_id="aer.automatic", ttl_seconds=120),
        metadata=lab.metadata,
    )
    assert r.reservation.state == device_pb2.RESERVATION_STATE_ACTIVE
    mine = submit(lab, qasm_request(BELL, name="mine", reservation_id=r.reservation_id, seed=1))
    assert stream(lab, mine)[-1].state == job_pb2.JOB_STATUS_DONE
    err = call_error(
        other.jobs.SubmitJob,
        qasm_request(BELL, name="theirs", reservation_id=r.reservation_id),
        other,
    )
    assert err.reason == "RESERVATION_NOT_FOUND"
    err = call_error(
        other.devices.CancelReservation,
        device_pb2.CancelReservationRequest(reservation_id=r.reservation_id),
        other,
    )
    assert err.reason == "RESERVATION_NOT_FOUND"
    mine_list = lab.devices.ListReservations(
        device_pb2.ListReservationsRequest(), metadata=lab.metadata
    )
    assert r.reservation_id in [x.reservation_id for x in mine_list.reservations]
    theirs = other.devices.ListReservations(
        device_pb2.ListReservationsRequest(), metadata=other.metadata
    )
    assert not theirs.reservations
    err = call_error(
        lab.devices.ReserveDevice,
        device_pb2.ReserveDeviceRequest(device_id="aer.automatic", ttl_seconds=60),
        lab,
    )
    assert err.reason == "NO_SLOTS"  # its only slot is held
    lab.devices.CancelReservation(
        device_pb2.CancelReservationRequest(reservation_id=r.reservation_id), metadata=lab.metadata
    )
