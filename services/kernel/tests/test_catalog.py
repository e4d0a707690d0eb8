"""The persisted device list (a restarted kernel knows its devices before the driver answers)."""

from __future__ import annotations

import json

from google.protobuf import json_format

from eigen_common.device_proto import device_to_proto
from eigen_common.devices import (
    Calibration,
    Device,
    DeviceStatus,
    GateCalibration,
    QubitCalibration,
)
from eigen_kernel.catalog import _dump, _load

CALIBRATED = Device(
    "ibm.fake_x",
    "fake_x",
    "ibmq",
    DeviceStatus.ONLINE,
    3,
    ("ibm:fake_x",),
    driver="ibm",
    basis_gates=("ecr", "rz", "sx", "x"),
    coupling_map=((0, 1), (1, 2)),
    calibration=Calibration(
        calibrated_at=1.7e9,
        qubits=(QubitCalibration(0, 120.5, 80.25, 0.013, 4.9), QubitCalibration(1)),
        gates=(GateCalibration("ecr", (0, 1), 0.007, 660.0),),
    ),
)
PLAIN = Device("aer", "aer", "simulator", DeviceStatus.OFFLINE, 5, ("sim:local",), driver="aer")


def test_saved_list_round_trips_calibrated_devices():
    assert _load(_dump([CALIBRATED, PLAIN])) == [CALIBRATED, PLAIN]
    assert _load(_dump([])) == []


def test_a_list_saved_by_an_older_kernel_still_loads():
    old = json.dumps([json_format.MessageToDict(device_to_proto(d)) for d in (CALIBRATED, PLAIN)])
    assert _load(old) == [CALIBRATED, PLAIN]
