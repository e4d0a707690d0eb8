"""What both SDK clients share below their methods: channels, errors, stream and page cursors.

- :func:`dial` opens the ``grpc`` or ``grpc.aio`` channel for a :class:`ClientConfig`, with TLS
  and its trusted roots when the configuration asks for it (:mod:`eigen_os.config`);
- :func:`translate` turns a failed call into the typed :mod:`eigen_common.errors` error
  (a server that cannot be reached becomes :class:`ConnectionFailedError`);
- :class:`StreamCursor` and :class:`JobPager` hold the resume and paging state of
  ``StreamJobUpdates`` and ``ListJobs``, so the blocking and asyncio clients only differ in how
  they wait;
- :class:`DeliveredResults` keeps results that arrived with a terminal event until the caller
  asks for them (one ``GetJobResults`` call fewer per waited-for job).
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import grpc
from grpc_status import rpc_status

from eigen.api.v1 import job_pb2
from eigen_common.errors import (
    Code,
    DeadlineExceededError,
    EigenError,
    ServiceUnavailableError,
    UnavailableError,
)
from eigen_common.status import from_rpc_error
from eigen_os.config import ClientConfig
from eigen_os.results import Job, JobEvent, JobResult, parse_state, state_name

#: Largest message the clients accept (bytes): big sweeps' results come in one message.
MAX_RECEIVE_BYTES = 64 * 1024 * 1024
#: Results kept by :class:`DeliveredResults` (the oldest is dropped first).
DELIVERED_RESULTS_KEPT = 64


class ConnectionFailedError(ServiceUnavailableError):
    """The Eigen API endpoint cannot be reached (connection refused, DNS, TLS, ...).

    ``metadata["tls"]`` is ``"true"`` when the channel used TLS (a certificate the client does
    not trust ends the same way).
    """

    reason = "CONNECTION_FAILED"


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


class ArtifactIncompleteError(EigenError):
    """An artifact stream ended before the size its first chunk announced (nothing is kept)."""

    code = Code.DATA_LOSS
    reason = "ARTIFACT_INCOMPLETE"


def channel_options() -> list[tuple[str, Any]]:
    """Options of every client channel (message sizes, user agent)."""
    return [
        ("grpc.max_receive_message_length", MAX_RECEIVE_BYTES),
        ("grpc.max_send_message_length", 16 * 1024 * 1024),
        ("grpc.primary_user_agent", "eigen-cli/0.1"),
    ]


def dial(api: Any, config: ClientConfig) -> Any:
    """Open a channel to ``config.target`` with ``api`` (``grpc`` or ``grpc.aio``).

    With ``config.tls`` the channel uses TLS and trusts ``config.ca_file`` (else the system's
    roots).

    Raises:
        ConfigError: the CA file cannot be read or is not PEM.
    """
    if config.tls:
        creds = grpc.ssl_channel_credentials(root_certificates=config.root_certificates())
        return api.secure_channel(config.target, creds, options=channel_options())
    return api.insecure_channel(config.target, options=channel_options())


def _has_rich_status(exc: grpc.RpcError) -> bool:
    try:
        return rpc_status.from_call(exc) is not None  # type: ignore[arg-type]
    except (ValueError, AttributeError):
        return False


def translate(exc: grpc.RpcError, config: ClientConfig) -> EigenError:
    """Typed error for a failed call; connection failures name the endpoint (and TLS)."""
    err = from_rpc_error(exc)
    if isinstance(err, UnavailableError) and not _has_rich_status(exc):
        details = exc.details() if hasattr(exc, "details") else ""
        return ConnectionFailedError(
            f"cannot reach the Eigen API at {config.endpoint}: {details}",
            metadata={"endpoint": config.endpoint, "tls": "true" if config.tls else "false"},
        )
    return err


_R = TypeVar("_R")


def _as_is(resp: Any) -> Any:
    return resp


@dataclass(frozen=True)
class Unary(Generic[_R]):
    """One unary call, built once for both clients.

    ``method`` is the stub's method, ``timeout`` the deadline in seconds, and ``unpack`` turns the
    response into what the public method returns.
    """

    method: Any
    request: Any
    timeout: float
    unpack: Callable[[Any], _R] = _as_is


class DeliveredResults:
    """Results that came with a terminal event, held until :meth:`take` (thread-safe).

    A job's results never change once it is terminal, so a ``results()`` call right after
    ``wait()`` is answered from here. At most ``kept`` entries; the oldest goes first.
    """

    def __init__(self, kept: int = DELIVERED_RESULTS_KEPT) -> None:
        self._kept = kept
        self._items: OrderedDict[str, JobResult] = OrderedDict()
        self._lock = threading.Lock()

    def put(self, result: JobResult) -> None:
        """Keep ``result`` (replacing an older one of the same job)."""
        with self._lock:
            self._items[result.job_id] = result
            self._items.move_to_end(result.job_id)
            while len(self._items) > self._kept:
                self._items.popitem(last=False)

    def take(self, job_id: str) -> JobResult | None:
        """The kept results of ``job_id`` (removed from here), or ``None``."""
        with self._lock:
            return self._items.pop(job_id, None)


def _backoff(failures: int) -> float:
    return float(min(0.1 * 2 ** (failures - 1), 5.0))


class StreamCursor:
    """Resume bookkeeping shared by the sync and async streams.

    Tracks the last delivered ``event_seq`` (duplicates after a resume are dropped), consecutive
    connection failures and the overall deadline; results that come with the terminal event go
    to ``delivered``.
    """

    def __init__(
        self,
        job_id: str,
        last_event_seq: int,
        timeout: float | None,
        stream_timeout: float,
        max_reconnects: int,
        include_results: bool = False,
    ) -> None:
        self.job_id = job_id
        self.last_seq = last_event_seq
        self.timeout = timeout
        self.deadline = None if timeout is None else time.monotonic() + timeout
        self.stream_timeout = stream_timeout
        self.max_reconnects = max_reconnects
        self.include_results = include_results
        self.failures = 0
        self.last_update: JobEvent | None = None

    def request(self) -> job_pb2.StreamJobUpdatesRequest:
        """The request of the next connection (resuming after the last event)."""
        return job_pb2.StreamJobUpdatesRequest(
            job_id=self.job_id, last_event_seq=self.last_seq, include_results=self.include_results
        )

    def call_timeout(self) -> float:
        """Deadline of the next connection, in seconds."""
        if self.deadline is None:
            return self.stream_timeout
        return max(0.001, min(self.stream_timeout, self.deadline - time.monotonic()))

    def accept(
        self,
        msg: job_pb2.StreamJobUpdatesResponse,
        include_heartbeats: bool,
        delivered: DeliveredResults,
    ) -> JobEvent | None:
        """Record ``msg``; return its event typed when it should be delivered, else ``None``."""
        self.failures = 0
        update = msg.update
        if update.heartbeat:
            return JobEvent.from_proto(update) if include_heartbeats else None
        if update.event_seq and update.event_seq <= self.last_seq:
            return None
        if update.event_seq:
            self.last_seq = update.event_seq
        results = None
        if update.terminal and msg.HasField("results"):
            results = JobResult.from_proto(msg.results)
            delivered.put(results)
        self.last_update = JobEvent.from_proto(update, results)
        return self.last_update

    def timed_out_error(self) -> DeadlineExceededError:
        """The error for a stream whose overall ``timeout`` passed."""
        return WaitTimeoutError(self.job_id, self.timeout or 0.0, self.last_update)

    def on_failure(self, exc: grpc.RpcError | None, config: ClientConfig) -> float:
        """Decide after a broken/ended stream: return the delay before resuming, or raise.

        Resumes on UNAVAILABLE (bounded by ``max_reconnects`` in a row), on a stream that ended
        without a terminal event, and on the per-connection deadline; anything else is raised.
        """
        if self.deadline is not None and time.monotonic() >= self.deadline:
            raise self.timed_out_error()
        code = exc.code() if exc is not None else None
        if code == grpc.StatusCode.DEADLINE_EXCEEDED:
            return 0.0  # per-connection deadline: reconnect at once
        if exc is not None and code != grpc.StatusCode.UNAVAILABLE:
            raise translate(exc, config) from None
        self.failures += 1
        if self.failures > self.max_reconnects:
            if exc is not None:
                raise translate(exc, config) from None
            raise ServiceUnavailableError(
                f"the update stream for job {self.job_id} keeps closing without a terminal event"
            )
        delay = _backoff(self.failures)
        if self.deadline is not None:
            delay = min(delay, max(0.0, self.deadline - time.monotonic()))
        return delay


class JobPager:
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


class ArtifactCheck:
    """Counts an artifact stream's bytes against the size its first chunk announced."""

    def __init__(self, job_id: str, name: str) -> None:
        self.job_id = job_id
        self.name = name
        self.expected: int | None = None
        self.received = 0

    def see(self, chunk: job_pb2.GetJobArtifactResponse) -> None:
        """Record one chunk (the first one carries ``total_bytes``)."""
        if self.expected is None:
            self.expected = chunk.total_bytes
        self.received += len(chunk.chunk)

    def finish(self) -> None:
        """Check the stream is complete.

        Raises:
            ArtifactIncompleteError: fewer (or more) bytes than announced arrived.
        """
        if self.expected and self.received != self.expected:
            raise ArtifactIncompleteError(
                f"artifact {self.name!r} of job {self.job_id}: received {self.received} of "
                f"{self.expected} bytes",
                metadata={"job_id": self.job_id, "name": self.name},
            )


__all__ = [
    "ArtifactCheck",
    "ArtifactIncompleteError",
    "ConnectionFailedError",
    "DeliveredResults",
    "JobPager",
    "StreamCursor",
    "Unary",
    "WaitTimeoutError",
    "channel_options",
    "dial",
    "translate",
]
