"""Job commands: submit, status, watch, results, cancel, list."""

from __future__ import annotations

import re
from pathlib import Path

import click
from rich.console import Console
from rich.progress import (
    BarColumn,
    Progress,
    SpinnerColumn,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
)
from rich.text import Text

from eigen.api.v1 import job_pb2
from eigen_os.cli import render
from eigen_os.cli.context import AppContext, pass_app
from eigen_os.cli.errors import exit_code_for_state
from eigen_os.cli.output import (
    emit_json,
    emit_json_line,
    json_option,
    message_to_dict,
    stderr_console,
    stdout_console,
)
from eigen_os.cli.params import parse_inputs
from eigen_os.cli.plot import PLOT_FORMATS, plot_convergence
from eigen_os.cli.queue import QueueChanges
from eigen_os.client import EigenClient, parse_state, state_name
from eigen_os.jobspec import (
    LANGUAGES,
    JobSpec,
    Overrides,
    load_jobspec,
    make_spec,
    program_from_file,
)
from eigen_os.results import Job, JobStatus

_WAIT_TIMEOUT = click.option(
    "--wait-timeout",
    type=click.FloatRange(min=0.1),
    default=None,
    metavar="SECONDS",
    help="Give up waiting after this long (exit 4; the job keeps running). Default: no limit.",
)


def follow_job(
    client: EigenClient,
    job_id: str,
    console: Console,
    *,
    as_json: bool,
    timeout: float | None,
) -> Job:
    """Show the job's events until the terminal one; return the final :class:`Job`.

    JSON mode prints one ``JobUpdate`` object per line. On a terminal a live progress bar shows
    state, stage and progress (while the job waits: its place in line and the estimated wait,
    refreshed by heartbeats) with the event messages above it; otherwise one line per event.
    Besides events, a heartbeat is shown (JSON: ``"heartbeat": true``; text: a ``~`` line) when
    the job waits and its place, estimate or reason changed. The results come with the terminal
    event, so the caller's ``client.results(job_id)`` makes no further call.
    """
    changes = QueueChanges()
    updates = client.stream_updates(
        job_id, timeout=timeout, include_heartbeats=True, include_results=True
    )
    if as_json:
        for u in updates:
            if changes.shows(u.proto):
                emit_json_line(message_to_dict(u.proto))
        return client.status(job_id)
    if not console.is_terminal:
        for u in updates:
            if changes.shows(u.proto):
                console.print(render.event_line(u.proto))
        return client.status(job_id)
    columns = (
        SpinnerColumn(),
        TextColumn("{task.description}", style="bold", markup=False),
        BarColumn(),
        TaskProgressColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console, transient=False) as progress:
        task = progress.add_task(job_id, total=1.0)
        for u in updates:
            if u.heartbeat:
                if changes.shows(u.proto):
                    progress.update(task, description=render.progress_description(u.proto))
                progress.refresh()
                continue
            changes.shows(u.proto)
            progress.console.print(render.event_line(u.proto))
            progress.update(
                task, completed=u.progress, description=render.progress_description(u.proto)
            )
            if u.terminal:
                progress.update(task, completed=1.0 if u.state is JobStatus.DONE else u.progress)
    return client.status(job_id)


def _final_summary(console: Console, job: Job) -> None:
    line = Text.assemble(
        "job ", (job.job_id, "bold"), " finished: ", render.styled_state(job.state)
    )
    if job.error_code:
        line.append(f" ({job.error_code})", style="red")
    if job.message:
        line.append(f" — {job.message}")
    console.print(line)


_JOB_NAME = re.compile(r"[^a-zA-Z0-9._-]+")


def _program_spec(
    program: Path,
    language: str | None,
    name: str | None,
    target: str | None,
    shots: int | None,
    seed: int | None,
    priority: int | None,
) -> JobSpec:
    """The job of ``eigen submit PROGRAM --target T`` (no job.yaml)."""
    if not target:
        raise click.UsageError("--target is required when submitting a PROGRAM file")
    source, lang = program_from_file(program, language=language)
    fields = {"shots": shots, "seed": seed, "priority": priority}
    return make_spec(
        str(program),
        name=name or _JOB_NAME.sub("-", program.name.split(".")[0]).strip("-") or "program",
        program=source,
        language=lang,
        target=target,
        program_path=program.name,
        **{k: v for k, v in fields.items() if v is not None},
    )


