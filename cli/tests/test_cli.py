"""The ``eigen`` CLI against the real in-process stack: output, JSON shapes and exit codes."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from cli.tests.conftest import (
    ADMIN_TOKEN,
    BELL_QASM,
    EXAMPLES,
    Api,
    cancel_quietly,
    running_stack,
    submit_long_job,
)
from eigen_os.cli import render
from eigen_os.cli.main import cli

BELL = EXAMPLES / "bell" / "job.yaml"
#: An Eigen-Lang program the compiler rejects: ``import os`` on line 2, column 1.
FORBIDDEN = (
    "from eigen_lang import QubitRegister, h, hybrid_program, measure_all\n"
    "import os\n\n\n"
    '@hybrid_program(target="sim:local")\n'
    "def f():\n"
    "    q = QubitRegister(1)\n"
    "    h(q[0])\n"
    "    measure_all(q)\n"
)
SYNTAX_ERROR = "from eigen_lang import h\ndef f(:\n    pass\n"


def as_json(result: Result) -> Any:
    return json.loads(result.stdout)


def job_file(
    tmp_path: Path, program: str, spec: str = "target: sim:local", name: str = "t"
) -> Path:
    (tmp_path / "program.eigen.py").write_text(program)
    p = tmp_path / "job.yaml"
    p.write_text(
        f"apiVersion: eigen.os/v0.1\nkind: QuantumJob\nmetadata: {{name: {name}}}\n"
        f"spec: {{{spec}}}\n"
    )
    return p


def submitted_id(result: Result) -> str:
    assert result.exit_code == 0, result.output
    return str(as_json(result)["job_id"])


def count_jobs(api: Api) -> int:
    with api.client() as c:
        return len(list(c.list_jobs()))


# --- submit ----------------------------------------------------------------------------------


def test_submit_prints_job_id_and_sends_overrides(api: Api) -> None:
    r = api.cli("submit", "--job", str(BELL), "--shots", "64", "--priority", "90")
    assert r.exit_code == 0, r.output
    assert r.stdout.startswith("job submitted: ")
    job_id = r.stdout.split()[2]
    job = as_json(api.cli("status", job_id, "--json"))
    assert (job["name"], job["target"], job["shots"], job["priority"]) == (
        "bell",
        "sim:local",
        64,
        90,
    )
    sub = api.submission(job_id)  # what the kernel accepted
    assert (sub.shots, sub.seed, sub.priority) == (64, 1234, 90)
    assert sub.language == "eigen-lang"
    assert api.source(job_id) == (EXAMPLES / "bell" / "program.eigen.py").read_text()


def test_submit_json_shape(api: Api) -> None:
    r = api.cli("submit", "--job", str(BELL), "--json")
    assert r.exit_code == 0, r.output
    data = as_json(r)
    assert set(data) == {"job_id", "state", "created_at", "deduplicated"}
    assert data["state"] == "JOB_STATUS_COMPILING" and data["deduplicated"] is False


def test_submit_wait_shows_results_and_json(api: Api) -> None:
    r = api.cli("submit", "--job", str(BELL), "--wait", "--shots", "100")
    assert r.exit_code == 0, r.output
    assert "finished: DONE" in r.stdout
    assert "distinct outcome(s), 100 shots" in r.stdout and "█" in r.stdout
    r = api.cli("submit", "--job", str(BELL), "--wait", "--json", "--shots", "100")
    assert r.exit_code == 0, r.output
    data = as_json(r)
    assert data["state"] == "JOB_STATUS_DONE"
    assert data["job"]["job_id"] == data["job_id"] == data["results"]["job_id"]
    counts = data["results"]["counts"]
    assert set(counts) <= {"00", "11"} and sum(counts.values()) == 100
    assert all(isinstance(n, int) for n in counts.values())  # int64 as JSON numbers
    assert data["results"]["metadata"]["seed"] == "1234"


def test_submit_wait_failed_job_exits_4(api: Api, tmp_path: Path) -> None:
    r = api.cli("submit", "--job", str(job_file(tmp_path, FORBIDDEN)), "--wait")
    assert r.exit_code == 4, r.output
    assert "finished: ERROR (COMPILATION_FAILED)" in r.stdout
    assert "2:1 [forbidden-import] import of 'os' is not allowed" in r.stdout


def test_submit_watch_prints_events(api: Api) -> None:
    r = api.cli("submit", "--job", str(BELL), "--watch")
    assert r.exit_code == 0, r.output
    lines = [ln for ln in r.stdout.splitlines() if ln.startswith("#")]
    assert [int(ln.split()[0][1:]) for ln in lines] == list(range(1, len(lines) + 1))
    assert [ln.split()[2] for ln in lines][:3] == ["COMPILING"] * 3  # PENDING, VALIDATING, ...
    assert "EXECUTING" in r.stdout
    assert lines[-1].split()[2:4] == ["DONE", "COMPLETED"]
    assert "finished: DONE" in r.stdout


def test_submit_wait_timeout_exits_4_and_job_keeps_running(api: Api, tmp_path: Path) -> None:
    from cli.tests.conftest import LONG_VQE

    path = job_file(tmp_path, LONG_VQE, name="long-wait")
    r = api.cli("submit", "--job", str(path), "--wait", "--wait-timeout", "0.5")
    assert r.exit_code == 4, r.output
    assert "did not finish within 0.5s" in r.stderr and "eigen watch" in r.stderr
    job_id = r.stderr.split("job submitted: ")[1].split(";")[0]
    try:
        status = as_json(api.cli("status", job_id, "--json"))
        assert status["state"] in (
            "JOB_STATUS_COMPILING",
            "JOB_STATUS_QUEUED",
            "JOB_STATUS_RUNNING",
        )
    finally:
        cancel_quietly(api, job_id)


def test_submit_program_file_without_job_yaml(api: Api, tmp_path: Path) -> None:
    prog = tmp_path / "my circuit.qasm"
    prog.write_text(BELL_QASM)
    r = api.cli(
        "submit", str(prog), "--target", "sim:local", "--shots", "50", "--seed", "5",
        "--wait", "--json",
    )  # fmt: skip
    assert r.exit_code == 0, r.output
    data = as_json(r)
    assert data["job"]["name"] == "my-circuit" and data["job"]["target"] == "sim:local"
    assert sum(data["results"]["counts"].values()) == 50
    assert data["results"]["metadata"]["seed"] == "5"
    assert api.source(data["job_id"]) == BELL_QASM
    rx = tmp_path / "rx.qasm"
    rx.write_text(
        'OPENQASM 3.0;\ninclude "stdgates.inc";\ninput float[64] theta;\n'
        "qubit[1] q;\nbit[1] c;\nrx(theta) q[0];\nc[0] = measure q[0];\n"
    )
    r = api.cli(
        "submit", str(rx), "--target", "sim:local", "--input", f"theta={math.pi}",
        "--shots", "30", "--wait", "--json",
    )  # fmt: skip
    assert r.exit_code == 0, r.output
    assert as_json(r)["results"]["counts"] == {"1": 30}
    r = api.cli("submit", str(prog))
    assert r.exit_code == 2 and "--target is required" in r.stderr
    assert api.cli("submit", str(prog), "--job", str(BELL)).exit_code == 2
    assert api.cli("submit").exit_code == 2
    r = api.cli("submit", "--job", str(BELL), "--language", "qasm2")
    assert r.exit_code == 2 and "PROGRAM file only" in r.stderr


def test_invalid_job_yaml_lists_every_violation(api: Api, tmp_path: Path) -> None:
    p = job_file(tmp_path, "h(0)\n", spec="shots: 0, priority: 500, program_path: /etc/passwd")
    before = count_jobs(api)
    r = api.cli("submit", "--job", str(p))
    assert r.exit_code == 2
    for needle in (
        "spec.target: is required",
        "spec.shots: must be ≥ 1",
        "spec.priority: must be ≤ 100",
        "spec.program_path: must be a relative path",
    ):
        assert needle in r.stderr
    r = api.cli("submit", "--job", str(p), "--json")
    err = json.loads(r.stderr)["error"]
    assert err["exit_code"] == 2 and err["reason"] == "VALIDATION_FAILED"
    assert {"field": "spec.shots", "description": "must be ≥ 1"} in err["violations"]
    assert count_jobs(api) == before  # nothing reached the server


def test_mistyped_keys_are_errors_and_nothing_is_submitted(api: Api, tmp_path: Path) -> None:
    bell = (EXAMPLES / "bell" / "program.eigen.py").read_text()
    path = job_file(tmp_path, bell, "target: sim:local, shot: 10, seeed: 3")
    before = count_jobs(api)
    r = api.cli("submit", "--job", str(path))
    assert r.exit_code == 2, r.output
    assert "spec.shot: unknown key; did you mean 'shots'?" in r.stderr
    assert "spec.seeed: unknown key; did you mean 'seed'?" in r.stderr
    err = json.loads(api.cli("submit", "--job", str(path), "--json").stderr)["error"]
    assert err["exit_code"] == 2 and len(err["violations"]) == 2
    r = api.cli("compile", "--job", str(path))
    assert r.exit_code == 2 and "did you mean 'shots'?" in r.stderr
    assert count_jobs(api) == before


def test_unknown_target_exit_2(api: Api) -> None:
    r = api.cli("submit", "--job", str(BELL), "--target", "qpu:nowhere")
    assert r.exit_code == 2
    assert "unknown target 'qpu:nowhere'" in r.stderr and "sim:local" in r.stderr
    r = api.cli("submit", "--job", str(BELL), "--target", "qpu:nowhere", "--json")
    err = json.loads(r.stderr)["error"]
    assert (err["code"], err["exit_code"]) == ("NOT_FOUND", 2)


def test_wait_and_watch_are_exclusive(api: Api) -> None:
    r = api.cli("submit", "--job", str(BELL), "--wait", "--watch")
    assert r.exit_code == 2 and "mutually exclusive" in r.stderr


# --- status / watch / results / cancel / list ------------------------------------------------


def test_status_and_json(api: Api, long_job: str) -> None:
    r = api.cli("status", long_job)
    assert r.exit_code == 0, r.output
    assert long_job in r.stdout and "RUNNING" in r.stdout and "EXECUTING" in r.stdout
    data = as_json(api.cli("status", long_job, "--json"))
    assert data["job_id"] == long_job and data["state"] == "JOB_STATUS_RUNNING"
    assert data["stage"] == "EXECUTING" and data["device_id"] == "aer.automatic"
    assert data["last_event_seq"] >= 7 and data["error_code"] == ""  # fields always present


def test_unknown_job_exit_2(api: Api) -> None:
    for cmd in ("status", "results", "cancel", "watch"):
        r = api.cli(cmd, "nope")
        assert r.exit_code == 2, (cmd, r.output)
        assert "job 'nope' not found" in r.stderr


def test_internal_error_exit_4_with_correlation_id(fresh_api: Api) -> None:
    with fresh_api.damaged_store():
        r = fresh_api.cli("status", "j0123")
        listed = fresh_api.cli("list", "--json")
    assert r.exit_code == 4, r.output
    assert "correlation id" in r.stderr
    err = json.loads(listed.stderr)["error"]
    assert err["code"] == "INTERNAL" and err["exit_code"] == 4
    assert err["metadata"]["correlation_id"]


def test_unreachable_exit_3(unused_port: int) -> None:
    def run(*args: str) -> Result:
        return CliRunner().invoke(cli, ["--endpoint", f"127.0.0.1:{unused_port}", *args])

    r = run("status", "x")
    assert r.exit_code == 3
    assert "cannot reach the Eigen API" in r.stderr and "eigen up" in r.stderr
    r = run("list", "--json")
    assert r.exit_code == 3
    assert json.loads(r.stderr)["error"]["code"] == "UNAVAILABLE"
    assert r.stdout == ""


def test_stopped_services_exit_3(fresh_api: Api) -> None:
    fresh_api.stop_service("kernel")  # the system-api answers, its backend does not
    r = fresh_api.cli("list", "--json")
    assert r.exit_code == 3, r.output
    assert json.loads(r.stderr)["error"]["code"] == "UNAVAILABLE"
    fresh_api.stop_service("system-api")
    r = fresh_api.cli("devices")
    assert r.exit_code == 3 and "cannot reach the Eigen API" in r.stderr


def test_bad_token_exit_2(api: Api) -> None:
    r = api.cli("list", token="wrong")
    assert r.exit_code == 2
    assert "EIGEN_TOKEN" in r.stderr
    assert json.loads(api.cli("list", "--json", token="wrong").stderr)["error"]["code"] == (
        "UNAUTHENTICATED"
    )
    assert api.cli("list").exit_code == 0


def test_token_found_in_eigen_home(api: Api, tmp_path: Path) -> None:
    home = tmp_path / "eigen-home"  # $EIGEN_HOME (see isolated_env)
    home.mkdir()
    assert CliRunner().invoke(cli, ["--endpoint", api.endpoint, "list"]).exit_code == 2
    (home / "token").write_text(f"{ADMIN_TOKEN}\n")
    r = CliRunner().invoke(cli, ["--endpoint", api.endpoint, "list"])
    assert r.exit_code == 0, r.output


def test_watch_exit_codes(api: Api, tmp_path: Path) -> None:
    ok = submitted_id(api.cli("submit", "--job", str(BELL), "--json"))
    bad = submitted_id(api.cli("submit", "--job", str(job_file(tmp_path, FORBIDDEN)), "--json"))
    r = api.cli("watch", ok)
    assert r.exit_code == 0 and "finished: DONE" in r.stdout
    r = api.cli("watch", bad)
    assert r.exit_code == 4 and "ERROR (COMPILATION_FAILED)" in r.stdout
    r = api.cli("watch", ok, "--json")
    assert r.exit_code == 0
    lines = [json.loads(line) for line in r.stdout.splitlines()]
    events = [e for e in lines if not e["heartbeat"]]  # a heartbeat shows a moving queue
    assert [e["event_seq"] for e in events] == list(range(1, len(events) + 1))
    assert [e["terminal"] for e in events] == [False] * (len(events) - 1) + [True]
    assert events[-1]["state"] == "JOB_STATUS_DONE"


def test_results_histogram_table_and_json(api: Api) -> None:
    job_id = submitted_id(
        api.cli("submit", "--job", str(BELL), "--shots", "101", "--seed", "9", "--json")
    )
    assert api.cli("watch", job_id).exit_code == 0
    data = as_json(api.cli("results", job_id, "--json"))
    assert data["state"] == "JOB_STATUS_DONE" and data["metadata"]["seed"] == "9"
    counts = data["counts"]
    assert set(counts) == {"00", "11"} and sum(counts.values()) == 101
    r = api.cli("results", job_id)
    assert r.exit_code == 0
    rows = [ln.split() for ln in r.stdout.splitlines() if ln.strip()[:2] in ("00", "11")]
    ranked = render.sorted_counts(counts)
    assert [row[:3] for row in rows] == [[b, str(n), f"{n / 101:.4f}"] for b, n in ranked]
    assert rows[0][3] == "█" * 40  # the largest count fills the bar
    assert rows[1][3] == render._bar(ranked[1][1] / ranked[0][1]).strip()
    assert "2 distinct outcome(s), 101 shots" in r.stdout
    r = api.cli("results", job_id, "--table")
    assert "█" not in r.stdout and str(ranked[0][1]) in r.stdout


def test_results_of_failed_job_show_diagnostics(api: Api, tmp_path: Path) -> None:
    job_id = submitted_id(api.cli("submit", "--job", str(job_file(tmp_path, FORBIDDEN)), "--json"))
    assert api.cli("watch", job_id).exit_code == 4
    r = api.cli("results", job_id)
    assert r.exit_code == 0
    assert "error: COMPILATION_FAILED" in r.stdout
    assert "program does not compile" in r.stdout
    assert "2:1 [forbidden-import] import of 'os' is not allowed" in r.stdout
    assert "hint: allowed imports: eigen_lang" in r.stdout
    assert f"qfs://jobs/{job_id}/error.json" in r.stdout
    data = as_json(api.cli("results", job_id, "--json"))
    assert data["error_code"] == "COMPILATION_FAILED" and data["state"] == "JOB_STATUS_ERROR"
    assert (data["diagnostics"][0]["line"], data["diagnostics"][0]["column"]) == (2, 1)


def test_results_not_ready_exit_2_with_hint(api: Api, long_job: str) -> None:
    r = api.cli("results", long_job)
    assert r.exit_code == 2
    assert "eigen watch" in r.stderr
    err = json.loads(api.cli("results", long_job, "--json").stderr)["error"]
    assert err["reason"] == "RESULTS_NOT_READY"


def test_cancel_and_cancel_again(api: Api, long_job: str) -> None:
    r = api.cli("cancel", long_job, "--reason", "enough", "--json")
    assert r.exit_code == 0, r.output
    assert as_json(r) == {"job_id": long_job, "state": "JOB_STATUS_CANCELLED"}
    assert as_json(api.cli("status", long_job, "--json"))["state"] == "JOB_STATUS_CANCELLED"
    r = api.cli("cancel", long_job)
    assert r.exit_code == 2 and long_job in r.stderr
    err = json.loads(api.cli("cancel", long_job, "--json").stderr)["error"]
    assert (err["reason"], err["exit_code"]) == ("JOB_ALREADY_TERMINAL", 2)


def test_list_filters_and_limits(tmp_path: Path) -> None:
    with running_stack(tmp_path) as a:
        done = []
        for i in range(3):
            r = a.cli("submit", "--job", str(BELL), "--name", f"done{i}", "--wait", "--json")
            assert r.exit_code == 0, r.output
            done.append(as_json(r)["job_id"])
        running = submit_long_job(a, "running")
        try:
            data = as_json(a.cli("list", "--state", "done", "--json"))
            assert [j["name"] for j in data["jobs"]] == ["done2", "done1", "done0"]
            data = as_json(a.cli("list", "--limit", "2", "--json"))
            assert [j["name"] for j in data["jobs"]] == ["running", "done2"]
            r = a.cli("list", "--state", "done,running")
            assert r.exit_code == 0 and running in r.stdout and done[0] in r.stdout
            r = a.cli("list", "--state", "running")
            assert running in r.stdout and done[0] not in r.stdout
            r = a.cli("list", "--state", "finished")
            assert r.exit_code == 2 and "unknown job state" in r.stderr
        finally:
            cancel_quietly(a, running)


# --- devices / reserve / compile -------------------------------------------------------------


def test_devices_and_device(api: Api) -> None:
    r = api.cli("devices")
    assert r.exit_code == 0 and "aer.automatic" in r.stdout and "ONLINE" in r.stdout
    devices = {d["device_id"]: d for d in as_json(api.cli("devices", "--json"))["devices"]}
    assert devices["aer.automatic"]["status"] == "DEVICE_STATUS_ONLINE"
    assert "sim:local" in devices["aer.automatic"]["targets"]
    r = api.cli("device", "sim:local")
    assert r.exit_code == 0 and "capabilities.method" in r.stdout and "automatic" in r.stdout
    data = as_json(api.cli("device", "aer.automatic", "--json"))
    assert data["device"]["max_qubits"] == 30
    assert data["device_status"]["device_id"] == "aer.automatic"
    assert data["device_status"]["status"] == "DEVICE_STATUS_ONLINE"
    r = api.cli("device", "nope")
    assert r.exit_code == 2 and "device 'nope' not found" in r.stderr


def test_reserve_rejects_bad_input(api: Api) -> None:
    assert api.cli("reserve", "sim:local", "--ttl", "0").exit_code == 2
    r = api.cli("reserve", "nope", "--ttl", "60")
    assert r.exit_code == 2 and "device 'nope' not found" in r.stderr


def test_reserve(fresh_api: Api) -> None:
    """A stack of its own: a reservation holds one of the device's slots for its TTL."""
    r = fresh_api.cli("reserve", "sim:local", "--ttl", "60", "--json")
    assert r.exit_code == 0, r.output
    data = as_json(r)
    assert data["reservation_id"] and data["device_id"] == "aer.automatic"
    r = fresh_api.cli("reserve", "sim:local", "--ttl", "60", "--purpose", "calibration run")
    assert r.exit_code == 0 and "reservation " in r.stdout and "on aer.automatic" in r.stdout
    assert "purpose      calibration run" in r.stdout
    r = fresh_api.cli("reserve", "sim:local", "--ttl", "60", "--json")  # both slots are held
    assert r.exit_code == 2, r.output
    assert json.loads(r.stderr)["error"]["code"] == "RESOURCE_EXHAUSTED"


