""":class:`AerBackedDriver`: a driver whose devices run on Qiskit Aer (see :mod:`.aer_engine`).

Subclasses fill ``self._devices`` in ``initialize``; this class runs every execution kind:

- ``execute_circuit``: one circuit, counts keyed by its clbits;
- ``execute_batch``: many circuits of one device in **one** ``AerSimulator.run`` call per group
  of equal shots and options (Qiskit Runtime runs many PUBs in one job the same way). Aer gives
  experiment ``k`` of a run the seed ``seed₀ + k·stride`` (stride measured at start), so a run
  holds at most one seeded item (placed first, so its counts equal a single run with its seed)
  plus any number of unseeded ones, each reporting the seed Aer used (which reproduces its
  counts alone). An item that fails its checks, or whose experiment fails, fails alone;
- ``execute_sweep``: a parametrised circuit compiled once and run once with
  ``parameter_binds`` (row ``k`` uses Aer's derived seed);
- ``execute_with_state``: the final state (before the trailing measurements) as ``.npy``;
- ``estimate_expectation_values``: exact from ``save_expval`` or sampled per measurement group.
"""

from __future__ import annotations

import io
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any, ClassVar

import numpy as np
import qiskit_aer
from qiskit.circuit import CircuitInstruction, Parameter, QuantumCircuit
from qiskit_aer.library import SaveDensityMatrix, SaveMatrixProductState, SaveStatevector

from eigen_common.errors import (
    DeviceNotFoundError,
    DeviceOfflineError,
    EigenError,
    InternalError,
    InvalidArgumentError,
    ResourceExhaustedError,
    UnimplementedError,
)
from eigen_driver_manager.aer_engine import (
    PARALLEL_QUBITS,
    AerDevice,
    Program,
    ProgramCache,
    aer_failure,
    binds,
    counts_of,
    decompose,
    run_aer,
    run_aer_unchecked,
)
from eigen_driver_manager.aer_estimate import AerPrograms, estimate
from eigen_driver_manager.base import (
    BaseDriver,
    CalibrationResult,
    DeviceInfo,
    DeviceStatus,
    DeviceStatusReport,
    EstimateOutcome,
    ExecutionItem,
    ExecutionResult,
    SaveState,
    TranspiledCircuit,
    bind_parameters,
    check_width,
)
from eigen_driver_manager.isa import lowered, transpile_on
from eigen_driver_manager.lowering import lower
from eigen_driver_manager.options import OptionSpec
from eigen_ir.aqo import Circuit
from eigen_ir.aqo_qiskit import to_qiskit

#: Device-ready parametrised programs kept (LRU entries, one per circuit × basis).
PROGRAM_CACHE_SIZE = 256
#: Programs with an observable's save instruction attached (an entry holds up to 100,000
#: terms, hence the smaller bound).
EXPVAL_CACHE_SIZE = 32
#: Gates whose symbolic angle Aer 0.18 drops when it binds ``parameter_binds`` (it simulates them
#: with the angle unbound; qiskit-aer issues #2323, #2391, #2403): decomposed before a run.
_UNBINDABLE = frozenset({"CRX", "CRY", "CRZ", "CP"})
_NO_CLBITS_NOTE = "circuit has no classical bits: nothing is measured, so it was not run"
_SAVE_INSTRUCTION = {
    SaveState.STATEVECTOR: SaveStatevector,
    SaveState.DENSITY_MATRIX: SaveDensityMatrix,
    SaveState.MATRIX_PRODUCT_STATE: SaveMatrixProductState,
}
#: Bytes per amplitude (complex128) and how many amplitudes an n-qubit state has.
_STATE_SIZE = {
    SaveState.STATEVECTOR: lambda n: 16 * 2**n,
    SaveState.DENSITY_MATRIX: lambda n: 16 * 4**n,
}


