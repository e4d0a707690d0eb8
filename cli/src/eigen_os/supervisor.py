"""The stack supervisor: starts the four services, restarts only what dies, stops them all.

``eigen up`` runs ``python -m eigen_os.supervisor --events-fd N`` detached, with the
:class:`~eigen_os.stack.StackConfig` as JSON on stdin. The supervisor

1. starts the services in order, each waiting for ``grpc.health.v1`` SERVING (a service that
   dies or times out during start-up stops the others: the stack does not start);
2. reports progress on fd ``N`` as JSON lines (``progress``, then ``ready`` with the
   ``stack.json`` content, or ``error`` with the message and the service's log tail) and
   closes it;
3. watches each process: one that exits is restarted alone, at once the first time, then
   with exponential backoff; after ``restart.limit`` restarts in a row (a service that served
   ``restart.stable_seconds`` starts a new row) it is left ``failed``. Every exit, restart
   (with ``outage_seconds``: from the exit to SERVING again) and give-up is a JSON line in
   ``logs/supervisor.log``; ``stack.json`` follows every pid and state change;
4. on SIGTERM/SIGINT stops every service (reverse order: SIGTERM to its process group,
   grace, SIGKILL; it is their parent, so they are reaped before it exits) and exits. When
   ``eigen down`` asked (``stop.json`` with its ``grace``), each service's outcome
   (``stopped`` / ``killed`` / ``not running``) is left in ``stack.json`` for it; otherwise
   ``stack.json`` is removed.

``eigen up --foreground`` runs the same loop in the CLI process (:func:`run_foreground`).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import json
import os
import signal
import sys
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from eigen_common.logs import configure_logging, get_logger
from eigen_os import paths
from eigen_os.stack import (
    DEFAULT_STOP_GRACE,
    STOP_REQUEST_FILE,
    SUPERVISOR_LOG,
    ServiceProcess,
    ServiceSpec,
    ServiceStartError,
    StackConfig,
    StackState,
    SupervisorProcess,
    clear_state,
    log_tail,
    process_start_time,
    service_env,
    write_state,
)

log = get_logger("eigen.supervisor")
Emit = Callable[[dict[str, Any]], None]
_HEALTH_OPTIONS = [
    ("grpc.initial_reconnect_backoff_ms", 50),
    ("grpc.min_reconnect_backoff_ms", 50),
    ("grpc.max_reconnect_backoff_ms", 250),
]


class Supervisor:
    """Runs and watches the services of one stack (see the module docstring).

    Args:
        cfg: the stack's launcher settings.
        emit: receives the start-up events (``progress``, ``ready``, ``error``).
        observer: called with every state written to ``stack.json`` (tests wait on it).
    """

    def __init__(
        self,
        cfg: StackConfig,
        emit: Emit,
        observer: Callable[[StackState], None] | None = None,
    ) -> None:
        self.cfg = cfg
        self._emit = emit
        self._observer = observer
        self._procs: dict[str, asyncio.subprocess.Process] = {}
        self._records: dict[str, ServiceProcess] = {}
        self._started_at = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        me = os.getpid()
        self._me = SupervisorProcess(
            me, process_start_time(me), str(cfg.home / paths.LOGS_DIR / SUPERVISOR_LOG)
        )
        self._stop = asyncio.Event()
        self._creds = self._health_credentials()

    # --- lifecycle ------------------------------------------------------------------------

    def request_stop(self) -> None:
        """Stop the services and return from :meth:`run`."""
        self._stop.set()

    async def run(self) -> int:
        """Start, watch until asked to stop, then stop.

        Returns:
            0 after a stop request, 4 when the stack could not start.
        """
        main = asyncio.create_task(self._main())
        stopper = asyncio.create_task(self._stop.wait())
        await asyncio.wait({main, stopper}, return_when=asyncio.FIRST_COMPLETED)
        code = 0
        if main.done():
            code = main.result()
        else:
            main.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await main
        stopper.cancel()
        if code:  # start-up failed: already stopped and cleared
            return code
        request = stop_request(self.cfg.home)
        outcomes = await self._stop_services(DEFAULT_STOP_GRACE if request is None else request)
        for name, outcome in outcomes.items():
            self._records[name] = replace(self._records[name], state=outcome)
        if request is None:
            with contextlib.suppress(OSError):
                clear_state(self.cfg.home)
        else:
            self._write()  # `eigen down` reads the outcomes, then clears
        log.info("stack stopped", outcomes=outcomes)
        return code

    async def _main(self) -> int:
        try:
            for spec in self.cfg.services:
                self._emit(
                    {"event": "progress", "message": f"starting {spec.name} on {self._addr(spec)}"}
                )
                await self._start(spec)
        except ServiceStartError as exc:
            log.error("stack did not start", error=exc.message)
            await self._stop_services(5.0)
            with contextlib.suppress(OSError):
                clear_state(self.cfg.home)
            self._emit({"event": "error", "message": exc.message, "details": exc.details})
            return 4
        self._emit({"event": "ready", "state": self._state().to_json()})
        log.info("stack serving", endpoint=self.cfg.endpoint)
        await asyncio.gather(*(self._watch(spec) for spec in self.cfg.services))
        await self._stop.wait()  # every service gave up: keep the record until told to stop
        return 0

    # --- one service ----------------------------------------------------------------------

    def _addr(self, spec: ServiceSpec) -> str:
        return self.cfg.address(spec.name)

    async def _start(self, spec: ServiceSpec, restarts: int = 0) -> None:
        """Spawn ``spec`` and wait until it serves.

        Raises:
            ServiceStartError: it could not be spawned, exited, or did not serve in time
                (then it is killed).
        """
        log_path = self.cfg.home / paths.LOGS_DIR / f"{spec.name}.log"
        stamp = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        what = f"restart {restarts}" if restarts else "eigen up"
        try:
            fd = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
            with os.fdopen(fd, "ab") as fh:
                fh.write(f"--- {what} {stamp}: {spec.name} on {self._addr(spec)} ---\n".encode())
                fh.flush()
                offset = fh.tell()
                proc = await asyncio.create_subprocess_exec(
                    self.cfg.python,
                    "-m",
                    spec.module,
                    *spec.args,
                    env=service_env(self.cfg, spec, os.environ),
                    stdin=asyncio.subprocess.DEVNULL,
                    stdout=fh,
                    stderr=asyncio.subprocess.STDOUT,
                    cwd=self.cfg.home,
                    start_new_session=True,
                )
        except OSError as exc:
            raise ServiceStartError(f"cannot start {spec.name}: {exc.strerror}") from None
        self._procs[spec.name] = proc
        self._records[spec.name] = ServiceProcess(
            spec.name,
            spec.module,
            proc.pid,
            self.cfg.ports[spec.name],
            self.cfg.metrics_ports[spec.name],
            str(log_path),
            restarts,
            "restarting" if restarts else "running",
        )
        self._write()
        try:
            await self._wait_serving(spec, proc, log_path, offset)
        except asyncio.CancelledError:
            # the supervisor is stopping (a stop during a restart): the process stays in
            # _procs and is stopped with the others, gracefully, its outcome recorded
            raise
        except BaseException:
            await _terminate(proc, 0.0)
            raise
        if restarts:
            self._set(spec.name, state="running")

    async def _wait_serving(
        self, spec: ServiceSpec, proc: asyncio.subprocess.Process, log_path: Path, offset: int
    ) -> None:
        """Wait for SERVING on the health service, the process's exit, or the start timeout."""
        async with self._health_channel(spec) as channel:
            stub = health_pb2_grpc.HealthStub(channel)

            async def serving() -> None:
                while True:
                    try:
                        call = stub.Watch(health_pb2.HealthCheckRequest(), wait_for_ready=True)
                        async for resp in call:
                            if resp.status == health_pb2.HealthCheckResponse.SERVING:
                                return
                    except grpc.aio.AioRpcError:
                        await asyncio.sleep(0.05)  # stream broke while starting: watch again

            waiter = asyncio.create_task(serving())
            died = asyncio.create_task(proc.wait())
            done, _ = await asyncio.wait(
                {waiter, died}, timeout=self.cfg.start_timeout, return_when=asyncio.FIRST_COMPLETED
            )
            for task in (waiter, died):
                task.cancel()
            if waiter in done and died not in done:
                return
            if died in done:
                raise ServiceStartError(
                    f"{spec.name} exited with code {proc.returncode} during startup "
                    f"(log: {log_path})",
                    log_tail(log_path, offset),
                )
            raise ServiceStartError(
                f"{spec.name} did not report SERVING on {self._addr(spec)} within "
                f"{self.cfg.start_timeout:g}s (log: {log_path})",
                log_tail(log_path, offset),
            )

    async def _watch(self, spec: ServiceSpec) -> None:
        """Restart ``spec`` whenever it exits, until the policy gives up on it."""
        try:
            await self._restart_loop(spec)
        except Exception as exc:  # a supervisor bug must not orphan the other services
            log.error("watching failed", service=spec.name, exc_info=exc)
            self._set(spec.name, state="failed")

    async def _restart_loop(self, spec: ServiceSpec) -> None:
        policy = self.cfg.restart
        in_a_row = 0
        serving_since: float | None = time.monotonic()
        while True:
            code = await self._procs[spec.name].wait()
            died_at = time.monotonic()
            if serving_since is not None and died_at - serving_since >= policy.stable_seconds:
                in_a_row = 0
            in_a_row += 1
            restarts = self._records[spec.name].restarts + 1
            log.warning(
                "service exited",
                service=spec.name,
                pid=self._records[spec.name].pid,
                returncode=code,
                restart_in_a_row=in_a_row,
            )
            if in_a_row > policy.limit:
                self._set(spec.name, state="failed")
                log.error(
                    "service failed: restart limit reached",
                    service=spec.name,
                    limit=policy.limit,
                    log=self._records[spec.name].log,
                )
                return
            self._set(spec.name, state="restarting")
            await asyncio.sleep(policy.delay(in_a_row))
            try:
                await self._start(spec, restarts)
            except ServiceStartError as exc:
                log.error("restart failed", service=spec.name, error=exc.message)
                serving_since = None
                continue  # the process is gone: counts as the next exit in the row
            serving_since = time.monotonic()
            log.info(
                "service restarted",
                service=spec.name,
                pid=self._records[spec.name].pid,
                restarts=restarts,
                outage_seconds=round(serving_since - died_at, 3),
            )

    async def _stop_services(self, grace: float) -> dict[str, str]:
        """Stop every started service (reverse order); outcome word per service name."""
        outcomes: dict[str, str] = {}
        for spec in reversed(self.cfg.services):
            proc = self._procs.get(spec.name)
            if proc is None:
                continue
            outcomes[spec.name] = await _terminate(proc, grace)
            log.info("service stopped", service=spec.name, outcome=outcomes[spec.name])
        return outcomes

    # --- records --------------------------------------------------------------------------

    def _state(self) -> StackState:
        tls_ca = str(self.cfg.tls_dir / paths.TLS_CA_FILE) if self.cfg.tls else ""
        order = [s.name for s in self.cfg.services if s.name in self._records]
        return StackState(
            self.cfg.endpoint,
            self.cfg.host,
            self._started_at,
            tuple(self._records[n] for n in order),
            self._me,
            tls_ca,
        )

    def _write(self) -> None:
        state = self._state()
        try:
            write_state(self.cfg.home, state)
        except OSError as exc:
            log.error("cannot record the stack", error=exc.strerror)
        if self._observer is not None:
            self._observer(state)

    def _set(self, name: str, **changes: Any) -> None:
        self._records[name] = replace(self._records[name], **changes)
        self._write()

    # --- health checks --------------------------------------------------------------------

    def _health_credentials(self) -> grpc.ChannelCredentials | None:
        if not self.cfg.tls:
            return None
        tls = self.cfg.tls_dir
        return grpc.ssl_channel_credentials(
            (tls / paths.TLS_CA_FILE).read_bytes(),
            (tls / paths.TLS_KEY_FILE).read_bytes(),
            (tls / paths.TLS_CERT_FILE).read_bytes(),
        )

    def _health_channel(self, spec: ServiceSpec) -> grpc.aio.Channel:
        if self._creds is None:
            return grpc.aio.insecure_channel(self._addr(spec), options=_HEALTH_OPTIONS)
        return grpc.aio.secure_channel(self._addr(spec), self._creds, options=_HEALTH_OPTIONS)


