"""Human-readable rendering of API messages with rich (tables, histogram, circuit drawing)."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from google.protobuf.json_format import MessageToDict
from rich.console import Console, Group, RenderableType
from rich.table import Table
from rich.text import Text

from eigen.api.v1 import common_pb2, compilation_pb2, device_pb2, job_pb2
from eigen_ir import aqo, hybrid
from eigen_os.cli.output import format_time
from eigen_os.cli.queue import is_waiting, queue_cell, queue_rows
from eigen_os.client import state_name

_STATE_STYLE = {
    "DONE": "bold green",
    "ERROR": "bold red",
    "CANCELLED": "yellow",
    "TIMEOUT": "red",
    "RUNNING": "cyan",
    "QUEUED": "blue",
    "COMPILING": "magenta",
}
_BAR_WIDTH = 40
_EIGHTHS = " ▏▎▍▌▋▊▉█"


def styled_state(state: int, width: int = 0) -> Text:
    """The job state name with its colour (left-justified to ``width``)."""
    name = state_name(state)
    return Text(name.ljust(width), style=_STATE_STYLE.get(name, ""))


def device_status_name(status: int) -> str:
    """``DEVICE_STATUS_ONLINE`` → ``ONLINE``."""
    try:
        return device_pb2.DeviceStatus.Name(status).removeprefix("DEVICE_STATUS_")
    except ValueError:
        return f"UNKNOWN({status})"


def _kv_table(rows: Iterable[tuple[str, Any]], title: str | None = None) -> RenderableType:
    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold", no_wrap=True)
    table.add_column(overflow="fold")
    for k, v in rows:
        table.add_row(k, v if isinstance(v, Text) else Text(str(v)))
    if not title:
        return table
    # a heading line rather than ``Table.title``, which wraps to the width of the cells
    return Group(Text(title, style="bold underline"), table)


def render_job(console: Console, job: job_pb2.Job) -> None:
    """Key/value view of a ``Job``."""
    rows: list[tuple[str, Any]] = [
        ("job_id", job.job_id),
        ("name", job.name),
        ("state", styled_state(job.state)),
        ("stage", job.stage or "-"),
        ("progress", f"{job.progress:.0%}"),
        ("message", job.message or "-"),
        *queue_rows(job),
        ("target", job.target),
        ("device", job.device_id or "-"),
        ("priority", job.priority),
        ("shots", job.shots),
        ("created", format_time(job.created_at)),
        ("updated", format_time(job.updated_at)),
        ("events", job.last_event_seq),
    ]
    if job.reservation_id:
        rows.append(("reservation", job.reservation_id))
    if job.error_code:
        rows.append(("error_code", Text(job.error_code, style="red")))
    if job.dependencies:
        rows.append(("dependencies", ", ".join(job.dependencies)))
    for k, v in sorted(job.metadata.items()):
        rows.append((f"metadata.{k}", v))
    console.print(_kv_table(rows))


def _bar(fraction: float, width: int = _BAR_WIDTH) -> str:
    """A horizontal bar of ``fraction`` (0..1) × ``width`` cells, in eighths of a cell."""
    eighths = round(max(0.0, min(1.0, fraction)) * width * 8)
    full, part = divmod(eighths, 8)
    return "█" * full + (_EIGHTHS[part] if part else "")


def sorted_counts(counts: Mapping[str, int]) -> list[tuple[str, int]]:
    """Counts sorted by count (descending), then bitstring (ascending)."""
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))


def render_counts(
    console: Console, counts: Mapping[str, int], *, histogram: bool = True, top: int = 32
) -> None:
    """Counts table sorted by count; with ``histogram`` a bar per outcome scaled to the largest.

    ``top`` limits the rows (0 = all); the remainder is summarised in one line.
    """
    items = sorted_counts(counts)
    total = sum(counts.values())
    shown = items if top <= 0 else items[:top]
    table = Table(show_edge=False, box=None, pad_edge=False)
    table.add_column("outcome", style="bold")
    table.add_column("count", justify="right")
    table.add_column("prob.", justify="right")
    if histogram:
        table.add_column("", style="cyan", no_wrap=True)
    peak = items[0][1] if items else 0
    for bits, n in shown:
        row = [bits, str(n), f"{n / total:.4f}" if total else "-"]
        if histogram:
            row.append(_bar(n / peak if peak else 0.0))
        table.add_row(*row)
    console.print(table)
    rest = items[len(shown) :]
    if rest:
        console.print(
            f"… {len(rest)} more outcome(s) with {sum(n for _, n in rest)} shots (use --top 0)"
        )
    console.print(f"{len(items)} distinct outcome(s), {total} shots")


def render_diagnostics(console: Console, diagnostics: Iterable[common_pb2.Diagnostic]) -> None:
    """One line per diagnostic: ``line:col [rule] message`` and the hint."""
    for d in diagnostics:
        pos = f"{d.line}:{d.column}" if d.line else "-"
        warn = d.severity == common_pb2.SEVERITY_WARNING
        line = Text.assemble(
            (f"  {pos} ", "bold"),
            (f"[{d.rule}] ", "yellow" if warn else "red"),
            d.message,
        )
        console.print(line)
        if d.hint:
            console.print(Text(f"      hint: {d.hint}", style="dim"))


_SPARKS = "▁▂▃▄▅▆▇█"
#: Results metadata shown in the optimisation section (key → label), not repeated below it.
_OPTIMIZATION_META = {
    "optimizer": "optimizer",
    "optimizer.message": "message",
    "shots": "shots",
    "optimizer_seed": "seed",
}
#: Width (characters) of the convergence sparkline.
SPARK_WIDTH = 48
#: Optimal parameters listed in full up to this many; beyond it the first few and a count.
MAX_PARAMETERS_SHOWN = 12
_PARAMETERS_HEAD = 8
_MAX_LIST_SHOWN = 8


def sparkline(values: Sequence[float], width: int = SPARK_WIDTH) -> str:
    """A one-line unicode chart of ``values`` (``▁`` = lowest, ``█`` = highest).

    At most ``width`` characters: longer series are split into ``width`` consecutive buckets
    and each bucket shows its minimum (optimisers minimise, so the chart follows the best value
    reached in each stretch). Non-finite values are blanks; a constant series is a flat line.
    """
    if not values or width <= 0:
        return ""
    n = len(values)
    if n > width:
        points = [_bucket_min(values[i * n // width : (i + 1) * n // width]) for i in range(width)]
    else:
        points = list(values)
    finite = [v for v in points if math.isfinite(v)]
    if not finite:
        return " " * len(points)
    lo, hi = min(finite), max(finite)
    top = len(_SPARKS) - 1
    out = []
    for v in points:
        if not math.isfinite(v):
            out.append(" ")
        elif hi == lo:
            out.append(_SPARKS[top // 2])
        else:
            out.append(_SPARKS[round((v - lo) / (hi - lo) * top)])
    return "".join(out)


def _bucket_min(bucket: Sequence[float]) -> float:
    finite = [v for v in bucket if math.isfinite(v)]
    return min(finite) if finite else math.nan


def natural_key(name: str) -> tuple[tuple[int, int | str], ...]:
    """Sort key that orders embedded numbers numerically (``theta[2]`` before ``theta[10]``)."""
    return tuple(
        (0, int(part)) if part.isdigit() else (1, part) for part in re.split(r"(\d+)", name) if part
    )


def compact_value(value: Any, max_items: int = _MAX_LIST_SHOWN) -> str:
    """One-line text for a JSON value (an ``outputs`` entry).

    Numbers get 10 significant digits (``5.0`` → ``5``); lists longer than ``max_items`` are
    cut to their first items and a count.
    """
    if isinstance(value, bool) or value is None:
        return json.dumps(value)
    if isinstance(value, float):
        return f"{value:.10g}"
    if isinstance(value, int | str):
        return str(value)
    if isinstance(value, list):
        items = [compact_value(v, max_items) for v in value[:max_items]]
        if len(value) > max_items:
            items.append(f"… ({len(value)} values)")
        return "[" + ", ".join(items) + "]"
    if isinstance(value, dict):
        inner = ", ".join(f"{k}: {compact_value(v, max_items)}" for k, v in value.items())
        return "{" + inner + "}"
    return str(value)


def convergence_summary(history: Sequence[float], *, iterations: int = 0) -> list[str]:
    """Lines summarising an objective history (one value per evaluation, in order).

    First line: evaluation count, first, best (with its 1-based iteration) and last value;
    second line: the :func:`sparkline`. When the server sent fewer values than ``iterations``
    (a truncated inline history), the first line says so. Empty ``history`` → no lines.
    """
    if not history:
        return []
    finite = [(v, i) for i, v in enumerate(history, 1) if math.isfinite(v)]
    best = f"{min(finite)[0]:.8g} (#{min(finite)[1]})" if finite else "-"
    head = (
        f"{len(history)} evaluation(s)  first {history[0]:.8g}  best {best}  last {history[-1]:.8g}"
    )
    if iterations > len(history):
        head += f"  (first {len(history)} of {iterations} shown)"
    return [head, sparkline(history)]


def render_optimization(
    console: Console,
    opt: job_pb2.OptimizationResult,
    metadata: Mapping[str, str] | None = None,
) -> None:
    """The outcome of a hybrid loop: value, success, iterations, optimiser, parameters, history.

    ``metadata`` is the results metadata (``optimizer``, ``optimizer.message``, ``shots``,
    ``optimizer_seed``); missing keys are left out. Parameters are sorted by name
    (:func:`natural_key`); more than :data:`MAX_PARAMETERS_SHOWN` are cut to the first few
    and a count.
    """
    meta = metadata or {}
    rows: list[tuple[str, Any]] = [
        ("optimal_value", Text(f"{opt.optimal_value:.10g}", style="bold")),
        ("success", Text("yes", style="green") if opt.success else Text("no", style="yellow")),
        ("iterations", opt.iterations),
    ]
    for key, label in _OPTIMIZATION_META.items():
        if meta.get(key):
            rows.append((label, meta[key]))
    console.print(_kv_table(rows, title="optimisation"))
    params = sorted(opt.optimal_parameters.items(), key=lambda kv: natural_key(kv[0]))
    if params:
        shown = params if len(params) <= MAX_PARAMETERS_SHOWN else params[:_PARAMETERS_HEAD]
        prows: list[tuple[str, Any]] = [(k, f"{v:.10g}") for k, v in shown]
        if len(shown) < len(params):
            prows.append(("…", f"{len(params) - len(shown)} more (use --json for all)"))
        console.print(_kv_table(prows, title=f"optimal parameters ({len(params)})"))
    lines = convergence_summary(opt.history, iterations=opt.iterations)
    if lines:
        console.print(Text("convergence", style="bold underline"))
        console.print(Text(lines[0]))
        console.print(Text(lines[1], style="cyan"))
    if opt.history_ref:
        console.print(Text(f"history: {opt.history_ref}", style="dim"))


def render_results(
    console: Console, res: job_pb2.GetJobResultsResponse, *, histogram: bool = True, top: int = 32
) -> None:
    """Results of a terminal job: counts (+ histogram), hybrid outcome, metadata, or the error."""
    head = Text.assemble(("job ", ""), (res.job_id, "bold"), "  ", styled_state(res.state))
    if res.HasField("completed_at"):
        head.append(f"  completed {format_time(res.completed_at)}")
    console.print(head)
    if res.error_code or res.error_summary:
        console.print(Text(f"error: {res.error_code or 'ERROR'}", style="bold red"))
        if res.error_summary:
            console.print(f"  {res.error_summary}")
        if res.diagnostics:
            console.print("diagnostics:")
            render_diagnostics(console, res.diagnostics)
        if res.error_details_ref:
            console.print(Text(f"details: {res.error_details_ref}", style="dim"))
    if res.counts:
        render_counts(console, res.counts, histogram=histogram, top=top)
    if res.HasField("optimization"):
        render_optimization(console, res.optimization, res.metadata)
    if res.expectation_values:
        console.print(
            _kv_table(
                [(k, f"{v:.10g}") for k, v in sorted(res.expectation_values.items())],
                title="expectation values",
            )
        )
    if res.sweep_results:
        render_sweep(console, res.sweep_results, top=top)
    if res.HasField("outputs") and res.outputs.fields:
        outputs = MessageToDict(res.outputs)
        console.print(
            _kv_table([(k, compact_value(v)) for k, v in sorted(outputs.items())], title="outputs")
        )
    shown = _OPTIMIZATION_META if res.HasField("optimization") else ()
    meta = [(k, v) for k, v in sorted(res.metadata.items()) if k not in shown]
    if meta:
        console.print(_kv_table(meta, title="metadata"))
    if res.artifacts:
        render_artifacts(console, res.job_id, res.artifacts)


def format_size(n: int) -> str:
    """``512 B``, ``1.5 KiB``, ``3.0 MiB``, ``2.0 GiB``."""
    size = float(n)
    for unit in ("B", "KiB", "MiB"):
        if size < 1024:
            return f"{int(size)} B" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} GiB"


def render_artifacts(
    console: Console, job_id: str, artifacts: Iterable[job_pb2.ArtifactRef]
) -> None:
    """The job's artifacts (name, size, media type) and how to fetch one."""
    table = Table(box=None, pad_edge=False)
    for col in ("NAME", "SIZE", "TYPE"):
        table.add_column(col, justify="right" if col == "SIZE" else "left", no_wrap=True)
    for a in artifacts:
        table.add_row(a.name, format_size(a.size_bytes), a.content_type or "-")
    console.print(Text("artifacts", style="bold underline"))
    console.print(table)
    console.print(Text(f"fetch one with: eigen artifact {job_id} NAME [-o FILE]", style="dim"))


