"""The QDriver API (seed RFC 0006): :class:`BaseDriver` and the domain types it speaks.

A driver adapts one backend family (a simulator, a vendor's QPU cloud) to five blocking methods.
The driver-manager calls them from a worker thread pool, never on the event loop, so a driver may
block on network I/O or CPU work freely. Drivers raise the typed errors of
:mod:`eigen_common.errors`; the gRPC layer turns them into statuses:

- :class:`~eigen_common.errors.DeviceNotFoundError` (NOT_FOUND): unknown ``device_id``;
- :class:`~eigen_common.errors.DeviceOfflineError` (FAILED_PRECONDITION): device not ONLINE;
- :class:`~eigen_common.errors.FailedPreconditionError` with reason
  :data:`EXACT_UNSUPPORTED` (FAILED_PRECONDITION): exact expectation values asked of a device
  that can only sample;
- :class:`~eigen_common.errors.BackendUnavailableError` (UNAVAILABLE, retried by the kernel):
  the backend is down or unreachable;
- :class:`~eigen_common.errors.FailedPreconditionError` with reason ``CIRCUIT_TOO_LARGE``
  (FAILED_PRECONDITION, SPEC §13): the circuit is wider than the device;
- :class:`~eigen_driver_manager.execution.DeviceAuthFailedError` (FAILED_PRECONDITION, reason
  ``DEVICE_AUTH_FAILED``): the vendor refused the credentials (the device shows OFFLINE);
- :class:`~eigen_common.errors.InvalidArgumentError` / ``InvalidOptionError`` (INVALID_ARGUMENT):
  bad circuit, unbound parameters, option not allowed, a state the device cannot save;
- :class:`~eigen_common.errors.ResourceExhaustedError` (RESOURCE_EXHAUSTED): a saved state
  larger than the configured limit;
- :class:`~eigen_common.errors.UnimplementedError` (UNIMPLEMENTED): e.g. no calibration.

The seed's five methods are the required core. The rest have defaults that any driver gets:
:meth:`BaseDriver.execute_batch` and :meth:`BaseDriver.execute_sweep` loop over
``execute_circuit``; :meth:`BaseDriver.cancel_execution` finds nothing to stop;
:meth:`BaseDriver.start_execution` / :meth:`BaseDriver.await_execution` are for asynchronous
devices (``Device.asynchronous``) only; :meth:`BaseDriver.execute_with_state` is for simulators;
:meth:`BaseDriver.transpile_circuit` shows a circuit as the device runs it (the default: as
compiled, on the trivial layout; drivers that transpile override it with their own pass manager).

This module imports neither gRPC nor generated protobuf code.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import ClassVar, TypeAlias

from eigen_common.devices import Calibration, Device, DeviceStatus
from eigen_common.errors import (
    DeviceOfflineError,
    EigenError,
    FailedPreconditionError,
    FieldViolation,
    InvalidArgumentError,
    UnimplementedError,
    ValidationError,
)
from eigen_driver_manager.execution import (
    ExecutionItem,
    ExecutionProgress,
    SaveState,
    StartedExecution,
)
from eigen_driver_manager.options import OptionSpec, validate_options
from eigen_ir import pauli
from eigen_ir.aqo import AqoError, Circuit, bind

#: A driver name: lower-case identifier (it prefixes device ids and labels metrics).
DRIVER_NAME_RE = re.compile(r"^[a-z][a-z0-9_]{0,31}$")

#: ErrorInfo reason of the FAILED_PRECONDITION raised when exact expectation values are asked
#: of a device that can only sample.
EXACT_UNSUPPORTED = "EXACT_EXPECTATION_UNSUPPORTED"

#: Seeds derived from a request seed stay in the non-negative int64 range.
_SEED_MASK = (1 << 63) - 1


__all__ = [
    "CIRCUIT_TOO_LARGE",
    "DRIVER_NAME_RE",
    "EXACT_UNSUPPORTED",
    "BaseDriver",
    "CalibrationResult",
    "Device",
    "DeviceInfo",
    "DeviceStatus",
    "DeviceStatusReport",
    "EstimateOutcome",
    "ExecutionItem",
    "ExecutionProgress",
    "ExecutionResult",
    "SaveState",
    "StartedExecution",
    "TranspiledCircuit",
    "bind_parameters",
    "check_width",
    "circuit_too_large",
]

#: The seed's name of the device model (RFC 0006 ``DeviceInfo``); one class with the kernel's.
DeviceInfo: TypeAlias = Device


@dataclass(frozen=True)
class DeviceStatusReport:
    """Answer of :meth:`BaseDriver.get_device_status`.

    ``queue_depth`` and ``estimated_wait_sec`` (seconds) are what the backend reports; the
    manager adds its own in-flight work on top. ``vendor_queue_length`` is the number of jobs
    waiting at the vendor, where the vendor reports it.
    """

    device_id: str
    status: DeviceStatus
    queue_depth: int = 0
    estimated_wait_sec: int = 0
    message: str = ""
    vendor_queue_length: int | None = None


@dataclass(frozen=True)
class ExecutionResult:
    """Normalised result of one execution (seed: counts + execution time + metadata).

    Attributes:
        counts: bitstring → count. Each key has exactly ``circuit.clbits`` characters ``0``/``1``
            with clbit 0 the rightmost; the values sum to ``shots``. Empty when the circuit has
            no classical bits.
        execution_time_sec: time the backend spent executing, in seconds.
        metadata: backend-specific facts (backend, method, seed, vendor job id, ...), all
            strings.
        sweep_counts: for a parameter sweep (:meth:`BaseDriver.execute_sweep`), one counts
            mapping per binding in binding order (same shape as ``counts``); ``counts`` is
            then empty.
        saved_state: the final state asked for by ``save_state``, as NumPy ``.npy`` bytes
            (``.npz`` for a matrix product state); empty otherwise.
    """

    counts: dict[str, int]
    execution_time_sec: float
    metadata: dict[str, str] = field(default_factory=dict)
    sweep_counts: tuple[dict[str, int], ...] = ()
    saved_state: bytes = b""


@dataclass(frozen=True)
class EstimateOutcome:
    """Answer of :meth:`BaseDriver.estimate_expectation_values`.

    Attributes:
        values: one expectation value per binding, in binding order.
        std_errors: standard error of each value (0.0 when exact), same length as ``values``.
        execution_time_sec: time the backend spent, summed over its runs, in seconds.
        metadata: backend facts as strings (``mode`` = ``exact``/``sampled``, ``groups``,
            ``shots_per_group``, ``method``, ...).
    """

    values: list[float]
    std_errors: list[float]
    execution_time_sec: float
    metadata: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class TranspiledCircuit:
    """Answer of :meth:`BaseDriver.transpile_circuit`: a circuit as its device runs it.

    Attributes:
        circuit: the ISA circuit in AQO over the device's physical qubits (AQO qubit ``i`` is
            physical qubit ``i``; ``circuit.qubits`` ≤ the device's width), with the input's
            clbits and no symbolic parameters.
        initial_layout: for each virtual qubit ``v`` of the input, the physical qubit it starts
            on (length = input qubits, distinct).
        final_layout: the physical qubit each virtual qubit ends on (after routing swaps;
            equal to ``initial_layout`` without routing).
        metadata: how it was transpiled, as strings (``transpiler``, ``optimization_level``,
            ``seed_transpiler``, ``transpile_time_sec`` in seconds, ...).
    """

    circuit: Circuit
    initial_layout: tuple[int, ...]
    final_layout: tuple[int, ...]
    metadata: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class CalibrationResult:
    """Answer of :meth:`BaseDriver.calibrate_device`: status after it and calibration data."""

    device_id: str
    status: DeviceStatus
    calibration: Mapping[str, str] = field(default_factory=dict)
    details: Calibration | None = None


class BaseDriver(ABC):
    """A backend adapter (seed RFC 0006 ``BaseDriver``), modelled on Qiskit's ``BackendV2``.

    Lifecycle: the registry instantiates the class with no arguments, then calls
    :meth:`initialize` once with the driver's string config, then :meth:`get_devices` once to
    index devices. All methods are blocking and may be called concurrently from several worker
    threads; implementations guard shared mutable state themselves. Constructors must be cheap and
    free of side effects (no network, no simulators): that work belongs in :meth:`initialize`.

    Class attributes:
        name: the driver name (matches :data:`DRIVER_NAME_RE`); unique across loaded drivers.
        allowed_options: the execution-option allowlist: option name → :class:`OptionSpec`
            (validator). Per-device differences go in :meth:`device_options`.
    """

    name: ClassVar[str] = ""
    allowed_options: ClassVar[Mapping[str, OptionSpec]] = {}

    @abstractmethod
    def initialize(self, config: Mapping[str, str]) -> None:
        """Prepare the driver (create simulators, open connection pools).

        Args:
            config: driver settings as strings (from ``EIGEN_DRIVER_MANAGER_DRIVER_CONFIG``).

        Raises:
            ValueError: the config is invalid (a startup error).
        """

    @classmethod
    def declared_devices(cls, config: Mapping[str, str]) -> tuple[str, ...]:
        """Device ids this driver would offer, known without initialising (default: none).

        Shown OFFLINE with the reason when :meth:`initialize` fails.
        """
        return ()

    @abstractmethod
    def get_devices(self) -> list[DeviceInfo]:
        """Return every device this driver offers, with current status."""

    @abstractmethod
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
        """Run ``circuit`` ``shots`` times and return normalised counts.

        Args:
            device_id: one of this driver's devices.
            circuit: a validated AQO circuit, possibly with symbolic parameters.
            shots: number of repetitions, ≥ 1.
            options: execution options; only names in :meth:`device_options` are allowed.
            seed: simulator seed; a seeded simulator must return the same counts for the same
                seed. Hardware ignores it.
            parameter_values: values (radians) for the circuit's symbolic parameters, by name.

        Returns:
            The counts (see :class:`ExecutionResult` for shape and bit order).

        Raises:
            DeviceNotFoundError: unknown ``device_id``.
            DeviceOfflineError: the device is not ONLINE.
            InvalidOptionError: an option is not allowed or has a bad value.
            InvalidArgumentError: the circuit is too wide, has unbound parameters or uses an
                instruction the device cannot run.
            BackendUnavailableError: the backend is down.
        """

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
        """Return ``⟨ψ(θ_b)|H|ψ(θ_b)⟩`` for every binding ``θ_b`` of ``circuit``.

        The default samples through :meth:`execute_circuit`, so any driver that can sample
        (a QPU too) can estimate: the terms are split into qubit-wise commuting groups
        (:func:`eigen_ir.pauli.measurement_groups`); for each binding and each group the
        circuit gets the group's basis change and a measurement of every qubit and runs
        ``shots`` times. **Shots are per measurement group**: a call costs
        ``len(bindings) × groups × shots`` shots. Run ``k`` (binding-major, groups inner) gets
        the seed ``seed + k`` (None stays None). Simulators that compute exact values override
        this method.

        Args:
            device_id: one of this driver's devices.
            circuit: a validated AQO circuit without measurements or clbits, possibly with
                symbolic parameters.
            observable: ``(label, coefficient)`` Pauli terms; labels over ``IXYZ`` of length
                ``circuit.qubits``, Qiskit order (rightmost character = qubit 0).
            bindings: one mapping per value wanted, each binding every circuit parameter
                (radians).
            shots: shots per measurement group (≥ 1), or None for exact values.
            options: execution options (the driver's allowlist).
            seed: simulator seed; the same seed gives the same estimates.

        Returns:
            One value and standard error per binding, in order.

        Raises:
            FailedPreconditionError: reason :data:`EXACT_UNSUPPORTED` when ``shots`` is None
                and the device cannot compute exact values.
            DeviceNotFoundError, DeviceOfflineError, InvalidOptionError, InvalidArgumentError,
            BackendUnavailableError: as in :meth:`execute_circuit`.
        """
        if shots is None:
            raise FailedPreconditionError(
                f"device {device_id!r} cannot compute exact expectation values; give shots",
                reason=EXACT_UNSUPPORTED,
                metadata={"subject": device_id},
            )
        groups = pauli.measurement_groups(observable)
        measured = [pauli.measured_circuit(circuit, g.basis) for g in groups]
        values: list[float] = []
        std_errors: list[float] = []
        elapsed = 0.0
        run = 0
        for binding in bindings:
            estimates = []
            for group, program in zip(groups, measured, strict=True):
                result = self.execute_circuit(
                    device_id,
                    program,
                    shots,
                    options,
                    seed=None if seed is None else (seed + run) & _SEED_MASK,
                    parameter_values=binding,
                )
                run += 1
                elapsed += result.execution_time_sec
                estimates.append(pauli.estimate_from_counts(group.terms, result.counts))
            value, error = pauli.combine(estimates)
            values.append(value)
            std_errors.append(error)
        meta = {
            "mode": "sampled",
            "groups": str(len(groups)),
            "shots_per_group": str(shots),
            "circuits_run": str(run),
        }
        return EstimateOutcome(values, std_errors, elapsed, meta)

    @abstractmethod
    def get_device_status(self, device_id: str) -> DeviceStatusReport:
        """Return the current status of one device.

        Raises:
            DeviceNotFoundError: unknown ``device_id``.
            BackendUnavailableError: the backend cannot be asked.
        """

    def calibrate_device(self, device_id: str) -> CalibrationResult:
        """Calibrate a device (optional in the MVP; the default does not support it).

        Raises:
            UnimplementedError: always, unless a driver overrides this method.
        """
        raise UnimplementedError(f"driver {self.name!r} does not support calibration")

    def execute_batch(self, items: Sequence[ExecutionItem]) -> list[ExecutionResult | EigenError]:
        """Run several executions of one device; each succeeds or fails on its own.

        The default runs :meth:`execute_circuit` once per item; simulators override it to run
        the items in one backend call. An item's failure is returned in its place (never
        raised), so one bad circuit fails only itself.

        Args:
            items: 1..256 executions, all on the same device.

        Returns:
            One :class:`ExecutionResult` or typed error per item, in order.
        """
        out: list[ExecutionResult | EigenError] = []
        for item in items:
            try:
                out.append(
                    self.execute_circuit(
                        item.device_id,
                        item.circuit,
                        item.shots,
                        item.options,
                        seed=item.seed,
                        parameter_values=item.parameter_values,
                    )
                )
            except EigenError as exc:
                out.append(exc)
        return out

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
        """Run ``circuit`` once per binding (a parameter sweep); counts in binding order.

        The default calls :meth:`execute_circuit` per binding with seed ``seed + k`` for row
        ``k`` (None stays None); simulators override it to compile once and bind per row.

        Returns:
            An :class:`ExecutionResult` whose ``sweep_counts`` has one mapping per binding,
            ``counts`` empty and ``execution_time_sec`` summed over the rows.

        Raises:
            As :meth:`execute_circuit`.
        """
        rows: list[dict[str, int]] = []
        elapsed = 0.0
        meta: dict[str, str] = {}
        for k, binding in enumerate(bindings):
            res = self.execute_circuit(
                device_id,
                circuit,
                shots,
                options,
                seed=None if seed is None else (seed + k) & _SEED_MASK,
                parameter_values=binding,
            )
            rows.append(res.counts)
            elapsed += res.execution_time_sec
            meta = dict(res.metadata)
        meta["sweep_rows"] = str(len(rows))
        return ExecutionResult({}, elapsed, meta, sweep_counts=tuple(rows))

    def transpile_circuit(self, device_id: str, circuit: Circuit) -> TranspiledCircuit:
        """Return ``circuit`` as the device runs it, without running it (SPEC §13).

        A driver that transpiles before it runs (to a coupling map and basis gates, a Qiskit
        ``Target``) overrides this with the very pass manager and seed its executions use, so
        that what a user is shown (``eigen compile --target``) is what runs. The default is for
        devices that run AQO as it is (ideal simulators): the circuit unchanged, on the trivial
        layout, once :meth:`get_device_status` says ONLINE.

        Args:
            device_id: one of this driver's devices.
            circuit: a validated AQO circuit, every parameter bound, no wider than the device
                (the manager checked both).

        Returns:
            The circuit as it runs (see :class:`TranspiledCircuit`).

        Raises:
            DeviceNotFoundError: unknown ``device_id``.
            DeviceOfflineError: the device is not ONLINE.
            InvalidArgumentError: reason ``UNSUPPORTED_INSTRUCTION``: an instruction the device
                cannot run.
            UnimplementedError: reason ``ISA_NOT_EXPRESSIBLE``: the transpiled circuit uses
                instructions AQO cannot write.
            BackendUnavailableError: the backend is needed and down.
        """
        report = self.get_device_status(device_id)
        if report.status is not DeviceStatus.ONLINE:
            why = f": {report.message}" if report.message else ""
            raise DeviceOfflineError(
                f"device {device_id!r} is {report.status.value}{why}",
                metadata={"subject": device_id},
            )
        trivial = tuple(range(circuit.qubits))
        return TranspiledCircuit(
            circuit, trivial, trivial, {"transpiler": "none: the device runs the circuit as is"}
        )

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
        """Run like :meth:`execute_circuit` and also keep the simulator's final state.

        Simulators override this; the default refuses (hardware has no state to give).

        Args:
            device_id: as in :meth:`execute_circuit`.
            circuit: as in :meth:`execute_circuit`.
            shots: as in :meth:`execute_circuit`.
            options: as in :meth:`execute_circuit`.
            save_state: which state to keep.
            max_state_bytes: the largest ``saved_state`` allowed, in bytes.
            seed: as in :meth:`execute_circuit`.
            parameter_values: as in :meth:`execute_circuit`.

        Returns:
            The result with ``saved_state`` set (see :class:`ExecutionResult`).

        Raises:
            InvalidArgumentError: reason ``SAVE_STATE_UNSUPPORTED`` when the device cannot save
                that state.
            ResourceExhaustedError: reason ``STATE_TOO_LARGE`` when the state exceeds
                ``max_state_bytes``.
        """
        raise InvalidArgumentError(
            f"device {device_id!r} cannot save its final state (driver {self.name!r})",
            reason="SAVE_STATE_UNSUPPORTED",
            metadata={"device_id": device_id, "save_state": str(save_state)},
        )

    def cancel_execution(self, device_id: str, job_id: str, execution_id: str) -> bool:
        """Tell the backend to stop a job's execution; idempotent.

        The manager already drops a late result of a cancelled job; this hook stops the work
        itself where the backend allows (a vendor job's cancel call). The default finds
        nothing to stop.

        Args:
            device_id: the device it runs on.
            job_id: the job (may be empty for an asynchronous execution).
            execution_id: from :meth:`start_execution`, or empty.

        Returns:
            True when the backend was told to stop an execution it knows.
        """
        return False

    def start_execution(self, item: ExecutionItem) -> StartedExecution:
        """Submit ``item`` to an asynchronous device and return at once (vendor QPUs).

        Returns:
            The execution's id, which names the vendor job so that :meth:`await_execution`
            works from another driver-manager process (re-attach after a restart).

        Raises:
            UnimplementedError: the driver has no asynchronous devices (the default).
            As :meth:`execute_circuit` otherwise.
        """
        raise UnimplementedError(f"driver {self.name!r} has no asynchronous devices")

    def await_execution(
        self, device_id: str, execution_id: str, wait_seconds: float
    ) -> ExecutionProgress:
        """Wait up to ``wait_seconds`` for an execution started by :meth:`start_execution`.

        Implementations poll the vendor with backoff (never a busy loop) and return as soon as
        the execution ends.

        Raises:
            UnimplementedError: the driver has no asynchronous devices (the default).
            NotFoundError: unknown ``execution_id``.
            ExecutionCancelledError: the execution was cancelled.
            BackendUnavailableError: the vendor cannot be reached.
        """
        raise UnimplementedError(f"driver {self.name!r} has no asynchronous devices")

    def close(self) -> None:  # noqa: B027 - optional hook, empty by default
        """Release resources (connection pools, sessions) at shutdown; default: nothing."""

    def device_options(self, device_id: str) -> Mapping[str, OptionSpec]:
        """Return the option allowlist of one device (default: :attr:`allowed_options`)."""
        return self.allowed_options

    def parse_options(self, device_id: str, options: Mapping[str, str]) -> dict[str, object]:
        """Validate ``options`` against :meth:`device_options` and return the parsed values.

        Raises:
            InvalidOptionError: with one violation per bad option; names the allowed options.
        """
        return validate_options(self.device_options(device_id), options, device_id=device_id)


#: ErrorInfo reason of a circuit wider than its device (FAILED_PRECONDITION, SPEC §13).
CIRCUIT_TOO_LARGE = "CIRCUIT_TOO_LARGE"


def circuit_too_large(device_id: str, detail: str) -> FailedPreconditionError:
    """The error of a circuit the device cannot hold (SPEC §13: FAILED_PRECONDITION)."""
    return FailedPreconditionError(
        f"circuit too large for device {device_id!r}: {detail}",
        reason=CIRCUIT_TOO_LARGE,
        metadata={"subject": device_id, "device_id": device_id},
    )


def check_width(circuit: Circuit, device: DeviceInfo) -> None:
    """Reject a circuit wider than ``device.max_qubits``.

    Raises:
        FailedPreconditionError: reason ``CIRCUIT_TOO_LARGE`` (SPEC §13).
    """
    if circuit.qubits > device.max_qubits:
        err = circuit_too_large(
            device.device_id,
            f"it uses {circuit.qubits} qubits; the device runs at most {device.max_qubits}",
        )
        err.metadata["max_qubits"] = str(device.max_qubits)
        raise err


def bind_parameters(circuit: Circuit, values: Mapping[str, float] | None) -> Circuit:
    """Bind every symbolic parameter of ``circuit``; values for unknown names are ignored.

    Returns:
        A circuit with numeric parameters only (``circuit`` itself when it has none).

    Raises:
        ValidationError: a value is not finite (field ``parameter_values.<name>``).
        InvalidArgumentError: reason ``UNBOUND_PARAMETERS`` when a parameter has no value.
    """
    if not circuit.parameters:
        return circuit
    relevant = {k: float(v) for k, v in (values or {}).items() if k in circuit.parameters}
    try:
        bound = bind(circuit, relevant)
    except AqoError as exc:
        raise ValidationError(
            [
                FieldViolation(p.replace("inputs.", "parameter_values.", 1), d)
                for p, d in exc.violations
            ]
        ) from None
    if bound.parameters:
        raise InvalidArgumentError(
            f"circuit parameter(s) without a value: {', '.join(bound.parameters)}",
            reason="UNBOUND_PARAMETERS",
            metadata={"parameters": ",".join(bound.parameters)},
        )
    return bound
