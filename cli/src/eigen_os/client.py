"""Python SDK over the public Eigen OS API (``eigen.api.v1``); the ``eigen`` CLI is built on it.

Two clients with the same methods: :class:`EigenClient` (blocking, ``grpc`` channel) and
:class:`AsyncEigenClient` (``grpc.aio``; methods are coroutines, streams are async iterators)::

    from eigen_os import EigenClient, load_jobspec

    with EigenClient() as client:                       # endpoint/token: see resolve_config()
        job_id = client.submit(load_jobspec("examples/bell/job.yaml").spec)
        job = client.wait(job_id, timeout=120)          # follows the event stream, no polling
        print(job.state, client.results(job_id).get_counts())

    job_id = client.submit(qc, target="sim:local", shots=1000, seed=7)  # a QuantumCircuit

Conventions:

- Jobs, events and results come back typed (:mod:`eigen_os.results`: :class:`Job`,
  :class:`JobEvent`, :class:`JobResult`, :class:`JobStatus`), each with its message in
  ``.proto``. Devices, reservations and compile responses are returned as their messages.

- Every call has a deadline: ``timeout`` (seconds) per call, defaulting to the client's
  ``timeout``. Streams use ``stream_timeout`` per connection and reconnect when it passes.
- Every gRPC failure is raised as the typed :mod:`eigen_common.errors` error rebuilt by
  :func:`~eigen_common.errors.from_rpc_error` (``JobNotFoundError``, ``ValidationError``, ...).
  A server that cannot be reached raises :class:`ConnectionFailedError` (UNAVAILABLE).
- Authentication: ``authorization: Bearer <token>`` metadata on every call when a token is known.
"""

from __future__ import annotations

import abc
import asyncio
import json
import time
import tomllib
from collections.abc import AsyncIterator, Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any, Generic, Self, TypedDict, TypeVar, Unpack

import grpc
from grpc_status import rpc_status

from eigen.api.v1 import (
    common_pb2,
    compilation_pb2,
    compilation_pb2_grpc,
    device_pb2,
    device_pb2_grpc,
    job_pb2,
    job_pb2_grpc,
)
from eigen_common.errors import (
    DeadlineExceededError,
    EigenError,
    InvalidArgumentError,
    ServiceUnavailableError,
    UnavailableError,
)
from eigen_common.status import from_rpc_error
from eigen_os import paths
from eigen_os.jobspec import JobSpec, ParsedJob, validate_request_from_compile
from eigen_os.results import Job, JobEvent, JobResult
from eigen_os.submission import submit_request

DEFAULT_ENDPOINT = "127.0.0.1:50051"
#: Default per-call deadline, in seconds.
DEFAULT_TIMEOUT = 30.0
#: Default deadline for compile/validate calls, in seconds (transpiling can take a while).
DEFAULT_COMPILE_TIMEOUT = 120.0
#: Default deadline of one StreamJobUpdates connection, in seconds; the stream resumes after it.
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


class ConnectionFailedError(ServiceUnavailableError):
    """The Eigen API endpoint cannot be reached (connection refused, DNS, TLS, ...)."""

    reason = "CONNECTION_FAILED"


class ConfigError(InvalidArgumentError):
    """The client configuration (config.toml, token file) is unreadable or malformed."""

    reason = "INVALID_CLIENT_CONFIG"


class WaitTimeoutError(DeadlineExceededError):
    """:meth:`EigenClient.wait` gave up before the job reached a terminal state.

    The job itself continues; ``job_id`` and ``last_update`` (:class:`JobEvent` or ``None``)
    tell where it was.
    """

    reason = "WAIT_TIMEOUT"

    def __init__(self, job_id: str, timeout: float, last_update: JobEvent | None):
        state = state_name(last_update.state) if last_update is not None else "unknown"
        super().__init__(
            f"job {job_id} did not finish within {timeout:g}s (last state {state}); "
            "it keeps running"
        )
        self.job_id = job_id
        self.last_update = last_update


