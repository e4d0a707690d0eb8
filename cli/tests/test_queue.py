"""Reservations and the explained queue (SPEC §12, issue 8) through the ``eigen`` CLI and the
SDK, against the real in-process stack (``sim:local`` has two slots).

The queue is built deterministically: both slots are reserved first, so every job without a
reservation waits; the tests then wait on the jobs' own event streams (or the lines ``eigen
watch`` prints), never on time.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from rich.console import Console

from cli.tests.conftest import BELL_QASM, EXAMPLES, OTHER_TOKEN, Api, running_stack
from eigen.api.v1 import device_pb2
from eigen_common.errors import NotFoundError
from eigen_os.cli.jobs import follow_job
from eigen_os.cli.queue import format_wait, ordinal
from eigen_os.client import EigenClient
from eigen_os.jobspec import JobSpec
from eigen_os.results import JobStatus, WaitingReason

BELL_YAML = EXAMPLES / "bell" / "job.yaml"
BELL = JobSpec(name="q", program=BELL_QASM, language="qasm2", target="sim:local", shots=16, seed=2)


def ok(r: Result) -> Result:
    assert r.exit_code == 0, r.output
    return r


def as_json(r: Result) -> Any:
    return json.loads(ok(r).stdout)


def wait_queued(c: EigenClient, job_id: str) -> None:
    """Follow the job's events until it is QUEUED (a terminal event first is a failure)."""
    for u in c.stream_updates(job_id, timeout=60):
        assert not u.terminal, f"{job_id} ended {u.state.name}: {u.message}"
        if u.state is JobStatus.QUEUED:
            return


# --- reservations ----------------------------------------------------------------------------


