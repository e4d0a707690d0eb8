from eigen.api.v1 import common_pb2 as _common_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class CompilationMetadata(_message.Message):
    __slots__ = ("logical_qubits", "depth", "gate_count", "metrics", "warnings", "aqo_sha256")
    class MetricsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    LOGICAL_QUBITS_FIELD_NUMBER: _ClassVar[int]
    DEPTH_FIELD_NUMBER: _ClassVar[int]
    GATE_COUNT_FIELD_NUMBER: _ClassVar[int]
    METRICS_FIELD_NUMBER: _ClassVar[int]
    WARNINGS_FIELD_NUMBER: _ClassVar[int]
    AQO_SHA256_FIELD_NUMBER: _ClassVar[int]
    logical_qubits: int
    depth: int
    gate_count: int
    metrics: _containers.ScalarMap[str, str]
    warnings: _containers.RepeatedScalarFieldContainer[str]
    aqo_sha256: str
    def __init__(self, logical_qubits: _Optional[int] = ..., depth: _Optional[int] = ..., gate_count: _Optional[int] = ..., metrics: _Optional[_Mapping[str, str]] = ..., warnings: _Optional[_Iterable[str]] = ..., aqo_sha256: _Optional[str] = ...) -> None: ...

class CompileCircuitRequest(_message.Message):
    __slots__ = ("eigen_lang", "qasm", "target", "options", "inputs")
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
    TARGET_FIELD_NUMBER: _ClassVar[int]
    OPTIONS_FIELD_NUMBER: _ClassVar[int]
    INPUTS_FIELD_NUMBER: _ClassVar[int]
    eigen_lang: _common_pb2.EigenLangSource
    qasm: _common_pb2.QasmSource
    target: str
    options: _containers.ScalarMap[str, str]
    inputs: _containers.ScalarMap[str, float]
    def __init__(self, eigen_lang: _Optional[_Union[_common_pb2.EigenLangSource, _Mapping]] = ..., qasm: _Optional[_Union[_common_pb2.QasmSource, _Mapping]] = ..., target: _Optional[str] = ..., options: _Optional[_Mapping[str, str]] = ..., inputs: _Optional[_Mapping[str, float]] = ...) -> None: ...

class CompileCircuitResponse(_message.Message):
    __slots__ = ("aqo_json", "metadata", "hybrid_plan_json", "isa")
    AQO_JSON_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    HYBRID_PLAN_JSON_FIELD_NUMBER: _ClassVar[int]
    ISA_FIELD_NUMBER: _ClassVar[int]
    aqo_json: bytes
    metadata: CompilationMetadata
    hybrid_plan_json: bytes
    isa: IsaCircuit
    def __init__(self, aqo_json: _Optional[bytes] = ..., metadata: _Optional[_Union[CompilationMetadata, _Mapping]] = ..., hybrid_plan_json: _Optional[bytes] = ..., isa: _Optional[_Union[IsaCircuit, _Mapping]] = ...) -> None: ...

class IsaCircuit(_message.Message):
    __slots__ = ("device_id", "aqo_json", "initial_layout", "final_layout", "depth", "two_qubit_gates", "gate_counts", "active_qubits", "metadata")
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
    AQO_JSON_FIELD_NUMBER: _ClassVar[int]
    INITIAL_LAYOUT_FIELD_NUMBER: _ClassVar[int]
    FINAL_LAYOUT_FIELD_NUMBER: _ClassVar[int]
    DEPTH_FIELD_NUMBER: _ClassVar[int]
    TWO_QUBIT_GATES_FIELD_NUMBER: _ClassVar[int]
    GATE_COUNTS_FIELD_NUMBER: _ClassVar[int]
    ACTIVE_QUBITS_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    device_id: str
    aqo_json: bytes
    initial_layout: _containers.RepeatedScalarFieldContainer[int]
    final_layout: _containers.RepeatedScalarFieldContainer[int]
    depth: int
    two_qubit_gates: int
    gate_counts: _containers.ScalarMap[str, int]
    active_qubits: _containers.RepeatedScalarFieldContainer[int]
    metadata: _containers.ScalarMap[str, str]
    def __init__(self, device_id: _Optional[str] = ..., aqo_json: _Optional[bytes] = ..., initial_layout: _Optional[_Iterable[int]] = ..., final_layout: _Optional[_Iterable[int]] = ..., depth: _Optional[int] = ..., two_qubit_gates: _Optional[int] = ..., gate_counts: _Optional[_Mapping[str, int]] = ..., active_qubits: _Optional[_Iterable[int]] = ..., metadata: _Optional[_Mapping[str, str]] = ...) -> None: ...

class OptimizeCircuitRequest(_message.Message):
    __slots__ = ("aqo_json", "target", "optimization_level")
    AQO_JSON_FIELD_NUMBER: _ClassVar[int]
    TARGET_FIELD_NUMBER: _ClassVar[int]
    OPTIMIZATION_LEVEL_FIELD_NUMBER: _ClassVar[int]
    aqo_json: bytes
    target: str
    optimization_level: int
    def __init__(self, aqo_json: _Optional[bytes] = ..., target: _Optional[str] = ..., optimization_level: _Optional[int] = ...) -> None: ...

class OptimizeCircuitResponse(_message.Message):
    __slots__ = ("aqo_json", "metadata")
    AQO_JSON_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    aqo_json: bytes
    metadata: CompilationMetadata
    def __init__(self, aqo_json: _Optional[bytes] = ..., metadata: _Optional[_Union[CompilationMetadata, _Mapping]] = ...) -> None: ...

class ValidateCircuitRequest(_message.Message):
    __slots__ = ("eigen_lang", "qasm", "target", "options")
    class OptionsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    EIGEN_LANG_FIELD_NUMBER: _ClassVar[int]
    QASM_FIELD_NUMBER: _ClassVar[int]
    TARGET_FIELD_NUMBER: _ClassVar[int]
    OPTIONS_FIELD_NUMBER: _ClassVar[int]
    eigen_lang: _common_pb2.EigenLangSource
    qasm: _common_pb2.QasmSource
    target: str
    options: _containers.ScalarMap[str, str]
    def __init__(self, eigen_lang: _Optional[_Union[_common_pb2.EigenLangSource, _Mapping]] = ..., qasm: _Optional[_Union[_common_pb2.QasmSource, _Mapping]] = ..., target: _Optional[str] = ..., options: _Optional[_Mapping[str, str]] = ...) -> None: ...

class ValidateCircuitResponse(_message.Message):
    __slots__ = ("valid", "diagnostics", "metadata")
    VALID_FIELD_NUMBER: _ClassVar[int]
    DIAGNOSTICS_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    valid: bool
    diagnostics: _containers.RepeatedCompositeFieldContainer[_common_pb2.Diagnostic]
    metadata: CompilationMetadata
    def __init__(self, valid: _Optional[bool] = ..., diagnostics: _Optional[_Iterable[_Union[_common_pb2.Diagnostic, _Mapping]]] = ..., metadata: _Optional[_Union[CompilationMetadata, _Mapping]] = ...) -> None: ...
