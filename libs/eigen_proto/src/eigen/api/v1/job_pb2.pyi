import datetime

from eigen.api.v1 import common_pb2 as _common_pb2
from eigen.common.v1 import circuit_pb2 as _circuit_pb2
from google.api import annotations_pb2 as _annotations_pb2
from google.protobuf import struct_pb2 as _struct_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class JobStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    JOB_STATUS_UNSPECIFIED: _ClassVar[JobStatus]
    JOB_STATUS_COMPILING: _ClassVar[JobStatus]
    JOB_STATUS_QUEUED: _ClassVar[JobStatus]
    JOB_STATUS_RUNNING: _ClassVar[JobStatus]
    JOB_STATUS_DONE: _ClassVar[JobStatus]
    JOB_STATUS_ERROR: _ClassVar[JobStatus]
    JOB_STATUS_CANCELLED: _ClassVar[JobStatus]
    JOB_STATUS_TIMEOUT: _ClassVar[JobStatus]

class SavedState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SAVED_STATE_UNSPECIFIED: _ClassVar[SavedState]
    SAVED_STATE_STATEVECTOR: _ClassVar[SavedState]
    SAVED_STATE_DENSITY_MATRIX: _ClassVar[SavedState]
    SAVED_STATE_MATRIX_PRODUCT_STATE: _ClassVar[SavedState]

