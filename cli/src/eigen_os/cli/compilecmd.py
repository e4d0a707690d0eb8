"""``eigen compile``: compile or validate a program through the API and draw the circuit.

With ``--target`` (or a job.yaml's target) the answer also holds the circuit as that device
runs it (SPEC §13): transpiled to its ISA by the pass manager its driver runs jobs with. It is
shown after the compiled circuit: device, transpiler, depth, two-qubit gates, gate counts, the
physical qubits used, the layout (virtual → physical) and the mapped circuit, drawn on the
physical qubits it uses (listed, not drawn, when it is wide or long).
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click
from rich.console import Console, Group
from rich.table import Table
from rich.text import Text

from eigen.api.v1 import compilation_pb2
from eigen_ir import aqo
from eigen_ir.aqo import AqoError
from eigen_ir.hybrid import HybridPlan, PlanError
from eigen_os.cli import plans, render
from eigen_os.cli.context import AppContext, pass_app
from eigen_os.cli.errors import EXIT_USER
from eigen_os.cli.output import emit_json, json_option, message_to_dict, stdout_console
from eigen_os.cli.params import parse_inputs, parse_pairs
from eigen_os.client import compile_request
from eigen_os.jobspec import LANGUAGES, Overrides, load_jobspec, program_from_file

#: A mapped circuit acting on more physical qubits, or with more operations, is listed rather
#: than drawn (a drawing that wide or long is unreadable in a terminal).
DRAW_MAX_QUBITS = 16
DRAW_MAX_OPERATIONS = 400
#: Operations of a listed mapped circuit printed before a count of the rest.
LIST_MAX_OPERATIONS = 300


def _decoded(data: dict[str, Any], resp: compilation_pb2.CompileCircuitResponse) -> dict[str, Any]:
    """Replace the base64 AQO / plan documents with the decoded JSON; ``isa`` null when absent.

    ``plan_summary`` (:func:`eigen_os.cli.plans.plan_summary`) is added: null without a plan,
    or when the plan cannot be read (a server bug; the document is still there as sent).
    """
    data["aqo_json"] = json.loads(resp.aqo_json) if resp.aqo_json else None
    data["hybrid_plan_json"] = json.loads(resp.hybrid_plan_json) if resp.hybrid_plan_json else None
    data["plan_summary"] = None
    if resp.hybrid_plan_json:
        with contextlib.suppress(PlanError):
            data["plan_summary"] = plans.plan_summary(plans.read_plan(resp.hybrid_plan_json))
    if resp.HasField("isa"):
        data["isa"]["aqo_json"] = json.loads(resp.isa.aqo_json)
    else:
        data["isa"] = None
    return data


def _layout_text(layout: Sequence[int]) -> str:
    return "  ".join(f"q[{v}]→{p}" for v, p in enumerate(layout))


def _isa_rows(isa: compilation_pb2.IsaCircuit) -> list[tuple[str, str]]:
    meta = dict(isa.metadata)
    rows = [("device", isa.device_id), ("transpiler", meta.pop("transpiler", ""))]
    rows += [(k, meta.pop(k)) for k in ("optimization_level", "seed_transpiler") if k in meta]
    rows += [
        ("depth", str(isa.depth)),
        ("two_qubit_gates", str(isa.two_qubit_gates)),
        ("gates", ", ".join(f"{name} {n}" for name, n in sorted(isa.gate_counts.items()))),
        ("physical_qubits", ", ".join(map(str, isa.active_qubits))),
        ("layout", _layout_text(isa.initial_layout)),
    ]
    if list(isa.final_layout) != list(isa.initial_layout):
        rows.append(("final_layout", _layout_text(isa.final_layout)))
    rows += sorted(meta.items())
    return rows


def _param_text(p: aqo.Param) -> str:
    return f"{p:.6g}" if isinstance(p, int | float) else str(p)


def mapped_circuit_text(circuit: aqo.Circuit, width: int) -> str:
    """The mapped circuit on the physical qubits it uses: Qiskit's text drawing, or a listing.

    Idle physical qubits are left out (a device has up to hundreds). Wider than
    :data:`DRAW_MAX_QUBITS` or longer than :data:`DRAW_MAX_OPERATIONS`: one line per operation
    (``cz q[28], q[29]``), the first :data:`LIST_MAX_OPERATIONS` of them.
    """
    used = {q for o in circuit.operations for q in o.q}
    if len(used) <= DRAW_MAX_QUBITS and len(circuit.operations) <= DRAW_MAX_OPERATIONS:
        from eigen_ir.aqo_qiskit import to_qiskit

        return str(to_qiskit(circuit).draw("text", idle_wires=False, fold=max(40, width)))
    lines = [f"{len(circuit.operations)} operations on {len(used)} physical qubits"]
    for o in circuit.operations[:LIST_MAX_OPERATIONS]:
        params = f"({', '.join(_param_text(p) for p in o.params)})" if o.params else ""
        meas = f" -> {', '.join(f'c[{c}]' for c in o.c)}" if o.c else ""
        lines.append(
            f"  {o.op.lower()}{params} {', '.join(f'q[{q}]' for q in o.q)}{meas}"
            + render.cond_text(o.cond)
        )
    if len(circuit.operations) > LIST_MAX_OPERATIONS:
        lines.append(f"  ... {len(circuit.operations) - LIST_MAX_OPERATIONS} more")
    return "\n".join(lines)


def render_isa(
    console: Console, isa: compilation_pb2.IsaCircuit, compiled: bytes, *, draw: bool
) -> None:
    """The circuit as the device runs it: figures, layout and (``draw``) the mapped circuit."""
    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold", no_wrap=True)
    table.add_column(overflow="fold")
    for k, v in _isa_rows(isa):
        table.add_row(k, Text(v))
    console.print(Group(Text(f"on {isa.device_id}", style="bold underline"), table))
    if not draw:
        return
    try:
        mapped = aqo.parse(isa.aqo_json)
        source = aqo.parse(compiled)
    except AqoError as exc:  # a server bug; the figures above are still useful
        console.print(Text(f"cannot draw the mapped circuit: {exc}", style="yellow"))
        return
    if (mapped.qubits, mapped.operations) == (source.qubits, source.operations):
        console.print(Text(f"{isa.device_id} runs the compiled circuit as it is", style="dim"))
        return
    console.out(mapped_circuit_text(mapped, console.width), highlight=False)


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
@click.option(
    "--target",
    default=None,
    help="Device or target to compile for (overrides the job.yaml); also shows the circuit "
    "mapped to its ISA (layout, depth, gate counts) as the device runs it.",
)
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
            plan = plans.read_plan(resp.hybrid_plan_json)
        except PlanError as exc:  # a server bug; the metrics and circuit are still useful
            console.print(Text(f"cannot read the plan: {exc}", style="yellow"))
        else:
            plans.render_plan(console, plan)
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
    if resp.HasField("isa"):
        render_isa(console, resp.isa, resp.aqo_json, draw=draw)
    elif plan is not None and request.target:
        console.print(
            Text(
                "no mapped circuit for a hybrid program: its circuit is parametrised (the "
                "device transpiles it once, its angles bound per run)",
                style="dim",
            )
        )


COMMANDS = [compile_cmd]