def _binding_text(values: Mapping[str, float]) -> str:
    items = sorted(values.items(), key=lambda kv: natural_key(kv[0]))
    return ", ".join(f"{k}={v:.6g}" for k, v in items) or "-"


def render_sweep(console: Console, sweep: Sequence[job_pb2.SweepResult], *, top: int = 32) -> None:
    """One row per binding of a sweep job (at most ``top``; 0 = all).

    Sampling: the binding's values, its most frequent outcome and the number of distinct ones;
    estimation: one expectation value ± standard error per observable.
    """
    table = Table(box=None, pad_edge=False, title_justify="left")
    table.add_column("#", justify="right")
    table.add_column("parameters", overflow="fold")
    estimation = any(s.expectation_values for s in sweep)
    if estimation:
        table.add_column("expectation values (± std)", overflow="fold")
    else:
        for col in ("top outcome", "count", "outcomes"):
            table.add_column(col, justify="left" if col == "top outcome" else "right")
    shown = sweep if top <= 0 else sweep[:top]
    for i, point in enumerate(shown):
        row = [str(i), _binding_text(point.parameter_values)]
        if estimation:
            evs = list(point.expectation_values)
            errs = [*point.std_errors, *[0.0] * max(0, len(evs) - len(point.std_errors))]
            row.append(", ".join(f"{v:.8g} ± {e:.2g}" for v, e in zip(evs, errs, strict=False)))
        else:
            best = sorted_counts(point.counts)[:1]
            row += [best[0][0], str(best[0][1]), str(len(point.counts))] if best else ["-"] * 3
        table.add_row(*row)
    console.print(Text(f"sweep: {len(sweep)} binding(s)", style="bold underline"))
    console.print(table)
    if len(shown) < len(sweep):
        console.print(f"… {len(sweep) - len(shown)} more binding(s) (use --top 0 or --json)")


