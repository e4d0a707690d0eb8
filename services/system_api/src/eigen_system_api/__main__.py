"""``python -m eigen_system_api``: run the public ingress until SIGTERM."""

from __future__ import annotations

import asyncio

from eigen_common.logs import configure_logging
from eigen_common.server import serve
from eigen_common.tracing import configure_tracing
from eigen_system_api.app import build
from eigen_system_api.settings import SystemApiSettings


async def main(settings: SystemApiSettings) -> None:
    """Serve the public API."""
    api = build(settings)
    await serve(
        "system-api",
        api.bindings,
        f"{settings.host}:{settings.port}",
        metrics_port=settings.metrics_port,
        metrics_host=settings.host,
        grace_seconds=settings.grace_seconds,
        max_message_bytes=settings.max_message_bytes,
        on_stopping=api.close,
    )


if __name__ == "__main__":
    _settings = SystemApiSettings()
    configure_logging("system-api", _settings.log_level, _settings.log_json)
    configure_tracing("system-api", _settings.otel_exporter)
    asyncio.run(main(_settings))
