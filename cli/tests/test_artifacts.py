"""Artifacts (SPEC §15, issue 13 item 3) and results that come with the terminal event, through
the real in-process stack: ``eigen artifact``, ``eigen results``' artifact list, the SDK's
``artifacts`` / ``get_artifact`` / ``stream_artifact``, ``include_results``."""

from __future__ import annotations

import io
import json
import math
from pathlib import Path

import numpy as np
import pytest
from click.testing import Result
from prometheus_client import REGISTRY

from cli.tests.conftest import ADMIN_TOKEN, BELL_QASM, EXAMPLES, OTHER_TOKEN, Api
from eigen.api.v1 import common_pb2, job_pb2
from eigen_common.errors import NotFoundError, ResultsNotReadyError
from eigen_os.client import AsyncEigenClient
from eigen_os.jobspec import JobSpec
from eigen_os.results import JobStatus

BELL_YAML = EXAMPLES / "bell" / "job.yaml"
BELL = JobSpec(
    name="bell-art", program=BELL_QASM, language="qasm2", target="sim:local", shots=64, seed=5
)
FORBIDDEN = (
    "from eigen_lang import QubitRegister, h, hybrid_program, measure_all\n"
    "import os\n\n\n"
    '@hybrid_program(target="sim:local")\n'
    "def f():\n"
    "    q = QubitRegister(1)\n"
    "    h(q[0])\n"
    "    measure_all(q)\n"
)


def api_calls(method: str) -> float:
    """Public API calls of ``method`` answered OK so far (the system-api's own metric)."""
    value = REGISTRY.get_sample_value(
        "eigen_api_request_duration_seconds_count", {"method": method, "code": "OK"}
    )
    return value or 0.0


def done_job(api: Api, spec: JobSpec = BELL) -> str:
    with api.client() as c:
        job_id = c.submit(spec)
        assert c.wait(job_id, timeout=60).state is JobStatus.DONE
    return job_id


def ok(r: Result) -> Result:
    assert r.exit_code == 0, r.output
    return r


def test_results_list_artifacts_and_each_one_downloads(api: Api, tmp_path: Path) -> None:
    job_id = done_job(api)
    out = ok(api.cli("results", job_id)).stdout
    assert "artifacts" in out and f"eigen artifact {job_id} NAME" in out
    for name in ("results.json", "events.jsonl", "compiled.aqo.json", "input/program.qasm"):
        assert name in out
    listed = json.loads(ok(api.cli("results", job_id, "--json")).stdout)["artifacts"]
    names = {a["name"]: a for a in listed}
    assert names["results.json"]["ref"] == f"qfs://jobs/{job_id}/results.json"
    assert names["results.json"]["content_type"] == "application/json"

    stdout = ok(api.cli("artifact", job_id, "results.json")).stdout_bytes
    assert len(stdout) == names["results.json"]["size_bytes"]
    with api.client() as c:
        assert json.loads(stdout)["counts"] == c.results(job_id).get_counts()
        assert c.get_artifact(job_id, "results.json") == stdout
        assert {a.name for a in c.artifacts(job_id)} == set(names)
    # the qfs:// reference alone, or as NAME, and -o FILE (stdout stays empty)
    ref = names["events.jsonl"]["ref"]
    events = ok(api.cli("artifact", ref)).stdout
    assert [json.loads(line)["event_seq"] for line in events.splitlines()][:3] == [1, 2, 3]
    target = tmp_path / "out" / "events.jsonl"
    target.parent.mkdir()
    r = ok(api.cli("artifact", job_id, ref, "-o", str(target)))
    assert r.stdout == "" and f"wrote {len(events.encode())} bytes to {target}" in r.stderr
    assert target.read_text() == events
    assert [p.name for p in target.parent.iterdir()] == ["events.jsonl"]  # no temp file left
    program = ok(api.cli("artifact", job_id, "input/program.qasm")).stdout
    assert program == BELL_QASM


def test_binary_artifact_bytes_are_unchanged(api: Api, tmp_path: Path) -> None:
    """``state.npy`` (a saved statevector) through stdout and -o: byte for byte, numpy loads it."""
    req = job_pb2.SubmitJobRequest(
        name="bell-state",
        target="sim:statevector",
        qasm=common_pb2.QasmSource(source=BELL_QASM.replace("measure q -> c;\n", ""), version="2"),
        shots=16,
        seed=1,
        save_state=job_pb2.SAVED_STATE_STATEVECTOR,
    )
    with api.client() as c:
        job_id = c.submit(req)
        assert c.wait(job_id, timeout=60).state is JobStatus.DONE, c.results(job_id).error_summary
        sdk = c.get_artifact(job_id, "state.npy")
        chunks = list(c.stream_artifact(job_id, "state.npy"))
    assert chunks[0].content_type == "application/octet-stream"
    assert chunks[0].total_bytes == len(sdk) == sum(len(ch.chunk) for ch in chunks)
    state = np.load(io.BytesIO(sdk))
    assert np.allclose(state, [1 / math.sqrt(2), 0, 0, 1 / math.sqrt(2)])
    r = ok(api.cli("artifact", job_id, "state.npy"))
    assert r.stdout_bytes == sdk
    path = tmp_path / "state.npy"
    ok(api.cli("artifact", f"qfs://jobs/{job_id}/state.npy", "-o", str(path)))
    assert path.read_bytes() == sdk


