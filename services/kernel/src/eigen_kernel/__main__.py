"""``python -m eigen_kernel``: run the kernel until SIGTERM."""

from __future__ import annotations

import asyncio

from eigen_common.logs import configure_logging
from eigen_common.server import serve
from eigen_common.tracing import configure_tracing
from eigen_kernel.app import build
from eigen_kernel.settings import KernelSettings


async def main(settings: KernelSettings) -> None:
    """Build the kernel, resume unfinished jobs, serve; on SIGTERM drain, then stop pipelines."""
    kernel = build(settings)
    # Resume unfinished jobs before accepting calls, so that a job submitted during start-up
    # cannot be picked up a second time by recovery.
    kernel.jobs.recover()
    await serve(
        "kernel",
        [kernel.binding],
        f"{settings.host}:{settings.port}",
        metrics_port=settings.metrics_port,
        metrics_host=settings.host,
        grace_seconds=settings.grace_seconds,
        max_message_bytes=settings.max_message_bytes,
        on_stopping=kernel.close,
    )


if __name__ == "__main__":
    _settings = KernelSettings()
    configure_logging("kernel", _settings.log_level, _settings.log_json)
    configure_tracing("kernel", _settings.otel_exporter)
    asyncio.run(main(_settings))