@click.command()
@click.argument(
    "program",
    required=False,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
)
@click.option(
    "--job",
    "job_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="The job.yaml to submit (instead of a PROGRAM file).",
)
@click.option("--wait", is_flag=True, help="Wait for the job to finish and show its results.")
@click.option("--watch", is_flag=True, help="Show live progress until the job finishes.")
@click.option("--name", default=None, help="Job name (default: metadata.name or the file name).")
@click.option(
    "--target", default=None, help="Target (required with PROGRAM; overrides spec.target)."
)
@click.option("--shots", type=click.IntRange(min=1), default=None, help="Override spec.shots.")
@click.option("--seed", type=click.IntRange(min=0), default=None, help="Override spec.seed.")
@click.option(
    "--priority", type=click.IntRange(0, 100), default=None, help="Override spec.priority (0-100)."
)
@click.option(
    "--language",
    type=click.Choice(LANGUAGES),
    default=None,
    help="Language of PROGRAM (default: inferred from the suffix and an OPENQASM header).",
)
@click.option(
    "--input",
    "inputs",
    multiple=True,
    metavar="NAME=NUMBER",
    help="Parameter binding (repeatable; wins over spec.inputs).",
)
@click.option(
    "--idempotency-key", default="", help="Resubmitting with the same key returns the same job."
)
@click.option(
    "--reservation",
    default="",
    metavar="ID",
    help="Run in this reservation's slot (from `eigen reserve`; overrides spec.reservation_id).",
)
@click.option(
    "--save-state",
    type=click.Choice(["statevector", "density_matrix", "matrix_product_state"]),
    default=None,
    help="Keep the simulator's final state as the state.npy artifact (overrides spec.save_state).",
)
@_WAIT_TIMEOUT
@json_option
@pass_app
def submit(
    app: AppContext,
    program: Path | None,
    job_path: Path | None,
    wait: bool,
    watch: bool,
    name: str | None,
    target: str | None,
    shots: int | None,
    seed: int | None,
    priority: int | None,
    language: str | None,
    inputs: tuple[str, ...],
    idempotency_key: str,
    reservation: str,
    save_state: str | None,
    wait_timeout: float | None,
    as_json: bool,
) -> None:
    """Submit a job: a PROGRAM file (OpenQASM 2/3 or Eigen-Lang) with --target, or --job job.yaml.

    CLI flags override the job.yaml. `eigen submit circuit.qasm --target sim:local --shots 1000`
    needs no job.yaml.
    """
    if wait and watch:
        raise click.UsageError("--wait and --watch are mutually exclusive")
    if (program is None) == (job_path is None):
        raise click.UsageError("give either PROGRAM (with --target) or --job job.yaml")
    if language is not None and program is None:
        raise click.UsageError("--language applies to a PROGRAM file only")
    bindings = parse_inputs(inputs)
    err = stderr_console()
    if program is not None:
        spec = _program_spec(program, language, name, target, shots, seed, priority)
    else:
        assert job_path is not None
        parsed = load_jobspec(
            job_path,
            overrides=Overrides(
                name=name, target=target, shots=shots, seed=seed, priority=priority
            ),
        )
        for w in parsed.warnings:
            err.print(Text.assemble(("warning:", "yellow"), " ", w))
        spec = parsed.spec
    if save_state is not None:
        spec = spec.model_copy(update={"save_state": save_state})
    client = app.client()
    resp = client.submit_job(
        spec, inputs=bindings, idempotency_key=idempotency_key, reservation_id=reservation
    )
    console = stdout_console()
    if not (wait or watch):
        if as_json:
            emit_json(message_to_dict(resp))
        else:
            note = " (deduplicated: an earlier job with this key)" if resp.deduplicated else ""
            console.print(
                Text.assemble(
                    "job submitted: ", (resp.job_id, "bold"), f" [{state_name(resp.state)}]{note}"
                )
            )
        return
    if watch:
        if not as_json:
            console.print(Text.assemble("job submitted: ", (resp.job_id, "bold")))
        final = follow_job(client, resp.job_id, console, as_json=as_json, timeout=wait_timeout)
    else:
        if not as_json:
            err.print(f"job submitted: {resp.job_id}; waiting…", highlight=False)
        final = client.wait(resp.job_id, timeout=wait_timeout)
    results = client.results(resp.job_id)
    if as_json:
        emit_json(
            {
                "job_id": final.job_id,
                "state": job_pb2.JobStatus.Name(final.state),
                "job": message_to_dict(final.proto),
                "results": message_to_dict(results.proto),
            }
        )
    else:
        _final_summary(console, final)
        render.render_results(console, results.proto)
    code = exit_code_for_state(final.state)
    if code:
        raise click.exceptions.Exit(code)


