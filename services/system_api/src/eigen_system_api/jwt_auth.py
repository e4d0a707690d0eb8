"""JWT bearer tokens verified against a JWKS (SPEC §11), with PyJWT.

- Keys come from a JWKS file or an ``http(s)://`` URL, cached for ``jwks_cache_seconds`` and
  fetched again when a token names an unknown ``kid`` (at most once per
  ``jwks_min_refresh_seconds``, so a flood of made-up kids cannot hammer the provider).
- Only asymmetric algorithms (settings ``jwt_algorithms``; RS256, ES256 and EdDSA by default) are
  accepted, and each only with a key of its own type: ``alg: none``, HS* (e.g. HS256 keyed with
  a public key) and symmetric (``oct``) JWKs are refused.
- ``iss``, ``aud``, ``exp`` are required and checked, ``nbf``/``iat`` when present, all with
  ``jwt_leeway_seconds``. Subject, tenant and roles come from configurable claims; roles may be a
  list or a space/comma-separated string; unknown roles are dropped.
"""

from __future__ import annotations

import asyncio
import json
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jwt

from eigen_common import errors
from eigen_common.context import AuthContext
from eigen_common.logs import get_logger
from eigen_system_api.keys import ROLES, SUBJECT_RE, TENANT_RE
from eigen_system_api.settings import SystemApiSettings

log = get_logger("eigen.system_api.jwt")

MAX_JWKS_BYTES = 1024 * 1024