class SubmitOptions(TypedDict, total=False):
    """Keyword options of :meth:`EigenClient.submit` (all optional; they win over the job's).

    ``target``: target name or device id; ``name``: job name; ``shots``; ``seed``: simulator
    seed; ``inputs``: parameter bindings (for a circuit keyed by ``Parameter`` or its name);
    ``idempotency_key``: resubmitting with it returns the same job; ``reservation_id``.
    """

    target: str
    name: str
    shots: int
    seed: int
    inputs: Mapping[Any, float]
    idempotency_key: str
    reservation_id: str


# --- configuration ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ClientConfig:
    """Where to connect and how to authenticate.

    Attributes:
        endpoint: ``host:port`` (a ``https://`` or ``grpcs://`` prefix selects TLS).
        token: bearer token, or ``None`` to send no credentials.
        endpoint_source: where the endpoint came from (for messages).
        token_source: where the token came from (for messages; the token itself is never shown).
    """

    endpoint: str
    token: str | None
    endpoint_source: str = "default"
    token_source: str = "none"

    @property
    def target(self) -> str:
        """The ``host:port`` to dial (scheme removed)."""
        for prefix in ("https://", "grpcs://", "http://", "grpc://"):
            if self.endpoint.startswith(prefix):
                return self.endpoint[len(prefix) :].rstrip("/")
        return self.endpoint

    @property
    def tls(self) -> bool:
        """True when the endpoint asks for TLS (``https://`` / ``grpcs://``)."""
        return self.endpoint.startswith(("https://", "grpcs://"))


def _read_config_file(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except FileNotFoundError:
        return {}
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"cannot read config file {path}: {exc}") from None
    for key in ("endpoint", "token"):
        if key in data and not isinstance(data[key], str):
            raise ConfigError(f"config file {path}: `{key}` must be a string")
    return data


def _read_token_file(path: Path) -> str | None:
    try:
        token = path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read token file {path}: {exc}") from None
    return token or None


