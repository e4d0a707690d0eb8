"""``eigen admin`` against the real in-process stack, with the local admin token ``eigen up``
writes (``$EIGEN_HOME/token`` + its hash in ``api_keys.json``)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from click.testing import CliRunner, Result

from eigen_os.cli.main import cli
from eigen_os.stack import ensure_credentials


@pytest.fixture
def endpoint(fresh_api: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A stack of its own whose home is $EIGEN_HOME, with the local admin token of `eigen up`."""
    home = fresh_api.stack.home
    monkeypatch.setenv("EIGEN_HOME", str(home))
    # what `eigen up` does on first start; the running system-api picks it up (no restart)
    ensure_credentials(home)
    yield fresh_api.endpoint


def eigen(endpoint: str, *args: str, token: str | None = None) -> Result:
    pre = ["--endpoint", endpoint] + (["--token", token] if token else [])
    return CliRunner().invoke(cli, [*pre, *args])


def test_keys_create_list_revoke(endpoint: str) -> None:
    made = eigen(
        endpoint, "admin", "keys", "create", "--tenant", "acme", "--role", "user", "--name", "ci",
        "--expires", "30",
    )  # fmt: skip
    assert made.exit_code == 0, made.output
    token = made.stdout.strip()
    assert token.startswith("eig_") and "\n" not in token  # the token alone on stdout
    assert "not shown again" in made.stderr
    # the new key works at once, as tenant acme with role user
    assert eigen(endpoint, "list", "--json", token=token).exit_code == 0
    denied = eigen(endpoint, "admin", "keys", "list", token=token)
    assert denied.exit_code == 2 and "admin" in denied.stderr
    listed = eigen(endpoint, "admin", "keys", "list", "--json")
    assert listed.exit_code == 0, listed.output
    keys = json.loads(listed.stdout)["keys"]
    mine = next(k for k in keys if k["name"] == "ci")
    assert (mine["tenant"], mine["roles"], mine["status"]) == ("acme", ["user"], "active")
    assert mine["expires_at"] and token not in listed.stdout and "sha256" not in listed.stdout
    assert any(k["subject"] == "local-admin" for k in keys)
    table = eigen(endpoint, "admin", "keys", "list", "--tenant", "acme")
    assert mine["key_id"] in table.stdout and "local-admin" not in table.stdout
    revoked = eigen(endpoint, "admin", "keys", "revoke", mine["key_id"])
    assert revoked.exit_code == 0 and f"revoked key {mine['key_id']}" in revoked.stdout
    refused = eigen(endpoint, "list", token=token)
    assert refused.exit_code == 2 and "UNAUTHENTICATED" not in refused.stdout
    again = json.loads(eigen(endpoint, "admin", "keys", "list", "--json").stdout)["keys"]
    assert next(k for k in again if k["key_id"] == mine["key_id"])["status"] == "revoked"


def test_create_json_and_bad_input(endpoint: str) -> None:
    made = eigen(
        endpoint, "admin", "keys", "create", "--tenant", "acme", "--role", "readonly",
        "--role", "user", "--json",
    )  # fmt: skip
    assert made.exit_code == 0, made.output
    body = json.loads(made.stdout)
    assert body["token"].startswith(f"eig_{body['key']['key_id']}_")
    assert body["key"]["roles"] == ["readonly", "user"]
    bad = eigen(endpoint, "admin", "keys", "create", "--tenant", "no spaces", "--role", "user")
    assert bad.exit_code == 2 and "tenant" in bad.stderr
    unknown = eigen(endpoint, "admin", "keys", "revoke", "0123456789ab")
    assert unknown.exit_code == 2 and "0123456789ab" in unknown.stderr
    assert eigen(endpoint, "admin", "keys", "create", "--tenant", "t").exit_code == 2  # no role


def test_gc_needs_the_admin_role(endpoint: str) -> None:
    user = eigen(endpoint, "admin", "keys", "create", "--tenant", "t", "--role", "user")
    denied = eigen(endpoint, "admin", "gc", "--dry-run", token=user.stdout.strip())
    assert denied.exit_code == 2 and "permission admin required" in denied.stderr


def test_unreachable_server_is_exit_3(unused_port: int) -> None:
    out = eigen(f"127.0.0.1:{unused_port}", "admin", "keys", "list", token="x")
    assert out.exit_code == 3 and "cannot reach" in out.stderr
