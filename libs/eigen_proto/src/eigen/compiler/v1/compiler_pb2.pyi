from eigen.api.v1 import common_pb2 as _common_pb2
from eigen.api.v1 import compilation_pb2 as _compilation_pb2
from eigen.common.v1 import circuit_pb2 as _circuit_pb2
from eigen.common.v1 import device_pb2 as _device_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class CompileCircuitRequest(_message.Message):
    __slots__ = ("eigen_lang", "qasm", "aqo", "target", "options", "job_id", "inputs", "device")
    class OptionsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    class InputsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: float
        def __init__(self, key: _Optional[str] = ..., value: _Optional[float] = ...) -> None: ...
    EIGEN_LANG_FIELD_NUMBER: _ClassVar[int]
    QASM_FIELD_NUMBER: _ClassVar[int]
    AQO_FIELD_NUMBER: _ClassVar[int]
    TARGET_FIELD_NUMBER: _ClassVar[int]
    OPTIONS_FIELD_NUMBER: _ClassVar[int]
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    INPUTS_FIELD_NUMBER: _ClassVar[int]
    DEVICE_FIELD_NUMBER: _ClassVar[int]
    eigen_lang: _common_pb2.EigenLangSource
    qasm: _common_pb2.QasmSource
    aqo: _circuit_pb2.CircuitPayload
    target: str
    options: _containers.ScalarMap[str, str]
    job_id: str
    inputs: _containers.ScalarMap[str, float]
    device: _device_pb2.Device
    def __init__(self, eigen_lang: _Optional[_Union[_common_pb2.EigenLangSource, _Mapping]] = ..., qasm: _Optional[_Union[_common_pb2.QasmSource, _Mapping]] = ..., aqo: _Optional[_Union[_circuit_pb2.CircuitPayload, _Mapping]] = ..., target: _Optional[str] = ..., options: _Optional[_Mapping[str, str]] = ..., job_id: _Optional[str] = ..., inputs: _Optional[_Mapping[str, float]] = ..., device: _Optional[_Union[_device_pb2.Device, _Mapping]] = ...) -> None: ...

class CompileCircuitResponse(_message.Message):
    __slots__ = ("payload", "metadata", "hybrid_plan_json")
    PAYLOAD_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    HYBRID_PLAN_JSON_FIELD_NUMBER: _ClassVar[int]
    payload: _circuit_pb2.CircuitPayload
    metadata: _compilation_pb2.CompilationMetadata
    hybrid_plan_json: bytes
    def __init__(self, payload: _Optional[_Union[_circuit_pb2.CircuitPayload, _Mapping]] = ..., metadata: _Optional[_Union[_compilation_pb2.CompilationMetadata, _Mapping]] = ..., hybrid_plan_json: _Optional[bytes] = ...) -> None: ...

class OptimizeCircuitRequest(_message.Message):
    __slots__ = ("payload", "target", "optimization_level", "job_id")
    PAYLOAD_FIELD_NUMBER: _ClassVar[int]
    TARGET_FIELD_NUMBER: _ClassVar[int]
    OPTIMIZATION_LEVEL_FIELD_NUMBER: _ClassVar[int]
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    payload: _circuit_pb2.CircuitPayload
    target: str
    optimization_level: int
    job_id: str
    def __init__(self, payload: _Optional[_Union[_circuit_pb2.CircuitPayload, _Mapping]] = ..., target: _Optional[str] = ..., optimization_level: _Optional[int] = ..., job_id: _Optional[str] = ...) -> None: ...

class OptimizeCircuitResponse(_message.Message):
    __slots__ = ("payload", "metadata")
    PAYLOAD_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    payload: _circuit_pb2.CircuitPayload
    metadata: _compilation_pb2.CompilationMetadata
    def __init__(self, payload: _Optional[_Union[_circuit_pb2.CircuitPayload, _Mapping]] = ..., metadata: _Optional[_Union[_compilation_pb2.CompilationMetadata, _Mapping]] = ...) -> None: ...

class ValidateCircuitRequest(_message.Message):
    __slots__ = ("eigen_lang", "qasm", "aqo", "target", "options")
    class OptionsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    EIGEN_LANG_FIELD_NUMBER: _ClassVar[int]
    QASM_FIELD_NUMBER: _ClassVar[int]
    AQO_FIELD_NUMBER: _ClassVar[int]
    TARGET_FIELD_NUMBER: _ClassVar[int]
    OPTIONS_FIELD_NUMBER: _ClassVar[int]
    eigen_lang: _common_pb2.EigenLangSource
    qasm: _common_pb2.QasmSource
    aqo: _circuit_pb2.CircuitPayload
    target: str
    options: _containers.ScalarMap[str, str]
    def __init__(self, eigen_lang: _Optional[_Union[_common_pb2.EigenLangSource, _Mapping]] = ..., qasm: _Optional[_Union[_common_pb2.QasmSource, _Mapping]] = ..., aqo: _Optional[_Union[_circuit_pb2.CircuitPayload, _Mapping]] = ..., target: _Optional[str] = ..., options: _Optional[_Mapping[str, str]] = ...) -> None: ...

class ValidateCircuitResponse(_message.Message):
    __slots__ = ("valid", "diagnostics", "metadata")
    VALID_FIELD_NUMBER: _ClassVar[int]
    DIAGNOSTICS_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    valid: bool
    diagnostics: _containers.RepeatedCompositeFieldContainer[_common_pb2.Diagnostic]
    metadata: _compilation_pb2.CompilationMetadata
    def __init__(self, valid: _Optional[bool] = ..., diagnostics: _Optional[_Iterable[_Union[_common_pb2.Diagnostic, _Mapping]]] = ..., metadata: _Optional[_Union[_compilation_pb2.CompilationMetadata, _Mapping]] = ...) -> None: ...
