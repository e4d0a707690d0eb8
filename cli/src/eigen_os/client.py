"""Python SDK over the public Eigen OS API (``eigen.api.v1``); the ``eigen`` CLI is built on it.

Two clients with the same methods: :class:`EigenClient` (blocking, ``grpc`` channel) and
:class:`AsyncEigenClient` (``grpc.aio``; methods are coroutines, streams are async iterators)::

    from eigen_os import EigenClient, load_jobspec

    with EigenClient() as client:                       # endpoint/token/TLS: resolve_config()
        job_id = client.submit(load_jobspec("examples/bell/job.yaml").spec)
        job = client.wait(job_id, timeout=120)          # follows the event stream, no polling
        print(job.state, client.results(job_id).get_counts())

    job_id = client.submit(qc, target="sim:local", shots=1000, seed=7)  # a QuantumCircuit

Conventions:

- Jobs, events and results come back typed (:mod:`eigen_os.results`: :class:`Job`,
  :class:`JobEvent`, :class:`JobResult`, :class:`JobStatus`), each with its message in
  ``.proto``. Devices, reservations, artifact chunks and compile responses are returned as their
  messages.
- Every call has a deadline: ``timeout`` (seconds) per call, defaulting to the client's
  ``timeout``. Streams use ``stream_timeout`` per connection and reconnect when it passes.
- Every gRPC failure is raised as the typed :mod:`eigen_common.errors` error rebuilt by
  :func:`~eigen_common.errors.from_rpc_error` (``JobNotFoundError``, ``ValidationError``, ...).
  A server that cannot be reached raises :class:`ConnectionFailedError` (UNAVAILABLE).
- Authentication: ``authorization: Bearer <token>`` metadata on every call when a token is known;
  TLS with the roots of :mod:`eigen_os.config` when the endpoint asks for it.
- :meth:`EigenClient.wait` asks for the results with the terminal event; the next
  :meth:`EigenClient.results` of that job is answered from them without another call.
"""

from __future__ import annotations

import abc
import asyncio
import time
from collections import deque
from collections.abc import AsyncIterator, Iterable, Iterator, Mapping
from types import TracebackType
from typing import Any, Self, TypedDict, TypeVar, Unpack

import grpc

from eigen.api.v1 import (
    admin_pb2_grpc,
    common_pb2,
    compilation_pb2,
    compilation_pb2_grpc,
    device_pb2,
    device_pb2_grpc,
    job_pb2,
    job_pb2_grpc,
)
from eigen_common.errors import InvalidArgumentError
from eigen_os.config import DEFAULT_ENDPOINT, ClientConfig, ConfigError, resolve_config
from eigen_os.jobspec import JobSpec, ParsedJob, validate_request_from_compile
from eigen_os.results import ArtifactRef, Job, JobEvent, JobResult, parse_state, state_name
from eigen_os.submission import submit_request
from eigen_os.transport import (
    ArtifactCheck,
    ArtifactIncompleteError,
    ConnectionFailedError,
    DeliveredResults,
    JobPager,
    StreamCursor,
    Unary,
    WaitTimeoutError,
    dial,
    translate,
)

#: Default per-call deadline, in seconds.
DEFAULT_TIMEOUT = 30.0
#: Default deadline for compile/validate calls, in seconds (transpiling can take a while).
DEFAULT_COMPILE_TIMEOUT = 120.0
#: Default deadline of one StreamJobUpdates connection (and of an artifact download), in s.
DEFAULT_STREAM_TIMEOUT = 300.0
#: Consecutive failed (re)connections after which a stream gives up.
DEFAULT_MAX_RECONNECTS = 8

TERMINAL_STATES: frozenset[int] = frozenset(
    {
        job_pb2.JOB_STATUS_DONE,
        job_pb2.JOB_STATUS_ERROR,
        job_pb2.JOB_STATUS_CANCELLED,
        job_pb2.JOB_STATUS_TIMEOUT,
    }
)


class SubmitOptions(TypedDict, total=False):
    """Keyword options of :meth:`EigenClient.submit` (all optional; they win over the job's).

    ``target``: target name or device id; ``name``: job name; ``shots``; ``seed``: simulator
    seed; ``inputs``: parameter bindings (for a circuit keyed by ``Parameter`` or its name);
    ``idempotency_key``: resubmitting with it returns the same job; ``reservation_id``: run in
    this reservation's slot (from :meth:`EigenClient.reserve`).
    """

    target: str
    name: str
    shots: int
    seed: int
    inputs: Mapping[Any, float]
    idempotency_key: str
    reservation_id: str


# --- requests --------------------------------------------------------------------------------