def render_jobs(console: Console, jobs: Iterable[job_pb2.Job]) -> int:
    """Table of jobs; returns how many rows were printed."""
    table = Table(box=None, pad_edge=False)
    for col in ("JOB ID", "NAME", "STATE", "STAGE", "WAITING", "TARGET", "SHOTS", "CREATED"):
        table.add_column(col, no_wrap=col in ("JOB ID", "CREATED"), overflow="fold")
    n = 0
    for j in jobs:
        table.add_row(
            j.job_id,
            j.name,
            styled_state(j.state),
            j.stage or "-",
            queue_cell(j),
            j.target,
            str(j.shots),
            format_time(j.created_at),
        )
        n += 1
    if n:
        console.print(table)
    else:
        console.print("no jobs")
    return n


def render_devices(console: Console, devices: Iterable[device_pb2.Device]) -> None:
    """Table of devices."""
    table = Table(box=None, pad_edge=False)
    cols = ("DEVICE", "STATUS", "TARGETS", "QUBITS", "SLOTS", "QUEUE", "WAIT", "DRIVER", "NAME")
    for col in cols:
        table.add_column(col, no_wrap=col == "DEVICE", overflow="fold")
    for d in devices:
        status = device_status_name(d.status)
        table.add_row(
            d.device_id,
            Text(status, style="green" if status == "ONLINE" else "yellow"),
            ", ".join(d.targets) or "-",
            str(d.max_qubits),
            slots_text(d),
            str(d.queue_depth),
            f"{d.estimated_wait_sec}s",
            d.driver,
            d.name,
        )
    console.print(table)


