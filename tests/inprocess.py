"""The whole stack in one process, wired by each service's own composition root.

Every service is ``app.build(settings)`` → ``App.start()`` on ``127.0.0.1:0`` (ports read back),
exactly what ``python -m eigen_<service>`` runs, minus the separate processes. Used by the
integration tests and the CLI tests (which drive the real public API through it).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from eigen_common.server import App, RunningServer
from eigen_compiler.app import build as build_compiler
from eigen_compiler.settings import CompilerSettings
from eigen_driver_manager.app import build as build_driver_manager
from eigen_driver_manager.settings import DriverManagerSettings
from eigen_kernel.app import KernelApp
from eigen_kernel.app import build as build_kernel
from eigen_kernel.settings import KernelSettings
from eigen_system_api.app import build as build_api
from eigen_system_api.settings import SystemApiSettings

ADMIN_TOKEN = "in-process-admin-token"
READONLY_TOKEN = "in-process-readonly-token"

#: Keys of the in-process stack: token → (subject, roles, tenant).
DEFAULT_KEYS: dict[str, tuple[str, tuple[str, ...], str]] = {
    ADMIN_TOKEN: ("it", ("admin",), "it"),
    READONLY_TOKEN: ("viewer", ("readonly",), "it"),
}


def write_api_keys(path: Path, keys: Mapping[str, tuple[str, tuple[str, ...], str]]) -> Path:
    """Write an API keys file (sha256 of each token; SPEC §11) and return its path."""
    path.write_text(
        json.dumps(
            {
                "keys": [
                    {
                        "sha256": hashlib.sha256(token.encode()).hexdigest(),
                        "subject": sub,
                        "roles": list(roles),
                        "tenant": tenant,
                    }
                    for token, (sub, roles, tenant) in keys.items()
                ]
            }
        )
    )
    return path


@dataclass
class InProcessStack:
    """A running in-process stack: ``api_address`` is the public endpoint."""

    home: Path
    apps: dict[str, App]
    servers: dict[str, RunningServer]
    kernel_settings: KernelSettings
    tokens: dict[str, tuple[str, tuple[str, ...], str]] = field(default_factory=dict)

    @property
    def api_address(self) -> str:
        """``127.0.0.1:<port>`` of the system-api."""
        return f"127.0.0.1:{self.servers['system-api'].port}"

    @property
    def kernel(self) -> KernelApp:
        """The kernel app (its ``jobs`` for white-box checks)."""
        app = self.apps["kernel"]
        assert isinstance(app, KernelApp)
        return app

    def address(self, service: str) -> str:
        """``127.0.0.1:<port>`` of one service."""
        return f"127.0.0.1:{self.servers[service].port}"

    async def restart_kernel(self, **overrides: Any) -> None:
        """Stop the kernel (job states are kept) and start a new one on the same home and port."""
        port = self.servers["kernel"].port
        await self.servers["kernel"].stop(0)
        await self.apps["kernel"].close()
        self.kernel_settings = self.kernel_settings.model_copy(update={"port": port, **overrides})
        app = build_kernel(self.kernel_settings)
        self.apps["kernel"] = app
        self.servers["kernel"] = await app.start()


@asynccontextmanager
async def start_stack(
    home: Path,
    *,
    keys: Mapping[str, tuple[str, tuple[str, ...], str]] | None = None,
    kernel: Mapping[str, Any] | None = None,
    driver_manager: Mapping[str, Any] | None = None,
    system_api: Mapping[str, Any] | None = None,
) -> AsyncIterator[InProcessStack]:
    """Start compiler, driver-manager, kernel and system-api in this process on port 0.

    Args:
        home: directory for the kernel's store and QFS and the API keys file.
        keys: token → (subject, roles, tenant); default :data:`DEFAULT_KEYS`.
        kernel: ``KernelSettings`` overrides (e.g. ``heartbeat_seconds``).
        driver_manager: ``DriverManagerSettings`` overrides.
        system_api: ``SystemApiSettings`` overrides (quotas, JWT, ...).
    """
    keys = dict(keys or DEFAULT_KEYS)
    apps: dict[str, App] = {}
    servers: dict[str, RunningServer] = {}
    try:
        apps["compiler"] = build_compiler(CompilerSettings(port=0, metrics_port=0))
        servers["compiler"] = await apps["compiler"].start()
        apps["driver-manager"] = build_driver_manager(
            DriverManagerSettings(port=0, metrics_port=0, **dict(driver_manager or {}))
        )
        servers["driver-manager"] = await apps["driver-manager"].start()
        ks = KernelSettings(
            port=0,
            metrics_port=0,
            home=home / "kernel",
            compiler_address=f"127.0.0.1:{servers['compiler'].port}",
            driver_manager_address=f"127.0.0.1:{servers['driver-manager'].port}",
            **dict(kernel or {}),
        )
        apps["kernel"] = build_kernel(ks)
        servers["kernel"] = await apps["kernel"].start()
        apps["system-api"] = build_api(
            SystemApiSettings(
                port=0,
                metrics_port=0,
                kernel_address=f"127.0.0.1:{servers['kernel'].port}",
                compiler_address=f"127.0.0.1:{servers['compiler'].port}",
                api_keys_file=write_api_keys(home / "api_keys.json", keys),
                **dict(system_api or {}),
            )
        )
        servers["system-api"] = await apps["system-api"].start()
        yield InProcessStack(home, apps, servers, ks, keys)
    finally:
        for name in ("system-api", "kernel", "driver-manager", "compiler"):
            if name in servers:
                await servers[name].stop(0)
            if name in apps:
                await apps[name].close()
