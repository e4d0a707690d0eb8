""":mod:`eigen_common.devices` ↔ ``eigen.common.v1`` / ``eigen.api.v1`` device messages."""

from __future__ import annotations

from typing import cast

from google.protobuf import timestamp_pb2

from eigen.api.v1 import device_pb2 as api_device_pb2
from eigen.common.v1 import device_pb2
from eigen_common.devices import (
    Calibration,
    Device,
    DeviceStatus,
    GateCalibration,
    QubitCalibration,
)

_TO_PROTO = {s: device_pb2.DeviceStatus.Value(f"DEVICE_STATUS_{s.value}") for s in DeviceStatus}
_FROM_PROTO = {int(v): k for k, v in _TO_PROTO.items()}


def status_to_proto(status: DeviceStatus) -> device_pb2.DeviceStatus:
    """Domain status → ``eigen.common.v1.DeviceStatus`` (same numbers as the public enum)."""
    return cast(device_pb2.DeviceStatus, _TO_PROTO[status])


def status_from_proto(value: int) -> DeviceStatus:
    """Proto enum value (common or public) → domain status; UNSPECIFIED/unknown → ERROR."""
    return _FROM_PROTO.get(int(value), DeviceStatus.ERROR)


def _opt(msg: object, name: str) -> float | None:
    return getattr(msg, name) if msg.HasField(name) else None  # type: ignore[attr-defined]


def calibration_to_proto(cal: Calibration) -> device_pb2.DeviceCalibration:
    """Domain calibration → ``eigen.common.v1.DeviceCalibration``."""
    msg = device_pb2.DeviceCalibration()
    if cal.calibrated_at is not None:
        ts = timestamp_pb2.Timestamp()
        ts.FromNanoseconds(int(cal.calibrated_at * 1e9))
        msg.calibrated_at.CopyFrom(ts)
    for q in cal.qubits:
        qm = msg.qubits.add(qubit=q.qubit)
        for name in ("t1_us", "t2_us", "readout_error", "frequency_ghz"):
            v = getattr(q, name)
            if v is not None:
                setattr(qm, name, v)
    for g in cal.gates:
        gm = msg.gates.add(gate=g.gate, qubits=list(g.qubits))
        if g.error is not None:
            gm.error = g.error
        if g.duration_ns is not None:
            gm.duration_ns = g.duration_ns
    return msg


def calibration_from_proto(msg: device_pb2.DeviceCalibration) -> Calibration:
    """Inverse of :func:`calibration_to_proto`."""
    return Calibration(
        calibrated_at=msg.calibrated_at.ToNanoseconds() / 1e9
        if msg.HasField("calibrated_at")
        else None,
        qubits=tuple(
            QubitCalibration(
                q.qubit,
                _opt(q, "t1_us"),
                _opt(q, "t2_us"),
                _opt(q, "readout_error"),
                _opt(q, "frequency_ghz"),
            )
            for q in msg.qubits
        ),
        gates=tuple(
            GateCalibration(g.gate, tuple(g.qubits), _opt(g, "error"), _opt(g, "duration_ns"))
            for g in msg.gates
        ),
    )


def device_to_proto(d: Device) -> device_pb2.Device:
    """Domain device → ``eigen.common.v1.Device`` (driver-manager → kernel)."""
    msg = device_pb2.Device(
        device_id=d.device_id,
        name=d.name,
        backend_type=d.backend_type,
        status=status_to_proto(d.status),
        queue_depth=d.queue_depth,
        estimated_wait_sec=d.estimated_wait_sec,
        capabilities=dict(d.capabilities),
        driver=d.driver,
        targets=list(d.targets),
        max_qubits=d.max_qubits,
        allowed_options=list(d.allowed_options),
        status_message=d.status_message,
        basis_gates=list(d.basis_gates),
        coupling_map=[device_pb2.CouplingEdge(control=c, target=t) for c, t in d.coupling_map],
        slots=d.slots,
        asynchronous=d.asynchronous,
    )
    if d.calibration is not None:
        msg.calibration.CopyFrom(calibration_to_proto(d.calibration))
    if d.vendor_queue_length is not None:
        msg.vendor_queue_length = d.vendor_queue_length
    return msg


def device_from_proto(msg: device_pb2.Device) -> Device:
    """``eigen.common.v1.Device`` → domain device."""
    return Device(
        device_id=msg.device_id,
        name=msg.name,
        backend_type=msg.backend_type,
        status=status_from_proto(msg.status),
        max_qubits=msg.max_qubits,
        targets=tuple(msg.targets),
        capabilities=dict(msg.capabilities),
        queue_depth=msg.queue_depth,
        estimated_wait_sec=msg.estimated_wait_sec,
        driver=msg.driver,
        allowed_options=tuple(msg.allowed_options),
        status_message=msg.status_message,
        basis_gates=tuple(msg.basis_gates),
        coupling_map=tuple((e.control, e.target) for e in msg.coupling_map),
        calibration=calibration_from_proto(msg.calibration)
        if msg.HasField("calibration")
        else None,
        slots=msg.slots,
        asynchronous=msg.asynchronous,
        vendor_queue_length=(
            msg.vendor_queue_length if msg.HasField("vendor_queue_length") else None
        ),
    )


def device_to_public(d: Device, reserved_slots: int = 0) -> api_device_pb2.Device:
    """Domain device → the public ``eigen.api.v1.Device`` (kernel → system-api → client)."""
    msg = api_device_pb2.Device(
        device_id=d.device_id,
        name=d.name,
        backend_type=d.backend_type,
        status=cast(api_device_pb2.DeviceStatus, int(status_to_proto(d.status))),
        queue_depth=d.queue_depth,
        estimated_wait_sec=d.estimated_wait_sec,
        capabilities=dict(d.capabilities),
        targets=list(d.targets),
        driver=d.driver,
        max_qubits=d.max_qubits,
        status_message=d.status_message,
        basis_gates=list(d.basis_gates),
        coupling_map=[device_pb2.CouplingEdge(control=c, target=t) for c, t in d.coupling_map],
        slots=d.slots,
        reserved_slots=reserved_slots,
    )
    if d.calibration is not None:
        msg.calibration.CopyFrom(calibration_to_proto(d.calibration))
    if d.vendor_queue_length is not None:
        msg.vendor_queue_length = d.vendor_queue_length
    return msg
