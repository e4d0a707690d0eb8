"""The drivers file (SPEC §13): ``$EIGEN_HOME/drivers.toml`` or ``EIGEN_DRIVERS_FILE``.

One table per driver, every key optional::

    [ibm]
    enabled = true                     # false: the driver is not loaded
    credentials = "saved"              # where the vendor credentials come from (driver-defined:
                                       # "saved" = the SDK's saved account, "env", "none")
    devices = ["ibm.fake_brisbane"]    # allowlist of device ids (empty = all)
    slots = 2                          # concurrent executions per device (0 = kernel default)

    [ibm.config]                       # strings passed to the driver's initialize()
    fake_backends = "fake_brisbane,fake_sherbrooke"

The file never holds secrets itself: credentials stay in the vendor's usual places. A TOML
syntax error is a startup error (the operator's file is wrong); a table with bad content makes
only that driver OFFLINE with the reason.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

_KEYS = frozenset({"enabled", "credentials", "devices", "slots", "config"})
#: Config keys whose values are never shown (redacted from messages).
_SECRET_KEY = re.compile(r"token|secret|password|key|credential", re.IGNORECASE)
#: Long opaque strings (API tokens, access keys) are redacted from any message.
_TOKEN_LIKE = re.compile(r"[A-Za-z0-9_\-+/=]{32,}")


class DriversFileError(ValueError):
    """The drivers file cannot be read or parsed (a startup error)."""


@dataclass(frozen=True)
class DriverTable:
    """One driver's table of the drivers file.

    Attributes:
        enabled: load the driver.
        credentials: credential source name handed to the driver as config ``credentials``
            ('' = the driver's default).
        devices: device-id allowlist (empty = every device the driver offers).
        slots: concurrent executions per device (0 = the kernel's default).
        config: extra string config for ``initialize``.
        problem: why the table is invalid ('' when it is valid); the driver is then OFFLINE.
    """

    enabled: bool = True
    credentials: str = ""
    devices: tuple[str, ...] = ()
    slots: int = 0
    config: Mapping[str, str] = field(default_factory=dict)
    problem: str = ""

    def driver_config(self) -> dict[str, str]:
        """The config ``initialize`` gets from this table (``credentials`` included)."""
        out = dict(self.config)
        if self.credentials:
            out["credentials"] = self.credentials
        return out


def default_path(eigen_home: str | None = None) -> Path:
    """``$EIGEN_HOME/drivers.toml`` (``~/.eigen/drivers.toml`` without ``EIGEN_HOME``)."""
    home = eigen_home if eigen_home is not None else os.environ.get("EIGEN_HOME", "")
    return Path(home or "~/.eigen").expanduser() / "drivers.toml"


def load(path: str) -> dict[str, DriverTable]:
    """Read the drivers file at ``path`` ('' = :func:`default_path` if it exists).

    Returns:
        Driver name → table (empty when there is no file).

    Raises:
        DriversFileError: an explicit ``path`` that does not exist, or invalid TOML.
    """
    explicit = bool(path)
    file = Path(path).expanduser() if explicit else default_path()
    if not file.is_file():
        if explicit:
            raise DriversFileError(f"drivers file {file} does not exist")
        return {}
    try:
        data = tomllib.loads(file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise DriversFileError(f"drivers file {file} is not valid TOML: {exc}") from None
    return parse(data)


def parse(data: Mapping[str, Any]) -> dict[str, DriverTable]:
    """Turn parsed TOML into tables; a bad table gets its ``problem`` set."""
    out: dict[str, DriverTable] = {}
    for name, raw in data.items():
        if not isinstance(raw, Mapping):
            out[name] = DriverTable(problem=f"drivers.toml: [{name}] must be a table")
            continue
        out[name] = _table(name, raw)
    return out


def _table(name: str, raw: Mapping[str, Any]) -> DriverTable:
    problems = [f"unknown key {k!r}" for k in sorted(set(raw) - _KEYS)]
    enabled = raw.get("enabled", True)
    if not isinstance(enabled, bool):
        problems.append("enabled must be true or false")
        enabled = True
    credentials = raw.get("credentials", "")
    if not isinstance(credentials, str):
        problems.append("credentials must be a string (a source name, never a secret)")
        credentials = ""
    devices = raw.get("devices", [])
    if not isinstance(devices, list) or not all(isinstance(d, str) for d in devices):
        problems.append("devices must be a list of device ids")
        devices = []
    slots = raw.get("slots", 0)
    if not isinstance(slots, int) or isinstance(slots, bool) or not 0 <= slots <= 1024:
        problems.append("slots must be an integer 0..1024")
        slots = 0
    config = raw.get("config", {})
    if not isinstance(config, Mapping):
        problems.append("config must be a table")
        config = {}
    problem = f"drivers.toml [{name}]: {'; '.join(problems)}" if problems else ""
    return DriverTable(
        enabled,
        credentials,
        tuple(devices),
        slots,
        {str(k): str(v) for k, v in config.items()},
        problem,
    )


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """``text`` without the given secrets and without long token-like strings."""
    for s in secrets:
        if s and len(s) >= 4:
            text = text.replace(s, "***")
    return _TOKEN_LIKE.sub("***", text)


def secret_values(config: Mapping[str, str]) -> list[str]:
    """Values of config keys that look like credentials (to redact them from messages)."""
    return [v for k, v in config.items() if _SECRET_KEY.search(k)]
