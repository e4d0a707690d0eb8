"""Every built-in driver passes the driver conformance kit (SPEC §13)."""

from __future__ import annotations

from typing import ClassVar

from eigen_driver_manager.conformance.suite import DriverConformance
from eigen_driver_manager.plugins.aer_driver import AerDriver
from eigen_driver_manager.plugins.braket_driver import BraketDriver
from eigen_driver_manager.plugins.ibm_driver import IbmDriver


class TestAerConformance(DriverConformance):
    driver_class = AerDriver
    config: ClassVar[dict[str, str]] = {"devices": "aer.automatic"}
    device_id = "aer.automatic"


class TestBraketLocalConformance(DriverConformance):
    driver_class = BraketDriver
    device_id = "braket.local"
    seeded = False  # Braket's local simulators take no seed


class TestBraketLocalDmConformance(DriverConformance):
    driver_class = BraketDriver
    config: ClassVar[dict[str, str]] = {"devices": "braket.local_dm", "max_qubits": "8"}
    device_id = "braket.local_dm"
    seeded = False
    qasmbench = ("bell_n4", "deutsch_n2", "qft_n4")


class TestIbmFakeConformance(DriverConformance):
    driver_class = IbmDriver
    config: ClassVar[dict[str, str]] = {"fake_backends": "fake_kyiv", "credentials": "none"}
    device_id = "ibm.fake_kyiv"
    min_fidelity = 0.8  # a noisy device: its own calibration lowers the fidelity
    fidelity_shots = 4000
