"""The conformance checks a driver must pass (SPEC §13), as a pytest test class to subclass.

Usage, in the driver author's test file::

    from eigen_driver_manager.conformance.suite import DriverConformance

    class TestMyDriver(DriverConformance):
        driver_class = MyDriver
        config = {"region": "eu"}       # passed to initialize()
        device_id = "mine.sim"          # a synchronous, ONLINE device

Checks: the five BaseDriver methods (declaration, devices, status, calibration, execution);
counts shape and bit order (clbit 0 rightmost, unmeasured clbits 0); shots; seeds (same seed →
same counts, when ``seeded``); QASMBench small circuits against the exact distribution from
Qiskit (Hellinger fidelity ≥ ``min_fidelity``; circuits the driver refuses with
UNSUPPORTED_INSTRUCTION are skipped, with the reason); cancellation (``cancel_execution``
idempotent and never raising for unknown jobs); option validation (INVALID_ARGUMENT
``INVALID_OPTION``); the error mapping (unknown device → NOT_FOUND, too wide →
FAILED_PRECONDITION ``CIRCUIT_TOO_LARGE``, unbound parameters → INVALID_ARGUMENT); batches
(one bad item fails alone); ``transpile_circuit`` (its answer's contract, the device's basis
gates and coupling map when it declares them; skipped only when the device's ISA cannot be
written in AQO: UNIMPLEMENTED ``ISA_NOT_EXPRESSIBLE``, e.g. an IBM device whose ISA is u1, u2,
u3, cx; ECR devices are written).
"""

from __future__ import annotations

import inspect
import math
import os
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, ClassVar

import pytest
from qiskit.qasm2 import QASM2ParseError

from eigen_common.errors import (
    DeviceNotFoundError,
    EigenError,
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
    ExecutionItem,
    ExecutionResult,
    TranspiledCircuit,
)
from eigen_driver_manager.conformance import circuits
from eigen_driver_manager.isa import ISA_NOT_EXPRESSIBLE, check_transpiled

#: The QASMBench circuits of a default (``-m "not slow"``) run: entanglement, a QFT and a
#: three-qubit controlled gate. The rest of ``tests/corpus/qasmbench/small`` is marked ``slow``;
#: ``EIGEN_CONFORMANCE_QASMBENCH=default`` leaves it out entirely.
DEFAULT_QASMBENCH = ("bell_n4", "qft_n4", "fredkin_n3")


#: Shots per outcome of the exact distribution in a fidelity run (keeps the finite-sample loss
#: of Hellinger fidelity near 1/1600), up to :data:`MAX_FIDELITY_SHOTS`.
SHOTS_PER_OUTCOME = 200
MAX_FIDELITY_SHOTS = 400_000


def _qasmbench_params() -> list[Any]:
    names = list(DEFAULT_QASMBENCH)
    if os.environ.get("EIGEN_CONFORMANCE_QASMBENCH") != "default":
        names += sorted(set(circuits.qasmbench_names()) - set(DEFAULT_QASMBENCH))
    return [
        pytest.param(n, marks=() if n in DEFAULT_QASMBENCH else (pytest.mark.slow,)) for n in names
    ]