@dataclass(frozen=True)
class _Prepared:
    """A bound, device-ready circuit of one execution and the facts to report with it.

    ``layout`` (transpiled devices): virtual qubit → index in ``circuit``; ``run_options``
    holds the noise model of the circuit's qubits on a noisy device.
    """

    circuit: QuantumCircuit
    width: int
    meta: dict[str, str]
    run_options: dict[str, Any]
    layout: tuple[int, ...] | None = None


class AerBackedDriver(BaseDriver):
    """Base of drivers whose devices are :class:`AerDevice` objects (Aer and IBM fake devices).

    Subclasses implement ``initialize`` (fill ``self._devices``) and may extend the device
    set with other kinds (dispatching on ``device_id`` before calling these methods).
    """

    #: ``max_parallel_threads`` etc.: Aer run option set by each allowlisted option.
    run_option_names: ClassVar[Mapping[str, str]] = {}

    def __init__(self) -> None:
        self._devices: dict[str, AerDevice] = {}
        self._programs = ProgramCache(PROGRAM_CACHE_SIZE)
        self._expvals = ProgramCache(EXPVAL_CACHE_SIZE)
        self._stride_lock = threading.Lock()
        self._stride: int | None = None

    # --- the seed's methods ------------------------------------------------------------

    def get_devices(self) -> list[DeviceInfo]:
        """Return the configured Aer-backed devices."""
        return [d.info for d in self._devices.values()]

    def get_device_status(self, device_id: str) -> DeviceStatusReport:
        """Return the device's status (a local simulator has no backend-side queue).

        Raises:
            DeviceNotFoundError: unknown ``device_id``.
        """
        dev = self._device(device_id)
        return DeviceStatusReport(device_id, dev.info.status, message="local Qiskit Aer simulator")

    def device_options(self, device_id: str) -> Mapping[str, OptionSpec]:
        """The device's own allowlist (the driver's when the id is unknown)."""
        dev = self._devices.get(device_id)
        return dev.options if dev is not None else self.allowed_options

    def transpile_circuit(self, device_id: str, circuit: Circuit) -> TranspiledCircuit:
        """The circuit as the device runs it (see :func:`eigen_driver_manager.isa.transpile_on`).

        Raises:
            DeviceNotFoundError, DeviceOfflineError: as :meth:`execute_circuit`.
            InvalidArgumentError: ``UNBOUND_PARAMETERS``, ``UNSUPPORTED_INSTRUCTION``.
            FailedPreconditionError: ``CIRCUIT_TOO_LARGE``.
            UnimplementedError: ``ISA_NOT_EXPRESSIBLE``.
        """
        dev = self._online(device_id)
        check_width(circuit, dev.info)
        return transpile_on(dev, bind_parameters(circuit, None))

    def calibrate_device(self, device_id: str) -> CalibrationResult:
        """Report the calibration the device's noise model is built from.

        Raises:
            DeviceNotFoundError: unknown ``device_id``.
            UnimplementedError: the device is an ideal simulator (nothing to calibrate).
        """
        dev = self._device(device_id)
        if not dev.calibration and dev.details is None:
            raise UnimplementedError(
                f"device {device_id!r} is an ideal simulator; it has no calibration"
            )
        return CalibrationResult(device_id, dev.info.status, dict(dev.calibration), dev.details)

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
        and, for transpiled devices, ``transpile_time_sec``.
        """
        dev = self._online(device_id)
        prep = self._prepare(dev, circuit, options, parameter_values)
        if isinstance(prep, ExecutionResult):
            return prep
        if seed is not None:
            prep.run_options["seed_simulator"] = seed
        result, wall = run_aer(dev, prep.circuit, shots=shots, **prep.run_options)
        exp = result.results[0]
        return self._finish(dev, prep, exp, shots, float(getattr(result, "time_taken", wall)))

    # --- batches, sweeps, states ---------------------------------------------------------

    def execute_batch(self, items: Sequence[ExecutionItem]) -> list[ExecutionResult | EigenError]:
        """Run the items in as few ``AerSimulator.run`` calls as seeds allow (see module doc)."""
        out: list[ExecutionResult | EigenError | None] = [None] * len(items)
        groups: dict[tuple[str, int, str], list[tuple[int, ExecutionItem, _Prepared]]] = {}
        for i, item in enumerate(items):
            try:
                dev = self._online(item.device_id)
                prep = self._prepare(dev, item.circuit, item.options, item.parameter_values)
            except EigenError as exc:
                out[i] = exc
                continue
            if isinstance(prep, ExecutionResult):
                out[i] = prep
                continue
            key = (item.device_id, item.shots, _options_key(prep.run_options))
            groups.setdefault(key, []).append((i, item, prep))
        for (device_id, shots, _), members in groups.items():
            dev = self._devices[device_id]
            for run in _plan_runs(members):
                self._run_group(dev, shots, run, out)
        return [o if o is not None else InternalError("batch item without outcome") for o in out]

    def _run_group(
        self,
        dev: AerDevice,
        shots: int,
        run: list[tuple[int, ExecutionItem, _Prepared]],
        out: list[ExecutionResult | EigenError | None],
    ) -> None:
        opts = dict(run[0][2].run_options)
        if run[0][1].seed is not None:
            opts["seed_simulator"] = run[0][1].seed
        try:
            result, _ = run_aer_unchecked(dev, [p.circuit for _, _, p in run], shots=shots, **opts)
        except EigenError as exc:
            if len(run) == 1:
                out[run[0][0]] = exc
                return
            for member in run:  # isolate the culprit: each item alone
                self._run_group(dev, shots, [member], out)
            return
        for k, (i, _, prep) in enumerate(run):
            exp = result.results[k] if k < len(result.results) else None
            if exp is None or not exp.success:
                out[i] = aer_failure(str(getattr(exp, "status", result.status)), dev.info.device_id)
                continue
            res = self._finish(dev, prep, exp, shots, float(getattr(exp, "time_taken", 0.0)))
            res.metadata["batch_size"] = str(len(run))
            out[i] = res

    def execute_sweep(
        self,
        device_id: str,
        circuit: Circuit,
        shots: int,
        options: Mapping[str, str],
        bindings: Sequence[Mapping[str, float]],
        *,
        seed: int | None = None,
    ) -> ExecutionResult:
        """Compile ``circuit`` once and run every binding in one Aer call (``parameter_binds``).

        Metadata as :meth:`execute_circuit` plus ``sweep_rows`` and ``program_cache``.
        """
        dev = self._online(device_id)
        parsed = self.parse_options(device_id, options)
        check_width(circuit, dev.info)
        for b in bindings:  # every binding binds every parameter (clear error otherwise)
            bind_parameters(circuit, b)
        meta = self._meta(dev, shots)
        meta["sweep_rows"] = str(len(bindings))
        if circuit.clbits == 0:
            return ExecutionResult(
                {}, 0.0, {**meta, "note": _NO_CLBITS_NOTE}, ({},) * len(bindings)
            )
        prog, hit = self._programs.get(
            (device_id, circuit.sha256(), ""), partial(self._compile, dev, circuit)
        )
        run_options = self._run_options(dev, circuit, parsed)
        if seed is not None:
            run_options["seed_simulator"] = seed
        run_options.update(prog.run_options())
        if prog.parameters:
            result, wall = run_aer(
                dev,
                [prog.circuit],
                shots=shots,
                parameter_binds=[binds(prog, bindings)],
                **run_options,
            )
        else:
            result, wall = run_aer(dev, [prog.circuit] * len(bindings), shots=shots, **run_options)
        rows = tuple(counts_of(exp, circuit.clbits, shots) for exp in result.results)
        first = result.results[0]
        meta["method"] = str(first.metadata.get("method", dev.info.capabilities.get("method", "")))
        meta["seed"] = str(seed if seed is not None else first.seed_simulator)
        meta["program_cache"] = "hit" if hit else "miss"
        elapsed = float(getattr(result, "time_taken", wall) or wall)
        return ExecutionResult({}, elapsed, meta, sweep_counts=rows)

    def execute_with_state(
        self,
        device_id: str,
        circuit: Circuit,
        shots: int,
        options: Mapping[str, str],
        *,
        save_state: SaveState,
        max_state_bytes: int,
        seed: int | None = None,
        parameter_values: Mapping[str, float] | None = None,
    ) -> ExecutionResult:
        """Run and keep the final state (before the trailing measurements) as ``.npy``.

        A matrix product state is kept as ``.npz`` (arrays ``gamma_<q>_0``, ``gamma_<q>_1``,
        ``lambda_<q>``). Metadata ``saved_state`` names the kind and ``state_qubits`` the
        qubits it covers: the circuit's own, or for a transpiled device its active physical
        qubits (``physical_qubits``, ascending) with ``state_layout`` = the state index of
        each virtual qubit.

        Raises:
            InvalidArgumentError: ``SAVE_STATE_UNSUPPORTED`` (the method cannot save it).
            ResourceExhaustedError: ``STATE_TOO_LARGE`` (over ``max_state_bytes``).
        """
        dev = self._online(device_id)
        if save_state.value not in dev.save_kinds:
            can = ", ".join(sorted(dev.save_kinds & {k.value for k in SaveState})) or "none"
            raise InvalidArgumentError(
                f"device {device_id!r} (method {dev.info.capabilities.get('method', '?')}) cannot "
                f"save a {save_state.value}; it can save: {can}",
                reason="SAVE_STATE_UNSUPPORTED",
                metadata={"device_id": device_id, "save_state": save_state.value},
            )
        prep = self._prepare(dev, circuit, options, parameter_values, run_without_clbits=True)
        assert isinstance(prep, _Prepared)
        qc = prep.circuit
        size = _STATE_SIZE.get(save_state)
        if size is not None and size(qc.num_qubits) > max_state_bytes:
            raise _too_large(save_state, size(qc.num_qubits), max_state_bytes)
        qc = _with_save(qc, save_state)
        if seed is not None:
            prep.run_options["seed_simulator"] = seed
        result, wall = run_aer(dev, qc, shots=shots if prep.width else 1, **prep.run_options)
        exp = result.results[0]
        res = self._finish(dev, prep, exp, shots, float(getattr(result, "time_taken", wall)))
        data = _state_bytes(save_state, exp.data.to_dict()[save_state.value])
        if len(data) > max_state_bytes:
            raise _too_large(save_state, len(data), max_state_bytes)
        res.metadata.update(saved_state=save_state.value, state_qubits=str(qc.num_qubits))
        if prep.layout is not None:
            res.metadata["state_layout"] = ",".join(str(q) for q in prep.layout)
        if not prep.width:
            res.counts.clear()
        return ExecutionResult(res.counts, res.execution_time_sec, res.metadata, saved_state=data)

    # --- expectation values ------------------------------------------------------------

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

        See :meth:`BaseDriver.estimate_expectation_values`; every Aer device computes exact
        values (noisy ones with their density matrix, i.e. EstimatorV2's noiseless-sampling
        semantics made exact). Sampled: ``shots`` per measurement group and binding, seeded by
        ``seed``, standard errors from the sample variance.

        Metadata: ``mode``, ``method``, ``groups``/``shots_per_group`` (sampled),
        ``program_cache`` (``hit``/``miss``), ``device_id``, ``simulator``, ``noise``, ``seed``.
        """
        dev = self._online(device_id)
        parsed = self.parse_options(device_id, options)
        check_width(circuit, dev.info)
        if circuit.clbits or any(o.op == "MEASURE" for o in circuit.operations):
            raise InvalidArgumentError(
                "the circuit to estimate must not measure or have classical bits",
                reason="UNSUPPORTED_INSTRUCTION",
            )
        run_options: dict[str, Any] = {self.run_option_names[k]: v for k, v in parsed.items()}
        return estimate(
            dev,
            circuit,
            observable,
            bindings,
            shots,
            seed,
            run_options,
            AerPrograms(self._programs, self._expvals, self._compile),
        )

    # --- helpers -------------------------------------------------------------------------

    def _prepare(
        self,
        dev: AerDevice,
        circuit: Circuit,
        options: Mapping[str, str],
        parameter_values: Mapping[str, float] | None,
        *,
        run_without_clbits: bool = False,
    ) -> _Prepared | ExecutionResult:
        """Check, bind, lower or transpile one execution (an early result without clbits)."""
        parsed = self.parse_options(dev.info.device_id, options)
        check_width(circuit, dev.info)
        bound = bind_parameters(circuit, parameter_values)
        meta = self._meta(dev, 0)
        if bound.clbits == 0 and not run_without_clbits:
            return ExecutionResult({}, 0.0, {**meta, "note": _NO_CLBITS_NOTE})
        if dev.native is not None:
            bound = lowered(dev, bound)
        run_options = self._run_options(dev, bound, parsed)
        if dev.model is None:
            return _Prepared(to_qiskit(bound), bound.clbits, meta, run_options)
        # transpiled once per distinct (bound) circuit: a repeated job skips the transpiler
        t0 = time.perf_counter()
        prog, hit = self._programs.get(
            (dev.info.device_id, bound.sha256(), ""), partial(self._compile, dev, bound)
        )
        meta["transpile_time_sec"] = f"{time.perf_counter() - t0:.6f}"
        meta["program_cache"] = "hit" if hit else "miss"
        meta["physical_qubits"] = ",".join(str(q) for q in prog.physical)
        run_options.update(prog.run_options())
        return _Prepared(prog.circuit, bound.clbits, meta, run_options, prog.layout)

    def _run_options(
        self, dev: AerDevice, circuit: Circuit, parsed: Mapping[str, object]
    ) -> dict[str, Any]:
        opts: dict[str, Any] = {self.run_option_names[k]: v for k, v in parsed.items()}
        if dev.native is not None and circuit.qubits < PARALLEL_QUBITS:
            # small ideal circuits gain nothing from OpenMP, and its thread team costs 3-10x
            # the run on a busy machine (measured: 2 qubits, 1,000 shots)
            opts.setdefault("max_parallel_threads", 1)
        return opts

    def _meta(self, dev: AerDevice, shots: int) -> dict[str, str]:
        meta = {
            "backend": dev.simulator.name,
            "device_id": dev.info.device_id,
            "simulator": f"qiskit-aer {qiskit_aer.__version__}",
            "noise": dev.info.capabilities.get("noise", "ideal"),
        }
        if shots:
            meta["shots"] = str(shots)
        return meta

    def _finish(
        self, dev: AerDevice, prep: _Prepared, exp: Any, shots: int, elapsed: float
    ) -> ExecutionResult:
        meta = dict(prep.meta)
        meta["shots"] = str(shots)
        meta["method"] = str(exp.metadata.get("method", dev.info.capabilities.get("method", "")))
        meta["seed"] = str(exp.seed_simulator)
        counts = counts_of(exp, prep.width, shots) if prep.width else {}
        return ExecutionResult(counts, elapsed, meta)

    def _compile(self, dev: AerDevice, circuit: Circuit) -> Program:
        """Lower (ideal) or transpile (noisy) a parametrised circuit for ``dev``.

        Raises:
            InvalidArgumentError: reason ``UNSUPPORTED_INSTRUCTION``.
        """
        if dev.native is None:
            compiled = dev.compile(to_qiskit(circuit))
            return Program(
                compiled.circuit,
                _parameters(circuit, compiled.circuit),
                compiled.layout,
                compiled.noise,
                compiled.physical,
            )
        try:
            qc = to_qiskit(lower(circuit, dev.native))
        except ValueError as exc:
            if not circuit.parameters:
                raise InvalidArgumentError(str(exc), reason="UNSUPPORTED_INSTRUCTION") from None
            # a rewrite needs a symbolic angle (θ/2), which AQO cannot write: Qiskit's
            # definitions below keep parameter expressions
            qc = to_qiskit(circuit)
        symbolic = {o.op for o in circuit.operations if any(isinstance(p, str) for p in o.params)}
        qc = decompose(qc, dev.native - (symbolic & _UNBINDABLE))
        return Program(qc, _parameters(circuit, qc))

    def _device(self, device_id: str) -> AerDevice:
        dev = self._devices.get(device_id)
        if dev is None:
            raise DeviceNotFoundError(
                f"no {self.name} device {device_id!r}; available: {', '.join(self._devices)}",
                metadata={"device_id": device_id},
            )
        return dev

    def _online(self, device_id: str) -> AerDevice:
        dev = self._device(device_id)
        if dev.info.status is not DeviceStatus.ONLINE:
            raise DeviceOfflineError(
                f"device {device_id!r} is {dev.info.status.value}", metadata={"subject": device_id}
            )
        return dev


