"""``python -m eigen_compiler``: run the compiler until SIGTERM."""

from eigen_common.server import run
from eigen_compiler.app import build
from eigen_compiler.settings import CompilerSettings

if __name__ == "__main__":
    run(build, CompilerSettings())