class DriverConformance:
    """Subclass with ``driver_class``, ``device_id`` and optionally the attributes below."""

    driver_class: ClassVar[type[BaseDriver]]
    #: Config handed to ``initialize``.
    config: ClassVar[Mapping[str, str]] = {}
    #: A synchronous ONLINE device of the driver to execute on.
    device_id: ClassVar[str]
    #: Same seed → same counts (simulators); False for hardware and unseedable simulators.
    seeded: ClassVar[bool] = True
    #: Lowest Hellinger fidelity against the exact distribution (noisy devices set it lower).
    min_fidelity: ClassVar[float] = 0.99
    #: Shots of the fidelity runs (at least; raised to 200 per outcome of the exact
    #: distribution, up to 400,000, so that sampling alone cannot fail a perfect simulator).
    fidelity_shots: ClassVar[int] = 20_000
    #: QASMBench small circuits checked (directory names under tests/corpus/qasmbench/small).
    qasmbench: ClassVar[tuple[str, ...] | None] = None

    @pytest.fixture(scope="class")
    @classmethod
    def driver(cls) -> Iterator[BaseDriver]:
        """The driver under test, initialised once per class."""
        drv = cls.driver_class()
        drv.initialize(dict(cls.config))
        yield drv
        drv.close()

    @pytest.fixture(scope="class")
    @classmethod
    def device(cls, driver: BaseDriver) -> DeviceInfo:
        """The device under test (must be offered and ONLINE)."""
        found = {d.device_id: d for d in driver.get_devices()}
        assert cls.device_id in found, f"{cls.device_id!r} not offered: {sorted(found)}"
        info = found[cls.device_id]
        assert info.status is DeviceStatus.ONLINE, info.status_message
        return info

    # --- the five methods ---------------------------------------------------------------

    def test_declaration(self, driver: BaseDriver) -> None:
        """Conformance: declaration."""
        assert DRIVER_NAME_RE.match(driver.name), driver.name
        for meth in ("initialize", "get_devices", "execute_circuit", "get_device_status"):
            assert not inspect.iscoroutinefunction(getattr(driver, meth)), f"{meth} must block"
        assert "calibrate_device" in dir(driver)

    def test_devices(self, driver: BaseDriver) -> None:
        """Conformance: devices."""
        devices = driver.get_devices()
        ids = [d.device_id for d in devices]
        assert ids and len(ids) == len(set(ids))
        for d in devices:
            assert d.device_id and d.name and d.backend_type and d.max_qubits >= 1
            assert all(isinstance(v, str) for v in d.capabilities.values())
            assert (d.status is DeviceStatus.ONLINE) == (not d.status_message) or d.status_message
            for t in d.targets:
                assert ":" in t, f"target {t!r} should read vendor:name"

    def test_status(self, driver: BaseDriver, device: DeviceInfo) -> None:
        """Conformance: status."""
        report = driver.get_device_status(device.device_id)
        assert isinstance(report, DeviceStatusReport)
        assert report.device_id == device.device_id and report.queue_depth >= 0
        with pytest.raises(DeviceNotFoundError):
            driver.get_device_status("no-such.device")

    def test_calibrate(self, driver: BaseDriver, device: DeviceInfo) -> None:
        """Conformance: calibrate."""
        try:
            result = driver.calibrate_device(device.device_id)
        except UnimplementedError:
            return
        assert isinstance(result, CalibrationResult) and result.device_id == device.device_id
        assert all(isinstance(v, str) for v in result.calibration.values())

    # --- counts ---------------------------------------------------------------------------

    def test_bit_order(self, driver: BaseDriver, device: DeviceInfo) -> None:
        """Conformance: bit order."""
        # X on qubit 0 only; qubit 0 → clbit 0, qubit 1 → clbit 2; clbit 1 never measured
        c = circuits.aqo(2, 3, [{"op": "X", "q": [0]}, {"op": "MEASURE", "q": [0, 1], "c": [0, 2]}])
        res = driver.execute_circuit(device.device_id, c, 200, {}, seed=1)
        top = max(res.counts, key=lambda k: res.counts[k])
        assert top == "001", f"clbit 0 must be the rightmost character: {res.counts}"
        assert all(len(k) == 3 for k in res.counts)

    def test_shots(self, driver: BaseDriver, device: DeviceInfo) -> None:
        """Conformance: shots."""
        bell = circuits.aqo(2, 2, circuits.BELL)
        for shots in (1, 37, 1000):
            res = driver.execute_circuit(device.device_id, bell, shots, {}, seed=2)
            assert isinstance(res, ExecutionResult)
            assert sum(res.counts.values()) == shots
            assert all(isinstance(v, int) and v > 0 for v in res.counts.values())
            assert res.execution_time_sec >= 0

    def test_seeds(self, driver: BaseDriver, device: DeviceInfo) -> None:
        """Conformance: seeds."""
        if not self.seeded:
            pytest.skip("driver declares itself unseeded")
        c = circuits.aqo(3, 3, [{"op": "H", "q": [q]} for q in range(3)] + [circuits.MEASURE_ALL3])
        a = driver.execute_circuit(device.device_id, c, 500, {}, seed=7).counts
        b = driver.execute_circuit(device.device_id, c, 500, {}, seed=7).counts
        other = driver.execute_circuit(device.device_id, c, 500, {}, seed=8).counts
        assert a == b and a != other

    @pytest.mark.parametrize("name", _qasmbench_params())
    def test_qasmbench_fidelity(self, driver: BaseDriver, device: DeviceInfo, name: str) -> None:
        """Conformance: qasmbench fidelity."""
        names = self.qasmbench if self.qasmbench is not None else None
        if names is not None and name not in names:
            pytest.skip(f"{name} not in this driver's QASMBench set")
        try:
            circuit, exact = circuits.qasmbench(name)
        except QASM2ParseError as exc:  # the corpus file itself (vqe_uccsd_n4), not the driver
            pytest.skip(f"{name}: the QASMBench file does not parse: {exc}")
        if circuit.qubits > device.max_qubits:
            pytest.skip(f"{name} needs {circuit.qubits} qubits")
        # a sample of N shots over K outcomes misses the exact distribution by about
        # (K-1)/(8N) in Hellinger fidelity even from a perfect simulator: scale N with K
        support = sum(1 for p in exact.values() if p > 1e-12)
        shots = max(self.fidelity_shots, min(SHOTS_PER_OUTCOME * support, MAX_FIDELITY_SHOTS))
        try:
            res = driver.execute_circuit(device.device_id, circuit, shots, {}, seed=11)
        except InvalidArgumentError as exc:
            if exc.reason == "UNSUPPORTED_INSTRUCTION":
                pytest.skip(f"the driver refuses {name}: {exc.message}")
            raise
        f = circuits.hellinger_fidelity(res.counts, exact)
        assert f >= self.min_fidelity, f"{name}: Hellinger fidelity {f:.4f}"

    # --- cancellation, options, errors, batches -------------------------------------------

    def test_cancellation(self, driver: BaseDriver, device: DeviceInfo) -> None:
        """Conformance: cancellation."""
        for _ in range(2):  # idempotent, never raises for an unknown job
            assert driver.cancel_execution(device.device_id, "conformance-unknown", "") in (
                True,
                False,
            )

    def test_option_validation(self, driver: BaseDriver, device: DeviceInfo) -> None:
        """Conformance: option validation."""
        bell = circuits.aqo(2, 2, circuits.BELL)
        with pytest.raises(InvalidOptionError) as exc:
            driver.execute_circuit(device.device_id, bell, 10, {"no_such_option": "1"})
        assert exc.value.violations and "no_such_option" in exc.value.violations[0].field

    def test_error_mapping(self, driver: BaseDriver, device: DeviceInfo) -> None:
        """Conformance: error mapping."""
        bell = circuits.aqo(2, 2, circuits.BELL)
        with pytest.raises(DeviceNotFoundError):
            driver.execute_circuit("no-such.device", bell, 10, {})
        wide = circuits.aqo(device.max_qubits + 1, 1, [{"op": "MEASURE", "q": [0], "c": [0]}])
        with pytest.raises(FailedPreconditionError) as too_wide:
            driver.execute_circuit(device.device_id, wide, 10, {})
        assert too_wide.value.reason == "CIRCUIT_TOO_LARGE"
        param = circuits.aqo(
            1, 1, [{"op": "RX", "q": [0], "params": ["a"]}, circuits.MEASURE0], ["a"]
        )
        with pytest.raises(InvalidArgumentError) as unbound:
            driver.execute_circuit(device.device_id, param, 10, {})
        assert unbound.value.reason in ("UNBOUND_PARAMETERS", "VALIDATION_FAILED")
        ok = driver.execute_circuit(
            device.device_id, param, 100, {}, parameter_values={"a": math.pi}
        )
        assert ok.counts.get("1", 0) >= 90 * self.min_fidelity

    def test_transpile(self, driver: BaseDriver, device: DeviceInfo) -> None:
        """Conformance: transpile (the circuit as the device runs it)."""
        bell = circuits.aqo(2, 2, circuits.BELL)
        try:
            out = driver.transpile_circuit(device.device_id, bell)
        except UnimplementedError as exc:
            if exc.reason != ISA_NOT_EXPRESSIBLE:
                raise
            pytest.skip(f"the device's ISA cannot be written in AQO: {exc.message}")
        assert isinstance(out, TranspiledCircuit)
        check_transpiled(driver, bell, device, out)
        gates = {o.op.lower() for o in out.circuit.operations} - {"measure", "reset", "barrier"}
        if device.basis_gates:
            basis = {g.lower() for g in device.basis_gates}
            assert gates <= basis, f"gates outside the device's basis: {sorted(gates - basis)}"
        if device.coupling_map:
            edges = set(device.coupling_map)
            for o in out.circuit.operations:
                if o.op.lower() in gates and len(o.q) == 2:
                    assert o.q in edges, f"{o.op} on {o.q}: not in the coupling map"
        with pytest.raises(DeviceNotFoundError):
            driver.transpile_circuit("no-such.device", bell)

    def test_batch(self, driver: BaseDriver, device: DeviceInfo) -> None:
        """Conformance: batch."""
        bell = circuits.aqo(2, 2, circuits.BELL)
        wide = circuits.aqo(device.max_qubits + 1, 1, [{"op": "MEASURE", "q": [0], "c": [0]}])
        items = [
            ExecutionItem("a", device.device_id, bell, 100, {}, 1),
            ExecutionItem("b", device.device_id, wide, 100),
            ExecutionItem("c", device.device_id, bell, 50),
        ]
        out = driver.execute_batch(items)
        assert len(out) == 3
        assert isinstance(out[0], ExecutionResult) and sum(out[0].counts.values()) == 100
        assert isinstance(out[1], EigenError) and out[1].reason == "CIRCUIT_TOO_LARGE"
        assert isinstance(out[2], ExecutionResult) and sum(out[2].counts.values()) == 50


def corpus_dir() -> Path:
    """Where the QASMBench small circuits are read from."""
    return circuits.CORPUS


__all__ = ["DEFAULT_QASMBENCH", "DriverConformance", "corpus_dir"]
