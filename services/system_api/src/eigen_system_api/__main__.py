"""``python -m eigen_system_api [--rest-port N ...]``: run the public ingress until SIGTERM.

Every setting is also a flag (``--help``); flags win over ``EIGEN_SYSTEM_API_*``.
"""

from eigen_common.server import run
from eigen_system_api.app import build
from eigen_system_api.settings import SystemApiSettings

if __name__ == "__main__":
    # init-only options of BaseSettings, unseen by mypy's dataclass_transform view of __init__
    run(build, SystemApiSettings(_cli_parse_args=True, _cli_kebab_case=True))  # type: ignore[call-arg]
