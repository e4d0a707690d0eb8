"""Running AQO circuits on Qiskit Aer: the machinery shared by every Aer-backed device.

The Aer driver's simulators and the IBM driver's offline ``ibm:fake_*`` devices both run here:
an :class:`AerDevice` holds one ``AerSimulator`` and either the AQO ops it runs natively (ideal
devices: :func:`eigen_driver_manager.lowering.lower` rewrites the rest exactly, no transpiler)
or a :class:`~eigen_driver_manager.noisy_backend.BackendModel` (noisy and fake devices: ISA
circuits reduced to their active qubits, run with the device noise of those qubits).
Device-ready parametrised programs are cached (:class:`ProgramCache`) so that a hybrid loop or a
parameter sweep never compiles the same circuit twice.
"""

from __future__ import annotations

import hashlib
import threading
import time
from array import array
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from qiskit.circuit import Parameter, QuantumCircuit
from qiskit.result import Result
from qiskit.transpiler import Target
from qiskit_aer import AerError, AerSimulator
from qiskit_aer.library import SaveExpectationValue
from qiskit_aer.noise import NoiseModel

from eigen_common.devices import Calibration, GateCalibration, QubitCalibration
from eigen_common.errors import BackendUnavailableError, EigenError, InvalidArgumentError
from eigen_driver_manager.base import DeviceInfo, circuit_too_large
from eigen_driver_manager.noisy_backend import BackendModel, Compiled
from eigen_driver_manager.options import OptionSpec
from eigen_ir import pauli
from eigen_ir.aqo import GATES

#: AQO op → Aer instruction name (the gates only; MEASURE/RESET/BARRIER always run).
AER_NAME = {op: op.lower() for op in GATES}
#: Below this width (Aer's default ``statevector_parallel_threshold``) small runs on ideal
#: devices go single-threaded unless ``max_parallel_threads`` says otherwise.
PARALLEL_QUBITS = 14
#: Label of the saved expectation value in Aer's result data.
_EV_LABEL = "ev"


@dataclass
class AerDevice:
    """One Aer device: its info, simulator, and how circuits reach it.

    ``save_kinds`` are the ``save_*`` instructions the device's simulation method supports
    (``statevector``, ``density_matrix``, ``matrix_product_state``). A device with a ``model``
    (noisy) runs every circuit transpiled and reduced to its active qubits, with the noise
    model of those qubits given to Aer per run (``noise_model`` run option).
    """

    info: DeviceInfo
    simulator: AerSimulator
    options: Mapping[str, OptionSpec]
    native: frozenset[str] | None = None  # AQO ops run as is (ideal devices)
    model: BackendModel | None = None  # transpile first (noisy devices)
    calibration: dict[str, str] = field(default_factory=dict)
    details: Calibration | None = None
    save_kinds: frozenset[str] = frozenset()

    def warm_up(self) -> None:
        """Load the backend and its pass manager now (seconds the first time)."""
        if self.model is not None:
            self.model.warm_up()

    def compile(self, qc: QuantumCircuit) -> Compiled:
        """Transpile ``qc`` for the device and reduce it to its active qubits.

        Raises:
            AssertionError: the device has no backend model (an ideal device).
        """
        assert self.model is not None
        return self.model.compile(qc)


@dataclass(frozen=True)
class Program:
    """A device-ready parametrised circuit and what is needed to feed it.

    ``layout`` maps each virtual qubit to its index in ``circuit`` when the circuit was
    transpiled (None: identity); ``noise`` is the noise model to run it with and ``physical``
    the device qubit behind each circuit qubit (noisy devices).
    """

    circuit: QuantumCircuit
    parameters: tuple[tuple[str, Parameter], ...]  # AQO name → Qiskit parameter still present
    layout: tuple[int, ...] | None = None
    noise: NoiseModel | None = None
    physical: tuple[int, ...] = ()  # device qubit behind each circuit qubit (transpiled)

    def run_options(self) -> dict[str, Any]:
        """The Aer run options this program needs (its noise model)."""
        return {} if self.noise is None else {"noise_model": self.noise}


