"""The embedded local stack behind ``eigen up`` / ``eigen down`` (SPEC §1, §11).

``eigen up`` starts a supervisor (``python -m eigen_os.supervisor``, detached) that starts the
four services as child processes on loopback, in dependency order (compiler, driver-manager,
kernel, system-api), each with ``python -m <module>`` and its ``EIGEN_<SERVICE>_*``
environment, waits until each reports ``grpc.health.v1`` SERVING, then watches them: a service
that dies is restarted alone, with backoff and a restart limit (:mod:`eigen_os.supervisor`).
``eigen up`` relays the supervisor's progress and returns once the stack serves.

Everything lives under ``$EIGEN_HOME`` (default ``~/.eigen``, created 0700)::

    token              the local admin bearer token (0600, created on first start, never printed)
    api_keys.json      {"keys": [{"sha256": <hex of token>, "subject": "local-admin",
                                  "roles": ["admin"], "tenant": "local"}]}   (0600)
    internal_token     the per-stack secret the services require of each other (0600, new on
                       every fresh start; SPEC §11, :mod:`eigen_common.security`)
    tls/               with `eigen up --tls`: local CA and service certificate (eigen_os.localtls)
    stack.json         what runs: endpoint, supervisor, and per service pid, port, metrics port,
                       log file, restarts, state (running / restarting / failed)
    stack.lock         serialises concurrent `eigen up` / `eigen down`
    kernel/            the kernel's state (SQLite job store, QFS)
    logs/<svc>.log     each service's stdout+stderr (appended); logs/supervisor.log its own

``eigen down`` asks the supervisor to stop (``stop.json`` with the grace, then SIGTERM): it
sends SIGTERM to each service's process group (reverse order), waits for it to drain, SIGKILLs
what is left, reaps them and records each outcome; without a live supervisor ``eigen down``
stops the recorded services itself. Recorded pids are checked against ``/proc/<pid>``
(command line, start time) where available so a recycled pid is never signalled.
"""

from __future__ import annotations

import contextlib
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
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from eigen_os import paths

STACK_FORMAT_VERSION = 2
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT_BASE = 50051
#: REST port of the system-api (SPEC §15); ``--rest-port`` / ``EIGEN_REST_PORT``, 0 = off.
DEFAULT_REST_PORT = 8080
DEFAULT_METRICS_PORT_BASE = 9101
#: Seconds each service gets to report SERVING.
DEFAULT_START_TIMEOUT = 90.0
#: Seconds each service gets to exit after SIGTERM before SIGKILL.
DEFAULT_STOP_GRACE = 15.0
#: Restarts of one service in a row (each within ``stable_seconds`` of the last) before the
#: supervisor gives up on it.
DEFAULT_RESTART_LIMIT = 5
LOG_TAIL_LINES = 25
SUPERVISOR_MODULE = "eigen_os.supervisor"
SUPERVISOR_LOG = "supervisor.log"
#: What `eigen down` asks of the supervisor (``{"grace": seconds}``), next to ``stack.json``.
STOP_REQUEST_FILE = "stop.json"


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
#: The service clients reach; the others accept only the stack's own calls.
PUBLIC_SERVICE = "system-api"


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


