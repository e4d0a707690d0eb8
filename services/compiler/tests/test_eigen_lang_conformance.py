"""Conformance suite: every valid program under ``programs/valid`` against its golden AQO.

Goldens are the canonical bytes of the lowered program (the front end's AQO, before Qiskit
optimisation, or the hybrid plan of a program that calls ``minimize``), written once by
``programs/update_golden.py`` and reviewed; here they are only byte-compared. Each program
also goes through the whole pipeline, twice (determinism), and a selection runs locally through
``eigen_lang`` with the same circuit and counts as Aer on the compiled AQO.
"""

from __future__ import annotations

import hashlib
import importlib.util
import subprocess
import sys
import textwrap
from pathlib import Path
from types import ModuleType

import pytest

from eigen_compiler.frontends.eigen_lang import lower_program
from eigen_compiler.model import CompileRequest, EigenLangSource
from eigen_compiler.pipeline import Compiler
from eigen_ir.aqo_qiskit import from_qiskit, to_qiskit
from eigen_ir.hybrid import parse_plan
from eigen_lang.program import HybridProgram

PROGRAMS = Path(__file__).parent / "programs"
sys.path.insert(0, str(PROGRAMS))
from update_golden import golden_bytes, golden_path, is_hybrid, program_inputs  # noqa: E402

VALID = sorted((PROGRAMS / "valid").glob("*.eigen.py"))
HYBRID = [p for p in VALID if is_hybrid(p)]
#: Programs also run locally (``Eigen_lang`` is the seed's spelling, not an installed module;
#: hybrid programs need the library's optimiser loop, tested on the library side).
LOCAL = [p for p in VALID if "Eigen_lang" not in p.read_text(encoding="utf-8") and p not in HYBRID]


def _ids(paths: list[Path]) -> list[str]:
    return [p.name.removesuffix(".eigen.py") for p in paths]


def test_suite_is_large_enough() -> None:
    assert len(VALID) >= 25
    assert len(HYBRID) >= 8
    golden = PROGRAMS / "golden"
    assert {golden_path(p).name for p in VALID} == {
        g.name for pattern in ("*.aqo.json", "*.plan.json") for g in golden.glob(pattern)
    }


@pytest.mark.parametrize("program", HYBRID, ids=_ids(HYBRID))
def test_golden_plans_are_valid(program: Path) -> None:
    data = golden_path(program).read_bytes()
    plan = parse_plan(data)
    assert plan.canonical_bytes() + b"\n" == data
    assert plan.circuit.clbits == 0
    assert len(plan.optimizer.initial_point) == len(plan.parameters)


@pytest.mark.parametrize("program", VALID, ids=_ids(VALID))
def test_lowering_matches_golden(program: Path) -> None:
    assert golden_bytes(program) == golden_path(program).read_bytes()


@pytest.mark.parametrize("program", VALID, ids=_ids(VALID))
def test_pipeline_compiles_deterministically(compiler: Compiler, program: Path) -> None:
    source = program.read_text(encoding="utf-8")
    request = CompileRequest(EigenLangSource(source), inputs=program_inputs(source))
    first, second = compiler.compile(request), compiler.compile(request)
    assert first.aqo_json == second.aqo_json
    assert first.aqo_sha256 == second.aqo_sha256
    assert first.hybrid_plan_json == second.hybrid_plan_json
    assert bool(first.hybrid_plan_json) == (program in HYBRID)
    assert not first.warnings


def _load(program: Path) -> HybridProgram:
    """Import ``program`` as a module (a local run: the user's own machine runs it)."""
    spec = importlib.util.spec_from_file_location(f"eigen_prog_{program.stem[:2]}", program)
    assert spec is not None and spec.loader is not None
    module = ModuleType(spec.name)
    spec.loader.exec_module(module)
    found = [v for v in vars(module).values() if isinstance(v, HybridProgram)]
    assert len(found) == 1
    return found[0]


@pytest.mark.parametrize("program", LOCAL, ids=_ids(LOCAL))
def test_local_run_records_the_compiled_circuit(program: Path) -> None:
    source = program.read_text(encoding="utf-8")
    inputs = program_inputs(source)
    lowered = lower_program(source, inputs=inputs).circuit
    # Inputs naming AQO parameters are bound by the kernel, not passed to the function.
    entry = {k: v for k, v in inputs.items() if k not in lowered.parameters}
    local = from_qiskit(_load(program).build(**entry))
    assert (local.qubits, local.clbits) == (lowered.qubits, lowered.clbits)
    assert local.operations == lowered.operations


COUNTED = ["01_bell", "02_ghz_for_range", "15_np_random_seeded", "22_helpers_nested", "28_qft"]


@pytest.mark.parametrize("name", COUNTED)
def test_local_counts_equal_aer_on_compiled_aqo(compiler: Compiler, name: str) -> None:
    from qiskit import transpile
    from qiskit_aer import AerSimulator

    program = PROGRAMS / "valid" / f"{name}.eigen.py"
    source = program.read_text(encoding="utf-8")
    prog = _load(program)
    seed, shots = prog.options.seed, prog.options.shots or 1024
    local_counts = prog.run(seed=seed)
    compiled = compiler.compile(
        CompileRequest(EigenLangSource(source), options={"optimization_level": "0"}, inputs={})
    )
    sim = AerSimulator(seed_simulator=seed)
    qc = transpile(to_qiskit(compiled.circuit), sim, seed_transpiler=0)
    server_counts = sim.run(qc, shots=shots, seed_simulator=seed).result().get_counts()
    assert sum(local_counts.values()) == shots
    assert local_counts == dict(server_counts)


def test_local_run_restores_numpy_random_state() -> None:
    import numpy as np

    np.random.seed(123)
    expected = np.random.rand()
    np.random.seed(123)
    _load(PROGRAMS / "valid" / "15_np_random_seeded.eigen.py").build()
    assert np.random.rand() == expected


def test_inputs_change_the_circuit_and_defaults_apply() -> None:
    source = (PROGRAMS / "valid" / "02_ghz_for_range.eigen.py").read_text(encoding="utf-8")
    assert lower_program(source).circuit.qubits == 5
    assert lower_program(source, inputs={"n": 7}).circuit.qubits == 7


@pytest.mark.parametrize("name", ["15_np_random_seeded", "41_seed_appendix"])
def test_determinism_across_processes(name: str) -> None:
    program = PROGRAMS / "valid" / f"{name}.eigen.py"
    script = textwrap.dedent(f"""
        import hashlib, pathlib
        from eigen_compiler.frontends.eigen_lang import lower_program
        src = pathlib.Path({str(program)!r}).read_text(encoding="utf-8")
        lowered = lower_program(src)
        out = lowered.circuit if lowered.plan is None else lowered.plan
        print(hashlib.sha256(out.canonical_bytes()).hexdigest())
    """)
    digests = {
        subprocess.run(
            [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=60
        ).stdout.strip()
        for _ in range(2)
    }
    assert len(digests) == 1
    assert digests == {hashlib.sha256(golden_path(program).read_bytes()[:-1]).hexdigest()}
