"""Qiskit Aer driver: the golden reference (SPEC §8, seed RFC 0006 "SimulatorDriver").

Devices (one ``AerSimulator`` each, created once in :meth:`AerDriver.initialize` and reused):

- ``aer.automatic``: ``AerSimulator(method="automatic")``; targets ``sim:local``, ``sim:aer``;
- ``aer.statevector``: ``method="statevector"``; target ``sim:statevector``;
- ``aer.matrix_product_state``: ``method="matrix_product_state"``; target ``sim:mps``;
- ``aer.density_matrix``: ``method="density_matrix"``; target ``sim:density_matrix``;
- ``aer.noisy_generic_5q``: ``AerSimulator.from_backend(GenericBackendV2(5, seed))``, Qiskit's
  offline generic backend with randomised calibration data; target ``sim:noisy``.

``max_qubits`` is what Aer itself derives for the method from this machine's memory (statevector
and automatic ~30 on 24 GB, density matrix ~15) and 63 for MPS (its structural limit; memory
then depends on entanglement).

Ideal devices run the AQO circuit as is: AQO gates are Aer instructions except ``ch`` (none of
the methods), ``crx``/``cry``/``crz`` (MPS, density matrix) and ``cswap`` (density matrix), which
:func:`eigen_driver_manager.lowering.lower` rewrites exactly in microseconds — no transpiler on
the hot path. The noisy device is transpiled to its backend by a pass manager built once (seeded,
so the same seed gives the same counts); counts stay keyed by the circuit's own clbits.

Expectation values (:meth:`AerDriver.estimate_expectation_values`): with ``shots`` unset they are
exact, from Aer's ``save_expectation_value`` of the observable as a ``SparsePauliOp`` on all
qubits — statevector for ``automatic``/``statevector``, the MPS itself for
``matrix_product_state``, the density matrix for ``density_matrix`` and for the noisy device
(which runs ``method="density_matrix"`` then, so the value is the exact noisy expectation, no
trajectory sampling). With ``shots`` set they are sampled: one Aer run covers every measurement
group × binding. The device-ready parametrised Qiskit circuit (lowered, or transpiled for the
noisy device) is kept in a bounded LRU keyed by device, AQO sha256 and measurement basis, and the
bindings go to Aer as ``parameter_binds``: a hybrid loop that sends the same circuit with new
values never lowers or transpiles again.
"""

from __future__ import annotations

import hashlib
import threading
import time
from array import array
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any, ClassVar

import qiskit_aer
from qiskit.circuit import Parameter, QuantumCircuit
from qiskit.providers.fake_provider import GenericBackendV2
from qiskit.result import Result
from qiskit.transpiler import PassManager, TranspileLayout, generate_preset_pass_manager
from qiskit_aer import AerError, AerSimulator
from qiskit_aer.library import SaveExpectationValue

from eigen_common.errors import (
    BackendUnavailableError,
    DeviceNotFoundError,
    DeviceOfflineError,
    EigenError,
    InvalidArgumentError,
    UnimplementedError,
)
from eigen_driver_manager.base import (
    BaseDriver,
    CalibrationResult,
    DeviceInfo,
    DeviceStatus,
    DeviceStatusReport,
    EstimateOutcome,
    ExecutionResult,
    bind_parameters,
    check_width,
)
from eigen_driver_manager.lowering import lower
from eigen_driver_manager.options import OptionSpec, boolean, choice, integer, number
from eigen_ir import pauli
from eigen_ir.aqo import GATES, Circuit
from eigen_ir.aqo_qiskit import to_qiskit

#: AQO op → Aer instruction name (the gates only; MEASURE/RESET/BARRIER always run).
_AER_NAME = {op: op.lower() for op in GATES}

#: Options every Aer device accepts, with the Aer run option each one sets.
_COMMON_OPTIONS: dict[str, OptionSpec] = {
    "precision": choice("floating-point precision of the simulation", "single", "double"),
    "max_parallel_threads": integer("CPU threads for one execution (0 = all cores)", 0, 4096),
    "fusion_enable": boolean("gate fusion optimisation"),
}
_MPS_OPTIONS: dict[str, OptionSpec] = {
    "mps_truncation_threshold": number(
        "discard Schmidt coefficients below this value (MPS only)", 0.0, 1.0
    ),
    "mps_max_bond_dimension": integer("cap on the MPS bond dimension (MPS only)", 1, 1 << 20),
}
_AER_RUN_OPTION = {
    "precision": "precision",
    "max_parallel_threads": "max_parallel_threads",
    "fusion_enable": "fusion_enable",
    "mps_truncation_threshold": "matrix_product_state_truncation_threshold",
    "mps_max_bond_dimension": "matrix_product_state_max_bond_dimension",
}