def slots_text(d: device_pb2.Device) -> str:
    """``2`` or ``2 (1 reserved)``: the device's scheduler slots and how many are reserved."""
    return f"{d.slots} ({d.reserved_slots} reserved)" if d.reserved_slots else str(d.slots)


def render_device(
    console: Console,
    d: device_pb2.Device,
    status: device_pb2.GetDeviceStatusResponse | None = None,
) -> None:
    """Details of one device (and its live status message, if given)."""
    rows: list[tuple[str, Any]] = [
        ("device_id", d.device_id),
        ("name", d.name),
        ("backend_type", d.backend_type),
        ("driver", d.driver),
        ("status", device_status_name(status.status if status else d.status)),
        ("targets", ", ".join(d.targets) or "-"),
        ("max_qubits", d.max_qubits),
        ("slots", d.slots),
        ("reserved_slots", d.reserved_slots),
        ("queue_depth", status.queue_depth if status else d.queue_depth),
        ("estimated_wait", f"{status.estimated_wait_sec if status else d.estimated_wait_sec}s"),
    ]
    if status is not None and status.message:
        rows.append(("message", status.message))
    rows += [(f"capabilities.{k}", v) for k, v in sorted(d.capabilities.items())]
    console.print(_kv_table(rows))


def iteration_label(u: job_pb2.JobUpdate) -> str:
    """``iteration k/N value=v`` for a hybrid iteration event, ``""`` for other events.

    ``N`` (the evaluation budget) is not a field of the update; it is recovered from
    ``progress = iteration / max_iter`` and left out while progress is 0.
    """
    if not u.iteration:
        return ""
    label = f"iteration {u.iteration}"
    if u.progress > 0:
        label += f"/{max(u.iteration, round(u.iteration / u.progress))}"
    if u.HasField("current_value"):
        label += f" value={u.current_value:.8g}"
    return label