def test_reserve_list_use_and_cancel(fresh_api: Api, tmp_path: Path) -> None:
    a = fresh_api
    data = as_json(a.cli("reserve", "sim:local", "--ttl", "600", "--purpose", "cal", "--json"))
    first = data["reservation_id"]
    assert data["device_id"] == "aer.automatic" and data["reservation"]["purpose"] == "cal"
    starts = dt.datetime.fromisoformat(data["starts_at"])
    expires = dt.datetime.fromisoformat(data["expires_at"])
    assert (expires - starts).total_seconds() == pytest.approx(600, abs=2)
    r = ok(a.cli("reserve", "aer.automatic", "--ttl", "120"))
    head = r.stdout.splitlines()[0].split()
    assert head[0] == "reservation" and head[2:] == ["on", "aer.automatic", "ACTIVE"]
    second = head[1]
    assert "starts_at" in r.stdout and "expires_at" in r.stdout and "(in " in r.stdout
    assert f"eigen submit --reservation {second}" in r.stdout

    # both slots are held now: nothing left to reserve (exit 2), and the device says so
    r = a.cli("reserve", "sim:local", "--ttl", "60", "--json")
    assert r.exit_code == 2, r.output
    err = json.loads(r.stderr)["error"]
    assert (err["code"], err["reason"]) == ("RESOURCE_EXHAUSTED", "NO_SLOTS")
    dev = as_json(a.cli("device", "sim:local", "--json"))["device"]
    assert (dev["slots"], dev["reserved_slots"]) == (2, 2)
    assert "2 (2 reserved)" in ok(a.cli("devices")).stdout

    listed = as_json(a.cli("reservations", "--json"))["reservations"]
    assert {x["reservation_id"] for x in listed} == {first, second}
    assert {x["state"] for x in listed} == {"RESERVATION_STATE_ACTIVE"}
    table = ok(a.cli("reservations")).stdout
    assert first in table and second in table and "ACTIVE" in table and "cal" in table

    # another tenant sees none of them, and cannot cancel or use one (not found: exit 2)
    assert "no active reservations" in ok(a.cli("reservations", token=OTHER_TOKEN)).stdout
    r = a.cli("reservation", "cancel", first, "--json", token=OTHER_TOKEN)
    assert r.exit_code == 2
    assert json.loads(r.stderr)["error"]["reason"] == "RESERVATION_NOT_FOUND"
    r = a.cli("submit", "--job", str(BELL_YAML), "--reservation", first, token=OTHER_TOKEN)
    assert r.exit_code == 2 and first in r.stderr, r.output
    with a.client(OTHER_TOKEN) as c, pytest.raises(NotFoundError) as ei:
        c.cancel_reservation(second)
    assert ei.value.reason == "RESERVATION_NOT_FOUND"

    # the owner runs jobs in them: --reservation, and spec.reservation_id in a job.yaml
    done = as_json(
        a.cli("submit", "--job", str(BELL_YAML), "--reservation", first, "--wait", "--json")
    )
    assert done["state"] == "JOB_STATUS_DONE" and done["job"]["reservation_id"] == first
    job_yaml = tmp_path / "job.yaml"
    (tmp_path / "bell.qasm").write_text(BELL_QASM)
    job_yaml.write_text(
        "apiVersion: eigen.os/v0.1\nkind: QuantumJob\nmetadata: {name: in-resv}\n"
        f"spec: {{program_path: bell.qasm, target: sim:local, reservation_id: {second}}}\n"
    )
    done = as_json(a.cli("submit", "--job", str(job_yaml), "--wait", "--json"))
    assert done["job"]["reservation_id"] == second
    status = ok(a.cli("status", done["job_id"])).stdout.splitlines()
    assert ["reservation", second] in [ln.split() for ln in status]
    done = as_json(a.cli("submit", "--job", str(job_yaml), "--reservation", first, "--json"))
    assert a.submission(done["job_id"]).reservation_id == first  # the flag wins

    # cancelling ends them; --all still lists them
    r = as_json(a.cli("reservation", "cancel", first, "--json"))
    assert r["reservation"]["state"] == "RESERVATION_STATE_CANCELLED"
    r = ok(a.cli("reservation", "cancel", second))
    assert r.stdout.splitlines()[0].endswith("CANCELLED")
    assert as_json(a.cli("reservations", "--json"))["reservations"] == []
    ended = as_json(a.cli("reservations", "--all", "--json"))["reservations"]
    assert {x["state"] for x in ended} == {"RESERVATION_STATE_CANCELLED"} and len(ended) == 2
    assert "CANCELLED" in ok(a.cli("reservations", "--all")).stdout
    with a.client() as c:
        assert c.list_reservations() == []
        assert {x.reservation_id for x in c.list_reservations(include_ended=True)} == {
            first,
            second,
        }
        assert c.reserve("sim:local", 30).reservation.state == device_pb2.RESERVATION_STATE_ACTIVE


# --- the explained queue ---------------------------------------------------------------------


class Sink(io.StringIO):
    """A console file that lets a test wait until something was printed."""

    def __init__(self) -> None:
        super().__init__()
        self._cond = threading.Condition()

    def write(self, s: str) -> int:
        with self._cond:
            n = super().write(s)
            self._cond.notify_all()
            return n

    def wait_for(self, pred: Callable[[str], bool], timeout: float = 60) -> None:
        with self._cond:
            assert self._cond.wait_for(lambda: pred(self.getvalue()), timeout), self.getvalue()


