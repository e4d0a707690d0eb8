"""Qiskit Aer driver: the golden reference (SPEC §8, seed RFC 0006 "SimulatorDriver").

Devices (one ``AerSimulator`` each, created once in :meth:`AerDriver.initialize` and reused):

- ``aer.automatic``: ``AerSimulator(method="automatic")``; targets ``sim:local``, ``sim:aer``;
- ``aer.statevector``: ``method="statevector"``; target ``sim:statevector``;
- ``aer.matrix_product_state``: ``method="matrix_product_state"``; target ``sim:mps``;
- ``aer.density_matrix``: ``method="density_matrix"``; target ``sim:density_matrix``;
- ``aer.noisy_generic_5q``: ``AerSimulator.from_backend(GenericBackendV2(5, seed))``, Qiskit's
  offline generic backend with randomised calibration data; target ``sim:noisy``.

``max_qubits`` is what Aer itself derives for the method from this machine's memory (statevector
and automatic ~30 on 24 GB, density matrix ~15) and 63 for MPS (its structural limit; memory
then depends on entanglement).

Ideal devices run the AQO circuit as is: AQO gates are Aer instructions except ``ch`` (none of
the methods), ``crx``/``cry``/``crz`` (MPS, density matrix) and ``cswap`` (density matrix), which
:func:`eigen_driver_manager.lowering.lower` rewrites exactly in microseconds — no transpiler on
the hot path. The noisy device is transpiled to its backend by a pass manager built once (seeded,
so the same seed gives the same counts) and run on its active qubits with their noise
(:mod:`eigen_driver_manager.noisy_backend`); counts stay keyed by the circuit's own clbits.

Execution (single, batch, sweep, saved state) and expectation values run in
:class:`eigen_driver_manager.aer_backed.AerBackedDriver`. Expectation values: with ``shots``
unset they are exact, from Aer's ``save_expectation_value`` of the observable as a
``SparsePauliOp`` on all qubits — statevector for ``automatic``/``statevector``, the MPS itself for
``matrix_product_state``, the density matrix for ``density_matrix`` and for the noisy device
(which runs ``method="density_matrix"`` then, so the value is the exact noisy expectation, no
trajectory sampling). With ``shots`` set they are sampled: one Aer run covers every measurement
group × binding. The device-ready parametrised Qiskit circuit (lowered, or transpiled for the
noisy device) is kept in a bounded LRU keyed by device, AQO sha256 and measurement basis, and the
bindings go to Aer as ``parameter_binds``: a hybrid loop that sends the same circuit with new
values never lowers or transpiles again.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from typing import ClassVar

import qiskit_aer
from qiskit.providers.fake_provider import GenericBackendV2
from qiskit_aer import AerSimulator

from eigen_driver_manager.aer_backed import AerBackedDriver
from eigen_driver_manager.aer_engine import (
    AER_NAME,
    AerDevice,
    calibration_from_target,
    calibration_summary,
    supported_saves,
)
from eigen_driver_manager.base import DeviceInfo, DeviceStatus
from eigen_driver_manager.noisy_backend import BackendModel
from eigen_driver_manager.options import OptionSpec, boolean, choice, integer, number
from eigen_ir.aqo import GATES

#: Options every Aer device accepts, with the Aer run option each one sets.
COMMON_OPTIONS: dict[str, OptionSpec] = {
    "precision": choice("floating-point precision of the simulation", "single", "double"),
    "max_parallel_threads": integer("CPU threads for one execution (0 = all cores)", 0, 4096),
    "fusion_enable": boolean("gate fusion optimisation"),
}
_MPS_OPTIONS: dict[str, OptionSpec] = {
    "mps_truncation_threshold": number(
        "discard Schmidt coefficients below this value (MPS only)", 0.0, 1.0
    ),
    "mps_max_bond_dimension": integer("cap on the MPS bond dimension (MPS only)", 1, 1 << 20),
}
#: Allowlisted option → the Aer run option it sets.
AER_RUN_OPTION = {
    "precision": "precision",
    "max_parallel_threads": "max_parallel_threads",
    "fusion_enable": "fusion_enable",
    "mps_truncation_threshold": "matrix_product_state_truncation_threshold",
    "mps_max_bond_dimension": "matrix_product_state_max_bond_dimension",
}

_IDEAL_METHODS: dict[str, tuple[str, ...]] = {
    "automatic": ("sim:local", "sim:aer"),
    "statevector": ("sim:statevector",),
    "matrix_product_state": ("sim:mps",),
    "density_matrix": ("sim:density_matrix",),
}
_CONFIG_KEYS = frozenset({"devices", "noisy_qubits", "noisy_seed"})


class AerDriver(AerBackedDriver):
    """Qiskit Aer simulators as Eigen OS devices (ideal methods plus one noisy device).

    Config keys (all optional): ``devices`` (comma-separated subset of device ids to offer),
    ``noisy_qubits`` (width of the noisy generic backend, 2..20, default 5), ``noisy_seed``
    (seed of its random calibration data and of its transpiler, default 1234).
    """

    name: ClassVar[str] = "aer"
    allowed_options: ClassVar[Mapping[str, OptionSpec]] = COMMON_OPTIONS
    run_option_names: ClassVar[Mapping[str, str]] = AER_RUN_OPTION

    def initialize(self, config: Mapping[str, str]) -> None:
        """Create one simulator per device.

        Raises:
            ValueError: unknown config key or bad value.
        """
        unknown = sorted(set(config) - _CONFIG_KEYS)
        if unknown:
            raise ValueError(f"unknown aer config key(s) {unknown}; allowed {sorted(_CONFIG_KEYS)}")
        noisy_qubits = _int_config(config, "noisy_qubits", 5, 2, 20)
        noisy_seed = _int_config(config, "noisy_seed", 1234, 0, 2**31 - 1)
        noisy_id = f"aer.noisy_generic_{noisy_qubits}q"
        known = [f"aer.{m}" for m in _IDEAL_METHODS] + [noisy_id]
        wanted = [d.strip() for d in config.get("devices", "").split(",") if d.strip()] or known
        bad = sorted(set(wanted) - set(known))
        if bad:
            raise ValueError(f"unknown aer device(s) {bad}; available {known}")
        devices: dict[str, AerDevice] = {}
        for method, targets in _IDEAL_METHODS.items():
            if f"aer.{method}" in wanted:
                dev = _ideal_device(method, targets)
                devices[dev.info.device_id] = dev
        if noisy_id in wanted:
            dev = _noisy_device(noisy_id, noisy_qubits, noisy_seed)
            devices[noisy_id] = dev
            # building the pass manager takes seconds the first time (Qiskit imports its
            # transpiler plugins): do it beside startup; the first noisy run waits if needed
            threading.Thread(target=dev.warm_up, name="aer-noisy-warm-up", daemon=True).start()
        self._devices = devices


def _int_config(config: Mapping[str, str], key: str, default: int, lo: int, hi: int) -> int:
    raw = config.get(key)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ValueError(f"aer config {key} must be an integer, got {raw!r}") from None
    if not lo <= value <= hi:
        raise ValueError(f"aer config {key} must be in {lo}..{hi}, got {value}")
    return value


def _ideal_device(method: str, targets: tuple[str, ...]) -> AerDevice:
    sim = AerSimulator(method=method)
    instructions = set(sim.target.operation_names)
    native = frozenset(op for op, name in AER_NAME.items() if name in instructions)
    options = dict(COMMON_OPTIONS)
    if method == "matrix_product_state":
        options.update(_MPS_OPTIONS)
    info = DeviceInfo(
        device_id=f"aer.{method}",
        name=f"Qiskit Aer ({method})",
        backend_type="simulator",
        status=DeviceStatus.ONLINE,
        max_qubits=int(sim.num_qubits),
        targets=targets,
        capabilities={
            "method": method,
            "basis_gates": ",".join(sorted(GATES)),
            "native_gates": ",".join(sorted(native)),
            "noise": "ideal",
            "conditional": "true",
            "seedable": "true",
            "save_state": ",".join(sorted(supported_saves(method) & _STATE_KINDS)),
            "simulator": f"qiskit-aer {qiskit_aer.__version__}",
        },
    )
    return AerDevice(info, sim, options, native=native, save_kinds=supported_saves(method))


_STATE_KINDS = frozenset({"statevector", "density_matrix", "matrix_product_state"})


def _noisy_device(device_id: str, num_qubits: int, seed: int) -> AerDevice:
    backend = GenericBackendV2(num_qubits=num_qubits, seed=seed, control_flow=True)
    target = backend.target
    details = calibration_from_target(target, time.time())
    coupling = tuple(sorted(tuple(e) for e in target.build_coupling_map().get_edges()))
    basis = tuple(sorted(n for n in target.operation_names if n not in ("measure", "delay")))
    info = DeviceInfo(
        device_id=device_id,
        name=f"Qiskit Aer with the noise of a generic {num_qubits}-qubit backend",
        backend_type="simulator",
        status=DeviceStatus.ONLINE,
        max_qubits=num_qubits,
        targets=("sim:noisy",),
        capabilities={
            "method": "automatic",
            "basis_gates": ",".join(sorted(GATES)),
            "native_gates": ",".join(sorted(n for n in target.operation_names)),
            "noise": "generic_backend_v2",
            "noise_seed": str(seed),
            "coupling_map": ",".join(
                f"{a}-{b}" for a, b in sorted({tuple(sorted(e)) for e in coupling})
            ),
            "conditional": "true",
            "seedable": "true",
            "save_state": ",".join(sorted(supported_saves("automatic") & _STATE_KINDS)),
            "simulator": f"qiskit-aer {qiskit_aer.__version__}",
        },
        basis_gates=basis,
        coupling_map=coupling,
        calibration=details,
    )
    summary = calibration_summary(details)
    summary.update(
        noise_seed=str(seed), source="GenericBackendV2 (offline, randomised calibration data)"
    )
    return AerDevice(
        info,
        AerSimulator(),  # the noise comes per run, for the qubits the circuit uses
        dict(COMMON_OPTIONS),
        model=BackendModel(lambda: backend, seed),
        calibration=summary,
        details=details,
        save_kinds=supported_saves("automatic"),
    )