@click.command()
@click.argument("job_id")
@json_option
@pass_app
def status(app: AppContext, job_id: str, as_json: bool) -> None:
    """Show a job's current status."""
    job = app.client().status(job_id)
    if as_json:
        emit_json(message_to_dict(job.proto))
    else:
        render.render_job(stdout_console(), job.proto)


@click.command()
@click.argument("job_id")
@_WAIT_TIMEOUT
@json_option
@pass_app
def watch(app: AppContext, job_id: str, wait_timeout: float | None, as_json: bool) -> None:
    """Follow a job live until it finishes (exit 4 if it ends ERROR/CANCELLED/TIMEOUT).

    Stopping the watch (Ctrl-C) never cancels the job.
    """
    console = stdout_console()
    try:
        final = follow_job(app.client(), job_id, console, as_json=as_json, timeout=wait_timeout)
    except KeyboardInterrupt:
        stderr_console().print(f"stopped watching; job {job_id} keeps running")
        raise click.exceptions.Exit(130) from None
    if not as_json:
        _final_summary(console, final)
    code = exit_code_for_state(final.state)
    if code:
        raise click.exceptions.Exit(code)


def _plot_suffix(_ctx: click.Context, _param: click.Parameter, value: Path | None) -> Path | None:
    if value is not None and value.suffix.lower() not in PLOT_FORMATS:
        raise click.BadParameter(f"must end in {', '.join(PLOT_FORMATS)}")
    return value


@click.command()
@click.argument("job_id")
@click.option(
    "--histogram/--table",
    default=True,
    help="Show counts with a bar histogram (default) or as a plain table.",
)
@click.option(
    "--top",
    type=click.IntRange(min=0),
    default=32,
    show_default=True,
    help="Show at most this many outcomes (0 = all).",
)
@click.option(
    "--plot",
    "plot_path",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    default=None,
    callback=_plot_suffix,
    metavar="FILE",
    help="Hybrid jobs: write the convergence plot to FILE (.png, .svg or .pdf; exit 2 if the "
    "job has no history).",
)
@json_option
@pass_app
def results(
    app: AppContext,
    job_id: str,
    histogram: bool,
    top: int,
    plot_path: Path | None,
    as_json: bool,
) -> None:
    """Show a finished job's results (counts, optimisation outcome, or error and diagnostics)."""
    res = app.client().results(job_id).proto
    if plot_path is not None:
        plot_convergence(res, plot_path)
    if as_json:
        emit_json(message_to_dict(res))
    else:
        render.render_results(stdout_console(), res, histogram=histogram, top=top)
    if plot_path is not None:
        if as_json:
            stderr_console().print(f"convergence plot written to {plot_path}")
        else:
            stdout_console().print(f"convergence plot written to {plot_path}")


@click.command()
@click.argument("job_id")
@click.option("--reason", default="", help="Reason recorded with the cancellation.")
@json_option
@pass_app
def cancel(app: AppContext, job_id: str, reason: str, as_json: bool) -> None:
    """Cancel a job that has not finished."""
    resp = app.client().cancel(job_id, reason)
    if as_json:
        emit_json(message_to_dict(resp))
    else:
        stdout_console().print(
            Text.assemble("job ", (resp.job_id, "bold"), " ", render.styled_state(resp.state))
        )


def _parse_states(values: tuple[str, ...]) -> list[int]:
    out: list[int] = []
    for v in values:
        for part in v.split(","):
            if part.strip():
                out.append(parse_state(part))
    return out


@click.command(name="list")
@click.option(
    "--state",
    "states",
    multiple=True,
    metavar="STATE",
    help="Only jobs in this state (done, error, running, queued, compiling, cancelled, timeout); "
    "repeat or comma-separate.",
)
@click.option("--limit", type=click.IntRange(min=1), default=20, show_default=True)
@json_option
@pass_app
def list_jobs(app: AppContext, states: tuple[str, ...], limit: int, as_json: bool) -> None:
    """List your jobs, newest first."""
    jobs = [j.proto for j in app.client().list_jobs(_parse_states(states), limit=limit)]
    if as_json:
        emit_json({"jobs": [message_to_dict(j) for j in jobs]})
    else:
        render.render_jobs(stdout_console(), jobs)


COMMANDS = [submit, status, watch, results, cancel, list_jobs]
