"""The scaled shape's real backends for tests: a PostgreSQL cluster and an S3 server (SPEC §14).

- :func:`postgres` — one PostgreSQL cluster per test session (``initdb``/``pg_ctl`` of the
  machine's PostgreSQL, run as the ``postgres`` user when the tests run as root), listening
  only on a Unix socket in a private directory (no TCP port to pick or to collide on);
  :meth:`PostgresCluster.new_database` gives each test its own database.
- :func:`s3` — moto's S3 server on port 0 (read back), in a thread of the test process;
  :meth:`S3Server.new_bucket` gives each test its own bucket.

Both start on first use and stop when the session's process exits.
"""

from __future__ import annotations

import atexit
import glob
import itertools
import os
import shutil
import subprocess
import tempfile
import threading
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

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