def compile_request(
    source: str,
    language: str = "eigen-lang",
    *,
    target: str = "",
    options: Mapping[str, str] | None = None,
    inputs: Mapping[str, float] | None = None,
    entrypoint: str = "",
) -> compilation_pb2.CompileCircuitRequest:
    """Build a ``CompileCircuitRequest`` for ``source`` (``eigen-lang``, ``qasm2``, ``qasm3``)."""
    req = compilation_pb2.CompileCircuitRequest(
        target=target, options=dict(options or {}), inputs=dict(inputs or {})
    )
    if language == "eigen-lang":
        req.eigen_lang.CopyFrom(common_pb2.EigenLangSource(source=source, entrypoint=entrypoint))
    elif language in ("qasm2", "qasm3"):
        req.qasm.CopyFrom(common_pb2.QasmSource(source=source, version=language[-1]))
    else:
        raise InvalidArgumentError(f"unknown language {language!r} (eigen-lang, qasm2, qasm3)")
    return req


def _compile_request(
    program: compilation_pb2.CompileCircuitRequest | JobSpec | ParsedJob,
    target: str | None = None,
) -> compilation_pb2.CompileCircuitRequest:
    if isinstance(program, ParsedJob):
        program = program.spec
    if isinstance(program, JobSpec):
        req = program.to_compile_request()
    elif target is not None:
        req = compilation_pb2.CompileCircuitRequest()
        req.CopyFrom(program)  # the caller's request stays as it was
    else:
        return program
    if target is not None:
        req.target = target
    return req


_Validatable = (
    compilation_pb2.ValidateCircuitRequest
    | compilation_pb2.CompileCircuitRequest
    | JobSpec
    | ParsedJob
)


def _validate_request(program: _Validatable) -> compilation_pb2.ValidateCircuitRequest:
    if isinstance(program, ParsedJob):
        program = program.spec
    if isinstance(program, JobSpec):
        return program.to_validate_request()
    if isinstance(program, compilation_pb2.CompileCircuitRequest):
        return validate_request_from_compile(program)
    return program


def _job_of(resp: job_pb2.GetJobStatusResponse) -> Job:
    return Job.from_proto(resp.job)


_R = TypeVar("_R")


