from __future__ import annotations

import math
from typing import Any

import pytest
from qiskit.quantum_info import Statevector

from eigen_common.errors import (
    BackendUnavailableError,
    DeviceNotFoundError,
    FailedPreconditionError,
    InvalidArgumentError,
    InvalidOptionError,
    UnimplementedError,
    ValidationError,
)
from eigen_driver_manager import aer_engine
from eigen_driver_manager.base import DeviceStatus
from eigen_driver_manager.plugins.aer_driver import AerDriver
from eigen_driver_manager.testing import BELL_OPERATIONS, aqo_circuit
from eigen_ir.aqo import GATES
from eigen_ir.aqo_qiskit import to_qiskit

IDEAL = ["aer.automatic", "aer.statevector", "aer.matrix_product_state", "aer.density_matrix"]
NOISY = "aer.noisy_generic_5q"
ALL = [*IDEAL, NOISY]

BELL = aqo_circuit(2, 2, BELL_OPERATIONS)


def test_device_catalogue(aer_driver: AerDriver) -> None:
    devices = {d.device_id: d for d in aer_driver.get_devices()}
    assert sorted(devices) == sorted(ALL)
    assert devices["aer.automatic"].targets == ("sim:local", "sim:aer")
    assert all(d.status is DeviceStatus.ONLINE for d in devices.values())
    # honest widths: MPS > statevector > density matrix; noisy = backend width
    sv, mps, dm = (
        devices[f"aer.{m}"].max_qubits
        for m in ("statevector", "matrix_product_state", "density_matrix")
    )
    assert mps > sv > dm >= 10
    assert 20 <= sv <= 40
    assert devices[NOISY].max_qubits == 5
    assert devices[NOISY].capabilities["noise"] == "generic_backend_v2"
    assert set(devices["aer.statevector"].capabilities["basis_gates"].split(",")) == set(GATES)


@pytest.mark.parametrize("device", ALL)
def test_bell_counts(aer_driver: AerDriver, device: str) -> None:
    res = aer_driver.execute_circuit(device, BELL, 2000, {}, seed=11)
    assert sum(res.counts.values()) == 2000
    assert all(len(k) == 2 for k in res.counts)
    if device == NOISY:
        assert res.counts["00"] + res.counts["11"] > 1800
    else:
        assert set(res.counts) == {"00", "11"}
        assert 800 < res.counts["00"] < 1200
    assert res.metadata["device_id"] == device
    assert res.metadata["seed"] == "11"
    assert res.metadata["method"]
    assert res.execution_time_sec > 0


@pytest.mark.parametrize("device", ALL)
def test_same_seed_same_counts(aer_driver: AerDriver, device: str) -> None:
    a = aer_driver.execute_circuit(device, BELL, 1000, {}, seed=42)
    b = aer_driver.execute_circuit(device, BELL, 1000, {}, seed=42)
    c = aer_driver.execute_circuit(device, BELL, 1000, {}, seed=43)
    d = aer_driver.execute_circuit(device, BELL, 1000, {}, seed=44)
    assert a.counts == b.counts
    # different seeds: two accidental ties in a row are vanishingly unlikely
    assert not (a.counts == c.counts == d.counts)


def test_unseeded_runs_report_the_seed_used(aer_driver: AerDriver) -> None:
    res = aer_driver.execute_circuit("aer.statevector", BELL, 500, {})
    again = aer_driver.execute_circuit(
        "aer.statevector", BELL, 500, {}, seed=int(res.metadata["seed"])
    )
    assert again.counts == res.counts


@pytest.mark.parametrize("device", ALL)
def test_bit_order_clbit0_rightmost(aer_driver: AerDriver, device: str) -> None:
    ops = [{"op": "X", "q": [0]}, {"op": "MEASURE", "q": [0, 1], "c": [0, 1]}]
    res = aer_driver.execute_circuit(device, aqo_circuit(2, 2, ops), 300, {}, seed=1)
    assert max(res.counts, key=lambda k: res.counts[k]) == "01"
    if device != NOISY:
        assert res.counts == {"01": 300}


@pytest.mark.parametrize("device", ALL)
def test_width_is_clbits_and_measure_targets_respected(aer_driver: AerDriver, device: str) -> None:
    # qubit 0 (|1>) measured into clbit 2 of 3; clbits 0 and 1 never written
    ops = [{"op": "X", "q": [0]}, {"op": "MEASURE", "q": [0], "c": [2]}]
    res = aer_driver.execute_circuit(device, aqo_circuit(2, 3, ops), 200, {}, seed=3)
    assert all(len(k) == 3 for k in res.counts)
    assert max(res.counts, key=lambda k: res.counts[k]) == "100"


