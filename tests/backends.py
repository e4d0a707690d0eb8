"""The scaled shape's real backends for tests: a PostgreSQL cluster and an S3 server (SPEC §14).

- :func:`postgres` — one PostgreSQL cluster per test session (``initdb``/``pg_ctl`` of the
  machine's PostgreSQL, run as the ``postgres`` user when the tests run as root), listening
  only on a Unix socket in a private directory (no TCP port to pick or to collide on);
  :meth:`PostgresCluster.new_database` gives each test its own database.
- :func:`s3` — moto's S3 server on port 0 (read back), in a thread of the test process;
  :meth:`S3Server.new_bucket` gives each test its own bucket.

Both start on first use and stop when the session's process exits.

- :class:`ScaledStack` — the scaled shape as real processes (PostgreSQL, moto's S3 server as
  its own process, compiler, two driver-managers, one or two kernels, system-api), used by
  ``tests/e2e/test_scaled_failover.py`` and ``bench/replicas_bench.py``.
"""

from __future__ import annotations

import atexit
import glob
import itertools
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import grpc

from eigen.api.v1 import device_pb2_grpc, job_pb2_grpc
from tests.conftest import Api, ServiceProcess, start_service

_lock = threading.Lock()
_cluster: PostgresCluster | None = None
_s3: S3Server | None = None


def pg_bin() -> Path:
    """The newest PostgreSQL server binaries on the machine (``EIGEN_TEST_PG_BIN`` overrides).

    Raises:
        RuntimeError: no PostgreSQL server is installed.
    """
    if os.environ.get("EIGEN_TEST_PG_BIN"):
        return Path(os.environ["EIGEN_TEST_PG_BIN"])
    found = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), key=lambda p: int(p.split("/")[4])
    )
    if not found:
        raise RuntimeError(
            "no PostgreSQL server found (/usr/lib/postgresql/*/bin): install postgresql "
            "or set EIGEN_TEST_PG_BIN"
        )
    return Path(found[-1]).parent


@dataclass
class PostgresCluster:
    """A throw-away PostgreSQL cluster on a Unix socket in ``root`` (trust authentication)."""

    root: Path
    bin: Path
    _seq: Any = field(default_factory=itertools.count)

    @property
    def data(self) -> Path:
        """The data directory."""
        return self.root / "data"

    def _run(self, *args: str) -> None:
        cmd = [str(self.bin / args[0]), *args[1:]]
        if os.geteuid() == 0:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        subprocess.run(cmd, check=True, capture_output=True, timeout=120)

    def start(self) -> None:
        """initdb and start (``pg_ctl -w`` returns once it accepts connections)."""
        self.root.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres", "postgres")
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8")
        opts = (
            f"-c listen_addresses='' -c unix_socket_directories={self.root} "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
            "-c max_connections=200"
        )
        self._run(
            "pg_ctl", "-D", str(self.data), "-l", str(self.root / "server.log"), "-o", opts,
            "-w", "-t", "60", "start",
        )  # fmt: skip

    def stop(self) -> None:
        """Stop at once and remove the cluster."""
        try:
            self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)

    def url(self, database: str = "postgres") -> str:
        """A libpq URI of ``database`` over the cluster's socket."""
        return f"postgresql://postgres@/{database}?host={self.root}"

    def new_database(self) -> str:
        """Create an empty database; returns its URI."""
        import psycopg

        name = f"t{os.getpid()}_{next(self._seq)}"
        with psycopg.connect(self.url(), autocommit=True) as c:
            c.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)


def postgres() -> PostgresCluster:
    """The session's PostgreSQL cluster (started on first use, stopped at exit)."""
    global _cluster
    with _lock:
        if _cluster is None:
            cluster = PostgresCluster(Path(tempfile.mkdtemp(prefix="eigen-pg-")), pg_bin())
            cluster.start()
            atexit.register(cluster.stop)
            _cluster = cluster
        return _cluster


