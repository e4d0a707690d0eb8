import datetime

from eigen.api.v1 import admin_pb2 as _admin_pb2
from eigen.api.v1 import compilation_pb2 as _compilation_pb2
from eigen.api.v1 import device_pb2 as _device_pb2
from eigen.api.v1 import job_pb2 as _job_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class EnqueueJobRequest(_message.Message):
    __slots__ = ("job_id", "submission")
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    SUBMISSION_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    submission: _job_pb2.SubmitJobRequest
    def __init__(self, job_id: _Optional[str] = ..., submission: _Optional[_Union[_job_pb2.SubmitJobRequest, _Mapping]] = ...) -> None: ...

class EnqueueJobResponse(_message.Message):
    __slots__ = ("job_id", "enqueued_at", "state", "deduplicated")
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    ENQUEUED_AT_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    DEDUPLICATED_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    enqueued_at: _timestamp_pb2.Timestamp
    state: _job_pb2.JobStatus
    deduplicated: bool
    def __init__(self, job_id: _Optional[str] = ..., enqueued_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., state: _Optional[_Union[_job_pb2.JobStatus, str]] = ..., deduplicated: _Optional[bool] = ...) -> None: ...

class GetJobStatusRequest(_message.Message):
    __slots__ = ("job_id",)
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    def __init__(self, job_id: _Optional[str] = ...) -> None: ...

class GetJobStatusResponse(_message.Message):
    __slots__ = ("job",)
    JOB_FIELD_NUMBER: _ClassVar[int]
    job: _job_pb2.Job
    def __init__(self, job: _Optional[_Union[_job_pb2.Job, _Mapping]] = ...) -> None: ...

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
    state: _job_pb2.JobStatus
    def __init__(self, job_id: _Optional[str] = ..., state: _Optional[_Union[_job_pb2.JobStatus, str]] = ...) -> None: ...

class GetJobResultsRequest(_message.Message):
    __slots__ = ("job_id",)
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    def __init__(self, job_id: _Optional[str] = ...) -> None: ...

class GetJobResultsResponse(_message.Message):
    __slots__ = ("results",)
    RESULTS_FIELD_NUMBER: _ClassVar[int]
    results: _job_pb2.GetJobResultsResponse
    def __init__(self, results: _Optional[_Union[_job_pb2.GetJobResultsResponse, _Mapping]] = ...) -> None: ...