class ProgramCache:
    """A thread-safe bounded LRU of :class:`Program` (builds outside the lock)."""

    def __init__(self, size: int):
        self._size = size
        self._items: OrderedDict[tuple[str, ...], Program] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple[str, ...], build: Callable[[], Program]) -> tuple[Program, bool]:
        """Return ``(program, hit)``; on a miss build it and keep it (evicting the oldest)."""
        with self._lock:
            prog = self._items.get(key)
            if prog is not None:
                self._items.move_to_end(key)
                return prog, True
        prog = build()
        with self._lock:
            self._items[key] = prog
            self._items.move_to_end(key)
            while len(self._items) > self._size:
                self._items.popitem(last=False)
        return prog, False

    def __len__(self) -> int:
        with self._lock:
            return len(self._items)


def run_aer_unchecked(dev: AerDevice, circuits: Any, **run_options: Any) -> tuple[Result, float]:
    """Run on ``dev``'s simulator; experiments may have failed one by one (check ``success``).

    Returns:
        The result and the wall time (s).

    Raises:
        EigenError: the run as a whole failed (see :func:`aer_failure`); Aer unavailable.
    """
    t0 = time.perf_counter()
    try:
        result = dev.simulator.run(circuits, **run_options).result()
    except AerError as exc:
        raise aer_failure(str(exc), dev.info.device_id) from None
    except (RuntimeError, MemoryError) as exc:  # executor gone, allocation failed
        raise BackendUnavailableError(f"Qiskit Aer is unavailable: {exc}") from None
    return result, time.perf_counter() - t0


def run_aer(dev: AerDevice, circuits: Any, **run_options: Any) -> tuple[Result, float]:
    """Run on ``dev``'s simulator; return the result and the wall time (s).

    Raises:
        InvalidArgumentError, FailedPreconditionError, BackendUnavailableError: see
            :func:`aer_failure` (also when any one experiment failed).
    """
    result, wall = run_aer_unchecked(dev, circuits, **run_options)
    failed = next((r for r in result.results if not r.success), None)
    if not result.success or not result.results or failed is not None:
        status = failed.status if failed is not None else result.status
        raise aer_failure(str(status or result.status), dev.info.device_id)
    return result, wall


def counts_of(exp: Any, width: int, shots: int) -> dict[str, int]:
    """Counts of one Aer experiment keyed by ``width``-bit strings (clbit 0 rightmost)."""
    raw = getattr(exp.data, "counts", None)
    if raw is None:  # no MEASURE at all: every clbit keeps its initial 0
        return {"0" * width: shots}
    return {format(int(k, 16), f"0{width}b"): int(v) for k, v in raw.items()}


def binds(prog: Program, bindings: Sequence[Mapping[str, float]]) -> dict[Parameter, list[float]]:
    """Aer ``parameter_binds`` of ``bindings`` for ``prog``: parameter → one value per row."""
    return {p: [float(b[name]) for b in bindings] for name, p in prog.parameters}


def elapsed(result: Result, wall: float) -> float:
    """Aer's own ``time_taken`` of a run (s), else the measured wall time."""
    return float(getattr(result, "time_taken", wall) or wall)


def method_of(result: Result, dev: AerDevice) -> str:
    """The simulation method Aer used for the first experiment."""
    return str(result.results[0].metadata.get("method", dev.info.capabilities.get("method", "")))


def digest(observable: Sequence[tuple[str, float]]) -> str:
    """A sha256 of the observable's labels and exact coefficients (a cache key)."""
    h = hashlib.sha256()
    h.update("/".join(label for label, _ in observable).encode())
    h.update(array("d", [c for _, c in observable]).tobytes())
    return h.hexdigest()


class _SaveExpval(SaveExpectationValue):
    """Aer's ``save_expval`` built from labels directly.

    :class:`SaveExpectationValue` wants a ``SparsePauliOp`` and walks it term by term through
    ``Pauli`` objects (seconds for 100,000 terms, plus as much again to build the operator);
    Aer itself only reads ``params`` = ``[(label, (coefficient, 0.0)), ...]``, which this
    class builds in one pass.
    """

    def __init__(self, num_qubits: int, params: list[tuple[str, tuple[float, float]]]):
        # skip SaveExpectationValue.__init__ (the slow conversion), keep its base's
        super(SaveExpectationValue, self).__init__(
            "save_expval", num_qubits, _EV_LABEL, params=params
        )