@dataclass
class S3Server:
    """moto's S3 server on a loopback port; credentials are moto's (any value is accepted)."""

    server: Any
    endpoint: str

    @property
    def env(self) -> dict[str, str]:
        """The standard AWS variables that point boto3 at this server."""
        return {
            "AWS_ENDPOINT_URL": self.endpoint,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": "us-east-1",
        }

    def client(self) -> Any:
        """A boto3 S3 client of this server."""
        import boto3

        return boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
            region_name="us-east-1",
        )

    def new_bucket(self) -> str:
        """Create an empty bucket; returns its name."""
        name = f"eigen-{uuid.uuid4().hex[:12]}"
        self.client().create_bucket(Bucket=name)
        return name


def s3() -> S3Server:
    """The session's S3 server (started on first use, stopped at exit)."""
    global _s3
    with _lock:
        if _s3 is None:
            from moto.server import ThreadedMotoServer

            server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
            server.start()
            host, port = server.get_host_and_port()
            atexit.register(server.stop)
            _s3 = S3Server(server, f"http://{host}:{port}")
        return _s3


def start_moto(log_dir: Path, timeout: float = 60.0) -> tuple[subprocess.Popen[bytes], str]:
    """moto's S3 server as its own process on port 0; returns it and its endpoint URL."""
    log_path = log_dir / "s3.log"
    proc = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", "0"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    found: list[str] = []
    ready = threading.Event()

    def pump() -> None:
        assert proc.stderr is not None
        with open(log_path, "ab") as out:
            for line in proc.stderr:
                out.write(line)
                m = re.search(rb"Running on (http://127\.0\.0\.1:\d+)", line)
                if m and not found:
                    found.append(m.group(1).decode())
                    ready.set()
        ready.set()

    threading.Thread(target=pump, daemon=True, name="log-s3").start()
    if not ready.wait(timeout) or not found:
        proc.kill()
        raise RuntimeError(f"the S3 server did not start: {log_path.read_text()[-2000:]}")
    return proc, found[0]


