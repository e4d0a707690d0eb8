"""``python -m eigen_kernel``: run the kernel until SIGTERM."""

from eigen_common.server import run
from eigen_kernel.app import build
from eigen_kernel.settings import KernelSettings

if __name__ == "__main__":
    run(build, KernelSettings())
