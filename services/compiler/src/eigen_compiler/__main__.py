"""``python -m eigen_compiler``: settings → logging → serve."""

import asyncio

from eigen_common.logs import configure_logging
from eigen_compiler.app import main
from eigen_compiler.settings import CompilerSettings

settings = CompilerSettings()
configure_logging("compiler", settings.log_level, settings.log_json)
asyncio.run(main(settings))