class _ClientBase(abc.ABC):
    """What both clients share: configuration, metadata, deadlines, stubs and the calls.

    ``_<method>_call`` builds the request of the public ``<method>`` with its deadline and
    response post-processing; the sync and async clients only run it on their transport.
    """

    def __init__(
        self,
        endpoint: str | None = None,
        token: str | None = None,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        compile_timeout: float = DEFAULT_COMPILE_TIMEOUT,
        stream_timeout: float = DEFAULT_STREAM_TIMEOUT,
        max_reconnects: int = DEFAULT_MAX_RECONNECTS,
        config: ClientConfig | None = None,
    ) -> None:
        self.config = config or resolve_config(endpoint, token)
        self.timeout = timeout
        self.compile_timeout = compile_timeout
        self.stream_timeout = stream_timeout
        self.max_reconnects = max_reconnects
        self._metadata: tuple[tuple[str, str], ...] = (
            (("authorization", f"Bearer {self.config.token}"),) if self.config.token else ()
        )
        self._delivered = DeliveredResults()
        self._channel = self._open_channel()
        self._jobs = job_pb2_grpc.JobServiceStub(self._channel)
        self._devices = device_pb2_grpc.DeviceServiceStub(self._channel)
        self._compiler = compilation_pb2_grpc.CompilationServiceStub(self._channel)

    @abc.abstractmethod
    def _open_channel(self) -> Any:
        """Open the transport channel: sync ``grpc`` or ``grpc.aio``, per subclass."""

    @property
    def endpoint(self) -> str:
        """The endpoint this client talks to."""
        return self.config.endpoint

    @property
    def channel(self) -> Any:
        """The client's channel (``grpc.Channel``, or ``grpc.aio.Channel`` for the async client).

        For services the client has no methods for; calls on it need :attr:`call_metadata`.
        """
        return self._channel

    @property
    def call_metadata(self) -> tuple[tuple[str, str], ...]:
        """The metadata every call sends (``authorization: Bearer ...`` when a token is known)."""
        return self._metadata

    def admin_stub(self) -> admin_pb2_grpc.AdminServiceStub:
        """An ``AdminServiceStub`` on this client's channel (pass :attr:`call_metadata`)."""
        return admin_pb2_grpc.AdminServiceStub(self._channel)

    def _t(self, timeout: float | None) -> float:
        return self.timeout if timeout is None else timeout

    def _compile_t(self, timeout: float | None) -> float:
        return self.compile_timeout if timeout is None else timeout

    def _cursor(
        self, job_id: str, last_event_seq: int, timeout: float | None, include_results: bool
    ) -> StreamCursor:
        return StreamCursor(
            job_id,
            last_event_seq,
            timeout,
            self.stream_timeout,
            self.max_reconnects,
            include_results,
        )

    def _open_stream(self, cur: StreamCursor) -> Any:
        """Open one ``StreamJobUpdates`` connection, resuming after ``cur``'s last event."""
        return self._jobs.StreamJobUpdates(
            cur.request(), timeout=cur.call_timeout(), metadata=self._metadata
        )

    def _open_artifact(self, job_id: str, name: str, timeout: float | None) -> Any:
        if "/" in name and not name.startswith("qfs://"):
            # `input/job.yaml` and co.: the API takes nested names only as full references
            name = f"qfs://jobs/{job_id}/{name}"
        req = job_pb2.GetJobArtifactRequest(job_id=job_id, name=name)
        t = self.stream_timeout if timeout is None else timeout
        return self._jobs.GetJobArtifact(req, timeout=t, metadata=self._metadata)

    # jobs

    def _submit_job_call(
        self, req: job_pb2.SubmitJobRequest, timeout: float | None
    ) -> Unary[job_pb2.SubmitJobResponse]:
        return Unary(self._jobs.SubmitJob, req, self._t(timeout))

    def _status_call(self, job_id: str, timeout: float | None) -> Unary[Job]:
        req = job_pb2.GetJobStatusRequest(job_id=job_id)
        return Unary(self._jobs.GetJobStatus, req, self._t(timeout), _job_of)

    def _cancel_call(
        self, job_id: str, reason: str, timeout: float | None
    ) -> Unary[job_pb2.CancelJobResponse]:
        req = job_pb2.CancelJobRequest(job_id=job_id, reason=reason)
        return Unary(self._jobs.CancelJob, req, self._t(timeout))

    def _results_call(self, job_id: str, timeout: float | None) -> Unary[JobResult]:
        req = job_pb2.GetJobResultsRequest(job_id=job_id)
        return Unary(self._jobs.GetJobResults, req, self._t(timeout), JobResult.from_proto)

    def _list_jobs_page_call(
        self,
        states: Iterable[str | int] | None,
        page_size: int,
        page_token: str,
        timeout: float | None,
    ) -> Unary[job_pb2.ListJobsResponse]:
        req = job_pb2.ListJobsRequest(
            states=[parse_state(s) for s in states or ()],  # type: ignore[misc]
            page_size=page_size,
            page_token=page_token,
        )
        return Unary(self._jobs.ListJobs, req, self._t(timeout))

    # devices and reservations

    def _devices_call(self, timeout: float | None) -> Unary[list[device_pb2.Device]]:
        req = device_pb2.ListDevicesRequest()
        return Unary(self._devices.ListDevices, req, self._t(timeout), lambda r: list(r.devices))

    def _device_call(self, device_id: str, timeout: float | None) -> Unary[device_pb2.Device]:
        req = device_pb2.GetDeviceDetailsRequest(device_id=device_id)
        return Unary(self._devices.GetDeviceDetails, req, self._t(timeout), lambda r: r.device)

    def _device_status_call(
        self, device_id: str, timeout: float | None
    ) -> Unary[device_pb2.GetDeviceStatusResponse]:
        req = device_pb2.GetDeviceStatusRequest(device_id=device_id)
        return Unary(self._devices.GetDeviceStatus, req, self._t(timeout))

    def _reserve_call(
        self, device_id: str, ttl_seconds: int, purpose: str, timeout: float | None
    ) -> Unary[device_pb2.ReserveDeviceResponse]:
        req = device_pb2.ReserveDeviceRequest(
            device_id=device_id, ttl_seconds=ttl_seconds, purpose=purpose
        )
        return Unary(self._devices.ReserveDevice, req, self._t(timeout))

    def _list_reservations_call(
        self, include_ended: bool, timeout: float | None
    ) -> Unary[list[device_pb2.Reservation]]:
        req = device_pb2.ListReservationsRequest(include_ended=include_ended)
        return Unary(
            self._devices.ListReservations, req, self._t(timeout), lambda r: list(r.reservations)
        )

    def _cancel_reservation_call(
        self, reservation_id: str, timeout: float | None
    ) -> Unary[device_pb2.Reservation]:
        req = device_pb2.CancelReservationRequest(reservation_id=reservation_id)
        return Unary(
            self._devices.CancelReservation, req, self._t(timeout), lambda r: r.reservation
        )

    # compilation (default deadline: compile_timeout)

    def _compile_call(
        self,
        program: compilation_pb2.CompileCircuitRequest | JobSpec | ParsedJob,
        target: str | None,
        timeout: float | None,
    ) -> Unary[compilation_pb2.CompileCircuitResponse]:
        t = self._compile_t(timeout)
        return Unary(self._compiler.CompileCircuit, _compile_request(program, target), t)

    def _validate_call(
        self, program: _Validatable, timeout: float | None
    ) -> Unary[compilation_pb2.ValidateCircuitResponse]:
        t = self._compile_t(timeout)
        return Unary(self._compiler.ValidateCircuit, _validate_request(program), t)

    def _optimize_call(
        self, aqo_json: bytes, target: str, optimization_level: int, timeout: float | None
    ) -> Unary[compilation_pb2.OptimizeCircuitResponse]:
        t = self._compile_t(timeout)
        req = compilation_pb2.OptimizeCircuitRequest(
            aqo_json=aqo_json, target=target, optimization_level=optimization_level
        )
        return Unary(self._compiler.OptimizeCircuit, req, t)