@dataclass
class ScaledStack:
    """The scaled shape as processes; ``services`` by name, the S3 server apart.

    ``kernels`` 1 or 2 (``k1`` starts first and leases the devices; the system-api is given
    ``ipv4:k2,k1`` and spreads its calls over both, round-robin); two driver-managers ``dm1``,
    ``dm2``.
    ``shared=False`` is the embedded store (SQLite, local QFS) for one kernel: a reference.
    """

    home: Path
    kernels: int = 2
    shared: bool = True  # PostgreSQL + S3; False: each kernel's own SQLite and QFS (one kernel)
    token: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    secret: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    pg_url: str = ""
    s3_endpoint: str = ""
    bucket: str = "eigen-qfs"
    lease_seconds: float = 3.0
    services: dict[str, ServiceProcess] = field(default_factory=dict)
    s3_proc: subprocess.Popen[bytes] | None = None

    @property
    def aws(self) -> dict[str, str]:
        """The standard AWS variables pointing at the stack's S3 server."""
        return {
            "AWS_ENDPOINT_URL": self.s3_endpoint,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": "us-east-1",
        }

    def s3(self) -> Any:
        """A boto3 client of the stack's S3 server."""
        import boto3

        return boto3.client(
            "s3",
            endpoint_url=self.s3_endpoint,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
            region_name="us-east-1",
        )

    def _start(self, name: str, module: str, prefix: str, env: dict[str, str]) -> None:
        self.services[name] = start_service(
            name,
            module,
            {
                f"{prefix}_PORT": "0",
                f"{prefix}_METRICS_PORT": "0",
                f"{prefix}_INTERNAL_TOKEN": self.secret,
                **env,
            },
            self.home / "logs",
        )

    def addr(self, name: str) -> str:
        """``127.0.0.1:<port>`` of a service."""
        return f"127.0.0.1:{self.services[name].port}"

    def start(self) -> None:
        """Start everything; what does not depend on each other starts at once.

        Raises:
            ValueError: several kernels without the shared store.
        """
        if self.kernels > 1 and not self.shared:
            raise ValueError("several kernels need the shared store (PostgreSQL + S3)")
        (self.home / "logs").mkdir(parents=True, exist_ok=True)
        from tests.inprocess import write_api_keys  # the services' modules: only when needed

        keys = self.home / "api_keys.json"
        write_api_keys(keys, {self.token: ("tester", ("admin",), "test")})
        with ThreadPoolExecutor(4) as pool:
            s3 = pool.submit(start_moto, self.home / "logs") if self.shared else None
            first = [
                pool.submit(self._start, "compiler", "eigen_compiler", "EIGEN_COMPILER", {}),
                *(
                    pool.submit(self._start, dm, "eigen_driver_manager", "EIGEN_DRIVER_MANAGER", {})
                    for dm in ("dm1", "dm2")
                ),
            ]
            if s3 is not None:
                self.pg_url = postgres().new_database()
                self.s3_proc, self.s3_endpoint = s3.result()
            for f in first:
                f.result()
        if self.shared:
            self.s3().create_bucket(Bucket=self.bucket)
        names = [f"k{i + 1}" for i in range(self.kernels)]
        for k in names:  # k1 first: it leases the devices
            self._start(k, "eigen_kernel", "EIGEN_KERNEL", self._kernel_env(k))
        kernels = ",".join(self.addr(k) for k in reversed(names))
        self._start(
            "system-api",
            "eigen_system_api",
            "EIGEN_SYSTEM_API",
            {
                "EIGEN_SYSTEM_API_KERNEL_ADDRESS": f"ipv4:{kernels}",
                "EIGEN_SYSTEM_API_COMPILER_ADDRESS": self.addr("compiler"),
                "EIGEN_SYSTEM_API_API_KEYS_FILE": str(keys),
                "EIGEN_SYSTEM_API_QUOTA_SUBMIT_RATE": "10000/second",
            },
        )

    def _kernel_env(self, k: str) -> dict[str, str]:
        shared = {
            **self.aws,
            "EIGEN_KERNEL_STORE_URL": self.pg_url,
            "EIGEN_KERNEL_QFS_URL": f"s3://{self.bucket}/qfs",
        }
        return {
            **(shared if self.shared else {}),
            "EIGEN_KERNEL_HOME": str(self.home / k),
            "EIGEN_KERNEL_KERNEL_ID": k,
            "EIGEN_KERNEL_COMPILER_ADDRESS": self.addr("compiler"),
            "EIGEN_KERNEL_DRIVER_MANAGER_ADDRESSES": f"{self.addr('dm1')},{self.addr('dm2')}",
            "EIGEN_KERNEL_LEASE_SECONDS": str(self.lease_seconds),
            "EIGEN_KERNEL_HEARTBEAT_SECONDS": "1",
        }

    def kill(self, name: str) -> float:
        """SIGKILL a service; returns when it is dead (Unix seconds)."""
        p = self.services[name].proc
        p.send_signal(signal.SIGKILL)
        p.wait(10)
        return time.time()

    def stop(self) -> None:
        """SIGTERM every service (SIGKILL stragglers) and the S3 server."""
        for s in reversed(list(self.services.values())):
            if s.proc.poll() is None:
                s.proc.send_signal(signal.SIGTERM)
        for s in self.services.values():
            try:
                s.proc.wait(15)
            except subprocess.TimeoutExpired:
                s.proc.kill()
        if self.s3_proc is not None:
            self.s3_proc.kill()
            self.s3_proc.wait(10)

    def api(self) -> Api:
        """Public API stubs with the stack's bearer token (close ``channel`` after use)."""
        ch = grpc.insecure_channel(f"127.0.0.1:{self.services['system-api'].port}")
        return Api(
            ch,
            job_pb2_grpc.JobServiceStub(ch),
            device_pb2_grpc.DeviceServiceStub(ch),
            [("authorization", f"Bearer {self.token}")],
        )