@dataclass(frozen=True)
class RestartPolicy:
    """How the supervisor restarts a service that died.

    The first restart is immediate; the n-th in a row waits ``backoff * 2**(n-2)`` seconds
    (at most ``backoff_max``). A service that served for ``stable_seconds`` starts a new row.
    After ``limit`` restarts in a row the service is left ``failed`` (the rest keep running;
    the next ``eigen up`` starts the stack afresh).
    """

    limit: int = DEFAULT_RESTART_LIMIT
    backoff: float = 0.5
    backoff_max: float = 10.0
    stable_seconds: float = 30.0

    def delay(self, attempt: int) -> float:
        """Seconds to wait before restart number ``attempt`` (1-based) of the current row."""
        if attempt <= 1:
            return 0.0
        return float(min(self.backoff * 2 ** (attempt - 2), self.backoff_max))


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
        tls: serve TLS on the public endpoint and mTLS among the services, with a local CA
            (:mod:`eigen_os.localtls`).
        restart: the supervisor's restart policy.
        rest_port: the system-api's REST port (SPEC §15; 0 = REST off).
    """

    home: Path
    host: str = DEFAULT_HOST
    ports: dict[str, int] = field(default_factory=dict)
    metrics_ports: dict[str, int] = field(default_factory=dict)
    start_timeout: float = DEFAULT_START_TIMEOUT
    services: tuple[ServiceSpec, ...] = SERVICES
    python: str = sys.executable
    tls: bool = False
    restart: RestartPolicy = field(default_factory=RestartPolicy)
    rest_port: int = DEFAULT_REST_PORT

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
        tls: bool = False,
        restart: RestartPolicy | None = None,
        rest_port: int | None = None,
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
            tls=tls,
            restart=restart or RestartPolicy(),
            rest_port=DEFAULT_REST_PORT if rest_port is None else rest_port,
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
        if self.rest_port and PUBLIC_SERVICE in self.ports:
            if not 1 <= self.rest_port <= 65535:
                raise StackConfigError(f"REST port {self.rest_port} is outside 1..65535")
            if self.rest_port in used:
                raise StackConfigError(
                    f"port {self.rest_port} is configured for both {used[self.rest_port]} "
                    "and the REST API"
                )

    def address(self, service: str) -> str:
        """``host:port`` of a service."""
        return f"{self.host}:{self.ports[service]}"

    @property
    def endpoint(self) -> str:
        """The public API endpoint (``grpcs://host:port`` with TLS); empty without a system-api."""
        if PUBLIC_SERVICE not in self.ports:
            return ""
        address = self.address(PUBLIC_SERVICE)
        return f"grpcs://{address}" if self.tls else address

    @property
    def tls_dir(self) -> Path:
        """``$EIGEN_HOME/tls``."""
        return self.home / paths.TLS_DIR

    def to_json(self) -> dict[str, Any]:
        """JSON-ready form (what ``eigen up`` hands the supervisor)."""
        return {
            "home": str(self.home),
            "host": self.host,
            "ports": self.ports,
            "metrics_ports": self.metrics_ports,
            "start_timeout": self.start_timeout,
            "services": [asdict(s) for s in self.services],
            "python": self.python,
            "tls": self.tls,
            "restart": asdict(self.restart),
            "rest_port": self.rest_port,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> StackConfig:
        """Inverse of :meth:`to_json`.

        Raises:
            KeyError, TypeError, ValueError: malformed input.
        """
        return cls(
            home=Path(data["home"]),
            host=str(data["host"]),
            ports={str(k): int(v) for k, v in data["ports"].items()},
            metrics_ports={str(k): int(v) for k, v in data["metrics_ports"].items()},
            start_timeout=float(data["start_timeout"]),
            services=tuple(
                ServiceSpec(
                    str(s["name"]),
                    str(s["module"]),
                    str(s["env_prefix"]),
                    int(s["port_offset"]),
                    tuple(str(a) for a in s["args"]),
                )
                for s in data["services"]
            ),
            python=str(data["python"]),
            tls=bool(data["tls"]),
            restart=RestartPolicy(**data["restart"]),
            rest_port=int(data.get("rest_port", DEFAULT_REST_PORT)),
        )


@dataclass(frozen=True)
class ServiceProcess:
    """A started service as recorded in ``stack.json``.

    ``restarts`` counts the supervisor's restarts of it; ``state`` is ``running``,
    ``restarting``, ``failed`` (the supervisor gave up on it), or after a stop ``stopped``,
    ``killed`` or ``not running``.
    """

    name: str
    module: str
    pid: int
    port: int
    metrics_port: int
    log: str
    restarts: int = 0
    state: str = "running"


@dataclass(frozen=True)
class SupervisorProcess:
    """The supervisor as recorded in ``stack.json``: pid, its start time token, its log."""

    pid: int
    start_time: str
    log: str


@dataclass(frozen=True)
class StackState:
    """Contents of ``stack.json``; ``tls_ca`` is the CA clients trust ('' without TLS)."""

    endpoint: str
    host: str
    started_at: str
    services: tuple[ServiceProcess, ...]
    supervisor: SupervisorProcess | None = None
    tls_ca: str = ""

    def to_json(self) -> dict[str, Any]:
        """JSON-ready dict (the ``stack.json`` format)."""
        return {
            "version": STACK_FORMAT_VERSION,
            "endpoint": self.endpoint,
            "host": self.host,
            "started_at": self.started_at,
            "supervisor": asdict(self.supervisor) if self.supervisor else None,
            "tls": {"ca_file": self.tls_ca} if self.tls_ca else None,
            "services": [asdict(s) for s in self.services],
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
                int(s.get("restarts", 0)),
                str(s.get("state", "running")),
            )
            for s in data["services"]
        )
        sup = data.get("supervisor")
        supervisor = (
            SupervisorProcess(int(sup["pid"]), str(sup["start_time"]), str(sup.get("log", "")))
            if isinstance(sup, dict)
            else None
        )
        tls = data.get("tls")
        tls_ca = str(tls.get("ca_file", "")) if isinstance(tls, dict) else ""
        return cls(
            str(data["endpoint"]),
            str(data["host"]),
            str(data["started_at"]),
            svcs,
            supervisor,
            tls_ca,
        )


@dataclass(frozen=True)
class UpResult:
    """Outcome of :func:`up`: the running stack and whether it was already running."""

    state: StackState
    already_running: bool
    token_file: Path
    credentials_created: bool


@dataclass(frozen=True)
class StopOutcome:
    """What :func:`down` did to one process: ``stopped``, ``killed`` or ``not running``."""

    name: str
    pid: int
    outcome: str


@dataclass(frozen=True)
class DownResult:
    """Outcome of :func:`down`: the supervisor's and each service's (reverse start order)."""

    supervisor: StopOutcome | None
    services: list[StopOutcome]


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

    Raises:
        OSError: a file cannot be read or written.
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


def new_internal_token(home: Path) -> Path:
    """Write a fresh per-stack secret (``token_urlsafe(32)``, 0600) and return its path.

    Raises:
        OSError: the file cannot be written.
    """
    path = home / paths.INTERNAL_TOKEN_FILE
    _write_private(path, secrets.token_urlsafe(32) + "\n")
    return path


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


def write_state(home: Path, state: StackState) -> None:
    """Atomically write ``stack.json`` (0600).

    Raises:
        OSError: it cannot be written.
    """
    _write_private(home / paths.STACK_FILE, json.dumps(state.to_json(), indent=2) + "\n")


def clear_state(home: Path) -> None:
    """Remove ``stack.json`` (no error when it is absent)."""
    with contextlib.suppress(FileNotFoundError):
        (home / paths.STACK_FILE).unlink()


def _home_error(home: Path, exc: OSError) -> StackConfigError:
    reason = exc.strerror or str(exc)
    return StackConfigError(f"cannot use EIGEN_HOME {home}: {reason} (is it writable?)")


@contextlib.contextmanager
def _locked(home: Path) -> Iterator[None]:
    try:
        fd = os.open(home / "stack.lock", os.O_RDWR | os.O_CREAT, 0o600)
    except OSError as exc:
        raise _home_error(home, exc) from None
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
        raise _home_error(home, exc) from None


# --- processes -------------------------------------------------------------------------------


def _reap(pid: int) -> bool:
    """Reap ``pid`` if it is our exited child; True when it was reaped."""
    try:
        done, _ = os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        return False
    return done == pid


def _proc_stat(pid: int) -> list[str] | None:
    """Fields of ``/proc/<pid>/stat`` after the command name (state first), or ``None``."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[-1].split()
    except OSError:
        return None


def process_start_time(pid: int) -> str:
    """A token that identifies ``pid``'s process across pid reuse ('' where /proc is absent)."""
    fields = _proc_stat(pid)
    return fields[19] if fields and len(fields) > 19 else ""


def _alive(pid: int) -> bool:
    if pid <= 0 or _reap(pid):
        return False
    try:
        os.kill(pid, 0)
    except (ProcessLookupError, PermissionError):
        return False  # gone, or someone else's process: the pid was recycled
    return True


def is_running(proc: ServiceProcess) -> bool:
    """True when ``proc.pid`` is alive and (where ``/proc`` exists) still runs ``proc.module``."""
    if not _alive(proc.pid):
        return False
    proc_dir = Path(f"/proc/{proc.pid}")
    if not proc_dir.exists():
        return True
    fields = _proc_stat(proc.pid)
    if not fields or fields[0] == "Z":
        return False
    try:
        argv = (proc_dir / "cmdline").read_bytes().split(b"\0")
    except OSError:
        return False
    return proc.module.encode() in argv


def supervisor_running(sup: SupervisorProcess | None) -> bool:
    """True when the recorded supervisor is alive (same start time where ``/proc`` exists)."""
    if sup is None or not _alive(sup.pid):
        return False
    fields = _proc_stat(sup.pid)
    if fields is None:
        return not Path("/proc/self").exists()
    return fields[0] != "Z" and (
        not sup.start_time or process_start_time(sup.pid) == sup.start_time
    )


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
        if s.name == PUBLIC_SERVICE and cfg.rest_port and not _port_free(cfg.host, cfg.rest_port):
            out.append((s.name, "REST", cfg.rest_port))
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

    Every service gets ``<PREFIX>HOST``, ``<PREFIX>PORT``, ``<PREFIX>METRICS_PORT`` and
    ``<PREFIX>INTERNAL_TOKEN_FILE`` (the per-stack secret); the kernel also
    ``EIGEN_KERNEL_HOME``, ``EIGEN_KERNEL_COMPILER_ADDRESS``,
    ``EIGEN_KERNEL_DRIVER_MANAGER_ADDRESS``; the system-api also
    ``EIGEN_SYSTEM_API_KERNEL_ADDRESS``, ``EIGEN_SYSTEM_API_COMPILER_ADDRESS`` (its
    CompilationService proxy) and ``EIGEN_SYSTEM_API_API_KEYS_FILE``. With ``cfg.tls`` every
    service gets ``<PREFIX>TLS_CERT_FILE``, ``_TLS_KEY_FILE`` and ``_TLS_CA_FILE`` (TLS for
    its internal calls), and the internal ones ``_TLS_CLIENT_CA_FILE`` (mTLS). Inherited
    ``<PREFIX>INTERNAL_TOKEN*`` / ``<PREFIX>TLS_*`` and the client-side ``EIGEN_TOKEN`` /
    ``EIGEN_ENDPOINT`` are not passed on: the launcher decides those.
    """
    p = spec.env_prefix
    managed = (f"{p}INTERNAL_TOKEN", f"{p}TLS_")
    env = {
        k: v
        for k, v in base.items()
        if k not in ("EIGEN_TOKEN", "EIGEN_ENDPOINT") and not k.startswith(managed)
    }
    env[f"{p}HOST"] = cfg.host
    env[f"{p}PORT"] = str(cfg.ports[spec.name])
    env[f"{p}METRICS_PORT"] = str(cfg.metrics_ports[spec.name])
    env[f"{p}INTERNAL_TOKEN_FILE"] = str(cfg.home / paths.INTERNAL_TOKEN_FILE)
    env["PYTHONUNBUFFERED"] = "1"
    if cfg.tls:
        env[f"{p}TLS_CERT_FILE"] = str(cfg.tls_dir / paths.TLS_CERT_FILE)
        env[f"{p}TLS_KEY_FILE"] = str(cfg.tls_dir / paths.TLS_KEY_FILE)
        env[f"{p}TLS_CA_FILE"] = str(cfg.tls_dir / paths.TLS_CA_FILE)
        if spec.name != PUBLIC_SERVICE:
            env[f"{p}TLS_CLIENT_CA_FILE"] = str(cfg.tls_dir / paths.TLS_CA_FILE)
    if spec.name == "kernel":
        env["EIGEN_KERNEL_HOME"] = str(cfg.home / paths.KERNEL_DIR)
        env["EIGEN_KERNEL_COMPILER_ADDRESS"] = cfg.address("compiler")
        env["EIGEN_KERNEL_DRIVER_MANAGER_ADDRESS"] = cfg.address("driver-manager")
    if spec.name == "system-api":
        env["EIGEN_SYSTEM_API_KERNEL_ADDRESS"] = cfg.address("kernel")
        env["EIGEN_SYSTEM_API_COMPILER_ADDRESS"] = cfg.address("compiler")
        env["EIGEN_SYSTEM_API_API_KEYS_FILE"] = str(cfg.home / paths.API_KEYS_FILE)
        env["EIGEN_SYSTEM_API_REST_PORT"] = str(cfg.rest_port)
    return env


def log_tail(path: Path, offset: int = 0, lines: int = LOG_TAIL_LINES) -> list[str]:
    """The last ``lines`` lines of ``path`` written after byte ``offset`` ([] if unreadable)."""
    try:
        with path.open("rb") as fh:
            fh.seek(offset)
            data = fh.read()[-64 * 1024 :]
    except OSError:
        return []
    return data.decode("utf-8", "replace").splitlines()[-lines:]


def status(home: Path) -> tuple[StackState | None, dict[str, bool]]:
    """Return the recorded stack (or ``None``) and, per service, whether it is running."""
    state = read_state(home)
    if state is None:
        return None, {}
    return state, {s.name: is_running(s) for s in state.services}


def _healthy(state: StackState) -> bool:
    """A supervisor watches the stack and no service was given up on."""
    return supervisor_running(state.supervisor) and all(
        s.state == "restarting" or (s.state == "running" and is_running(s)) for s in state.services
    )


def up(cfg: StackConfig, *, on_event: Callable[[str], None] | None = None) -> UpResult:
    """Start the stack under a supervisor (or report that it already runs).

    Writes the credentials (admin token, a fresh per-stack internal secret, with
    ``cfg.tls`` the local CA and certificate), starts ``python -m eigen_os.supervisor``
    detached, relays its progress and returns once every service reports SERVING.

    Args:
        cfg: launcher settings.
        on_event: called with a short progress message per step (never a secret).

    Returns:
        The running stack; ``already_running`` when a supervisor already watches it.

    Raises:
        PortInUseError: a configured port is taken (nothing was started).
        ServiceStartError: a service died or timed out; everything started is stopped again.
        StackConfigError: bad settings, an unusable ``EIGEN_HOME`` (e.g. read-only), or a
            running stack with the other TLS setting.
    """
    say = on_event or (lambda _msg: None)
    home = cfg.home
    _prepare_home(home)
    with _locked(home):
        token_path = home / paths.TOKEN_FILE
        previous = read_state(home)
        if previous is not None:
            if _healthy(previous):
                if bool(previous.tls_ca) != cfg.tls:
                    mode = "with" if previous.tls_ca else "without"
                    raise StackConfigError(
                        f"the stack is already running {mode} TLS; stop it with `eigen down` first"
                    )
                return UpResult(previous, True, token_path, False)
            if supervisor_running(previous.supervisor) or any(
                is_running(s) for s in previous.services
            ):
                say("stopping the remains of a broken stack")
                _stop_stack(home, previous, DEFAULT_STOP_GRACE)
            _clear(home)
        token_path, created = prepare(cfg, say)
        state = _run_supervisor(cfg, say)
        return UpResult(state, False, token_path, created)


def prepare(cfg: StackConfig, say: Callable[[str], None]) -> tuple[Path, bool]:
    """Check the ports and write the credentials a fresh stack needs.

    Returns:
        ``(token_path, created)``: the admin token file, and whether credentials were created.

    Raises:
        PortInUseError: a configured port is taken.
        StackConfigError: ``EIGEN_HOME`` cannot be written.
    """
    home = cfg.home
    _prepare_home(home)
    conflicts = port_conflicts(cfg)
    if conflicts:
        raise PortInUseError(cfg.host, conflicts)
    try:
        token_path, _, created = ensure_credentials(home)
        new_internal_token(home)
        if cfg.tls:
            from eigen_os.localtls import ensure_local_tls  # cryptography only when asked

            ensure_local_tls(home, [cfg.host])
    except OSError as exc:
        raise _home_error(home, exc) from None
    if created:
        say(f"created local admin credentials in {home}")
    if cfg.tls:
        say(f"TLS with the local CA {cfg.tls_dir / paths.TLS_CA_FILE}")
    return token_path, created


def _clear(home: Path) -> None:
    try:
        clear_state(home)
    except OSError as exc:
        raise _home_error(home, exc) from None


def _run_supervisor(cfg: StackConfig, say: Callable[[str], None]) -> StackState:
    """Start the supervisor and relay its events until the stack serves (or fails)."""
    home = cfg.home
    log = home / paths.LOGS_DIR / SUPERVISOR_LOG
    try:
        log_fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    except OSError as exc:
        raise _home_error(home, exc) from None
    offset = os.lseek(log_fd, 0, os.SEEK_END)
    r, w = os.pipe()
    env = {k: v for k, v in paths.environ().items() if k not in ("EIGEN_TOKEN", "EIGEN_ENDPOINT")}
    try:
        proc = subprocess.Popen(
            [cfg.python, "-m", SUPERVISOR_MODULE, "--events-fd", str(w)],
            env=env,
            stdin=subprocess.PIPE,
            stdout=log_fd,
            stderr=subprocess.STDOUT,
            cwd=home,
            start_new_session=True,
            pass_fds=(w,),
        )
    except OSError as exc:
        os.close(r)
        raise ServiceStartError(f"cannot start the supervisor: {exc.strerror}") from None
    finally:
        os.close(w)
        os.close(log_fd)
    try:
        assert proc.stdin is not None
        with proc.stdin:
            proc.stdin.write(json.dumps(cfg.to_json()).encode())
        deadline = time.monotonic() + cfg.start_timeout * (len(cfg.services) + 1) + 30
        state = _relay(r, say, deadline)
        if state is None:
            proc.wait(30)
            raise ServiceStartError(
                f"the supervisor exited with code {proc.returncode} during startup (log: {log})",
                log_tail(log, offset),
            )
        return state
    except BaseException:  # reported (it cleaned up and exits), died, timed out or Ctrl-C
        _abort(home, proc)
        raise
    finally:
        os.close(r)


def _relay(fd: int, say: Callable[[str], None], deadline: float) -> StackState | None:
    """Read the supervisor's JSON event lines until ``ready`` (→ state) or EOF (→ None).

    Raises:
        ServiceStartError: an ``error`` event, or no answer before ``deadline``.
    """
    buf = b""
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0 or not select.select([fd], [], [], remaining)[0]:
            raise ServiceStartError("the stack did not start in time")
        chunk = os.read(fd, 65536)
        if not chunk:
            return None
        buf += chunk
        while b"\n" in buf:
            line, buf = buf.split(b"\n", 1)
            event = json.loads(line)
            if event["event"] == "progress":
                say(str(event["message"]))
            elif event["event"] == "ready":
                return StackState.from_json(event["state"])
            elif event["event"] == "error":
                raise ServiceStartError(str(event["message"]), list(event.get("details", [])))


def _abort(home: Path, proc: subprocess.Popen[bytes]) -> None:
    """Stop a supervisor that failed to start the stack, and whatever it left running."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)  # it stops its services, then exits
        try:
            proc.wait(DEFAULT_STOP_GRACE * 2)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    state = read_state(home)
    if state is not None:
        _stop_all(state.services, 5.0)
    with contextlib.suppress(OSError):
        clear_state(home)


_STOPPED = ("stopped", "killed", "not running")


def _stop_stack(home: Path, state: StackState, grace: float) -> DownResult:
    """Have the supervisor stop the services (``stop.json`` + SIGTERM), else stop them here.

    Services the supervisor did not report as stopped (it was dead, or was killed after
    ``grace`` per service + 30 s) are stopped directly.
    """
    if state.supervisor is None:
        return DownResult(None, _stop_all(state.services, grace))
    pid = state.supervisor.pid
    if not supervisor_running(state.supervisor):
        sup = StopOutcome("supervisor", pid, "not running")
    else:
        _write_private(home / STOP_REQUEST_FILE, json.dumps({"grace": grace}) + "\n")
        try:
            os.kill(pid, signal.SIGTERM)
            if _wait_exit(pid, grace * len(state.services) + 30.0):
                sup = StopOutcome("supervisor", pid, "stopped")
            else:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
                _wait_exit(pid, 5.0)
                sup = StopOutcome("supervisor", pid, "killed")
        finally:
            with contextlib.suppress(OSError):
                (home / STOP_REQUEST_FILE).unlink()
        state = read_state(home) or state  # with the outcomes it recorded
    outcomes = [
        StopOutcome(s.name, s.pid, s.state) if s.state in _STOPPED else _stop_one(s, grace)
        for s in reversed(state.services)
    ]
    return DownResult(sup, outcomes)


def down(home: Path, *, grace: float = DEFAULT_STOP_GRACE) -> DownResult | None:
    """Stop the recorded stack: the supervisor first, then the services (reverse start order).

    Each service gets SIGTERM, ``grace`` seconds to drain, then SIGKILL.

    Returns:
        What was stopped, or ``None`` when no stack is recorded.

    Raises:
        StackConfigError: ``EIGEN_HOME`` cannot be used (e.g. read-only).
    """
    if not (home / paths.STACK_FILE).exists():
        return None  # nothing recorded (also on a home we could not lock)
    with _locked(home):
        state = read_state(home)
        if state is None:
            _clear(home)
            return None
        result = _stop_stack(home, state, grace)
        _clear(home)
        return result