_IDEAL_METHODS: dict[str, tuple[str, ...]] = {
    "automatic": ("sim:local", "sim:aer"),
    "statevector": ("sim:statevector",),
    "matrix_product_state": ("sim:mps",),
    "density_matrix": ("sim:density_matrix",),
}
_CONFIG_KEYS = frozenset({"devices", "noisy_qubits", "noisy_seed"})

#: Device-ready parametrised programs kept for estimation (LRU entries, one per circuit × basis).
PROGRAM_CACHE_SIZE = 256
#: Programs with an observable's save instruction attached (LRU entries; an entry holds up to
#: 100,000 terms, hence the smaller bound).
EXPVAL_CACHE_SIZE = 32
#: Gates whose symbolic angle Aer 0.18 drops when it binds ``parameter_binds`` (it simulates them
#: with the angle unbound; qiskit-aer issues #2323, #2391, #2403): decomposed before a run.
_UNBINDABLE = frozenset({"CRX", "CRY", "CRZ", "CP"})
#: Below this width (Aer's default ``statevector_parallel_threshold``) sampled estimates on
#: ideal devices run single-threaded unless the ``max_parallel_threads`` option says otherwise.
_PARALLEL_QUBITS = 14
#: Label of the saved expectation value in Aer's result data.
_EV_LABEL = "ev"
_NO_CLBITS_NOTE = "circuit has no classical bits: nothing is measured, so it was not run"


@dataclass
class _Device:
    """One Aer device: its info, simulator, and how circuits reach it."""

    info: DeviceInfo
    simulator: AerSimulator
    options: Mapping[str, OptionSpec]
    native: frozenset[str] | None = None  # AQO ops run as is (ideal devices)
    make_pass_manager: Callable[[], PassManager] | None = None  # transpile first (noisy devices)
    calibration: dict[str, str] = field(default_factory=dict)
    _pass_manager: PassManager | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def warm_up(self) -> None:
        """Build the pass manager now (slow the first time: Qiskit loads its transpiler plugins)."""
        if self.make_pass_manager is not None:
            with self._lock:
                if self._pass_manager is None:
                    self._pass_manager = self.make_pass_manager()

    def transpile(self, qc: QuantumCircuit) -> QuantumCircuit:
        """Transpile ``qc`` for the device with the cached, seeded pass manager."""
        self.warm_up()
        with self._lock:  # a PassManager is not documented as re-entrant
            assert self._pass_manager is not None
            out: QuantumCircuit = self._pass_manager.run(qc)
        return out


@dataclass(frozen=True)
class _Program:
    """A device-ready parametrised circuit and what is needed to feed it."""

    circuit: QuantumCircuit
    parameters: tuple[tuple[str, Parameter], ...]  # AQO name → Qiskit parameter still present
    layout: TranspileLayout | None  # set when transpiled: virtual → physical qubits


class _ProgramCache:
    """A thread-safe bounded LRU of :class:`_Program` (builds outside the lock)."""

    def __init__(self, size: int):
        self._size = size
        self._items: OrderedDict[tuple[str, ...], _Program] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple[str, ...], build: Callable[[], _Program]) -> tuple[_Program, bool]:
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


