"""``eigen compile``: compile or validate a program through the API and draw the circuit."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click
from rich.text import Text

from eigen.api.v1 import compilation_pb2
from eigen_ir.aqo import AqoError
from eigen_ir.hybrid import HybridPlan, PlanError, parse_plan
from eigen_os.cli import render
from eigen_os.cli.context import AppContext, pass_app
from eigen_os.cli.errors import EXIT_USER
from eigen_os.cli.output import emit_json, json_option, message_to_dict, stdout_console
from eigen_os.cli.params import parse_inputs, parse_pairs
from eigen_os.client import compile_request
from eigen_os.jobspec import LANGUAGES, Overrides, load_jobspec, program_from_file


def _decoded(data: dict[str, Any], resp: compilation_pb2.CompileCircuitResponse) -> dict[str, Any]:
    """Replace the base64 ``aqo_json`` / ``hybrid_plan_json`` with the decoded JSON documents."""
    data["aqo_json"] = json.loads(resp.aqo_json) if resp.aqo_json else None
    data["hybrid_plan_json"] = json.loads(resp.hybrid_plan_json) if resp.hybrid_plan_json else None
    return data


@click.command(name="compile")
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
    help="Compile the program of this job.yaml (with its target and compiler options).",
)
@click.option("--target", default=None, help="Target to compile for (overrides the job.yaml).")
@click.option(
    "--language",
    type=click.Choice(LANGUAGES),
    default=None,
    help="Language of PROGRAM (default: inferred from the suffix and an OPENQASM header).",
)
@click.option("--entrypoint", default="", help="@hybrid_program function of PROGRAM.")
@click.option(
    "-O",
    "--option",
    "options",
    multiple=True,
    metavar="KEY=VALUE",
    help="Compiler option, e.g. -O optimization_level=1 (repeatable; wins over the job.yaml).",
)
@click.option(
    "--input",
    "inputs",
    multiple=True,
    metavar="NAME=NUMBER",
    help="Parameter binding (repeatable; wins over the job.yaml).",
)
@click.option(
    "--validate", is_flag=True, help="Only validate: list diagnostics (exit 2 if invalid)."
)
@click.option("--draw/--no-draw", default=True, help="Draw the compiled circuit (default on).")
@json_option
@pass_app
def compile_cmd(
    app: AppContext,
    program: Path | None,
    job_path: Path | None,
    target: str | None,
    language: str | None,
    entrypoint: str,
    options: tuple[str, ...],
    inputs: tuple[str, ...],
    validate: bool,
    draw: bool,
    as_json: bool,
) -> None:
    """Compile a program (PROGRAM or --job job.yaml) via the API; show metrics and the circuit."""
    if (program is None) == (job_path is None):
        raise click.UsageError("give either PROGRAM or --job job.yaml")
    opts = parse_pairs(options, "option")
    bindings = parse_inputs(inputs)
    if job_path is not None:
        spec = load_jobspec(job_path, overrides=Overrides(target=target)).spec
        request = spec.to_compile_request()
        request.options.update(opts)
        request.inputs.update(bindings)
    else:
        assert program is not None
        source, lang = program_from_file(program, language=language)
        request = compile_request(
            source, lang, target=target or "", options=opts, inputs=bindings, entrypoint=entrypoint
        )
    client = app.client()
    console = stdout_console()
    if validate:
        vresp = client.validate(request)
        if as_json:
            emit_json(message_to_dict(vresp))
        else:
            if vresp.valid:
                console.print(Text("valid", style="bold green"))
                if vresp.HasField("metadata"):
                    render.render_compilation(console, vresp.metadata, title="metrics")
            else:
                console.print(Text("invalid", style="bold red"))
            if vresp.diagnostics:
                render.render_diagnostics(console, vresp.diagnostics)
        if not vresp.valid:
            raise click.exceptions.Exit(EXIT_USER)
        return
    resp = client.compile(request)
    if as_json:
        emit_json(_decoded(message_to_dict(resp), resp))
        return
    render.render_compilation(console, resp.metadata)
    plan: HybridPlan | None = None
    if resp.hybrid_plan_json:
        try:
            plan = parse_plan(resp.hybrid_plan_json)
        except PlanError as exc:  # a server bug; the metrics and circuit are still useful
            console.print(Text(f"cannot read the hybrid plan: {exc}", style="yellow"))
        else:
            render.render_hybrid_plan(console, plan)
    circuit = resp.aqo_json or (plan.circuit.canonical_bytes() if plan is not None else b"")
    if draw and circuit:
        if plan is not None:
            console.print(Text("parametrised circuit", style="bold underline"))
        try:
            drawing = render.draw_circuit(circuit, console.width)
        except AqoError as exc:  # a server bug, but the metrics above are still useful
            console.print(Text(f"cannot draw the circuit: {exc}", style="yellow"))
        else:
            console.out(drawing, highlight=False)


COMMANDS = [compile_cmd]