def test_clbits_without_measurement_are_zero(aer_driver: AerDriver) -> None:
    res = aer_driver.execute_circuit(
        "aer.statevector", aqo_circuit(1, 2, [{"op": "H", "q": [0]}]), 50, {}
    )
    assert res.counts == {"00": 50}


@pytest.mark.parametrize("device", ALL)
@pytest.mark.parametrize(("value", "expected"), [(1, "11"), (0, "01")])
def test_conditional_op(aer_driver: AerDriver, device: str, value: int, expected: str) -> None:
    ops = [
        {"op": "X", "q": [0]},
        {"op": "MEASURE", "q": [0], "c": [0]},
        {"op": "X", "q": [1], "cond": {"c": [0], "value": value}},
        {"op": "MEASURE", "q": [1], "c": [1]},
    ]
    res = aer_driver.execute_circuit(device, aqo_circuit(2, 2, ops), 400, {}, seed=5)
    assert max(res.counts, key=lambda k: res.counts[k]) == expected
    if device != NOISY:
        assert res.counts == {expected: 400}


@pytest.mark.parametrize("device", IDEAL)
def test_multi_bit_condition_and_lowered_conditional_gate(
    aer_driver: AerDriver, device: str
) -> None:
    # c = 0b10 (c1=1, c0=0); a CH conditioned on c==2 must fire (CH is lowered on every method)
    ops = [
        {"op": "X", "q": [1]},
        {"op": "MEASURE", "q": [0, 1], "c": [0, 1]},
        {"op": "X", "q": [2], "cond": {"c": [0, 1], "value": 2}},
        {"op": "CH", "q": [2, 3], "cond": {"c": [0, 1], "value": 2}},
        {"op": "H", "q": [3]},
        {"op": "MEASURE", "q": [2, 3], "c": [2, 3]},
    ]
    res = aer_driver.execute_circuit(device, aqo_circuit(4, 4, ops), 300, {}, seed=9)
    # q2 flipped by the condition; CH then H on q3 gives |0>: bits c3 c2 c1 c0 = 0 1 1 0
    assert res.counts == {"0110": 300}


DETERMINISTIC_GATE_CASES: list[tuple[str, list[dict[str, Any]], str]] = [
    ("CH", [{"op": "X", "q": [0]}, {"op": "CH", "q": [0, 1]}, {"op": "H", "q": [1]}], "01"),
    ("CRX", [{"op": "X", "q": [0]}, {"op": "CRX", "q": [0, 1], "params": [math.pi]}], "11"),
    ("CRY", [{"op": "X", "q": [0]}, {"op": "CRY", "q": [0, 1], "params": [math.pi]}], "11"),
    (
        "CRZ",
        [
            {"op": "X", "q": [0]},
            {"op": "H", "q": [1]},
            {"op": "CRZ", "q": [0, 1], "params": [math.pi]},
            {"op": "H", "q": [1]},
        ],
        "11",
    ),
    ("CRX-off", [{"op": "CRX", "q": [0, 1], "params": [math.pi]}], "00"),
    # ECR|00⟩ = |1⟩ on the control ⊗ (|0⟩ - i|1⟩)/√2 on the target, which RX(-π/2) maps to |0⟩
    ("ECR", [{"op": "ECR", "q": [0, 1]}, {"op": "RX", "q": [1], "params": [-math.pi / 2]}], "01"),
    (
        "ECR-reversed",
        [{"op": "ECR", "q": [1, 0]}, {"op": "RX", "q": [0], "params": [-math.pi / 2]}],
        "10",
    ),
]


@pytest.mark.parametrize("device", IDEAL)
@pytest.mark.parametrize(("label", "ops", "expected"), DETERMINISTIC_GATE_CASES)
def test_controlled_gates_on_every_method(
    aer_driver: AerDriver, device: str, label: str, ops: list[dict[str, Any]], expected: str
) -> None:
    full = [*ops, {"op": "MEASURE", "q": [0, 1], "c": [0, 1]}]
    res = aer_driver.execute_circuit(device, aqo_circuit(2, 2, full), 100, {}, seed=2)
    assert res.counts == {expected: 100}, label


@pytest.mark.parametrize("device", IDEAL)
def test_cswap_on_every_method(aer_driver: AerDriver, device: str) -> None:
    ops = [
        {"op": "X", "q": [0]},
        {"op": "X", "q": [1]},
        {"op": "CSWAP", "q": [0, 1, 2]},
        {"op": "MEASURE", "q": [0, 1, 2], "c": [0, 1, 2]},
    ]
    res = aer_driver.execute_circuit(device, aqo_circuit(3, 3, ops), 100, {}, seed=2)
    assert res.counts == {"101": 100}