def _parameters(circuit: Circuit, qc: QuantumCircuit) -> tuple[tuple[str, Parameter], ...]:
    """AQO parameter name → the Qiskit parameter still present in ``qc``, in AQO order."""
    present = {p.name: p for p in qc.parameters}
    return tuple((n, present[n]) for n in circuit.parameters if n in present)


def _options_key(run_options: Mapping[str, Any]) -> str:
    """A batch grouping key of run options (a noise model counts by identity: it is cached)."""
    return repr(
        sorted((k, f"id:{id(v)}" if k == "noise_model" else v) for k, v in run_options.items())
    )


def _plan_runs(
    members: list[tuple[int, ExecutionItem, _Prepared]],
) -> list[list[tuple[int, ExecutionItem, _Prepared]]]:
    """Split one group into Aer runs.

    Each seeded item goes first in its own run; the unseeded ones join the first run (Aer
    derives experiment k's seed from experiment 0's).
    """
    seeded = [m for m in members if m[1].seed is not None]
    unseeded = [m for m in members if m[1].seed is None]
    if not seeded:
        return [unseeded]
    runs = [[m] for m in seeded]
    runs[0].extend(unseeded)
    return runs


def _trailing_measure_index(qc: QuantumCircuit) -> int:
    """Index in ``qc.data`` where the final block of measurements (and barriers) starts."""
    i = len(qc.data)
    while i > 0 and qc.data[i - 1].operation.name in ("measure", "barrier"):
        i -= 1
    return i


