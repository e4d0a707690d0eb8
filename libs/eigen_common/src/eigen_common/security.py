"""Who may call a service, and over what (SPEC §11): the per-stack secret, TLS and mTLS.

The system-api is the only ingress; the kernel, compiler and driver-manager serve only the
stack itself. Two mechanisms, usable together:

- **The per-stack secret**: a service configured with ``internal_token[_file]`` sends it on
  every internal call (metadata ``x-eigen-internal``, added by
  :func:`eigen_common.context.outgoing_metadata`), and — unless it is the public ingress —
  accepts a call only when it carries the same value (compared in constant time by the server
  interceptor). Without it a call ends UNAUTHENTICATED with ErrorInfo reason
  ``INTERNAL_CREDENTIALS_MISSING`` or ``INTERNAL_CREDENTIALS_INVALID``; ``x-eigen-*`` auth
  headers are trusted only from a caller that passed. Health checks and reflection stay open.
- **TLS / mTLS**: ``tls_cert_file`` + ``tls_key_file`` make the server listen with TLS;
  ``tls_client_ca_file`` also requires a client certificate signed by that CA (mTLS: the
  handshake fails without one). ``tls_ca_file`` makes the internal channels this service opens
  TLS, presenting its own certificate as the client certificate.

A service bound off loopback refuses to start without TLS (the public ingress) or mTLS (an
internal service) unless ``allow_insecure`` is set (:func:`check_exposure`).

Server-side material comes from the service's own settings (:meth:`ServerSecurity.from_settings`,
used by :meth:`eigen_common.server.App.start`). The client side is one per process
(:func:`configure`, called by :func:`eigen_common.server.run` before the service is built, so
the channels its composition root creates pick it up): one process belongs to one stack.
"""

from __future__ import annotations

import hmac
import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import grpc

from eigen_common.errors import UnauthenticatedError
from eigen_common.settings import ServiceSettings

#: Metadata key of the per-stack secret.
INTERNAL_TOKEN_KEY = "x-eigen-internal"
#: Services that take calls from anyone (clients authenticate with bearer tokens there).
PUBLIC_INGRESS = frozenset({"system-api"})
#: Shortest accepted secret, in characters (``eigen up`` makes 43: ``token_urlsafe(32)``).
MIN_TOKEN_CHARS = 16


class SecurityConfigError(ValueError):
    """Security settings are unusable (unreadable file, short secret, plaintext off loopback)."""


class InternalCredentialsMissingError(UnauthenticatedError):
    """An internal service was called without the stack's internal credentials."""

    reason = "INTERNAL_CREDENTIALS_MISSING"


class InternalCredentialsInvalidError(UnauthenticatedError):
    """An internal service was called with internal credentials that do not match."""

    reason = "INTERNAL_CREDENTIALS_INVALID"


def _read(path: Path, what: str) -> bytes:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise SecurityConfigError(f"cannot read {what} {path}: {exc.strerror}") from None
    if not data.strip():
        raise SecurityConfigError(f"{what} {path} is empty")
    return data


def load_token(settings: ServiceSettings) -> str | None:
    """The per-stack secret of ``settings`` (from ``internal_token`` or its file), or ``None``.

    Raises:
        SecurityConfigError: the file cannot be read, or the secret is shorter than
            :data:`MIN_TOKEN_CHARS`.
    """
    if settings.internal_token is not None:
        token = settings.internal_token.get_secret_value().strip()
    elif settings.internal_token_file is not None:
        raw = _read(settings.internal_token_file, "internal token file")
        try:
            token = raw.decode("ascii").strip()
        except UnicodeDecodeError:
            raise SecurityConfigError("the internal token must be ASCII") from None
    else:
        return None
    if len(token) < MIN_TOKEN_CHARS or not token.isprintable():
        raise SecurityConfigError(
            f"the internal token must be at least {MIN_TOKEN_CHARS} printable characters"
        )
    return token


def is_loopback(host: str) -> bool:
    """True for ``localhost`` and loopback addresses (``127.0.0.0/8``, ``::1``); names → False."""
    h = host.strip().strip("[]").lower()
    if h == "localhost":
        return True
    try:
        return ipaddress.ip_address(h).is_loopback
    except ValueError:
        return False


def _env_name(settings: ServiceSettings, field_name: str) -> str:
    prefix = str(settings.model_config.get("env_prefix", ""))
    return f"{prefix}{field_name}".upper()


def check_exposure(settings: ServiceSettings) -> None:
    """Refuse plaintext off loopback (SPEC §11) unless ``allow_insecure`` says otherwise.

    The public ingress needs TLS there (cert and key); an internal service needs mTLS (cert,
    key and client CA).

    Raises:
        SecurityConfigError: the service would listen off loopback without (m)TLS.
    """
    if settings.allow_insecure or is_loopback(settings.host):
        return
    public = settings.service_name in PUBLIC_INGRESS
    ok = settings.tls_cert_file is not None and (public or settings.tls_client_ca_file is not None)
    if ok:
        return
    needed = ["tls_cert_file", "tls_key_file"] + ([] if public else ["tls_client_ca_file"])
    raise SecurityConfigError(
        f"{settings.service_name}: refusing to listen on {settings.host} (not loopback) "
        f"without {'TLS' if public else 'mTLS'}: set "
        f"{', '.join(_env_name(settings, n) for n in needed)}, "
        f"or {_env_name(settings, 'allow_insecure')}=true to accept plaintext"
    )


