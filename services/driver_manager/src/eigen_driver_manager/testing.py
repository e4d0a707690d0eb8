"""Test doubles and helpers shipped with the driver-manager.

:class:`FakeDriver` is a deterministic :class:`~eigen_driver_manager.base.BaseDriver` for tests of
the registry, the manager and callers such as the kernel. It is **not** a simulator: it ignores
the circuit's gates and reports every shot as the all-zeros bitstring. It is never registered by
default (it is not in ``plugins/`` and declares no entry point); pass it explicitly, e.g.
``build(settings, extra_drivers=[FakeDriver])``, or subclass it in a test plugin file.

:func:`aqo_document` / :func:`aqo_circuit` build small AQO circuits for tests.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from eigen_common.errors import (
    BackendUnavailableError,
    DeviceNotFoundError,
    DeviceOfflineError,
    NotFoundError,
    UnimplementedError,
)
from eigen_driver_manager.base import (
    BaseDriver,
    CalibrationResult,
    DeviceInfo,
    DeviceStatus,
    DeviceStatusReport,
    ExecutionItem,
    ExecutionProgress,
    ExecutionResult,
    StartedExecution,
    bind_parameters,
    check_width,
)
from eigen_driver_manager.execution import ExecutionCancelledError
from eigen_driver_manager.options import OptionSpec, boolean
from eigen_ir.aqo import AQO_VERSION, Circuit, parse

#: A Bell-pair circuit's operations (2 qubits, 2 clbits).
BELL_OPERATIONS: tuple[dict[str, Any], ...] = (
    {"op": "H", "q": [0]},
    {"op": "CX", "q": [0, 1]},
    {"op": "MEASURE", "q": [0, 1], "c": [0, 1]},
)


def aqo_document(
    qubits: int,
    clbits: int,
    operations: Sequence[Mapping[str, Any]],
    parameters: Sequence[str] = (),
) -> dict[str, Any]:
    """Return an AQO v0.1 JSON object (not validated)."""
    return {
        "version": AQO_VERSION,
        "qubits": qubits,
        "clbits": clbits,
        "parameters": sorted(parameters),
        "operations": [dict(o) for o in operations],
    }


def aqo_circuit(
    qubits: int,
    clbits: int,
    operations: Sequence[Mapping[str, Any]],
    parameters: Sequence[str] = (),
) -> Circuit:
    """Return a validated :class:`Circuit` (raises ``AqoError`` when invalid)."""
    return parse(aqo_document(qubits, clbits, operations, parameters))


_CONFIG_KEYS = frozenset({"devices", "offline", "unavailable", "max_qubits", "asynchronous"})


@dataclass(frozen=True)
class FakeCall:
    """One recorded :meth:`FakeDriver.execute_circuit` call."""

    device_id: str
    circuit: Circuit
    shots: int
    options: Mapping[str, str]
    seed: int | None


class FakeDriver(BaseDriver):
    """Deterministic test double: every shot measures all zeros.

    Expectation values use :meth:`BaseDriver.estimate_expectation_values` unchanged (the
    default every sampling driver gets): exact values (``shots`` None) fail with
    FAILED_PRECONDITION, sampled ones run one :meth:`execute_circuit` per binding and
    measurement group (recorded in :attr:`calls`). As every shot is all zeros, each term counts
    as ``+coefficient``: the estimate is the sum of the coefficients with standard error 0.

    Config keys (strings, all optional):
        ``devices``: comma-separated device ids (default ``fake.device``);
        ``offline``: comma-separated ids reported OFFLINE (execution → DeviceOfflineError);
        ``unavailable``: ``true`` makes every execution raise BackendUnavailableError;
        ``max_qubits``: width of every device (default 32);
        ``asynchronous``: comma-separated ids that are asynchronous devices (StartExecution /
        AwaitExecution). Their execution id ``fake:<device>:<clbits>:<shots>:<job>`` holds all
        the result needs, so a new FakeDriver (a restarted driver-manager) re-attaches to it;
        an execution is done once :attr:`hold` is unset or set, cancelled ones end CANCELLED.

    Option allowlist: ``verbose`` (true|false), accepted and ignored.

    Attributes:
        calls: every successful execution, in order.
        started: set when an execution passes its checks (before ``hold``).
        hold: when set to an unset :class:`threading.Event`, executions block until it is set
            (lets tests observe queue depth and in-flight work).
    """

    name: ClassVar[str] = "fake"
    allowed_options: ClassVar[Mapping[str, OptionSpec]] = {
        "verbose": boolean("accepted and ignored (allowlist tests)")
    }

    def __init__(self) -> None:
        self._devices: dict[str, DeviceInfo] = {}
        self._unavailable = False
        self._lock = threading.Lock()
        self.calls: list[FakeCall] = []
        self.started = threading.Event()
        self.hold: threading.Event | None = None
        self._cancelled: set[str] = set()

    def initialize(self, config: Mapping[str, str]) -> None:
        """Create the configured fake devices.

        Raises:
            ValueError: unknown config key or bad ``max_qubits``.
        """
        unknown = sorted(set(config) - _CONFIG_KEYS)
        if unknown:
            raise ValueError(f"unknown fake config key(s) {unknown}")
        ids = [d.strip() for d in config.get("devices", "fake.device").split(",") if d.strip()]
        offline = {d.strip() for d in config.get("offline", "").split(",") if d.strip()}
        asynchronous = {d.strip() for d in config.get("asynchronous", "").split(",") if d.strip()}
        max_qubits = int(config.get("max_qubits", "32"))
        if max_qubits < 1:
            raise ValueError("fake config max_qubits must be >= 1")
        self._unavailable = config.get("unavailable", "false").lower() == "true"
        self._devices = {
            d: DeviceInfo(
                device_id=d,
                name=f"Fake device {d}",
                backend_type="fake",
                status=DeviceStatus.OFFLINE if d in offline else DeviceStatus.ONLINE,
                max_qubits=max_qubits,
                targets=(f"fake:{d}",),
                capabilities={"noise": "none", "note": "test double: all-zeros counts"},
                asynchronous=d in asynchronous,
            )
            for d in ids
        }

    def get_devices(self) -> list[DeviceInfo]:
        """Return the configured devices."""
        return list(self._devices.values())

    def get_device_status(self, device_id: str) -> DeviceStatusReport:
        """Return the configured status.

        Raises:
            DeviceNotFoundError: unknown ``device_id``.
        """
        info = self._info(device_id)
        return DeviceStatusReport(device_id, info.status, message="fake device")

    def calibrate_device(self, device_id: str) -> CalibrationResult:
        """Return a fixed calibration record.

        Raises:
            DeviceNotFoundError: unknown ``device_id``.
        """
        info = self._info(device_id)
        return CalibrationResult(device_id, info.status, {"fake": "true"})

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
        """Return ``{"0" * circuit.clbits: shots}`` (``{}`` without clbits), after the checks.

        Raises:
            DeviceNotFoundError, DeviceOfflineError, InvalidOptionError, InvalidArgumentError,
            BackendUnavailableError: as in :meth:`BaseDriver.execute_circuit`.
        """
        info = self._info(device_id)
        if info.status is not DeviceStatus.ONLINE:
            raise DeviceOfflineError(
                f"device {device_id!r} is {info.status.value}", metadata={"subject": device_id}
            )
        self.parse_options(device_id, options)
        check_width(circuit, info)
        bind_parameters(circuit, parameter_values)
        if self._unavailable:
            raise BackendUnavailableError("fake backend is configured as unavailable")
        self.started.set()
        if self.hold is not None:
            self.hold.wait(timeout=30)
        with self._lock:
            self.calls.append(FakeCall(device_id, circuit, shots, dict(options), seed))
        counts = {"0" * circuit.clbits: shots} if circuit.clbits else {}
        return ExecutionResult(counts, 0.0, {"backend": "fake", "device_id": device_id})

    def start_execution(self, item: ExecutionItem) -> StartedExecution:
        """Check ``item`` like :meth:`execute_circuit`; return a self-describing execution id.

        Raises:
            UnimplementedError: the device is not asynchronous.
        """
        info = self._info(item.device_id)
        if not info.asynchronous:
            raise UnimplementedError(f"fake device {item.device_id!r} is not asynchronous")
        if info.status is not DeviceStatus.ONLINE:
            raise DeviceOfflineError(f"device {item.device_id!r} is {info.status.value}")
        self.parse_options(item.device_id, item.options)
        check_width(item.circuit, info)
        bind_parameters(item.circuit, item.parameter_values)
        if self._unavailable:
            raise BackendUnavailableError("fake backend is configured as unavailable")
        vendor = f"fakejob-{item.job_id or 'anonymous'}"
        eid = f"fake:{item.device_id}:{item.circuit.clbits}:{item.shots}:{vendor}"
        return StartedExecution(eid, vendor)

    def await_execution(
        self, device_id: str, execution_id: str, wait_seconds: float
    ) -> ExecutionProgress:
        """Done (all-zeros counts) unless :attr:`hold` is an unset event (then RUNNING).

        Raises:
            NotFoundError: an execution id this driver did not make.
            ExecutionCancelledError: the execution was cancelled.
        """
        self._info(device_id)
        parts = execution_id.split(":", 4)
        if len(parts) != 5 or parts[0] != "fake" or parts[1] != device_id:
            raise NotFoundError(f"no fake execution {execution_id!r}")
        with self._lock:
            if execution_id in self._cancelled:
                raise ExecutionCancelledError(f"execution {execution_id!r} was cancelled")
        if self.hold is not None and not self.hold.wait(timeout=wait_seconds):
            return ExecutionProgress(False, vendor_status="RUNNING", queue_position=0)
        clbits, shots = int(parts[2]), int(parts[3])
        counts = {"0" * clbits: shots} if clbits else {}
        meta = {"backend": "fake", "device_id": device_id, "vendor_job_id": parts[4]}
        return ExecutionProgress(True, ExecutionResult(counts, 0.0, meta), vendor_status="DONE")

    def cancel_execution(self, device_id: str, job_id: str, execution_id: str) -> bool:
        """Mark an asynchronous execution cancelled (True when the id is one of ours)."""
        if not execution_id.startswith(f"fake:{device_id}:"):
            return False
        with self._lock:
            self._cancelled.add(execution_id)
        return True

    def _info(self, device_id: str) -> DeviceInfo:
        info = self._devices.get(device_id)
        if info is None:
            raise DeviceNotFoundError(f"no fake device {device_id!r}")
        return info