def test_error_details_ref_of_a_failed_job_is_served(api: Api, tmp_path: Path) -> None:
    spec = JobSpec(name="forbidden", program=FORBIDDEN, target="sim:local")
    with api.client() as c:
        job_id = c.submit(spec)
        assert c.wait(job_id, timeout=60).state is JobStatus.ERROR
        ref = c.results(job_id).error_details_ref
    assert ref == f"qfs://jobs/{job_id}/error.json"
    record = json.loads(ok(api.cli("artifact", ref)).stdout)
    assert record["error_code"] == "COMPILATION_FAILED"
    assert record["diagnostics"][0]["rule"] == "forbidden-import"


def test_artifact_errors_exit_2_and_leave_no_file(api: Api, tmp_path: Path) -> None:
    job_id = done_job(api)
    (tmp_path / "out").mkdir()
    target = tmp_path / "out" / "nothing.json"
    r = api.cli("artifact", job_id, "nope.json", "-o", str(target))
    assert r.exit_code == 2 and "nope.json" in r.stderr, r.output
    assert list(target.parent.iterdir()) == []  # neither the file nor a temporary one
    r = api.cli("artifact", job_id, "results.json", token=OTHER_TOKEN)  # another tenant's job
    assert r.exit_code == 2 and "not found" in r.stderr, r.output
    r = api.cli("artifact", "results.json")  # neither JOB NAME nor a qfs:// reference
    assert r.exit_code == 2 and "qfs://jobs/JOB/NAME" in r.stderr
    r = api.cli("artifact", job_id, "../../etc/passwd")
    assert r.exit_code == 2, r.output
    with api.client(OTHER_TOKEN) as c, pytest.raises(NotFoundError):
        c.get_artifact(job_id, "results.json")


def test_artifacts_of_a_running_job_are_not_ready(api: Api, long_job: str) -> None:
    with api.client() as c, pytest.raises(ResultsNotReadyError):
        c.artifacts(long_job)
    r = api.cli("artifact", long_job, "events.jsonl")  # events exist while it runs
    assert r.exit_code == 0 and r.stdout.startswith('{"event_seq": 1')


async def test_async_artifacts(api: Api) -> None:
    job_id = done_job(api)
    async with AsyncEigenClient(api.endpoint, ADMIN_TOKEN) as c:
        names = [a.name for a in await c.artifacts(job_id)]
        data = await c.get_artifact(job_id, "results.json")
    assert "results.json" in names and json.loads(data)["metadata"]["shots"] == "64"


# --- results with the terminal event (include_results) ---------------------------------------


def test_wait_brings_the_results_so_results_makes_no_call(api: Api) -> None:
    with api.client() as c:
        job_id = c.submit(BELL)
        before = api_calls("GetJobResults")
        c.wait(job_id, timeout=60)
        res = c.results(job_id)
        assert api_calls("GetJobResults") == before  # no GetJobResults call at all
        again = c.results(job_id)  # asked again: now from the server
        assert api_calls("GetJobResults") == before + 1
    assert res.state is JobStatus.DONE and sum(res.get_counts().values()) == 64
    assert res.get_counts() == again.get_counts() and res.artifacts == again.artifacts


def test_stream_with_results_attaches_them_to_the_terminal_event(api: Api) -> None:
    with api.client() as c:
        job_id = c.submit(BELL)
        events = list(c.stream_updates(job_id, timeout=60, include_results=True))
        plain = list(c.stream_updates(job_id, timeout=60))
        fetched = c.results(job_id)
    assert all(e.results is None for e in events[:-1])
    terminal = events[-1]
    assert terminal.terminal and terminal.results is not None
    assert terminal.results.proto == fetched.proto
    assert plain[-1].terminal and plain[-1].results is None


def test_cli_wait_and_watch_fetch_no_results_separately(api: Api) -> None:
    before = api_calls("GetJobResults")
    r = ok(api.cli("submit", "--job", str(BELL_YAML), "--wait", "--shots", "32"))
    assert "finished: DONE" in r.stdout and "32 shots" in r.stdout
    r = ok(api.cli("submit", "--job", str(BELL_YAML), "--watch", "--json", "--shots", "8"))
    lines = r.stdout.splitlines()
    final = json.loads("\n".join(lines[lines.index("{") :]))  # after the event lines
    assert final["state"] == "JOB_STATUS_DONE"
    assert sum(final["results"]["counts"].values()) == 8
    assert api_calls("GetJobResults") == before


def test_save_state_from_job_yaml_and_the_flag(api: Api, tmp_path: Path) -> None:
    (tmp_path / "bell.qasm").write_text(BELL_QASM.replace("measure q -> c;\n", ""))
    (tmp_path / "job.yaml").write_text(
        "apiVersion: eigen.os/v0.1\nkind: QuantumJob\nmetadata:\n  name: keep\n"
        "spec:\n  program_path: bell.qasm\n  target: sim:statevector\n  shots: 8\n"
        "  save_state: statevector\n"
    )
    done = json.loads(
        ok(api.cli("submit", "--job", str(tmp_path / "job.yaml"), "--wait", "--json")).stdout
    )
    state = np.load(io.BytesIO(ok(api.cli("artifact", done["job_id"], "state.npy")).stdout_bytes))
    assert np.allclose(np.abs(state) ** 2, [0.5, 0, 0, 0.5])
    flag = json.loads(
        ok(
            api.cli(
                "submit", str(tmp_path / "bell.qasm"), "--target", "sim:statevector",
                "--save-state", "density_matrix", "--wait", "--json",
            )
        ).stdout
    )  # fmt: skip
    rho = np.load(io.BytesIO(ok(api.cli("artifact", flag["job_id"], "state.npy")).stdout_bytes))
    assert rho.shape == (4, 4) and np.isclose(np.trace(rho).real, 1.0)
    bad = api.cli("submit", "--job", str(tmp_path / "job.yaml"), "--save-state", "nope")
    assert bad.exit_code == 2
