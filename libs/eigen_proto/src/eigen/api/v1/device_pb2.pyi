import datetime

from eigen.common.v1 import device_pb2 as _device_pb2
from google.api import annotations_pb2 as _annotations_pb2
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

class ReservationState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    RESERVATION_STATE_UNSPECIFIED: _ClassVar[ReservationState]
    RESERVATION_STATE_ACTIVE: _ClassVar[ReservationState]
    RESERVATION_STATE_EXPIRED: _ClassVar[ReservationState]
    RESERVATION_STATE_CANCELLED: _ClassVar[ReservationState]
DEVICE_STATUS_UNSPECIFIED: DeviceStatus
DEVICE_STATUS_ONLINE: DeviceStatus
DEVICE_STATUS_OFFLINE: DeviceStatus
DEVICE_STATUS_CALIBRATING: DeviceStatus
DEVICE_STATUS_MAINTENANCE: DeviceStatus
DEVICE_STATUS_ERROR: DeviceStatus
RESERVATION_STATE_UNSPECIFIED: ReservationState
RESERVATION_STATE_ACTIVE: ReservationState
RESERVATION_STATE_EXPIRED: ReservationState
RESERVATION_STATE_CANCELLED: ReservationState

class Device(_message.Message):
    __slots__ = ("device_id", "name", "backend_type", "status", "queue_depth", "estimated_wait_sec", "capabilities", "targets", "driver", "max_qubits", "status_message", "basis_gates", "coupling_map", "calibration", "vendor_queue_length", "slots", "reserved_slots")
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
    TARGETS_FIELD_NUMBER: _ClassVar[int]
    DRIVER_FIELD_NUMBER: _ClassVar[int]
    MAX_QUBITS_FIELD_NUMBER: _ClassVar[int]
    STATUS_MESSAGE_FIELD_NUMBER: _ClassVar[int]
    BASIS_GATES_FIELD_NUMBER: _ClassVar[int]
    COUPLING_MAP_FIELD_NUMBER: _ClassVar[int]
    CALIBRATION_FIELD_NUMBER: _ClassVar[int]
    VENDOR_QUEUE_LENGTH_FIELD_NUMBER: _ClassVar[int]
    SLOTS_FIELD_NUMBER: _ClassVar[int]
    RESERVED_SLOTS_FIELD_NUMBER: _ClassVar[int]
    device_id: str
    name: str
    backend_type: str
    status: DeviceStatus
    queue_depth: int
    estimated_wait_sec: int
    capabilities: _containers.ScalarMap[str, str]
    targets: _containers.RepeatedScalarFieldContainer[str]
    driver: str
    max_qubits: int
    status_message: str
    basis_gates: _containers.RepeatedScalarFieldContainer[str]
    coupling_map: _containers.RepeatedCompositeFieldContainer[_device_pb2.CouplingEdge]
    calibration: _device_pb2.DeviceCalibration
    vendor_queue_length: int
    slots: int
    reserved_slots: int
    def __init__(self, device_id: _Optional[str] = ..., name: _Optional[str] = ..., backend_type: _Optional[str] = ..., status: _Optional[_Union[DeviceStatus, str]] = ..., queue_depth: _Optional[int] = ..., estimated_wait_sec: _Optional[int] = ..., capabilities: _Optional[_Mapping[str, str]] = ..., targets: _Optional[_Iterable[str]] = ..., driver: _Optional[str] = ..., max_qubits: _Optional[int] = ..., status_message: _Optional[str] = ..., basis_gates: _Optional[_Iterable[str]] = ..., coupling_map: _Optional[_Iterable[_Union[_device_pb2.CouplingEdge, _Mapping]]] = ..., calibration: _Optional[_Union[_device_pb2.DeviceCalibration, _Mapping]] = ..., vendor_queue_length: _Optional[int] = ..., slots: _Optional[int] = ..., reserved_slots: _Optional[int] = ...) -> None: ...

class ListDevicesRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ListDevicesResponse(_message.Message):
    __slots__ = ("devices",)
    DEVICES_FIELD_NUMBER: _ClassVar[int]
    devices: _containers.RepeatedCompositeFieldContainer[Device]
    def __init__(self, devices: _Optional[_Iterable[_Union[Device, _Mapping]]] = ...) -> None: ...

class GetDeviceDetailsRequest(_message.Message):
    __slots__ = ("device_id",)
    DEVICE_ID_FIELD_NUMBER: _ClassVar[int]
    device_id: str
    def __init__(self, device_id: _Optional[str] = ...) -> None: ...

class GetDeviceDetailsResponse(_message.Message):
    __slots__ = ("device",)
    DEVICE_FIELD_NUMBER: _ClassVar[int]
    device: Device
    def __init__(self, device: _Optional[_Union[Device, _Mapping]] = ...) -> None: ...