class AerDriver(BaseDriver):
    """Qiskit Aer simulators as Eigen OS devices (ideal methods plus one noisy device).

    Config keys (all optional): ``devices`` (comma-separated subset of device ids to offer),
    ``noisy_qubits`` (width of the noisy generic backend, 2..20, default 5), ``noisy_seed``
    (seed of its random calibration data and of its transpiler, default 1234).
    """

    name: ClassVar[str] = "aer"
    allowed_options: ClassVar[Mapping[str, OptionSpec]] = _COMMON_OPTIONS

    def __init__(self) -> None:
        self._devices: dict[str, _Device] = {}
        self._programs = _ProgramCache(PROGRAM_CACHE_SIZE)
        self._expvals = _ProgramCache(EXPVAL_CACHE_SIZE)

    def initialize(self, config: Mapping[str, str]) -> None:
        """Create one simulator per device.

        Raises:
            ValueError: unknown config key or bad value.
        """
        unknown = sorted(set(config) - _CONFIG_KEYS)
        if unknown:
            raise ValueError(f"unknown aer config key(s) {unknown}; allowed {sorted(_CONFIG_KEYS)}")
        noisy_qubits = _int_config(config, "noisy_qubits", 5, 2, 20)
        noisy_seed = _int_config(config, "noisy_seed", 1234, 0, 2**31 - 1)
        noisy_id = f"aer.noisy_generic_{noisy_qubits}q"
        known = [f"aer.{m}" for m in _IDEAL_METHODS] + [noisy_id]
        wanted = [d.strip() for d in config.get("devices", "").split(",") if d.strip()] or known
        bad = sorted(set(wanted) - set(known))
        if bad:
            raise ValueError(f"unknown aer device(s) {bad}; available {known}")
        devices: dict[str, _Device] = {}
        for method, targets in _IDEAL_METHODS.items():
            if f"aer.{method}" in wanted:
                dev = _ideal_device(method, targets)
                devices[dev.info.device_id] = dev
        if noisy_id in wanted:
            dev = _noisy_device(noisy_id, noisy_qubits, noisy_seed)
            devices[noisy_id] = dev
            # building the pass manager takes seconds the first time (Qiskit imports its
            # transpiler plugins): do it beside startup; the first noisy run waits if needed
            threading.Thread(target=dev.warm_up, name="aer-noisy-warm-up", daemon=True).start()
        self._devices = devices

    def get_devices(self) -> list[DeviceInfo]:
        """Return the configured devices (all ONLINE once initialised)."""
        return [d.info for d in self._devices.values()]

    def get_device_status(self, device_id: str) -> DeviceStatusReport:
        """Return ONLINE for a known device (a local simulator has no backend-side queue).

        Raises:
            DeviceNotFoundError: unknown ``device_id``.
        """
        dev = self._device(device_id)
        return DeviceStatusReport(device_id, dev.info.status, message="local Qiskit Aer simulator")

    def device_options(self, device_id: str) -> Mapping[str, OptionSpec]:
        """Common Aer options, plus the ``mps_*`` options on the MPS device."""
        dev = self._devices.get(device_id)
        return dev.options if dev is not None else self.allowed_options

    def calibrate_device(self, device_id: str) -> CalibrationResult:
        """Report the calibration snapshot the noisy device's noise model is built from.

        Returns:
            Averages over the backend's qubits/couplers: ``t1_us``, ``t2_us``,
            ``readout_error``, ``cx_error``, ``sx_error``; plus ``noise_seed``.

        Raises:
            DeviceNotFoundError: unknown ``device_id``.
            UnimplementedError: the device is an ideal simulator (nothing to calibrate).
        """
        dev = self._device(device_id)
        if not dev.calibration:
            raise UnimplementedError(
                f"device {device_id!r} is an ideal simulator; it has no calibration"
            )
        return CalibrationResult(device_id, dev.info.status, dict(dev.calibration))

    def execute_circuit(
        self,
        device_id: str,
        circuit: Circuit,
        shots: int,
        options: Mapping[str, str],
        *,
        seed: int | None = None,
        parameter_values: Mapping[str, float] | None = None,
    ) -> ExecutionResult:
        """Run ``circuit`` on an Aer device; see :meth:`BaseDriver.execute_circuit`.

        Metadata: ``backend``, ``device_id``, ``method`` (the one Aer used), ``shots``, ``seed``
        (the request's seed, or the one Aer drew when none was given), ``simulator``, ``noise``
        and, for the noisy device, ``transpile_time_sec``.

        Raises:
            DeviceNotFoundError, DeviceOfflineError, InvalidOptionError, InvalidArgumentError
            (``CIRCUIT_TOO_LARGE``, ``UNBOUND_PARAMETERS``, ``UNSUPPORTED_INSTRUCTION``),
            BackendUnavailableError: as in :meth:`BaseDriver.execute_circuit`.
        """
        dev = self._device(device_id)
        if dev.info.status is not DeviceStatus.ONLINE:
            raise DeviceOfflineError(
                f"device {device_id!r} is {dev.info.status.value}", metadata={"subject": device_id}
            )
        parsed = self.parse_options(device_id, options)
        check_width(circuit, dev.info)
        bound = bind_parameters(circuit, parameter_values)
        meta = {
            "backend": dev.simulator.name,
            "device_id": device_id,
            "shots": str(shots),
            "simulator": f"qiskit-aer {qiskit_aer.__version__}",
            "noise": dev.info.capabilities.get("noise", "ideal"),
        }
        if bound.clbits == 0:
            return ExecutionResult({}, 0.0, {**meta, "note": _NO_CLBITS_NOTE})
        if dev.native is not None:
            try:
                bound = lower(bound, dev.native)
            except ValueError as exc:
                raise InvalidArgumentError(str(exc), reason="UNSUPPORTED_INSTRUCTION") from None
        qc = to_qiskit(bound)
        if dev.make_pass_manager is not None:
            t0 = time.perf_counter()
            qc = dev.transpile(qc)
            meta["transpile_time_sec"] = f"{time.perf_counter() - t0:.6f}"
        run_options: dict[str, Any] = {_AER_RUN_OPTION[k]: v for k, v in parsed.items()}
        if seed is not None:
            run_options["seed_simulator"] = seed
        result, wall = _run_aer(dev, qc, shots=shots, **run_options)
        exp = result.results[0]
        width = circuit.clbits
        raw = getattr(exp.data, "counts", None)
        if raw is None:  # no MEASURE at all: every clbit keeps its initial 0
            counts = {"0" * width: shots}
        else:
            counts = {format(int(k, 16), f"0{width}b"): int(v) for k, v in raw.items()}
        meta["method"] = str(exp.metadata.get("method", dev.info.capabilities.get("method", "")))
        meta["seed"] = str(seed if seed is not None else exp.seed_simulator)
        return ExecutionResult(counts, float(getattr(result, "time_taken", wall) or wall), meta)

    def estimate_expectation_values(
        self,
        device_id: str,
        circuit: Circuit,
        observable: Sequence[tuple[str, float]],
        bindings: Sequence[Mapping[str, float]],
        shots: int | None,
        options: Mapping[str, str],
        *,
        seed: int | None = None,
    ) -> EstimateOutcome:
        """Exact (``shots`` None) or sampled expectation values in one Aer run.

        See :meth:`BaseDriver.estimate_expectation_values` for arguments and errors; every Aer
        device computes exact values (the noisy one with its density matrix). Sampled: ``shots``
        per measurement group and binding, seeded by ``seed`` (Aer derives one seed per
        experiment from it), standard errors from the sample variance; on ideal devices a
        circuit under 14 qubits samples single-threaded unless ``max_parallel_threads`` is given.

        Metadata: ``mode`` (``exact``/``sampled``), ``method``, ``groups`` (sampled),
        ``shots_per_group`` (sampled), ``program_cache`` (``hit``/``miss``), ``device_id``,
        ``simulator``, ``noise``, ``seed`` (sampled, when given).
        """
        dev = self._device(device_id)
        if dev.info.status is not DeviceStatus.ONLINE:
            raise DeviceOfflineError(
                f"device {device_id!r} is {dev.info.status.value}", metadata={"subject": device_id}
            )
        parsed = self.parse_options(device_id, options)
        check_width(circuit, dev.info)
        if circuit.clbits or any(o.op == "MEASURE" for o in circuit.operations):
            raise InvalidArgumentError(
                "the circuit to estimate must not measure or have classical bits",
                reason="UNSUPPORTED_INSTRUCTION",
            )
        run_options: dict[str, Any] = {_AER_RUN_OPTION[k]: v for k, v in parsed.items()}
        sha = circuit.sha256()
        meta = {
            "device_id": device_id,
            "simulator": f"qiskit-aer {qiskit_aer.__version__}",
            "noise": dev.info.capabilities.get("noise", "ideal"),
        }
        if shots is None:

            def build() -> _Program:
                base, _ = self._programs.get(
                    (device_id, sha, ""), lambda: self._compile(dev, circuit)
                )
                return _with_expectation_value(base, observable)

            # the observable's save instruction is part of the cached program (building it
            # costs more than the simulation of a small circuit)
            prog, hit = self._expvals.get((device_id, sha, _digest(observable)), build)
            if dev.make_pass_manager is not None:  # noisy: exact means the density matrix
                run_options["method"] = "density_matrix"
            if prog.parameters:
                run_options["parameter_binds"] = [_binds(prog, bindings)]
            values, std_errors, elapsed, method = _exact(dev, prog, len(bindings), run_options)
            meta["mode"] = "exact"
        else:
            groups = pauli.measurement_groups(observable)
            progs = []
            hit = True
            for g in groups:
                prog, g_hit = self._programs.get(
                    (device_id, sha, g.basis),
                    partial(self._compile_measured, dev, circuit, g.basis),
                )
                progs.append(prog)
                hit = hit and g_hit
            if seed is not None:
                run_options["seed_simulator"] = seed
                meta["seed"] = str(seed)
            if dev.native is not None and circuit.qubits < _PARALLEL_QUBITS:
                # small ideal circuits gain nothing from OpenMP, and its thread team costs
                # 3-10x the run on a busy machine (measured: 2 qubits, 1,000 shots)
                run_options.setdefault("max_parallel_threads", 1)
            values, std_errors, elapsed, method = _sampled(
                dev, progs, groups, bindings, shots, run_options
            )
            meta.update(mode="sampled", groups=str(len(groups)), shots_per_group=str(shots))
        meta["method"] = method
        meta["program_cache"] = "hit" if hit else "miss"
        return EstimateOutcome(values, std_errors, elapsed, meta)

    def _compile_measured(self, dev: _Device, circuit: Circuit, basis: str) -> _Program:
        return self._compile(dev, pauli.measured_circuit(circuit, basis))

    def _compile(self, dev: _Device, circuit: Circuit) -> _Program:
        """Lower (ideal) or transpile (noisy) a parametrised circuit for ``dev``.

        Raises:
            InvalidArgumentError: reason ``UNSUPPORTED_INSTRUCTION``.
        """
        layout: TranspileLayout | None = None
        if dev.native is not None:
            try:
                qc = to_qiskit(lower(circuit, dev.native))
            except ValueError as exc:
                if not circuit.parameters:
                    raise InvalidArgumentError(str(exc), reason="UNSUPPORTED_INSTRUCTION") from None
                # a rewrite needs a symbolic angle (θ/2), which AQO cannot write: Qiskit's
                # definitions below keep parameter expressions
                qc = to_qiskit(circuit)
            symbolic = {
                o.op for o in circuit.operations if any(isinstance(p, str) for p in o.params)
            }
            qc = _decompose(qc, dev.native - (symbolic & _UNBINDABLE))
        else:
            qc = dev.transpile(to_qiskit(circuit))
            layout = qc.layout
        present = {p.name: p for p in qc.parameters}
        params = tuple((n, present[n]) for n in circuit.parameters if n in present)
        return _Program(qc, params, layout)

    def _device(self, device_id: str) -> _Device:
        dev = self._devices.get(device_id)
        if dev is None:
            raise DeviceNotFoundError(
                f"no aer device {device_id!r}; available: {', '.join(self._devices)}",
                metadata={"device_id": device_id},
            )
        return dev


