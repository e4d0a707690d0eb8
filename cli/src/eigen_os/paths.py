"""Where the CLI keeps and finds things: ``$EIGEN_HOME`` and the user config file.

Every environment lookup of the client side goes through here (or through an explicit ``env``
mapping passed in), so tests can substitute an environment.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path

TOKEN_FILE = "token"
API_KEYS_FILE = "api_keys.json"
STACK_FILE = "stack.json"
LOGS_DIR = "logs"
KERNEL_DIR = "kernel"
#: The per-stack secret internal calls carry (0600, new on every fresh `eigen up`).
INTERNAL_TOKEN_FILE = "internal_token"
#: Local CA and server certificate of `eigen up --tls`.
TLS_DIR = "tls"
TLS_CA_FILE = "ca.pem"
TLS_CERT_FILE = "server.pem"
TLS_KEY_FILE = "server.key"


def environ() -> Mapping[str, str]:
    """Return the process environment (the one place the client reads ``os.environ``)."""
    return os.environ


def eigen_home(env: Mapping[str, str] | None = None) -> Path:
    """Return ``$EIGEN_HOME`` (default ``~/.eigen``), ``~`` expanded; it may not exist yet."""
    e = environ() if env is None else env
    raw = e.get("EIGEN_HOME") or "~/.eigen"
    return Path(raw).expanduser()


def config_file(env: Mapping[str, str] | None = None) -> Path:
    """Return the user config file path.

    ``$EIGEN_CONFIG`` if set, else ``$XDG_CONFIG_HOME/eigen/config.toml``, else
    ``~/.config/eigen/config.toml``.
    """
    e = environ() if env is None else env
    if e.get("EIGEN_CONFIG"):
        return Path(e["EIGEN_CONFIG"]).expanduser()
    base = Path(e["XDG_CONFIG_HOME"]) if e.get("XDG_CONFIG_HOME") else Path("~/.config")
    return (base / "eigen" / "config.toml").expanduser()


def stack_ca_file(home: Path) -> Path | None:
    """The CA certificate to trust for the endpoint of the stack recorded in ``home``.

    ``eigen up --tls`` records ``"tls": {"ca_file": ...}`` in ``$EIGEN_HOME/stack.json``;
    ``None`` when no stack is recorded, it serves plaintext, or the file is gone.
    """
    try:
        data = json.loads((home / STACK_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    tls = data.get("tls") if isinstance(data, dict) else None
    ca = tls.get("ca_file") if isinstance(tls, dict) else None
    if not isinstance(ca, str) or not ca:
        return None
    path = Path(ca)
    return path if path.is_file() else None
