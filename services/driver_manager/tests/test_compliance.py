"""BaseDriver compliance: every discovered driver and the shipped FakeDriver keep the contract."""

from __future__ import annotations

import inspect
from collections.abc import Iterator, Mapping

import pytest

from eigen_common.errors import (
    DeviceNotFoundError,
    FailedPreconditionError,
    InvalidArgumentError,
    InvalidOptionError,
    UnimplementedError,
)
from eigen_driver_manager.base import (
    DRIVER_NAME_RE,
    BaseDriver,
    CalibrationResult,
    DeviceInfo,
    DeviceStatus,
    DeviceStatusReport,
    ExecutionResult,
)
from eigen_driver_manager.options import OptionSpec
from eigen_driver_manager.plugins.aer_driver import AerDriver
from eigen_driver_manager.registry import PLUGIN_DIR, discover
from eigen_driver_manager.testing import FakeDriver, aqo_circuit

DRIVER_CLASSES: list[type[BaseDriver]] = [s.cls for s in discover([PLUGIN_DIR])]
if FakeDriver not in DRIVER_CLASSES:
    DRIVER_CLASSES.append(FakeDriver)


def test_aer_is_always_discovered() -> None:
    assert AerDriver in DRIVER_CLASSES


@pytest.fixture(scope="module", params=DRIVER_CLASSES, ids=lambda c: c.name)
def driver(request: pytest.FixtureRequest, aer_driver: AerDriver) -> Iterator[BaseDriver]:
    """Each discovered driver with its default config, initialised once for this module."""
    cls: type[BaseDriver] = request.param
    if cls is AerDriver:
        yield aer_driver  # initialised once per session
        return
    drv = cls()
    drv.initialize({"credentials": "none"} if cls.name == "ibm" else {})
    yield drv
    drv.close()


def online(driver: BaseDriver) -> list[DeviceInfo]:
    return [d for d in driver.get_devices() if d.status is DeviceStatus.ONLINE]


def test_declaration(driver: BaseDriver) -> None:
    assert DRIVER_NAME_RE.match(driver.name)
    assert isinstance(driver.allowed_options, Mapping)
    assert all(isinstance(s, OptionSpec) for s in driver.allowed_options.values())
    for meth in (
        "initialize",
        "get_devices",
        "execute_circuit",
        "get_device_status",
        "calibrate_device",
    ):
        assert not inspect.iscoroutinefunction(getattr(driver, meth)), f"{meth} must be blocking"


def test_devices(driver: BaseDriver) -> None:
    devices = driver.get_devices()
    assert devices, "a driver offers at least one device"
    ids = [d.device_id for d in devices]
    assert len(ids) == len(set(ids))
    for d in devices:
        assert isinstance(d, DeviceInfo)
        assert d.device_id and d.name and d.backend_type
        assert isinstance(d.status, DeviceStatus)
        assert d.max_qubits >= 1
        assert all(isinstance(k, str) and isinstance(v, str) for k, v in d.capabilities.items())
        assert d.queue_depth >= 0 and d.estimated_wait_sec >= 0
        assert all(isinstance(s, OptionSpec) for s in driver.device_options(d.device_id).values())


def test_device_status(driver: BaseDriver) -> None:
    for d in driver.get_devices():
        report = driver.get_device_status(d.device_id)
        assert isinstance(report, DeviceStatusReport)
        assert report.device_id == d.device_id
        assert isinstance(report.status, DeviceStatus)
    with pytest.raises(DeviceNotFoundError):
        driver.get_device_status("no.such.device")


def test_execute_normalised_counts(driver: BaseDriver) -> None:
    # qubit 0 measured into clbit 1 of 3: shape only, no physics asserted
    circ = aqo_circuit(
        2,
        3,
        [
            {"op": "H", "q": [0]},
            {"op": "CX", "q": [0, 1]},
            {"op": "MEASURE", "q": [0, 1], "c": [1, 0]},
        ],
    )
    for d in online(driver):
        res = driver.execute_circuit(d.device_id, circ, 37, {}, seed=7)
        assert isinstance(res, ExecutionResult)
        assert sum(res.counts.values()) == 37
        assert all(len(k) == 3 and set(k) <= {"0", "1"} for k in res.counts)
        assert all(isinstance(v, int) and v > 0 for v in res.counts.values())
        assert res.execution_time_sec >= 0
        assert all(isinstance(k, str) and isinstance(v, str) for k, v in res.metadata.items())


def test_execute_without_clbits(driver: BaseDriver) -> None:
    circ = aqo_circuit(1, 0, [{"op": "H", "q": [0]}])
    for d in online(driver):
        assert driver.execute_circuit(d.device_id, circ, 5, {}).counts == {}


def test_execute_errors(driver: BaseDriver) -> None:
    small = aqo_circuit(1, 1, [{"op": "MEASURE", "q": [0], "c": [0]}])
    with pytest.raises(DeviceNotFoundError):
        driver.execute_circuit("no.such.device", small, 1, {})
    for d in online(driver):
        with pytest.raises(InvalidOptionError) as opt:
            driver.execute_circuit(d.device_id, small, 1, {"__class__": "x"})
        assert opt.value.violations[0].field == "options.__class__"
        wide = aqo_circuit(d.max_qubits + 1, 1, [{"op": "MEASURE", "q": [d.max_qubits], "c": [0]}])
        with pytest.raises(FailedPreconditionError) as too_wide:
            driver.execute_circuit(d.device_id, wide, 1, {})
        assert too_wide.value.reason == "CIRCUIT_TOO_LARGE"
        param = aqo_circuit(
            1,
            1,
            [{"op": "RX", "q": [0], "params": ["a"]}, {"op": "MEASURE", "q": [0], "c": [0]}],
            ["a"],
        )
        with pytest.raises(InvalidArgumentError) as unbound:
            driver.execute_circuit(d.device_id, param, 1, {})
        assert unbound.value.reason == "UNBOUND_PARAMETERS"


def test_calibrate(driver: BaseDriver) -> None:
    for d in driver.get_devices():
        try:
            cal = driver.calibrate_device(d.device_id)
        except UnimplementedError:
            continue
        assert isinstance(cal, CalibrationResult)
        assert cal.device_id == d.device_id
        assert all(isinstance(v, str) for v in cal.calibration.values())


def test_default_calibration_is_unimplemented() -> None:
    class Minimal(FakeDriver):
        calibrate_device = BaseDriver.calibrate_device  # type: ignore[assignment]

    drv = Minimal()
    drv.initialize({})
    with pytest.raises(UnimplementedError):
        drv.calibrate_device("fake.device")
