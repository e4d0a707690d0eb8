from __future__ import annotations

import pytest

from eigen_compiler.model import Limits
from eigen_compiler.optimize import PassManagerCache
from eigen_compiler.pipeline import Compiler


@pytest.fixture(scope="session")
def pass_managers() -> PassManagerCache:
    """One cache for the whole session, as in the service process."""
    return PassManagerCache()


@pytest.fixture(scope="session")
def compiler(pass_managers: PassManagerCache) -> Compiler:
    return Compiler(Limits(), pass_managers)
