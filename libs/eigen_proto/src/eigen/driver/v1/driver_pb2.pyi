from eigen.common.v1 import circuit_pb2 as _circuit_pb2
from eigen.common.v1 import device_pb2 as _device_pb2
from google.rpc import status_pb2 as _status_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ListDevicesRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ListDevicesResponse(_message.Message):
    __slots__ = ("devices",)
    DEVICES_FIELD_NUMBER: _ClassVar[int]
    devices: _containers.RepeatedCompositeFieldContainer[_device_pb2.Device]
    def __init__(self, devices: _Optional[_Iterable[_Union[_device_pb2.Device, _Mapping]]] = ...) -> None: ...

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
    status: _device_pb2.DeviceStatus
    queue_depth: int
    estimated_wait_sec: int
    message: str
    vendor_queue_length: int
    def __init__(self, device_id: _Optional[str] = ..., status: _Optional[_Union[_device_pb2.DeviceStatus, str]] = ..., queue_depth: _Optional[int] = ..., estimated_wait_sec: _Optional[int] = ..., message: _Optional[str] = ..., vendor_queue_length: _Optional[int] = ...) -> None: ...

class ExecuteCircuitRequest(_message.Message):
    __slots__ = ("job_id", "device_id", "payload", "shots", "options", "seed", "parameter_values", "bindings", "save_state")
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
    BINDINGS_FIELD_NUMBER: _ClassVar[int]
    SAVE_STATE_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    device_id: str
    payload: _circuit_pb2.CircuitPayload
    shots: int
    options: _containers.ScalarMap[str, str]
    seed: int
    parameter_values: _containers.ScalarMap[str, float]
    bindings: _containers.RepeatedCompositeFieldContainer[ParameterBinding]
    save_state: str
    def __init__(self, job_id: _Optional[str] = ..., device_id: _Optional[str] = ..., payload: _Optional[_Union[_circuit_pb2.CircuitPayload, _Mapping]] = ..., shots: _Optional[int] = ..., options: _Optional[_Mapping[str, str]] = ..., seed: _Optional[int] = ..., parameter_values: _Optional[_Mapping[str, float]] = ..., bindings: _Optional[_Iterable[_Union[ParameterBinding, _Mapping]]] = ..., save_state: _Optional[str] = ...) -> None: ...

class ExecuteCircuitResponse(_message.Message):
    __slots__ = ("counts", "execution_time_sec", "metadata", "sweep_results", "saved_state")
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
    SWEEP_RESULTS_FIELD_NUMBER: _ClassVar[int]
    SAVED_STATE_FIELD_NUMBER: _ClassVar[int]
    counts: _containers.ScalarMap[str, int]
    execution_time_sec: float
    metadata: _containers.ScalarMap[str, str]
    sweep_results: _containers.RepeatedCompositeFieldContainer[SweepCounts]
    saved_state: bytes
    def __init__(self, counts: _Optional[_Mapping[str, int]] = ..., execution_time_sec: _Optional[float] = ..., metadata: _Optional[_Mapping[str, str]] = ..., sweep_results: _Optional[_Iterable[_Union[SweepCounts, _Mapping]]] = ..., saved_state: _Optional[bytes] = ...) -> None: ...

class SweepCounts(_message.Message):
    __slots__ = ("counts",)
    class CountsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: int
        def __init__(self, key: _Optional[str] = ..., value: _Optional[int] = ...) -> None: ...
    COUNTS_FIELD_NUMBER: _ClassVar[int]
    counts: _containers.ScalarMap[str, int]
    def __init__(self, counts: _Optional[_Mapping[str, int]] = ...) -> None: ...

class ExecuteCircuitBatchRequest(_message.Message):
    __slots__ = ("items",)
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    items: _containers.RepeatedCompositeFieldContainer[ExecuteCircuitRequest]
    def __init__(self, items: _Optional[_Iterable[_Union[ExecuteCircuitRequest, _Mapping]]] = ...) -> None: ...

