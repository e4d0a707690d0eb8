"""A calibrated backend simulated on the qubits a circuit actually uses.

A noisy device (``aer.noisy_generic_5q``, ``ibm.fake_*``) transpiles a circuit to its backend's
``Target`` (an ISA circuit on all, e.g. 127, physical qubits). Handing Aer the whole device's
noise model on every run costs seconds (Aer converts and checks every one of thousands of
errors per run; measured 2.7-4.3 s for a Bell pair on ``FakeBrisbane``) although only the
errors of the few qubits the circuit touches can act. :class:`BackendModel` therefore

1. transpiles with a seeded pass manager built once (:meth:`BackendModel.transpile`, also
   what ``TranspileCircuit`` shows a user);
2. drops the idle physical qubits (``DAGCircuit.remove_qubits``), keeping the touched ones and
   the images of every virtual qubit, in ascending physical order;
3. runs that compact circuit with a noise model built by Aer's own
   ``NoiseModel.from_backend`` from the backend's ``Target`` restricted to those qubits (same
   T1/T2, frequencies, gate errors and durations, readout errors; qubit ``physical[i]``
   becomes ``i``). Noise models are cached per qubit set (a hybrid loop reuses its layout).

No noise is lost: the device noise model has no crosstalk or idle-qubit terms, so errors on
qubits the circuit never touches cannot change its counts (a seeded Bell run gives the same
counts either way). The backend itself is loaded on first use (:meth:`BackendModel.warm_up`),
because importing a vendor SDK and building a 127-qubit ``Target`` takes seconds.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import qiskit
from qiskit.circuit import QuantumCircuit
from qiskit.converters import circuit_to_dag, dag_to_circuit
from qiskit.providers import BackendV2, Options
from qiskit.transpiler import PassManager, Target, generate_preset_pass_manager
from qiskit_aer.noise import NoiseModel

#: Noise models kept per device (one per distinct set of active physical qubits).
NOISE_CACHE_SIZE = 64
#: Optimisation level of the preset pass manager every noisy device transpiles with.
OPTIMIZATION_LEVEL = 1


@dataclass(frozen=True)
class Compiled:
    """An ISA circuit reduced to its active qubits, and the noise that acts on them.

    Attributes:
        circuit: the transpiled circuit on ``len(physical)`` qubits (clbits unchanged).
        physical: the device qubit behind each circuit qubit, ascending.
        layout: virtual qubit ``v`` of the source circuit → index in ``circuit``.
        noise: the device's noise restricted to ``physical`` (renumbered 0..k-1).
    """

    circuit: QuantumCircuit
    physical: tuple[int, ...]
    layout: tuple[int, ...]
    noise: NoiseModel


class _SubBackend(BackendV2):
    """A BackendV2 around a restricted Target: the form ``NoiseModel.from_backend`` reads."""

    def __init__(self, target: Target):
        super().__init__(name="eigen-active-qubits")
        self._sub_target = target

    @property
    def target(self) -> Target:
        return self._sub_target

    @property
    def max_circuits(self) -> None:
        return None

    @classmethod
    def _default_options(cls) -> Options:
        return Options()

    def run(self, run_input: Any, **options: Any) -> Any:  # pragma: no cover - never run
        raise NotImplementedError("a noise-model source only")


def restrict_target(target: Target, physical: Sequence[int]) -> Target:
    """``target`` on the qubits ``physical`` only, qubit ``physical[i]`` renumbered ``i``.

    Instructions keep their properties on every qubit tuple inside ``physical``; global ones
    (control flow) stay global; qubit properties (T1, T2, frequency) follow their qubit.
    """
    pos = {p: i for i, p in enumerate(physical)}
    qprops = target.qubit_properties
    sub = Target(
        num_qubits=len(physical),
        dt=target.dt,
        granularity=target.granularity,
        min_length=target.min_length,
        pulse_alignment=target.pulse_alignment,
        acquire_alignment=target.acquire_alignment,
        qubit_properties=None if not qprops else [qprops[p] for p in physical],
    )
    for name in target.operation_names:
        op = target.operation_from_name(name)
        props = target[name]
        if None in props:  # a global instruction (e.g. if_else)
            sub.add_instruction(op, name=name)
            continue
        kept = {
            tuple(pos[q] for q in qargs): p
            for qargs, p in props.items()
            if qargs is not None and all(q in pos for q in qargs)
        }
        sub.add_instruction(op, kept, name=name)
    return sub


def noise_model_for(target: Target, physical: Sequence[int]) -> NoiseModel:
    """Aer's device noise model (``NoiseModel.from_backend``) of ``target`` on ``physical``."""
    return NoiseModel.from_backend(_SubBackend(restrict_target(target, physical)))


