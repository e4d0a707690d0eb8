"""Per-invocation CLI state shared by all commands."""

from __future__ import annotations

from dataclasses import dataclass, field

import click

from eigen_os.client import EigenClient
from eigen_os.config import resolve_config


@dataclass
class AppContext:
    """Per-invocation state: connection settings and a lazily created client.

    ``endpoint``/``token``/``ca_file`` are the global flags (``None`` = not given).
    """

    endpoint: str | None
    token: str | None
    timeout: float
    ca_file: str | None = None
    _client: EigenClient | None = field(default=None, repr=False)

    def client(self) -> EigenClient:
        """The SDK client (created on first use; endpoint/token resolved as the SDK does)."""
        if self._client is None:
            config = resolve_config(self.endpoint, self.token, ca_file=self.ca_file)
            self._client = EigenClient(config=config, timeout=self.timeout)
        return self._client

    def close(self) -> None:
        """Close the client if one was created."""
        if self._client is not None:
            self._client.close()
            self._client = None


pass_app = click.make_pass_decorator(AppContext)
