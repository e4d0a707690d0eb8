"""The IBM driver's offline devices ``ibm.fake_<name>`` (SPEC §13).

Each is one of qiskit-ibm-runtime's fake backends (``qiskit_ibm_runtime.fake_provider``): a
real device's configuration and calibration snapshot, simulated on Qiskit Aer with that
device's noise (:class:`~eigen_driver_manager.noisy_backend.BackendModel`).

Start-up is kept fast: importing qiskit-ibm-runtime takes 4-7 s and a 127-qubit backend more,
yet ``ListDevices`` must show the calibration at once. :func:`fake_device` therefore reads the
device facts (qubits, basis gates, coupling map, per-qubit T1/T2/readout error/frequency,
per-gate error and duration, ``calibrated_at``) straight from the snapshot files the SDK ships
(``fake_provider/backends/<name>/conf_<name>.json`` and ``props_<name>.json``, located without
importing the package), with the SDK's own rules: SI prefixes applied as its
``BackendProperties`` does, faulty qubits and gates left out as its ``convert_to_target`` does.
:func:`facts_from_backend` gives the same facts from the SDK's ``Target`` (used when the files
are not where expected, and by the tests to prove both agree). The backend itself is loaded
on first use, or in the background when asked (``preload``).
"""

from __future__ import annotations

import importlib.util
import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import qiskit_aer
from qiskit.circuit.library.standard_gates import get_standard_gate_name_mapping
from qiskit.providers import BackendV2
from qiskit.utils.units import apply_prefix
from qiskit_aer import AerSimulator

from eigen_common.devices import Calibration, GateCalibration, QubitCalibration
from eigen_driver_manager.aer_engine import (
    AerDevice,
    calibration_from_target,
    calibration_summary,
    supported_saves,
)
from eigen_driver_manager.base import DeviceInfo, DeviceStatus
from eigen_driver_manager.noisy_backend import BackendModel
from eigen_driver_manager.plugins.aer_driver import COMMON_OPTIONS
from eigen_ir.aqo import GATES

#: Target operations that are not gates (left out of ``basis_gates``).
NOT_GATES = frozenset(
    {"measure", "delay", "reset", "if_else", "for_loop", "switch_case", "while_loop"}
)


@dataclass(frozen=True)
class FakeFacts:
    """What a device entry needs of a fake backend.

    Attributes:
        num_qubits: physical qubits.
        basis_gates: the ISA's gates (sorted; no measure/delay/reset/control flow).
        coupling_map: directed two-qubit edges, sorted.
        calibration: the calibration snapshot (units of :class:`Calibration`).
    """

    num_qubits: int
    basis_gates: tuple[str, ...]
    coupling_map: tuple[tuple[int, int], ...]
    calibration: Calibration


def class_name(name: str) -> str:
    """``fake_brisbane`` → ``FakeBrisbane`` (the SDK's class of that fake backend).

    The SDK names the class of some older devices with a ``V2`` suffix only (``fake_london``
    → ``FakeLondonV2``): that is the class when its snapshot module declares it so (read
    without importing the SDK).
    """
    plain = "Fake" + "".join(p.capitalize() for p in name.removeprefix("fake_").split("_"))
    files = snapshot_files(name)
    if files is not None:
        module = files[0].with_name(f"{name}.py")
        try:
            text = module.read_text(encoding="utf-8")
        except OSError:
            return plain
        if f"class {plain}(" not in text and f"class {plain}V2(" in text:
            return f"{plain}V2"
    return plain


def load_backend(name: str) -> BackendV2:
    """The SDK's fake backend ``name`` (imports qiskit-ibm-runtime: seconds the first time).

    Raises:
        ValueError: the SDK has no such fake backend.
    """
    from qiskit_ibm_runtime import fake_provider

    cls = getattr(fake_provider, class_name(name), None)
    if cls is None:
        raise ValueError(f"unknown IBM fake backend {name!r} (qiskit_ibm_runtime.fake_provider)")
    backend: BackendV2 = cls()
    return backend


def snapshot_files(name: str) -> tuple[Path, Path] | None:
    """The ``conf_*.json`` and ``props_*.json`` of ``name`` in the installed SDK, if present.

    Found with ``importlib.util.find_spec``, which does not import the package.
    """
    spec = importlib.util.find_spec("qiskit_ibm_runtime")
    if spec is None or not spec.submodule_search_locations:
        return None
    short = name.removeprefix("fake_")
    folder = Path(next(iter(spec.submodule_search_locations))) / "fake_provider" / "backends"
    conf = folder / short / f"conf_{short}.json"
    props = folder / short / f"props_{short}.json"
    return (conf, props) if conf.is_file() and props.is_file() else None


def facts_from_backend(backend: BackendV2) -> FakeFacts:
    """The device facts from the SDK's ``Target`` and properties (the reference path)."""
    target = backend.target
    props = backend.properties()
    stamp = getattr(props, "last_update_date", None)
    return FakeFacts(
        int(backend.num_qubits),
        tuple(sorted(n for n in target.operation_names if n not in NOT_GATES)),
        tuple(sorted((int(a), int(b)) for a, b in target.build_coupling_map().get_edges())),
        calibration_from_target(target, stamp.timestamp() if stamp is not None else None),
    )