class ListJobsRequest(_message.Message):
    __slots__ = ("states", "page_size", "page_token")
    STATES_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    states: _containers.RepeatedScalarFieldContainer[_job_pb2.JobStatus]
    page_size: int
    page_token: str
    def __init__(self, states: _Optional[_Iterable[_Union[_job_pb2.JobStatus, str]]] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListJobsResponse(_message.Message):
    __slots__ = ("jobs", "next_page_token")
    JOBS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    jobs: _containers.RepeatedCompositeFieldContainer[_job_pb2.Job]
    next_page_token: str
    def __init__(self, jobs: _Optional[_Iterable[_Union[_job_pb2.Job, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class PollJobUpdatesRequest(_message.Message):
    __slots__ = ("job_id", "last_event_seq", "max_events", "wait_seconds")
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    LAST_EVENT_SEQ_FIELD_NUMBER: _ClassVar[int]
    MAX_EVENTS_FIELD_NUMBER: _ClassVar[int]
    WAIT_SECONDS_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    last_event_seq: int
    max_events: int
    wait_seconds: float
    def __init__(self, job_id: _Optional[str] = ..., last_event_seq: _Optional[int] = ..., max_events: _Optional[int] = ..., wait_seconds: _Optional[float] = ...) -> None: ...

class PollJobUpdatesResponse(_message.Message):
    __slots__ = ("updates", "has_more")
    UPDATES_FIELD_NUMBER: _ClassVar[int]
    HAS_MORE_FIELD_NUMBER: _ClassVar[int]
    updates: _containers.RepeatedCompositeFieldContainer[_job_pb2.JobUpdate]
    has_more: bool
    def __init__(self, updates: _Optional[_Iterable[_Union[_job_pb2.JobUpdate, _Mapping]]] = ..., has_more: _Optional[bool] = ...) -> None: ...

class WatchJobUpdatesRequest(_message.Message):
    __slots__ = ("job_id", "last_event_seq", "heartbeat_seconds", "include_results")
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    LAST_EVENT_SEQ_FIELD_NUMBER: _ClassVar[int]
    HEARTBEAT_SECONDS_FIELD_NUMBER: _ClassVar[int]
    INCLUDE_RESULTS_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    last_event_seq: int
    heartbeat_seconds: float
    include_results: bool
    def __init__(self, job_id: _Optional[str] = ..., last_event_seq: _Optional[int] = ..., heartbeat_seconds: _Optional[float] = ..., include_results: _Optional[bool] = ...) -> None: ...

class WatchJobUpdatesResponse(_message.Message):
    __slots__ = ("update", "results")
    UPDATE_FIELD_NUMBER: _ClassVar[int]
    RESULTS_FIELD_NUMBER: _ClassVar[int]
    update: _job_pb2.JobUpdate
    results: _job_pb2.GetJobResultsResponse
    def __init__(self, update: _Optional[_Union[_job_pb2.JobUpdate, _Mapping]] = ..., results: _Optional[_Union[_job_pb2.GetJobResultsResponse, _Mapping]] = ...) -> None: ...

class ListDevicesRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ListDevicesResponse(_message.Message):
    __slots__ = ("devices",)
    DEVICES_FIELD_NUMBER: _ClassVar[int]
    devices: _containers.RepeatedCompositeFieldContainer[_device_pb2.Device]
    def __init__(self, devices: _Optional[_Iterable[_Union[_device_pb2.Device, _Mapping]]] = ...) -> None: ...

class GetDeviceDetailsRequest(_message.Message):
    __slots__ = ("device_id",)
    DEVICE_ID_FIELD_NUMBER: _ClassVar[int]
    device_id: str
    def __init__(self, device_id: _Optional[str] = ...) -> None: ...

class GetDeviceDetailsResponse(_message.Message):
    __slots__ = ("device",)
    DEVICE_FIELD_NUMBER: _ClassVar[int]
    device: _device_pb2.Device
    def __init__(self, device: _Optional[_Union[_device_pb2.Device, _Mapping]] = ...) -> None: ...

class GetDeviceStatusRequest(_message.Message):
    __slots__ = ("device_id",)
    DEVICE_ID_FIELD_NUMBER: _ClassVar[int]
    device_id: str
    def __init__(self, device_id: _Optional[str] = ...) -> None: ...

class GetDeviceStatusResponse(_message.Message):
    __slots__ = ("status",)
    STATUS_FIELD_NUMBER: _ClassVar[int]
    status: _device_pb2.GetDeviceStatusResponse
    def __init__(self, status: _Optional[_Union[_device_pb2.GetDeviceStatusResponse, _Mapping]] = ...) -> None: ...

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
    __slots__ = ("reservation",)
    RESERVATION_FIELD_NUMBER: _ClassVar[int]
    reservation: _device_pb2.ReserveDeviceResponse
    def __init__(self, reservation: _Optional[_Union[_device_pb2.ReserveDeviceResponse, _Mapping]] = ...) -> None: ...

class ListReservationsRequest(_message.Message):
    __slots__ = ("request",)
    REQUEST_FIELD_NUMBER: _ClassVar[int]
    request: _device_pb2.ListReservationsRequest
    def __init__(self, request: _Optional[_Union[_device_pb2.ListReservationsRequest, _Mapping]] = ...) -> None: ...

class ListReservationsResponse(_message.Message):
    __slots__ = ("response",)
    RESPONSE_FIELD_NUMBER: _ClassVar[int]
    response: _device_pb2.ListReservationsResponse
    def __init__(self, response: _Optional[_Union[_device_pb2.ListReservationsResponse, _Mapping]] = ...) -> None: ...

class CancelReservationRequest(_message.Message):
    __slots__ = ("reservation_id",)
    RESERVATION_ID_FIELD_NUMBER: _ClassVar[int]
    reservation_id: str
    def __init__(self, reservation_id: _Optional[str] = ...) -> None: ...

class CancelReservationResponse(_message.Message):
    __slots__ = ("response",)
    RESPONSE_FIELD_NUMBER: _ClassVar[int]
    response: _device_pb2.CancelReservationResponse
    def __init__(self, response: _Optional[_Union[_device_pb2.CancelReservationResponse, _Mapping]] = ...) -> None: ...

class GetJobArtifactRequest(_message.Message):
    __slots__ = ("request",)
    REQUEST_FIELD_NUMBER: _ClassVar[int]
    request: _job_pb2.GetJobArtifactRequest
    def __init__(self, request: _Optional[_Union[_job_pb2.GetJobArtifactRequest, _Mapping]] = ...) -> None: ...

class GetJobArtifactResponse(_message.Message):
    __slots__ = ("chunk",)
    CHUNK_FIELD_NUMBER: _ClassVar[int]
    chunk: _job_pb2.GetJobArtifactResponse
    def __init__(self, chunk: _Optional[_Union[_job_pb2.GetJobArtifactResponse, _Mapping]] = ...) -> None: ...

class CollectGarbageRequest(_message.Message):
    __slots__ = ("request",)
    REQUEST_FIELD_NUMBER: _ClassVar[int]
    request: _admin_pb2.CollectGarbageRequest
    def __init__(self, request: _Optional[_Union[_admin_pb2.CollectGarbageRequest, _Mapping]] = ...) -> None: ...

class CollectGarbageResponse(_message.Message):
    __slots__ = ("response",)
    RESPONSE_FIELD_NUMBER: _ClassVar[int]
    response: _admin_pb2.CollectGarbageResponse
    def __init__(self, response: _Optional[_Union[_admin_pb2.CollectGarbageResponse, _Mapping]] = ...) -> None: ...

class TranspileCircuitRequest(_message.Message):
    __slots__ = ("target", "aqo_json")
    TARGET_FIELD_NUMBER: _ClassVar[int]
    AQO_JSON_FIELD_NUMBER: _ClassVar[int]
    target: str
    aqo_json: bytes
    def __init__(self, target: _Optional[str] = ..., aqo_json: _Optional[bytes] = ...) -> None: ...

class TranspileCircuitResponse(_message.Message):
    __slots__ = ("isa",)
    ISA_FIELD_NUMBER: _ClassVar[int]
    isa: _compilation_pb2.IsaCircuit
    def __init__(self, isa: _Optional[_Union[_compilation_pb2.IsaCircuit, _Mapping]] = ...) -> None: ...