def test_compile_program_draws_circuit(api: Api, tmp_path: Path) -> None:
    prog = tmp_path / "c.qasm"
    prog.write_text('OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[2];\nh q[0];\n')
    r = api.cli("compile", str(prog), "-O", "optimization_level=2", "--target", "sim:local")
    assert r.exit_code == 0, r.output
    assert "gate_count" in r.stdout and "logical_qubits" in r.stdout
    assert "language            qasm2" in r.stdout
    assert "optimization_level  2" in r.stdout  # the -O option reached the compiler
    assert "┤ H ├" in r.stdout  # Qiskit text drawing
    data = as_json(api.cli("compile", str(prog), "--json"))
    assert data["aqo_json"]["operations"][0] == {"op": "H", "q": [0]}
    assert data["metadata"]["logical_qubits"] == 2
    assert data["metadata"]["metrics"]["optimization_level"] == "1"  # the default
    assert data["hybrid_plan_json"] is None


def test_compile_job_uses_job_options(api: Api, tmp_path: Path) -> None:
    program = (
        'OPENQASM 3.0;\ninclude "stdgates.inc";\ninput float[64] theta;\n'
        "qubit[1] q;\nbit[1] c;\nrx(theta) q[0];\nc[0] = measure q[0];\n"
    )
    (tmp_path / "rx.qasm").write_text(program)
    job = tmp_path / "job.yaml"
    job.write_text(
        "apiVersion: eigen.os/v0.1\nkind: QuantumJob\nmetadata: {name: rx}\n"
        "spec: {program_path: rx.qasm, target: sim:local, "
        "compiler_options: {optimization_level: 0}}\n"
    )
    r = api.cli("compile", "--job", str(job), "--no-draw", "--input", "theta=0.5")
    assert r.exit_code == 0, r.output
    assert "optimization_level  0" in r.stdout and "language            qasm3" in r.stdout
    assert "┤" not in r.stdout
    data = as_json(api.cli("compile", "--job", str(job), "--input", "theta=0.5", "--json"))
    assert data["aqo_json"]["operations"][0] == {"op": "RX", "params": [0.5], "q": [0]}
    r = api.cli("compile", "--job", str(job))  # no binding for theta
    assert r.exit_code == 2 and "without a value: theta" in r.stderr


