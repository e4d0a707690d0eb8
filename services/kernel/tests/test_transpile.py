"""The kernel's part of CompileCircuit with a target: resolve the target, ask the device's driver.

The driver-manager is the shared double (:class:`FakeDriver`); the catalog, aliases and
the pool's routing are the kernel's own.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from eigen_common import errors
from eigen_common.devices import DeviceStatus
from eigen_kernel.driver_pool import DriverPool
from eigen_kernel.testing import DEVICE, FakeDriver, running_kernel

BELL = json.dumps({"version": "0.1", "qubits": 2, "clbits": 2, "operations": []}).encode()
DOWN = replace(
    DEVICE,
    device_id="qpu",
    targets=("vendor:qpu",),
    status=DeviceStatus.OFFLINE,
    status_message="maintenance window",
)


async def test_a_target_or_alias_is_transpiled_by_its_devices_driver(tmp_path: Path) -> None:
    driver = FakeDriver(devices=[DEVICE, DOWN])
    async with running_kernel(tmp_path, driver) as qrtx:
        for name in ("sim:local", "simulator", "aer"):
            isa = await qrtx.transpiler.transpile(name, BELL)
            assert isa.device_id == "aer" and isa.aqo_json == BELL
            assert isa.initial_layout == (0, 1)
        assert driver.transpiled == ["aer"] * 3


async def test_unknown_offline_and_empty_are_refused_before_any_driver_call(
    tmp_path: Path,
) -> None:
    driver = FakeDriver(devices=[DEVICE, DOWN])
    async with running_kernel(tmp_path, driver) as qrtx:
        with pytest.raises(errors.TargetNotFoundError) as unknown:
            await qrtx.transpiler.transpile("ibm:fake_nowhere", BELL)
        assert "sim:local" in unknown.value.message and "simulator" in unknown.value.message
        with pytest.raises(errors.DeviceOfflineError) as offline:
            await qrtx.transpiler.transpile("vendor:qpu", BELL)
        assert "offline: maintenance window" in offline.value.message
        with pytest.raises(errors.ValidationError) as empty:
            await qrtx.transpiler.transpile("", b"")
        assert {v.field for v in empty.value.violations} == {"target", "aqo_json"}
        assert driver.transpiled == []


async def test_the_pool_asks_a_member_offering_the_device() -> None:
    only_b = replace(DEVICE, device_id="only-b", targets=("sim:b",))
    a, b = FakeDriver(), FakeDriver(devices=[DEVICE, only_b])
    members = {"a": a, "b": b}
    pool = DriverPool(list(members), lambda address: members[address])
    await pool.list_devices(1.0)
    isa = await pool.transpile("only-b", BELL, 5.0)
    assert isa.device_id == "only-b" and a.transpiled == [] and b.transpiled == ["only-b"]
    b.down = True  # a member that cannot be reached is skipped within the call
    with pytest.raises(errors.ServiceUnavailableError):
        await pool.transpile("only-b", BELL, 5.0)
    await pool.transpile("aer", BELL, 5.0)
    assert a.transpiled == ["aer"]