def place(label: str, layout: Sequence[int], width: int) -> str:
    """Move ``label`` (virtual qubits, rightmost = 0) to physical qubits: v → ``layout[v]``."""
    chars = ["I"] * width
    for v, ch in enumerate(reversed(label)):
        chars[width - 1 - layout[v]] = ch
    return "".join(chars)


def with_expectation_value(prog: Program, observable: Sequence[tuple[str, float]]) -> Program:
    """``prog`` plus a save of ⟨observable⟩ on all its qubits (laid out when transpiled).

    Equal labels are merged (their coefficients summed), as Aer's own conversion does.
    """
    qc = prog.circuit.copy()
    width = qc.num_qubits
    layout = prog.layout
    merged: dict[str, float] = {}
    for label, coeff in observable:
        key = label if layout is None else place(label, layout, width)
        merged[key] = merged.get(key, 0.0) + float(coeff)
    params = [(label, (coeff, 0.0)) for label, coeff in merged.items()]
    qc.append(_SaveExpval(width, params), qc.qubits)
    return Program(qc, prog.parameters, prog.layout, prog.noise, prog.physical)


def exact_values(
    dev: AerDevice, prog: Program, nb: int, run_options: dict[str, Any]
) -> tuple[list[float], list[float], float, str]:
    """One run of ``prog`` (which saves ⟨H⟩) for ``nb`` bindings already in ``run_options``.

    Returns values, zero errors, time (s) and the Aer method.
    """
    result, wall = run_aer(dev, prog.circuit, shots=1, **run_options, **prog.run_options())
    if prog.parameters:
        values = [float(result.data(i)[_EV_LABEL]) for i in range(nb)]
    else:  # nothing to bind: one state serves every binding
        values = [float(result.data(0)[_EV_LABEL])] * nb
    return values, [0.0] * nb, elapsed(result, wall), method_of(result, dev)


def sampled_values(
    dev: AerDevice,
    progs: Sequence[Program],
    groups: Sequence[pauli.MeasurementGroup],
    bindings: Sequence[Mapping[str, float]],
    shots: int,
    run_options: dict[str, Any],
) -> tuple[list[float], list[float], float, str]:
    """One run per noise model of every group × binding; values, std errors, time (s), method.

    Programs with the same noise model (all of them on an ideal device, those laid out on the
    same qubits on a noisy one) share one Aer run; its experiments come back circuit-major (a
    parametrised circuit expands to one experiment per binding).
    """
    nb = len(bindings)
    counts: dict[tuple[int, int], Any] = {}
    runs: dict[int, list[int]] = {}
    for g, prog in enumerate(progs):
        runs.setdefault(id(prog.noise), []).append(g)
    total = 0.0
    method = ""
    for members in runs.values():
        circuits: list[QuantumCircuit] = []
        per_circuit: list[dict[Parameter, list[float]]] = []
        slots: list[tuple[int, int]] = []
        for g in members:
            prog = progs[g]
            if prog.parameters:
                circuits.append(prog.circuit)
                per_circuit.append(binds(prog, bindings))
            else:
                circuits.extend([prog.circuit] * nb)
                per_circuit.extend({} for _ in range(nb))
            slots.extend((g, b) for b in range(nb))
        opts = dict(run_options, **progs[members[0]].run_options())
        if any(per_circuit):
            opts["parameter_binds"] = per_circuit
        result, wall = run_aer(dev, circuits, shots=shots, **opts)
        total += elapsed(result, wall)
        method = method or method_of(result, dev)
        for slot, exp in zip(slots, result.results, strict=True):
            counts[slot] = exp.data.counts
    values: list[float] = []
    std_errors: list[float] = []
    for b in range(nb):
        estimates = []
        for g, group in enumerate(groups):
            width = len(group.basis)  # every qubit measured, clbit i = qubit i
            raw = counts[(g, b)]
            bits = {format(int(k, 16), f"0{width}b"): int(v) for k, v in raw.items()}
            estimates.append(pauli.estimate_from_counts(group.terms, bits))
        value, error = pauli.combine(estimates)
        values.append(value)
        std_errors.append(error)
    return values, std_errors, total, method


