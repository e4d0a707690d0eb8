"""The plan of a compiled hybrid program as ``eigen compile`` shows it: VQE or QML training.

The compiler answers a hybrid program with a plan document (``hybrid_plan_json``): a hybrid
plan (``eigen_ir.hybrid``, an optimisation loop over one expectation value) or a training plan
(``eigen_ir.qml``, ``"kind": "training"``: a supervised classifier, docs/qml.md). This module
reads either kind, summarises it as table rows (the hybrid rows of
:func:`eigen_os.cli.render.plan_rows`; a training plan adds its dataset, split, feature map,
ansatz and loss) and as a JSON object for ``--json``.

``eigen_ir.qml`` imports Qiskit and SciPy, so it is imported only when a plan is read.
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING, Any

from rich.console import Console, Group
from rich.table import Table
from rich.text import Text

from eigen_ir.hybrid import HybridPlan, parse_plan
from eigen_os.cli import render

if TYPE_CHECKING:
    from eigen_ir.qml import TrainingPlan

#: Feature and weight names listed before a count (as the hybrid plan's parameters).
NAMES_SHOWN = render.PLAN_NAMES_SHOWN


def read_plan(data: bytes) -> HybridPlan:
    """Parse a plan document of either kind (a training plan is a :class:`HybridPlan` subclass).

    Raises:
        eigen_ir.hybrid.PlanError: the document is not a valid plan of its kind.
    """
    from eigen_ir.qml import is_training_plan, parse_training_plan

    if is_training_plan(data):
        return parse_training_plan(data)
    return parse_plan(data)


def plan_kind(plan: HybridPlan) -> str:
    """``"training"`` for a QML training plan, else ``"hybrid"``."""
    from eigen_ir.qml import PLAN_KIND, TrainingPlan

    return PLAN_KIND if isinstance(plan, TrainingPlan) else "hybrid"


def _names(names: tuple[str, ...]) -> str:
    shown = ", ".join(names[:NAMES_SHOWN])
    if len(names) > NAMES_SHOWN:
        shown += ", …"
    return f"{len(names)}" + (f": {shown}" if shown else "")


def ansatz_gate_counts(plan: TrainingPlan) -> dict[str, int]:
    """Gates of the ansatz (the model circuit without the feature map), by lower-case name."""
    ops = Counter(o.op.lower() for o in plan.circuit.operations)
    ops.subtract(o.op.lower() for o in plan.feature_map.operations())
    return {name: n for name, n in sorted(ops.items()) if n > 0}


def _dataset_text(plan: TrainingPlan) -> str:
    from eigen_ir.qml_data import DATASETS

    ds = plan.dataset
    names = DATASETS[ds.name].class_names
    text = f"{ds.name}: {names[ds.classes[0]]} (0) vs {names[ds.classes[1]]} (1)"
    text += f", feature columns {', '.join(map(str, ds.features))}"
    if ds.n_samples is not None:  # generated
        extra = [f"noise {ds.noise:g}"] if ds.noise is not None else []
        extra += [f"factor {ds.factor:g}"] if ds.factor is not None else []
        text += f", generated with seed {ds.seed}" + "".join(f", {e}" for e in extra)
    return text


def _feature_map_text(plan: TrainingPlan) -> str:
    fm = plan.feature_map
    if fm.kind == "angle":
        head = f"angle encoding ({fm.rotation})"
    else:
        head = f"zz feature map (reps {fm.reps}, {fm.entanglement} entanglement)"
    shown = _names(plan.features).partition(": ")[2]
    return f"{head}, {fm.n_features} feature(s) → {len(plan.features)} parameter(s): {shown}"


def _ansatz_text(plan: TrainingPlan) -> str:
    gates = ansatz_gate_counts(plan)
    listed = ", ".join(f"{name} {n}" for name, n in gates.items())
    return f"{sum(gates.values())} gate(s)" + (f" ({listed})" if listed else "")


def training_plan_rows(plan: TrainingPlan) -> list[tuple[str, str]]:
    """Summary rows of a training plan: data, model, loss, then the optimiser rows.

    Dataset (classes, columns), samples (train / test split), feature map, ansatz (gate
    counts), qubits, weights (first :data:`NAMES_SHOWN` names), loss, then the rows
    :func:`eigen_os.cli.render.plan_rows` gives a hybrid plan (observable, shots, optimiser,
    initial point, returns, plan_sha256) without its ``parameters`` (here: ``weights``).
    """
    n = plan.dataset.sample_count()
    n_train, n_test = plan.split.sizes(n)
    rows = [
        ("dataset", _dataset_text(plan)),
        (
            "samples",
            f"{n}: {n_train} train / {n_test} test "
            f"(test_size {plan.split.test_size:g}, split seed {plan.split.seed})",
        ),
        ("feature_map", _feature_map_text(plan)),
        ("ansatz", _ansatz_text(plan)),
        ("qubits", str(plan.num_qubits)),
        ("weights", _names(plan.parameters)),
        ("loss", plan.loss),
    ]
    return rows + [(k, v) for k, v in render.plan_rows(plan) if k != "parameters"]


def render_plan(console: Console, plan: HybridPlan) -> None:
    """Summary table of a plan of either kind, titled ``hybrid plan`` or ``training plan``."""
    from eigen_ir.qml import TrainingPlan

    if not isinstance(plan, TrainingPlan):
        render.render_hybrid_plan(console, plan)
        return
    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold", no_wrap=True)
    table.add_column(overflow="fold")
    for k, v in training_plan_rows(plan):
        table.add_row(k, Text(v))
    console.print(Group(Text("training plan", style="bold underline"), table))


def plan_summary(plan: HybridPlan) -> dict[str, Any]:
    """The ``--json`` summary of a plan: its kind and what the full document only implies.

    Both kinds: ``kind``, ``num_qubits``, ``parameters`` (names, optimiser order),
    ``observable_terms``, ``shots`` (null = exact), ``optimizer`` (method, max_iter, tolerance,
    seed), ``plan_sha256``. A training plan adds ``features`` (feature-map parameter names),
    ``dataset`` (name, class names, feature columns, ``samples``, ``train_samples``,
    ``test_samples``, ``test_size``, ``split_seed``), ``feature_map`` (as in the plan),
    ``ansatz_gates`` (gate name → count) and ``loss``.
    """
    from eigen_ir.qml import TrainingPlan
    from eigen_ir.qml_data import DATASETS

    opt = plan.optimizer
    out: dict[str, Any] = {
        "kind": plan_kind(plan),
        "num_qubits": plan.num_qubits,
        "parameters": list(plan.parameters),
        "observable_terms": len(plan.observable),
        "shots": plan.shots,
        "optimizer": {
            "method": opt.method,
            "max_iter": opt.max_iter,
            "tolerance": opt.tolerance,
            "seed": opt.seed,
        },
        "plan_sha256": plan.sha256(),
    }
    if isinstance(plan, TrainingPlan):
        ds = plan.dataset
        n = ds.sample_count()
        n_train, n_test = plan.split.sizes(n)
        names = DATASETS[ds.name].class_names
        out.update(
            features=list(plan.features),
            dataset={
                **ds.to_json(),
                "class_names": [names[c] for c in ds.classes],
                "samples": n,
                "train_samples": n_train,
                "test_samples": n_test,
                "test_size": plan.split.test_size,
                "split_seed": plan.split.seed,
            },
            feature_map=plan.feature_map.to_json(),
            ansatz_gates=ansatz_gate_counts(plan),
            loss=plan.loss,
        )
    return out
