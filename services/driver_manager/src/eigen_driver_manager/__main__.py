"""``python -m eigen_driver_manager``: run the driver-manager until SIGTERM."""

from eigen_common.server import run
from eigen_driver_manager.app import build
from eigen_driver_manager.settings import DriverManagerSettings

if __name__ == "__main__":
    run(build, DriverManagerSettings())
