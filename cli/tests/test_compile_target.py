"""``eigen compile --target`` and ``EigenClient.compile(target=...)``: circuits as devices run them.

On the shared in-process stack: ``sim:noisy`` (Aer's noisy 5-qubit generic backend, a
coupling map and basis gates ``cx, id, rz, sx, x``, transpiled by its seeded pass manager) and
``simulator`` (the ideal ``sim:local``, no coupling map). The IBM fake devices are exercised
through the same command in ``tests/integration/test_compile_for_device.py``.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from cli.tests.conftest import BELL_QASM, EXAMPLES, Api
from eigen_common.errors import FailedPreconditionError
from eigen_ir import aqo
from eigen_os.cli.compilecmd import LIST_MAX_OPERATIONS, mapped_circuit_text
from eigen_os.client import compile_request
from eigen_os.jobspec import JobSpec

NOISY = "aer.noisy_generic_5q"


def bell_file(tmp_path: Path) -> Path:
    path = tmp_path / "bell.qasm"
    path.write_text(BELL_QASM)
    return path


def test_target_shows_layout_figures_and_the_mapped_circuit(api: Api, tmp_path: Path) -> None:
    r = api.cli("compile", str(bell_file(tmp_path)), "--target", "sim:noisy")
    assert r.exit_code == 0, r.output
    compiled, mapped = r.stdout.split(f"on {NOISY}\n")
    assert "logical_qubits" in compiled and "┤ H ├" in compiled
    with api.client() as c:
        isa = c.compile(compile_request(BELL_QASM, "qasm2"), target="sim:noisy").isa
    assert isa.device_id == NOISY
    layout = "  ".join(f"q\\[{v}\\]→{p}" for v, p in enumerate(isa.initial_layout))
    assert re.search(rf"^layout +{layout} *$", mapped, re.MULTILINE), mapped
    assert re.search(rf"^depth +{isa.depth} *$", mapped, re.MULTILINE)
    assert re.search(r"^two_qubit_gates +1 *$", mapped, re.MULTILINE)
    assert re.search(r"^gates +cx 1, measure 2, ", mapped, re.MULTILINE)
    assert re.search(r"^seed_transpiler +\d+ *$", mapped, re.MULTILINE)
    wires = [int(w) for w in re.findall(r"^ *q_(\d+): ", mapped, re.MULTILINE)]
    assert wires == list(isa.active_qubits) and len(wires) == 2
    r = api.cli("compile", str(bell_file(tmp_path)), "--target", "sim:noisy", "--no-draw")
    assert r.exit_code == 0 and f"on {NOISY}" in r.stdout and "q_" not in r.stdout


def test_json_carries_the_mapped_circuit_decoded(api: Api, tmp_path: Path) -> None:
    r = api.cli("compile", str(bell_file(tmp_path)), "--target", "sim:noisy", "--json")
    assert r.exit_code == 0, r.output
    data = json.loads(r.stdout)
    isa = data["isa"]
    assert isa["device_id"] == NOISY and isa["aqo_json"]["qubits"] == 5
    assert isa["gate_counts"]["cx"] == isa["two_qubit_gates"] == 1
    assert len(isa["initial_layout"]) == 2 and sorted(isa["active_qubits"]) == isa["active_qubits"]
    ops = {o["op"] for o in isa["aqo_json"]["operations"]} - {"MEASURE"}
    assert ops <= {"CX", "RZ", "SX", "X"}
    no_target = json.loads(api.cli("compile", str(bell_file(tmp_path)), "--json").stdout)
    assert no_target["isa"] is None


def test_an_ideal_simulator_says_it_runs_the_circuit_as_is(api: Api, tmp_path: Path) -> None:
    r = api.cli("compile", str(bell_file(tmp_path)), "--target", "simulator")
    assert r.exit_code == 0, r.output
    assert "on aer.automatic" in r.stdout
    assert "aer.automatic runs the compiled circuit as it is" in r.stdout
    assert re.search(r"^transpiler +none: an ideal simulator", r.stdout, re.MULTILINE)


def test_too_wide_for_the_device_is_a_user_error(api: Api, tmp_path: Path) -> None:
    wide = tmp_path / "wide.qasm"
    wide.write_text(
        'OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[6];\ncreg c[1];\nmeasure q[5] -> c[0];\n'
    )
    r = api.cli("compile", str(wide), "--target", "sim:noisy")
    assert r.exit_code == 2
    assert "circuit too large" in r.stderr and "6 qubits" in r.stderr and "at most 5" in r.stderr
    err = json.loads(api.cli("compile", str(wide), "--target", "sim:noisy", "--json").stderr)
    assert err["error"]["reason"] == "CIRCUIT_TOO_LARGE"
    with api.client() as c:
        try:
            c.compile(compile_request(wide.read_text(), "qasm2"), target="sim:noisy")
        except FailedPreconditionError as exc:
            assert exc.reason == "CIRCUIT_TOO_LARGE"
        else:
            raise AssertionError("a 6-qubit circuit compiled for a 5-qubit device")


def test_a_hybrid_program_gets_a_note_not_a_mapped_circuit(api: Api) -> None:
    r = api.cli("compile", str(EXAMPLES / "h2_vqe" / "program.eigen.py"), "--target", "sim:noisy")
    assert r.exit_code == 0, r.output
    assert "no mapped circuit for a hybrid program" in r.stdout and f"on {NOISY}" not in r.stdout


def test_sdk_target_overrides_without_touching_the_callers_request(api: Api) -> None:
    req = compile_request(BELL_QASM, "qasm2", target="sim:local")
    spec = JobSpec(name="bell", program=BELL_QASM, language="qasm2", target="sim:local")
    with api.client() as c:
        by_request = c.compile(req, target="sim:noisy")
        by_spec = c.compile(spec, target="sim:noisy")
        own = c.compile(req)
    assert req.target == "sim:local"
    assert by_request.isa.device_id == by_spec.isa.device_id == NOISY
    assert by_request.isa.aqo_json == by_spec.isa.aqo_json
    assert own.isa.device_id == "aer.automatic"


def _circuit(qubits: int, ops: int) -> aqo.Circuit:
    operations = [{"op": "RZ", "q": [i % qubits], "params": [0.5]} for i in range(ops)]
    return aqo.parse({"version": "0.1", "qubits": qubits, "clbits": 0, "operations": operations})


def test_a_wide_or_long_mapped_circuit_is_listed_not_drawn() -> None:
    small = mapped_circuit_text(_circuit(4, 8), 120)
    assert "q_3: " in small and "┤" in small
    wide = mapped_circuit_text(_circuit(40, 60), 120)
    assert wide.splitlines()[0] == "60 operations on 40 physical qubits"
    assert "  rz(0.5) q[39]" in wide and "┤" not in wide
    long = mapped_circuit_text(_circuit(2, LIST_MAX_OPERATIONS + 500), 120)
    lines = long.splitlines()
    assert len(lines) == 1 + LIST_MAX_OPERATIONS + 1 and lines[-1] == "  ... 500 more"
