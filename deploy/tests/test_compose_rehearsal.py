"""The embedded compose shape's own configuration run as real processes (rehearsal.py), then
what the README tells an operator: each container's health check, the bootstrap admin token,
``eigen admin keys create``, a Bell job with the new key over TLS, the REST API."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import rehearsal


@pytest.fixture(scope="module")
def embedded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[rehearsal.Stack]:
    stack = rehearsal.start("embedded", tmp_path_factory.mktemp("embedded"))
    yield stack
    stack.stop()


def test_embedded_services_start_secured_as_configured(embedded):
    for key, proc in embedded.procs.items():
        security = proc.events["server started"]["security"]
        wanted = "TLS" if key == "system-api" else "internal token + mTLS"
        assert security == wanted, (key, security)


def test_embedded_health_checks(embedded):
    rehearsal.health_checks_pass_and_need_the_certificate(embedded)


def test_embedded_operator_path(embedded):
    rehearsal.operator_path(embedded)
    home = embedded.procs["kernel"].env["EIGEN_KERNEL_HOME"]
    assert (Path(home) / "jobs.db").exists(), "the embedded kernel keeps jobs in SQLite"
