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
    # shallow enough for the device's noise to keep 0.8 (measured: adder_n10 0.37, hhl_n7
    # 0.15, basis_trotter_n4 0.61, ising_n10 0.76, error_correctiond3_n5 0.78 on fake_kyiv:
    # deep circuits decohere)
    qasmbench = (
        "bell_n4",
        "deutsch_n2",
        "qft_n4",
        "fredkin_n3",
        "grover_n2",
        "wstate_n3",
        "cat_state_n4",
        "basis_change_n3",
        "teleportation_n3",
        "simon_n6",
        "vqe_n4",
        "adder_n4",
        "qpe_n9",
    )
