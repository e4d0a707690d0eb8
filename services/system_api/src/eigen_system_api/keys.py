"""The API key store (SPEC §11): one JSON file of key hashes, shared by every replica.

Format (the first entry is the pre-existing form, still read and written as is)::

    {"keys": [
      {"sha256": "<hex>", "subject": "local-admin", "roles": ["admin"], "tenant": "local"},
      {"key_id": "3f9c0a1b2c4d", "sha256": "<hex>", "subject": "ci", "roles": ["user"],
       "tenant": "acme", "name": "ci", "created_at": "2026-01-01T00:00:00Z",
       "expires_at": "2026-04-01T00:00:00Z", "revoked": false}
    ]}

Only hashes are stored; a new key's token (``eig_<key_id>_<secret>``) is returned once.
Readers re-stat the file on every lookup and reload it when it changed, so a revocation or an
expiry takes effect at once in every replica that shares the file. Writers hold an exclusive
``flock`` on ``<file>.lock`` for the read-modify-write and publish with an atomic
``os.replace``, so concurrent writers (threads, processes, replicas on one host or on a
filesystem with working POSIX locks) never lose an update and readers never see half a file.
Entries without ``key_id`` (written by ``eigen up`` or by hand) get a stable id derived from
their hash (``sha256[:12]``), so they can be listed and revoked too.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import re
import secrets
import threading
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from eigen_common.context import AuthContext
from eigen_common.logs import get_logger

log = get_logger("eigen.system_api.keys")

ROLES = ("admin", "user", "readonly")
TENANT_RE = re.compile(r"^[a-zA-Z0-9._-]{1,64}$")
#: Subjects travel as gRPC metadata (``x-eigen-sub``): printable ASCII only.
SUBJECT_RE = re.compile(r"^[\x21-\x7e][\x20-\x7e]{0,255}$")
KEY_ID_RE = re.compile(r"^[0-9a-f]{12}$")
TOKEN_PREFIX = "eig_"


class KeyStoreError(ValueError):
    """The key file exists but is not a valid key document (message names the file)."""


@dataclass(frozen=True)
class ApiKeyRecord:
    """One stored key (never its secret); times are aware UTC datetimes."""

    key_id: str
    sha256: str
    subject: str
    roles: tuple[str, ...]
    tenant: str
    name: str = ""
    created_at: datetime | None = None
    expires_at: datetime | None = None
    revoked: bool = False

    def usable(self, now: datetime) -> bool:
        """Neither revoked nor expired at ``now``."""
        return not self.revoked and (self.expires_at is None or now < self.expires_at)

    @property
    def auth(self) -> AuthContext:
        """The identity calls made with this key act as."""
        return AuthContext(self.subject, self.roles, self.tenant)


def _time(v: Any) -> datetime | None:
    if v in (None, ""):
        return None
    t = datetime.fromisoformat(str(v).replace("Z", "+00:00"))
    return t if t.tzinfo else t.replace(tzinfo=UTC)


def _iso(t: datetime | None) -> str | None:
    return None if t is None else t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _record(entry: Any, path: Path) -> ApiKeyRecord:
    if not isinstance(entry, dict):
        raise KeyStoreError(f"{path}: every key must be an object")
    try:
        digest = str(entry["sha256"]).lower()
        roles = tuple(str(r) for r in entry.get("roles", ()))
        rec = ApiKeyRecord(
            key_id=str(entry.get("key_id") or digest[:12]),
            sha256=digest,
            subject=str(entry["subject"]),
            roles=roles,
            tenant=str(entry["tenant"]),
            name=str(entry.get("name", "")),
            created_at=_time(entry.get("created_at")),
            expires_at=_time(entry.get("expires_at")),
            revoked=bool(entry.get("revoked", False)),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise KeyStoreError(f"{path}: malformed key entry ({exc.__class__.__name__})") from None
    unknown = set(roles) - set(ROLES)
    if unknown:
        raise KeyStoreError(f"{path}: unknown roles {sorted(unknown)}")
    if not re.fullmatch(r"[0-9a-f]{64}", digest):
        raise KeyStoreError(f"{path}: sha256 must be 64 hex digits")
    return rec


def _entry(rec: ApiKeyRecord) -> dict[str, Any]:
    return {
        "key_id": rec.key_id,
        "sha256": rec.sha256,
        "subject": rec.subject,
        "roles": list(rec.roles),
        "tenant": rec.tenant,
        "name": rec.name,
        "created_at": _iso(rec.created_at),
        "expires_at": _iso(rec.expires_at),
        "revoked": rec.revoked,
    }


def _parse(text: str, path: Path) -> tuple[list[Any], dict[str, ApiKeyRecord]]:
    """The raw entries (kept verbatim for rewriting) and the records by hash."""
    try:
        doc = json.loads(text) if text.strip() else {"keys": []}
    except ValueError:
        raise KeyStoreError(f"{path}: not valid JSON") from None
    entries = doc.get("keys", []) if isinstance(doc, dict) else None
    if not isinstance(entries, list):
        raise KeyStoreError(f"{path}: expected {{'keys': [...]}}")
    by_hash: dict[str, ApiKeyRecord] = {}
    for e in entries:
        rec = _record(e, path)
        by_hash[rec.sha256] = rec
    return entries, by_hash


class KeyStore:
    """File-backed API keys: lookups reload on change, writes are locked and atomic.

    Args:
        path: the key file (created with mode 0600 on the first write; its directory must
            exist or be creatable).

    Raises:
        KeyStoreError: (at construction) the file exists but is not a key document.
    """

    def __init__(self, path: Path):
        self.path = path
        self._lock = threading.Lock()
        self._stamp: tuple[int, int, int] | None = None
        self._by_hash: dict[str, ApiKeyRecord] = {}
        self._refresh(strict=True)

    # --- reading ---------------------------------------------------------------------------

    def _file_stamp(self) -> tuple[int, int, int] | None:
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            return None
        return (st.st_ino, st.st_mtime_ns, st.st_size)

    def _refresh(self, strict: bool = False) -> None:
        stamp = self._file_stamp()
        if stamp == self._stamp:
            return
        with self._lock:
            stamp = self._file_stamp()
            if stamp == self._stamp:
                return
            if stamp is None:
                self._by_hash, self._stamp = {}, None
                return
            try:
                _, by_hash = _parse(self.path.read_text(encoding="utf-8"), self.path)
            except (KeyStoreError, OSError) as exc:
                if strict:
                    raise KeyStoreError(str(exc)) from None
                # Keep serving the last good keys; an operator's broken edit must not lock
                # everyone out (nor let anyone in).
                log.error("api key file unreadable; keeping the previous keys", error=str(exc))
                return
            self._by_hash, self._stamp = by_hash, stamp

    def lookup(self, token: str, now: datetime | None = None) -> ApiKeyRecord | None:
        """The usable key whose hash matches ``token``, else None (unknown, revoked, expired)."""
        self._refresh()
        rec = self._by_hash.get(hashlib.sha256(token.encode("utf-8")).hexdigest())
        if rec is None or not rec.usable(now or datetime.now(UTC)):
            return None
        return rec

    def records(self) -> list[ApiKeyRecord]:
        """Every stored key, newest first (keys without a creation time last)."""
        self._refresh()
        floor = datetime.min.replace(tzinfo=UTC)
        return sorted(self._by_hash.values(), key=lambda r: r.created_at or floor, reverse=True)

    # --- writing ---------------------------------------------------------------------------

    @contextlib.contextmanager
    def _locked(self) -> Iterator[list[Any]]:
        """Exclusive read-modify-write: yields the raw entries; publishes them on exit."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        lock_path = self.path.with_name(self.path.name + ".lock")
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            try:
                text = self.path.read_text(encoding="utf-8")
            except FileNotFoundError:
                text = ""
            entries, _ = _parse(text, self.path)
            yield entries
            self._publish(entries)
        finally:
            os.close(fd)  # releases the flock
        self._refresh()

    def _publish(self, entries: list[Any]) -> None:
        data = json.dumps({"keys": entries}, indent=2) + "\n"
        tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            with contextlib.suppress(OSError):
                tmp.unlink()
            raise

    def create(
        self,
        tenant: str,
        roles: tuple[str, ...],
        *,
        name: str = "",
        subject: str = "",
        expires_days: int = 0,
        now: datetime | None = None,
    ) -> tuple[ApiKeyRecord, str]:
        """Store a new key and return it with its token (the only time the token exists).

        Args:
            tenant: tenant the key acts for.
            roles: roles from :data:`ROLES`.
            name: operator's label.
            subject: subject recorded for calls; default the name, else ``key-<key_id>``.
            expires_days: lifetime in days; 0 = never expires.
            now: creation time (tests).

        Raises:
            OSError: the file cannot be written.
            KeyStoreError: the file on disk is not a key document.
        """
        now = (now or datetime.now(UTC)).replace(microsecond=0)
        secret = secrets.token_urlsafe(32)
        with self._locked() as entries:
            taken = {str(e.get("key_id") or str(e.get("sha256", ""))[:12]) for e in entries}
            key_id = secrets.token_hex(6)
            while key_id in taken:
                key_id = secrets.token_hex(6)
            token = f"{TOKEN_PREFIX}{key_id}_{secret}"
            rec = ApiKeyRecord(
                key_id=key_id,
                sha256=hashlib.sha256(token.encode("utf-8")).hexdigest(),
                subject=subject or name or f"key-{key_id}",
                roles=roles,
                tenant=tenant,
                name=name,
                created_at=now,
                expires_at=now + timedelta(days=expires_days) if expires_days else None,
            )
            entries.append(_entry(rec))
        return rec, token

    def revoke(self, key_id: str) -> ApiKeyRecord | None:
        """Mark a key revoked (kept for the record); None when no key has this id.

        Raises:
            OSError: the file cannot be written.
            KeyStoreError: the file on disk is not a key document.
        """
        found: ApiKeyRecord | None = None
        with self._locked() as entries:
            for i, e in enumerate(entries):
                rec = _record(e, self.path)
                if rec.key_id == key_id:
                    found = replace(rec, revoked=True)
                    entries[i] = {**e, "revoked": True}
        return found
