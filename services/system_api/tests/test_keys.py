"""The API key store: the old file format, create/list/revoke, expiry, sharing between replicas."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from eigen_common import errors
from eigen_system_api.auth import Authenticator, authorize
from eigen_system_api.keys import KeyStore, KeyStoreError
from services.system_api.tests.support import write_keys


def test_the_pre_existing_format_keeps_working(tmp_path: Path) -> None:
    f = write_keys(
        tmp_path / "keys.json",
        {"admin-tok": ("a", ("admin",), "t1"), "ro-tok": ("r", ("readonly",), "t1")},
    )
    store = KeyStore(f)
    rec = store.lookup("admin-tok")
    assert rec is not None and (rec.subject, rec.tenant, rec.roles) == ("a", "t1", ("admin",))
    assert rec.key_id == hashlib.sha256(b"admin-tok").hexdigest()[:12]
    assert store.lookup("nope") is None
    assert {r.subject for r in store.records()} == {"a", "r"}


async def test_authenticator_and_permissions(tmp_path: Path) -> None:
    f = write_keys(
        tmp_path / "keys.json",
        {"admin-tok": ("a", ("admin",), "t1"), "ro-tok": ("r", ("readonly",), "t1")},
    )
    auth = Authenticator(KeyStore(f))
    ident = await auth.authenticate([("authorization", "Bearer admin-tok")])
    assert ident.auth.subject == "a" and ident.credential.startswith("api_key:")
    ro = await auth.authenticate([("authorization", "bearer ro-tok")])
    authorize(ro.auth, "jobs:read")
    with pytest.raises(errors.PermissionDeniedError):
        authorize(ro.auth, "jobs:submit")
    with pytest.raises(errors.PermissionDeniedError):
        authorize(ident.auth, "no:such")
    for md in ([("authorization", "Bearer nope")], [], [("authorization", "Basic x")]):
        with pytest.raises(errors.UnauthenticatedError):
            await auth.authenticate(md)


def test_create_list_revoke_and_the_token_is_shown_once(tmp_path: Path) -> None:
    f = tmp_path / "sub" / "keys.json"
    store = KeyStore(f)  # no file yet: no keys
    rec, token = store.create("acme", ("user",), name="ci", expires_days=30)
    assert token.startswith(f"eig_{rec.key_id}_") and len(token) > 40
    assert token not in f.read_text() and rec.sha256 in f.read_text()
    assert oct(f.stat().st_mode & 0o777) == "0o600"
    assert store.lookup(token) == rec and rec.subject == "ci"
    assert rec.expires_at is not None and rec.created_at is not None
    assert rec.expires_at - rec.created_at == timedelta(days=30)
    revoked = store.revoke(rec.key_id)
    assert revoked is not None and revoked.revoked
    assert store.lookup(token) is None
    assert store.revoke("000000000000") is None
    assert [r.revoked for r in store.records()] == [True]


def test_expired_keys_are_rejected(tmp_path: Path) -> None:
    store = KeyStore(tmp_path / "keys.json")
    past = datetime.now(UTC) - timedelta(days=2)
    rec, token = store.create("acme", ("user",), expires_days=1, now=past)
    assert store.lookup(token) is None
    assert store.lookup(token, now=past + timedelta(hours=1)) == rec


def test_a_revocation_by_one_replica_is_seen_at_once_by_another(tmp_path: Path) -> None:
    f = tmp_path / "keys.json"
    one, two = KeyStore(f), KeyStore(f)
    rec, token = one.create("acme", ("user",))
    assert two.lookup(token) is not None  # created by the other: seen without restart
    one.revoke(rec.key_id)
    assert two.lookup(token) is None


def test_legacy_keys_can_be_revoked_and_eigen_up_entries_survive_rewrites(tmp_path: Path) -> None:
    f = write_keys(tmp_path / "keys.json", {"local-tok": ("local-admin", ("admin",), "local")})
    store = KeyStore(f)
    store.create("acme", ("user",))
    entry = json.loads(f.read_text())["keys"][0]
    assert entry == {
        "sha256": hashlib.sha256(b"local-tok").hexdigest(),
        "subject": "local-admin",
        "roles": ["admin"],
        "tenant": "local",
    }  # written back verbatim
    store.revoke(entry["sha256"][:12])
    assert store.lookup("local-tok") is None


def test_concurrent_writers_lose_no_update(tmp_path: Path) -> None:
    f = tmp_path / "keys.json"
    tokens: list[str] = []
    lock = threading.Lock()

    def worker() -> None:
        store = KeyStore(f)
        for _ in range(10):
            _, tok = store.create("t", ("user",))
            with lock:
                tokens.append(tok)

    threads = [threading.Thread(target=worker) for _ in range(6)]
    for t in threads:
        t.start()
    # and two other processes at the same time
    code = (
        "import sys; from pathlib import Path; from eigen_system_api.keys import KeyStore\n"
        "s = KeyStore(Path(sys.argv[1]))\n"
        "for _ in range(10): print(s.create('p', ('readonly',))[1])\n"
    )
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", code, str(f)], stdout=subprocess.PIPE, env=dict(os.environ)
        )
        for _ in range(2)
    ]
    for t in threads:
        t.join()
    for p in procs:
        out, _ = p.communicate(timeout=60)
        assert p.returncode == 0
        tokens.extend(out.decode().split())
    store = KeyStore(f)
    assert len(tokens) == 80 and len(store.records()) == 80
    assert all(store.lookup(t) is not None for t in tokens)


def test_malformed_file_fails_at_start_but_not_after(tmp_path: Path) -> None:
    f = tmp_path / "keys.json"
    f.write_text("{not json")
    with pytest.raises(KeyStoreError):
        KeyStore(f)
    f.write_text(json.dumps({"keys": [{"sha256": "x", "subject": "s", "tenant": "t"}]}))
    with pytest.raises(KeyStoreError):
        KeyStore(f)
    store = KeyStore(write_keys(f, {"tok": ("s", ("user",), "t")}))
    f.write_text("{broken by hand")  # a bad edit later: keep serving the last good keys
    assert store.lookup("tok") is not None
    with pytest.raises(KeyStoreError):
        store.create("t", ("user",))  # ...but never overwrite what an operator must repair
    assert f.read_text() == "{broken by hand"