def _all_gates_circuit() -> tuple[list[dict[str, Any]], int]:
    ops: list[dict[str, Any]] = [{"op": "H", "q": [q]} for q in range(3)]
    for k, (name, spec) in enumerate(sorted(GATES.items())):
        if name in ("MEASURE", "RESET", "BARRIER"):
            continue
        qs = [(k + i) % 3 for i in range(spec.num_qubits)]
        ops.append(
            {
                "op": name,
                "q": qs,
                "params": [0.3 + 0.17 * j + 0.05 * k for j in range(spec.num_params)],
            }
        )
    ops.append({"op": "BARRIER", "q": [0, 1, 2]})
    return ops, 3


@pytest.mark.parametrize("device", IDEAL)
def test_every_aqo_gate_matches_exact_distribution(aer_driver: AerDriver, device: str) -> None:
    ops, n = _all_gates_circuit()
    exact = Statevector.from_instruction(to_qiskit(aqo_circuit(n, 0, ops))).probabilities_dict()
    shots = 20000
    measured = [*ops, {"op": "MEASURE", "q": [0, 1, 2], "c": [0, 1, 2]}]
    res = aer_driver.execute_circuit(device, aqo_circuit(n, n, measured), shots, {}, seed=17)
    keys = set(exact) | set(res.counts)
    tvd = 0.5 * sum(abs(exact.get(k, 0.0) - res.counts.get(k, 0) / shots) for k in keys)
    assert tvd < 0.03


def test_noisy_device_shows_errors_on_deep_circuit(aer_driver: AerDriver) -> None:
    ops: list[dict[str, Any]] = []
    for _ in range(40):
        ops += [{"op": "CX", "q": [0, 1]}, {"op": "CX", "q": [1, 2]}]
    ops.append({"op": "MEASURE", "q": [0, 1, 2], "c": [0, 1, 2]})
    deep = aqo_circuit(3, 3, ops)
    ideal = aer_driver.execute_circuit("aer.statevector", deep, 2000, {}, seed=1)
    noisy = aer_driver.execute_circuit(NOISY, deep, 2000, {}, seed=1)
    assert ideal.counts == {"000": 2000}
    errors = 2000 - noisy.counts.get("000", 0)
    assert 0 < errors < 1000
    assert sum(noisy.counts.values()) == 2000
    assert float(noisy.metadata["transpile_time_sec"]) >= 0


def test_mps_runs_wider_than_statevector(aer_driver: AerDriver) -> None:
    n = 40
    ops: list[dict[str, Any]] = [{"op": "H", "q": [0]}]
    ops += [{"op": "CX", "q": [i, i + 1]} for i in range(n - 1)]
    ops.append({"op": "MEASURE", "q": list(range(n)), "c": list(range(n))})
    ghz = aqo_circuit(n, n, ops)
    res = aer_driver.execute_circuit("aer.matrix_product_state", ghz, 200, {}, seed=4)
    assert set(res.counts) <= {"0" * n, "1" * n}
    with pytest.raises(FailedPreconditionError) as exc:
        aer_driver.execute_circuit("aer.statevector", ghz, 200, {}, seed=4)
    assert exc.value.reason == "CIRCUIT_TOO_LARGE"


def test_too_wide_for_noisy_device(aer_driver: AerDriver) -> None:
    wide = aqo_circuit(6, 1, [{"op": "MEASURE", "q": [5], "c": [0]}])
    with pytest.raises(FailedPreconditionError) as exc:
        aer_driver.execute_circuit(NOISY, wide, 10, {})
    assert exc.value.reason == "CIRCUIT_TOO_LARGE"
    assert "at most 5" in exc.value.message


def test_zero_clbits_gives_empty_counts(aer_driver: AerDriver) -> None:
    res = aer_driver.execute_circuit(
        "aer.automatic", aqo_circuit(2, 0, BELL_OPERATIONS[:2]), 100, {}
    )
    assert res.counts == {}
    assert "no classical bits" in res.metadata["note"]


def test_parameters_bound_by_value(aer_driver: AerDriver) -> None:
    ops = [{"op": "RY", "q": [0], "params": ["theta"]}, {"op": "MEASURE", "q": [0], "c": [0]}]
    circ = aqo_circuit(1, 1, ops, ["theta"])
    res = aer_driver.execute_circuit(
        "aer.statevector", circ, 100, {}, seed=1, parameter_values={"theta": math.pi, "unused": 1.0}
    )
    assert res.counts == {"1": 100}
    with pytest.raises(InvalidArgumentError) as exc:
        aer_driver.execute_circuit("aer.statevector", circ, 100, {})
    assert exc.value.reason == "UNBOUND_PARAMETERS"
    assert "theta" in exc.value.message
    with pytest.raises(ValidationError) as verr:
        aer_driver.execute_circuit(
            "aer.statevector", circ, 100, {}, parameter_values={"theta": math.nan}
        )
    assert verr.value.violations[0].field == "parameter_values.theta"