# --- blocking client -------------------------------------------------------------------------


class _BlockingBase(_ClientBase):
    """The blocking transport, and the device, reservation and compilation methods."""

    def _open_channel(self) -> Any:
        return dial(grpc, self.config)

    def close(self) -> None:
        """Close the channel."""
        self._channel.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def _run(self, call: Unary[_R]) -> _R:
        try:
            resp = call.method(call.request, timeout=call.timeout, metadata=self._metadata)
        except grpc.RpcError as exc:
            raise translate(exc, self.config) from None
        return call.unpack(resp)

    # devices

    def devices(self, *, timeout: float | None = None) -> list[device_pb2.Device]:
        """Return all devices with status, targets, queue depth and slots."""
        return self._run(self._devices_call(timeout))

    def device(self, device_id: str, *, timeout: float | None = None) -> device_pb2.Device:
        """Return one device (by id or target name) with its capabilities.

        Raises:
            DeviceNotFoundError: unknown device.
        """
        return self._run(self._device_call(device_id, timeout))

    def device_status(
        self, device_id: str, *, timeout: float | None = None
    ) -> device_pb2.GetDeviceStatusResponse:
        """Return one device's live status, queue depth and estimated wait."""
        return self._run(self._device_status_call(device_id, timeout))

    # reservations (SPEC §12)

    def reserve(
        self, device_id: str, ttl_seconds: int, purpose: str = "", *, timeout: float | None = None
    ) -> device_pb2.ReserveDeviceResponse:
        """Reserve one slot of a device for ``ttl_seconds`` (1..86400) for the caller's tenant.

        Only jobs submitted with the returned ``reservation_id`` run in that slot.

        Returns:
            ``ReserveDeviceResponse``: ``reservation_id``, ``starts_at``, ``expires_at``,
            ``device_id`` and the ``reservation``.

        Raises:
            DeviceNotFoundError: unknown device.
            NoSlotsError: no slot left to reserve (RESOURCE_EXHAUSTED).
            DeviceOfflineError: the device is offline.
        """
        return self._run(self._reserve_call(device_id, ttl_seconds, purpose, timeout))

    def list_reservations(
        self, include_ended: bool = False, *, timeout: float | None = None
    ) -> list[device_pb2.Reservation]:
        """The caller's (tenant's) reservations, newest first.

        Args:
            include_ended: also the expired and cancelled ones of the last 24 h.
            timeout: deadline of the call in seconds.
        """
        return self._run(self._list_reservations_call(include_ended, timeout))

    def cancel_reservation(
        self, reservation_id: str, *, timeout: float | None = None
    ) -> device_pb2.Reservation:
        """End a reservation now; returns it (state CANCELLED).

        Its slot is freed; jobs still waiting in it end ERROR ``RESERVATION_EXPIRED``.

        Raises:
            NotFoundError: no such reservation of the caller's tenant (``RESERVATION_NOT_FOUND``;
                another tenant's id reads the same).
        """
        return self._run(self._cancel_reservation_call(reservation_id, timeout))

    # compilation

    def compile(
        self,
        program: compilation_pb2.CompileCircuitRequest | JobSpec | ParsedJob,
        *,
        target: str | None = None,
        timeout: float | None = None,
    ) -> compilation_pb2.CompileCircuitResponse:
        """Compile a program to AQO via the API's CompilationService.

        With a target (``target``, else the program's own), the answer's ``isa`` is the circuit
        as that device runs it (SPEC §13), transpiled by the pass manager its driver runs jobs
        with: ``isa.aqo_json`` (AQO over the device's physical qubits), ``initial_layout`` /
        ``final_layout`` (virtual qubit → physical qubit), ``depth``, ``two_qubit_gates``,
        ``gate_counts``, ``active_qubits``. Hybrid programs get no ``isa``.

        Args:
            program: a request, job spec or parsed job.yaml.
            target: device id, target name or alias; overrides the program's target.
            timeout: deadline in seconds (default ``compile_timeout``).

        Raises:
            CompilationFailedError: the program does not compile (``diagnostics`` give line:col).
            TargetNotFoundError: unknown target (the message lists the available ones).
            DeviceOfflineError: the device is not ONLINE.
            FailedPreconditionError: ``CIRCUIT_TOO_LARGE``: wider than the device.
            InvalidArgumentError: ``UNBOUND_PARAMETERS``: bind them with ``inputs``.
            UnimplementedError: ``ISA_NOT_EXPRESSIBLE``: the device's ISA has gates AQO v0.1
                cannot write.
        """
        return self._run(self._compile_call(program, target, timeout))

    def validate(
        self, program: _Validatable, *, timeout: float | None = None
    ) -> compilation_pb2.ValidateCircuitResponse:
        """Validate a program; findings come back as data (``valid``, ``diagnostics``)."""
        return self._run(self._validate_call(program, timeout))

    def optimize(
        self,
        aqo_json: bytes,
        *,
        target: str = "",
        optimization_level: int = 1,
        timeout: float | None = None,
    ) -> compilation_pb2.OptimizeCircuitResponse:
        """Re-optimise canonical AQO JSON at ``optimization_level`` (0..3)."""
        return self._run(self._optimize_call(aqo_json, target, optimization_level, timeout))