class GetDeviceStatusRequest(_message.Message):
    __slots__ = ("device_id",)
    DEVICE_ID_FIELD_NUMBER: _ClassVar[int]
    device_id: str
    def __init__(self, device_id: _Optional[str] = ...) -> None: ...

class GetDeviceStatusResponse(_message.Message):
    __slots__ = ("device_id", "status", "queue_depth", "estimated_wait_sec", "message", "vendor_queue_length")
    DEVICE_ID_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    QUEUE_DEPTH_FIELD_NUMBER: _ClassVar[int]
    ESTIMATED_WAIT_SEC_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    VENDOR_QUEUE_LENGTH_FIELD_NUMBER: _ClassVar[int]
    device_id: str
    status: DeviceStatus
    queue_depth: int
    estimated_wait_sec: int
    message: str
    vendor_queue_length: int
    def __init__(self, device_id: _Optional[str] = ..., status: _Optional[_Union[DeviceStatus, str]] = ..., queue_depth: _Optional[int] = ..., estimated_wait_sec: _Optional[int] = ..., message: _Optional[str] = ..., vendor_queue_length: _Optional[int] = ...) -> None: ...

class ReserveDeviceRequest(_message.Message):
    __slots__ = ("device_id", "ttl_seconds", "purpose")
    DEVICE_ID_FIELD_NUMBER: _ClassVar[int]
    TTL_SECONDS_FIELD_NUMBER: _ClassVar[int]
    PURPOSE_FIELD_NUMBER: _ClassVar[int]
    device_id: str
    ttl_seconds: int
    purpose: str
    def __init__(self, device_id: _Optional[str] = ..., ttl_seconds: _Optional[int] = ..., purpose: _Optional[str] = ...) -> None: ...

class ReserveDeviceResponse(_message.Message):
    __slots__ = ("reservation_id", "expires_at", "device_id", "starts_at", "reservation")
    RESERVATION_ID_FIELD_NUMBER: _ClassVar[int]
    EXPIRES_AT_FIELD_NUMBER: _ClassVar[int]
    DEVICE_ID_FIELD_NUMBER: _ClassVar[int]
    STARTS_AT_FIELD_NUMBER: _ClassVar[int]
    RESERVATION_FIELD_NUMBER: _ClassVar[int]
    reservation_id: str
    expires_at: _timestamp_pb2.Timestamp
    device_id: str
    starts_at: _timestamp_pb2.Timestamp
    reservation: Reservation
    def __init__(self, reservation_id: _Optional[str] = ..., expires_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., device_id: _Optional[str] = ..., starts_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., reservation: _Optional[_Union[Reservation, _Mapping]] = ...) -> None: ...

class Reservation(_message.Message):
    __slots__ = ("reservation_id", "device_id", "purpose", "state", "created_at", "starts_at", "expires_at", "active_jobs")
    RESERVATION_ID_FIELD_NUMBER: _ClassVar[int]
    DEVICE_ID_FIELD_NUMBER: _ClassVar[int]
    PURPOSE_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    STARTS_AT_FIELD_NUMBER: _ClassVar[int]
    EXPIRES_AT_FIELD_NUMBER: _ClassVar[int]
    ACTIVE_JOBS_FIELD_NUMBER: _ClassVar[int]
    reservation_id: str
    device_id: str
    purpose: str
    state: ReservationState
    created_at: _timestamp_pb2.Timestamp
    starts_at: _timestamp_pb2.Timestamp
    expires_at: _timestamp_pb2.Timestamp
    active_jobs: int
    def __init__(self, reservation_id: _Optional[str] = ..., device_id: _Optional[str] = ..., purpose: _Optional[str] = ..., state: _Optional[_Union[ReservationState, str]] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., starts_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., expires_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., active_jobs: _Optional[int] = ...) -> None: ...

class ListReservationsRequest(_message.Message):
    __slots__ = ("include_ended",)
    INCLUDE_ENDED_FIELD_NUMBER: _ClassVar[int]
    include_ended: bool
    def __init__(self, include_ended: _Optional[bool] = ...) -> None: ...

class ListReservationsResponse(_message.Message):
    __slots__ = ("reservations",)
    RESERVATIONS_FIELD_NUMBER: _ClassVar[int]
    reservations: _containers.RepeatedCompositeFieldContainer[Reservation]
    def __init__(self, reservations: _Optional[_Iterable[_Union[Reservation, _Mapping]]] = ...) -> None: ...

class CancelReservationRequest(_message.Message):
    __slots__ = ("reservation_id",)
    RESERVATION_ID_FIELD_NUMBER: _ClassVar[int]
    reservation_id: str
    def __init__(self, reservation_id: _Optional[str] = ...) -> None: ...

class CancelReservationResponse(_message.Message):
    __slots__ = ("reservation",)
    RESERVATION_FIELD_NUMBER: _ClassVar[int]
    reservation: Reservation
    def __init__(self, reservation: _Optional[_Union[Reservation, _Mapping]] = ...) -> None: ...