def remove_idle_qubits(
    circuit: QuantumCircuit, keep: Sequence[int] = ()
) -> tuple[QuantumCircuit, tuple[int, ...]]:
    """``circuit`` without the qubits no instruction touches (except those in ``keep``).

    Returns:
        The reduced circuit and, for each of its qubits, the index it had in ``circuit``.
    """
    used = {circuit.find_bit(q).index for inst in circuit.data for q in inst.qubits}
    used.update(keep)
    active = tuple(sorted(used))
    if len(active) == circuit.num_qubits:
        return circuit, active
    dag = circuit_to_dag(circuit)
    wanted = set(active)
    dag.remove_qubits(*(q for i, q in enumerate(dag.qubits) if i not in wanted))
    return dag_to_circuit(dag), active


class BackendModel:
    """A backend loaded on first use: seeded pass manager, compaction, noise per qubit set.

    Thread-safe: transpilation runs under a lock (a ``PassManager`` is not documented as
    re-entrant), noise models are built outside it.

    Args:
        load: returns the backend (``FakeBrisbane()``, ``GenericBackendV2(...)``); called once.
        seed_transpiler: seed of the transpiler (same circuit → same ISA circuit and layout).
    """

    def __init__(self, load: Callable[[], BackendV2], seed_transpiler: int):
        self._load = load
        self._seed = seed_transpiler
        self._lock = threading.Lock()
        self._loaded: tuple[Target, PassManager] | None = None
        self._noise: OrderedDict[tuple[int, ...], NoiseModel] = OrderedDict()
        self._noise_lock = threading.Lock()

    @property
    def loaded(self) -> bool:
        """True once the backend and its pass manager exist."""
        return self._loaded is not None

    def warm_up(self) -> None:
        """Load the backend and build the pass manager now (seconds for a large device)."""
        self._parts()

    def _parts(self) -> tuple[Target, PassManager]:
        with self._lock:
            if self._loaded is None:
                target = self._load().target
                pm = generate_preset_pass_manager(
                    optimization_level=OPTIMIZATION_LEVEL, target=target, seed_transpiler=self._seed
                )
                self._loaded = (target, pm)
            return self._loaded

    def describe(self) -> dict[str, str]:
        """How :meth:`transpile` transpiles (pass manager, optimisation level, seed)."""
        return {
            "transpiler": f"qiskit {qiskit.__version__} preset pass manager (the backend's Target)",
            "optimization_level": str(OPTIMIZATION_LEVEL),
            "seed_transpiler": str(self._seed),
        }

    def transpile(self, circuit: QuantumCircuit) -> QuantumCircuit:
        """The ISA circuit of ``circuit`` on all the backend's physical qubits.

        The seeded pass manager's output, exactly what :meth:`compile` reduces and runs.
        """
        _, pm = self._parts()
        with self._lock:
            isa: QuantumCircuit = pm.run(circuit)
        return isa

    def compile(self, circuit: QuantumCircuit) -> Compiled:
        """Transpile ``circuit`` to the backend and reduce it to its active qubits."""
        target, _ = self._parts()
        isa = self.transpile(circuit)
        virtual = (
            list(isa.layout.final_index_layout())
            if isa.layout is not None
            else list(range(circuit.num_qubits))
        )
        compact, physical = remove_idle_qubits(isa, virtual)
        pos = {p: i for i, p in enumerate(physical)}
        return Compiled(
            compact, physical, tuple(pos[p] for p in virtual), self.noise_for(target, physical)
        )

    def noise_for(self, target: Target, physical: tuple[int, ...]) -> NoiseModel:
        """The cached noise model of ``physical`` (built on a miss, ~50 ms for two qubits)."""
        with self._noise_lock:
            model = self._noise.get(physical)
            if model is not None:
                self._noise.move_to_end(physical)
                return model
        model = noise_model_for(target, physical)
        with self._noise_lock:
            self._noise[physical] = model
            while len(self._noise) > NOISE_CACHE_SIZE:
                self._noise.popitem(last=False)
        return model
