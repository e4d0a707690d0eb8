from __future__ import annotations

import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry

from eigen_common.errors import (
    CompilationFailedError,
    InvalidOptionError,
    ValidationError,
)
from eigen_compiler.metrics import CompilerMetrics
from eigen_compiler.model import AqoSource, CompileRequest, EigenLangSource, Limits, QasmSource
from eigen_compiler.optimize import PassManagerCache
from eigen_compiler.pipeline import Compiler, circuit_stats
from eigen_ir import aqo

CORPUS = Path(__file__).resolve().parents[3] / "tests" / "corpus"  # vendored, see its PROVENANCE
QFT = CORPUS / "qasmbench" / "small" / "qft_n4" / "qft_n4.qasm"
PROGRAM = """\
import math
from eigen_lang import QubitRegister, cx, h, hybrid_program, measure_all, ry, rzz

@hybrid_program(shots=256)
def prog(theta: float = 0.3):
    q = QubitRegister(3)
    h(q[0])
    ry(theta, q[1])
    cx(q[0], q[1])
    rzz(math.pi / 5, q[1], q[2])
    cx(q[1], q[2])
    measure_all(q)
"""
BELL_QASM = (
    'OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[2];\ncreg c[2];\n'
    "h q[0];\ncx q[0],q[1];\nmeasure q -> c;\n"
)

# Compiles the same three programs in a fresh interpreter and prints the AQO bytes as JSON.
CHILD = """
import json, sys
from eigen_compiler.model import CompileRequest, EigenLangSource, Limits, QasmSource
from eigen_compiler.optimize import PassManagerCache
from eigen_compiler.pipeline import Compiler
program, qft, level = json.loads(sys.stdin.read())
c = Compiler(Limits(), PassManagerCache())
out = []
opts = {"optimization_level": level}
for req in (CompileRequest(EigenLangSource(program), inputs={"theta": 0.7}, options=opts),
            CompileRequest(QasmSource(qft), options=opts)):
    out.append(c.compile(req).aqo_json.decode())
print(json.dumps(out))
"""


def requests(level: str) -> list[CompileRequest]:
    return [
        CompileRequest(
            EigenLangSource(PROGRAM), inputs={"theta": 0.7}, options={"optimization_level": level}
        ),
        CompileRequest(QasmSource(QFT.read_text()), options={"optimization_level": level}),
    ]


@pytest.mark.skipif(not QFT.exists(), reason="QASMBench corpus not found")
def test_determinism_in_process_and_across_processes(compiler: Compiler) -> None:
    level = "3"  # the stochastic passes (layout, synthesis) run at level 3
    first = [compiler.compile(r).aqo_json for r in requests(level)]
    again = [compiler.compile(r).aqo_json for r in requests(level)]
    fresh = Compiler(Limits(), PassManagerCache())  # new pass managers, same process
    third = [fresh.compile(r).aqo_json for r in requests(level)]
    assert first == again == third
    env = {**os.environ, "PYTHONHASHSEED": "12345"}  # a different hash seed in the child
    child = subprocess.run(
        [sys.executable, "-c", CHILD],
        input=json.dumps([PROGRAM, QFT.read_text(), level]),
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=True,
    )
    assert [s.encode() for s in json.loads(child.stdout)] == first


def test_aqo_metadata_has_no_timings_and_sha_matches(compiler: Compiler) -> None:
    result = compiler.compile(CompileRequest(QasmSource(BELL_QASM), target="sim:local"))
    doc = json.loads(result.aqo_json)
    assert set(doc["metadata"]) == {
        "compiler",
        "language",
        "optimization_level",
        "source_sha256",
        "target",
    }
    assert doc["metadata"]["target"] == "sim:local"
    assert result.aqo_sha256 == aqo.parse(result.aqo_json).sha256()
    assert float(result.metrics["compile_ms"]) > 0
    assert {
        k: result.metrics[k] for k in ("clbits", "optimization_level", "language", "num_parameters")
    } == {
        "clbits": "2",
        "optimization_level": "1",
        "language": "qasm2",
        "num_parameters": "0",
    }


def test_different_inputs_change_the_circuit(compiler: Compiler) -> None:
    a = compiler.compile(CompileRequest(EigenLangSource(PROGRAM), inputs={"theta": 0.1}))
    b = compiler.compile(CompileRequest(EigenLangSource(PROGRAM), inputs={"theta": 0.2}))
    assert a.aqo_sha256 != b.aqo_sha256


@pytest.mark.parametrize("value", ["4", "-1", "high", "1.5"])
def test_invalid_optimization_level_is_an_invalid_option(compiler: Compiler, value: str) -> None:
    with pytest.raises(InvalidOptionError) as info:
        compiler.compile(
            CompileRequest(QasmSource(BELL_QASM), options={"optimization_level": value})
        )
    assert info.value.reason == "INVALID_OPTION"
    assert info.value.violations[0].field == "options.optimization_level"


def test_unknown_options_are_warnings(compiler: Compiler) -> None:
    result = compiler.compile(CompileRequest(QasmSource(BELL_QASM), options={"layout": "dense"}))
    assert [(w.rule, w.severity) for w in result.warnings] == [("unknown-option", "warning")]
    assert "layout" in result.warnings[0].message


def test_non_finite_inputs_are_validation_errors(compiler: Compiler) -> None:
    with pytest.raises(ValidationError) as info:
        compiler.compile(CompileRequest(QasmSource(BELL_QASM), inputs={"theta": float("nan")}))
    assert info.value.violations[0].field == "inputs.theta"


