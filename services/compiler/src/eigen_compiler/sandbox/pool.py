"""The service side of the sandbox: a few warm worker processes, one job each at a time.

Workers are forked from a ``forkserver`` that has imported the compiler once, so starting or
replacing one costs a fork plus building its pass manager, never an interpreter start per
request. A job waits (asynchronously) for an idle worker — at most ``queue_seconds``, then
``SERVICE_UNAVAILABLE`` (retryable: the service is busy, the program is not at fault) — and
then gets ``seconds`` of wall time. A worker that overruns is killed; one that dies (a Rust
abort on reaching its address-space limit, SIGXCPU, any signal) is replaced in the background.
Either way only that job fails, with ``COMPILATION_FAILED`` and a diagnostic (``time-limit``,
``memory-limit`` or ``compiler-crashed``); the service keeps serving.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import signal
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from multiprocessing.connection import wait
from typing import Any

from google.rpc import status_pb2

from eigen_common.errors import (
    CompilationFailedError,
    Diagnostic,
    EigenError,
    ServiceUnavailableError,
)
from eigen_common.logs import get_logger
from eigen_common.status import from_status
from eigen_compiler.metrics import CompilerMetrics
from eigen_compiler.model import (
    AQO,
    EIGEN_LANG,
    CompiledArtifact,
    CompileRequest,
    EigenLangSource,
    QasmSource,
    ValidationReport,
)
from eigen_compiler.sandbox import worker as worker_module
from eigen_compiler.sandbox.protocol import Job, Ready, Reply, WorkerConfig

log = get_logger("eigen.compiler.sandbox")
#: Wall time a worker gets on top of its CPU budget before it is killed (a starved worker).
GRACE_SECONDS = 2.0
#: How long a starting worker may take to import, warm up and report ready.
START_SECONDS = 180.0
_CRASH_SIGNALS = {signal.SIGABRT, signal.SIGSEGV, signal.SIGBUS, signal.SIGKILL}


class WorkerLost(Exception):
    """The worker ended or was ended during a job; ``cause`` is a diagnostic rule."""

    def __init__(self, cause: str, detail: str) -> None:
        super().__init__(detail)
        self.cause, self.detail = cause, detail


@dataclass(frozen=True)
class Lost:
    """The outcome of a job whose worker was lost: ``cause`` (a rule) and what happened."""

    cause: str
    detail: str


class Worker:
    """One worker process and its end of the pipe (blocking methods, called from threads)."""

    def __init__(self, context: Any, config: WorkerConfig) -> None:
        self.conn, child = context.Pipe()
        self.process = context.Process(
            target=worker_module.serve, args=(child, config), name="eigen-compiler-worker"
        )
        self.process.daemon = True
        self.process.start()
        child.close()
        self.ready: Ready | None = None

    def wait_ready(self, timeout: float) -> Ready:
        """Block until the worker reports :class:`Ready`.

        Raises:
            WorkerLost: it died or did not report within ``timeout`` seconds.
        """
        message = self._receive(time.monotonic() + timeout)
        if not isinstance(message, Ready):
            self.stop()
            raise WorkerLost("compiler-crashed", f"unexpected start message {type(message)}")
        self.ready = message
        return message

    def call(self, job: Job, seconds: float) -> Reply:
        """Run ``job``; wall-clock deadline ``seconds`` (+ :data:`GRACE_SECONDS`).

        Raises:
            WorkerLost: the worker overran (killed) or died.
        """
        try:
            self.conn.send(job)
        except (OSError, ValueError):
            self.stop()
            raise WorkerLost(*self.death()) from None
        reply = self._receive(time.monotonic() + seconds + GRACE_SECONDS)
        if not isinstance(reply, Reply):
            self.stop()
            raise WorkerLost("compiler-crashed", f"unexpected reply {type(reply)}")
        return reply

    def _receive(self, deadline: float) -> Any:
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                self.stop()
                raise WorkerLost("time-limit", "overran its deadline and was stopped")
            ready = wait([self.conn, self.process.sentinel], timeout=remaining)
            if self.conn in ready:
                try:
                    return self.conn.recv()
                except (EOFError, OSError):
                    break
            elif ready:
                break
        self.stop()
        raise WorkerLost(*self.death())

    def death(self) -> tuple[str, str]:
        """``(rule, what happened)`` of a worker that has ended (waits up to 5 s for it)."""
        self.process.join(timeout=5)
        code = self.process.exitcode
        if code is not None and code < 0:
            sig = signal.Signals(-code)
            if sig == signal.SIGXCPU:
                return "time-limit", "used up its CPU budget"
            if sig in _CRASH_SIGNALS:
                return "memory-limit", f"ended with {sig.name} (most likely out of memory)"
            return "compiler-crashed", f"ended with {sig.name}"
        if code == worker_module.MEMORY_EXIT:
            return "memory-limit", "ran out of memory"
        return "compiler-crashed", f"exited with status {code}"

    def stop(self) -> None:
        """End the process (closing the pipe first lets an idle worker exit by itself).

        Safe to call twice and from two threads (the pool's close and a start-up thread).
        """
        self.conn.close()
        try:
            self.process.join(timeout=0.5)
            if self.process.is_alive():
                self.process.kill()
                self.process.join(timeout=5)
        except (OSError, ValueError, AssertionError) as exc:  # already reaped or closed
            log.debug("compiler worker already gone", error=repr(exc))


class Sandbox:
    """Runs compilations in ``workers`` worker processes (the service's compile backend).

    Args:
        config: what each worker builds and its memory and CPU budget.
        workers: number of worker processes.
        seconds: wall-clock budget of one compilation.
        queue_seconds: how long a call waits for an idle worker before UNAVAILABLE.
        metrics: where compilations and worker replacements are counted.
    """

    def __init__(
        self,
        config: WorkerConfig,
        workers: int,
        seconds: float,
        queue_seconds: float,
        metrics: CompilerMetrics | None = None,
    ) -> None:
        self.config = config
        self.size = workers
        self.seconds = seconds
        self.queue_seconds = queue_seconds
        self.metrics = metrics
        self._context = multiprocessing.get_context("forkserver")
        self._context.set_forkserver_preload([worker_module.__name__])
        self._threads = ThreadPoolExecutor(workers, thread_name_prefix="compiler-sandbox")
        self._idle: asyncio.Queue[Worker] | None = None
        self._idle_changed: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._all: set[Worker] = set()
        self._waiting: set[Worker] = set()  # the workers in ``_idle`` (event loop only)
        self._lock = threading.Lock()
        self._closed = False

    # --- lifecycle -------------------------------------------------------------------------

    async def start(self) -> None:
        """Start the workers; returns at once (calls wait until a worker is ready)."""
        self._loop = asyncio.get_running_loop()
        self._idle = asyncio.Queue()
        self._idle_changed = asyncio.Event()
        for _ in range(self.size):
            self._spawn_later()

    async def wait_ready(self, count: int | None = None, timeout: float = START_SECONDS) -> None:
        """Wait until ``count`` workers (default: all) are idle (tests and benchmarks)."""
        want = self.size if count is None else count
        await self._wait_until(lambda: len(self._waiting) >= want, timeout)

    async def wait_busy(self, count: int, timeout: float = START_SECONDS) -> None:
        """Wait until ``count`` workers are running a job (tests)."""
        await self._wait_until(lambda: self.size - len(self._waiting) >= count, timeout)

    async def _wait_until(self, done: Callable[[], bool], timeout: float) -> None:
        changed = self._idle_changed
        assert changed is not None, "start() first"

        async def until() -> None:
            while not done():
                changed.clear()
                await changed.wait()

        await asyncio.wait_for(until(), timeout)

    async def close(self) -> None:
        """Stop every worker (in-flight calls fail) and the pool's threads."""
        self._closed = True
        with self._lock:
            workers = list(self._all)
        outcomes = await asyncio.gather(
            *(asyncio.to_thread(w.stop) for w in workers), return_exceptions=True
        )
        for outcome in outcomes:  # shutting down: a worker that will not stop is logged, not fatal
            if isinstance(outcome, Exception):
                log.warning("compiler worker did not stop cleanly", error=repr(outcome))
        self._threads.shutdown(wait=False, cancel_futures=True)

    def worker_pids(self) -> list[int]:
        """Process ids of the workers (started, idle or busy)."""
        with self._lock:
            return sorted(w.process.pid for w in self._all if w.process.pid is not None)

    def idle_pids(self) -> list[int]:
        """Process ids of the workers waiting for a job."""
        return sorted(w.process.pid for w in self._waiting if w.process.pid is not None)

    def _spawn_later(self) -> None:
        threading.Thread(target=self._spawn, name="compiler-worker-start", daemon=True).start()

    def _spawn(self) -> None:
        delay = 0.5
        while not self._closed:
            worker = Worker(self._context, self.config)
            with self._lock:
                self._all.add(worker)
            try:
                worker.wait_ready(START_SECONDS)
            except (OSError, EOFError, ValueError):
                if not self._closed:
                    raise
                return  # the pool closed this worker's pipe while it was starting
            except WorkerLost as lost:
                self._forget(worker)
                if self._closed:
                    return
                log.error("compiler worker failed to start", cause=lost.cause, detail=lost.detail)
                self._count_restart("start-failed")
                time.sleep(delay)
                delay = min(delay * 2, 30.0)
                continue
            if self._closed:
                self._forget(worker)
                worker.stop()
                return
            assert self._loop is not None
            self._loop.call_soon_threadsafe(self._release, worker)
            return

    def _release(self, worker: Worker) -> None:
        """Make ``worker`` idle (on the event loop)."""
        assert self._idle is not None and self._idle_changed is not None
        self._waiting.add(worker)
        self._idle.put_nowait(worker)
        self._idle_changed.set()

    def _forget(self, worker: Worker) -> None:
        with self._lock:
            self._all.discard(worker)

    def _replace(self, worker: Worker, cause: str) -> None:
        self._forget(worker)
        self._count_restart(cause)
        if not self._closed:
            self._spawn_later()

    def _count_restart(self, cause: str) -> None:
        if self.metrics is not None:
            self.metrics.worker_replaced(cause)

    # --- calls -----------------------------------------------------------------------------

    async def compile(self, request: CompileRequest) -> CompiledArtifact:
        """Compile ``request`` in a worker (see :meth:`eigen_compiler.pipeline.Compiler.compile`).

        Raises:
            CompilationFailedError: the program does not compile, or its worker overran or died.
            ServiceUnavailableError: no worker became idle within ``queue_seconds``.
            EigenError: the request-level errors of ``Compiler.compile``.
        """
        value = await self._call(Job("compile", (request,)), _language(request), record=True)
        assert isinstance(value, CompiledArtifact)
        return value

    async def validate(self, request: CompileRequest) -> ValidationReport:
        """Validate ``request`` in a worker; a lost worker is a finding, not an error."""
        try:
            value = await self._call(Job("validate", (request,)), _language(request))
        except CompilationFailedError as exc:
            return ValidationReport(False, list(exc.diagnostics))
        assert isinstance(value, ValidationReport)
        return value

    async def optimize(self, data: bytes, level: int, target: str = "") -> CompiledArtifact:
        """Re-optimise AQO ``data`` in a worker (see ``Compiler.optimize``)."""
        value = await self._call(Job("optimize", (data, level, target)), AQO, record=True)
        assert isinstance(value, CompiledArtifact)
        return value

    async def _call(
        self, job: Job, language: str, *, record: bool = False
    ) -> CompiledArtifact | ValidationReport:
        if self._idle is None or self._closed:
            raise ServiceUnavailableError("the compiler is not running")
        t0 = time.perf_counter()
        worker = await self._acquire()
        task = asyncio.ensure_future(self._use(worker, job))
        outcome = await asyncio.shield(task)  # a cancelled call still returns its worker
        if isinstance(outcome, Lost):
            if record and self.metrics is not None:
                self.metrics.observe(language, time.perf_counter() - t0)
                self.metrics.failed([outcome.cause])
            raise self._lost_error(outcome)
        self._replay(outcome.events)
        if outcome.status is not None:
            raise from_status(status_pb2.Status.FromString(outcome.status))
        assert outcome.value is not None
        return outcome.value

    async def _acquire(self) -> Worker:
        """An idle, live worker (one that died while idle is replaced, not used).

        Raises:
            ServiceUnavailableError: none within ``queue_seconds``.
        """
        assert self._idle is not None
        deadline = time.monotonic() + self.queue_seconds
        while True:
            try:
                worker = await asyncio.wait_for(
                    self._idle.get(), max(deadline - time.monotonic(), 0)
                )
            except TimeoutError:
                message = f"every compiler worker is busy (waited {self.queue_seconds:g} s)"
                raise ServiceUnavailableError(message, retry_after=1.0) from None
            self._waiting.discard(worker)
            assert self._idle_changed is not None
            self._idle_changed.set()
            if worker.process.is_alive():
                return worker
            cause, detail = await asyncio.to_thread(worker.death)
            log.warning("idle compiler worker lost", cause=cause, detail=detail)
            self._replace(worker, cause)

    async def _use(self, worker: Worker, job: Job) -> Reply | Lost:
        assert self._loop is not None
        try:
            reply: Reply = await self._loop.run_in_executor(
                self._threads, worker.call, job, self.seconds
            )
        except WorkerLost as lost:
            log.warning("compiler worker lost", cause=lost.cause, detail=lost.detail)
            self._replace(worker, lost.cause)
            return Lost(lost.cause, lost.detail)
        if reply.retire:
            await asyncio.to_thread(worker.stop)
            self._replace(worker, "retired")
        else:
            self._release(worker)
        return reply

    def _replay(self, events: list[tuple[Any, ...]]) -> None:
        if self.metrics is None:
            return
        for name, *args in events:
            if name == "observe":
                self.metrics.observe(*args)
            elif name == "failed":
                self.metrics.failed(*args)

    def _lost_error(self, lost: Lost) -> EigenError:
        cfg = self.config
        if lost.cause == "time-limit":
            message = (
                f"compiling this program took longer than {self.seconds:g} s, the compiler's "
                "budget per program"
            )
            hint = "reduce the circuit size or the nesting of custom gates"
        elif lost.cause == "memory-limit":
            message = (
                f"compiling this program needed more than the compiler's budget of "
                f"{cfg.memory_mib} MiB per program (the compiler process {lost.detail})"
            )
            hint = "reduce the circuit size"
        else:
            message = f"the compiler process {lost.detail} while compiling this program"
            hint = "the failure is logged; report it if the program is valid"
        return CompilationFailedError(
            f"program does not compile: [{lost.cause}] {message}",
            diagnostics=[Diagnostic(lost.cause, message, hint=hint)],
        )


def _language(request: CompileRequest) -> str:
    if isinstance(request.source, EigenLangSource):
        return EIGEN_LANG
    if isinstance(request.source, QasmSource):
        return "qasm"
    return AQO
