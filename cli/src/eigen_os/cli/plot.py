"""Convergence plot of a hybrid job (``eigen results JOB --plot FILE``), drawn with matplotlib.

Figures are built with matplotlib's object API on an Agg canvas: no pyplot, no global backend
switch and no display needed. The file format follows the suffix (:data:`PLOT_FORMATS`).
"""

from __future__ import annotations

import math
from pathlib import Path

from eigen.api.v1 import job_pb2
from eigen_common.errors import FailedPreconditionError, InvalidArgumentError

#: File suffixes ``--plot`` accepts (the format is chosen by the suffix).
PLOT_FORMATS = (".png", ".svg", ".pdf")
#: Above this many evaluations the points are drawn as a line only.
_MARKER_LIMIT = 200


def plot_title(res: job_pb2.GetJobResultsResponse) -> str:
    """``job <id> — <optimizer>`` (the optimizer from the results metadata, when known)."""
    method = res.metadata.get("optimizer", "")
    return f"job {res.job_id}" + (f" — {method}" if method else "")


def plot_convergence(res: job_pb2.GetJobResultsResponse, path: Path) -> Path:
    """Write the objective history of ``res`` (x = iteration, y = value) to ``path``.

    The figure shows every evaluation, the best value so far (dashed) and a star at the best
    evaluation; the title names the job and the optimiser.

    Returns:
        ``path``, after the file was written.

    Raises:
        FailedPreconditionError: the results carry no convergence history (not a hybrid job,
            or one that did not evaluate the objective) — exit code 2.
        InvalidArgumentError: the suffix is not one of :data:`PLOT_FORMATS`, or the file
            cannot be written — exit code 2.
    """
    history = list(res.optimization.history)
    if not history:
        raise FailedPreconditionError(
            f"job {res.job_id} has no convergence history to plot "
            "(only hybrid jobs that evaluated their objective have one)",
            reason="NO_CONVERGENCE_HISTORY",
        )
    fmt = path.suffix.lower()
    if fmt not in PLOT_FORMATS:
        raise InvalidArgumentError(
            f"cannot plot to {path.name!r}: the file name must end in {', '.join(PLOT_FORMATS)}",
            reason="UNSUPPORTED_PLOT_FORMAT",
        )
    # Imported here: matplotlib takes a noticeable time to import and most commands never plot.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(7.0, 4.2), dpi=120)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    xs = list(range(1, len(history) + 1))
    ax.plot(
        xs,
        history,
        color="C0",
        linewidth=1.2,
        marker="." if len(history) <= _MARKER_LIMIT else None,
        label="objective",
    )
    best_so_far: list[float] = []
    best = math.inf
    for v in history:
        if math.isfinite(v) and v < best:
            best = v
        best_so_far.append(best if math.isfinite(best) else math.nan)
    ax.plot(xs, best_so_far, color="C2", linestyle="--", linewidth=1.0, label="best so far")
    finite = [(v, i) for i, v in enumerate(history, 1) if math.isfinite(v)]
    if finite:
        best_value, best_it = min(finite)
        ax.scatter(
            [best_it],
            [best_value],
            marker="*",
            s=140,
            color="C3",
            zorder=3,
            label=f"best {best_value:.8g} (iteration {best_it})",
        )
    ax.set_xlabel("iteration (objective evaluation)")
    ax.set_ylabel("objective value")
    ax.set_title(plot_title(res))
    ax.grid(alpha=0.3)
    ax.legend(loc="best")
    fig.tight_layout()
    try:
        fig.savefig(path, format=fmt.removeprefix("."))
    except OSError as exc:
        raise InvalidArgumentError(
            f"cannot write {path}: {exc.strerror or exc}", reason="PLOT_NOT_WRITTEN"
        ) from None
    return path
