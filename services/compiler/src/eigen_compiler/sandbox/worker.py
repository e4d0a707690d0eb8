"""The worker process: a warm compiler that runs one job at a time inside its own budget.

At start the worker builds its :class:`~eigen_compiler.pipeline.Compiler` and the pass manager
of the default level, freezes the heap (as the service used to), then caps its address space at
its warm size plus ``memory_mib`` (``RLIMIT_AS``) and disables core files. Before each job it
sets ``RLIMIT_CPU`` to the CPU it has used plus ``cpu_seconds``: a job that spins is ended by
the kernel (SIGXCPU). A ``MemoryError`` is answered and the worker then retires, as it does when
its address space has grown past half of the headroom; a Rust abort or a signal simply ends the
process, and the pool answers for it. The worker exits when the service closes the pipe.
"""

from __future__ import annotations

import gc
import math
import os
import resource
import signal
from collections.abc import Iterable
from multiprocessing.connection import Connection
from typing import Any

from eigen_common.errors import CompilationFailedError, Diagnostic, EigenError, InternalError
from eigen_common.logs import configure_logging, get_logger
from eigen_common.status import to_status
from eigen_compiler.model import CompileResult, ValidationReport
from eigen_compiler.optimize import PassManagerCache
from eigen_compiler.pipeline import Compiler
from eigen_compiler.sandbox.protocol import Job, Ready, Reply, WorkerConfig

log = get_logger("eigen.compiler.worker")
MIB = 1024 * 1024


class Recorder:
    """A :class:`~eigen_compiler.model.CompileObserver` that keeps the calls for the parent."""

    def __init__(self) -> None:
        self.events: list[tuple[Any, ...]] = []

    def observe(self, language: str, seconds: float) -> None:
        """Keep ``("observe", language, seconds)``."""
        self.events.append(("observe", language, seconds))

    def failed(self, rules: Iterable[str]) -> None:
        """Keep ``("failed", rules)``."""
        self.events.append(("failed", tuple(rules)))


def address_space() -> int:
    """This process's virtual memory size in bytes (``VmSize``)."""
    with open("/proc/self/statm", encoding="ascii") as f:
        return int(f.read().split()[0]) * resource.getpagesize()


def serve(conn: Connection, config: WorkerConfig) -> None:
    """Run the worker until ``conn`` closes (the entry point of the worker process)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the service shuts its workers down itself
    configure_logging(config.service, config.log_level, config.log_json)
    recorder = Recorder()
    compiler = Compiler(
        config.limits,
        PassManagerCache(config.seed_transpiler),
        recorder,
        config.default_level,
    )
    compiler.pass_managers.warm(config.default_level)
    out_of_memory = _memory_reply(config)  # built now: there may be no memory left to build it
    gc.collect()
    gc.freeze()
    baseline = address_space()
    limit = baseline + config.memory_mib * MIB
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    conn.send(Ready(os.getpid(), baseline, limit))
    while True:
        try:
            job = conn.recv()
        except (EOFError, OSError):
            return
        try:
            _cpu_budget(config.cpu_seconds)
            reply = _run(compiler, job, out_of_memory)
            reply.events, recorder.events = recorder.events, []
            reply.retire = reply.retire or address_space() > limit - config.memory_mib * MIB // 2
            conn.send(reply)
        except MemoryError:  # even answering needed memory: end, the pool reports it
            os._exit(MEMORY_EXIT)
        if reply.retire:
            return


#: Exit status of a worker that ran out of memory where it could not answer.
MEMORY_EXIT = 86


def _memory_reply(config: WorkerConfig) -> Reply:
    message = (
        f"compiling this program needed more than {config.memory_mib} MiB of memory, the "
        "compiler's budget per program"
    )
    err = CompilationFailedError(
        f"program does not compile: [memory-limit] {message}",
        diagnostics=[Diagnostic("memory-limit", message, hint="reduce the circuit size")],
    )
    return Reply(status=to_status(err).SerializeToString(), retire=True)


def _cpu_budget(seconds: float) -> None:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    soft = math.ceil(usage.ru_utime + usage.ru_stime + seconds)
    resource.setrlimit(resource.RLIMIT_CPU, (soft, resource.RLIM_INFINITY))


def _run(compiler: Compiler, job: Job, out_of_memory: Reply) -> Reply:
    try:
        return _dispatch(compiler, job)
    except EigenError as exc:
        return Reply(status=to_status(exc).SerializeToString())
    except MemoryError:
        pass  # answered below, once the traceback and everything it holds are released
    except Exception as exc:  # a bug: logged here, answered INTERNAL with a correlation id
        return _internal(exc, retire=False)
    except BaseException as exc:  # e.g. a Rust panic (PyO3 PanicException)
        if isinstance(exc, KeyboardInterrupt | SystemExit):
            raise
        return _internal(exc, retire=True)
    gc.collect()
    return Reply(status=out_of_memory.status, retire=True)


def _dispatch(compiler: Compiler, job: Job) -> Reply:
    if job.kind == "compile":
        result: CompileResult = compiler.compile(*job.args)
        return Reply(value=result.artifact())
    if job.kind == "validate":
        report = compiler.validate(*job.args)
        inner = report.result
        if isinstance(inner, CompileResult):
            report = ValidationReport(report.valid, report.diagnostics, inner.artifact())
        return Reply(value=report)
    return Reply(value=compiler.optimize(*job.args).artifact())


def _internal(exc: BaseException, *, retire: bool) -> Reply:
    err = InternalError.with_correlation()
    log.error("compile failed", correlation_id=err.metadata["correlation_id"], exc_info=exc)
    return Reply(status=to_status(err).SerializeToString(), retire=retire)