def _with_save(qc: QuantumCircuit, kind: SaveState) -> QuantumCircuit:
    """``qc`` with a save of ``kind`` on all qubits before its trailing measurements."""
    out = qc.copy()
    inst = CircuitInstruction(_SAVE_INSTRUCTION[kind](out.num_qubits), tuple(out.qubits))
    out.data.insert(_trailing_measure_index(out), inst)
    return out


def _state_bytes(kind: SaveState, state: Any) -> bytes:
    """Serialise an Aer state: ``.npy`` (complex128) or, for an MPS, ``.npz``."""
    buf = io.BytesIO()
    if kind is SaveState.MATRIX_PRODUCT_STATE:
        gammas, lambdas = state
        arrays: dict[str, np.ndarray[Any, Any]] = {}
        for q, (g0, g1) in enumerate(gammas):
            arrays[f"gamma_{q}_0"] = np.asarray(g0, dtype=np.complex128)
            arrays[f"gamma_{q}_1"] = np.asarray(g1, dtype=np.complex128)
        for q, lam in enumerate(lambdas):
            arrays[f"lambda_{q}"] = np.asarray(lam, dtype=np.float64)
        np.savez(buf, **arrays)  # type: ignore[arg-type]
    else:
        np.save(buf, np.asarray(getattr(state, "data", state), dtype=np.complex128))
    return buf.getvalue()


def _too_large(kind: SaveState, size: int, limit: int) -> ResourceExhaustedError:
    return ResourceExhaustedError(
        f"the {kind.value} would take {size} bytes; the limit is {limit} bytes",
        reason="STATE_TOO_LARGE",
        metadata={"subject": "max_saved_state_bytes", "limit": str(limit), "size": str(size)},
    )