class EigenClient(_BlockingBase):
    """Blocking client of the public API (JobService, DeviceService, CompilationService).

    Args:
        endpoint: ``host:port`` (``https://``/``grpcs://`` = TLS); ``None`` =
            :func:`resolve_config`.
        token: bearer token; ``None`` = :func:`resolve_config`.
        timeout: default per-call deadline in seconds.
        compile_timeout: default deadline of compile/validate calls in seconds.
        stream_timeout: deadline of one update-stream connection (it then resumes) and of one
            artifact download, in seconds.
        max_reconnects: consecutive failed stream reconnections before giving up.
        config: a ready :class:`ClientConfig` (overrides ``endpoint``/``token``).

    Raises:
        ConfigError: the config/token/CA file is malformed.

    Use as a context manager or call :meth:`close`.
    """

    def submit_job(
        self, job: Any, *, timeout: float | None = None, **options: Unpack[SubmitOptions]
    ) -> job_pb2.SubmitJobResponse:
        """Submit a job and return the full ``SubmitJobResponse`` (job_id, state, created_at).

        Args:
            job: a ``qiskit.QuantumCircuit``, OpenQASM text, a :class:`JobSpec`, a
                :class:`ParsedJob` or a ``SubmitJobRequest`` (:mod:`eigen_os.submission`).
            timeout: deadline of the call in seconds.
            **options: :class:`SubmitOptions` (``target``, ``name``, ``shots``, ``seed``,
                ``inputs``, ``idempotency_key``, ``reservation_id``); they win over the job's.

        Raises:
            JobSpecError: the job (with the options) is invalid, found before any call.
            ValidationError: request-level problems found by the server (all at once).
            TargetNotFoundError: unknown target (the message lists the available ones).
            NotFoundError: unknown ``reservation_id`` (``RESERVATION_NOT_FOUND``).
            EigenError: any other failure, typed.
            TypeError: ``job`` is none of the accepted kinds.
        """
        return self._run(self._submit_job_call(submit_request(job, **options), timeout))

    def submit(
        self, job: Any, *, timeout: float | None = None, **options: Unpack[SubmitOptions]
    ) -> str:
        """Submit a job (as :meth:`submit_job`) and return its id."""
        return self.submit_job(job, timeout=timeout, **options).job_id

    def submit_many(
        self,
        jobs: Iterable[Any],
        *,
        window: int = 32,
        timeout: float | None = None,
        **options: Unpack[SubmitOptions],
    ) -> list[str]:
        """Submit several jobs with up to ``window`` SubmitJob calls in flight; ids in order.

        A burst from one client: the calls overlap instead of waiting one round trip each
        (issue 9: 200 jobs). Every job is checked (:func:`~eigen_os.submission.submit_request`)
        before the first call, so a bad job.yaml submits nothing. ``options`` apply to every
        job (an ``idempotency_key`` would make them one job: leave it out).

        Raises:
            JobSpecError: a job (with the options) is invalid; nothing was submitted.
            ValueError: ``window`` < 1.
            EigenError: the first call that failed, typed, after the calls in flight ended;
                jobs accepted before it stay submitted (``list_jobs`` shows them).
        """
        if window < 1:
            raise ValueError("window must be at least 1")
        requests = [submit_request(job, **options) for job in jobs]
        t = self._t(timeout)
        in_flight: deque[Any] = deque()
        ids: list[str] = []
        failure: grpc.RpcError | None = None

        def settle() -> None:
            nonlocal failure
            try:
                ids.append(in_flight.popleft().result().job_id)
            except grpc.RpcError as exc:
                failure = failure or exc

        for req in requests:
            if failure is not None:
                break
            if len(in_flight) >= window:
                settle()
            in_flight.append(self._jobs.SubmitJob.future(req, timeout=t, metadata=self._metadata))
        while in_flight:
            settle()
        if failure is not None:
            raise translate(failure, self.config) from None
        return ids

    def status(self, job_id: str, *, timeout: float | None = None) -> Job:
        """Return the job's current state as a :class:`Job`: where it waits and why, too.

        Raises:
            JobNotFoundError: no such job (or not visible to the caller).
        """
        return self._run(self._status_call(job_id, timeout))

    def cancel(
        self, job_id: str, reason: str = "", *, timeout: float | None = None
    ) -> job_pb2.CancelJobResponse:
        """Cancel a non-terminal job; returns ``CancelJobResponse`` (job_id, state).

        Raises:
            JobNotFoundError: no such job.
            JobAlreadyTerminalError: the job already finished.
        """
        return self._run(self._cancel_call(job_id, reason, timeout))

    def results(self, job_id: str, *, timeout: float | None = None) -> JobResult:
        """Return the results of a terminal job as a :class:`JobResult` (message: ``.proto``).

        Counts, metadata, a hybrid job's optimisation, a sweep's per-binding results, the
        artifacts, or the error fields of a job that did not end DONE. Right after
        :meth:`wait` (or a stream with ``include_results``) the results that came with the
        terminal event are returned without a call.

        Raises:
            ResultsNotReadyError: the job has not finished yet.
            JobNotFoundError: no such job.
        """
        delivered = self._delivered.take(job_id)
        if delivered is not None:
            return delivered
        return self._run(self._results_call(job_id, timeout))

    def list_jobs_page(
        self,
        states: Iterable[str | int] | None = None,
        *,
        page_size: int = 50,
        page_token: str = "",
        timeout: float | None = None,
    ) -> job_pb2.ListJobsResponse:
        """Return one page of the caller's jobs, newest first (``page_size`` 1..1000)."""
        return self._run(self._list_jobs_page_call(states, page_size, page_token, timeout))

    def list_jobs(
        self,
        states: Iterable[str | int] | None = None,
        *,
        limit: int | None = None,
        page_size: int = 100,
        timeout: float | None = None,
    ) -> Iterator[Job]:
        """Iterate over the caller's jobs (:class:`Job`), newest first, fetching pages as needed.

        Args:
            states: only jobs in these states (names like ``"done"`` or ``JobStatus`` values).
            limit: stop after this many jobs; ``None`` = all.
            page_size: jobs per request.
            timeout: deadline per page request, in seconds.

        Raises:
            InvalidArgumentError: an unknown state name.
        """
        pager = JobPager(states, limit, page_size)
        while not pager.done:
            page = self.list_jobs_page(
                pager.states, page_size=pager.next_size(), page_token=pager.token, timeout=timeout
            )
            yield from pager.take(page)

    def stream_updates(
        self,
        job_id: str,
        last_event_seq: int = 0,
        *,
        timeout: float | None = None,
        include_heartbeats: bool = False,
        include_results: bool = False,
    ) -> Iterator[JobEvent]:
        """Iterate over the job's events (:class:`JobEvent`) in order, ending after the terminal.

        If the stream breaks with UNAVAILABLE (server restart, network blip) it is resumed from
        the last ``event_seq`` seen, with exponential backoff, so each event is delivered once.

        Args:
            job_id: the job.
            last_event_seq: only events after this one; 0 = from the start.
            timeout: overall limit in seconds; ``None`` = until the terminal event.
            include_heartbeats: also yield heartbeats (``heartbeat=True``; they carry the queue
                place and wait while the job waits).
            include_results: ask for the results with the terminal event (its ``results``;
                ``None`` when the server did not attach them).

        Raises:
            WaitTimeoutError: ``timeout`` passed before the terminal event.
            JobNotFoundError: no such job.
            ConnectionFailedError: the server stayed unreachable for ``max_reconnects`` attempts.
        """
        cur = self._cursor(job_id, last_event_seq, timeout, include_results)
        while True:
            call = self._open_stream(cur)
            error: grpc.RpcError | None = None
            try:
                for msg in call:
                    event = cur.accept(msg, include_heartbeats, self._delivered)
                    if event is not None:
                        yield event
                        if event.terminal:
                            return
            except grpc.RpcError as exc:
                error = exc
            finally:
                call.cancel()
            if error is None and self.status(job_id).state in TERMINAL_STATES:
                return  # closed cleanly after the terminal event we had already seen
            delay = cur.on_failure(error, self.config)
            if delay:
                time.sleep(delay)

    def wait(self, job_id: str, timeout: float | None = None) -> Job:
        """Block until the job is terminal (following the event stream); return the :class:`Job`.

        The results come with the terminal event, so a following :meth:`results` makes no
        call (a server that does not attach them is asked by :meth:`results` as usual).

        Raises:
            WaitTimeoutError: ``timeout`` seconds passed first (the job keeps running).
            JobNotFoundError: no such job.
        """
        for _ in self.stream_updates(job_id, timeout=timeout, include_results=True):
            pass
        return self.status(job_id)

    # artifacts (SPEC §15)

    def artifacts(self, job_id: str, *, timeout: float | None = None) -> tuple[ArtifactRef, ...]:
        """The artifacts of a terminal job (names for :meth:`get_artifact`, sizes, media types).

        Raises:
            ResultsNotReadyError: the job has not finished yet.
            JobNotFoundError: no such job.
        """
        return self.results(job_id, timeout=timeout).artifacts

    def stream_artifact(
        self, job_id: str, name: str, *, timeout: float | None = None
    ) -> Iterator[job_pb2.GetJobArtifactResponse]:
        """Iterate over one artifact's chunks (at most 1 MiB each, in order).

        The first chunk carries ``content_type`` and ``total_bytes``.

        Args:
            job_id: the job (of the caller's tenant).
            name: ``results.json``, ``error.json``, ``history.json``, ``state.npy``, ... or
                the full ``qfs://jobs/<job_id>/<name>`` reference the API returned.
            timeout: deadline of the whole download in seconds (default ``stream_timeout``).

        Raises:
            NotFoundError: no such job or artifact (``ARTIFACT_NOT_FOUND``).
            ArtifactIncompleteError: the stream ended short of ``total_bytes``.
        """
        check = ArtifactCheck(job_id, name)
        call = self._open_artifact(job_id, name, timeout)
        try:
            for chunk in call:
                check.see(chunk)
                yield chunk
        except grpc.RpcError as exc:
            raise translate(exc, self.config) from None
        finally:
            call.cancel()
        check.finish()

    def get_artifact(self, job_id: str, name: str, *, timeout: float | None = None) -> bytes:
        """The bytes of one artifact (see :meth:`stream_artifact` for names and errors)."""
        return b"".join(c.chunk for c in self.stream_artifact(job_id, name, timeout=timeout))