@pytest.mark.parametrize(
    "options",
    [
        {"precision": "single"},
        {"max_parallel_threads": "1", "fusion_enable": "false"},
        {"precision": "double", "fusion_enable": "true", "max_parallel_threads": "0"},
    ],
)
def test_allowed_options_accepted(aer_driver: AerDriver, options: dict[str, str]) -> None:
    res = aer_driver.execute_circuit("aer.statevector", BELL, 100, options, seed=1)
    assert set(res.counts) == {"00", "11"}


def test_mps_options_only_on_mps(aer_driver: AerDriver) -> None:
    opts = {"mps_truncation_threshold": "1e-10", "mps_max_bond_dimension": "16"}
    res = aer_driver.execute_circuit("aer.matrix_product_state", BELL, 100, opts, seed=1)
    assert set(res.counts) == {"00", "11"}
    with pytest.raises(InvalidOptionError) as exc:
        aer_driver.execute_circuit("aer.statevector", BELL, 100, opts)
    assert {v.field for v in exc.value.violations} == {
        "options.mps_truncation_threshold",
        "options.mps_max_bond_dimension",
    }


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"shots_override": "5"}, "options.shots_override"),
        ({"precision": "quad"}, "options.precision"),
        ({"max_parallel_threads": "-1"}, "options.max_parallel_threads"),
        ({"max_parallel_threads": "two"}, "options.max_parallel_threads"),
        ({"fusion_enable": "maybe"}, "options.fusion_enable"),
        ({"method": "stabilizer"}, "options.method"),
    ],
)
def test_bad_options_rejected(aer_driver: AerDriver, options: dict[str, str], field: str) -> None:
    with pytest.raises(InvalidOptionError) as exc:
        aer_driver.execute_circuit("aer.automatic", BELL, 10, options)
    assert [v.field for v in exc.value.violations] == [field]
    assert "precision" in exc.value.message and "fusion_enable" in exc.value.message


def test_unknown_device(aer_driver: AerDriver) -> None:
    with pytest.raises(DeviceNotFoundError):
        aer_driver.execute_circuit("aer.quantum_magic", BELL, 10, {})
    with pytest.raises(DeviceNotFoundError):
        aer_driver.get_device_status("nope")


def test_calibration(aer_driver: AerDriver) -> None:
    cal = aer_driver.calibrate_device(NOISY)
    assert cal.device_id == NOISY
    assert float(cal.calibration["t1_us"]) > 0
    assert 0 < float(cal.calibration["cx_error"]) < 0.1
    with pytest.raises(UnimplementedError):
        aer_driver.calibrate_device("aer.statevector")


def test_initialize_config() -> None:
    drv = AerDriver()
    drv.initialize({"devices": "aer.statevector"})
    assert [d.device_id for d in drv.get_devices()] == ["aer.statevector"]
    for bad in (
        {"colour": "blue"},
        {"devices": "aer.nope"},
        {"noisy_qubits": "1"},
        {"noisy_seed": "x"},
    ):
        with pytest.raises(ValueError):
            AerDriver().initialize(bad)


@pytest.mark.parametrize(
    ("message", "cls", "reason"),
    [
        (
            "ERROR: Insufficient memory to run circuit",
            FailedPreconditionError,
            "CIRCUIT_TOO_LARGE",
        ),
        (
            "Circuit contains invalid instructions {gates: {crx}}",
            InvalidArgumentError,
            "UNSUPPORTED_INSTRUCTION",
        ),
        ("unknown instruction: ch", InvalidArgumentError, "UNSUPPORTED_INSTRUCTION"),
        (
            "simulation terminated without returning valid output",
            BackendUnavailableError,
            "BACKEND_UNAVAILABLE",
        ),
    ],
)
def test_aer_failure_mapping(message: str, cls: type, reason: str) -> None:
    err = aer_engine.aer_failure(message)
    assert type(err) is cls
    assert err.reason == reason


def test_aer_failed_result_is_mapped(
    aer_driver: AerDriver, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A simulator that dies mid-run surfaces as UNAVAILABLE (retryable), not INTERNAL."""
    dev = aer_driver._devices["aer.statevector"]

    def broken_run(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("cannot schedule new futures after shutdown")

    monkeypatch.setattr(dev.simulator, "run", broken_run)
    with pytest.raises(BackendUnavailableError):
        aer_driver.execute_circuit("aer.statevector", BELL, 10, {})