def _run_aer(dev: _Device, circuits: Any, **run_options: Any) -> tuple[Result, float]:
    """Run on ``dev``'s simulator; return the result and the wall time (s).

    Raises:
        InvalidArgumentError, BackendUnavailableError: see :func:`_aer_failure`.
    """
    t0 = time.perf_counter()
    try:
        result = dev.simulator.run(circuits, **run_options).result()
    except AerError as exc:
        raise _aer_failure(str(exc)) from None
    except (RuntimeError, MemoryError) as exc:  # executor gone, allocation failed
        raise BackendUnavailableError(f"Qiskit Aer is unavailable: {exc}") from None
    wall = time.perf_counter() - t0
    failed = next((r for r in result.results if not r.success), None)
    if not result.success or not result.results or failed is not None:
        status = failed.status if failed is not None else result.status
        raise _aer_failure(str(status or result.status))
    return result, wall


def _binds(prog: _Program, bindings: Sequence[Mapping[str, float]]) -> dict[Parameter, list[float]]:
    return {p: [float(b[name]) for b in bindings] for name, p in prog.parameters}


def _elapsed(result: Result, wall: float) -> float:
    return float(getattr(result, "time_taken", wall) or wall)


def _method(result: Result, dev: _Device) -> str:
    return str(result.results[0].metadata.get("method", dev.info.capabilities.get("method", "")))


