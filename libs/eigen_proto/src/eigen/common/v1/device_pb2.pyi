import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class DeviceStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    DEVICE_STATUS_UNSPECIFIED: _ClassVar[DeviceStatus]
    DEVICE_STATUS_ONLINE: _ClassVar[DeviceStatus]
    DEVICE_STATUS_OFFLINE: _ClassVar[DeviceStatus]
    DEVICE_STATUS_CALIBRATING: _ClassVar[DeviceStatus]
    DEVICE_STATUS_MAINTENANCE: _ClassVar[DeviceStatus]
    DEVICE_STATUS_ERROR: _ClassVar[DeviceStatus]
DEVICE_STATUS_UNSPECIFIED: DeviceStatus
DEVICE_STATUS_ONLINE: DeviceStatus
DEVICE_STATUS_OFFLINE: DeviceStatus
DEVICE_STATUS_CALIBRATING: DeviceStatus
DEVICE_STATUS_MAINTENANCE: DeviceStatus
DEVICE_STATUS_ERROR: DeviceStatus

class Device(_message.Message):
    __slots__ = ("device_id", "name", "backend_type", "status", "queue_depth", "estimated_wait_sec", "capabilities", "driver", "targets", "max_qubits", "allowed_options", "status_message", "basis_gates", "coupling_map", "calibration", "slots", "asynchronous", "vendor_queue_length")
    class CapabilitiesEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    DEVICE_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    BACKEND_TYPE_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    QUEUE_DEPTH_FIELD_NUMBER: _ClassVar[int]
    ESTIMATED_WAIT_SEC_FIELD_NUMBER: _ClassVar[int]
    CAPABILITIES_FIELD_NUMBER: _ClassVar[int]
    DRIVER_FIELD_NUMBER: _ClassVar[int]
    TARGETS_FIELD_NUMBER: _ClassVar[int]
    MAX_QUBITS_FIELD_NUMBER: _ClassVar[int]
    ALLOWED_OPTIONS_FIELD_NUMBER: _ClassVar[int]
    STATUS_MESSAGE_FIELD_NUMBER: _ClassVar[int]
    BASIS_GATES_FIELD_NUMBER: _ClassVar[int]
    COUPLING_MAP_FIELD_NUMBER: _ClassVar[int]
    CALIBRATION_FIELD_NUMBER: _ClassVar[int]
    SLOTS_FIELD_NUMBER: _ClassVar[int]
    ASYNCHRONOUS_FIELD_NUMBER: _ClassVar[int]
    VENDOR_QUEUE_LENGTH_FIELD_NUMBER: _ClassVar[int]
    device_id: str
    name: str
    backend_type: str
    status: DeviceStatus
    queue_depth: int
    estimated_wait_sec: int
    capabilities: _containers.ScalarMap[str, str]
    driver: str
    targets: _containers.RepeatedScalarFieldContainer[str]
    max_qubits: int
    allowed_options: _containers.RepeatedScalarFieldContainer[str]
    status_message: str
    basis_gates: _containers.RepeatedScalarFieldContainer[str]
    coupling_map: _containers.RepeatedCompositeFieldContainer[CouplingEdge]
    calibration: DeviceCalibration
    slots: int
    asynchronous: bool
    vendor_queue_length: int
    def __init__(self, device_id: _Optional[str] = ..., name: _Optional[str] = ..., backend_type: _Optional[str] = ..., status: _Optional[_Union[DeviceStatus, str]] = ..., queue_depth: _Optional[int] = ..., estimated_wait_sec: _Optional[int] = ..., capabilities: _Optional[_Mapping[str, str]] = ..., driver: _Optional[str] = ..., targets: _Optional[_Iterable[str]] = ..., max_qubits: _Optional[int] = ..., allowed_options: _Optional[_Iterable[str]] = ..., status_message: _Optional[str] = ..., basis_gates: _Optional[_Iterable[str]] = ..., coupling_map: _Optional[_Iterable[_Union[CouplingEdge, _Mapping]]] = ..., calibration: _Optional[_Union[DeviceCalibration, _Mapping]] = ..., slots: _Optional[int] = ..., asynchronous: _Optional[bool] = ..., vendor_queue_length: _Optional[int] = ...) -> None: ...

class CouplingEdge(_message.Message):
    __slots__ = ("control", "target")
    CONTROL_FIELD_NUMBER: _ClassVar[int]
    TARGET_FIELD_NUMBER: _ClassVar[int]
    control: int
    target: int
    def __init__(self, control: _Optional[int] = ..., target: _Optional[int] = ...) -> None: ...

class DeviceCalibration(_message.Message):
    __slots__ = ("calibrated_at", "qubits", "gates")
    CALIBRATED_AT_FIELD_NUMBER: _ClassVar[int]
    QUBITS_FIELD_NUMBER: _ClassVar[int]
    GATES_FIELD_NUMBER: _ClassVar[int]
    calibrated_at: _timestamp_pb2.Timestamp
    qubits: _containers.RepeatedCompositeFieldContainer[QubitCalibration]
    gates: _containers.RepeatedCompositeFieldContainer[GateCalibration]
    def __init__(self, calibrated_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., qubits: _Optional[_Iterable[_Union[QubitCalibration, _Mapping]]] = ..., gates: _Optional[_Iterable[_Union[GateCalibration, _Mapping]]] = ...) -> None: ...

class QubitCalibration(_message.Message):
    __slots__ = ("qubit", "t1_us", "t2_us", "readout_error", "frequency_ghz")
    QUBIT_FIELD_NUMBER: _ClassVar[int]
    T1_US_FIELD_NUMBER: _ClassVar[int]
    T2_US_FIELD_NUMBER: _ClassVar[int]
    READOUT_ERROR_FIELD_NUMBER: _ClassVar[int]
    FREQUENCY_GHZ_FIELD_NUMBER: _ClassVar[int]
    qubit: int
    t1_us: float
    t2_us: float
    readout_error: float
    frequency_ghz: float
    def __init__(self, qubit: _Optional[int] = ..., t1_us: _Optional[float] = ..., t2_us: _Optional[float] = ..., readout_error: _Optional[float] = ..., frequency_ghz: _Optional[float] = ...) -> None: ...

class GateCalibration(_message.Message):
    __slots__ = ("gate", "qubits", "error", "duration_ns")
    GATE_FIELD_NUMBER: _ClassVar[int]
    QUBITS_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    DURATION_NS_FIELD_NUMBER: _ClassVar[int]
    gate: str
    qubits: _containers.RepeatedScalarFieldContainer[int]
    error: float
    duration_ns: float
    def __init__(self, gate: _Optional[str] = ..., qubits: _Optional[_Iterable[int]] = ..., error: _Optional[float] = ..., duration_ns: _Optional[float] = ...) -> None: ...
