"""Where the SDK and the CLI connect, how they authenticate, and which TLS roots they trust.

Precedence for each setting: the argument (a CLI flag) > the environment > the user config
file (:func:`eigen_os.paths.config_file`) > the local stack ``eigen up`` recorded in
``$EIGEN_HOME`` > the default.

==========  ==================  ================  ============================================
setting     environment         config file key   local stack / default
==========  ==================  ================  ============================================
endpoint    ``EIGEN_ENDPOINT``  ``endpoint``      ``stack.json`` ``endpoint`` / 127.0.0.1:50051
token       ``EIGEN_TOKEN``     ``token``         ``$EIGEN_HOME/token`` / none
TLS         scheme of the       ``tls = true``    ``eigen up --tls`` records ``grpcs://``
            endpoint
CA file     ``EIGEN_CA_FILE``   ``ca_file``       the stack's CA (``tls.ca_file`` in
                                                  ``stack.json``) / the system's roots
==========  ==================  ================  ============================================

TLS is on when the endpoint starts with ``https://`` or ``grpcs://``, or when it has no scheme
and either the config file says ``tls = true`` or it is the address of a local stack started
with ``eigen up --tls``; ``http://`` / ``grpc://`` force plaintext. A CA file only says whom to
trust; it never turns TLS on by itself. The local stack's CA is trusted only for the stack's own
address. A relative ``ca_file`` in the config file is relative to that file's directory.
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eigen_common.errors import InvalidArgumentError
from eigen_os import paths

DEFAULT_ENDPOINT = "127.0.0.1:50051"

_TLS_SCHEMES = ("https://", "grpcs://")
_PLAIN_SCHEMES = ("http://", "grpc://")
#: Largest CA bundle read (bytes); a bigger file is certainly not a PEM bundle meant for this.
MAX_CA_FILE_BYTES = 1024 * 1024


class ConfigError(InvalidArgumentError):
    """The client configuration (config.toml, token file, CA file) is unreadable or malformed."""

    reason = "INVALID_CLIENT_CONFIG"


def _strip_scheme(endpoint: str) -> str:
    for prefix in (*_TLS_SCHEMES, *_PLAIN_SCHEMES):
        if endpoint.startswith(prefix):
            return endpoint[len(prefix) :].rstrip("/")
    return endpoint


@dataclass(frozen=True)
class ClientConfig:
    """Where to connect, how to authenticate, whom to trust.

    Attributes:
        endpoint: ``host:port``, optionally with a scheme (``https://``/``grpcs://`` = TLS,
            ``http://``/``grpc://`` = plaintext).
        token: bearer token, or ``None`` to send no credentials.
        endpoint_source: where the endpoint came from (for messages).
        token_source: where the token came from (for messages; the token itself is never shown).
        tls_requested: TLS for an endpoint without a scheme (config ``tls = true``, or the
            local stack was started with ``eigen up --tls``).
        ca_file: PEM file of the roots to trust with TLS; ``None`` = the system's roots.
        ca_source: where ``ca_file`` came from (for messages).
    """

    endpoint: str
    token: str | None
    endpoint_source: str = "default"
    token_source: str = "none"
    tls_requested: bool = False
    ca_file: Path | None = None
    ca_source: str = "none"

    @property
    def target(self) -> str:
        """The ``host:port`` to dial (scheme removed)."""
        return _strip_scheme(self.endpoint)

    @property
    def tls(self) -> bool:
        """True when the channel uses TLS (see the module docstring for the rule)."""
        if self.endpoint.startswith(_TLS_SCHEMES):
            return True
        if self.endpoint.startswith(_PLAIN_SCHEMES):
            return False
        return self.tls_requested

    def root_certificates(self) -> bytes | None:
        """The PEM roots to trust (``ca_file``), or ``None`` for the system's roots.

        Raises:
            ConfigError: the CA file cannot be read or holds no PEM certificate.
        """
        if self.ca_file is None:
            return None
        try:
            with self.ca_file.open("rb") as fh:
                data = fh.read(MAX_CA_FILE_BYTES + 1)
        except OSError as exc:
            raise ConfigError(
                f"cannot read the CA file {self.ca_file} (from {self.ca_source}): "
                f"{exc.strerror or exc}"
            ) from None
        if len(data) > MAX_CA_FILE_BYTES or b"-----BEGIN CERTIFICATE-----" not in data:
            raise ConfigError(
                f"the CA file {self.ca_file} (from {self.ca_source}) holds no PEM certificate"
            )
        return data


def _read_config_file(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except FileNotFoundError:
        return {}
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"cannot read config file {path}: {exc}") from None
    for key in ("endpoint", "token", "ca_file"):
        if key in data and not isinstance(data[key], str):
            raise ConfigError(f"config file {path}: `{key}` must be a string")
    if "tls" in data and not isinstance(data["tls"], bool):
        raise ConfigError(f"config file {path}: `tls` must be true or false")
    return data


def _read_token_file(path: Path) -> str | None:
    try:
        token = path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read token file {path}: {exc}") from None
    return token or None


def _stack_endpoint(home: Path) -> str | None:
    """Endpoint recorded by ``eigen up`` in ``$EIGEN_HOME/stack.json`` (custom ports, TLS)."""
    try:
        data = json.loads((home / paths.STACK_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    ep = data.get("endpoint") if isinstance(data, dict) else None
    return ep if isinstance(ep, str) and ep else None


class _FileConfig:
    """The config file, read on first use (a file that is never needed is never opened)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._data: dict[str, Any] | None = None

    def get(self, key: str) -> Any:
        if self._data is None:
            self._data = _read_config_file(self.path)
        value = self._data.get(key)
        return None if value == "" else value


def _endpoint(
    arg: str | None, e: Mapping[str, str], cfg: _FileConfig, home: Path
) -> tuple[str, str]:
    if arg:
        return arg, "--endpoint"
    if e.get("EIGEN_ENDPOINT"):
        return e["EIGEN_ENDPOINT"], "EIGEN_ENDPOINT"
    if (v := cfg.get("endpoint")) is not None:
        return str(v), str(cfg.path)
    if (v := _stack_endpoint(home)) is not None:
        return v, str(home / paths.STACK_FILE)
    return DEFAULT_ENDPOINT, "default"


def _token(
    arg: str | None, e: Mapping[str, str], cfg: _FileConfig, home: Path
) -> tuple[str | None, str]:
    if arg:
        return arg, "--token"
    if e.get("EIGEN_TOKEN"):
        return e["EIGEN_TOKEN"], "EIGEN_TOKEN"
    if (v := cfg.get("token")) is not None:
        return str(v), str(cfg.path)
    if (v := _read_token_file(home / paths.TOKEN_FILE)) is not None:
        return v, str(home / paths.TOKEN_FILE)
    return None, "none"


def _trust(
    endpoint: str, arg: str | None, e: Mapping[str, str], cfg: _FileConfig, home: Path
) -> tuple[bool, Path | None, str]:
    """``(tls_requested, ca_file, ca_source)`` for ``endpoint``."""
    stack_ep = _stack_endpoint(home)
    stack_ca = paths.stack_ca_file(home)
    is_stack = stack_tls = False
    if stack_ep is not None and _strip_scheme(stack_ep) == _strip_scheme(endpoint):
        is_stack = True
        stack_tls = stack_ca is not None or stack_ep.startswith(_TLS_SCHEMES)
    file_tls = cfg.get("tls")
    tls_requested = bool(file_tls) if file_tls is not None else stack_tls
    if arg:
        return tls_requested, Path(arg).expanduser(), "--ca-file"
    if e.get("EIGEN_CA_FILE"):
        return tls_requested, Path(e["EIGEN_CA_FILE"]).expanduser(), "EIGEN_CA_FILE"
    if (v := cfg.get("ca_file")) is not None:
        return tls_requested, cfg.path.parent / Path(str(v)).expanduser(), str(cfg.path)
    if is_stack and stack_ca is not None:
        return tls_requested, stack_ca, str(home / paths.STACK_FILE)
    return tls_requested, None, "none"


def resolve_config(
    endpoint: str | None = None,
    token: str | None = None,
    *,
    ca_file: str | None = None,
    env: Mapping[str, str] | None = None,
) -> ClientConfig:
    """Resolve endpoint, token and TLS trust: arguments > env > config file > local stack.

    - ``endpoint``: argument, ``$EIGEN_ENDPOINT``, ``endpoint`` in the config file, the
      endpoint ``eigen up`` recorded in ``$EIGEN_HOME/stack.json``, else ``127.0.0.1:50051``.
    - ``token``: argument, ``$EIGEN_TOKEN``, ``token`` in the config file, the local stack's
      ``$EIGEN_HOME/token``, else none.
    - TLS and ``ca_file``: see the module docstring.

    Args:
        endpoint: ``host:port`` (a scheme selects TLS or plaintext), or ``None``.
        token: bearer token, or ``None``.
        ca_file: PEM file of the roots to trust, or ``None``.
        env: the environment to read (default: the process's).

    Raises:
        ConfigError: the config or token file exists but cannot be read or parsed.
    """
    e = paths.environ() if env is None else env
    cfg = _FileConfig(paths.config_file(e))
    home = paths.eigen_home(e)
    ep, ep_src = _endpoint(endpoint, e, cfg, home)
    tok, tok_src = _token(token, e, cfg, home)
    tls_requested, ca, ca_src = _trust(ep, ca_file, e, cfg, home)
    return ClientConfig(ep, tok, ep_src, tok_src, tls_requested, ca, ca_src)


__all__ = [
    "DEFAULT_ENDPOINT",
    "ClientConfig",
    "ConfigError",
    "resolve_config",
]
