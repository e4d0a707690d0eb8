"""The scaled compose shape's own configuration run as real processes (rehearsal.py): two
kernels on this machine's PostgreSQL and an S3 server (moto), two driver-managers, the
system-api; the README's operator commands, then jobs in PostgreSQL and artifacts in S3 through
exactly the variables compose gives the kernels (URL, PGPASSFILE, AWS_* files)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import rehearsal


@pytest.fixture(scope="module")
def scaled(tmp_path_factory: pytest.TempPathFactory) -> Iterator[rehearsal.Stack]:
    import psycopg

    from tests.backends import postgres, s3

    cluster = postgres()
    database = urlsplit(cluster.new_database()).path.lstrip("/")
    with psycopg.connect(cluster.url(database), autocommit=True) as c:
        c.execute(
            "DO $$ BEGIN CREATE ROLE eigen LOGIN; EXCEPTION WHEN duplicate_object THEN END $$"
        )
        c.execute(f'ALTER DATABASE "{database}" OWNER TO eigen')
        c.execute("GRANT ALL ON SCHEMA public TO eigen")
    backends = {"pg_host": str(cluster.root), "database": database, "s3": s3().endpoint}
    stack = rehearsal.start("scaled", tmp_path_factory.mktemp("scaled"), backends)
    yield stack
    stack.stop()


@pytest.mark.slow
def test_scaled_shape_runs_two_kernels_two_driver_managers_on_postgres_and_s3(scaled):
    assert {"kernel", "kernel#2", "driver-manager", "driver-manager-2"} <= scaled.procs.keys()
    rehearsal.health_checks_pass_and_need_the_certificate(scaled)
    rehearsal.operator_path(scaled)
    import boto3
    import psycopg

    from tests.backends import postgres

    for key in ("kernel", "kernel#2"):  # jobs are not in a kernel's own SQLite file
        home = Path(scaled.procs[key].env["EIGEN_KERNEL_HOME"])
        assert not (home / "jobs.db").exists(), key
    url = postgres().url(scaled.backends["database"])
    with psycopg.connect(url) as c:
        tables = {
            r[0] for r in c.execute("SELECT tablename FROM pg_tables WHERE schemaname='public'")
        }
        assert tables, "the kernels made no tables in PostgreSQL"
    env = scaled.procs["kernel"].env
    s3 = boto3.session.Session().client(
        "s3",
        endpoint_url=env["AWS_ENDPOINT_URL"],
        aws_access_key_id="x",
        aws_secret_access_key="x",
        region_name="us-east-1",
    )
    bucket, _, prefix = env["EIGEN_KERNEL_QFS_URL"].removeprefix("s3://").partition("/")
    listed = s3.list_objects_v2(Bucket=bucket, Prefix=prefix)
    assert listed.get("KeyCount", 0) > 0, "no artifact in S3"