def _digest(observable: Sequence[tuple[str, float]]) -> str:
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


def _place(label: str, layout: Sequence[int], width: int) -> str:
    """Move ``label`` (virtual qubits, rightmost = 0) to physical qubits: v → ``layout[v]``."""
    chars = ["I"] * width
    for v, ch in enumerate(reversed(label)):
        chars[width - 1 - layout[v]] = ch
    return "".join(chars)


def _with_expectation_value(prog: _Program, observable: Sequence[tuple[str, float]]) -> _Program:
    """``prog`` plus a save of ⟨observable⟩ on all its qubits (laid out when transpiled).

    Equal labels are merged (their coefficients summed), as Aer's own conversion does.
    """
    qc = prog.circuit.copy()
    width = qc.num_qubits
    layout = prog.layout.final_index_layout() if prog.layout is not None else None
    merged: dict[str, float] = {}
    for label, coeff in observable:
        key = label if layout is None else _place(label, layout, width)
        merged[key] = merged.get(key, 0.0) + float(coeff)
    params = [(label, (coeff, 0.0)) for label, coeff in merged.items()]
    qc.append(_SaveExpval(width, params), qc.qubits)
    return _Program(qc, prog.parameters, prog.layout)


def _exact(
    dev: _Device, prog: _Program, nb: int, run_options: dict[str, Any]
) -> tuple[list[float], list[float], float, str]:
    """One run of ``prog`` (which saves ⟨H⟩) for ``nb`` bindings already in ``run_options``.

    Returns values, zero errors, time (s) and the Aer method.
    """
    result, wall = _run_aer(dev, prog.circuit, shots=1, **run_options)
    if prog.parameters:
        values = [float(result.data(i)[_EV_LABEL]) for i in range(nb)]
    else:  # nothing to bind: one state serves every binding
        values = [float(result.data(0)[_EV_LABEL])] * nb
    return values, [0.0] * nb, _elapsed(result, wall), _method(result, dev)