#: Algorithm → (JWK ``kty``, allowed ``crv`` values or None).
_KEY_TYPE: dict[str, tuple[str, frozenset[str] | None]] = {
    **{a: ("RSA", None) for a in ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512")},
    "ES256": ("EC", frozenset({"P-256"})),
    "ES384": ("EC", frozenset({"P-384"})),
    "ES512": ("EC", frozenset({"P-521"})),
    "EdDSA": ("OKP", frozenset({"Ed25519", "Ed448"})),
}


def looks_like_jwt(token: str) -> bool:
    """True for a compact JWS (``header.payload.signature``)."""
    return token.count(".") == 2 and token.startswith("eyJ")


def _fetch_url(url: str, timeout: float) -> bytes:
    req = urllib.request.Request(url, headers={"Accept": "application/json"})
    with urllib.request.urlopen(req, timeout=timeout) as resp:
        data: bytes = resp.read(MAX_JWKS_BYTES + 1)
    if len(data) > MAX_JWKS_BYTES:
        raise ValueError("JWKS larger than 1 MiB")
    return data


class JwksCache:
    """The signing keys of a JWKS (``kid`` → JWK dict), from a file or URL, cached.

    Args:
        source: a file path or an ``http://``/``https://`` URL.
        cache_seconds: how long fetched keys are used before fetching again.
        min_refresh_seconds: least time between two fetches caused by an unknown ``kid``.
        timeout: URL fetch timeout in seconds.
        clock: monotonic clock (tests).
    """

    def __init__(
        self,
        source: str,
        *,
        cache_seconds: float = 300.0,
        min_refresh_seconds: float = 10.0,
        timeout: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.source = source
        self._is_url = source.startswith(("http://", "https://"))
        self._cache_seconds = cache_seconds
        self._min_refresh = min_refresh_seconds
        self._timeout = timeout
        self._clock = clock
        self._keys: dict[str, dict[str, Any]] = {}
        self._fetched_at: float | None = None
        self._lock = asyncio.Lock()
        self.fetches = 0

    def _read(self) -> bytes:
        if self._is_url:
            return _fetch_url(self.source, self._timeout)
        data = Path(self.source).read_bytes()
        if len(data) > MAX_JWKS_BYTES:
            raise ValueError("JWKS larger than 1 MiB")
        return data

    async def _fetch(self) -> None:
        self.fetches += 1
        self._fetched_at = self._clock()
        try:
            doc = json.loads(await asyncio.to_thread(self._read))
            keys = doc.get("keys") if isinstance(doc, dict) else None
            if not isinstance(keys, list):
                raise ValueError("not a JWK set")
        except (OSError, ValueError) as exc:
            # Keep the keys we have: a provider hiccup must not log everyone out.
            log.warning("JWKS fetch failed", source=self.source, error=str(exc)[:200])
            if not self._keys:
                raise errors.ServiceUnavailableError(
                    "the identity provider's signing keys are unavailable", retry_after=5.0
                ) from None
            return
        self._keys = {
            str(k.get("kid", "")): k for k in keys if isinstance(k, dict) and k.get("kty") != "oct"
        }

    async def key(self, kid: str) -> dict[str, Any] | None:
        """The JWK with ``kid`` ("" = the only key of a one-key set), fetching as needed.

        Raises:
            ServiceUnavailableError: no keys could ever be fetched.
        """
        async with self._lock:
            now = self._clock()
            if self._fetched_at is None or now - self._fetched_at >= self._cache_seconds:
                await self._fetch()
            found = self._find(kid)
            if found is None and now - (self._fetched_at or 0.0) >= self._min_refresh:
                await self._fetch()  # key rotation: the provider may have a new key
                found = self._find(kid)
            return found

    def _find(self, kid: str) -> dict[str, Any] | None:
        if kid:
            return self._keys.get(kid)
        return next(iter(self._keys.values())) if len(self._keys) == 1 else None


def _roles(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        items = value.replace(",", " ").split()
    elif isinstance(value, list):
        items = [str(v) for v in value]
    else:
        items = []
    return tuple(r for r in dict.fromkeys(items) if r in ROLES)


class JwtVerifier:
    """Verifies a JWT and returns the caller's identity (settings ``jwt_*``).

    Raises (from :meth:`verify`): UnauthenticatedError (with a reason safe to show), or
    ServiceUnavailableError when the JWKS cannot be fetched at all.
    """

    def __init__(self, settings: SystemApiSettings, jwks: JwksCache | None = None):
        self._s = settings
        self._algs = frozenset(settings.jwt_algorithms)
        self.jwks = jwks or JwksCache(
            settings.jwt_jwks,
            cache_seconds=settings.jwks_cache_seconds,
            min_refresh_seconds=settings.jwks_min_refresh_seconds,
            timeout=settings.jwks_fetch_timeout,
        )

    async def verify(self, token: str) -> tuple[AuthContext, dict[str, Any]]:
        """Check signature, algorithm, key type, ``iss``, ``aud``, ``exp``/``nbf``.

        Returns:
            The identity and the verified claims.
        """
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise errors.UnauthenticatedError("malformed JWT") from None
        alg = str(header.get("alg", ""))
        if alg not in self._algs or alg not in _KEY_TYPE:
            raise errors.UnauthenticatedError(f"JWT algorithm {alg[:16]!r} is not accepted")
        jwk = await self.jwks.key(str(header.get("kid", "")))
        if jwk is None:
            raise errors.UnauthenticatedError("JWT signed by an unknown key (kid)")
        kty, curves = _KEY_TYPE[alg]
        if jwk.get("kty") != kty or (curves is not None and jwk.get("crv") not in curves):
            raise errors.UnauthenticatedError("JWT algorithm does not match its key")
        if jwk.get("alg") not in (None, alg):
            raise errors.UnauthenticatedError("JWT algorithm does not match its key")
        try:
            key = jwt.PyJWK(jwk, algorithm=alg).key
            claims: dict[str, Any] = jwt.decode(
                token,
                key=key,
                algorithms=[alg],
                audience=self._s.jwt_audience,
                issuer=self._s.jwt_issuer,
                leeway=self._s.jwt_leeway_seconds,
                options={"require": ["exp", "iss", "aud"]},
            )
        except jwt.ExpiredSignatureError:
            raise errors.UnauthenticatedError("JWT expired") from None
        except jwt.ImmatureSignatureError:
            raise errors.UnauthenticatedError("JWT not yet valid (nbf/iat)") from None
        except jwt.InvalidAudienceError:
            raise errors.UnauthenticatedError("JWT audience is not accepted") from None
        except jwt.InvalidIssuerError:
            raise errors.UnauthenticatedError("JWT issuer is not accepted") from None
        except jwt.MissingRequiredClaimError as exc:
            raise errors.UnauthenticatedError(f"JWT lacks the {exc.claim!r} claim") from None
        except jwt.PyJWTError:
            raise errors.UnauthenticatedError("JWT signature is invalid") from None
        subject = claims.get(self._s.jwt_subject_claim)
        tenant = claims.get(self._s.jwt_tenant_claim)
        if not isinstance(subject, str) or not SUBJECT_RE.fullmatch(subject):
            raise errors.UnauthenticatedError(
                f"JWT {self._s.jwt_subject_claim!r} claim is missing or not 1..256 printable ASCII"
            )
        if not isinstance(tenant, str) or not TENANT_RE.fullmatch(tenant):
            raise errors.UnauthenticatedError(
                f"JWT {self._s.jwt_tenant_claim!r} claim is missing or not a tenant name"
            )
        roles = _roles(claims.get(self._s.jwt_roles_claim))
        return AuthContext(subject, roles, tenant), claims
