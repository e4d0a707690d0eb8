"""Noisy devices run on their active qubits only, with exactly the device noise of those qubits;
IBM fake devices are described from the SDK's snapshot files exactly as the SDK describes them."""

from __future__ import annotations

import sys
import warnings

import pytest
from qiskit import QuantumCircuit
from qiskit_aer import AerSimulator
from qiskit_aer.noise import NoiseModel

from eigen_driver_manager.ibm_fake import (
    class_name,
    facts_from_backend,
    facts_from_snapshot,
    fake_facts,
    load_backend,
    snapshot_files,
)
from eigen_driver_manager.noisy_backend import BackendModel, noise_model_for, remove_idle_qubits
from eigen_driver_manager.plugins.ibm_driver import IbmDriver
from eigen_driver_manager.testing import BELL_OPERATIONS, aqo_circuit


def ghz(n: int) -> QuantumCircuit:
    qc = QuantumCircuit(n, n)
    qc.h(0)
    for q in range(n - 1):
        qc.cx(q, q + 1)
    qc.measure(range(n), range(n))
    return qc


def test_remove_idle_qubits_keeps_the_used_and_the_asked_for() -> None:
    qc = QuantumCircuit(6, 2)
    qc.h(4)
    qc.cx(4, 1)
    qc.measure([1, 4], [0, 1])
    small, kept = remove_idle_qubits(qc, keep=[3])
    assert kept == (1, 3, 4) and small.num_qubits == 3 and small.num_clbits == 2
    assert [tuple(small.find_bit(q).index for q in i.qubits) for i in small.data] == [
        (2,),
        (2, 0),
        (0,),
        (2,),
    ]
    same, all_kept = remove_idle_qubits(ghz(2))
    assert all_kept == (0, 1) and same.num_qubits == 2


def test_restricted_noise_equals_the_whole_device_noise_on_those_qubits() -> None:
    """FakeManilaV2: the noise model of qubits (3, 4) is the full model's, renumbered."""
    from qiskit_ibm_runtime.fake_provider import FakeManilaV2

    backend = FakeManilaV2()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        full = NoiseModel.from_backend(backend).to_dict()
    sub = noise_model_for(backend.target, (3, 4)).to_dict()
    rename = {3: 0, 4: 1}

    def on(errors: list[dict[str, object]], qubits: set[int]) -> list[str]:
        out = []
        for e in errors:
            qs = [tuple(x) for x in e["gate_qubits"]]  # type: ignore[attr-defined]
            if all(set(t) <= qubits for t in qs):
                e = {k: v for k, v in e.items() if k != "id"}  # a random uuid per error
                e["gate_qubits"] = [[rename.get(q, q) for q in t] for t in qs]
                out.append(repr(sorted(e.items())))
        return sorted(out)

    assert on(sub["errors"], {0, 1}) == on(full["errors"], {3, 4})
    assert len(sub["errors"]) == len(on(full["errors"], {3, 4})) > 0


def test_a_compact_run_gives_the_same_counts_as_the_whole_device() -> None:
    """Seeded, the reduced circuit with the reduced noise reproduces the full-device run."""
    from qiskit_ibm_runtime.fake_provider import FakeManilaV2

    backend = FakeManilaV2()
    model = BackendModel(lambda: backend, seed_transpiler=3)
    compiled = model.compile(ghz(3))
    assert compiled.circuit.num_qubits == 3 and len(compiled.physical) == 3
    small = AerSimulator().run(
        compiled.circuit, shots=4000, seed_simulator=9, noise_model=compiled.noise
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        whole_sim = AerSimulator.from_backend(backend)
    from qiskit.transpiler import generate_preset_pass_manager

    pm = generate_preset_pass_manager(
        optimization_level=1, target=backend.target, seed_transpiler=3
    )
    whole = whole_sim.run(pm.run(ghz(3)), shots=4000, seed_simulator=9)
    assert small.result().get_counts() == whole.result().get_counts()


@pytest.mark.parametrize(
    "name", ["fake_brisbane", "fake_sherbrooke", "fake_kyiv", "fake_torino", "fake_london"]
)
def test_snapshot_facts_equal_the_sdks(name: str) -> None:
    files = snapshot_files(name)
    assert files is not None, f"{name}: the SDK's snapshot files moved"
    assert facts_from_snapshot(*files) == facts_from_backend(load_backend(name))


def test_older_devices_are_the_sdks_v2_classes() -> None:
    """The SDK keeps only ``FakeLondonV2`` of London (u1, u2, u3, cx): found without importing."""
    assert class_name("fake_brisbane") == "FakeBrisbane"
    assert class_name("fake_london") == "FakeLondonV2"
    assert class_name("fake_nowhere") == "FakeNowhere"
    assert type(load_backend("fake_london")).__name__ == "FakeLondonV2"


def test_unknown_fake_backend_is_a_config_error() -> None:
    with pytest.raises(ValueError, match="unknown IBM fake backend"):
        fake_facts("fake_nowhere")
    drv = IbmDriver()
    with pytest.raises(ValueError, match="fake_nowhere"):
        drv.initialize({"fake_backends": "fake_nowhere", "credentials": "none"})


def test_fake_devices_start_without_the_sdk_and_load_on_first_use() -> None:
    """Run in a fresh interpreter: initialise lists the devices without importing
    qiskit-ibm-runtime; the first run loads the backend."""
    import subprocess

    code = (
        "import sys\n"
        "from eigen_driver_manager.plugins.ibm_driver import IbmDriver\n"
        "d = IbmDriver(); d.initialize({'credentials': 'none', 'fake_backends': 'fake_kyiv'})\n"
        "(dev,) = d.get_devices()\n"
        "assert dev.calibration is not None and len(dev.calibration.qubits) == 127\n"
        "assert 'qiskit_ibm_runtime' not in sys.modules, 'imported at start-up'\n"
        "print('lazy-ok')\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )
    assert out.returncode == 0 and "lazy-ok" in out.stdout, out.stderr[-2000:]


def test_a_run_reports_the_physical_qubits_it_used() -> None:
    drv = IbmDriver()
    drv.initialize({"fake_backends": "fake_kyiv", "credentials": "none"})
    res = drv.execute_circuit("ibm.fake_kyiv", aqo_circuit(2, 2, BELL_OPERATIONS), 1000, {}, seed=4)
    physical = [int(q) for q in res.metadata["physical_qubits"].split(",")]
    assert len(physical) == 2 and all(0 <= q < 127 for q in physical)
    assert sum(res.counts.values()) == 1000 and all(len(k) == 2 for k in res.counts)
    assert res.metadata["program_cache"] == "miss"
    again = drv.execute_circuit(
        "ibm.fake_kyiv", aqo_circuit(2, 2, BELL_OPERATIONS), 1000, {}, seed=4
    )
    assert again.metadata["program_cache"] == "hit" and again.counts == res.counts