def _sampled(
    dev: _Device,
    progs: Sequence[_Program],
    groups: Sequence[pauli.MeasurementGroup],
    bindings: Sequence[Mapping[str, float]],
    shots: int,
    run_options: dict[str, Any],
) -> tuple[list[float], list[float], float, str]:
    """One run of every group × binding; returns values, std errors, time (s), Aer method.

    Experiments come back circuit-major: group ``g``, binding ``b`` is experiment
    ``g * len(bindings) + b`` (a parametrised circuit expands to one experiment per value).
    """
    nb = len(bindings)
    circuits: list[QuantumCircuit] = []
    binds: list[dict[Parameter, list[float]]] = []
    for prog in progs:
        if prog.parameters:
            circuits.append(prog.circuit)
            binds.append(_binds(prog, bindings))
        else:
            circuits.extend([prog.circuit] * nb)
            binds.extend({} for _ in range(nb))
    if any(binds):
        run_options["parameter_binds"] = binds
    result, wall = _run_aer(dev, circuits, shots=shots, **run_options)
    values: list[float] = []
    std_errors: list[float] = []
    for b in range(nb):
        estimates = []
        for g, group in enumerate(groups):
            exp = result.results[g * nb + b]
            width = len(group.basis)  # every qubit measured, clbit i = qubit i
            raw = exp.data.counts
            counts = {format(int(k, 16), f"0{width}b"): int(v) for k, v in raw.items()}
            estimates.append(pauli.estimate_from_counts(group.terms, counts))
        value, error = pauli.combine(estimates)
        values.append(value)
        std_errors.append(error)
    return values, std_errors, _elapsed(result, wall), _method(result, dev)


def _decompose(qc: QuantumCircuit, native: frozenset[str]) -> QuantumCircuit:
    """Decompose gates outside ``native`` (AQO names) with Qiskit's parametric definitions."""
    allowed = {_AER_NAME[op] for op in native} | {"measure", "reset", "barrier"}
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


