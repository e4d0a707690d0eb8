from eigen.compiler.v1 import compiler_pb2 as _compiler_pb2
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

class DeviceInfo(_message.Message):
    __slots__ = ("device_id", "name", "backend_type", "status", "queue_depth", "estimated_wait_sec", "capabilities", "driver", "targets", "max_qubits", "allowed_options")
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
    def __init__(self, device_id: _Optional[str] = ..., name: _Optional[str] = ..., backend_type: _Optional[str] = ..., status: _Optional[_Union[DeviceStatus, str]] = ..., queue_depth: _Optional[int] = ..., estimated_wait_sec: _Optional[int] = ..., capabilities: _Optional[_Mapping[str, str]] = ..., driver: _Optional[str] = ..., targets: _Optional[_Iterable[str]] = ..., max_qubits: _Optional[int] = ..., allowed_options: _Optional[_Iterable[str]] = ...) -> None: ...

class ListDevicesRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ListDevicesResponse(_message.Message):
    __slots__ = ("devices",)
    DEVICES_FIELD_NUMBER: _ClassVar[int]
    devices: _containers.RepeatedCompositeFieldContainer[DeviceInfo]
    def __init__(self, devices: _Optional[_Iterable[_Union[DeviceInfo, _Mapping]]] = ...) -> None: ...

class GetDeviceStatusRequest(_message.Message):
    __slots__ = ("device_id",)
    DEVICE_ID_FIELD_NUMBER: _ClassVar[int]
    device_id: str
    def __init__(self, device_id: _Optional[str] = ...) -> None: ...

class GetDeviceStatusResponse(_message.Message):
    __slots__ = ("device_id", "status", "queue_depth", "estimated_wait_sec", "message")
    DEVICE_ID_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    QUEUE_DEPTH_FIELD_NUMBER: _ClassVar[int]
    ESTIMATED_WAIT_SEC_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    device_id: str
    status: DeviceStatus
    queue_depth: int
    estimated_wait_sec: int
    message: str
    def __init__(self, device_id: _Optional[str] = ..., status: _Optional[_Union[DeviceStatus, str]] = ..., queue_depth: _Optional[int] = ..., estimated_wait_sec: _Optional[int] = ..., message: _Optional[str] = ...) -> None: ...

class ExecuteCircuitRequest(_message.Message):
    __slots__ = ("job_id", "device_id", "payload", "shots", "options", "seed", "parameter_values")
    class OptionsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    class ParameterValuesEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: float
        def __init__(self, key: _Optional[str] = ..., value: _Optional[float] = ...) -> None: ...
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    DEVICE_ID_FIELD_NUMBER: _ClassVar[int]
    PAYLOAD_FIELD_NUMBER: _ClassVar[int]
    SHOTS_FIELD_NUMBER: _ClassVar[int]
    OPTIONS_FIELD_NUMBER: _ClassVar[int]
    SEED_FIELD_NUMBER: _ClassVar[int]
    PARAMETER_VALUES_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    device_id: str
    payload: _compiler_pb2.CircuitPayload
    shots: int
    options: _containers.ScalarMap[str, str]
    seed: int
    parameter_values: _containers.ScalarMap[str, float]
    def __init__(self, job_id: _Optional[str] = ..., device_id: _Optional[str] = ..., payload: _Optional[_Union[_compiler_pb2.CircuitPayload, _Mapping]] = ..., shots: _Optional[int] = ..., options: _Optional[_Mapping[str, str]] = ..., seed: _Optional[int] = ..., parameter_values: _Optional[_Mapping[str, float]] = ...) -> None: ...

class ExecuteCircuitResponse(_message.Message):
    __slots__ = ("counts", "execution_time_sec", "metadata")
    class CountsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: int
        def __init__(self, key: _Optional[str] = ..., value: _Optional[int] = ...) -> None: ...
    class MetadataEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    COUNTS_FIELD_NUMBER: _ClassVar[int]
    EXECUTION_TIME_SEC_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    counts: _containers.ScalarMap[str, int]
    execution_time_sec: float
    metadata: _containers.ScalarMap[str, str]
    def __init__(self, counts: _Optional[_Mapping[str, int]] = ..., execution_time_sec: _Optional[float] = ..., metadata: _Optional[_Mapping[str, str]] = ...) -> None: ...