def test_status_list_and_watch_explain_the_queue(tmp_path: Path) -> None:
    with running_stack(tmp_path) as a, a.client() as c:
        holds = [c.reserve("sim:local", 600, "hold").reservation_id for _ in range(2)]
        first = c.submit(BELL.model_copy(update={"name": "first"}))
        second = c.submit(BELL.model_copy(update={"name": "second"}))
        for job_id in (first, second):
            wait_queued(c, job_id)
        after = c.submit(BELL.model_copy(update={"name": "after", "dependencies": [second]}))
        wait_queued(c, after)

        job = c.status(second)
        assert (job.queue_position, job.waiting_reason) == (2, WaitingReason.DEVICE)
        assert job.estimated_wait_sec > 0 and job.waiting
        assert job.message.startswith("2nd in line for aer.automatic, about ")
        text = ok(a.cli("status", second)).stdout
        assert "waiting_reason  DEVICE" in text and "queue_position  2 (2nd in line)" in text
        assert f"estimated_wait  {job.estimated_wait_sec} s" in text
        assert "2nd in line for aer.automatic" in text
        data = as_json(a.cli("status", second, "--json"))
        assert (data["queue_position"], data["waiting_reason"]) == (2, "WAITING_REASON_DEVICE")
        assert data["estimated_wait_sec"] == job.estimated_wait_sec
        dep = as_json(a.cli("status", after, "--json"))
        assert (dep["queue_position"], dep["waiting_reason"]) == (0, "WAITING_REASON_DEPENDENCY")

        rows = {ln.split()[1]: ln for ln in ok(a.cli("list")).stdout.splitlines()[1:]}
        assert "#1 device, about" in rows["first"] and "#2 device, about" in rows["second"]
        assert "dependency" in rows["after"]
        listed = {j["name"]: j for j in as_json(a.cli("list", "--json"))["jobs"]}
        assert listed["second"]["queue_position"] == 2
        assert listed["after"]["waiting_reason"] == "WAITING_REASON_DEPENDENCY"

        # `eigen watch --json` of a waiting job: its events carry the queue (heartbeats only
        # when the queue moves); it gives up after the wait timeout (exit 4), the job stays
        r = a.cli("watch", second, "--json", "--wait-timeout", "1")
        assert r.exit_code == 4, r.output
        events = [json.loads(line) for line in r.stdout.splitlines()]
        queued = [e for e in events if e["state"] == "JOB_STATUS_QUEUED" and not e["heartbeat"]]
        assert queued[-1]["queue_position"] == 2
        assert queued[-1]["waiting_reason"] == "WAITING_REASON_DEVICE"

        # `eigen watch` (lines): the queued event, then a heartbeat line when `first` leaves
        sink = Sink()
        console = Console(file=sink, width=160, highlight=False, markup=False)
        final: list[Any] = []

        def watch() -> None:
            with a.client() as wc:
                final.append(follow_job(wc, second, console, as_json=False, timeout=120))

        watcher = threading.Thread(target=watch)
        watcher.start()
        try:
            sink.wait_for(lambda out: "2nd in line for aer.automatic" in out)
            c.cancel(first, "make room")
            sink.wait_for(lambda out: "1st in line for aer.automatic" in out)
        finally:
            for rid in holds:
                c.cancel_reservation(rid)
            watcher.join(120)
        assert final and final[0].state is JobStatus.DONE
        lines = sink.getvalue().splitlines()
        moved = [ln for ln in lines if "1st in line for aer.automatic" in ln]
        assert moved[0].startswith("~") and "QUEUED" in moved[0]  # a heartbeat, no new event
        assert lines[-1].startswith("#") and "DONE" in lines[-1]
        assert c.wait(after, timeout=60).state is JobStatus.DONE


def test_live_display_on_a_terminal(api: Api) -> None:
    """The progress bar (a terminal) follows a job to its end and hands back the final job."""
    sink = Sink()
    console = Console(file=sink, width=120, force_terminal=True, markup=False)
    with api.client() as c:
        job_id = c.submit(BELL)
        job = follow_job(c, job_id, console, as_json=False, timeout=60)
        assert job.state is JobStatus.DONE
        assert sum(c.results(job_id).get_counts().values()) == 16
    out = sink.getvalue()
    assert "DONE" in out and "COMPLETED" in out


def test_queue_words() -> None:
    assert [ordinal(n) for n in (1, 2, 3, 4, 11, 12, 13, 21, 22, 101, 111)] == [
        "1st", "2nd", "3rd", "4th", "11th", "12th", "13th", "21st", "22nd", "101st", "111th",
    ]  # fmt: skip
    assert [format_wait(s) for s in (0, 89, 90, 5399, 5400, 7200)] == [
        "about 0 s", "about 89 s", "about 2 min", "about 90 min", "about 1.5 h", "about 2.0 h",
    ]  # fmt: skip