def _int_config(config: Mapping[str, str], key: str, default: int, lo: int, hi: int) -> int:
    raw = config.get(key)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ValueError(f"aer config {key} must be an integer, got {raw!r}") from None
    if not lo <= value <= hi:
        raise ValueError(f"aer config {key} must be in {lo}..{hi}, got {value}")
    return value


def _ideal_device(method: str, targets: tuple[str, ...]) -> _Device:
    sim = AerSimulator(method=method)
    instructions = set(sim.target.operation_names)
    native = frozenset(op for op, name in _AER_NAME.items() if name in instructions)
    options = dict(_COMMON_OPTIONS)
    if method == "matrix_product_state":
        options.update(_MPS_OPTIONS)
    info = DeviceInfo(
        device_id=f"aer.{method}",
        name=f"Qiskit Aer ({method})",
        backend_type="simulator",
        status=DeviceStatus.ONLINE,
        max_qubits=int(sim.num_qubits),
        targets=targets,
        capabilities={
            "method": method,
            "basis_gates": ",".join(sorted(GATES)),
            "native_gates": ",".join(sorted(native)),
            "noise": "ideal",
            "conditional": "true",
            "seedable": "true",
            "simulator": f"qiskit-aer {qiskit_aer.__version__}",
        },
    )
    return _Device(info, sim, options, native=native)


def _noisy_device(device_id: str, num_qubits: int, seed: int) -> _Device:
    backend = GenericBackendV2(num_qubits=num_qubits, seed=seed, control_flow=True)
    sim = AerSimulator.from_backend(backend)

    def make_pass_manager() -> PassManager:
        return generate_preset_pass_manager(
            optimization_level=1, target=backend.target, seed_transpiler=seed
        )

    target = backend.target
    coupling = sorted({tuple(sorted(e)) for e in target.build_coupling_map().get_edges()})
    info = DeviceInfo(
        device_id=device_id,
        name=f"Qiskit Aer with the noise of a generic {num_qubits}-qubit backend",
        backend_type="simulator",
        status=DeviceStatus.ONLINE,
        max_qubits=num_qubits,
        targets=("sim:noisy",),
        capabilities={
            "method": "automatic",
            "basis_gates": ",".join(sorted(GATES)),
            "native_gates": ",".join(sorted(n for n in target.operation_names)),
            "noise": "generic_backend_v2",
            "noise_seed": str(seed),
            "coupling_map": ",".join(f"{a}-{b}" for a, b in coupling),
            "conditional": "true",
            "seedable": "true",
            "simulator": f"qiskit-aer {qiskit_aer.__version__}",
        },
    )
    return _Device(
        info,
        sim,
        dict(_COMMON_OPTIONS),
        make_pass_manager=make_pass_manager,
        calibration=_calibration(backend, seed),
    )


def _mean(values: list[float]) -> str:
    return f"{sum(values) / len(values):.6g}" if values else ""


def _calibration(backend: GenericBackendV2, seed: int) -> dict[str, str]:
    target = backend.target
    props = [target.qubit_properties[i] for i in range(backend.num_qubits)]
    t1 = [p.t1 * 1e6 for p in props if p is not None and p.t1 is not None]
    t2 = [p.t2 * 1e6 for p in props if p is not None and p.t2 is not None]

    def errors(name: str) -> list[float]:
        if name not in target.operation_names:
            return []
        return [
            float(p.error) for p in target[name].values() if p is not None and p.error is not None
        ]

    return {
        "t1_us": _mean(t1),
        "t2_us": _mean(t2),
        "readout_error": _mean(errors("measure")),
        "cx_error": _mean(errors("cx")),
        "sx_error": _mean(errors("sx")),
        "noise_seed": str(seed),
        "source": "GenericBackendV2 (offline, randomised calibration data)",
    }


def _aer_failure(message: str) -> EigenError:
    """Map an Aer failure message to the seed's statuses (no internals on the wire)."""
    text = " ".join(message.split())[:400]
    low = text.lower()
    if "insufficient memory" in low:
        return InvalidArgumentError(
            f"circuit needs more memory than this device has: {text}", reason="CIRCUIT_TOO_LARGE"
        )
    if "invalid instructions" in low or "unknown instruction" in low:
        return InvalidArgumentError(
            f"circuit uses an instruction the device cannot run: {text}",
            reason="UNSUPPORTED_INSTRUCTION",
        )
    return BackendUnavailableError(f"Qiskit Aer failed: {text}")