def test_compile_failure_shows_diagnostics_exit_2(api: Api, tmp_path: Path) -> None:
    prog = tmp_path / "bad.eigen.py"
    prog.write_text(SYNTAX_ERROR)
    r = api.cli("compile", str(prog))
    assert r.exit_code == 2
    # server text is printed verbatim (no rich markup interpretation of "[syntax]")
    assert "error: program does not compile: 2:7: [syntax] invalid syntax" in r.stderr
    assert "  2:7: [syntax] invalid syntax (hint: " in r.stderr
    r = api.cli("compile", str(prog), "--validate")
    assert r.exit_code == 2 and "invalid" in r.stdout and "2:7 [syntax]" in r.stdout
    r = api.cli("compile", str(prog), "--validate", "--json")
    data = as_json(r)
    assert data["valid"] is False and data["diagnostics"][0]["rule"] == "syntax"
    err = json.loads(api.cli("compile", str(prog), "--json").stderr)["error"]
    assert err["reason"] == "COMPILATION_FAILED" and err["diagnostics"][0]["line"] == 2


def test_compile_needs_exactly_one_source(api: Api) -> None:
    assert api.cli("compile").exit_code == 2
    assert api.cli("compile", str(BELL), "--job", str(BELL)).exit_code == 2
    r = api.cli("compile", "--job", str(BELL), "--input", "theta=abc")
    assert r.exit_code == 2 and "not a finite number" in r.stderr


@pytest.mark.parametrize(
    "cmd",
    ["status", "results", "cancel", "list", "devices", "submit", "reserve", "reservations"],
)
def test_every_data_command_has_json(cmd: str) -> None:
    r = CliRunner().invoke(cli, [cmd, "--help"])
    assert "--json" in r.stdout
