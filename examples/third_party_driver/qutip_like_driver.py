"""A third-party driver example: a tiny exact state-vector sampler written with NumPy only.

It shows the whole contract a driver author implements (the five BaseDriver methods, options,
errors) and is checked by the conformance kit in ``test_conformance.py`` beside it::

    python3 -m uv run --frozen pytest examples/third_party_driver

Install it into a driver-manager by dropping this file in a plugin folder
(``EIGEN_DRIVER_MANAGER_PLUGIN_DIRS='["examples/third_party_driver"]'``) or by declaring the
class under the ``eigen_os.drivers`` entry-point group of your own package.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import ClassVar

import numpy as np

from eigen_common.errors import DeviceNotFoundError
from eigen_driver_manager.base import (
    BaseDriver,
    DeviceInfo,
    DeviceStatus,
    DeviceStatusReport,
    ExecutionResult,
    bind_parameters,
    check_width,
)
from eigen_driver_manager.options import OptionSpec, boolean
from eigen_ir.aqo import Circuit
from eigen_ir.aqo_qiskit import to_qiskit

DEVICE = "numpy.statevector"


class NumpyDriver(BaseDriver):
    """Exact sampling from a Qiskit ``Statevector`` (measurements must be terminal)."""

    name: ClassVar[str] = "numpy"
    allowed_options: ClassVar[Mapping[str, OptionSpec]] = {
        "verbose": boolean("log each execution (accepted, ignored)")
    }

    def initialize(self, config: Mapping[str, str]) -> None:
        """Read ``max_qubits`` (default 12)."""
        self._info = DeviceInfo(
            device_id=DEVICE,
            name="NumPy state-vector sampler (example third-party driver)",
            backend_type="simulator",
            status=DeviceStatus.ONLINE,
            max_qubits=int(config.get("max_qubits", "12")),
            targets=("numpy:statevector",),
            capabilities={"seedable": "true"},
        )

    def get_devices(self) -> list[DeviceInfo]:
        """One device."""
        return [self._info]

    def get_device_status(self, device_id: str) -> DeviceStatusReport:
        """ONLINE (raises DeviceNotFoundError for another id)."""
        self._check(device_id)
        return DeviceStatusReport(device_id, DeviceStatus.ONLINE, message="in-process NumPy")

    def execute_circuit(
        self,
        device_id: str,
        circuit: Circuit,
        shots: int,
        options: Mapping[str, str],
        *,
        seed: int | None = None,
        parameter_values: Mapping[str, float] | None = None,
    ) -> ExecutionResult:
        """Sample ``shots`` outcomes of the final state; clbit 0 is the rightmost character."""
        from qiskit.quantum_info import Statevector

        self._check(device_id)
        self.parse_options(device_id, options)
        check_width(circuit, self._info)
        bound = bind_parameters(circuit, parameter_values)
        t0 = time.perf_counter()
        qc = to_qiskit(bound)
        measured = {}
        for inst in qc.data:
            if inst.operation.name == "measure":
                measured[qc.find_bit(inst.qubits[0]).index] = qc.find_bit(inst.clbits[0]).index
        qc.remove_final_measurements(inplace=True)
        if not bound.clbits:
            return ExecutionResult({}, 0.0, {"device_id": device_id})
        probs = Statevector(qc).probabilities()
        rng = np.random.default_rng(seed)
        outcomes = rng.choice(len(probs), size=shots, p=probs / probs.sum())
        counts: dict[str, int] = {}
        for index, n in zip(*np.unique(outcomes, return_counts=True), strict=True):
            bits = ["0"] * bound.clbits
            for q, c in measured.items():
                bits[bound.clbits - 1 - c] = "1" if (int(index) >> q) & 1 else "0"
            key = "".join(bits)
            counts[key] = counts.get(key, 0) + int(n)
        meta = {"device_id": device_id, "seed": str(seed)}
        return ExecutionResult(counts, time.perf_counter() - t0, meta)

    def _check(self, device_id: str) -> None:
        if device_id != DEVICE:
            raise DeviceNotFoundError(f"no numpy device {device_id!r}")
