"""Hybrid (VQE) jobs in the CLI: optimisation results, --plot, iteration events, plan summary."""

from __future__ import annotations

import io
import json
import math
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from cli.tests.conftest import EXAMPLES, Api
from eigen.api.v1 import job_pb2
from eigen_ir import aqo
from eigen_ir.hybrid import HybridPlan, OptimizerSpec, parse_plan
from eigen_os.cli import render
from eigen_os.cli.plot import plot_title

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
#: An objective history for the rendering units (one value per evaluation).
HISTORY = (-0.5, -1.2, -1.6, -1.83, -1.851, -1.8572, -1.8569)
H2_JOB = EXAMPLES / "h2_vqe" / "job.yaml"
H2_PROGRAM = EXAMPLES / "h2_vqe" / "program.eigen.py"
#: Exact ground-state energy of the example's H2 Hamiltonian (Hartree).
H2_EXACT = -1.857275030202


def rendered(fn: object, *args: object, **kwargs: object) -> str:
    out = io.StringIO()
    console = Console(file=out, width=120, highlight=False, markup=False, color_system=None)
    fn(console, *args, **kwargs)  # type: ignore[operator]
    return out.getvalue()


# --- rendering units -------------------------------------------------------------------------


def test_sparkline_shape_and_width() -> None:
    assert render.sparkline([3.0, 2.0, 1.0]) == "█▅▁"
    assert render.sparkline([1.0, 1.0]) == "▄▄"  # constant: a flat line, no division by zero
    assert render.sparkline([1.0, math.nan, 0.0]) == "█ ▁"
    assert render.sparkline([]) == ""
    long = [1000.0 - i for i in range(1000)]
    line = render.sparkline(long, width=40)
    assert len(line) == 40 and line[0] == "█" and line[-1] == "▁"
    # a dip inside a bucket survives the downsampling (bucket minimum)
    spiky = [5.0] * 100
    spiky[57] = -5.0
    assert "▁" in render.sparkline(spiky, width=10)


def test_convergence_summary_first_best_last() -> None:
    head, spark = render.convergence_summary(HISTORY)
    assert head.startswith("7 evaluation(s)")
    assert "first -0.5" in head and "best -1.8572 (#6)" in head and "last -1.8569" in head
    assert len(spark) == 7 and spark[0] == "█" and spark[5] == "▁"
    head, _ = render.convergence_summary(HISTORY, iterations=100)
    assert "(first 7 of 100 shown)" in head
    assert render.convergence_summary(()) == []


def test_render_optimization_shows_outcome_parameters_and_history() -> None:
    opt = job_pb2.OptimizationResult(
        optimal_value=-1.857275,
        optimal_parameters={"theta[10]": 1.5, "theta[2]": -0.25, "theta[0]": 0.125},
        iterations=7,
        success=False,
        history=HISTORY,
    )
    text = rendered(
        render.render_optimization,
        opt,
        {"optimizer": "spsa", "optimizer.message": "max_iter reached", "shots": "4096"},
    )
    assert "optimal_value  -1.857275" in text
    assert "success        no" in text
    assert "iterations     7" in text
    assert "spsa" in text and "max_iter reached" in text and "4096" in text
    names = [ln.split()[0] for ln in text.splitlines() if ln.startswith("theta")]
    assert names == ["theta[0]", "theta[2]", "theta[10]"]  # numeric order, not lexicographic
    assert "optimal parameters (3)" in text
    assert "best -1.8572 (#6)" in text and "█" in text


def test_many_parameters_are_cut_with_a_count() -> None:
    opt = job_pb2.OptimizationResult(
        optimal_value=0.0, optimal_parameters={f"p{i}": float(i) for i in range(30)}
    )
    text = rendered(render.render_optimization, opt)
    names = [ln.split()[0] for ln in text.splitlines() if ln.startswith("p")]
    assert names == [f"p{i}" for i in range(8)]
    assert "22 more (use --json for all)" in text
    assert "convergence" not in text  # no history, no summary


def test_outputs_are_compact() -> None:
    assert render.compact_value(5.0) == "5"
    assert render.compact_value(True) == "true"
    assert render.compact_value([0.5] * 20) == "[" + "0.5, " * 8 + "… (20 values)]"
    assert render.compact_value({"a": [1.0, 2.0]}) == "{a: [1, 2]}"


