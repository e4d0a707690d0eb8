"""The driver-manager's domain service (imports neither gRPC nor generated protobuf code).

Request validation, dispatch to drivers off the event loop, queue accounting, metrics and logs.
"""

from __future__ import annotations

import asyncio
import contextvars
import enum
import math
import re
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from functools import partial
from typing import TypeVar

import structlog

from eigen_common.errors import (
    EigenError,
    FieldViolation,
    UnavailableError,
    UnimplementedError,
    ValidationError,
)
from eigen_common.logs import get_logger
from eigen_driver_manager import metrics
from eigen_driver_manager.base import (
    BaseDriver,
    CalibrationResult,
    DeviceInfo,
    DeviceStatus,
    DeviceStatusReport,
    EstimateOutcome,
    ExecutionResult,
    check_width,
)
from eigen_driver_manager.registry import DriverRegistry
from eigen_ir.aqo import AqoError, Circuit, parse

log = get_logger("eigen.driver_manager")

T = TypeVar("T")

#: Payloads up to this size (bytes) are parsed on the event loop (tens of µs); larger ones in
#: the worker pool.
_PARSE_INLINE_BYTES = 32 * 1024

#: Smoothing factor of the per-device execution-time average behind ``estimated_wait_sec``.
_EWMA_ALPHA = 0.2

#: Limits of an EstimateExpectationValues request (proto ``EstimateExpectationValuesRequest``).
MAX_TERMS = 100_000
MAX_BINDINGS = 1024
#: At most this many violations are listed per repeated field (the rest are counted).
_MAX_LISTED = 20
_PAULI_LABEL = re.compile(r"[IXYZ]+")
#: Observables up to this many terms are checked on the event loop, larger ones in the pool.
_CHECK_INLINE_TERMS = 4096


class PayloadFormat(enum.Enum):
    """Encoding of a circuit payload (proto ``CircuitPayload.Format``)."""

    UNSPECIFIED = "unspecified"
    AQO_JSON = "aqo_json"
    AQO_PROTO = "aqo_proto"
    QASM3_TEXT = "qasm3_text"
    BACKEND_NATIVE = "backend_native"


