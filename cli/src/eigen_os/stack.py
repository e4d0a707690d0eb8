"""The embedded local stack behind ``eigen up`` / ``eigen down`` (SPEC §1, §11).

``eigen up`` starts the four services as detached child processes on loopback, in dependency
order (compiler, driver-manager, kernel, system-api), each with ``python -m <module>`` and its
``EIGEN_<SERVICE>_*`` environment, and waits until each reports ``grpc.health.v1`` SERVING.

Everything lives under ``$EIGEN_HOME`` (default ``~/.eigen``, created 0700)::

    token              the local admin bearer token (0600, created on first start, never printed)
    api_keys.json      {"keys": [{"sha256": <hex of token>, "subject": "local-admin",
                                  "roles": ["admin"], "tenant": "local"}]}   (0600)
    stack.json         what runs: endpoint, and per service pid, port, metrics port, log file
    stack.lock         serialises concurrent `eigen up` / `eigen down`
    kernel/            the kernel's state (SQLite job store, QFS)
    logs/<svc>.log     each service's stdout+stderr (appended)

``eigen down`` sends SIGTERM to each service's process group (reverse order), waits for it to
drain, then SIGKILLs what is left. Recorded pids are checked against ``/proc/<pid>/cmdline``
(where available) so a recycled pid is never signalled.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import fcntl
import hashlib
import json
import os
import secrets
import select
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from eigen_os import paths

STACK_FORMAT_VERSION = 1
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT_BASE = 50051
DEFAULT_METRICS_PORT_BASE = 9101
#: Seconds each service gets to report SERVING.
DEFAULT_START_TIMEOUT = 90.0
#: Seconds each service gets to exit after SIGTERM before SIGKILL.
DEFAULT_STOP_GRACE = 15.0
LOG_TAIL_LINES = 25


@dataclass(frozen=True)
class ServiceSpec:
    """One service of the stack.

    Attributes:
        name: display name (``system-api``).
        module: module run with ``python -m``.
        env_prefix: settings prefix (``EIGEN_SYSTEM_API_``).
        port_offset: offset from the port base (system-api 0, kernel 1, compiler 2, dm 3).
        args: extra command-line arguments (tests use this for fake services).
    """

    name: str
    module: str
    env_prefix: str
    port_offset: int
    args: tuple[str, ...] = ()


#: The services in start order; ``eigen down`` stops them in reverse.
SERVICES: tuple[ServiceSpec, ...] = (
    ServiceSpec("compiler", "eigen_compiler", "EIGEN_COMPILER_", 2),
    ServiceSpec("driver-manager", "eigen_driver_manager", "EIGEN_DRIVER_MANAGER_", 3),
    ServiceSpec("kernel", "eigen_kernel", "EIGEN_KERNEL_", 1),
    ServiceSpec("system-api", "eigen_system_api", "EIGEN_SYSTEM_API_", 0),
)


class StackError(Exception):
    """The local stack could not be started or stopped; ``exit_code`` is the CLI's exit code."""

    exit_code = 4

    def __init__(self, message: str, details: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.details = list(details)


class StackConfigError(StackError):
    """Bad launcher settings (duplicate ports, unusable home directory)."""

    exit_code = 2


class PortInUseError(StackError):
    """A port the stack needs is taken; ``conflicts`` lists ``(service, kind, port)``."""

    exit_code = 2

    def __init__(self, host: str, conflicts: Sequence[tuple[str, str, int]]) -> None:
        self.conflicts = list(conflicts)
        parts = [f"port {port} ({svc} {kind})" for svc, kind, port in conflicts]
        super().__init__(
            f"cannot start the stack: {', '.join(parts)} already in use on {host}",
            ["stop whatever listens there, or pick other ports with --port-base / --*-port"],
        )


class ServiceStartError(StackError):
    """A service died or did not become SERVING in time; ``details`` is its log tail."""

    exit_code = 4


@dataclass
class StackConfig:
    """Launcher settings.

    Attributes:
        home: ``$EIGEN_HOME``.
        host: interface every service binds (loopback by default).
        ports: gRPC port per service name.
        metrics_ports: Prometheus port per service name (0 = off).
        start_timeout: seconds each service gets to report SERVING.
        services: services in start order.
        python: interpreter used for ``python -m``.
    """

    home: Path
    host: str = DEFAULT_HOST
    ports: dict[str, int] = field(default_factory=dict)
    metrics_ports: dict[str, int] = field(default_factory=dict)
    start_timeout: float = DEFAULT_START_TIMEOUT
    services: tuple[ServiceSpec, ...] = SERVICES
    python: str = sys.executable

    @classmethod
    def build(
        cls,
        home: Path | None = None,
        *,
        port_base: int | None = None,
        metrics_port_base: int | None = None,
        ports: Mapping[str, int | None] | None = None,
        start_timeout: float = DEFAULT_START_TIMEOUT,
        services: tuple[ServiceSpec, ...] | None = None,
    ) -> StackConfig:
        """Derive ports from bases (``port_base + offset``), then apply per-service overrides.

        ``metrics_port_base`` 0 turns ``/metrics`` off for all services; ``services`` defaults
        to :data:`SERVICES`.

        Raises:
            StackConfigError: a port is out of range or two services share one.
        """
        services = SERVICES if services is None else services
        base = DEFAULT_PORT_BASE if port_base is None else port_base
        mbase = DEFAULT_METRICS_PORT_BASE if metrics_port_base is None else metrics_port_base
        grpc_ports = {s.name: base + s.port_offset for s in services}
        for name, port in (ports or {}).items():
            if port is not None:
                grpc_ports[name] = port
        metrics = {s.name: (mbase + s.port_offset if mbase else 0) for s in services}
        cfg = cls(
            home=(home or paths.eigen_home()).expanduser(),
            ports=grpc_ports,
            metrics_ports=metrics,
            start_timeout=start_timeout,
            services=services,
        )
        cfg.check()
        return cfg

    def check(self) -> None:
        """Validate port ranges and uniqueness.

        Raises:
            StackConfigError: a port is outside 1..65535 or used twice.
        """
        used: dict[int, str] = {}
        for s in self.services:
            for kind, port in (
                ("gRPC", self.ports[s.name]),
                ("metrics", self.metrics_ports[s.name]),
            ):
                if kind == "metrics" and port == 0:
                    continue
                if not 1 <= port <= 65535:
                    raise StackConfigError(f"{s.name} {kind} port {port} is outside 1..65535")
                if port in used:
                    raise StackConfigError(
                        f"port {port} is configured for both {used[port]} and {s.name} {kind}"
                    )
                used[port] = f"{s.name} {kind}"

    def address(self, service: str) -> str:
        """``host:port`` of a service."""
        return f"{self.host}:{self.ports[service]}"

    @property
    def endpoint(self) -> str:
        """The public API endpoint (system-api); empty when the stack has no system-api."""
        return self.address("system-api") if "system-api" in self.ports else ""


@dataclass(frozen=True)
class ServiceProcess:
    """A started service as recorded in ``stack.json``."""

    name: str
    module: str
    pid: int
    port: int
    metrics_port: int
    log: str


@dataclass(frozen=True)
class StackState:
    """Contents of ``stack.json``."""

    endpoint: str
    host: str
    started_at: str
    services: tuple[ServiceProcess, ...]

    def to_json(self) -> dict[str, Any]:
        """JSON-ready dict (the ``stack.json`` format)."""
        return {
            "version": STACK_FORMAT_VERSION,
            "endpoint": self.endpoint,
            "host": self.host,
            "started_at": self.started_at,
            "services": [
                {
                    "name": s.name,
                    "module": s.module,
                    "pid": s.pid,
                    "port": s.port,
                    "metrics_port": s.metrics_port,
                    "log": s.log,
                }
                for s in self.services
            ],
        }

    @classmethod
    def from_json(cls, data: Any) -> StackState:
        """Parse ``stack.json`` content.

        Raises:
            ValueError: malformed content.
        """
        if not isinstance(data, dict) or not isinstance(data.get("services"), list):
            raise ValueError("not a stack.json document")
        svcs = tuple(
            ServiceProcess(
                str(s["name"]),
                str(s["module"]),
                int(s["pid"]),
                int(s["port"]),
                int(s.get("metrics_port", 0)),
                str(s.get("log", "")),
            )
            for s in data["services"]
        )
        return cls(str(data["endpoint"]), str(data["host"]), str(data["started_at"]), svcs)


@dataclass(frozen=True)
class UpResult:
    """Outcome of :func:`up`: the running stack and whether it was already running."""

    state: StackState
    already_running: bool
    token_file: Path
    credentials_created: bool


@dataclass(frozen=True)
class StopOutcome:
    """What :func:`down` did to one service: ``stopped``, ``killed`` or ``not running``."""

    name: str
    pid: int
    outcome: str


# --- files -----------------------------------------------------------------------------------


def _write_private(path: Path, data: str) -> None:
    """Atomically write ``data`` to ``path`` with mode 0600."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


def ensure_credentials(home: Path) -> tuple[Path, Path, bool]:
    """Create ``token`` and ``api_keys.json`` under ``home`` unless they already match.

    The token is ``secrets.token_urlsafe(32)``; ``api_keys.json`` holds only its sha256, for
    subject ``local-admin``, roles ``[admin]``, tenant ``local``. An existing token is kept; the
    key file is (re)written when it does not contain the token's hash (other keys are kept).

    Returns:
        ``(token_path, api_keys_path, created)`` where ``created`` is True if anything was written.
    """
    token_path = home / paths.TOKEN_FILE
    keys_path = home / paths.API_KEYS_FILE
    created = False
    try:
        token = token_path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        token = ""
    if not token:
        token = secrets.token_urlsafe(32)
        _write_private(token_path, token + "\n")
        created = True
    digest = hashlib.sha256(token.encode("utf-8")).hexdigest()
    keys: list[Any] = []
    try:
        doc = json.loads(keys_path.read_text(encoding="utf-8"))
        if isinstance(doc, dict) and isinstance(doc.get("keys"), list):
            keys = doc["keys"]
    except (FileNotFoundError, ValueError):
        keys = []
    if not any(isinstance(k, dict) and k.get("sha256") == digest for k in keys):
        keys = [k for k in keys if not (isinstance(k, dict) and k.get("subject") == "local-admin")]
        keys.append(
            {"sha256": digest, "subject": "local-admin", "roles": ["admin"], "tenant": "local"}
        )
        _write_private(keys_path, json.dumps({"keys": keys}, indent=2) + "\n")
        created = True
    return token_path, keys_path, created


def read_state(home: Path) -> StackState | None:
    """Return the recorded stack, or ``None`` when there is none (or the file is unreadable)."""
    try:
        return StackState.from_json(
            json.loads((home / paths.STACK_FILE).read_text(encoding="utf-8"))
        )
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _write_state(home: Path, state: StackState) -> None:
    _write_private(home / paths.STACK_FILE, json.dumps(state.to_json(), indent=2) + "\n")


def _clear_state(home: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        (home / paths.STACK_FILE).unlink()


@contextlib.contextmanager
def _locked(home: Path) -> Iterator[None]:
    fd = os.open(home / "stack.lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


def _prepare_home(home: Path) -> None:
    try:
        home.mkdir(parents=True, exist_ok=True, mode=0o700)
        (home / paths.LOGS_DIR).mkdir(exist_ok=True, mode=0o700)
        (home / paths.KERNEL_DIR).mkdir(exist_ok=True, mode=0o700)
    except OSError as exc:
        raise StackConfigError(f"cannot create EIGEN_HOME {home}: {exc.strerror}") from None


# --- processes -------------------------------------------------------------------------------


def _reap(pid: int) -> bool:
    """Reap ``pid`` if it is our exited child; True when it was reaped."""
    try:
        done, _ = os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        return False
    return done == pid


def is_running(proc: ServiceProcess) -> bool:
    """True when ``proc.pid`` is alive and (where ``/proc`` exists) still runs ``proc.module``."""
    if proc.pid <= 0:
        return False
    if _reap(proc.pid):
        return False
    try:
        os.kill(proc.pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return False  # someone else's process: the pid was recycled
    proc_dir = Path(f"/proc/{proc.pid}")
    if not proc_dir.exists():
        return True
    try:
        stat = (proc_dir / "stat").read_text()
        if stat.rsplit(")", 1)[-1].split()[0] == "Z":
            return False
        argv = (proc_dir / "cmdline").read_bytes().split(b"\0")
    except OSError:
        return False
    return proc.module.encode() in argv


def _wait_exit(pid: int, timeout: float) -> bool:
    """Wait up to ``timeout`` s for ``pid`` to exit; True when it did."""
    deadline = time.monotonic() + timeout
    pidfd_open = getattr(os, "pidfd_open", None)
    if pidfd_open is not None:
        try:
            fd = pidfd_open(pid)
        except ProcessLookupError:
            _reap(pid)
            return True
        except OSError:
            fd = None
        if fd is not None:
            try:
                poller = select.poll()
                poller.register(fd, select.POLLIN)
                ready = poller.poll(max(0, int(timeout * 1000)))
            finally:
                os.close(fd)
            if ready:
                _reap(pid)
                return True
            return False
    while time.monotonic() < deadline:  # portable fallback (no pidfd)
        if _reap(pid):
            return True
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.05)
    return False


def _signal_group(pid: int, sig: signal.Signals) -> None:
    try:
        if os.getpgid(pid) == pid:
            os.killpg(pid, sig)
        else:
            os.kill(pid, sig)
    except ProcessLookupError:
        pass


def _stop_one(proc: ServiceProcess, grace: float) -> StopOutcome:
    if not is_running(proc):
        return StopOutcome(proc.name, proc.pid, "not running")
    _signal_group(proc.pid, signal.SIGTERM)
    if _wait_exit(proc.pid, grace):
        return StopOutcome(proc.name, proc.pid, "stopped")
    _signal_group(proc.pid, signal.SIGKILL)
    _wait_exit(proc.pid, 5.0)
    return StopOutcome(proc.name, proc.pid, "killed")


def _stop_all(procs: Sequence[ServiceProcess], grace: float) -> list[StopOutcome]:
    return [_stop_one(p, grace) for p in reversed(procs)]


def port_conflicts(cfg: StackConfig) -> list[tuple[str, str, int]]:
    """Return ``(service, kind, port)`` for every configured port that cannot be bound now."""
    out = []
    for s in cfg.services:
        for kind, port in (("gRPC", cfg.ports[s.name]), ("metrics", cfg.metrics_ports[s.name])):
            if port and not _port_free(cfg.host, port):
                out.append((s.name, kind, port))
    return out


def _port_free(host: str, port: int) -> bool:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        # SO_REUSEADDR as the gRPC server uses it: TIME_WAIT leftovers don't count, listeners do.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError as exc:
            if exc.errno in (errno.EADDRINUSE, errno.EACCES):
                return False
            raise StackConfigError(f"cannot bind {host}:{port}: {exc.strerror}") from None
    return True


def service_env(cfg: StackConfig, spec: ServiceSpec, base: Mapping[str, str]) -> dict[str, str]:
    """Environment for one service: ``base`` plus its ``EIGEN_<SERVICE>_*`` settings.

    Every service gets ``<PREFIX>HOST``, ``<PREFIX>PORT``, ``<PREFIX>METRICS_PORT``; the kernel
    also ``EIGEN_KERNEL_HOME``, ``EIGEN_KERNEL_COMPILER_ADDRESS``,
    ``EIGEN_KERNEL_DRIVER_MANAGER_ADDRESS``; the system-api also
    ``EIGEN_SYSTEM_API_KERNEL_ADDRESS``, ``EIGEN_SYSTEM_API_COMPILER_ADDRESS`` (its
    CompilationService proxy) and ``EIGEN_SYSTEM_API_API_KEYS_FILE``. The client-side
    ``EIGEN_TOKEN`` / ``EIGEN_ENDPOINT`` are not passed on.
    """
    env = {k: v for k, v in base.items() if k not in ("EIGEN_TOKEN", "EIGEN_ENDPOINT")}
    p = spec.env_prefix
    env[f"{p}HOST"] = cfg.host
    env[f"{p}PORT"] = str(cfg.ports[spec.name])
    env[f"{p}METRICS_PORT"] = str(cfg.metrics_ports[spec.name])
    env["PYTHONUNBUFFERED"] = "1"
    if spec.name == "kernel":
        env["EIGEN_KERNEL_HOME"] = str(cfg.home / paths.KERNEL_DIR)
        env["EIGEN_KERNEL_COMPILER_ADDRESS"] = cfg.address("compiler")
        env["EIGEN_KERNEL_DRIVER_MANAGER_ADDRESS"] = cfg.address("driver-manager")
    if spec.name == "system-api":
        env["EIGEN_SYSTEM_API_KERNEL_ADDRESS"] = cfg.address("kernel")
        env["EIGEN_SYSTEM_API_COMPILER_ADDRESS"] = cfg.address("compiler")
        env["EIGEN_SYSTEM_API_API_KEYS_FILE"] = str(cfg.home / paths.API_KEYS_FILE)
    return env


def _log_tail(path: Path, offset: int, lines: int = LOG_TAIL_LINES) -> list[str]:
    try:
        with path.open("rb") as fh:
            fh.seek(offset)
            data = fh.read()[-64 * 1024 :]
    except OSError:
        return []
    return data.decode("utf-8", "replace").splitlines()[-lines:]


def _wait_serving(
    cfg: StackConfig, spec: ServiceSpec, proc: subprocess.Popen[bytes], log: Path, offset: int
) -> None:
    """Block until the service reports SERVING; raise with its log tail if it dies or times out."""
    deadline = time.monotonic() + cfg.start_timeout
    options = [
        ("grpc.initial_reconnect_backoff_ms", 100),
        ("grpc.min_reconnect_backoff_ms", 100),
        ("grpc.max_reconnect_backoff_ms", 500),
    ]
    with grpc.insecure_channel(cfg.address(spec.name), options=options) as channel:
        stub = health_pb2_grpc.HealthStub(channel)
        while True:
            code = proc.poll()
            if code is not None:
                raise ServiceStartError(
                    f"{spec.name} exited with code {code} during startup (log: {log})",
                    _log_tail(log, offset),
                )
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise ServiceStartError(
                    f"{spec.name} did not report SERVING on {cfg.address(spec.name)} within "
                    f"{cfg.start_timeout:g}s (log: {log})",
                    _log_tail(log, offset),
                )
            try:
                resp = stub.Check(
                    health_pb2.HealthCheckRequest(service=""),
                    timeout=min(0.5, remaining),
                    wait_for_ready=True,
                )
            except grpc.RpcError:
                continue  # not listening yet: wait_for_ready already waited up to 0.5 s
            if resp.status == health_pb2.HealthCheckResponse.SERVING:
                return
            time.sleep(min(0.1, max(0.0, remaining)))


def _start_service(
    cfg: StackConfig, spec: ServiceSpec
) -> tuple[subprocess.Popen[bytes], Path, int]:
    log = cfg.home / paths.LOGS_DIR / f"{spec.name}.log"
    fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    with os.fdopen(fd, "ab") as fh:
        stamp = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        fh.write(f"--- eigen up {stamp}: {spec.name} on {cfg.address(spec.name)} ---\n".encode())
        fh.flush()
        offset = fh.tell()
        try:
            proc = subprocess.Popen(
                [cfg.python, "-m", spec.module, *spec.args],
                env=service_env(cfg, spec, paths.environ()),
                stdin=subprocess.DEVNULL,
                stdout=fh,
                stderr=subprocess.STDOUT,
                cwd=cfg.home,
                start_new_session=True,
                close_fds=True,
            )
        except OSError as exc:
            raise ServiceStartError(f"cannot start {spec.name}: {exc.strerror}") from None
    return proc, log, offset


def status(home: Path) -> tuple[StackState | None, dict[str, bool]]:
    """Return the recorded stack (or ``None``) and, per service, whether it is running."""
    state = read_state(home)
    if state is None:
        return None, {}
    return state, {s.name: is_running(s) for s in state.services}


def up(cfg: StackConfig, *, on_event: Callable[[str], None] | None = None) -> UpResult:
    """Start the stack (or report that it already runs).

    Args:
        cfg: launcher settings.
        on_event: called with a short progress message per step (never the token).

    Returns:
        The running stack; ``already_running`` when every recorded service was alive.

    Raises:
        PortInUseError: a configured port is taken (nothing was started).
        ServiceStartError: a service died or timed out; everything started is stopped again.
        StackConfigError: bad settings or an unusable ``EIGEN_HOME``.
    """
    say = on_event or (lambda _msg: None)
    home = cfg.home
    _prepare_home(home)
    with _locked(home):
        token_path = home / paths.TOKEN_FILE
        previous = read_state(home)
        if previous is not None:
            alive = [s for s in previous.services if is_running(s)]
            if alive and len(alive) == len(previous.services):
                return UpResult(previous, True, token_path, False)
            if alive:
                say(f"stopping the remains of a broken stack ({', '.join(s.name for s in alive)})")
                _stop_all(alive, DEFAULT_STOP_GRACE)
            _clear_state(home)
        conflicts = port_conflicts(cfg)
        if conflicts:
            raise PortInUseError(cfg.host, conflicts)
        token_path, _, created = ensure_credentials(home)
        if created:
            say(f"created local admin credentials in {home}")
        started: list[ServiceProcess] = []
        stamp = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")

        def state() -> StackState:
            return StackState(cfg.endpoint, cfg.host, stamp, tuple(started))

        try:
            for spec in cfg.services:
                say(f"starting {spec.name} on {cfg.address(spec.name)}")
                proc, log, offset = _start_service(cfg, spec)
                started.append(
                    ServiceProcess(
                        spec.name,
                        spec.module,
                        proc.pid,
                        cfg.ports[spec.name],
                        cfg.metrics_ports[spec.name],
                        str(log),
                    )
                )
                _write_state(home, state())
                _wait_serving(cfg, spec, proc, log, offset)
        except BaseException:
            _stop_all(started, 5.0)
            _clear_state(home)
            raise
        return UpResult(state(), False, token_path, created)


def down(home: Path, *, grace: float = DEFAULT_STOP_GRACE) -> list[StopOutcome] | None:
    """Stop the recorded stack: SIGTERM (reverse start order), wait ``grace`` s, then SIGKILL.

    Returns:
        One outcome per service, or ``None`` when no stack is recorded.
    """
    if not home.exists():
        return None
    with _locked(home):
        state = read_state(home)
        if state is None:
            _clear_state(home)
            return None
        outcomes = _stop_all(state.services, grace)
        _clear_state(home)
        return outcomes


def run_foreground(cfg: StackConfig, *, on_event: Callable[[str], None] | None = None) -> int:
    """Start the stack, block until SIGINT/SIGTERM or until a service dies, then stop it.

    Returns:
        0 after a signal, 4 when a service died on its own.
    """
    say = on_event or (lambda _msg: None)
    result = up(cfg, on_event=say)
    if result.already_running:
        raise StackError("the stack is already running; stop it with `eigen down` first")

    def _interrupt(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, _interrupt)
    code = 0
    try:
        pid, _ = os.wait()  # blocks until one of our services exits
        name = next((s.name for s in result.state.services if s.pid == pid), str(pid))
        say(f"{name} exited; stopping the stack")
        code = 4
    except KeyboardInterrupt:
        say("stopping the stack")
    finally:
        signal.signal(signal.SIGTERM, previous)
        down(cfg.home)
    return code