def test_event_line_and_progress_show_iteration_of_budget() -> None:
    u = job_pb2.JobUpdate(
        event_seq=9,
        state=job_pb2.JOB_STATUS_RUNNING,
        stage="EXECUTING",
        progress=3 / 150,
        message="iteration 3/150: value -1.25",
        iteration=3,
        current_value=-1.25,
    )
    line = render.event_line(u).plain
    assert "iteration 3/150 value=-1.25" in line
    assert line.count("iteration") == 1  # the kernel's own message is not repeated
    assert render.progress_description(u) == "RUNNING EXECUTING iteration 3/150 value=-1.25"
    u.message = "slow device"
    assert render.event_line(u).plain.endswith("iteration 3/150 value=-1.25  slow device")
    plain = job_pb2.JobUpdate(state=job_pb2.JOB_STATUS_QUEUED, stage="QUEUED", message="queued")
    assert "iteration" not in render.event_line(plain).plain
    assert render.progress_description(plain) == "QUEUED QUEUED"
    no_progress = job_pb2.JobUpdate(state=job_pb2.JOB_STATUS_RUNNING, iteration=1)
    assert render.iteration_label(no_progress) == "iteration 1"


def _plan(n_params: int, n_terms: int) -> HybridPlan:
    names = [f"theta[{i}]" for i in range(n_params)]
    circuit = aqo.parse(
        {
            "version": "0.1",
            "qubits": 3,
            "clbits": 0,
            "parameters": names,
            "operations": [{"op": "RY", "q": [i % 3], "params": [n]} for i, n in enumerate(names)],
        }
    )
    labels = ["".join("IXYZ"[(t >> (2 * k)) & 3] for k in range(3)) for t in range(1, 64)]
    return HybridPlan(
        circuit=circuit,
        parameters=tuple(names),
        observable=tuple((labels[t], 0.5 + t) for t in range(n_terms)),
        shots=2048,
        optimizer=OptimizerSpec("spsa", 200, None, tuple([0.0] * n_params), 11),
        returns=(("energy", {"result": "optimal_value"}), ("ok", {"result": "success"})),
    )


def test_plan_summary_counts_and_first_items() -> None:
    plan = parse_plan(_plan(10, 9).canonical_bytes())  # as the CLI receives it
    rows = dict(render.plan_rows(plan))
    assert rows["parameters"] == "10: theta[0], theta[1], theta[2], theta[3], theta[4], theta[5], …"
    assert rows["observable"].startswith("9 term(s) on 3 qubit(s): +0.5·XII, +1.5·YII, ")
    assert rows["observable"].endswith(", …")
    assert rows["shots"] == "2048"
    assert rows["optimizer"] == "spsa" and rows["max_iter"] == "200"
    assert rows["tolerance"] == "method default"
    assert rows["initial_point"] == "10 value(s)"  # too many to list
    assert rows["optimizer_seed"] == "11"
    assert rows["returns"] == "energy ← optimal_value, ok ← success"
    assert rows["plan_sha256"] == plan.sha256()
    small = dict(render.plan_rows(_plan(2, 1)))
    assert small["initial_point"] == "2 value(s) [0, 0]"
    assert small["observable"] == "1 term(s) on 3 qubit(s): +0.5·XII"


def test_plot_title_names_job_and_method() -> None:
    res = job_pb2.GetJobResultsResponse(job_id="job-7", metadata={"optimizer": "cobyla"})
    assert plot_title(res) == "job job-7 — cobyla"
    assert plot_title(job_pb2.GetJobResultsResponse(job_id="j")) == "job j"


# --- through the CLI: a real VQE job (examples/h2_vqe) ---------------------------------------


@pytest.fixture(scope="module")
def vqe(api: Api) -> tuple[str, dict[str, Any]]:
    """The example's H2 VQE run to the end on the shared stack: (job id, results JSON)."""
    r = api.cli("submit", "--job", str(H2_JOB), "--wait", "--json")
    assert r.exit_code == 0, r.output
    data = json.loads(r.stdout)
    return data["job_id"], data["results"]


def test_results_of_hybrid_job(api: Api, vqe: tuple[str, dict[str, Any]]) -> None:
    job_id, data = vqe
    opt = data["optimization"]
    assert math.isclose(opt["optimal_value"], H2_EXACT, abs_tol=1e-6)
    assert opt["success"] is True and opt["iterations"] == len(opt["history"]) > 5
    assert set(opt["optimal_parameters"]) == {"theta[0]", "theta[1]"}
    assert data["outputs"]["energy"] == opt["optimal_value"]
    assert data["outputs"]["iterations"] == opt["iterations"]
    assert data["metadata"]["optimizer"] == "cobyla"
    r = api.cli("results", job_id)
    assert r.exit_code == 0, r.output
    out = r.stdout
    assert f"optimal_value  {opt['optimal_value']:.10g}" in out
    assert "success        yes" in out and f"iterations     {opt['iterations']}" in out
    assert "optimizer      cobyla" in out
    for name, value in opt["optimal_parameters"].items():
        assert f"{name}  {value:.10g}" in out
    theta = render.compact_value(data["outputs"]["theta"])
    assert f"theta       {theta}" in out and "energy" in out
    head, spark = render.convergence_summary(opt["history"], iterations=opt["iterations"])
    assert head in out and spark in out
    assert opt["history_ref"] == f"qfs://jobs/{job_id}/history.json"
    assert f"history: {opt['history_ref']}" in out
    assert f"message        {data['metadata']['optimizer.message']}" in out
    assert "distinct outcome" not in out  # no counts table for a hybrid job


