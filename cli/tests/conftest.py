"""Fixtures for the CLI/SDK tests: the real stack, in this process, bound to port 0.

``tests/inprocess.py`` starts compiler, driver-manager, kernel and system-api through their own
composition roots (``app.build(settings)``). click's ``CliRunner`` and the blocking SDK client
are synchronous, so the stack's event loop runs in a background thread (:class:`StackThread`).

- ``api`` (session): one stack shared by every test that only looks at its own jobs;
  besides the admin and read-only keys of ``tests/inprocess.py`` it knows :data:`OTHER_TOKEN`,
  a user of another tenant;
- ``fresh_api`` (per test): a stack of its own, for tests that count jobs, break a service or
  restart one;
- ``long_job``: a real job that keeps running until it is cancelled (an SPSA VQE with a budget
  of 100,000 iterations, each a real exact estimation on Aer); unlike a large-shots circuit,
  cancelling it stops the work at once (the kernel checks between iterations).

Server logs go to the stderr pytest captures, never to the stdout a ``CliRunner`` is reading.
"""

from __future__ import annotations

import asyncio
import socket
import sqlite3
import threading
from collections.abc import Coroutine, Iterator
from contextlib import AbstractAsyncContextManager, contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import pytest
from click.testing import CliRunner, Result

from eigen_common.errors import FailedPreconditionError
from eigen_common.logs import configure_logging
from eigen_os.cli.main import cli
from eigen_os.client import EigenClient
from eigen_system_api.app import build as build_api
from tests.inprocess import (
    ADMIN_TOKEN,
    DEFAULT_KEYS,
    READONLY_TOKEN,
    InProcessStack,
    start_stack,
)

T = TypeVar("T")

#: A user of another tenant (``other``) on every stack of these tests.
OTHER_TOKEN = "in-process-other-tenant-token"
CLI_KEYS = {**DEFAULT_KEYS, OTHER_TOKEN: ("bob", ("user",), "other")}

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
CORPUS = ROOT / "tests" / "corpus"

BELL_QASM = (
    'OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[2];\ncreg c[2];\n'
    "h q[0];\ncx q[0],q[1];\nmeasure q -> c;\n"
)

#: An H2 VQE whose optimiser (SPSA, no convergence test) runs 100,000 iterations: minutes of
#: real work, a progress event per iteration, and it stops as soon as it is cancelled.
LONG_VQE = """\
from eigen_lang import ExpectationValue, Observable, QubitRegister, ansatz, cost_function
from eigen_lang import cx, hybrid_program, minimize, ry


@ansatz
def ry_cx(theta):
    q = QubitRegister(2)
    ry(theta[0], q[0])
    ry(theta[1], q[1])
    cx(q[0], q[1])


@hybrid_program(target="sim:local", seed=3)
def long_vqe():
    h = Observable({"II": -1.0523, "IZ": 0.3979, "ZI": -0.3979, "ZZ": -0.0113, "XX": 0.1809})

    @cost_function
    def energy(params):
        return ExpectationValue(ry_cx, h, shots=None)

    result = minimize(energy, [0.1, 0.1], method="spsa", max_iter=100000)
    return {"energy": result.optimal_value}
"""