def event_line(u: job_pb2.JobUpdate) -> Text:
    """One line for a job event: ``#seq time STATE stage progress message``.

    Hybrid iteration events show ``iteration k/N value=v`` in place of the kernel's own
    ``iteration ...`` message (any other message follows it). A heartbeat (no new event; it
    repeats the last ``event_seq``) starts with ``~`` instead of ``#seq``.
    """
    head = "~    " if u.heartbeat else f"#{u.event_seq:<3} "
    t = Text.assemble(
        (head, "dim"),
        (format_time(u.timestamp)[-8:] + " ", "dim"),
        styled_state(u.state, 9),
        f" {u.stage or '-':<11} {u.progress:>4.0%}  ",
    )
    label = iteration_label(u)
    if label:
        t.append(label, style="cyan")
        if u.message and not u.message.startswith("iteration"):
            t.append(f"  {u.message}")
    else:
        t.append(u.message)
    return t


def progress_description(u: job_pb2.JobUpdate) -> str:
    """Short description for a live progress bar.

    ``RUNNING EXECUTING iteration 3/50 value=…``, or while the job waits ``QUEUED QUEUED #2
    device, about 4 s``.
    """
    stage = f" {u.stage}" if u.stage else ""
    label = iteration_label(u) or (queue_cell(u) if is_waiting(u) else "")
    return f"{state_name(u.state)}{stage}{' ' + label if label else ''}"


def cond_text(cond: aqo.Cond | None) -> str:
    """`` if c[0, 1]==2`` or `` if c[0]!=1`` for an operation's condition; ``""`` for none.

    The clbits are listed least-significant first (as AQO writes them); the comparison is the
    condition's own (``==`` when it names none, see :data:`eigen_ir.aqo.Cond`).
    """
    if cond is None:
        return ""
    cmp = cond[2] if len(cond) == 3 else "=="
    return f" if c{list(cond[0])}{cmp}{cond[1]}"