def decompose(qc: QuantumCircuit, native: frozenset[str]) -> QuantumCircuit:
    """Decompose gates outside ``native`` (AQO names) with Qiskit's parametric definitions."""
    allowed = {AER_NAME[op] for op in native} | {"measure", "reset", "barrier"}
    for _ in range(4):
        foreign = sorted(set(qc.count_ops()) - allowed)
        if not foreign:
            return qc
        qc = qc.decompose(gates_to_decompose=foreign)
    raise InvalidArgumentError(
        f"gate(s) {', '.join(sorted(set(qc.count_ops()) - allowed))} are not supported by this "
        "device",
        reason="UNSUPPORTED_INSTRUCTION",
    )


def supported_saves(method: str) -> frozenset[str]:
    """The state kinds Aer's ``method`` can save (``statevector``, ``density_matrix``, ...)."""
    names = AerSimulator(method=method).target.operation_names
    return frozenset(n.removeprefix("save_") for n in names if n.startswith("save_"))


def calibration_from_target(target: Target, calibrated_at: float | None) -> Calibration:
    """The common calibration model of a Qiskit ``Target`` (fake and generic backends).

    T1/T2 come from ``qubit_properties`` (seconds → µs), readout error from ``measure``'s
    instruction properties, gate error and duration (seconds → ns) from every other
    instruction with properties. ``calibrated_at`` is Unix seconds or None.
    """
    qubits = []
    readout = {
        qargs[0]: props.error
        for qargs, props in (target["measure"].items() if "measure" in target else [])
        if qargs is not None and props is not None
    }
    for q in range(target.num_qubits or 0):
        qp = target.qubit_properties[q] if target.qubit_properties else None
        t1 = getattr(qp, "t1", None)
        t2 = getattr(qp, "t2", None)
        freq = getattr(qp, "frequency", None)
        qubits.append(
            QubitCalibration(
                q,
                None if t1 is None else float(t1) * 1e6,
                None if t2 is None else float(t2) * 1e6,
                None if readout.get(q) is None else float(readout[q]),
                None if freq is None else float(freq) / 1e9,
            )
        )
    gates = []
    for name in sorted(target.operation_names):
        if name in ("measure", "delay", "reset") or name not in target:
            continue
        for qargs, props in sorted(
            ((k, v) for k, v in target[name].items() if k is not None), key=lambda kv: kv[0]
        ):
            if props is None or (props.error is None and props.duration is None):
                continue
            gates.append(
                GateCalibration(
                    name,
                    tuple(int(q) for q in qargs),
                    None if props.error is None else float(props.error),
                    None if props.duration is None else float(props.duration) * 1e9,
                )
            )
    return Calibration(calibrated_at, tuple(qubits), tuple(gates))


def calibration_summary(cal: Calibration) -> dict[str, str]:
    """Averages of a calibration as strings (``t1_us``, ``t2_us``, ``readout_error``, ...)."""

    def mean(values: list[float]) -> str:
        return f"{sum(values) / len(values):.6g}" if values else ""

    out = {
        "t1_us": mean([q.t1_us for q in cal.qubits if q.t1_us is not None]),
        "t2_us": mean([q.t2_us for q in cal.qubits if q.t2_us is not None]),
        "readout_error": mean([q.readout_error for q in cal.qubits if q.readout_error is not None]),
    }
    for gate in sorted({g.gate for g in cal.gates}):
        errs = [g.error for g in cal.gates if g.gate == gate and g.error is not None]
        if errs:
            out[f"{gate}_error"] = mean(errs)
    return out


def aer_failure(message: str, device_id: str = "") -> EigenError:
    """Map an Aer failure message to the seed's statuses (no internals on the wire)."""
    text = " ".join(message.split())[:400]
    low = text.lower()
    if "insufficient memory" in low:
        return circuit_too_large(device_id, f"it needs more memory than the simulator has: {text}")
    if "invalid instructions" in low or "unknown instruction" in low:
        return InvalidArgumentError(
            f"circuit uses an instruction the device cannot run: {text}",
            reason="UNSUPPORTED_INSTRUCTION",
        )
    return BackendUnavailableError(f"Qiskit Aer failed: {text}")
