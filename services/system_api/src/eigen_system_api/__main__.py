"""``python -m eigen_system_api``: run the public ingress until SIGTERM."""

from eigen_common.server import run
from eigen_system_api.app import build
from eigen_system_api.settings import SystemApiSettings

if __name__ == "__main__":
    run(build, SystemApiSettings())
