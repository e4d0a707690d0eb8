"""CLI output and exit codes against the in-process fake API (formatting + error mapping)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from click.testing import CliRunner, Result

from eigen.api.v1 import job_pb2
from eigen_os.cli.main import cli

if TYPE_CHECKING:
    from conftest import FakeApi

BELL = (Path(__file__).resolve().parents[2] / "examples" / "bell" / "job.yaml").resolve()


def run(api: FakeApi | str, *args: str, token: str = "t") -> Result:
    endpoint = api if isinstance(api, str) else api.endpoint
    return CliRunner().invoke(cli, ["--endpoint", endpoint, "--token", token, *args])


def as_json(result: Result) -> Any:
    return json.loads(result.stdout)


def job_file(tmp_path: Path, program: str = "h(0)\n", spec: str = "target: sim:local") -> Path:
    (tmp_path / "program.eigen.py").write_text(program)
    p = tmp_path / "job.yaml"
    p.write_text(
        f"apiVersion: eigen.os/v0.1\nkind: QuantumJob\nmetadata: {{name: t}}\nspec: {{{spec}}}\n"
    )
    return p


# --- submit ----------------------------------------------------------------------------------


def test_submit_prints_job_id_and_sends_overrides(fake_api: FakeApi) -> None:
    r = run(fake_api, "submit", "--job", str(BELL), "--shots", "64", "--priority", "90")
    assert r.exit_code == 0, r.output
    req = fake_api.state.requests[-1]
    assert (req.name, req.target, req.shots, req.seed, req.priority) == (
        "bell",
        "sim:local",
        64,
        1234,
        90,
    )
    assert "@hybrid_program" in req.eigen_lang.source
    job_id = next(iter(fake_api.state.jobs))
    assert f"job submitted: {job_id}" in r.stdout


def test_submit_json_shape(fake_api: FakeApi) -> None:
    r = run(fake_api, "submit", "--job", str(BELL), "--json")
    assert r.exit_code == 0, r.output
    data = as_json(r)
    assert set(data) == {"job_id", "state", "created_at", "deduplicated"}
    assert data["state"] == "JOB_STATUS_COMPILING"


def test_submit_wait_shows_results_and_json(fake_api: FakeApi) -> None:
    r = run(fake_api, "submit", "--job", str(BELL), "--wait", "--shots", "100")
    assert r.exit_code == 0, r.output
    assert "finished: DONE" in r.stdout
    assert "00" in r.stdout and "11" in r.stdout and "█" in r.stdout
    r = run(fake_api, "submit", "--job", str(BELL), "--wait", "--json", "--shots", "100")
    data = as_json(r)
    assert data["state"] == "JOB_STATUS_DONE"
    assert data["job"]["job_id"] == data["job_id"]
    assert data["results"]["counts"] == {"00": 50, "11": 50}  # int64 as JSON numbers


def test_submit_wait_failed_job_exits_4(fake_api: FakeApi, tmp_path: Path) -> None:
    r = run(fake_api, "submit", "--job", str(job_file(tmp_path, "BROKEN\n")), "--wait")
    assert r.exit_code == 4, r.output
    assert "COMPILATION_FAILED" in r.stdout
    assert "3:5" in r.stdout and "forbidden-import" in r.stdout


def test_submit_watch_prints_events(fake_api: FakeApi) -> None:
    r = run(fake_api, "submit", "--job", str(BELL), "--watch")
    assert r.exit_code == 0, r.output
    lines = [ln for ln in r.stdout.splitlines() if ln.startswith("#")]
    assert [ln.split()[0] for ln in lines] == ["#1", "#2", "#3", "#4"]
    assert "DONE" in lines[-1]


def test_submit_wait_timeout_exits_4(fake_api: FakeApi, tmp_path: Path) -> None:
    r = run(
        fake_api,
        "submit",
        "--job",
        str(job_file(tmp_path, "HOLD\n")),
        "--wait",
        "--wait-timeout",
        "0.5",
    )
    assert r.exit_code == 4, r.output
    assert "did not finish within 0.5s" in r.stderr
    assert "eigen watch" in r.stderr


def test_invalid_job_yaml_lists_every_violation(fake_api: FakeApi, tmp_path: Path) -> None:
    p = job_file(tmp_path, spec="shots: 0, priority: 500, program_path: /etc/passwd")
    r = run(fake_api, "submit", "--job", str(p))
    assert r.exit_code == 2
    for needle in (
        "spec.target: is required",
        "spec.shots: must be ≥ 1",
        "spec.priority: must be ≤ 100",
        "spec.program_path: must be a relative path",
    ):
        assert needle in r.stderr
    assert fake_api.state.requests == []
    r = run(fake_api, "submit", "--job", str(p), "--json")
    err = json.loads(r.stderr)["error"]
    assert err["exit_code"] == 2 and err["reason"] == "VALIDATION_FAILED"
    assert {"field": "spec.shots", "description": "must be ≥ 1"} in err["violations"]


def test_unknown_keys_are_warned(fake_api: FakeApi, tmp_path: Path) -> None:
    r = run(
        fake_api, "submit", "--job", str(job_file(tmp_path, spec="target: sim:local, shotz: 1"))
    )
    assert r.exit_code == 0
    assert "unknown key 'spec.shotz' ignored" in r.stderr


def test_unknown_target_exit_2(fake_api: FakeApi) -> None:
    r = run(fake_api, "submit", "--job", str(BELL), "--target", "qpu:nowhere")
    assert r.exit_code == 2
    assert "available targets: sim:local" in r.stderr


def test_wait_and_watch_are_exclusive(fake_api: FakeApi) -> None:
    r = run(fake_api, "submit", "--job", str(BELL), "--wait", "--watch")
    assert r.exit_code == 2


# --- status / watch / results / cancel / list ------------------------------------------------


def test_status_and_json(fake_api: FakeApi) -> None:
    jid = fake_api.call(fake_api.state.add_job, "s1", states=(job_pb2.JOB_STATUS_RUNNING,))
    r = run(fake_api, "status", jid)
    assert r.exit_code == 0
    assert jid in r.stdout and "RUNNING" in r.stdout and "EXECUTING" in r.stdout
    data = as_json(run(fake_api, "status", jid, "--json"))
    assert data["job_id"] == jid and data["state"] == "JOB_STATUS_RUNNING"
    assert data["last_event_seq"] == 1 and data["error_code"] == ""  # fields always present


def test_unknown_job_exit_2(fake_api: FakeApi) -> None:
    for cmd in ("status", "results", "cancel", "watch"):
        r = run(fake_api, cmd, "nope")
        assert r.exit_code == 2, (cmd, r.output)
        assert "job nope not found" in r.stderr


def test_internal_error_exit_4_with_correlation_id(fake_api: FakeApi) -> None:
    r = run(fake_api, "status", "boom")
    assert r.exit_code == 4
    assert "correlation id" in r.stderr


def test_unreachable_exit_3(unused_port: int) -> None:
    r = run(f"127.0.0.1:{unused_port}", "status", "x")
    assert r.exit_code == 3
    assert "cannot reach the Eigen API" in r.stderr and "eigen up" in r.stderr
    r = run(f"127.0.0.1:{unused_port}", "list", "--json")
    assert r.exit_code == 3
    assert json.loads(r.stderr)["error"]["code"] == "UNAVAILABLE"
    assert r.stdout == ""


def test_bad_token_exit_2(fake_api: FakeApi) -> None:
    fake_api.state.required_token = "right"
    r = run(fake_api, "list", token="wrong")
    assert r.exit_code == 2
    assert "EIGEN_TOKEN" in r.stderr
    assert run(fake_api, "list", token="right").exit_code == 0


def test_token_found_in_eigen_home(fake_api: FakeApi, tmp_path: Path) -> None:
    fake_api.state.required_token = "from-home"
    home = tmp_path / "eigen-home"
    home.mkdir()
    (home / "token").write_text("from-home\n")
    r = CliRunner().invoke(cli, ["--endpoint", fake_api.endpoint, "list"])
    assert r.exit_code == 0, r.output


def test_watch_exit_codes(fake_api: FakeApi) -> None:
    ok = fake_api.call(
        fake_api.state.add_job, states=(job_pb2.JOB_STATUS_COMPILING, job_pb2.JOB_STATUS_DONE)
    )
    bad = fake_api.call(
        fake_api.state.add_job, states=(job_pb2.JOB_STATUS_COMPILING, job_pb2.JOB_STATUS_ERROR)
    )
    r = run(fake_api, "watch", ok)
    assert r.exit_code == 0 and "finished: DONE" in r.stdout
    r = run(fake_api, "watch", bad)
    assert r.exit_code == 4 and "COMPILATION_FAILED" in r.stdout
    r = run(fake_api, "watch", ok, "--json")
    events = [json.loads(line) for line in r.stdout.splitlines()]
    assert [e["event_seq"] for e in events] == [1, 2]
    assert events[-1]["terminal"] is True and events[-1]["state"] == "JOB_STATUS_DONE"


def test_results_histogram_table_and_json(fake_api: FakeApi) -> None:
    jid = fake_api.call(
        fake_api.state.add_job, shots=101, states=(job_pb2.JOB_STATUS_DONE,), seed=9
    )
    r = run(fake_api, "results", jid)
    assert r.exit_code == 0
    rows = [ln.split() for ln in r.stdout.splitlines() if ln.strip()[:2] in ("00", "11")]
    assert [row[:3] for row in rows] == [["00", "51", "0.5050"], ["11", "50", "0.4950"]]
    assert rows[0][3] == "█" * 40  # the largest count fills the bar
    assert rows[1][3].count("█") == 39 and rows[1][3] != rows[0][3]  # 50/51 of it
    assert "2 distinct outcome(s), 101 shots" in r.stdout
    r = run(fake_api, "results", jid, "--table")
    assert "█" not in r.stdout and "51" in r.stdout
    data = as_json(run(fake_api, "results", jid, "--json"))
    assert data["counts"] == {"00": 51, "11": 50}
    assert data["metadata"]["seed"] == "9"
    assert data["state"] == "JOB_STATUS_DONE"


def test_results_of_failed_job_show_diagnostics(fake_api: FakeApi) -> None:
    jid = fake_api.call(fake_api.state.add_job, states=(job_pb2.JOB_STATUS_ERROR,))
    r = run(fake_api, "results", jid)
    assert r.exit_code == 0
    assert "COMPILATION_FAILED" in r.stdout
    assert "the program does not compile" in r.stdout
    assert "3:5 [forbidden-import] import of 'os' is not allowed" in r.stdout
    assert "hint: only eigen_lang" in r.stdout
    data = as_json(run(fake_api, "results", jid, "--json"))
    assert data["diagnostics"][0]["line"] == 3 and data["error_code"] == "COMPILATION_FAILED"


def test_results_not_ready_exit_2_with_hint(fake_api: FakeApi) -> None:
    jid = fake_api.call(fake_api.state.add_job, states=(job_pb2.JOB_STATUS_QUEUED,))
    r = run(fake_api, "results", jid)
    assert r.exit_code == 2
    assert "has not finished" in r.stderr and "eigen watch" in r.stderr


def test_cancel_and_cancel_again(fake_api: FakeApi) -> None:
    jid = fake_api.call(fake_api.state.add_job, states=(job_pb2.JOB_STATUS_QUEUED,))
    r = run(fake_api, "cancel", jid, "--json")
    assert r.exit_code == 0
    assert as_json(r) == {"job_id": jid, "state": "JOB_STATUS_CANCELLED"}
    r = run(fake_api, "cancel", jid)
    assert r.exit_code == 2 and "already finished" in r.stderr


def test_list_filters_and_limits(fake_api: FakeApi) -> None:
    for i in range(3):
        fake_api.call(fake_api.state.add_job, f"done{i}", states=(job_pb2.JOB_STATUS_DONE,))
    fake_api.call(fake_api.state.add_job, "queued", states=(job_pb2.JOB_STATUS_QUEUED,))
    data = as_json(run(fake_api, "list", "--state", "done", "--json"))
    assert [j["name"] for j in data["jobs"]] == ["done2", "done1", "done0"]
    data = as_json(run(fake_api, "list", "--limit", "2", "--json"))
    assert [j["name"] for j in data["jobs"]] == ["queued", "done2"]
    r = run(fake_api, "list", "--state", "done,queued")
    assert r.exit_code == 0 and "queued" in r.stdout and "done0" in r.stdout
    r = run(fake_api, "list", "--state", "finished")
    assert r.exit_code == 2 and "unknown job state" in r.stderr


# --- devices / reserve / compile -------------------------------------------------------------


def test_devices_and_device(fake_api: FakeApi) -> None:
    r = run(fake_api, "devices")
    assert r.exit_code == 0 and "aer.automatic" in r.stdout and "ONLINE" in r.stdout
    data = as_json(run(fake_api, "devices", "--json"))
    assert data["devices"][0]["status"] == "DEVICE_STATUS_ONLINE"
    assert data["devices"][0]["targets"] == ["sim:local"]
    r = run(fake_api, "device", "sim:local")
    assert r.exit_code == 0 and "capabilities.method" in r.stdout and "idle" in r.stdout
    data = as_json(run(fake_api, "device", "aer.automatic", "--json"))
    assert data["device"]["max_qubits"] == 30 and data["device_status"]["message"] == "idle"
    assert run(fake_api, "device", "nope").exit_code == 2


def test_reserve(fake_api: FakeApi) -> None:
    r = run(fake_api, "reserve", "sim:local", "--ttl", "120")
    assert r.exit_code == 0 and "res-aer.automatic-120" in r.stdout
    data = as_json(run(fake_api, "reserve", "sim:local", "--ttl", "60", "--json"))
    assert data["reservation_id"] == "res-aer.automatic-60" and data["device_id"] == "aer.automatic"
    assert run(fake_api, "reserve", "sim:local", "--ttl", "0").exit_code == 2


def test_compile_program_draws_circuit(fake_api: FakeApi, tmp_path: Path) -> None:
    prog = tmp_path / "c.qasm"
    prog.write_text('OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[2];\nh q[0];\n')
    r = run(fake_api, "compile", str(prog), "-O", "optimization_level=2", "--target", "sim:local")
    assert r.exit_code == 0, r.output
    req = fake_api.state.compile_requests[-1]
    assert req.qasm.version == "2" and dict(req.options) == {"optimization_level": "2"}
    assert "gate_count" in r.stdout and "logical_qubits" in r.stdout
    assert "┤ H ├" in r.stdout  # Qiskit text drawing
    data = as_json(run(fake_api, "compile", str(prog), "--json"))
    assert data["aqo_json"]["operations"][0] == {"op": "H", "q": [0]}
    assert data["metadata"]["logical_qubits"] == 2


def test_compile_job_uses_job_options(fake_api: FakeApi) -> None:
    r = run(fake_api, "compile", "--job", str(BELL), "--no-draw", "--input", "theta=0.5")
    assert r.exit_code == 0, r.output
    req = fake_api.state.compile_requests[-1]
    assert req.target == "sim:local" and dict(req.inputs) == {"theta": 0.5}
    assert "@hybrid_program" in req.eigen_lang.source
    assert "┤" not in r.stdout


def test_compile_failure_shows_diagnostics_exit_2(fake_api: FakeApi, tmp_path: Path) -> None:
    prog = tmp_path / "bad.eigen.py"
    prog.write_text("BROKEN(\n")
    r = run(fake_api, "compile", str(prog))
    assert r.exit_code == 2
    # server text is printed verbatim (no rich markup interpretation of "[syntax]")
    assert "error: the program does not compile: 2:7: [syntax] invalid syntax" in r.stderr
    assert "  2:7: [syntax] invalid syntax (hint: check the parentheses)" in r.stderr
    r = run(fake_api, "compile", str(prog), "--validate")
    assert r.exit_code == 2 and "invalid" in r.stdout and "2:7" in r.stdout
    r = run(fake_api, "compile", str(prog), "--validate", "--json")
    assert as_json(r)["valid"] is False


def test_compile_needs_exactly_one_source(fake_api: FakeApi) -> None:
    assert run(fake_api, "compile").exit_code == 2
    assert run(fake_api, "compile", str(BELL), "--job", str(BELL)).exit_code == 2
    r = run(fake_api, "compile", "--job", str(BELL), "--input", "theta=abc")
    assert r.exit_code == 2 and "not a finite number" in r.stderr


@pytest.mark.parametrize("cmd", ["status", "results", "cancel", "list", "devices"])
def test_every_data_command_has_json(cmd: str) -> None:
    r = CliRunner().invoke(cli, [cmd, "--help"])
    assert "--json" in r.stdout
