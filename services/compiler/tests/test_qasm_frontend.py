from __future__ import annotations

import time
from pathlib import Path

import pytest

from eigen_common.errors import CompilationFailedError, UnsupportedFormatError
from eigen_compiler.frontends.qasm import header_version, load_qasm
from eigen_compiler.model import CompileRequest, Limits, QasmSource
from eigen_compiler.pipeline import Compiler
from eigen_ir import aqo

CORPUS = Path(__file__).resolve().parents[3] / "tests" / "corpus"  # vendored, see its PROVENANCE
SMALL = sorted((CORPUS / "qasmbench").glob("small/*/*.qasm"))
MEDIUM = sorted((CORPUS / "qasmbench").glob("medium/*/*.qasm"))
OPENQASM3 = sorted((CORPUS / "openqasm3").glob("*.qasm"))
BROKEN = "vqe_uccsd_n4.qasm"
#: OpenQASM 3 spec examples that run (see test_qasm3_programs.py); the rest are rejected cleanly.
QASM3_SUPPORTED = {
    "adder.qasm",
    "inverseqft1.qasm",
    "inverseqft2.qasm",
    "ipe.qasm",
    "qec.qasm",
    "qft.qasm",
    "qpt.qasm",
    "rb.qasm",
    "rus.qasm",
    "teleport.qasm",
}


def test_the_vendored_corpus_is_there() -> None:
    assert len(SMALL) == 24 and len(MEDIUM) == 14 and len(OPENQASM3) == 12


def diagnostics(
    compiler: Compiler, source: str, version: str = "", **kw: object
) -> list[tuple[str, int, int]]:
    with pytest.raises(CompilationFailedError) as info:
        compiler.compile(CompileRequest(QasmSource(source, version), **kw))  # type: ignore[arg-type]
    return [(d.rule, d.line, d.column) for d in info.value.diagnostics]


@pytest.mark.parametrize(
    "path", [p for p in SMALL + MEDIUM if p.name != BROKEN], ids=lambda p: p.name
)
def test_qasmbench_compiles(compiler: Compiler, path: Path) -> None:
    result = compiler.compile(CompileRequest(QasmSource(path.read_text())))
    parsed = aqo.parse(result.aqo_json)  # the output is valid AQO
    assert parsed.canonical_bytes() == result.aqo_json
    assert result.metrics["language"] == "qasm2"
    assert result.logical_qubits == parsed.qubits > 0
    assert result.gate_count > 0
    assert any(o.op == "MEASURE" for o in parsed.operations)


def test_broken_upstream_file_fails_with_line_numbered_diagnostic(compiler: Compiler) -> None:
    (path,) = [p for p in SMALL if p.name == BROKEN]
    assert diagnostics(compiler, path.read_text()) == [("qasm-syntax", 225, 9)]


@pytest.mark.parametrize("path", OPENQASM3, ids=lambda p: p.name)
def test_openqasm3_examples_compile_or_are_rejected_cleanly(compiler: Compiler, path: Path) -> None:
    request = CompileRequest(QasmSource(path.read_text()))
    t0 = time.perf_counter()
    if path.name in QASM3_SUPPORTED:
        result = compiler.compile(request)
        assert result.metrics["language"] == "qasm3"
        assert result.gate_count > 0
    else:
        with pytest.raises(CompilationFailedError) as info:
            compiler.compile(request)
        (diag,) = info.value.diagnostics
        assert diag.rule in ("qasm3-unsupported", "qasm-syntax")
        assert diag.line > 0 and diag.column > 0
        assert diag.message and "Error" not in diag.message  # no Python class names
    assert time.perf_counter() - t0 < 10


