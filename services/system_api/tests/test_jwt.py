"""JWT verification against a JWKS, with real keys made here and a JWKS served over HTTP."""

from __future__ import annotations

import base64
import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import jwt
import pytest

from eigen_common import errors
from eigen_system_api.jwt_auth import JwksCache, JwtVerifier
from eigen_system_api.settings import SystemApiSettings
from services.system_api.tests.support import AUD, ISS, Signer


@pytest.fixture(scope="module")
def signers() -> dict[str, Signer]:
    return {a: Signer(a, f"kid-{a}") for a in ("RS256", "ES256", "EdDSA", "PS256")}


class Jwks:
    """A JWKS served on 127.0.0.1:0; ``keys`` can be replaced (rotation); ``hits`` counts GETs."""

    def __init__(self) -> None:
        self.keys: list[dict[str, Any]] = []
        self.hits = 0
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                outer.hits += 1
                body = json.dumps({"keys": outer.keys}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/jwks.json"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def jwks_server() -> Iterator[Jwks]:
    s = Jwks()
    yield s
    s.close()


def settings(jwks: str, **kw: Any) -> SystemApiSettings:
    return SystemApiSettings(
        jwt_jwks=jwks,
        jwt_issuer=ISS,
        jwt_audience=AUD,
        jwks_min_refresh_seconds=0,
        **kw,
    )


def jwks_file(tmp_path: Path, *signers: Signer) -> str:
    f = tmp_path / "jwks.json"
    f.write_text(json.dumps({"keys": [s.jwk for s in signers]}))
    return str(f)


@pytest.mark.parametrize("alg", ["RS256", "ES256", "EdDSA"])
async def test_each_default_algorithm_verifies_from_a_jwks_file(
    tmp_path: Path, signers: dict[str, Signer], alg: str
) -> None:
    v = JwtVerifier(settings(jwks_file(tmp_path, *signers.values())))
    auth, claims = await v.verify(signers[alg].token())
    assert (auth.subject, auth.tenant, auth.roles) == ("carol", "acme", ("user",))
    assert claims["iss"] == ISS


async def test_algorithms_outside_the_configured_list_are_refused(
    tmp_path: Path, signers: dict[str, Signer]
) -> None:
    v = JwtVerifier(settings(jwks_file(tmp_path, signers["PS256"])))
    with pytest.raises(errors.UnauthenticatedError, match="not accepted"):
        await v.verify(signers["PS256"].token())
    v = JwtVerifier(settings(jwks_file(tmp_path, signers["PS256"]), jwt_algorithms=["PS256"]))
    assert (await v.verify(signers["PS256"].token()))[0].subject == "carol"


def _b64(d: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(d).encode()).rstrip(b"=").decode()


async def test_alg_none_and_hs256_keyed_with_the_public_key_are_refused(
    tmp_path: Path, signers: dict[str, Signer]
) -> None:
    rs = signers["RS256"]
    v = JwtVerifier(settings(jwks_file(tmp_path, rs)))
    claims = {"iss": ISS, "aud": AUD, "sub": "mallory", "tenant": "acme", "roles": ["admin"]}
    claims["exp"] = int(time.time()) + 300
    none_token = f"{_b64({'alg': 'none', 'kid': rs.kid})}.{_b64(claims)}."
    with pytest.raises(errors.UnauthenticatedError):
        await v.verify(none_token)
    # the classic confusion: HS256 with the RSA public key as the HMAC secret
    import hashlib
    import hmac

    signing_input = f"{_b64({'alg': 'HS256', 'kid': rs.kid, 'typ': 'JWT'})}.{_b64(claims)}"
    sig = hmac.new(rs.public_pem(), signing_input.encode(), hashlib.sha256).digest()
    forged = signing_input + "." + base64.urlsafe_b64encode(sig).rstrip(b"=").decode()
    with pytest.raises(errors.UnauthenticatedError, match="not accepted"):
        await v.verify(forged)
    # an RS256 header naming the EC key (key-type confusion)
    es = signers["ES256"]
    v2 = JwtVerifier(settings(jwks_file(tmp_path, rs, es)))
    wrong = jwt.encode(claims, rs.key, algorithm="RS256", headers={"kid": es.kid})
    with pytest.raises(errors.UnauthenticatedError, match="does not match"):
        await v2.verify(wrong)
    # HS is not even configurable
    with pytest.raises(ValueError, match="asymmetric"):
        settings("x", jwt_algorithms=["HS256"])


async def test_symmetric_jwks_entries_are_ignored(tmp_path: Path) -> None:
    f = tmp_path / "jwks.json"
    secret = base64.urlsafe_b64encode(b"s" * 32).rstrip(b"=").decode()
    f.write_text(json.dumps({"keys": [{"kty": "oct", "kid": "k", "k": secret}]}))
    token = jwt.encode(
        {"iss": ISS, "aud": AUD, "sub": "x", "tenant": "t", "exp": int(time.time()) + 60},
        b"s" * 32,
        algorithm="HS256",
        headers={"kid": "k"},
    )
    with pytest.raises(errors.UnauthenticatedError):
        await JwtVerifier(settings(str(f))).verify(token)


@pytest.mark.parametrize(
    ("claims", "match"),
    [
        ({"iss": "https://evil.test/"}, "issuer"),
        ({"aud": "other-api"}, "audience"),
        ({"exp": int(time.time()) - 120}, "expired"),
        ({"nbf": int(time.time()) + 600}, "not yet valid"),
        ({"exp": None}, "'exp'"),
        ({"aud": None}, "'aud'"),
        ({"tenant": None}, "'tenant'"),
        ({"tenant": "bad tenant/../x"}, "'tenant'"),
        ({"sub": ""}, "'sub'"),
    ],
)
async def test_claims_are_checked(
    tmp_path: Path, signers: dict[str, Signer], claims: dict[str, Any], match: str
) -> None:
    v = JwtVerifier(settings(jwks_file(tmp_path, signers["ES256"])))
    with pytest.raises(errors.UnauthenticatedError, match=match):
        await v.verify(signers["ES256"].token(**claims))


async def test_leeway_accepts_small_clock_skew(tmp_path: Path, signers: dict[str, Signer]) -> None:
    v = JwtVerifier(settings(jwks_file(tmp_path, signers["ES256"]), jwt_leeway_seconds=30))
    now = int(time.time())
    assert await v.verify(signers["ES256"].token(exp=now - 10, nbf=now + 10))
    with pytest.raises(errors.UnauthenticatedError):
        await v.verify(signers["ES256"].token(exp=now - 60))


async def test_claim_names_are_configurable(tmp_path: Path, signers: dict[str, Signer]) -> None:
    v = JwtVerifier(
        settings(
            jwks_file(tmp_path, signers["RS256"]),
            jwt_subject_claim="email",
            jwt_tenant_claim="org",
            jwt_roles_claim="scope",
        )
    )
    tok = signers["RS256"].token(email="d@x.test", org="initech", scope="readonly admin bogus")
    auth, _ = await v.verify(tok)
    assert (auth.subject, auth.tenant, auth.roles) == ("d@x.test", "initech", ("readonly", "admin"))


async def test_jwks_url_is_cached_and_refetched_on_an_unknown_kid(
    jwks_server: Jwks, signers: dict[str, Signer]
) -> None:
    old, new = signers["RS256"], signers["EdDSA"]
    jwks_server.keys = [old.jwk]
    v = JwtVerifier(settings(jwks_server.url))
    for _ in range(3):
        await v.verify(old.token())
    assert jwks_server.hits == 1  # cached
    jwks_server.keys = [old.jwk, new.jwk]  # the provider rotates in a new key
    assert (await v.verify(new.token()))[0].subject == "carol"
    assert jwks_server.hits == 2
    with pytest.raises(errors.UnauthenticatedError, match="unknown key"):
        await v.verify(Signer("ES256", "kid-never-published").token())


async def test_unknown_kid_refetches_are_rate_limited(
    jwks_server: Jwks, signers: dict[str, Signer]
) -> None:
    jwks_server.keys = [signers["RS256"].jwk]
    now = [1000.0]
    cache = JwksCache(jwks_server.url, min_refresh_seconds=10, clock=lambda: now[0])
    v = JwtVerifier(settings(jwks_server.url), jwks=cache)
    stranger = Signer("ES256", "kid-random")
    for _ in range(20):
        with pytest.raises(errors.UnauthenticatedError):
            await v.verify(stranger.token())
    assert jwks_server.hits == 1
    now[0] += 11
    with pytest.raises(errors.UnauthenticatedError):
        await v.verify(stranger.token())
    assert jwks_server.hits == 2


async def test_unreachable_jwks_is_unavailable_not_unauthenticated(
    signers: dict[str, Signer],
) -> None:
    srv = Jwks()
    url = srv.url
    srv.close()  # nothing listens there any more
    v = JwtVerifier(settings(url, jwks_fetch_timeout=2))
    with pytest.raises(errors.ServiceUnavailableError):
        await v.verify(signers["RS256"].token())


def test_jwt_settings_need_issuer_and_audience() -> None:
    with pytest.raises(ValueError, match="jwt_issuer"):
        SystemApiSettings(jwt_jwks="/x.json")
