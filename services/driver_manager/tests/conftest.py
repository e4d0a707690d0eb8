from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import ClassVar

import pytest

from eigen.driver.v1 import driver_pb2_grpc
from eigen_common.channel import create_channel
from eigen_common.server import ServiceBinding
from eigen_common.testing import start_test_server
from eigen_driver_manager.manager import DriverManager
from eigen_driver_manager.plugins.aer_driver import AerDriver
from eigen_driver_manager.registry import DriverRegistry
from eigen_driver_manager.servicer import SERVICE_NAME, DriverManagerServicer
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


@pytest.fixture
async def stub(
    aer_driver: AerDriver, fake_driver: FakeDriver, down_driver: FakeDriver
) -> AsyncIterator[driver_pb2_grpc.DriverManagerServiceStub]:
    """A DriverManagerService on port 0 with the Aer, fake and down drivers."""
    manager = DriverManager(DriverRegistry([aer_driver, fake_driver, down_driver]), max_workers=2)
    binding = ServiceBinding(
        DriverManagerServicer(manager),
        driver_pb2_grpc.add_DriverManagerServiceServicer_to_server,
        SERVICE_NAME,
    )
    server = await start_test_server("driver-manager", [binding])
    channel = create_channel(f"127.0.0.1:{server.port}")
    try:
        yield driver_pb2_grpc.DriverManagerServiceStub(channel)
    finally:
        await channel.close()
        await server.stop(0)
        manager.close()
