"""The example third-party driver passes the driver conformance kit."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from qutip_like_driver import DEVICE, NumpyDriver

from eigen_driver_manager.conformance.suite import DriverConformance


class TestNumpyDriver(DriverConformance):
    driver_class = NumpyDriver
    device_id = DEVICE