async def _terminate(proc: asyncio.subprocess.Process, grace: float) -> str:
    """SIGTERM ``proc``'s process group, wait ``grace`` s, then SIGKILL; the outcome word.

    ``grace`` 0 kills at once. Returns ``stopped``, ``killed`` or ``not running``.
    """
    if proc.returncode is not None:
        return "not running"
    if grace > 0:
        _signal_group(proc.pid, signal.SIGTERM)
        try:
            await asyncio.wait_for(proc.wait(), grace)
            return "stopped"
        except TimeoutError:
            pass
    _signal_group(proc.pid, signal.SIGKILL)
    await proc.wait()
    return "killed"


def stop_request(home: Path) -> float | None:
    """The ``grace`` of the stop ``eigen down`` requested in ``home/stop.json``, or ``None``."""
    try:
        return float(json.loads((home / STOP_REQUEST_FILE).read_text(encoding="utf-8"))["grace"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _signal_group(pid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, sig)


def _install_signals(sup: Supervisor) -> None:
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, sup.request_stop)
    loop.add_signal_handler(signal.SIGINT, sup.request_stop)


def run_foreground(cfg: StackConfig, *, on_event: Callable[[str], None] | None = None) -> int:
    """``eigen up --foreground``: supervise in this process until SIGINT/SIGTERM.

    The caller holds no lock; the stack is recorded in ``stack.json`` like a background one,
    with this process as its supervisor (``eigen down`` elsewhere stops it like one).

    Returns:
        0 after a signal, 4 when the stack could not start.
    """
    from eigen_os import stack

    say = on_event or (lambda _msg: None)
    previous = stack.read_state(cfg.home)
    if previous is not None and stack.supervisor_running(previous.supervisor):
        raise stack.StackError("the stack is already running; stop it with `eigen down` first")
    stack.prepare(cfg, say)
    errors: list[dict[str, Any]] = []

    def emit(event: dict[str, Any]) -> None:
        if event["event"] == "progress":
            say(str(event["message"]))
        elif event["event"] == "ready":
            say(f"serving on {cfg.endpoint}; Ctrl-C stops the stack")
        elif event["event"] == "error":
            errors.append(event)

    async def main() -> int:
        sup = Supervisor(cfg, emit)
        _install_signals(sup)
        return await sup.run()

    code = asyncio.run(main())
    if errors:
        raise ServiceStartError(str(errors[0]["message"]), list(errors[0].get("details", [])))
    return code


def main(argv: list[str] | None = None) -> int:
    """``python -m eigen_os.supervisor --events-fd N`` with the stack config on stdin."""
    parser = argparse.ArgumentParser(prog="eigen-supervisor")
    parser.add_argument("--events-fd", type=int, required=True)
    args = parser.parse_args(argv)
    cfg = StackConfig.from_json(json.loads(sys.stdin.read()))
    configure_logging("supervisor")
    events: Any = os.fdopen(args.events_fd, "w", encoding="utf-8", buffering=1)

    def emit(event: dict[str, Any]) -> None:
        nonlocal events
        if events is None:
            return
        try:
            events.write(json.dumps(event) + "\n")
            if event["event"] in ("ready", "error"):
                events.close()
                events = None
        except OSError:  # `eigen up` is gone (Ctrl-C): carry on
            events = None

    async def run() -> int:
        sup = Supervisor(cfg, emit)
        _install_signals(sup)
        return await sup.run()

    return asyncio.run(run())


if __name__ == "__main__":
    sys.exit(main())
