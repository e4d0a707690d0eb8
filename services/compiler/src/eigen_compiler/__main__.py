"""``python -m eigen_compiler``: settings → logging → serve."""

from __future__ import annotations

import asyncio

from eigen_common.logs import configure_logging
from eigen_common.tracing import configure_tracing
from eigen_compiler.app import main
from eigen_compiler.settings import CompilerSettings

if __name__ == "__main__":
    settings = CompilerSettings()
    configure_logging("compiler", settings.log_level, settings.log_json)
    configure_tracing("compiler", settings.otel_exporter)
    asyncio.run(main(settings))
