"""IBM Quantum devices through qiskit-ibm-runtime primitives (the IBM driver's cloud side).

:class:`RuntimeDevices` wraps a runtime service — ``QiskitRuntimeService`` (the cloud, an
account configured the SDK's usual way) or the SDK's local testing mode
(``QiskitRuntimeLocalService``, fake backends on Aer) — and serves asynchronous executions:

- ``start``: the AQO circuit (bound) is transpiled to the backend's ``Target`` (an ISA circuit)
  and submitted with ``SamplerV2``; the execution id ``ibm:<backend>:<job id>`` names the vendor
  job, so ``await_`` re-attaches with ``service.job(id)`` after a driver-manager restart;
- ``await_``: polls the job with backoff (0.5 s doubling to 10 s) up to ``wait_seconds``;
  results come back as counts of the circuit's one register ``c`` (clbit 0 rightmost); a job
  the vendor failed is FAILED_PRECONDITION ``VENDOR_JOB_FAILED`` with its reason (not
  retried: a rerun would be billed again);
- ``cancel``: the vendor job's cancel;
- ``transpile``: the ISA circuit ``start`` would submit (same pass manager, same seed), shown
  without submitting anything;
- ``estimate``: ``EstimatorV2`` on the ISA circuit with the observable laid out on it;
  ``shots`` set → ``default_shots`` (the precision follows), unset → the backend's default
  precision (hardware never gives exact values).

Execution modes (``hybrid_mode``): the executions of one Eigen OS job on one backend (the
iterations of a hybrid loop: its estimates and samples) share one qiskit-ibm-runtime
``Batch`` (``batch``, the default: scheduled together; every plan allows it) or ``Session``
(``session``: the QPU stays with the loop between iterations; IBM's Open plan refuses
sessions); ``none`` sends each as a lone job. The job is the one the driver-manager runs the
call for (:func:`eigen_driver_manager.execution.current_job`); a call without one is a lone job. A
mode is closed when its job is cancelled, after :data:`MODE_IDLE_SECONDS` without use, and
at shutdown. IBM Quantum has no reservation API a client can call (reservations are booked
on the platform); a session is the closest the SDK offers.

Vendor errors map to SPEC §13: refused credentials → ``DEVICE_AUTH_FAILED``; a circuit wider
than the backend → ``CIRCUIT_TOO_LARGE``; network failures and 5xx → UNAVAILABLE (retryable).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import qiskit
from qiskit.transpiler import generate_preset_pass_manager

from eigen_common.errors import (
    BackendUnavailableError,
    EigenError,
    FailedPreconditionError,
    InvalidArgumentError,
    NotFoundError,
)
from eigen_common.logs import get_logger
from eigen_driver_manager.base import (
    DeviceInfo,
    DeviceStatus,
    EstimateOutcome,
    ExecutionItem,
    ExecutionProgress,
    ExecutionResult,
    StartedExecution,
    TranspiledCircuit,
    bind_parameters,
    circuit_too_large,
)
from eigen_driver_manager.drivers_file import redact
from eigen_driver_manager.execution import (
    DeviceAuthFailedError,
    ExecutionCancelledError,
    current_job,
)
from eigen_driver_manager.isa import isa_from_qiskit
from eigen_driver_manager.noisy_backend import OPTIMIZATION_LEVEL
from eigen_ir.aqo import Circuit
from eigen_ir.aqo_qiskit import to_qiskit

log = get_logger("eigen.driver_manager.ibm")

#: Poll interval bounds while waiting on a vendor job, in seconds.
POLL_FIRST = 0.5
POLL_MAX = 10.0
#: Execution modes grouping one Eigen OS job's vendor jobs (see the module doc).
HYBRID_MODES = frozenset({"session", "batch", "none"})
#: A session or batch unused this long (s) is closed at the next call.
MODE_IDLE_SECONDS = 300.0
_FINAL_OK = "DONE"
_FINAL_BAD = frozenset({"ERROR", "CANCELLED"})


@dataclass
class _Backend:
    name: str
    backend: Any
    pass_manager: Any


class RuntimeDevices:
    """The runtime backends of one service as asynchronous Eigen OS devices ``ibm.<name>``.

    Args:
        service: a ``QiskitRuntimeService`` or ``QiskitRuntimeLocalService``.
        backends: backend objects to offer (from ``service.backends()``).
        seed_transpiler: seed of the ISA transpilation.
    """

    def __init__(
        self,
        service: Any,
        backends: Sequence[Any],
        seed_transpiler: int = 1234,
        *,
        hybrid_mode: str = "batch",
        poll_first: float = POLL_FIRST,
    ):
        self._service = service
        self._poll_first = poll_first
        self._hybrid_mode = hybrid_mode
        self._modes: dict[tuple[str, str], tuple[Any, float]] = {}
        self._seed = seed_transpiler
        self._backends = {
            f"ibm.{b.name}": _Backend(
                b.name,
                b,
                generate_preset_pass_manager(
                    optimization_level=OPTIMIZATION_LEVEL,
                    backend=b,
                    seed_transpiler=seed_transpiler,
                ),
            )
            for b in backends
        }
        self._jobs: dict[str, Any] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()

    @property
    def device_ids(self) -> list[str]:
        """The offered device ids."""
        return sorted(self._backends)

    def devices(self) -> list[DeviceInfo]:
        """Device entries (asynchronous; status and vendor queue asked afresh)."""
        out = []
        for device_id, b in sorted(self._backends.items()):
            status, message, pending = self.status(device_id)
            target = b.backend.target
            out.append(
                DeviceInfo(
                    device_id=device_id,
                    name=f"IBM Quantum {b.name}",
                    backend_type="ibmq",
                    status=status,
                    max_qubits=int(b.backend.num_qubits),
                    targets=(f"ibm:{b.name}",),
                    capabilities={"vendor": "IBM Quantum", "primitive": "SamplerV2,EstimatorV2"},
                    status_message=message,
                    basis_gates=tuple(
                        sorted(n for n in target.operation_names if n not in ("measure", "delay"))
                    ),
                    coupling_map=tuple(
                        sorted(tuple(e) for e in target.build_coupling_map().get_edges())
                    ),
                    asynchronous=True,
                    vendor_queue_length=pending,
                )
            )
        return out

    def status(self, device_id: str) -> tuple[DeviceStatus, str, int | None]:
        """``(status, message, vendor queue length)`` of one backend (never raises)."""
        b = self._backends[device_id]
        try:
            st = b.backend.status()
        except Exception as exc:
            err = map_error(exc, device_id)
            return DeviceStatus.OFFLINE, err.message, None
        operational = bool(getattr(st, "operational", True))
        pending = getattr(st, "pending_jobs", None)
        message = "" if operational else str(getattr(st, "status_msg", "not operational"))
        return (
            DeviceStatus.ONLINE if operational else DeviceStatus.MAINTENANCE,
            message,
            None if pending is None else int(pending),
        )

    def start(self, item: ExecutionItem) -> StartedExecution:
        """Transpile to the backend's ISA and submit with ``SamplerV2``.

        Raises:
            FailedPreconditionError: ``CIRCUIT_TOO_LARGE``, ``DEVICE_AUTH_FAILED``.
            BackendUnavailableError: the vendor cannot be reached.
        """
        from qiskit_ibm_runtime import SamplerV2

        b = self._backend(item.device_id)
        isa = self._isa(b, item.device_id, item.circuit, item.parameter_values)
        try:
            job = SamplerV2(mode=self._mode(b, item.job_id)).run([isa], shots=item.shots)
            job_id = str(job.job_id())
        except Exception as exc:
            raise map_error(exc, item.device_id) from None
        execution_id = f"ibm:{b.name}:{job_id}"
        with self._lock:
            self._jobs[execution_id] = job
        return StartedExecution(execution_id, job_id)

    def await_(self, device_id: str, execution_id: str, wait_seconds: float) -> ExecutionProgress:
        """Poll the vendor job with backoff for up to ``wait_seconds``.

        Raises:
            NotFoundError: an execution id not of this device / unknown to the vendor.
            ExecutionCancelledError: the job was cancelled.
            BackendUnavailableError: the job failed at the vendor or cannot be asked.
        """
        job = self._job(device_id, execution_id)
        deadline = time.monotonic() + wait_seconds
        delay = self._poll_first
        while True:
            try:
                status = _status_word(job)
            except Exception as exc:
                raise map_error(exc, device_id) from None
            if status == _FINAL_OK or status in _FINAL_BAD:
                break
            left = deadline - time.monotonic()
            if left <= 0:
                return ExecutionProgress(False, vendor_status=status, queue_position=_position(job))
            if self._stop.wait(min(delay, left)):
                return ExecutionProgress(False, vendor_status=status)
            delay = min(delay * 2, POLL_MAX)
        if status == "CANCELLED":
            raise ExecutionCancelledError(f"IBM job {job.job_id()} was cancelled")
        if status == "ERROR":  # the vendor ran it and it failed: a rerun would be billed again
            raise FailedPreconditionError(
                f"IBM job {job.job_id()} failed: {_error_message(job)}",
                reason="VENDOR_JOB_FAILED",
                metadata={"subject": device_id, "vendor_job_id": str(job.job_id())},
            )
        try:
            result = job.result()
        except Exception as exc:
            raise map_error(exc, device_id) from None
        data = result[0].data
        register = next(iter(data.keys()), None)
        counts = {} if register is None else dict(getattr(data, register).get_counts())
        meta = {
            "backend": self._backends[device_id].name,
            "device_id": device_id,
            "vendor_job_id": str(job.job_id()),
            "primitive": "SamplerV2",
        }
        shots = sum(counts.values())
        meta["shots"] = str(shots)
        elapsed = _usage_seconds(job)
        return ExecutionProgress(True, ExecutionResult(counts, elapsed, meta), vendor_status=status)

    def cancel(self, device_id: str, execution_id: str, job_id: str = "") -> bool:
        """Cancel the vendor job and close the Eigen OS job's session or batch.

        Returns:
            True when a vendor job or a mode was found and told to stop.
        """
        closed = self.close_modes(job_id) if job_id else False
        if not execution_id:
            return closed
        try:
            job = self._job(device_id, execution_id)
        except EigenError:
            return closed
        try:
            job.cancel()
        except Exception as exc:
            raise map_error(exc, device_id) from None
        return True

    def estimate(
        self,
        device_id: str,
        circuit: Circuit,
        observable: Sequence[tuple[str, float]],
        bindings: Sequence[Mapping[str, float]],
        shots: int | None,
        seed: int | None,
    ) -> EstimateOutcome:
        """⟨H⟩ per binding with ``EstimatorV2`` (one PUB, the bindings as its parameter array).

        Raises:
            As :meth:`start`.
        """
        import numpy as np
        from qiskit.quantum_info import SparsePauliOp
        from qiskit_ibm_runtime import EstimatorV2

        b = self._backend(device_id)
        if circuit.qubits > b.backend.num_qubits:
            raise circuit_too_large(device_id, f"the backend has {b.backend.num_qubits} qubits")
        isa = b.pass_manager.run(to_qiskit(circuit))
        op = SparsePauliOp.from_list([(label, c) for label, c in observable])
        op = op.apply_layout(isa.layout)
        names = [p.name for p in isa.parameters]
        values = np.array([[float(bd[n]) for n in names] for bd in bindings]) if names else None
        try:
            estimator = EstimatorV2(mode=self._mode(b, current_job()))
        except Exception as exc:
            raise map_error(exc, device_id) from None
        if shots is not None:
            estimator.options.default_shots = shots
        if seed is not None and hasattr(estimator.options, "simulator"):
            estimator.options.simulator.seed_simulator = seed  # honoured in local mode
        t0 = time.perf_counter()
        try:
            pub = (isa, op) if values is None else (isa, op, values)
            result = estimator.run([pub]).result()[0]
        except Exception as exc:
            raise map_error(exc, device_id) from None
        evs = np.broadcast_to(np.asarray(result.data.evs, dtype=float), (len(bindings),))
        stds = np.broadcast_to(np.asarray(result.data.stds, dtype=float), (len(bindings),))
        meta = {"mode": "sampled", "primitive": "EstimatorV2", "device_id": device_id}
        if shots is not None:
            meta["shots"] = str(shots)
        return EstimateOutcome(
            [float(v) for v in evs],
            [abs(float(s)) for s in stds],
            time.perf_counter() - t0,
            meta,
        )

    def close(self) -> None:
        """Stop any wait in progress and close every open session or batch."""
        self._stop.set()
        self.close_modes()

    @property
    def open_modes(self) -> dict[tuple[str, str], Any]:
        """(backend name, Eigen OS job id) → the open ``Session``/``Batch``."""
        with self._lock:
            return {k: m for k, (m, _) in self._modes.items()}

    def close_modes(self, job_id: str | None = None) -> bool:
        """Close the modes of ``job_id`` (None: all); True when one was open."""
        with self._lock:
            keys = [k for k in self._modes if job_id is None or k[1] == job_id]
            modes = [self._modes.pop(k)[0] for k in keys]
        for mode in modes:
            _close_mode(mode)
        return bool(modes)

    def _mode(self, b: _Backend, job_id: str) -> Any:
        """The execution mode of ``job_id`` on ``b``: its Session/Batch, else the backend."""
        if self._hybrid_mode == "none" or not job_id:
            return b.backend
        now = time.monotonic()
        with self._lock:
            stale = [k for k, (_, t) in self._modes.items() if now - t > MODE_IDLE_SECONDS]
            idle = [self._modes.pop(k)[0] for k in stale]
            entry = self._modes.get((b.name, job_id))
        for mode in idle:
            _close_mode(mode)
        if entry is None:
            from qiskit_ibm_runtime import Batch, Session

            kind = Session if self._hybrid_mode == "session" else Batch
            entry = (kind(backend=b.backend), now)
        with self._lock:
            self._modes[(b.name, job_id)] = (entry[0], now)
        return entry[0]

    def _backend(self, device_id: str) -> _Backend:
        b = self._backends.get(device_id)
        if b is None:
            raise NotFoundError(f"no IBM device {device_id!r}", metadata={"device_id": device_id})
        return b

    def _isa(
        self, b: _Backend, device_id: str, circuit: Circuit, values: Mapping[str, float]
    ) -> Any:
        bound = self._bound(b, device_id, circuit, values)
        if bound.clbits == 0:
            raise InvalidArgumentError(
                "the circuit measures nothing; a QPU job needs at least one classical bit",
                reason="NOTHING_MEASURED",
            )
        return b.pass_manager.run(to_qiskit(bound))

    def _bound(
        self, b: _Backend, device_id: str, circuit: Circuit, values: Mapping[str, float]
    ) -> Circuit:
        if circuit.qubits > b.backend.num_qubits:
            raise circuit_too_large(
                device_id, f"it uses {circuit.qubits} qubits; {b.name} has {b.backend.num_qubits}"
            )
        return bind_parameters(circuit, values)

    def transpile(self, device_id: str, circuit: Circuit) -> TranspiledCircuit:
        """``circuit`` transpiled to the backend's ISA by the pass manager ``start`` uses.

        Nothing is sent to the vendor.

        Raises:
            NotFoundError: not one of these devices.
            FailedPreconditionError: ``CIRCUIT_TOO_LARGE``.
            InvalidArgumentError: ``UNBOUND_PARAMETERS``.
            UnimplementedError: ``ISA_NOT_EXPRESSIBLE``.
        """
        b = self._backend(device_id)
        t0 = time.perf_counter()
        isa = b.pass_manager.run(to_qiskit(self._bound(b, device_id, circuit, {})))
        meta = {
            "transpiler": f"qiskit {qiskit.__version__} preset pass manager ({b.name}'s Target)",
            "optimization_level": str(OPTIMIZATION_LEVEL),
            "seed_transpiler": str(self._seed),
            "transpile_time_sec": f"{time.perf_counter() - t0:.6f}",
        }
        return isa_from_qiskit(isa, circuit.qubits, device_id, meta)

    def _job(self, device_id: str, execution_id: str) -> Any:
        prefix, _, rest = execution_id.partition(":")
        name, _, job_id = rest.partition(":")
        b = self._backends.get(device_id)
        if prefix != "ibm" or b is None or name != b.name or not job_id:
            raise NotFoundError(f"no IBM execution {execution_id!r} on {device_id!r}")
        with self._lock:
            job = self._jobs.get(execution_id)
        if job is not None:
            return job
        if not hasattr(self._service, "job"):  # local testing mode keeps jobs in-process only
            raise NotFoundError(f"IBM job {job_id} is not known to this driver-manager")
        try:
            job = self._service.job(job_id)  # re-attach (e.g. after a restart): no resubmission
        except Exception as exc:
            raise map_error(exc, device_id) from None
        with self._lock:
            self._jobs[execution_id] = job
        return job


def _close_mode(mode: Any) -> None:
    """Close a Session/Batch; a vendor error is logged, never raised (the vendor expires it)."""
    try:
        mode.close()
    except Exception as exc:
        log.warning("closing an IBM Quantum session failed", error=map_error(exc, "").message)


def _error_message(job: Any) -> str:
    try:
        return redact(" ".join(str(job.error_message() or "no reason given").split())[:300])
    except Exception:
        return "no reason given"


def _status_word(job: Any) -> str:
    st = job.status()
    return str(getattr(st, "name", st)).upper()


def _position(job: Any) -> int | None:
    try:
        metrics = job.metrics() or {}
    except Exception:
        return None
    pos = metrics.get("position_in_queue")
    return int(pos) if isinstance(pos, int) else None


def _usage_seconds(job: Any) -> float:
    try:
        return float(job.usage() or 0.0)
    except Exception:
        return 0.0


#: qiskit-ibm-runtime exceptions that mean the vendor refused the credentials.
_AUTH_ERRORS = frozenset({"IBMNotAuthorizedError", "InvalidAccountError"})


def _http_status(exc: BaseException | None) -> int | None:
    """The HTTP status of ``exc`` or of an exception it was raised from."""
    while exc is not None:
        status = getattr(exc, "status_code", None)
        if status is None:
            status = getattr(getattr(exc, "response", None), "status_code", None)
        if isinstance(status, int):
            return status
        exc = exc.__cause__ or exc.__context__
    return None


def map_error(exc: Exception, device_id: str) -> EigenError:
    """A qiskit-ibm-runtime / HTTP failure as the seed's statuses (SPEC §13), credentials-free.

    Refused credentials (HTTP 401/403, the SDK's ``IBMNotAuthorizedError`` or
    ``InvalidAccountError``) → ``DEVICE_AUTH_FAILED``; a circuit wider than the backend →
    ``CIRCUIT_TOO_LARGE``; anything else (5xx after the SDK's retries, network) → UNAVAILABLE.
    """
    if isinstance(exc, EigenError):
        return exc
    text = redact(" ".join(str(exc).split())[:300])
    low = text.lower()
    status = _http_status(exc)
    if (
        status in (401, 403)
        or type(exc).__name__ in _AUTH_ERRORS
        or "unauthorized" in low
        or "invalid token" in low
    ):
        return DeviceAuthFailedError(
            f"IBM Quantum refused the credentials for {device_id!r} (check the saved account)",
            metadata={"subject": device_id},
        )
    if "too many qubits" in low or "more qubits" in low or ("exceeds" in low and "qubit" in low):
        return circuit_too_large(device_id, text)
    return BackendUnavailableError(f"IBM Quantum is unavailable for {device_id!r}: {text}")