class ExecuteCircuitBatchResponse(_message.Message):
    __slots__ = ("items",)
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    items: _containers.RepeatedCompositeFieldContainer[ExecuteCircuitBatchItem]
    def __init__(self, items: _Optional[_Iterable[_Union[ExecuteCircuitBatchItem, _Mapping]]] = ...) -> None: ...

class ExecuteCircuitBatchItem(_message.Message):
    __slots__ = ("result", "error")
    RESULT_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    result: ExecuteCircuitResponse
    error: _status_pb2.Status
    def __init__(self, result: _Optional[_Union[ExecuteCircuitResponse, _Mapping]] = ..., error: _Optional[_Union[_status_pb2.Status, _Mapping]] = ...) -> None: ...

class CancelExecutionRequest(_message.Message):
    __slots__ = ("job_id", "device_id", "execution_id")
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    DEVICE_ID_FIELD_NUMBER: _ClassVar[int]
    EXECUTION_ID_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    device_id: str
    execution_id: str
    def __init__(self, job_id: _Optional[str] = ..., device_id: _Optional[str] = ..., execution_id: _Optional[str] = ...) -> None: ...

class CancelExecutionResponse(_message.Message):
    __slots__ = ("cancelled",)
    CANCELLED_FIELD_NUMBER: _ClassVar[int]
    cancelled: bool
    def __init__(self, cancelled: _Optional[bool] = ...) -> None: ...

class StartExecutionRequest(_message.Message):
    __slots__ = ("execution",)
    EXECUTION_FIELD_NUMBER: _ClassVar[int]
    execution: ExecuteCircuitRequest
    def __init__(self, execution: _Optional[_Union[ExecuteCircuitRequest, _Mapping]] = ...) -> None: ...

class StartExecutionResponse(_message.Message):
    __slots__ = ("execution_id", "vendor_job_id")
    EXECUTION_ID_FIELD_NUMBER: _ClassVar[int]
    VENDOR_JOB_ID_FIELD_NUMBER: _ClassVar[int]
    execution_id: str
    vendor_job_id: str
    def __init__(self, execution_id: _Optional[str] = ..., vendor_job_id: _Optional[str] = ...) -> None: ...

class AwaitExecutionRequest(_message.Message):
    __slots__ = ("device_id", "execution_id", "wait_seconds", "job_id")
    DEVICE_ID_FIELD_NUMBER: _ClassVar[int]
    EXECUTION_ID_FIELD_NUMBER: _ClassVar[int]
    WAIT_SECONDS_FIELD_NUMBER: _ClassVar[int]
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    device_id: str
    execution_id: str
    wait_seconds: float
    job_id: str
    def __init__(self, device_id: _Optional[str] = ..., execution_id: _Optional[str] = ..., wait_seconds: _Optional[float] = ..., job_id: _Optional[str] = ...) -> None: ...

class AwaitExecutionResponse(_message.Message):
    __slots__ = ("done", "result", "vendor_status", "vendor_queue_position")
    DONE_FIELD_NUMBER: _ClassVar[int]
    RESULT_FIELD_NUMBER: _ClassVar[int]
    VENDOR_STATUS_FIELD_NUMBER: _ClassVar[int]
    VENDOR_QUEUE_POSITION_FIELD_NUMBER: _ClassVar[int]
    done: bool
    result: ExecuteCircuitResponse
    vendor_status: str
    vendor_queue_position: int
    def __init__(self, done: _Optional[bool] = ..., result: _Optional[_Union[ExecuteCircuitResponse, _Mapping]] = ..., vendor_status: _Optional[str] = ..., vendor_queue_position: _Optional[int] = ...) -> None: ...

class CalibrateDeviceRequest(_message.Message):
    __slots__ = ("device_id",)
    DEVICE_ID_FIELD_NUMBER: _ClassVar[int]
    device_id: str
    def __init__(self, device_id: _Optional[str] = ...) -> None: ...

