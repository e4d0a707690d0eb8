"""Stand-in for a stack service with the real settings and security: `-m eigen_fake_secured_service
PREFIX [MODE]`.

Settings come from the environment with `PREFIX` like a real service's (host, port, internal
token file, TLS files), and it runs through `eigen_common.server.run`, so it serves
grpc.health.v1 with the same TLS/mTLS and refuses to start the same way. Each start appends
its pid to `$EIGEN_FAKE_DUMP/<PREFIX>.starts` and dumps its EIGEN_* environment to
`$EIGEN_FAKE_DUMP/<PREFIX>.json`.

MODE `die` exits at once with code 3; `die-on-restart` serves on its first start and exits
with code 3 on every later one (a service that cannot come back).
"""

import json
import os
import sys
from pathlib import Path
from typing import ClassVar

from pydantic_settings import SettingsConfigDict

from eigen_common.server import App, run
from eigen_common.settings import ServiceSettings


def main() -> None:
    prefix = sys.argv[1]
    mode = sys.argv[2] if len(sys.argv) > 2 else "ok"
    dump = Path(os.environ["EIGEN_FAKE_DUMP"])
    starts = dump / f"{prefix}.starts"
    first = not starts.exists()
    with starts.open("a") as fh:
        fh.write(f"{os.getpid()}\n")
    env = {k: v for k, v in os.environ.items() if k.startswith("EIGEN_")}
    env["pid"] = str(os.getpid())
    (dump / f"{prefix}.json").write_text(json.dumps(env))
    if mode == "die" or (mode == "die-on-restart" and not first):
        print(f"fatal: {prefix} cannot start (simulated)", file=sys.stderr, flush=True)
        sys.exit(3)
    name = prefix.removeprefix("EIGEN_").rstrip("_").lower().replace("_", "-")
    settings_cls = type(
        "FakeSettings",
        (ServiceSettings,),
        {
            "__annotations__": {"service_name": ClassVar[str]},
            "service_name": name,
            "model_config": SettingsConfigDict(env_prefix=prefix),
        },
    )
    settings = settings_cls(grace_seconds=0.2)
    run(lambda s: App(name, s, []), settings)


if __name__ == "__main__":
    main()
