"""The one device model (SPEC §7, §13).

What a driver offers, the kernel schedules on and a client sees. Plain data, free of gRPC and
generated code; :mod:`eigen_common.device_proto` converts it to and from
``eigen.common.v1.Device`` and the public ``eigen.api.v1.Device``.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field


class DeviceStatus(enum.StrEnum):
    """Availability of a device (seed 001 ``DeviceStatus``)."""

    ONLINE = "ONLINE"
    OFFLINE = "OFFLINE"
    CALIBRATING = "CALIBRATING"
    MAINTENANCE = "MAINTENANCE"
    ERROR = "ERROR"


@dataclass(frozen=True)
class QubitCalibration:
    """One qubit's calibration; ``None`` = unknown.

    ``t1_us``/``t2_us`` in microseconds, ``readout_error`` a probability 0..1,
    ``frequency_ghz`` in GHz.
    """

    qubit: int
    t1_us: float | None = None
    t2_us: float | None = None
    readout_error: float | None = None
    frequency_ghz: float | None = None


@dataclass(frozen=True)
class GateCalibration:
    """One gate on specific qubits: ``error`` a probability 0..1, ``duration_ns`` in ns."""

    gate: str
    qubits: tuple[int, ...]
    error: float | None = None
    duration_ns: float | None = None


@dataclass(frozen=True)
class Calibration:
    """A device's calibration as the vendor reports it; ``calibrated_at`` in Unix seconds."""

    calibrated_at: float | None = None
    qubits: tuple[QubitCalibration, ...] = ()
    gates: tuple[GateCalibration, ...] = ()


@dataclass(frozen=True)
class Device:
    """A device (seed 001 ``DeviceInfo``).

    Attributes:
        device_id: unique across all drivers, conventionally ``<driver>.<name>``
            (e.g. ``aer.statevector``, ``ibm.fake_brisbane``).
        name: display name.
        backend_type: ``simulator``, ``ibmq``, ``braket``, ...
        status: availability at the time of the call.
        max_qubits: widest circuit the device runs, in qubits.
        targets: target aliases that resolve to this device (e.g. ``sim:local``); unique across
            all drivers.
        capabilities: free-form string facts (``method``, ``noise``, ...).
        queue_depth: executions waiting or running (in the driver, or in the kernel's view:
            jobs queued or running on it).
        estimated_wait_sec: wait estimate for a new execution, in seconds.
        driver: name of the providing driver (stamped by the driver registry).
        allowed_options: execution option names the device accepts (stamped by the registry).
        status_message: why it is not ONLINE ('' when it is); never holds credentials.
        basis_gates: native gate names (Qiskit names, lower case); empty = any AQO gate.
        coupling_map: directed ``(control, target)`` couplings; empty = all-to-all.
        calibration: the latest calibration, or None (ideal simulators).
        slots: concurrent executions the device accepts; 0 = the kernel's default.
        asynchronous: executions are vendor jobs (start, then await; re-attachable).
        vendor_queue_length: jobs waiting at the vendor, where the vendor reports it.
    """

    device_id: str
    name: str
    backend_type: str
    status: DeviceStatus
    max_qubits: int
    targets: tuple[str, ...] = ()
    capabilities: Mapping[str, str] = field(default_factory=dict)
    queue_depth: int = 0
    estimated_wait_sec: int = 0
    driver: str = ""
    allowed_options: tuple[str, ...] = ()
    status_message: str = ""
    basis_gates: tuple[str, ...] = ()
    coupling_map: tuple[tuple[int, int], ...] = ()
    calibration: Calibration | None = None
    slots: int = 0
    asynchronous: bool = False
    vendor_queue_length: int | None = None

    def answers_to(self, name: str) -> bool:
        """True when ``name`` is this device's id or one of its target aliases."""
        return name == self.device_id or name in self.targets