@dataclass(frozen=True)
class ServerSecurity:
    """What a server requires of its callers.

    Attributes:
        token: the per-stack secret callers must send, or ``None`` (not required).
        trust_auth_headers: whether ``x-eigen-*`` auth headers from (authenticated) callers
            are taken as the auth context; never on the public ingress.
        credentials: TLS server credentials, or ``None`` for plaintext.
        mtls: callers must present a client certificate signed by the client CA.
    """

    token: bytes | None = field(default=None, repr=False)
    trust_auth_headers: bool = True
    credentials: grpc.ServerCredentials | None = field(default=None, repr=False)
    mtls: bool = False

    @classmethod
    def from_settings(cls, settings: ServiceSettings) -> ServerSecurity:
        """Load the server side of ``settings`` (reads the token, certificate and key files).

        Raises:
            SecurityConfigError: a file cannot be read, the secret is too short, or the
                service would listen off loopback without (m)TLS.
        """
        check_exposure(settings)
        public = settings.service_name in PUBLIC_INGRESS
        token = None if public else load_token(settings)
        credentials = None
        mtls = False
        if settings.tls_cert_file is not None and settings.tls_key_file is not None:
            chain = _read(settings.tls_cert_file, "TLS certificate")
            key = _read(settings.tls_key_file, "TLS key")
            client_ca = (
                _read(settings.tls_client_ca_file, "TLS client CA")
                if settings.tls_client_ca_file is not None
                else None
            )
            mtls = client_ca is not None
            credentials = grpc.ssl_server_credentials(
                [(key, chain)], root_certificates=client_ca, require_client_auth=mtls
            )
        return cls(
            token=token.encode() if token else None,
            trust_auth_headers=not public,
            credentials=credentials,
            mtls=mtls,
        )

    def describe(self) -> str:
        """A log-safe summary: ``internal token + mTLS``, ``TLS``, ``open`` ... (no secrets)."""
        parts = []
        if self.token is not None:
            parts.append("internal token")
        if self.credentials is not None:
            parts.append("mTLS" if self.mtls else "TLS")
        return " + ".join(parts) or "open"

    def trusted_caller(self, metadata: Sequence[tuple[str, str | bytes]] | None) -> bool:
        """Check the caller's internal credentials; True when its auth headers may be trusted.

        Raises:
            InternalCredentialsMissingError: a secret is required and the call has none.
            InternalCredentialsInvalidError: the call carries a different secret.
        """
        if self.token is not None:
            sent: bytes | None = None
            for k, v in metadata or ():
                if k == INTERNAL_TOKEN_KEY:
                    sent = v.encode() if isinstance(v, str) else v
                    break
            if sent is None:
                raise InternalCredentialsMissingError(
                    "this service accepts calls only from the Eigen OS stack "
                    "(internal credentials missing)"
                )
            if not hmac.compare_digest(sent, self.token):
                raise InternalCredentialsInvalidError(
                    "this service accepts calls only from the Eigen OS stack "
                    "(internal credentials invalid)"
                )
        return self.trust_auth_headers


@dataclass(frozen=True)
class ClientSecurity:
    """How this process calls internal services: the secret and the channel credentials."""

    token: str | None = field(default=None, repr=False)
    credentials: grpc.ChannelCredentials | None = field(default=None, repr=False)
    server_name: str = ""

    @classmethod
    def from_settings(cls, settings: ServiceSettings) -> ClientSecurity:
        """Load the client side of ``settings``.

        Raises:
            SecurityConfigError: a file cannot be read or the secret is too short.
        """
        credentials = None
        if settings.tls_ca_file is not None:
            root = _read(settings.tls_ca_file, "TLS CA")
            key = chain = None
            if settings.tls_cert_file is not None and settings.tls_key_file is not None:
                chain = _read(settings.tls_cert_file, "TLS certificate")
                key = _read(settings.tls_key_file, "TLS key")
            credentials = grpc.ssl_channel_credentials(root, key, chain)
        return cls(load_token(settings), credentials, settings.tls_server_name)

    def metadata(self) -> list[tuple[str, str]]:
        """The ``x-eigen-internal`` pair to add to an internal call (empty without a secret)."""
        return [(INTERNAL_TOKEN_KEY, self.token)] if self.token else []


_client = ClientSecurity()


def configure(settings: ServiceSettings) -> ClientSecurity:
    """Make ``settings``' client side this process's: channels created afterwards use it.

    Raises:
        SecurityConfigError: see :meth:`ClientSecurity.from_settings`.
    """
    global _client
    _client = ClientSecurity.from_settings(settings)
    return _client


def set_client(security: ClientSecurity) -> None:
    """Install ``security`` as this process's client side (tests; ``ClientSecurity()`` resets)."""
    global _client
    _client = security


def client() -> ClientSecurity:
    """This process's client side (default: no secret, plaintext)."""
    return _client