def _values(entries: list[dict[str, Any]]) -> dict[str, float]:
    """``[{name, value, unit}, ...]`` → name → value in SI units (the SDK's prefix rule)."""
    return {e["name"]: apply_prefix(e["value"], e.get("unit", "")) for e in entries}


def facts_from_snapshot(conf_path: Path, props_path: Path) -> FakeFacts:
    """The device facts read from the SDK's snapshot files, by the SDK's conversion rules.

    Raises:
        OSError, ValueError, KeyError: unreadable or unexpected files.
    """
    conf = json.loads(conf_path.read_text(encoding="utf-8"))
    raw = json.loads(props_path.read_text(encoding="utf-8"))
    n = int(conf["n_qubits"])
    known = get_standard_gate_name_mapping()
    gate_configs = {g["name"]: g for g in conf.get("gates", [])}
    supported = set(conf.get("supported_instructions", ["measure", "reset", "delay"]))
    names = {g for g in conf.get("basis_gates", []) if g in known or g in gate_configs} | {
        s["name"] for s in conf.get("instruction_signatures", [])
    }
    names |= supported & {"measure", "delay", "reset"}
    qubit_props = [_values(q) for q in raw["qubits"]]
    faulty = {q for q, p in enumerate(qubit_props) if "operational" in p and not p["operational"]}
    # instruction → qubits → (error s.i., duration s) | None; gate configs pin qubits first
    table: dict[str, dict[tuple[int, ...], tuple[float | None, float | None] | None]] = {}
    for name in names:
        pinned = gate_configs.get(name, {}).get("coupling_map")
        if pinned:
            table[name] = {tuple(q): None for q in pinned}
    for gate in raw["gates"]:
        name, qargs = gate["gate"], tuple(gate["qubits"])
        if name not in names:
            continue
        params = _values(gate["parameters"])
        if faulty & set(qargs) or ("operational" in params and not params["operational"]):
            table.get(name, {}).pop(qargs, None)
            continue
        table.setdefault(name, {})[qargs] = (params.get("gate_error"), params.get("gate_length"))
    qubits = []
    for q, p in enumerate(qubit_props):
        t1, t2, freq = p.get("T1"), p.get("T2"), p.get("frequency")
        qubits.append(
            QubitCalibration(
                q,
                None if t1 is None else t1 * 1e6,
                None if t2 is None else t2 * 1e6,
                None if q in faulty else p.get("readout_error"),
                None if freq is None else freq / 1e9,
            )
        )
    gates = []
    for name in sorted(table):
        if name in ("measure", "delay", "reset"):
            continue
        for qargs, pair in sorted(table[name].items()):
            if pair is None or (pair[0] is None and pair[1] is None):
                continue
            error, duration = pair
            gates.append(
                GateCalibration(name, qargs, error, None if duration is None else duration * 1e9)
            )
    edges = {qa for name in names for qa in table.get(name, {}) if len(qa) == 2}
    stamp = datetime.fromisoformat(raw["last_update_date"]).timestamp()
    return FakeFacts(
        n,
        tuple(sorted(g for g in names if g not in NOT_GATES)),
        tuple(sorted(edges)),
        Calibration(stamp, tuple(qubits), tuple(gates)),
    )


def fake_facts(name: str) -> FakeFacts:
    """The facts of fake backend ``name``: from the snapshot files, else from the SDK.

    Raises:
        ValueError: the SDK has no such fake backend.
    """
    files = snapshot_files(name)
    if files is not None:
        try:
            return facts_from_snapshot(*files)
        except (OSError, ValueError, KeyError, TypeError):
            pass  # an SDK whose files look different: ask the SDK itself
    return facts_from_backend(load_backend(name))


def fake_device(name: str, seed_transpiler: int) -> AerDevice:
    """The ``ibm.<name>`` device: its entry now, its backend on first use.

    Raises:
        ValueError: the SDK has no such fake backend.
    """
    facts = fake_facts(name)
    cal = facts.calibration
    info = DeviceInfo(
        device_id=f"ibm.{name}",
        name=f"IBM {name} (offline fake backend on Qiskit Aer, real calibration)",
        backend_type="ibmq_fake",
        status=DeviceStatus.ONLINE,
        max_qubits=facts.num_qubits,
        targets=(f"ibm:{name}",),
        capabilities={
            "method": "automatic",
            "basis_gates": ",".join(sorted(GATES)),
            "native_gates": ",".join(facts.basis_gates),
            "noise": f"qiskit_ibm_runtime.fake_provider.{class_name(name)}",
            "seedable": "true",
            "conditional": "true",
            "simulator": f"qiskit-aer {qiskit_aer.__version__}",
            "transpiled": "ISA (the backend's Target), optimization level 1",
        },
        basis_gates=facts.basis_gates,
        coupling_map=facts.coupling_map,
        calibration=cal,
    )
    summary = calibration_summary(cal)
    summary["source"] = f"qiskit-ibm-runtime fake backend {name}"
    return AerDevice(
        info,
        AerSimulator(),  # the noise comes per run, for the qubits the circuit uses
        dict(COMMON_OPTIONS),
        model=BackendModel(lambda: load_backend(name), seed_transpiler),
        calibration=summary,
        details=cal,
        save_kinds=supported_saves("automatic"),
    )