@pytest.mark.parametrize(
    ("source", "version", "rule"),
    [
        ("", "", "empty-source"),
        ("  \n// only a comment\n", "", "empty-source"),
        ("\x00\x01\x02\xff garbage", "", "qasm-syntax"),
        ("\x00\x01\x02\xff garbage", "2", "qasm-syntax"),
        ("OPENQASM 2.0;\nqreg q[1];\nh q[0];", "", "qasm-syntax"),
        ("OPENQASM 3;\nqubit q;\n  h q", "", "qasm-syntax"),
        (  # a loop that never ends when compiling runs into the operation limit
            'OPENQASM 3.0;\ninclude "stdgates.inc";\nqubit q;\nwhile (true) { h q; }',
            "",
            "too-many-operations",
        ),
        ("OPENQASM 4.0;\nqubit q;", "", "unsupported-version"),
        ("OPENQASM 2.0;\nqreg q[1];", "3", "qasm-version-mismatch"),
        ('OPENQASM 2.0;\ninclude "/etc/passwd";', "", "qasm-syntax"),
        ('OPENQASM 3;\ninclude "/etc/passwd";', "", "qasm3-unsupported"),
        ("OPENQASM 2.0;\nopaque magic a;\nqreg q[1];\nmagic q[0];", "", "unsupported-construct"),
        ("{" * 5000, "3", "too-deep"),  # refused before the parser recurses
        (
            'OPENQASM 3;\ninclude "stdgates.inc";\nqubit q;\nextern f(int) -> bit;\nbit b = f(1);',
            "",
            "qasm3-unsupported",
        ),
        (
            'OPENQASM 3;\ninclude "stdgates.inc";\nqubit[2] q;\nbit[1] c;\nc[0] = measure q[0];\n'
            "while (c[0]) { c[0] = measure q[0]; h q[0]; }",
            "",
            "qasm3-unsupported",
        ),
        ("OPENQASM 3;\n" + "x = (" * 3000, "3", "too-deep"),
        ('OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[2000];', "", "too-many-qubits"),
    ],
)
def test_bad_input_gives_clean_diagnostic(
    compiler: Compiler, source: str, version: str, rule: str
) -> None:
    diags = diagnostics(compiler, source, version)
    assert [d[0] for d in diags] == [rule]
    assert all("\x00" not in str(d) for d in diags)


def test_syntax_errors_carry_one_based_positions(compiler: Compiler) -> None:
    assert diagnostics(
        compiler, 'OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[1];\n   hh q[0];'
    ) == [("qasm-syntax", 4, 4)]
    assert diagnostics(compiler, "OPENQASM 3;\nqubit q;\n  h q") == [("qasm-syntax", 3, 6)]


def test_include_path_cannot_read_server_files(tmp_path: Path) -> None:
    inc = tmp_path / "evil.inc"
    inc.write_text("gate evil a { U(0,0,0) a; }\n")
    src = f'OPENQASM 2.0;\ninclude "{inc}";\nqreg q[1];\nevil q[0];'
    with pytest.raises(CompilationFailedError) as info:
        load_qasm(src)
    assert info.value.diagnostics[0].line == 2


def test_exponential_gate_definitions_hit_the_operation_limit(compiler: Compiler) -> None:
    lines = ["OPENQASM 2.0;", 'include "qelib1.inc";', "gate g0 a { x a; }"]
    lines += [f"gate g{i} a {{ g{i - 1} a; g{i - 1} a; }}" for i in range(1, 60)]
    lines += ["qreg q[1];", "g59 q[0];"]
    t0 = time.perf_counter()
    assert diagnostics(compiler, "\n".join(lines)) == [("too-many-operations", 0, 0)]
    assert time.perf_counter() - t0 < 5


def test_size_limits() -> None:
    big2 = "OPENQASM 2.0;\n" + "// padding\n" * 500_000
    with pytest.raises(CompilationFailedError) as info:
        load_qasm(big2)
    assert info.value.diagnostics[0].rule == "source-too-large"
    big3 = "OPENQASM 3;\nqubit q;\n" + "// padding\n" * 30_000
    with pytest.raises(CompilationFailedError) as info:
        load_qasm(big3)
    assert info.value.diagnostics[0].rule == "source-too-large"
    with pytest.raises(CompilationFailedError) as info:
        load_qasm("OPENQASM 2.0;\nqreg q[3];", limits=Limits(max_qubits=2))
    assert info.value.diagnostics[0].rule == "too-many-qubits"


def test_large_qasm2_within_limits_compiles(compiler: Compiler) -> None:
    body = "".join(f"h q[{i % 8}];\ncx q[{i % 8}],q[{(i + 1) % 8}];\n" for i in range(20_000))
    src = (
        'OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[8];\ncreg c[8];\n'
        + body
        + "measure q -> c;\n"
    )
    result = compiler.compile(CompileRequest(QasmSource(src), options={"optimization_level": "0"}))
    assert result.gate_count == 40_000


