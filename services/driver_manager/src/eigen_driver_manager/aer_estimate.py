"""Expectation values on Aer devices: exact from ``save_expval`` or sampled per measurement group.

Used by :meth:`eigen_driver_manager.aer_backed.AerBackedDriver.estimate_expectation_values`;
device-ready parametrised programs come from the driver's caches (:class:`AerPrograms`), so a
hybrid loop that sends the same circuit with new values never lowers or transpiles again.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

import qiskit_aer

from eigen_driver_manager.aer_engine import (
    PARALLEL_QUBITS,
    AerDevice,
    Program,
    ProgramCache,
    binds,
    digest,
    exact_values,
    sampled_values,
    with_expectation_value,
)
from eigen_driver_manager.base import EstimateOutcome
from eigen_ir import pauli
from eigen_ir.aqo import Circuit


@dataclass(frozen=True)
class AerPrograms:
    """A driver's program caches and its compiler (lower or transpile one circuit)."""

    programs: ProgramCache
    expvals: ProgramCache
    compile: Callable[[AerDevice, Circuit], Program]


def estimate(
    dev: AerDevice,
    circuit: Circuit,
    observable: Sequence[tuple[str, float]],
    bindings: Sequence[Mapping[str, float]],
    shots: int | None,
    seed: int | None,
    run_options: dict[str, Any],
    programs: AerPrograms,
) -> EstimateOutcome:
    """⟨H⟩ per binding on ``dev``: exact (``shots`` None) or sampled, in one Aer run.

    Exact: ``save_expval`` of the observable on the (laid out) program; a noisy device runs
    its density matrix. Sampled: ``shots`` per measurement group and binding, seeded by
    ``seed``, standard errors from the sample variance. ``run_options`` are the parsed Aer
    options. Metadata: ``mode``, ``method``, ``groups``/``shots_per_group`` (sampled),
    ``program_cache``, ``device_id``, ``simulator``, ``noise``, ``seed``.
    """
    sha = circuit.sha256()
    meta = {
        "device_id": dev.info.device_id,
        "simulator": f"qiskit-aer {qiskit_aer.__version__}",
        "noise": dev.info.capabilities.get("noise", "ideal"),
    }
    if shots is None:

        def build() -> Program:
            base, _ = programs.programs.get(
                (dev.info.device_id, sha, ""), lambda: programs.compile(dev, circuit)
            )
            return with_expectation_value(base, observable)

        prog, hit = programs.expvals.get((dev.info.device_id, sha, digest(observable)), build)
        if dev.model is not None:  # noisy: exact means the density matrix
            run_options["method"] = "density_matrix"
        if prog.parameters:
            run_options["parameter_binds"] = [binds(prog, bindings)]
        values, std_errors, elapsed, method = exact_values(dev, prog, len(bindings), run_options)
        meta["mode"] = "exact"
    else:
        groups = pauli.measurement_groups(observable)
        progs = []
        hit = True
        for g in groups:
            prog, g_hit = programs.programs.get(
                (dev.info.device_id, sha, g.basis),
                partial(programs.compile, dev, pauli.measured_circuit(circuit, g.basis)),
            )
            progs.append(prog)
            hit = hit and g_hit
        if seed is not None:
            run_options["seed_simulator"] = seed
            meta["seed"] = str(seed)
        if dev.native is not None and circuit.qubits < PARALLEL_QUBITS:
            run_options.setdefault("max_parallel_threads", 1)
        values, std_errors, elapsed, method = sampled_values(
            dev, progs, groups, bindings, shots, run_options
        )
        meta.update(mode="sampled", groups=str(len(groups)), shots_per_group=str(shots))
    meta["method"] = method
    meta["program_cache"] = "hit" if hit else "miss"
    return EstimateOutcome(values, std_errors, elapsed, meta)