class StackThread:
    """The in-process stack on an event loop of its own thread.

    The driver-manager runs the Aer driver only: the IBM driver's fake devices take seconds to
    build on every start, and no CLI test uses them.

    Args:
        home: directory for the kernel's store, QFS and the API keys file.
        system_api: ``SystemApiSettings`` overrides (e.g. a TLS certificate).
        kernel: ``KernelSettings`` overrides.
    """

    def __init__(
        self, home: Path, *, system_api: dict[str, Any] | None = None, **kernel: Any
    ) -> None:
        self.home = home
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True, name="stack")
        self._thread.start()
        self._cm: AbstractAsyncContextManager[InProcessStack] = start_stack(
            home,
            keys=CLI_KEYS,
            kernel=kernel,
            driver_manager={"disabled_drivers": ["ibm"]},
            system_api=system_api,
        )
        self.stack: InProcessStack = self.run(self._cm.__aenter__())

    def run(self, coro: Coroutine[Any, Any, T], timeout: float = 60) -> T:
        """Run ``coro`` on the stack's loop and return its result."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def call(self, fn: Any, *args: Any) -> Any:
        """Call the synchronous ``fn(*args)`` on the stack's loop (the kernel's thread)."""

        async def go() -> Any:
            return fn(*args)

        return self.run(go())

    def close(self) -> None:
        """Stop every service, then the loop."""
        try:
            self.run(self._cm.__aexit__(None, None, None))
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self._thread.join(10)
            self.loop.close()


@dataclass
class Api:
    """A running stack as its users reach it: the ``eigen`` CLI and the SDK client."""

    thread: StackThread

    @property
    def stack(self) -> InProcessStack:
        """The in-process stack (``kernel.qrtx`` for white-box checks)."""
        return self.thread.stack

    @property
    def endpoint(self) -> str:
        """The public endpoint, ``127.0.0.1:<port>``."""
        return self.stack.api_address

    def cli(self, *args: str, token: str = ADMIN_TOKEN) -> Result:
        """Run ``eigen --endpoint E --token T ARGS``."""
        return CliRunner().invoke(cli, ["--endpoint", self.endpoint, "--token", token, *args])

    def client(self, token: str = ADMIN_TOKEN, **kw: Any) -> EigenClient:
        """A blocking SDK client of this stack."""
        return EigenClient(self.endpoint, token, **kw)

    def submission(self, job_id: str) -> Any:
        """The kernel's record of what was submitted (``eigen_kernel.domain.Submission``)."""
        qrtx = self.stack.kernel.qrtx
        return self.thread.call(lambda: qrtx.jobs.get("it", job_id).submission)

    def source(self, job_id: str) -> str:
        """The program source the kernel stored for ``job_id``."""
        qrtx = self.stack.kernel.qrtx
        return str(self.thread.call(lambda: qrtx.store.source(job_id)))

    def stop_service(self, name: str) -> None:
        """Stop one service (its port stays unbound until :meth:`restart_api`)."""
        self.thread.run(self.stack.servers[name].stop(0))

    def restart_api(self) -> None:
        """Stop the system-api (open streams break) and start a new one on the same port."""
        old = self.stack.apps["system-api"]
        port = self.stack.servers["system-api"].port

        async def go() -> None:
            await self.stack.servers["system-api"].stop(0)
            await old.close()
            app = build_api(old.settings.model_copy(update={"port": port}))
            self.stack.apps["system-api"] = app
            self.stack.servers["system-api"] = await app.start()

        self.thread.run(go())

    @contextmanager
    def damaged_store(self) -> Iterator[None]:
        """The kernel's SQLite store damaged (every table renamed) for the ``with`` block.

        Every query of the kernel fails meanwhile; the tables get their names back afterwards,
        so the kernel can shut down as usual.
        """
        dbs = [p for p in (self.stack.home / "kernel").rglob("*.db") if p.is_file()]
        assert dbs, f"no SQLite database under {self.stack.home / 'kernel'}"
        renamed = []
        try:
            for db in dbs:
                with sqlite3.connect(db) as conn:
                    for (table,) in conn.execute(
                        "SELECT name FROM sqlite_master WHERE type='table' "
                        "AND name NOT LIKE 'sqlite_%'"
                    ).fetchall():
                        conn.execute(f'ALTER TABLE "{table}" RENAME TO "{table}_damaged"')
                        renamed.append((db, table))
            yield
        finally:
            for db, table in renamed:
                with sqlite3.connect(db) as conn:
                    conn.execute(f'ALTER TABLE "{table}_damaged" RENAME TO "{table}"')


@pytest.fixture(scope="session", autouse=True)
def _server_logs_to_stderr() -> None:
    """Service logs go to the stderr of the session (structlog binds the stream now)."""
    configure_logging("cli-tests", "WARNING")


@pytest.fixture(autouse=True)
def isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """Never read the developer's ~/.eigen or config: HOME and EIGEN_HOME point into tmp."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("EIGEN_HOME", str(tmp_path / "eigen-home"))
    for var in (
        "EIGEN_TOKEN",
        "EIGEN_ENDPOINT",
        "EIGEN_CONFIG",
        "XDG_CONFIG_HOME",
        "EIGEN_PORT_BASE",
        "EIGEN_METRICS_PORT_BASE",
    ):
        monkeypatch.delenv(var, raising=False)
    return home


@pytest.fixture
def unused_port() -> int:
    """An ephemeral port that was free a moment ago (for "nothing listens here" tests)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def running_stack(
    home: Path, *, system_api: dict[str, Any] | None = None, **kernel: Any
) -> Iterator[Api]:
    """A stack of its own for the duration of the ``with`` block.

    Heartbeats every 0.5 s unless ``kernel`` says otherwise; ``system_api``/``kernel`` are
    settings overrides.
    """
    kernel.setdefault("heartbeat_seconds", 0.5)
    thread = StackThread(home, system_api=system_api, **kernel)
    try:
        yield Api(thread)
    finally:
        thread.close()


@pytest.fixture(scope="session")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    """The stack shared by tests that only look at the jobs they submit themselves."""
    with running_stack(tmp_path_factory.mktemp("stack")) as a:
        yield a


@pytest.fixture
def fresh_api(tmp_path: Path) -> Iterator[Api]:
    """A stack for one test (job lists, faults, restarts)."""
    home = tmp_path / "stack"
    home.mkdir()
    with running_stack(home) as a:
        yield a


def submit_long_job(a: Api, name: str = "long") -> str:
    """Submit :data:`LONG_VQE` and return once it is running (its first iteration event)."""
    from eigen_os.jobspec import JobSpec

    with a.client() as c:
        job_id = c.submit(JobSpec(name=name, program=LONG_VQE, target="sim:local"))
        for u in c.stream_updates(job_id, timeout=60):
            if u.iteration >= 1 or u.terminal:
                break
    return job_id


def cancel_quietly(a: Api, job_id: str) -> None:
    """Cancel ``job_id`` unless it already ended (the test may have cancelled it)."""
    with a.client() as c, suppress(FailedPreconditionError):
        c.cancel(job_id, "test over")


@pytest.fixture
def long_job(api: Api) -> Iterator[str]:
    """A job of the shared stack that is RUNNING (and stays so until cancelled)."""
    job_id = submit_long_job(api)
    try:
        yield job_id
    finally:
        cancel_quietly(api, job_id)


__all__ = ["ADMIN_TOKEN", "OTHER_TOKEN", "READONLY_TOKEN", "Api"]
