"""Stand-in for a stack service in launcher tests: `python -m eigen_fake_service PREFIX [MODE]`.

Reads `<PREFIX>HOST`/`<PREFIX>PORT` like the real services, serves only grpc.health.v1 (via
eigen_common.server.serve, SIGTERM drains), and dumps its EIGEN_* environment to
`$EIGEN_FAKE_DUMP/<PREFIX>.json` so tests can check what the launcher passed.
MODE `die` exits at once with an error message (to test startup failures).
"""

import asyncio
import json
import os
import sys
from pathlib import Path

from eigen_common.server import App, serve
from eigen_common.settings import ServiceSettings


def main() -> None:
    prefix = sys.argv[1]
    mode = sys.argv[2] if len(sys.argv) > 2 else "ok"
    dump = os.environ.get("EIGEN_FAKE_DUMP")
    if dump:
        env = {k: v for k, v in os.environ.items() if k.startswith("EIGEN_")}
        env["pid"] = str(os.getpid())
        Path(dump, f"{prefix}.json").write_text(json.dumps(env))
    if mode == "die":
        print(f"fatal: {prefix} cannot start (simulated)", file=sys.stderr)
        sys.exit(3)
    settings = ServiceSettings(
        host=os.environ[prefix + "HOST"], port=int(os.environ[prefix + "PORT"]), grace_seconds=0.2
    )
    asyncio.run(serve(App("fake", settings, [])))


if __name__ == "__main__":
    main()