def test_header_only_program_compiles_with_a_warning(compiler: Compiler) -> None:
    result = compiler.compile(CompileRequest(QasmSource("OPENQASM 3;\n")))
    assert result.gate_count == 0
    assert [w.rule for w in result.warnings] == ["empty-program"]


def test_version_from_request_and_header() -> None:
    assert header_version("// c\n/* block\n */ OPENQASM 2.0;") == ("2", 3)
    assert header_version("qubit q;") is None
    qft = "qubit[2] q;\nh q[0];"
    assert load_qasm('include "stdgates.inc";\n' + qft).version == "3"  # no header: OpenQASM 3
    assert load_qasm("OPENQASM 2.0;\nqreg q[1];", "2.0").version == "2"
    with pytest.raises(UnsupportedFormatError) as info:
        load_qasm("OPENQASM 2.0;", "5")
    assert info.value.violations[0].field == "qasm.version"


def test_qasm3_inputs_bind_parameters(compiler: Compiler) -> None:
    src = (
        'OPENQASM 3.0;\ninclude "stdgates.inc";\ninput float theta;\ninput angle phi;\n'
        "qubit[1] q;\nbit[1] c;\nrx(theta) q[0];\nrz(2 * phi + 0.5) q[0];\nc[0] = measure q[0];\n"
    )
    result = compiler.compile(
        CompileRequest(
            QasmSource(src),
            inputs={"theta": 0.5, "phi": 0.25, "extra": 1.0},
            options={"optimization_level": "0"},
        )
    )
    ops = aqo.parse(result.aqo_json).operations
    assert ops[0] == aqo.Operation("RX", (0,), (), (0.5,))
    assert ops[1] == aqo.Operation("RZ", (0,), (), (1.0,))
    assert result.metrics["num_parameters"] == "0"
    assert [w.rule for w in result.warnings] == ["unused-input"]


def test_qasm3_inputs_left_unbound_stay_symbolic(compiler: Compiler) -> None:
    """An ``input`` without a value is an AQO parameter the job binds at execution (a sweep)."""
    src = (
        'OPENQASM 3.0;\ninclude "stdgates.inc";\ninput float theta;\ninput angle phi;\n'
        "qubit[1] q;\nbit[1] c;\nrx(theta) q[0];\nrz(2 * phi + 0.5) q[0];\nc[0] = measure q[0];\n"
    )
    request = CompileRequest(QasmSource(src), options={"optimization_level": "0"})
    result = compiler.compile(request)
    circuit = aqo.parse(result.aqo_json)
    assert circuit.parameters == ("phi", "theta") and result.metrics["parameters"] == "phi,theta"
    assert circuit.operations[0].params == ("theta",)
    assert circuit.operations[1].params == (aqo.ParamExpr([("phi", 2.0)], 0.5),)
    assert compiler.compile(request).aqo_json == result.aqo_json  # deterministic
    bound = aqo.bind(circuit, {"theta": 0.5, "phi": 0.25})
    given = compiler.compile(
        CompileRequest(
            QasmSource(src), inputs={"theta": 0.5, "phi": 0.25}, options={"optimization_level": "0"}
        )
    )
    assert bound.operations == aqo.parse(given.aqo_json).operations  # binding later = binding now
    partly = compiler.compile(CompileRequest(QasmSource(src), inputs={"theta": 0.5}))
    assert aqo.parse(partly.aqo_json).parameters == ("phi",)
    assert result.metrics["optimization_level"] == "0"
    optimised = compiler.compile(CompileRequest(QasmSource(src)))
    assert aqo.parse(optimised.aqo_json).parameters == ("phi", "theta")
    nonlinear = src.replace("2 * phi + 0.5", "sin(phi)")
    assert diagnostics(compiler, nonlinear) == [("unsupported-construct", 0, 0)]


def test_classical_conditions_become_cond(compiler: Compiler) -> None:
    src = (
        'OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[2];\ncreg a[1];\ncreg b[2];\n'
        "h q[0];\nmeasure q[0] -> a[0];\nif(a==1) x q[1];\nmeasure q[1] -> b[1];\n"
    )
    circuit = aqo.parse(compiler.compile(CompileRequest(QasmSource(src))).aqo_json)
    (conditional,) = [o for o in circuit.operations if o.cond is not None]
    assert conditional.op == "X" and conditional.cond == ((0,), 1)
    assert circuit.clbits == 3