# --- asyncio client --------------------------------------------------------------------------


class AsyncEigenClient(_ClientBase):
    """``grpc.aio`` client with the same methods as :class:`EigenClient` (coroutines).

    :meth:`stream_updates`, :meth:`list_jobs` and :meth:`stream_artifact` are async iterators.
    Create it inside a running event loop; use ``async with`` or ``await client.close()``.
    """

    def _open_channel(self) -> Any:
        return dial(grpc.aio, self.config)

    async def close(self) -> None:
        """Close the channel."""
        await self._channel.close(None)

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def _run(self, call: Unary[_R]) -> _R:
        try:
            resp = await call.method(call.request, timeout=call.timeout, metadata=self._metadata)
        except grpc.RpcError as exc:
            raise translate(exc, self.config) from None
        return call.unpack(resp)

    async def submit_job(
        self, job: Any, *, timeout: float | None = None, **options: Unpack[SubmitOptions]
    ) -> job_pb2.SubmitJobResponse:
        """See :meth:`EigenClient.submit_job`."""
        return await self._run(self._submit_job_call(submit_request(job, **options), timeout))

    async def submit(
        self, job: Any, *, timeout: float | None = None, **options: Unpack[SubmitOptions]
    ) -> str:
        """See :meth:`EigenClient.submit`."""
        return (await self.submit_job(job, timeout=timeout, **options)).job_id

    async def status(self, job_id: str, *, timeout: float | None = None) -> Job:
        """See :meth:`EigenClient.status`."""
        return await self._run(self._status_call(job_id, timeout))

    async def cancel(
        self, job_id: str, reason: str = "", *, timeout: float | None = None
    ) -> job_pb2.CancelJobResponse:
        """See :meth:`EigenClient.cancel`."""
        return await self._run(self._cancel_call(job_id, reason, timeout))

    async def results(self, job_id: str, *, timeout: float | None = None) -> JobResult:
        """See :meth:`EigenClient.results`."""
        delivered = self._delivered.take(job_id)
        if delivered is not None:
            return delivered
        return await self._run(self._results_call(job_id, timeout))

    async def list_jobs_page(
        self,
        states: Iterable[str | int] | None = None,
        *,
        page_size: int = 50,
        page_token: str = "",
        timeout: float | None = None,
    ) -> job_pb2.ListJobsResponse:
        """See :meth:`EigenClient.list_jobs_page`."""
        return await self._run(self._list_jobs_page_call(states, page_size, page_token, timeout))

    async def list_jobs(
        self,
        states: Iterable[str | int] | None = None,
        *,
        limit: int | None = None,
        page_size: int = 100,
        timeout: float | None = None,
    ) -> AsyncIterator[Job]:
        """See :meth:`EigenClient.list_jobs` (an async iterator)."""
        pager = JobPager(states, limit, page_size)
        while not pager.done:
            page = await self.list_jobs_page(
                pager.states, page_size=pager.next_size(), page_token=pager.token, timeout=timeout
            )
            for job in pager.take(page):
                yield job

    async def stream_updates(
        self,
        job_id: str,
        last_event_seq: int = 0,
        *,
        timeout: float | None = None,
        include_heartbeats: bool = False,
        include_results: bool = False,
    ) -> AsyncIterator[JobEvent]:
        """See :meth:`EigenClient.stream_updates` (an async iterator; resumes on UNAVAILABLE)."""
        cur = self._cursor(job_id, last_event_seq, timeout, include_results)
        while True:
            call = self._open_stream(cur)
            error: grpc.RpcError | None = None
            try:
                async for msg in call:
                    event = cur.accept(msg, include_heartbeats, self._delivered)
                    if event is not None:
                        yield event
                        if event.terminal:
                            return
            except grpc.RpcError as exc:
                error = exc
            finally:
                call.cancel()
            if error is None and (await self.status(job_id)).state in TERMINAL_STATES:
                return  # closed cleanly after the terminal event we had already seen
            delay = cur.on_failure(error, self.config)
            if delay:
                await asyncio.sleep(delay)

    async def wait(self, job_id: str, timeout: float | None = None) -> Job:
        """See :meth:`EigenClient.wait`."""
        async for _ in self.stream_updates(job_id, timeout=timeout, include_results=True):
            pass
        return await self.status(job_id)

    async def artifacts(
        self, job_id: str, *, timeout: float | None = None
    ) -> tuple[ArtifactRef, ...]:
        """See :meth:`EigenClient.artifacts`."""
        return (await self.results(job_id, timeout=timeout)).artifacts

    async def stream_artifact(
        self, job_id: str, name: str, *, timeout: float | None = None
    ) -> AsyncIterator[job_pb2.GetJobArtifactResponse]:
        """See :meth:`EigenClient.stream_artifact` (an async iterator)."""
        check = ArtifactCheck(job_id, name)
        call = self._open_artifact(job_id, name, timeout)
        try:
            async for chunk in call:
                check.see(chunk)
                yield chunk
        except grpc.RpcError as exc:
            raise translate(exc, self.config) from None
        finally:
            call.cancel()
        check.finish()

    async def get_artifact(self, job_id: str, name: str, *, timeout: float | None = None) -> bytes:
        """See :meth:`EigenClient.get_artifact`."""
        parts = [c.chunk async for c in self.stream_artifact(job_id, name, timeout=timeout)]
        return b"".join(parts)

    async def devices(self, *, timeout: float | None = None) -> list[device_pb2.Device]:
        """See :meth:`EigenClient.devices`."""
        return await self._run(self._devices_call(timeout))

    async def device(self, device_id: str, *, timeout: float | None = None) -> device_pb2.Device:
        """See :meth:`EigenClient.device`."""
        return await self._run(self._device_call(device_id, timeout))

    async def device_status(
        self, device_id: str, *, timeout: float | None = None
    ) -> device_pb2.GetDeviceStatusResponse:
        """See :meth:`EigenClient.device_status`."""
        return await self._run(self._device_status_call(device_id, timeout))

    async def reserve(
        self, device_id: str, ttl_seconds: int, purpose: str = "", *, timeout: float | None = None
    ) -> device_pb2.ReserveDeviceResponse:
        """See :meth:`EigenClient.reserve`."""
        return await self._run(self._reserve_call(device_id, ttl_seconds, purpose, timeout))

    async def list_reservations(
        self, include_ended: bool = False, *, timeout: float | None = None
    ) -> list[device_pb2.Reservation]:
        """See :meth:`EigenClient.list_reservations`."""
        return await self._run(self._list_reservations_call(include_ended, timeout))

    async def cancel_reservation(
        self, reservation_id: str, *, timeout: float | None = None
    ) -> device_pb2.Reservation:
        """See :meth:`EigenClient.cancel_reservation`."""
        return await self._run(self._cancel_reservation_call(reservation_id, timeout))

    async def compile(
        self,
        program: compilation_pb2.CompileCircuitRequest | JobSpec | ParsedJob,
        *,
        target: str | None = None,
        timeout: float | None = None,
    ) -> compilation_pb2.CompileCircuitResponse:
        """See :meth:`EigenClient.compile`."""
        return await self._run(self._compile_call(program, target, timeout))

    async def validate(
        self, program: _Validatable, *, timeout: float | None = None
    ) -> compilation_pb2.ValidateCircuitResponse:
        """See :meth:`EigenClient.validate`."""
        return await self._run(self._validate_call(program, timeout))

    async def optimize(
        self,
        aqo_json: bytes,
        *,
        target: str = "",
        optimization_level: int = 1,
        timeout: float | None = None,
    ) -> compilation_pb2.OptimizeCircuitResponse:
        """See :meth:`EigenClient.optimize`."""
        return await self._run(self._optimize_call(aqo_json, target, optimization_level, timeout))


__all__ = [
    "DEFAULT_ENDPOINT",
    "DEFAULT_TIMEOUT",
    "TERMINAL_STATES",
    "ArtifactIncompleteError",
    "AsyncEigenClient",
    "ClientConfig",
    "ConfigError",
    "ConnectionFailedError",
    "EigenClient",
    "SubmitOptions",
    "WaitTimeoutError",
    "compile_request",
    "parse_state",
    "resolve_config",
    "state_name",
]
