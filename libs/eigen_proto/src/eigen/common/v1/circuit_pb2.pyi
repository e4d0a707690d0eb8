from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class CircuitPayload(_message.Message):
    __slots__ = ("format", "data")
    class Format(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        FORMAT_UNSPECIFIED: _ClassVar[CircuitPayload.Format]
        FORMAT_AQO_JSON: _ClassVar[CircuitPayload.Format]
        FORMAT_AQO_PROTO: _ClassVar[CircuitPayload.Format]
        FORMAT_QASM3_TEXT: _ClassVar[CircuitPayload.Format]
        FORMAT_BACKEND_NATIVE: _ClassVar[CircuitPayload.Format]
    FORMAT_UNSPECIFIED: CircuitPayload.Format
    FORMAT_AQO_JSON: CircuitPayload.Format
    FORMAT_AQO_PROTO: CircuitPayload.Format
    FORMAT_QASM3_TEXT: CircuitPayload.Format
    FORMAT_BACKEND_NATIVE: CircuitPayload.Format
    FORMAT_FIELD_NUMBER: _ClassVar[int]
    DATA_FIELD_NUMBER: _ClassVar[int]
    format: CircuitPayload.Format
    data: bytes
    def __init__(self, format: _Optional[_Union[CircuitPayload.Format, str]] = ..., data: _Optional[bytes] = ...) -> None: ...

class PauliTerm(_message.Message):
    __slots__ = ("label", "coefficient")
    LABEL_FIELD_NUMBER: _ClassVar[int]
    COEFFICIENT_FIELD_NUMBER: _ClassVar[int]
    label: str
    coefficient: float
    def __init__(self, label: _Optional[str] = ..., coefficient: _Optional[float] = ...) -> None: ...

class Observable(_message.Message):
    __slots__ = ("terms",)
    TERMS_FIELD_NUMBER: _ClassVar[int]
    terms: _containers.RepeatedCompositeFieldContainer[PauliTerm]
    def __init__(self, terms: _Optional[_Iterable[_Union[PauliTerm, _Mapping]]] = ...) -> None: ...

class ParameterSweep(_message.Message):
    __slots__ = ("parameters", "bindings", "shape")
    PARAMETERS_FIELD_NUMBER: _ClassVar[int]
    BINDINGS_FIELD_NUMBER: _ClassVar[int]
    SHAPE_FIELD_NUMBER: _ClassVar[int]
    parameters: _containers.RepeatedScalarFieldContainer[str]
    bindings: _containers.RepeatedCompositeFieldContainer[ParameterValues]
    shape: _containers.RepeatedScalarFieldContainer[int]
    def __init__(self, parameters: _Optional[_Iterable[str]] = ..., bindings: _Optional[_Iterable[_Union[ParameterValues, _Mapping]]] = ..., shape: _Optional[_Iterable[int]] = ...) -> None: ...

class ParameterValues(_message.Message):
    __slots__ = ("values",)
    VALUES_FIELD_NUMBER: _ClassVar[int]
    values: _containers.RepeatedScalarFieldContainer[float]
    def __init__(self, values: _Optional[_Iterable[float]] = ...) -> None: ...