def _ops_listing(circuit: aqo.Circuit) -> str:
    lines = [f"{circuit.qubits} qubit(s), {circuit.clbits} clbit(s)"]
    for o in circuit.operations:
        args = ", ".join(f"q[{q}]" for q in o.q)
        params = f"({', '.join(str(p) for p in o.params)})" if o.params else ""
        meas = f" -> {', '.join(f'c[{c}]' for c in o.c)}" if o.c else ""
        cond = cond_text(o.cond)
        lines.append(f"  {o.op.lower()}{params} {args}{meas}{cond}")
    return "\n".join(lines)


def draw_circuit(aqo_json: bytes, width: int = 100) -> str:
    """Text drawing of an AQO circuit (Qiskit's ``draw("text")``; a gate list without Qiskit).

    Raises:
        eigen_ir.aqo.AqoError: ``aqo_json`` is not valid AQO.
    """
    circuit = aqo.parse(aqo_json)
    try:
        from eigen_ir.aqo_qiskit import to_qiskit
    except ImportError:  # pragma: no cover - Qiskit is part of the workspace
        return _ops_listing(circuit)
    qc = to_qiskit(circuit)
    return str(qc.draw("text", fold=max(40, width)))


def render_compilation(
    console: Console, meta: compilation_pb2.CompilationMetadata, *, title: str = "compiled"
) -> None:
    """Compilation metrics: qubits, depth, gate count, further metrics, warnings, sha256."""
    rows: list[tuple[str, Any]] = [
        ("logical_qubits", meta.logical_qubits),
        ("depth", meta.depth),
        ("gate_count", meta.gate_count),
    ]
    rows += [(k, v) for k, v in sorted(meta.metrics.items())]
    if meta.aqo_sha256:
        rows.append(("aqo_sha256", meta.aqo_sha256))
    console.print(_kv_table(rows, title=title))
    for w in meta.warnings:
        console.print(Text(f"warning: {w}", style="yellow"))


#: Parameter names and observable terms listed in the compile summary before a count.
PLAN_NAMES_SHOWN = 6
PLAN_TERMS_SHOWN = 4


def _returns_text(plan: hybrid.HybridPlan) -> str:
    parts = []
    for key, ref in plan.returns:
        if "result" in ref:
            parts.append(f"{key} ← {ref['result']}")
        else:
            parts.append(f"{key} = {compact_value(ref['value'])}")
    return ", ".join(parts) or "-"


def plan_rows(plan: hybrid.HybridPlan) -> list[tuple[str, str]]:
    """Summary rows of a hybrid plan: parameters, observable, shots, optimiser, returns, sha256.

    Long lists are cut to their first :data:`PLAN_NAMES_SHOWN` parameter names and
    :data:`PLAN_TERMS_SHOWN` observable terms (``+0.39·IZ``), with the total count first.
    """
    names = ", ".join(plan.parameters[:PLAN_NAMES_SHOWN])
    if len(plan.parameters) > PLAN_NAMES_SHOWN:
        names += ", …"
    terms = ", ".join(f"{c:+.6g}·{label}" for label, c in plan.observable[:PLAN_TERMS_SHOWN])
    if len(plan.observable) > PLAN_TERMS_SHOWN:
        terms += ", …"
    opt = plan.optimizer
    x0 = f"{len(opt.initial_point)} value(s)"
    if opt.initial_point and len(opt.initial_point) <= _MAX_LIST_SHOWN:
        x0 += " " + compact_value(list(opt.initial_point))
    rows = [
        ("parameters", f"{len(plan.parameters)}" + (f": {names}" if names else "")),
        (
            "observable",
            f"{len(plan.observable)} term(s) on {plan.num_qubits} qubit(s): {terms}",
        ),
        ("shots", "exact" if plan.shots is None else str(plan.shots)),
        ("optimizer", opt.method),
        ("max_iter", str(opt.max_iter)),
        ("tolerance", "method default" if opt.tolerance is None else f"{opt.tolerance:g}"),
        ("initial_point", x0),
    ]
    if opt.seed is not None:
        rows.append(("optimizer_seed", str(opt.seed)))
    rows += [("returns", _returns_text(plan)), ("plan_sha256", plan.sha256())]
    return rows


def render_hybrid_plan(console: Console, plan: hybrid.HybridPlan) -> None:
    """Summary table of a hybrid plan (see :func:`plan_rows`)."""
    console.print(_kv_table(plan_rows(plan), title="hybrid plan"))