def test_aqo_source_binds_inputs_and_rejects_unbound(compiler: Compiler) -> None:
    doc = {
        "version": "0.1",
        "qubits": 1,
        "clbits": 1,
        "parameters": ["theta"],
        "operations": [
            {"op": "RY", "q": [0], "params": ["theta"]},
            {"op": "MEASURE", "q": [0], "c": [0]},
        ],
    }
    data = json.dumps(doc).encode()
    with pytest.raises(CompilationFailedError) as info:
        compiler.compile(CompileRequest(AqoSource(data)))
    assert [d.rule for d in info.value.diagnostics] == ["unbound-parameter"]
    result = compiler.compile(
        CompileRequest(AqoSource(data), inputs={"theta": 1.25}, options={"optimization_level": "0"})
    )
    circuit = aqo.parse(result.aqo_json)
    assert circuit.parameters == ()
    assert circuit.operations[0] == aqo.Operation("RY", (0,), (), (1.25,))
    with pytest.raises(CompilationFailedError) as info:
        compiler.compile(CompileRequest(AqoSource(b'{"version": "9"}')))
    assert {d.rule for d in info.value.diagnostics} == {"aqo-invalid"}


def test_optimize_reduces_and_keeps_parameters(compiler: Compiler) -> None:
    doc = {
        "version": "0.1",
        "qubits": 2,
        "clbits": 0,
        "parameters": ["a"],
        "operations": [
            {"op": "H", "q": [0]},
            {"op": "H", "q": [0]},
            {"op": "CX", "q": [0, 1]},
            {"op": "CX", "q": [0, 1]},
            {"op": "RZ", "q": [1], "params": ["a"]},
        ],
    }
    data = json.dumps(doc).encode()
    kept = compiler.optimize(data, 0)
    assert kept.gate_count == 5
    optimised = compiler.optimize(data, 1)
    assert optimised.gate_count == 1
    assert aqo.parse(optimised.aqo_json).parameters == ("a",)
    with pytest.raises(InvalidOptionError):
        compiler.optimize(data, 9)


def test_validate_returns_findings_as_data(compiler: Compiler) -> None:
    ok = compiler.validate(CompileRequest(QasmSource(BELL_QASM), options={"x": "1"}))
    assert ok.valid and ok.result is not None
    assert [d.rule for d in ok.diagnostics] == ["unknown-option"]
    bad = compiler.validate(CompileRequest(EigenLangSource("import os\n")))
    assert not bad.valid and bad.result is None
    assert [d.rule for d in bad.diagnostics] == ["forbidden-import", "missing-entrypoint"]


def test_circuit_stats() -> None:
    circuit = aqo.parse(
        {
            "version": "0.1",
            "qubits": 3,
            "clbits": 1,
            "operations": [
                {"op": "H", "q": [0]},
                {"op": "BARRIER", "q": [0, 1, 2]},
                {"op": "CX", "q": [0, 1]},
                {"op": "MEASURE", "q": [1], "c": [0]},
                {"op": "X", "q": [2], "cond": {"c": [0], "value": 1}},
                {"op": "RESET", "q": [0]},
            ],
        }
    )
    assert circuit_stats(circuit) == (4, 3)


def test_pass_managers_are_built_once_and_reused(pass_managers: PassManagerCache) -> None:
    cache = PassManagerCache()
    compiler = Compiler(Limits(), cache)
    first = cache.get(2)
    compiler.compile(CompileRequest(QasmSource(BELL_QASM), options={"optimization_level": "2"}))
    compiler.compile(CompileRequest(QasmSource(BELL_QASM), options={"optimization_level": "2"}))
    assert cache.get(2) is first
    assert cache.builds == 1
    cache.warm(0, 1)
    assert cache.builds == 3
    with pytest.raises(ValueError):
        cache.get(4)


def test_concurrent_compiles_are_safe_and_identical(compiler: Compiler) -> None:
    reqs = [
        CompileRequest(
            EigenLangSource(PROGRAM),
            inputs={"theta": 0.1 * (i % 4)},
            options={"optimization_level": "3"},
        )
        for i in range(24)
    ]
    expected = [compiler.compile(r).aqo_json for r in reqs]
    with ThreadPoolExecutor(max_workers=8) as pool:
        got = list(pool.map(lambda r: compiler.compile(r).aqo_json, reqs))
    assert got == expected


def test_metrics_record_time_and_failures(pass_managers: PassManagerCache) -> None:
    registry = CollectorRegistry()
    compiler = Compiler(Limits(), pass_managers, CompilerMetrics(registry))
    compiler.compile(CompileRequest(QasmSource(BELL_QASM)))
    with pytest.raises(CompilationFailedError):
        compiler.compile(CompileRequest(EigenLangSource("import os\nimport sys\n")))
    compiler.validate(CompileRequest(EigenLangSource("import os\n")))  # not counted
    count = registry.get_sample_value
    assert count("eigen_compiler_compile_seconds_count", {"language": "qasm"}) == 1  # family
    assert count("eigen_compiler_compile_seconds_count", {"language": "eigen-lang"}) == 1
    assert count("eigen_compiler_failures_total", {"rule": "forbidden-import"}) == 1
    assert count("eigen_compiler_failures_total", {"rule": "missing-entrypoint"}) == 1
