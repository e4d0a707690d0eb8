from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

import pytest

from eigen_driver_manager.plugins.aer_driver import AerDriver
from eigen_driver_manager.testing import FakeDriver


@pytest.fixture(scope="session")
def aer_driver() -> Iterator[AerDriver]:
    """One initialised Aer driver for the whole session (the noisy device takes ~1-3 s)."""
    drv = AerDriver()
    drv.initialize({})
    yield drv
    drv.close()


class DownDriver(FakeDriver):
    """A second fake driver whose backend is down."""

    name: ClassVar[str] = "fakedown"


@pytest.fixture
def fake_driver() -> FakeDriver:
    drv = FakeDriver()
    drv.initialize(
        {"devices": "fake.device,fake.offline", "offline": "fake.offline", "max_qubits": "4"}
    )
    return drv


@pytest.fixture
def down_driver() -> FakeDriver:
    drv = DownDriver()
    drv.initialize({"devices": "down.device", "unavailable": "true"})
    return drv
