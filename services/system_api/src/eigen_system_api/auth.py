"""Authentication (bearer API keys) and authorisation (RFC 0009 roles → permissions), SPEC §11.

The server decides subject, roles and tenant from the verified key — never from client headers.
Keys are stored as sha256 hashes in a JSON file::

    {"keys": [{"sha256": "<hex>", "subject": "local-admin", "roles": ["admin"], "tenant": "local"}]}
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Sequence
from pathlib import Path

from eigen_common import errors
from eigen_common.context import AuthContext

#: Role → permissions (RFC 0009).
ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    "admin": frozenset(
        {"jobs:submit", "jobs:read", "jobs:cancel", "devices:read", "devices:reserve"}
    ),
    "user": frozenset(
        {"jobs:submit", "jobs:read", "jobs:cancel", "devices:read", "devices:reserve"}
    ),
    "readonly": frozenset({"jobs:read", "devices:read"}),
}


class ApiKeyAuthenticator:
    """Verifies ``authorization: Bearer <token>`` against hashed API keys.

    Raises (from :meth:`authenticate`): UnauthenticatedError, PermissionDeniedError.
    """

    def __init__(self, keys: dict[str, AuthContext]):
        self._keys = keys

    @classmethod
    def from_file(cls, path: Path) -> ApiKeyAuthenticator:
        """Load keys; a missing file means no key is accepted.

        Raises:
            ValueError: the file is not valid key JSON.
        """
        if not path.exists():
            return cls({})
        data = json.loads(path.read_text())
        keys = {}
        for k in data.get("keys", []):
            roles = tuple(k.get("roles", ()))
            unknown = set(roles) - set(ROLE_PERMISSIONS)
            if unknown:
                raise ValueError(f"unknown roles {sorted(unknown)} in {path}")
            keys[str(k["sha256"]).lower()] = AuthContext(str(k["subject"]), roles, str(k["tenant"]))
        return cls(keys)

    def authenticate(
        self, metadata: Sequence[tuple[str, str | bytes]] | None, permission: str
    ) -> AuthContext:
        """The caller's identity, checked for ``permission``."""
        token = ""
        for k, v in metadata or ():
            if k == "authorization":
                val = v.decode() if isinstance(v, bytes) else v
                if val[:7].lower() == "bearer ":
                    token = val[7:].strip()
        if not token:
            raise errors.UnauthenticatedError("missing bearer token (authorization metadata)")
        digest = hashlib.sha256(token.encode()).hexdigest()
        auth = None
        for known, ctx in self._keys.items():
            if hmac.compare_digest(known, digest):
                auth = ctx
        if auth is None:
            raise errors.UnauthenticatedError("invalid token")
        if not any(permission in ROLE_PERMISSIONS.get(r, ()) for r in auth.roles):
            raise errors.PermissionDeniedError(
                f"permission {permission} required", metadata={"permission": permission}
            )
        return auth