class CalibrateDeviceRequest(_message.Message):
    __slots__ = ("device_id",)
    DEVICE_ID_FIELD_NUMBER: _ClassVar[int]
    device_id: str
    def __init__(self, device_id: _Optional[str] = ...) -> None: ...

class CalibrateDeviceResponse(_message.Message):
    __slots__ = ("device_id", "status", "calibration")
    class CalibrationEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    DEVICE_ID_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    CALIBRATION_FIELD_NUMBER: _ClassVar[int]
    device_id: str
    status: DeviceStatus
    calibration: _containers.ScalarMap[str, str]
    def __init__(self, device_id: _Optional[str] = ..., status: _Optional[_Union[DeviceStatus, str]] = ..., calibration: _Optional[_Mapping[str, str]] = ...) -> None: ...

class PauliTerm(_message.Message):
    __slots__ = ("label", "coefficient")
    LABEL_FIELD_NUMBER: _ClassVar[int]
    COEFFICIENT_FIELD_NUMBER: _ClassVar[int]
    label: str
    coefficient: float
    def __init__(self, label: _Optional[str] = ..., coefficient: _Optional[float] = ...) -> None: ...

class ParameterBinding(_message.Message):
    __slots__ = ("values",)
    class ValuesEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: float
        def __init__(self, key: _Optional[str] = ..., value: _Optional[float] = ...) -> None: ...
    VALUES_FIELD_NUMBER: _ClassVar[int]
    values: _containers.ScalarMap[str, float]
    def __init__(self, values: _Optional[_Mapping[str, float]] = ...) -> None: ...

class EstimateExpectationValuesRequest(_message.Message):
    __slots__ = ("job_id", "device_id", "payload", "observable", "bindings", "shots", "options", "seed")
    class OptionsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    DEVICE_ID_FIELD_NUMBER: _ClassVar[int]
    PAYLOAD_FIELD_NUMBER: _ClassVar[int]
    OBSERVABLE_FIELD_NUMBER: _ClassVar[int]
    BINDINGS_FIELD_NUMBER: _ClassVar[int]
    SHOTS_FIELD_NUMBER: _ClassVar[int]
    OPTIONS_FIELD_NUMBER: _ClassVar[int]
    SEED_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    device_id: str
    payload: _compiler_pb2.CircuitPayload
    observable: _containers.RepeatedCompositeFieldContainer[PauliTerm]
    bindings: _containers.RepeatedCompositeFieldContainer[ParameterBinding]
    shots: int
    options: _containers.ScalarMap[str, str]
    seed: int
    def __init__(self, job_id: _Optional[str] = ..., device_id: _Optional[str] = ..., payload: _Optional[_Union[_compiler_pb2.CircuitPayload, _Mapping]] = ..., observable: _Optional[_Iterable[_Union[PauliTerm, _Mapping]]] = ..., bindings: _Optional[_Iterable[_Union[ParameterBinding, _Mapping]]] = ..., shots: _Optional[int] = ..., options: _Optional[_Mapping[str, str]] = ..., seed: _Optional[int] = ...) -> None: ...

class ExpectationValue(_message.Message):
    __slots__ = ("value", "std_error")
    VALUE_FIELD_NUMBER: _ClassVar[int]
    STD_ERROR_FIELD_NUMBER: _ClassVar[int]
    value: float
    std_error: float
    def __init__(self, value: _Optional[float] = ..., std_error: _Optional[float] = ...) -> None: ...

class EstimateExpectationValuesResponse(_message.Message):
    __slots__ = ("values", "execution_time_sec", "metadata")
    class MetadataEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    VALUES_FIELD_NUMBER: _ClassVar[int]
    EXECUTION_TIME_SEC_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    values: _containers.RepeatedCompositeFieldContainer[ExpectationValue]
    execution_time_sec: float
    metadata: _containers.ScalarMap[str, str]
    def __init__(self, values: _Optional[_Iterable[_Union[ExpectationValue, _Mapping]]] = ..., execution_time_sec: _Optional[float] = ..., metadata: _Optional[_Mapping[str, str]] = ...) -> None: ...