def test_results_plot_png_svg_pdf(
    api: Api, vqe: tuple[str, dict[str, Any]], tmp_path: Path
) -> None:
    job_id, _ = vqe
    png = tmp_path / "conv.png"
    r = api.cli("results", job_id, "--plot", str(png))
    assert r.exit_code == 0, r.output
    assert f"convergence plot written to {png}" in r.stdout
    assert "optimal_value" in r.stdout  # the results are still shown
    data = png.read_bytes()
    assert data[:8] == PNG_SIGNATURE and len(data) > 10_000
    svg = tmp_path / "conv.SVG"
    r = api.cli("results", job_id, "--plot", str(svg), "--json")
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["job_id"] == job_id  # stdout stays pure JSON
    assert str(svg) in r.stderr
    text = svg.read_text()
    assert text.startswith("<?xml") and "<svg" in text and f"job {job_id}" in text
    pdf = tmp_path / "conv.pdf"
    assert api.cli("results", job_id, "--plot", str(pdf)).exit_code == 0
    assert pdf.read_bytes()[:5] == b"%PDF-"


def test_plot_without_history_exits_2(api: Api, tmp_path: Path) -> None:
    r = api.cli("submit", "--job", str(EXAMPLES / "bell" / "job.yaml"), "--wait", "--json")
    circuit_job = json.loads(r.stdout)["job_id"]
    out = tmp_path / "conv.png"
    r = api.cli("results", circuit_job, "--plot", str(out))
    assert r.exit_code == 2, r.output
    assert "has no convergence history to plot" in r.stderr
    assert not out.exists() and r.stdout == ""
    r = api.cli("results", circuit_job, "--plot", str(out), "--json")
    assert r.exit_code == 2
    assert json.loads(r.stderr)["error"]["reason"] == "NO_CONVERGENCE_HISTORY"
    assert not out.exists()


def test_plot_bad_suffix_or_unwritable_exits_2(
    api: Api, vqe: tuple[str, dict[str, Any]], tmp_path: Path
) -> None:
    job_id, _ = vqe
    r = api.cli("results", job_id, "--plot", str(tmp_path / "conv.jpg"))
    assert r.exit_code == 2 and ".png, .svg, .pdf" in r.stderr
    r = api.cli("results", job_id, "--plot", str(tmp_path / "missing" / "conv.png"))
    assert r.exit_code == 2 and "cannot write" in r.stderr


def test_watch_shows_iterations(api: Api, vqe: tuple[str, dict[str, Any]]) -> None:
    job_id, data = vqe
    history = data["optimization"]["history"]
    r = api.cli("watch", job_id)
    assert r.exit_code == 0, r.output
    its = [ln for ln in r.stdout.splitlines() if " iteration " in ln]
    assert len(its) == len(history)
    for k in (1, len(history)):
        assert its[k - 1].endswith(f"iteration {k}/100 value={history[k - 1]:.8g}")
    events = [json.loads(ln) for ln in api.cli("watch", job_id, "--json").stdout.splitlines()]
    iterations = [e for e in events if e["iteration"]]
    assert [e["iteration"] for e in iterations] == list(range(1, len(history) + 1))
    assert [e["current_value"] for e in iterations] == history


def test_submit_watch_hybrid_job(api: Api) -> None:
    r = api.cli("submit", "--job", str(H2_JOB), "--watch")
    assert r.exit_code == 0, r.output
    assert "iteration 1/100 value=" in r.stdout
    assert "finished: DONE" in r.stdout and "optimal_value  -1.85727" in r.stdout


def test_compile_shows_plan_summary(api: Api) -> None:
    r = api.cli("compile", str(H2_PROGRAM))
    assert r.exit_code == 0, r.output
    out = r.stdout
    assert "hybrid plan" in out
    assert "parameters     2: theta[0], theta[1]" in out
    assert "5 term(s) on 2 qubit(s): -1.05237·II, +0.397937·IZ" in out
    assert "shots          exact" in out
    assert "optimizer      cobyla" in out and "max_iter       100" in out
    assert "tolerance      1e-08" in out and "2 value(s) [0.1, 0.1]" in out
    assert "energy ← optimal_value" in out and "theta ← optimal_parameters" in out
    assert "logical_qubits" in out  # metrics
    assert "parametrised circuit" in out and "Ry(theta[0])" in out  # Qiskit drawing
    data = json.loads(api.cli("compile", str(H2_PROGRAM), "--json").stdout)
    plan = parse_plan(json.dumps(data["hybrid_plan_json"]).encode())
    assert plan.parameters == ("theta[0]", "theta[1]")
    assert plan.optimizer.method == "cobyla" and plan.optimizer.max_iter == 100
    assert plan.sha256() in out