@dataclass(frozen=True)
class ExecutionRequest:
    """An ExecuteCircuit request in domain terms.

    Attributes:
        job_id: for logs only.
        device_id: the device to run on.
        payload_format: how ``payload`` is encoded; only ``AQO_JSON`` is executable.
        payload: the circuit bytes.
        shots: repetitions, 1..``max_shots``.
        options: execution options (checked against the driver's allowlist).
        seed: simulator seed, or None for a random one.
        parameter_values: symbolic parameter values in radians, by name.
    """

    job_id: str
    device_id: str
    payload_format: PayloadFormat
    payload: bytes
    shots: int
    options: Mapping[str, str] = field(default_factory=dict)
    seed: int | None = None
    parameter_values: Mapping[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class EstimationRequest:
    """An EstimateExpectationValues request in domain terms.

    Attributes:
        job_id: for logs only.
        device_id: the device to run on.
        payload_format: how ``payload`` is encoded; only ``AQO_JSON`` is accepted.
        payload: the parametrised circuit, without measurements or clbits.
        observable: ``(label, coefficient)`` Pauli terms, 1..:data:`MAX_TERMS`; labels over
            ``IXYZ``, one character per circuit qubit, rightmost = qubit 0.
        bindings: 1..:data:`MAX_BINDINGS` mappings, each binding exactly the circuit's
            parameters (radians).
        shots: shots per measurement group (1..``max_shots``), or None for exact values.
        options: execution options (checked against the driver's allowlist).
        seed: simulator seed (≥ 0), or None for a random one.
    """

    job_id: str
    device_id: str
    payload_format: PayloadFormat
    payload: bytes
    observable: Sequence[tuple[str, float]]
    bindings: Sequence[Mapping[str, float]]
    shots: int | None = None
    options: Mapping[str, str] = field(default_factory=dict)
    seed: int | None = None


class DriverManager:
    """Runs driver calls for the servicer.

    Every blocking driver method runs in a bounded thread pool (``max_workers``) with the caller's
    context variables (so logs keep ``trace_id``/``job_id``); the event loop never blocks. The
    manager counts accepted-but-unfinished calls per device and adds them to the queue depth a
    driver reports.

    Args:
        registry: the initialised drivers.
        max_workers: size of the worker thread pool.
        max_shots: upper bound for ``shots``.
    """

    def __init__(self, registry: DriverRegistry, *, max_workers: int = 4, max_shots: int = 10**7):
        self._registry = registry
        self._max_workers = max_workers
        self._max_shots = max_shots
        self._executor = ThreadPoolExecutor(max_workers, thread_name_prefix="eigen-driver")
        # status/list/calibrate calls get their own threads: they must not queue behind
        # long simulations that occupy every execution worker
        self._control = ThreadPoolExecutor(2, thread_name_prefix="eigen-driver-ctl")
        self._lock = threading.Lock()  # guards the two dicts below (updated from workers)
        self._in_flight: dict[str, int] = {}
        self._avg_sec: dict[str, float] = {}

    @property
    def registry(self) -> DriverRegistry:
        """The driver registry."""
        return self._registry

    def close(self) -> None:
        """Stop accepting work, drop queued calls and close the drivers."""
        self._executor.shutdown(wait=False, cancel_futures=True)
        self._control.shutdown(wait=False, cancel_futures=True)
        self._registry.close()

    # --- RPC-level operations -----------------------------------------------------------

    async def list_devices(self) -> list[DeviceInfo]:
        """Return every device with fresh status and the manager's queue on top.

        A driver whose ``get_devices`` fails does not fail the listing: its devices are shown
        OFFLINE (backend unavailable) or ERROR (anything else) and the failure is logged.
        """
        out: list[DeviceInfo] = []
        for name, driver in self._registry.drivers.items():
            indexed = {d.device_id: d for d in self._registry.devices.values() if d.driver == name}
            try:
                fresh = await self._run(driver.get_devices, control=True)
            except Exception as exc:
                status = (
                    DeviceStatus.OFFLINE
                    if isinstance(exc, UnavailableError)
                    else DeviceStatus.ERROR
                )
                log.warning("get_devices failed", driver_name=name, error=str(exc))
                fresh = [replace(d, status=status) for d in indexed.values()]
            for info in fresh:
                if info.device_id not in indexed:
                    log.warning(
                        "driver reports an unindexed device",
                        driver_name=name,
                        device_id=info.device_id,
                    )
                    continue
                stamped = DriverRegistry.stamp(driver, info)
                out.append(
                    self._with_queue(stamped, stamped.queue_depth, stamped.estimated_wait_sec)
                )
        return sorted(out, key=lambda d: d.device_id)

    async def device_status(self, device_id: str) -> DeviceStatusReport:
        """Return one device's status with the manager's queue on top.

        Raises:
            ValidationError: empty ``device_id``.
            DeviceNotFoundError: unknown device.
            BackendUnavailableError: the driver cannot reach its backend.
        """
        _require_device_id(device_id)
        driver, _ = self._registry.device(device_id)
        report = await self._call(driver, device_id, "", driver.get_device_status, device_id)
        depth, wait = self._queue(device_id, report.queue_depth, report.estimated_wait_sec)
        return replace(report, queue_depth=depth, estimated_wait_sec=wait)

    async def calibrate(self, device_id: str) -> CalibrationResult:
        """Calibrate a device.

        Raises:
            ValidationError: empty ``device_id``.
            DeviceNotFoundError: unknown device.
            UnimplementedError: the driver or device has no calibration.
        """
        _require_device_id(device_id)
        driver, _ = self._registry.device(device_id)
        return await self._call(driver, device_id, "", driver.calibrate_device, device_id)

    async def execute(self, req: ExecutionRequest) -> ExecutionResult:
        """Validate ``req``, run it on its device and check the driver's result.

        Returns:
            Counts keyed by bitstrings of width ``clbits`` (clbit 0 rightmost) summing to
            ``shots``; ``{}`` for a circuit without clbits.

        Raises:
            ValidationError: every request-field problem at once (``device_id``, ``shots``,
                ``payload.*`` incl. AQO violations as ``payload.data.<path>``,
                ``parameter_values.<name>``).
            UnimplementedError: payload format other than AQO JSON.
            DeviceNotFoundError: unknown device.
            InvalidOptionError: option outside the device's allowlist.
            InvalidArgumentError: ``CIRCUIT_TOO_LARGE``, ``UNBOUND_PARAMETERS``, ...
            DeviceOfflineError, BackendUnavailableError: from the driver.
        """
        circuit = await self._validate(req)
        driver, info = self._registry.device(req.device_id)
        with structlog.contextvars.bound_contextvars(
            job_id=req.job_id, device_id=req.device_id, driver_name=driver.name
        ):

            def run() -> ExecutionResult:
                return driver.execute_circuit(
                    req.device_id,
                    circuit,
                    req.shots,
                    req.options,
                    seed=req.seed,
                    parameter_values=req.parameter_values,
                )

            def precheck() -> None:
                driver.parse_options(req.device_id, req.options)
                check_width(circuit, info)

            result = await self._call(
                driver, req.device_id, req.job_id, run, precheck=precheck, track_queue=True
            )
            _check_result(driver, circuit, req.shots, result)
            log.info(
                "circuit executed",
                shots=req.shots,
                qubits=circuit.qubits,
                operations=len(circuit.operations),
                execution_time_sec=round(result.execution_time_sec, 6),
                outcomes=len(result.counts),
            )
            return result

    async def estimate(self, req: EstimationRequest) -> EstimateOutcome:
        """Validate ``req`` and return one expectation value per binding from its device.

        Exact when ``req.shots`` is None (devices that can compute it), else sampled with
        ``shots`` per measurement group.

        Returns:
            ``len(req.bindings)`` values and standard errors (0.0 when exact), in order.

        Raises:
            ValidationError: every request-field problem at once (``device_id``, ``shots``,
                ``seed``, ``payload.*`` incl. AQO violations and a measuring circuit,
                ``observable``, ``observable[i].label|coefficient``, ``bindings``,
                ``bindings[i].values[.<name>]``).
            UnimplementedError: payload format other than AQO JSON.
            DeviceNotFoundError: unknown device.
            InvalidOptionError: option outside the device's allowlist.
            InvalidArgumentError: ``CIRCUIT_TOO_LARGE``, ``UNSUPPORTED_INSTRUCTION``, ...
            FailedPreconditionError: reason ``EXACT_EXPECTATION_UNSUPPORTED`` (exact values
                from a device that can only sample); ``DEVICE_OFFLINE``.
            BackendUnavailableError: from the driver.
        """
        circuit = await self._validate_estimate(req)
        driver, info = self._registry.device(req.device_id)
        mode = "exact" if req.shots is None else "sampled"
        with structlog.contextvars.bound_contextvars(
            job_id=req.job_id, device_id=req.device_id, driver_name=driver.name
        ):

            def run() -> EstimateOutcome:
                return driver.estimate_expectation_values(
                    req.device_id,
                    circuit,
                    req.observable,
                    req.bindings,
                    req.shots,
                    req.options,
                    seed=req.seed,
                )

            def precheck() -> None:
                driver.parse_options(req.device_id, req.options)
                check_width(circuit, info)

            t0 = time.perf_counter()
            code = "OK"
            try:
                outcome = await self._call(
                    driver, req.device_id, req.job_id, run, precheck=precheck, track_queue=True
                )
                _check_outcome(driver, len(req.bindings), outcome)
            except EigenError as exc:
                code = exc.code.name
                raise
            except asyncio.CancelledError:
                code = "CANCELLED"
                raise
            except Exception:
                code = "INTERNAL"
                raise
            finally:
                metrics.ESTIMATES.labels(driver.name, req.device_id, mode, code).inc()
                metrics.ESTIMATE_DURATION.labels(driver.name, mode).observe(
                    time.perf_counter() - t0
                )
            log.info(
                "expectation values estimated",
                mode=mode,
                shots=req.shots,
                qubits=circuit.qubits,
                terms=len(req.observable),
                bindings=len(req.bindings),
                execution_time_sec=round(outcome.execution_time_sec, 6),
            )
            return outcome

    # --- helpers ------------------------------------------------------------------------

    async def _validate(self, req: ExecutionRequest) -> Circuit:
        violations: list[FieldViolation] = []
        if not req.device_id:
            violations.append(FieldViolation("device_id", "must not be empty"))
        if not 1 <= req.shots <= self._max_shots:
            violations.append(FieldViolation("shots", f"must be in 1..{self._max_shots}"))
        for k, v in sorted(req.parameter_values.items()):
            if not math.isfinite(v):
                violations.append(FieldViolation(f"parameter_values.{k}", "must be finite"))
        circuit = await self._parse_payload(req.payload_format, req.payload, violations)
        if violations:
            raise ValidationError(violations)
        return _require_circuit(circuit, req.payload_format)

    async def _validate_estimate(self, req: EstimationRequest) -> Circuit:
        violations: list[FieldViolation] = []
        if not req.device_id:
            violations.append(FieldViolation("device_id", "must not be empty"))
        if req.shots is not None and not 1 <= req.shots <= self._max_shots:
            violations.append(
                FieldViolation("shots", f"must be in 1..{self._max_shots} or unset (exact)")
            )
        if req.seed is not None and req.seed < 0:
            violations.append(FieldViolation("seed", "must be >= 0"))
        circuit = await self._parse_payload(req.payload_format, req.payload, violations)
        if circuit is not None and (
            circuit.clbits or any(o.op == "MEASURE" for o in circuit.operations)
        ):
            violations.append(
                FieldViolation(
                    "payload.data",
                    "must not measure or have classical bits (estimation adds its own "
                    "measurements)",
                )
            )
        if len(req.observable) <= _CHECK_INLINE_TERMS:
            violations.extend(_observable_violations(req.observable, circuit))
        else:  # up to 100,000 labels: keep the event loop free
            violations.extend(
                await self._run(partial(_observable_violations, req.observable, circuit))
            )
        violations.extend(_binding_violations(req.bindings, circuit))
        if violations:
            raise ValidationError(violations)
        return _require_circuit(circuit, req.payload_format)

    async def _parse_payload(
        self, fmt: PayloadFormat, payload: bytes, violations: list[FieldViolation]
    ) -> Circuit | None:
        """Parse an AQO JSON payload; append problems to ``violations``.

        Returns None when the payload is invalid or in another format.
        """
        if fmt is PayloadFormat.UNSPECIFIED:
            violations.append(FieldViolation("payload.format", "must be set (FORMAT_AQO_JSON)"))
        elif not payload:
            violations.append(FieldViolation("payload.data", "must not be empty"))
        elif fmt is PayloadFormat.AQO_JSON:
            try:
                if len(payload) <= _PARSE_INLINE_BYTES:
                    return parse(payload)
                # a big document takes long to parse: keep the event loop free
                return await self._run(partial(parse, payload))
            except AqoError as exc:
                violations.extend(
                    FieldViolation(f"payload.data.{p}" if p != "$" else "payload.data", d)
                    for p, d in exc.violations
                )
        return None

    async def _run(self, fn: Callable[[], T], *, control: bool = False) -> T:
        ctx = contextvars.copy_context()
        pool = self._control if control else self._executor
        return await asyncio.get_running_loop().run_in_executor(pool, ctx.run, fn)

    async def _call(
        self,
        driver: BaseDriver,
        device_id: str,
        job_id: str,
        fn: Callable[..., T],
        *args: object,
        precheck: Callable[[], None] | None = None,
        track_queue: bool = False,
    ) -> T:
        """Run ``fn(*args)`` in a pool with metrics, error logs and (executions) queue accounting.

        Executions (``track_queue``) use the ``max_workers`` pool, other calls the control pool.

        Queue accounting follows the worker, not the awaiting coroutine: a call whose client went
        away keeps counting until the driver returns, because the thread cannot be interrupted.
        """
        name = driver.name
        t0 = time.perf_counter()
        code = "OK"

        def work() -> T:
            started = time.perf_counter()
            metrics.QUEUE_WAIT.labels(name).observe(started - t0)
            out = fn(*args)
            if track_queue:
                self._record_duration(device_id, time.perf_counter() - started)
            return out

        def done(_: Future[T]) -> None:
            metrics.IN_FLIGHT.labels(name).dec()
            if track_queue:
                with self._lock:
                    self._in_flight[device_id] -= 1

        try:
            if precheck is not None:
                precheck()  # cheap checks fail fast, before taking a worker
            pool = self._executor if track_queue else self._control
            future = pool.submit(contextvars.copy_context().run, work)
            metrics.IN_FLIGHT.labels(name).inc()
            if track_queue:
                with self._lock:
                    self._in_flight[device_id] = self._in_flight.get(device_id, 0) + 1
            future.add_done_callback(done)
            return await asyncio.wrap_future(future)
        except asyncio.CancelledError:
            code = "CANCELLED"
            raise
        except EigenError as exc:
            code = exc.code.name
            metrics.ERRORS.labels(name, exc.reason).inc()
            log.warning(
                "driver call failed",
                driver_name=name,
                device_id=device_id,
                job_id=job_id,
                reason=exc.reason,
                error=exc.message,
            )
            raise
        except Exception:
            code = "INTERNAL"
            metrics.ERRORS.labels(name, "INTERNAL").inc()
            raise
        finally:
            metrics.REQUESTS.labels(name, device_id, code).inc()
            metrics.REQUEST_DURATION.labels(name).observe(time.perf_counter() - t0)

    def _record_duration(self, device_id: str, seconds: float) -> None:
        with self._lock:
            prev = self._avg_sec.get(device_id)
            self._avg_sec[device_id] = (
                seconds if prev is None else prev + _EWMA_ALPHA * (seconds - prev)
            )

    def _queue(self, device_id: str, depth: int, wait: int) -> tuple[int, int]:
        with self._lock:
            mine = self._in_flight.get(device_id, 0)
            est = self._avg_sec.get(device_id, 0.0) * mine / self._max_workers
        return depth + mine, wait + math.ceil(est)

    def _with_queue(self, info: DeviceInfo, depth: int, wait: int) -> DeviceInfo:
        d, w = self._queue(info.device_id, depth, wait)
        return replace(info, queue_depth=d, estimated_wait_sec=w)


def _require_circuit(circuit: Circuit | None, fmt: PayloadFormat) -> Circuit:
    if circuit is None:
        raise UnimplementedError(
            f"payload format {fmt.name} is not supported; send FORMAT_AQO_JSON",
            metadata={"format": fmt.name},
        )
    return circuit


def _capped(field_name: str, found: list[FieldViolation]) -> list[FieldViolation]:
    """The first :data:`_MAX_LISTED` violations, plus one that counts the rest."""
    if len(found) <= _MAX_LISTED:
        return found
    rest = len(found) - _MAX_LISTED
    return [*found[:_MAX_LISTED], FieldViolation(field_name, f"{rest} more problem(s) not listed")]


def _observable_violations(
    observable: Sequence[tuple[str, float]], circuit: Circuit | None
) -> list[FieldViolation]:
    """Check term count, labels (``IXYZ``, one per qubit when the circuit parsed), coefficients."""
    if not 1 <= len(observable) <= MAX_TERMS:
        return [FieldViolation("observable", f"must have 1..{MAX_TERMS} terms")]
    width = circuit.qubits if circuit is not None else None
    found: list[FieldViolation] = []
    for i, (label, coeff) in enumerate(observable):
        if not _PAULI_LABEL.fullmatch(label):
            found.append(FieldViolation(f"observable[{i}].label", "must be non-empty over IXYZ"))
        elif width is not None and len(label) != width:
            found.append(
                FieldViolation(
                    f"observable[{i}].label",
                    f"has {len(label)} characters; the circuit has {width} qubits",
                )
            )
        if not math.isfinite(coeff):
            found.append(FieldViolation(f"observable[{i}].coefficient", "must be finite"))
    return _capped("observable", found)


def _binding_violations(
    bindings: Sequence[Mapping[str, float]], circuit: Circuit | None
) -> list[FieldViolation]:
    """Check binding count, that each binds exactly the circuit's parameters, finite values."""
    if not 1 <= len(bindings) <= MAX_BINDINGS:
        return [FieldViolation("bindings", f"must have 1..{MAX_BINDINGS} entries")]
    params = set(circuit.parameters) if circuit is not None else None
    found: list[FieldViolation] = []
    for i, values in enumerate(bindings):
        if params is not None:
            missing = sorted(params - set(values))
            unknown = sorted(set(values) - params)
            if missing:
                found.append(
                    FieldViolation(f"bindings[{i}].values", f"missing {', '.join(missing)}")
                )
            if unknown:
                found.append(
                    FieldViolation(
                        f"bindings[{i}].values",
                        f"unknown parameter(s) {', '.join(unknown)}; the circuit has "
                        f"{', '.join(sorted(params)) or 'none'}",
                    )
                )
        for name, value in sorted(values.items()):
            if not math.isfinite(value):
                found.append(FieldViolation(f"bindings[{i}].values.{name}", "must be finite"))
    return _capped("bindings", found)


def _check_outcome(driver: BaseDriver, n: int, out: EstimateOutcome) -> None:
    """Enforce the estimate contract; a violation is a driver bug (→ INTERNAL)."""
    ok = (
        len(out.values) == n
        and len(out.std_errors) == n
        and all(math.isfinite(v) for v in out.values)
        and all(math.isfinite(e) and e >= 0 for e in out.std_errors)
    )
    if not ok:
        raise RuntimeError(f"driver {driver.name!r} broke the estimate contract ({n} bindings)")


def _require_device_id(device_id: str) -> None:
    if not device_id:
        raise ValidationError([FieldViolation("device_id", "must not be empty")])


def _check_result(driver: BaseDriver, circuit: Circuit, shots: int, res: ExecutionResult) -> None:
    """Enforce the result contract; a violation is a driver bug (→ INTERNAL)."""
    width = circuit.clbits
    if width == 0:
        ok = not res.counts
    else:
        ok = (
            all(len(k) == width and not k.strip("01") for k in res.counts)
            and all(isinstance(v, int) and v >= 0 for v in res.counts.values())
            and sum(res.counts.values()) == shots
        )
    if not ok:
        raise RuntimeError(
            f"driver {driver.name!r} broke the result contract (width {width}, shots {shots})"
        )
