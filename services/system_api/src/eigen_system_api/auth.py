"""Authentication (API keys, JWTs) and authorisation (roles → permissions), SPEC §11.

The server decides subject, roles and tenant from the verified credential — never from client
headers. ``authorization: Bearer <token>``: a compact JWS goes to the JWT verifier (when one is
configured), anything else is looked up in the API key store.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from eigen_common import errors
from eigen_common.context import AuthContext
from eigen_system_api.jwt_auth import JwtVerifier, looks_like_jwt
from eigen_system_api.keys import KeyStore

#: Role → permissions (RFC 0009, plus ``admin`` for the operator API).
ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    "admin": frozenset(
        {"jobs:submit", "jobs:read", "jobs:cancel", "devices:read", "devices:reserve", "admin"}
    ),
    "user": frozenset(
        {"jobs:submit", "jobs:read", "jobs:cancel", "devices:read", "devices:reserve"}
    ),
    "readonly": frozenset({"jobs:read", "devices:read"}),
}
PERMISSIONS = frozenset().union(*ROLE_PERMISSIONS.values())
MAX_TOKEN_CHARS = 8192


@dataclass(frozen=True)
class Identity:
    """A verified caller.

    ``auth`` travels to the kernel; ``credential`` names the credential for the audit log
    without revealing it (``api_key:<key_id>`` or ``jwt:<issuer>``).
    """

    auth: AuthContext
    credential: str


def bearer_token(metadata: Sequence[tuple[str, str | bytes]] | None) -> str:
    """The bearer token of ``authorization`` metadata, "" when absent."""
    for k, v in metadata or ():
        if k == "authorization":
            val = v.decode("utf-8", "replace") if isinstance(v, bytes) else v
            if val[:7].lower() == "bearer ":
                return val[7:].strip()
    return ""


class Authenticator:
    """Verifies bearer tokens; checks permissions.

    Args:
        keys: the API key store.
        jwt: the JWT verifier, or None when JWTs are not accepted.
    """

    def __init__(self, keys: KeyStore, jwt: JwtVerifier | None = None):
        self.keys = keys
        self.jwt = jwt

    async def authenticate(self, metadata: Sequence[tuple[str, str | bytes]] | None) -> Identity:
        """The caller's identity.

        Raises:
            UnauthenticatedError: no token, or one that is unknown, revoked, expired or invalid.
            ServiceUnavailableError: JWTs are configured but no signing key could be fetched.
        """
        token = bearer_token(metadata)
        if not token:
            raise errors.UnauthenticatedError("missing bearer token (authorization metadata)")
        if len(token) > MAX_TOKEN_CHARS:
            raise errors.UnauthenticatedError("invalid token")
        if self.jwt is not None and looks_like_jwt(token):
            auth, claims = await self.jwt.verify(token)
            return Identity(auth, f"jwt:{str(claims.get('iss', ''))[:128]}")
        rec = self.keys.lookup(token)
        if rec is None:
            raise errors.UnauthenticatedError("invalid, revoked or expired token")
        return Identity(rec.auth, f"api_key:{rec.key_id}")


def authorize(auth: AuthContext, permission: str) -> None:
    """Raises PermissionDeniedError unless one of ``auth.roles`` grants ``permission``."""
    if not any(permission in ROLE_PERMISSIONS.get(r, ()) for r in auth.roles):
        raise errors.PermissionDeniedError(
            f"permission {permission} required", metadata={"permission": permission}
        )