def _stack_endpoint(home: Path) -> str | None:
    """Endpoint recorded by ``eigen up`` in ``$EIGEN_HOME/stack.json`` (custom ports)."""
    try:
        data = json.loads((home / paths.STACK_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    ep = data.get("endpoint") if isinstance(data, dict) else None
    return ep if isinstance(ep, str) and ep else None


def resolve_config(
    endpoint: str | None = None,
    token: str | None = None,
    *,
    env: Mapping[str, str] | None = None,
) -> ClientConfig:
    """Resolve endpoint and token: arguments > env > config file > local stack > defaults.

    - ``endpoint``: argument, ``$EIGEN_ENDPOINT``, ``endpoint`` in the config file
      (:func:`eigen_os.paths.config_file`), the endpoint ``eigen up`` recorded in
      ``$EIGEN_HOME/stack.json``, else ``127.0.0.1:50051``.
    - ``token``: argument, ``$EIGEN_TOKEN``, ``token`` in the config file, the local stack's
      ``$EIGEN_HOME/token``, else none.

    Raises:
        ConfigError: the config or token file exists but cannot be read or parsed.
    """
    e = paths.environ() if env is None else env
    cfg_path = paths.config_file(e)
    file_cfg: dict[str, Any] | None = None

    def file_value(key: str) -> str | None:
        nonlocal file_cfg
        if file_cfg is None:
            file_cfg = _read_config_file(cfg_path)
        v = file_cfg.get(key)
        return v if isinstance(v, str) and v else None

    home = paths.eigen_home(e)
    if endpoint:
        ep, ep_src = endpoint, "--endpoint"
    elif e.get("EIGEN_ENDPOINT"):
        ep, ep_src = e["EIGEN_ENDPOINT"], "EIGEN_ENDPOINT"
    elif (v := file_value("endpoint")) is not None:
        ep, ep_src = v, str(cfg_path)
    elif (v := _stack_endpoint(home)) is not None:
        ep, ep_src = v, str(home / paths.STACK_FILE)
    else:
        ep, ep_src = DEFAULT_ENDPOINT, "default"

    tok: str | None
    if token:
        tok, tok_src = token, "--token"
    elif e.get("EIGEN_TOKEN"):
        tok, tok_src = e["EIGEN_TOKEN"], "EIGEN_TOKEN"
    elif (v := file_value("token")) is not None:
        tok, tok_src = v, str(cfg_path)
    elif (v := _read_token_file(home / paths.TOKEN_FILE)) is not None:
        tok, tok_src = v, str(home / paths.TOKEN_FILE)
    else:
        tok, tok_src = None, "none"
    return ClientConfig(ep, tok, ep_src, tok_src)


# --- helpers shared by both clients ----------------------------------------------------------


def state_name(state: int) -> str:
    """``JOB_STATUS_DONE`` → ``DONE`` (unknown numbers → ``UNKNOWN(n)``)."""
    try:
        return job_pb2.JobStatus.Name(state).removeprefix("JOB_STATUS_")
    except ValueError:
        return f"UNKNOWN({state})"


def parse_state(value: str | int) -> int:
    """``"done"``, ``"DONE"``, ``"JOB_STATUS_DONE"`` or ``4`` → ``JOB_STATUS_DONE``.

    Raises:
        InvalidArgumentError: not a job state.
    """
    if isinstance(value, int):
        if value in job_pb2.JobStatus.values() and value != 0:
            return value
        raise InvalidArgumentError(f"unknown job state {value}")
    name = value.strip().upper().replace("-", "_")
    if not name.startswith("JOB_STATUS_"):
        name = "JOB_STATUS_" + name
    if name == "JOB_STATUS_UNSPECIFIED" or name not in job_pb2.JobStatus.keys():  # noqa: SIM118
        choices = ", ".join(state_name(v) for v in job_pb2.JobStatus.values() if v)
        raise InvalidArgumentError(f"unknown job state {value!r} (one of {choices})")
    return int(job_pb2.JobStatus.Value(name))


def _has_rich_status(exc: grpc.RpcError) -> bool:
    try:
        return rpc_status.from_call(exc) is not None  # type: ignore[arg-type]
    except (ValueError, AttributeError):
        return False


def _translate(exc: grpc.RpcError, endpoint: str) -> EigenError:
    """Typed error for a failed call; connection failures name the endpoint."""
    err = from_rpc_error(exc)
    if isinstance(err, UnavailableError) and not _has_rich_status(exc):
        details = exc.details() if hasattr(exc, "details") else ""
        return ConnectionFailedError(f"cannot reach the Eigen API at {endpoint}: {details}")
    return err


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
) -> compilation_pb2.CompileCircuitRequest:
    if isinstance(program, ParsedJob):
        program = program.spec
    if isinstance(program, JobSpec):
        return program.to_compile_request()
    return program


def _validate_request(
    program: compilation_pb2.ValidateCircuitRequest
    | compilation_pb2.CompileCircuitRequest
    | JobSpec
    | ParsedJob,
) -> compilation_pb2.ValidateCircuitRequest:
    if isinstance(program, ParsedJob):
        program = program.spec
    if isinstance(program, JobSpec):
        return program.to_validate_request()
    if isinstance(program, compilation_pb2.CompileCircuitRequest):
        return validate_request_from_compile(program)
    return program


def _list_request(
    states: Iterable[str | int] | None, page_size: int, page_token: str
) -> job_pb2.ListJobsRequest:
    return job_pb2.ListJobsRequest(
        states=[parse_state(s) for s in states or ()],  # type: ignore[misc]
        page_size=page_size,
        page_token=page_token,
    )


def _channel_options() -> list[tuple[str, Any]]:
    return [
        ("grpc.max_receive_message_length", 64 * 1024 * 1024),
        ("grpc.max_send_message_length", 16 * 1024 * 1024),
        ("grpc.primary_user_agent", "eigen-cli/0.1"),
    ]


def _backoff(failures: int) -> float:
    return float(min(0.1 * 2 ** (failures - 1), 5.0))


class _StreamCursor:
    """Resume bookkeeping shared by the sync and async streams.

    Tracks the last delivered ``event_seq`` (duplicates after a resume are dropped), consecutive
    connection failures and the overall deadline.
    """

    def __init__(
        self,
        job_id: str,
        last_event_seq: int,
        timeout: float | None,
        stream_timeout: float,
        max_reconnects: int,
    ) -> None:
        self.job_id = job_id
        self.last_seq = last_event_seq
        self.timeout = timeout
        self.deadline = None if timeout is None else time.monotonic() + timeout
        self.stream_timeout = stream_timeout
        self.max_reconnects = max_reconnects
        self.failures = 0
        self.last_update: JobEvent | None = None

    def request(self) -> job_pb2.StreamJobUpdatesRequest:
        return job_pb2.StreamJobUpdatesRequest(job_id=self.job_id, last_event_seq=self.last_seq)

    def call_timeout(self) -> float:
        if self.deadline is None:
            return self.stream_timeout
        return max(0.001, min(self.stream_timeout, self.deadline - time.monotonic()))

    def expired(self) -> bool:
        return self.deadline is not None and time.monotonic() >= self.deadline

    def accept(self, update: job_pb2.JobUpdate, include_heartbeats: bool) -> JobEvent | None:
        """Record ``update``; return it typed when it should be delivered, else ``None``."""
        self.failures = 0
        if update.heartbeat:
            return JobEvent.from_proto(update) if include_heartbeats else None
        if update.event_seq and update.event_seq <= self.last_seq:
            return None
        if update.event_seq:
            self.last_seq = update.event_seq
        self.last_update = JobEvent.from_proto(update)
        return self.last_update

    def timed_out_error(self) -> DeadlineExceededError:
        return WaitTimeoutError(self.job_id, self.timeout or 0.0, self.last_update)

    def on_failure(self, exc: grpc.RpcError | None, endpoint: str) -> float:
        """Decide after a broken/ended stream: return the delay before resuming, or raise.

        Resumes on UNAVAILABLE (bounded by ``max_reconnects`` in a row), on a stream that ended
        without a terminal event, and on the per-connection deadline; anything else is raised.
        """
        if self.expired():
            raise self.timed_out_error()
        code = exc.code() if exc is not None else None
        if code == grpc.StatusCode.DEADLINE_EXCEEDED:
            return 0.0  # per-connection deadline: reconnect at once
        if exc is not None and code != grpc.StatusCode.UNAVAILABLE:
            raise _translate(exc, endpoint) from None
        self.failures += 1
        if self.failures > self.max_reconnects:
            if exc is not None:
                raise _translate(exc, endpoint) from None
            raise ServiceUnavailableError(
                f"the update stream for job {self.job_id} keeps closing without a terminal event"
            )
        delay = _backoff(self.failures)
        if self.deadline is not None:
            delay = min(delay, max(0.0, self.deadline - time.monotonic()))
        return delay


class _JobPager:
    """Paging bookkeeping shared by the sync and async :meth:`EigenClient.list_jobs`.

    Asks for at most the jobs still wanted (``limit``; ``None`` = all) and stops after ``limit``
    jobs, the last page (no ``next_page_token``) or an empty page.
    """

    def __init__(self, states: Iterable[str | int] | None, limit: int | None, page_size: int):
        self.states = [parse_state(s) for s in states or ()]
        self.limit = limit
        self.page_size = page_size
        self.token = ""
        self.seen = 0
        self.done = False

    def next_size(self) -> int:
        """``page_size`` of the next request."""
        if self.limit is None:
            return self.page_size
        return max(1, min(self.page_size, self.limit - self.seen))

    def take(self, page: job_pb2.ListJobsResponse) -> list[Job]:
        """Record ``page``; return its jobs to deliver (cut at ``limit``)."""
        jobs: list[Job] = []
        for job in page.jobs:
            jobs.append(Job.from_proto(job))
            self.seen += 1
            if self.limit is not None and self.seen >= self.limit:
                self.done = True
                return jobs
        self.token = page.next_page_token
        self.done = not self.token or not page.jobs
        return jobs


_R = TypeVar("_R")


def _as_is(resp: Any) -> Any:
    return resp


@dataclass(frozen=True)
class _Unary(Generic[_R]):
    """One unary call, built once for both clients.

    ``method`` is the stub's method, ``timeout`` the deadline in seconds, and ``unpack`` turns the
    response into what the public method returns.
    """

    method: Any
    request: Any
    timeout: float
    unpack: Callable[[Any], _R] = _as_is


def _job_of(resp: job_pb2.GetJobStatusResponse) -> Job:
    return Job.from_proto(resp.job)


def _dial(api: Any, config: ClientConfig) -> Any:
    """Open a channel to ``config.target`` with ``api`` (``grpc`` or ``grpc.aio``), TLS if asked."""
    if config.tls:
        return api.secure_channel(
            config.target, grpc.ssl_channel_credentials(), options=_channel_options()
        )
    return api.insecure_channel(config.target, options=_channel_options())


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

    def _t(self, timeout: float | None) -> float:
        return self.timeout if timeout is None else timeout

    def _compile_t(self, timeout: float | None) -> float:
        return self.compile_timeout if timeout is None else timeout

    def _open_stream(self, cur: _StreamCursor) -> Any:
        """Open one ``StreamJobUpdates`` connection, resuming after ``cur``'s last event."""
        return self._jobs.StreamJobUpdates(
            cur.request(), timeout=cur.call_timeout(), metadata=self._metadata
        )

    # jobs

    def _submit_job_call(
        self, req: job_pb2.SubmitJobRequest, timeout: float | None
    ) -> _Unary[job_pb2.SubmitJobResponse]:
        return _Unary(self._jobs.SubmitJob, req, self._t(timeout))

    def _status_call(self, job_id: str, timeout: float | None) -> _Unary[Job]:
        req = job_pb2.GetJobStatusRequest(job_id=job_id)
        return _Unary(self._jobs.GetJobStatus, req, self._t(timeout), _job_of)

    def _cancel_call(
        self, job_id: str, reason: str, timeout: float | None
    ) -> _Unary[job_pb2.CancelJobResponse]:
        req = job_pb2.CancelJobRequest(job_id=job_id, reason=reason)
        return _Unary(self._jobs.CancelJob, req, self._t(timeout))

    def _results_call(self, job_id: str, timeout: float | None) -> _Unary[JobResult]:
        req = job_pb2.GetJobResultsRequest(job_id=job_id)
        return _Unary(self._jobs.GetJobResults, req, self._t(timeout), JobResult.from_proto)

    def _list_jobs_page_call(
        self,
        states: Iterable[str | int] | None,
        page_size: int,
        page_token: str,
        timeout: float | None,
    ) -> _Unary[job_pb2.ListJobsResponse]:
        req = _list_request(states, page_size, page_token)
        return _Unary(self._jobs.ListJobs, req, self._t(timeout))

    # devices

    def _devices_call(self, timeout: float | None) -> _Unary[list[device_pb2.Device]]:
        req = device_pb2.ListDevicesRequest()
        return _Unary(self._devices.ListDevices, req, self._t(timeout), lambda r: list(r.devices))

    def _device_call(self, device_id: str, timeout: float | None) -> _Unary[device_pb2.Device]:
        req = device_pb2.GetDeviceDetailsRequest(device_id=device_id)
        return _Unary(self._devices.GetDeviceDetails, req, self._t(timeout), lambda r: r.device)

    def _device_status_call(
        self, device_id: str, timeout: float | None
    ) -> _Unary[device_pb2.GetDeviceStatusResponse]:
        req = device_pb2.GetDeviceStatusRequest(device_id=device_id)
        return _Unary(self._devices.GetDeviceStatus, req, self._t(timeout))

    def _reserve_call(
        self, device_id: str, ttl_seconds: int, purpose: str, timeout: float | None
    ) -> _Unary[device_pb2.ReserveDeviceResponse]:
        req = device_pb2.ReserveDeviceRequest(
            device_id=device_id, ttl_seconds=ttl_seconds, purpose=purpose
        )
        return _Unary(self._devices.ReserveDevice, req, self._t(timeout))

    # compilation (default deadline: compile_timeout)

    def _compile_call(
        self,
        program: compilation_pb2.CompileCircuitRequest | JobSpec | ParsedJob,
        timeout: float | None,
    ) -> _Unary[compilation_pb2.CompileCircuitResponse]:
        t = self._compile_t(timeout)
        return _Unary(self._compiler.CompileCircuit, _compile_request(program), t)

    def _validate_call(
        self,
        program: compilation_pb2.ValidateCircuitRequest
        | compilation_pb2.CompileCircuitRequest
        | JobSpec
        | ParsedJob,
        timeout: float | None,
    ) -> _Unary[compilation_pb2.ValidateCircuitResponse]:
        t = self._compile_t(timeout)
        return _Unary(self._compiler.ValidateCircuit, _validate_request(program), t)

    def _optimize_call(
        self, aqo_json: bytes, target: str, optimization_level: int, timeout: float | None
    ) -> _Unary[compilation_pb2.OptimizeCircuitResponse]:
        t = self._compile_t(timeout)
        req = compilation_pb2.OptimizeCircuitRequest(
            aqo_json=aqo_json, target=target, optimization_level=optimization_level
        )
        return _Unary(self._compiler.OptimizeCircuit, req, t)


# --- blocking client -------------------------------------------------------------------------


class EigenClient(_ClientBase):
    """Blocking client of the public API (JobService, DeviceService, CompilationService).

    Args:
        endpoint: ``host:port``; ``None`` = :func:`resolve_config`.
        token: bearer token; ``None`` = :func:`resolve_config`.
        timeout: default per-call deadline in seconds.
        compile_timeout: default deadline of compile/validate calls in seconds.
        stream_timeout: deadline of one update-stream connection in seconds (it then resumes).
        max_reconnects: consecutive failed stream reconnections before giving up.
        config: a ready :class:`ClientConfig` (overrides ``endpoint``/``token``).

    Raises:
        ConfigError: the config/token file is malformed.

    Use as a context manager or call :meth:`close`.
    """

    def _open_channel(self) -> Any:
        return _dial(grpc, self.config)

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

    def _run(self, call: _Unary[_R]) -> _R:
        try:
            resp = call.method(call.request, timeout=call.timeout, metadata=self._metadata)
        except grpc.RpcError as exc:
            raise _translate(exc, self.endpoint) from None
        return call.unpack(resp)

    # jobs

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
            EigenError: any other failure, typed.
            TypeError: ``job`` is none of the accepted kinds.
        """
        return self._run(self._submit_job_call(submit_request(job, **options), timeout))

    def submit(
        self, job: Any, *, timeout: float | None = None, **options: Unpack[SubmitOptions]
    ) -> str:
        """Submit a job (as :meth:`submit_job`) and return its id.

        Raises:
            EigenError: typed, as :meth:`submit_job`.
        """
        return self.submit_job(job, timeout=timeout, **options).job_id

    def status(self, job_id: str, *, timeout: float | None = None) -> Job:
        """Return the job's current state as a :class:`Job` (the message is ``.proto``).

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

        Counts, metadata, a hybrid job's optimisation, a sweep's per-binding results, or the
        error fields of a job that did not end DONE.

        Raises:
            ResultsNotReadyError: the job has not finished yet.
            JobNotFoundError: no such job.
        """
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
        pager = _JobPager(states, limit, page_size)
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
    ) -> Iterator[JobEvent]:
        """Iterate over the job's events (:class:`JobEvent`) in order, ending after the terminal.

        If the stream breaks with UNAVAILABLE (server restart, network blip) it is resumed from
        the last ``event_seq`` seen, with exponential backoff, so each event is delivered once.

        Args:
            job_id: the job.
            last_event_seq: only events after this one; 0 = from the start.
            timeout: overall limit in seconds; ``None`` = until the terminal event.
            include_heartbeats: also yield heartbeat messages (``heartbeat=True``).

        Raises:
            WaitTimeoutError: ``timeout`` passed before the terminal event.
            JobNotFoundError: no such job.
            ConnectionFailedError: the server stayed unreachable for ``max_reconnects`` attempts.
        """
        cur = _StreamCursor(
            job_id, last_event_seq, timeout, self.stream_timeout, self.max_reconnects
        )
        while True:
            call = self._open_stream(cur)
            error: grpc.RpcError | None = None
            try:
                for msg in call:
                    event = cur.accept(msg.update, include_heartbeats)
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
            delay = cur.on_failure(error, self.endpoint)
            if delay:
                time.sleep(delay)

    def wait(self, job_id: str, timeout: float | None = None) -> Job:
        """Block until the job is terminal (following the event stream) and return the :class:`Job`.

        Raises:
            WaitTimeoutError: ``timeout`` seconds passed first (the job keeps running).
            JobNotFoundError: no such job.
        """
        for _ in self.stream_updates(job_id, timeout=timeout):
            pass
        return self.status(job_id)

    # devices

    def devices(self, *, timeout: float | None = None) -> list[device_pb2.Device]:
        """Return all devices with status, targets and capabilities."""
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

    def reserve(
        self, device_id: str, ttl_seconds: int, purpose: str = "", *, timeout: float | None = None
    ) -> device_pb2.ReserveDeviceResponse:
        """Reserve a slot on a device for ``ttl_seconds`` (1..86400).

        Returns:
            ``ReserveDeviceResponse`` (reservation_id for ``SubmitJob``, expires_at, device_id).

        Raises:
            DeviceNotFoundError: unknown device.
            NoSlotsError: no slot left.
        """
        return self._run(self._reserve_call(device_id, ttl_seconds, purpose, timeout))

    # compilation

    def compile(
        self,
        program: compilation_pb2.CompileCircuitRequest | JobSpec | ParsedJob,
        *,
        timeout: float | None = None,
    ) -> compilation_pb2.CompileCircuitResponse:
        """Compile a program to AQO via the API's CompilationService.

        Raises:
            CompilationFailedError: the program does not compile (``diagnostics`` give line:col).
        """
        return self._run(self._compile_call(program, timeout))

    def validate(
        self,
        program: compilation_pb2.ValidateCircuitRequest
        | compilation_pb2.CompileCircuitRequest
        | JobSpec
        | ParsedJob,
        *,
        timeout: float | None = None,
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


# --- asyncio client --------------------------------------------------------------------------


class AsyncEigenClient(_ClientBase):
    """``grpc.aio`` client with the same methods as :class:`EigenClient` (coroutines).

    :meth:`stream_updates` and :meth:`list_jobs` are async iterators. Create it inside a running
    event loop; use ``async with`` or ``await client.close()``.
    """

    def _open_channel(self) -> Any:
        return _dial(grpc.aio, self.config)

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

    async def _run(self, call: _Unary[_R]) -> _R:
        try:
            resp = await call.method(call.request, timeout=call.timeout, metadata=self._metadata)
        except grpc.RpcError as exc:
            raise _translate(exc, self.endpoint) from None
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
        pager = _JobPager(states, limit, page_size)
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
    ) -> AsyncIterator[JobEvent]:
        """See :meth:`EigenClient.stream_updates` (an async iterator; resumes on UNAVAILABLE)."""
        cur = _StreamCursor(
            job_id, last_event_seq, timeout, self.stream_timeout, self.max_reconnects
        )
        while True:
            call = self._open_stream(cur)
            error: grpc.RpcError | None = None
            try:
                async for msg in call:
                    event = cur.accept(msg.update, include_heartbeats)
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
            delay = cur.on_failure(error, self.endpoint)
            if delay:
                await asyncio.sleep(delay)

    async def wait(self, job_id: str, timeout: float | None = None) -> Job:
        """See :meth:`EigenClient.wait`."""
        async for _ in self.stream_updates(job_id, timeout=timeout):
            pass
        return await self.status(job_id)

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

    async def compile(
        self,
        program: compilation_pb2.CompileCircuitRequest | JobSpec | ParsedJob,
        *,
        timeout: float | None = None,
    ) -> compilation_pb2.CompileCircuitResponse:
        """See :meth:`EigenClient.compile`."""
        return await self._run(self._compile_call(program, timeout))

    async def validate(
        self,
        program: compilation_pb2.ValidateCircuitRequest
        | compilation_pb2.CompileCircuitRequest
        | JobSpec
        | ParsedJob,
        *,
        timeout: float | None = None,
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
    "AsyncEigenClient",
    "ClientConfig",
    "ConfigError",
    "ConnectionFailedError",
    "EigenClient",
    "WaitTimeoutError",
    "compile_request",
    "parse_state",
    "resolve_config",
    "state_name",
]