class WaitingReason(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    WAITING_REASON_UNSPECIFIED: _ClassVar[WaitingReason]
    WAITING_REASON_DEPENDENCY: _ClassVar[WaitingReason]
    WAITING_REASON_DEVICE: _ClassVar[WaitingReason]
    WAITING_REASON_RESERVATION: _ClassVar[WaitingReason]
    WAITING_REASON_TENANT_LIMIT: _ClassVar[WaitingReason]
    WAITING_REASON_DEVICE_OFFLINE: _ClassVar[WaitingReason]
    WAITING_REASON_BACKEND_UNAVAILABLE: _ClassVar[WaitingReason]
JOB_STATUS_UNSPECIFIED: JobStatus
JOB_STATUS_COMPILING: JobStatus
JOB_STATUS_QUEUED: JobStatus
JOB_STATUS_RUNNING: JobStatus
JOB_STATUS_DONE: JobStatus
JOB_STATUS_ERROR: JobStatus
JOB_STATUS_CANCELLED: JobStatus
JOB_STATUS_TIMEOUT: JobStatus
SAVED_STATE_UNSPECIFIED: SavedState
SAVED_STATE_STATEVECTOR: SavedState
SAVED_STATE_DENSITY_MATRIX: SavedState
SAVED_STATE_MATRIX_PRODUCT_STATE: SavedState
WAITING_REASON_UNSPECIFIED: WaitingReason
WAITING_REASON_DEPENDENCY: WaitingReason
WAITING_REASON_DEVICE: WaitingReason
WAITING_REASON_RESERVATION: WaitingReason
WAITING_REASON_TENANT_LIMIT: WaitingReason
WAITING_REASON_DEVICE_OFFLINE: WaitingReason
WAITING_REASON_BACKEND_UNAVAILABLE: WaitingReason

class SubmitJobRequest(_message.Message):
    __slots__ = ("name", "eigen_lang", "qasm", "aqo_ref", "target", "priority", "compiler_options", "metadata", "dependencies", "shots", "seed", "inputs", "timeout_seconds", "idempotency_key", "reservation_id", "sweep", "observables", "precision", "save_state")
    class CompilerOptionsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    class MetadataEntry(_message.Message):
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
    NAME_FIELD_NUMBER: _ClassVar[int]
    EIGEN_LANG_FIELD_NUMBER: _ClassVar[int]
    QASM_FIELD_NUMBER: _ClassVar[int]
    AQO_REF_FIELD_NUMBER: _ClassVar[int]
    TARGET_FIELD_NUMBER: _ClassVar[int]
    PRIORITY_FIELD_NUMBER: _ClassVar[int]
    COMPILER_OPTIONS_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    DEPENDENCIES_FIELD_NUMBER: _ClassVar[int]
    SHOTS_FIELD_NUMBER: _ClassVar[int]
    SEED_FIELD_NUMBER: _ClassVar[int]
    INPUTS_FIELD_NUMBER: _ClassVar[int]
    TIMEOUT_SECONDS_FIELD_NUMBER: _ClassVar[int]
    IDEMPOTENCY_KEY_FIELD_NUMBER: _ClassVar[int]
    RESERVATION_ID_FIELD_NUMBER: _ClassVar[int]
    SWEEP_FIELD_NUMBER: _ClassVar[int]
    OBSERVABLES_FIELD_NUMBER: _ClassVar[int]
    PRECISION_FIELD_NUMBER: _ClassVar[int]
    SAVE_STATE_FIELD_NUMBER: _ClassVar[int]
    name: str
    eigen_lang: _common_pb2.EigenLangSource
    qasm: _common_pb2.QasmSource
    aqo_ref: _common_pb2.AqoRef
    target: str
    priority: int
    compiler_options: _containers.ScalarMap[str, str]
    metadata: _containers.ScalarMap[str, str]
    dependencies: _containers.RepeatedScalarFieldContainer[str]
    shots: int
    seed: int
    inputs: _containers.ScalarMap[str, float]
    timeout_seconds: float
    idempotency_key: str
    reservation_id: str
    sweep: _circuit_pb2.ParameterSweep
    observables: _containers.RepeatedCompositeFieldContainer[_circuit_pb2.Observable]
    precision: float
    save_state: SavedState
    def __init__(self, name: _Optional[str] = ..., eigen_lang: _Optional[_Union[_common_pb2.EigenLangSource, _Mapping]] = ..., qasm: _Optional[_Union[_common_pb2.QasmSource, _Mapping]] = ..., aqo_ref: _Optional[_Union[_common_pb2.AqoRef, _Mapping]] = ..., target: _Optional[str] = ..., priority: _Optional[int] = ..., compiler_options: _Optional[_Mapping[str, str]] = ..., metadata: _Optional[_Mapping[str, str]] = ..., dependencies: _Optional[_Iterable[str]] = ..., shots: _Optional[int] = ..., seed: _Optional[int] = ..., inputs: _Optional[_Mapping[str, float]] = ..., timeout_seconds: _Optional[float] = ..., idempotency_key: _Optional[str] = ..., reservation_id: _Optional[str] = ..., sweep: _Optional[_Union[_circuit_pb2.ParameterSweep, _Mapping]] = ..., observables: _Optional[_Iterable[_Union[_circuit_pb2.Observable, _Mapping]]] = ..., precision: _Optional[float] = ..., save_state: _Optional[_Union[SavedState, str]] = ...) -> None: ...

class SubmitJobResponse(_message.Message):
    __slots__ = ("job_id", "state", "created_at", "deduplicated")
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    DEDUPLICATED_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    state: JobStatus
    created_at: _timestamp_pb2.Timestamp
    deduplicated: bool
    def __init__(self, job_id: _Optional[str] = ..., state: _Optional[_Union[JobStatus, str]] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., deduplicated: _Optional[bool] = ...) -> None: ...

class Job(_message.Message):
    __slots__ = ("job_id", "name", "state", "stage", "progress", "message", "target", "device_id", "priority", "shots", "created_at", "updated_at", "last_event_seq", "error_code", "metadata", "dependencies", "queue_position", "estimated_wait_sec", "waiting_reason", "reservation_id", "seed")
    class MetadataEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    STAGE_FIELD_NUMBER: _ClassVar[int]
    PROGRESS_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    TARGET_FIELD_NUMBER: _ClassVar[int]
    DEVICE_ID_FIELD_NUMBER: _ClassVar[int]
    PRIORITY_FIELD_NUMBER: _ClassVar[int]
    SHOTS_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    LAST_EVENT_SEQ_FIELD_NUMBER: _ClassVar[int]
    ERROR_CODE_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    DEPENDENCIES_FIELD_NUMBER: _ClassVar[int]
    QUEUE_POSITION_FIELD_NUMBER: _ClassVar[int]
    ESTIMATED_WAIT_SEC_FIELD_NUMBER: _ClassVar[int]
    WAITING_REASON_FIELD_NUMBER: _ClassVar[int]
    RESERVATION_ID_FIELD_NUMBER: _ClassVar[int]
    SEED_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    name: str
    state: JobStatus
    stage: str
    progress: float
    message: str
    target: str
    device_id: str
    priority: int
    shots: int
    created_at: _timestamp_pb2.Timestamp
    updated_at: _timestamp_pb2.Timestamp
    last_event_seq: int
    error_code: str
    metadata: _containers.ScalarMap[str, str]
    dependencies: _containers.RepeatedScalarFieldContainer[str]
    queue_position: int
    estimated_wait_sec: int
    waiting_reason: WaitingReason
    reservation_id: str
    seed: int
    def __init__(self, job_id: _Optional[str] = ..., name: _Optional[str] = ..., state: _Optional[_Union[JobStatus, str]] = ..., stage: _Optional[str] = ..., progress: _Optional[float] = ..., message: _Optional[str] = ..., target: _Optional[str] = ..., device_id: _Optional[str] = ..., priority: _Optional[int] = ..., shots: _Optional[int] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., updated_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., last_event_seq: _Optional[int] = ..., error_code: _Optional[str] = ..., metadata: _Optional[_Mapping[str, str]] = ..., dependencies: _Optional[_Iterable[str]] = ..., queue_position: _Optional[int] = ..., estimated_wait_sec: _Optional[int] = ..., waiting_reason: _Optional[_Union[WaitingReason, str]] = ..., reservation_id: _Optional[str] = ..., seed: _Optional[int] = ...) -> None: ...

class GetJobStatusRequest(_message.Message):
    __slots__ = ("job_id",)
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    def __init__(self, job_id: _Optional[str] = ...) -> None: ...

class GetJobStatusResponse(_message.Message):
    __slots__ = ("job",)
    JOB_FIELD_NUMBER: _ClassVar[int]
    job: Job
    def __init__(self, job: _Optional[_Union[Job, _Mapping]] = ...) -> None: ...

class CancelJobRequest(_message.Message):
    __slots__ = ("job_id", "reason")
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    reason: str
    def __init__(self, job_id: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class CancelJobResponse(_message.Message):
    __slots__ = ("job_id", "state")
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    state: JobStatus
    def __init__(self, job_id: _Optional[str] = ..., state: _Optional[_Union[JobStatus, str]] = ...) -> None: ...

class StreamJobUpdatesRequest(_message.Message):
    __slots__ = ("job_id", "last_event_seq", "include_results")
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    LAST_EVENT_SEQ_FIELD_NUMBER: _ClassVar[int]
    INCLUDE_RESULTS_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    last_event_seq: int
    include_results: bool
    def __init__(self, job_id: _Optional[str] = ..., last_event_seq: _Optional[int] = ..., include_results: _Optional[bool] = ...) -> None: ...

class JobUpdate(_message.Message):
    __slots__ = ("job_id", "state", "stage", "progress", "message", "event_seq", "timestamp", "heartbeat", "terminal", "iteration", "current_value", "queue_position", "estimated_wait_sec", "waiting_reason")
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    STAGE_FIELD_NUMBER: _ClassVar[int]
    PROGRESS_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    EVENT_SEQ_FIELD_NUMBER: _ClassVar[int]
    TIMESTAMP_FIELD_NUMBER: _ClassVar[int]
    HEARTBEAT_FIELD_NUMBER: _ClassVar[int]
    TERMINAL_FIELD_NUMBER: _ClassVar[int]
    ITERATION_FIELD_NUMBER: _ClassVar[int]
    CURRENT_VALUE_FIELD_NUMBER: _ClassVar[int]
    QUEUE_POSITION_FIELD_NUMBER: _ClassVar[int]
    ESTIMATED_WAIT_SEC_FIELD_NUMBER: _ClassVar[int]
    WAITING_REASON_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    state: JobStatus
    stage: str
    progress: float
    message: str
    event_seq: int
    timestamp: _timestamp_pb2.Timestamp
    heartbeat: bool
    terminal: bool
    iteration: int
    current_value: float
    queue_position: int
    estimated_wait_sec: int
    waiting_reason: WaitingReason
    def __init__(self, job_id: _Optional[str] = ..., state: _Optional[_Union[JobStatus, str]] = ..., stage: _Optional[str] = ..., progress: _Optional[float] = ..., message: _Optional[str] = ..., event_seq: _Optional[int] = ..., timestamp: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., heartbeat: _Optional[bool] = ..., terminal: _Optional[bool] = ..., iteration: _Optional[int] = ..., current_value: _Optional[float] = ..., queue_position: _Optional[int] = ..., estimated_wait_sec: _Optional[int] = ..., waiting_reason: _Optional[_Union[WaitingReason, str]] = ...) -> None: ...

class StreamJobUpdatesResponse(_message.Message):
    __slots__ = ("update", "results")
    UPDATE_FIELD_NUMBER: _ClassVar[int]
    RESULTS_FIELD_NUMBER: _ClassVar[int]
    update: JobUpdate
    results: GetJobResultsResponse
    def __init__(self, update: _Optional[_Union[JobUpdate, _Mapping]] = ..., results: _Optional[_Union[GetJobResultsResponse, _Mapping]] = ...) -> None: ...

class GetJobResultsRequest(_message.Message):
    __slots__ = ("job_id",)
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    def __init__(self, job_id: _Optional[str] = ...) -> None: ...

class OptimizationResult(_message.Message):
    __slots__ = ("optimal_value", "optimal_parameters", "iterations", "success", "history", "history_ref")
    class OptimalParametersEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: float
        def __init__(self, key: _Optional[str] = ..., value: _Optional[float] = ...) -> None: ...
    OPTIMAL_VALUE_FIELD_NUMBER: _ClassVar[int]
    OPTIMAL_PARAMETERS_FIELD_NUMBER: _ClassVar[int]
    ITERATIONS_FIELD_NUMBER: _ClassVar[int]
    SUCCESS_FIELD_NUMBER: _ClassVar[int]
    HISTORY_FIELD_NUMBER: _ClassVar[int]
    HISTORY_REF_FIELD_NUMBER: _ClassVar[int]
    optimal_value: float
    optimal_parameters: _containers.ScalarMap[str, float]
    iterations: int
    success: bool
    history: _containers.RepeatedScalarFieldContainer[float]
    history_ref: str
    def __init__(self, optimal_value: _Optional[float] = ..., optimal_parameters: _Optional[_Mapping[str, float]] = ..., iterations: _Optional[int] = ..., success: _Optional[bool] = ..., history: _Optional[_Iterable[float]] = ..., history_ref: _Optional[str] = ...) -> None: ...

class GetJobResultsResponse(_message.Message):
    __slots__ = ("job_id", "state", "counts", "metadata", "completed_at", "optimization", "expectation_values", "outputs", "error_code", "error_summary", "error_details_ref", "diagnostics", "sweep_results", "artifacts")
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
    class ExpectationValuesEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: float
        def __init__(self, key: _Optional[str] = ..., value: _Optional[float] = ...) -> None: ...
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    COUNTS_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    COMPLETED_AT_FIELD_NUMBER: _ClassVar[int]
    OPTIMIZATION_FIELD_NUMBER: _ClassVar[int]
    EXPECTATION_VALUES_FIELD_NUMBER: _ClassVar[int]
    OUTPUTS_FIELD_NUMBER: _ClassVar[int]
    ERROR_CODE_FIELD_NUMBER: _ClassVar[int]
    ERROR_SUMMARY_FIELD_NUMBER: _ClassVar[int]
    ERROR_DETAILS_REF_FIELD_NUMBER: _ClassVar[int]
    DIAGNOSTICS_FIELD_NUMBER: _ClassVar[int]
    SWEEP_RESULTS_FIELD_NUMBER: _ClassVar[int]
    ARTIFACTS_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    state: JobStatus
    counts: _containers.ScalarMap[str, int]
    metadata: _containers.ScalarMap[str, str]
    completed_at: _timestamp_pb2.Timestamp
    optimization: OptimizationResult
    expectation_values: _containers.ScalarMap[str, float]
    outputs: _struct_pb2.Struct
    error_code: str
    error_summary: str
    error_details_ref: str
    diagnostics: _containers.RepeatedCompositeFieldContainer[_common_pb2.Diagnostic]
    sweep_results: _containers.RepeatedCompositeFieldContainer[SweepResult]
    artifacts: _containers.RepeatedCompositeFieldContainer[ArtifactRef]
    def __init__(self, job_id: _Optional[str] = ..., state: _Optional[_Union[JobStatus, str]] = ..., counts: _Optional[_Mapping[str, int]] = ..., metadata: _Optional[_Mapping[str, str]] = ..., completed_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., optimization: _Optional[_Union[OptimizationResult, _Mapping]] = ..., expectation_values: _Optional[_Mapping[str, float]] = ..., outputs: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., error_code: _Optional[str] = ..., error_summary: _Optional[str] = ..., error_details_ref: _Optional[str] = ..., diagnostics: _Optional[_Iterable[_Union[_common_pb2.Diagnostic, _Mapping]]] = ..., sweep_results: _Optional[_Iterable[_Union[SweepResult, _Mapping]]] = ..., artifacts: _Optional[_Iterable[_Union[ArtifactRef, _Mapping]]] = ...) -> None: ...

class SweepResult(_message.Message):
    __slots__ = ("parameter_values", "counts", "expectation_values", "std_errors")
    class ParameterValuesEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: float
        def __init__(self, key: _Optional[str] = ..., value: _Optional[float] = ...) -> None: ...
    class CountsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: int
        def __init__(self, key: _Optional[str] = ..., value: _Optional[int] = ...) -> None: ...
    PARAMETER_VALUES_FIELD_NUMBER: _ClassVar[int]
    COUNTS_FIELD_NUMBER: _ClassVar[int]
    EXPECTATION_VALUES_FIELD_NUMBER: _ClassVar[int]
    STD_ERRORS_FIELD_NUMBER: _ClassVar[int]
    parameter_values: _containers.ScalarMap[str, float]
    counts: _containers.ScalarMap[str, int]
    expectation_values: _containers.RepeatedScalarFieldContainer[float]
    std_errors: _containers.RepeatedScalarFieldContainer[float]
    def __init__(self, parameter_values: _Optional[_Mapping[str, float]] = ..., counts: _Optional[_Mapping[str, int]] = ..., expectation_values: _Optional[_Iterable[float]] = ..., std_errors: _Optional[_Iterable[float]] = ...) -> None: ...

class ArtifactRef(_message.Message):
    __slots__ = ("name", "ref", "size_bytes", "content_type")
    NAME_FIELD_NUMBER: _ClassVar[int]
    REF_FIELD_NUMBER: _ClassVar[int]
    SIZE_BYTES_FIELD_NUMBER: _ClassVar[int]
    CONTENT_TYPE_FIELD_NUMBER: _ClassVar[int]
    name: str
    ref: str
    size_bytes: int
    content_type: str
    def __init__(self, name: _Optional[str] = ..., ref: _Optional[str] = ..., size_bytes: _Optional[int] = ..., content_type: _Optional[str] = ...) -> None: ...

class GetJobArtifactRequest(_message.Message):
    __slots__ = ("job_id", "name")
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    name: str
    def __init__(self, job_id: _Optional[str] = ..., name: _Optional[str] = ...) -> None: ...

class GetJobArtifactResponse(_message.Message):
    __slots__ = ("chunk", "content_type", "total_bytes")
    CHUNK_FIELD_NUMBER: _ClassVar[int]
    CONTENT_TYPE_FIELD_NUMBER: _ClassVar[int]
    TOTAL_BYTES_FIELD_NUMBER: _ClassVar[int]
    chunk: bytes
    content_type: str
    total_bytes: int
    def __init__(self, chunk: _Optional[bytes] = ..., content_type: _Optional[str] = ..., total_bytes: _Optional[int] = ...) -> None: ...

class ListJobsRequest(_message.Message):
    __slots__ = ("states", "page_size", "page_token")
    STATES_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    states: _containers.RepeatedScalarFieldContainer[JobStatus]
    page_size: int
    page_token: str
    def __init__(self, states: _Optional[_Iterable[_Union[JobStatus, str]]] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListJobsResponse(_message.Message):
    __slots__ = ("jobs", "next_page_token")
    JOBS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    jobs: _containers.RepeatedCompositeFieldContainer[Job]
    next_page_token: str
    def __init__(self, jobs: _Optional[_Iterable[_Union[Job, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...