class CalibrateDeviceResponse(_message.Message):
    __slots__ = ("device_id", "status", "calibration", "details")
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
    DETAILS_FIELD_NUMBER: _ClassVar[int]
    device_id: str
    status: _device_pb2.DeviceStatus
    calibration: _containers.ScalarMap[str, str]
    details: _device_pb2.DeviceCalibration
    def __init__(self, device_id: _Optional[str] = ..., status: _Optional[_Union[_device_pb2.DeviceStatus, str]] = ..., calibration: _Optional[_Mapping[str, str]] = ..., details: _Optional[_Union[_device_pb2.DeviceCalibration, _Mapping]] = ...) -> None: ...

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
    payload: _circuit_pb2.CircuitPayload
    observable: _containers.RepeatedCompositeFieldContainer[_circuit_pb2.PauliTerm]
    bindings: _containers.RepeatedCompositeFieldContainer[ParameterBinding]
    shots: int
    options: _containers.ScalarMap[str, str]
    seed: int
    def __init__(self, job_id: _Optional[str] = ..., device_id: _Optional[str] = ..., payload: _Optional[_Union[_circuit_pb2.CircuitPayload, _Mapping]] = ..., observable: _Optional[_Iterable[_Union[_circuit_pb2.PauliTerm, _Mapping]]] = ..., bindings: _Optional[_Iterable[_Union[ParameterBinding, _Mapping]]] = ..., shots: _Optional[int] = ..., options: _Optional[_Mapping[str, str]] = ..., seed: _Optional[int] = ...) -> None: ...

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

class TranspileCircuitRequest(_message.Message):
    __slots__ = ("device_id", "payload")
    DEVICE_ID_FIELD_NUMBER: _ClassVar[int]
    PAYLOAD_FIELD_NUMBER: _ClassVar[int]
    device_id: str
    payload: _circuit_pb2.CircuitPayload
    def __init__(self, device_id: _Optional[str] = ..., payload: _Optional[_Union[_circuit_pb2.CircuitPayload, _Mapping]] = ...) -> None: ...

class TranspileCircuitResponse(_message.Message):
    __slots__ = ("device_id", "payload", "initial_layout", "final_layout", "depth", "two_qubit_gates", "gate_counts", "active_qubits", "metadata")
    class GateCountsEntry(_message.Message):
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
    DEVICE_ID_FIELD_NUMBER: _ClassVar[int]
    PAYLOAD_FIELD_NUMBER: _ClassVar[int]
    INITIAL_LAYOUT_FIELD_NUMBER: _ClassVar[int]
    FINAL_LAYOUT_FIELD_NUMBER: _ClassVar[int]
    DEPTH_FIELD_NUMBER: _ClassVar[int]
    TWO_QUBIT_GATES_FIELD_NUMBER: _ClassVar[int]
    GATE_COUNTS_FIELD_NUMBER: _ClassVar[int]
    ACTIVE_QUBITS_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    device_id: str
    payload: _circuit_pb2.CircuitPayload
    initial_layout: _containers.RepeatedScalarFieldContainer[int]
    final_layout: _containers.RepeatedScalarFieldContainer[int]
    depth: int
    two_qubit_gates: int
    gate_counts: _containers.ScalarMap[str, int]
    active_qubits: _containers.RepeatedScalarFieldContainer[int]
    metadata: _containers.ScalarMap[str, str]
    def __init__(self, device_id: _Optional[str] = ..., payload: _Optional[_Union[_circuit_pb2.CircuitPayload, _Mapping]] = ..., initial_layout: _Optional[_Iterable[int]] = ..., final_layout: _Optional[_Iterable[int]] = ..., depth: _Optional[int] = ..., two_qubit_gates: _Optional[int] = ..., gate_counts: _Optional[_Mapping[str, int]] = ..., active_qubits: _Optional[_Iterable[int]] = ..., metadata: _Optional[_Mapping[str, str]] = ...) -> None: ...
