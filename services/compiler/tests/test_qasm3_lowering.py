"""The OpenQASM 3 lowering construct by construct: what runs gives the outcome OpenQASM 3
defines (deterministic programs, checked on Aer), what cannot run is refused with its rule and
line, and every loop, expansion and recursion stops at a limit with a clear error."""

from __future__ import annotations

import time

import pytest
from qiskit_aer import AerSimulator

from eigen_common.errors import CompilationFailedError
from eigen_compiler.model import CompileRequest, Limits, QasmSource
from eigen_compiler.optimize import PassManagerCache
from eigen_compiler.pipeline import Compiler
from eigen_ir import aqo
from eigen_ir.aqo_qiskit import to_qiskit

HEAD = 'OPENQASM 3.0;\ninclude "stdgates.inc";\n'


def compile_(compiler: Compiler, body: str, **kw: object) -> aqo.Circuit:
    result = compiler.compile(CompileRequest(QasmSource(HEAD + body), **kw))  # type: ignore[arg-type]
    return aqo.parse(result.aqo_json)


def run(compiler: Compiler, body: str, shots: int = 64) -> dict[str, int]:
    qc = to_qiskit(compile_(compiler, body))
    return dict(AerSimulator().run(qc, shots=shots, seed_simulator=3).result().get_counts())


def rules(compiler: Compiler, body: str, limits: Limits | None = None) -> list[tuple[str, int]]:
    c = compiler if limits is None else Compiler(limits, PassManagerCache())
    with pytest.raises(CompilationFailedError) as info:
        c.compile(CompileRequest(QasmSource(HEAD + body)))
    return [(d.rule, d.line - 2) for d in info.value.diagnostics]  # lines of ``body``


def warnings(compiler: Compiler, body: str) -> list[str]:
    return [w.rule for w in compiler.compile(CompileRequest(QasmSource(HEAD + body))).warnings]


# --- classical values known when compiling -------------------------------------------------


def test_const_types_casts_and_arithmetic(compiler: Compiler) -> None:
    body = """
const int[8] n = 3;
uint[4] u = 14;
u += 3;                       // wraps: 17 mod 16 = 1
int[4] s = 7;
s += 1;                       // two's complement: -8
const bit[4] b = "1010";     // a global bit holding 1s is not an output when const
float[64] f = 7 / 2;          // integer division: 3
angle[4] a = 3 * pi / 4;      // 6 of 16 steps
qubit[8] q;
bit[8] c;
if (u == 1) x q[0];
if (s == -8) x q[1];
if (int[4](b) == -6) x q[2];  // "1010" as int[4]
if (f == 3.0) x q[3];
if (bit[4](a) == "0110") x q[4];
if (bool(b[1]) && !bool(b[0])) x q[5];
if (popcount(b) == 2 && rotl(b, 1) == "0101") x q[6];
if (n ** 2 % 5 == 4 && 2 - 5 == -3) x q[7];
c = measure q;
"""
    assert run(compiler, body) == {"11111111": 64}


def test_loops_switch_and_subroutines_run_when_compiling(compiler: Compiler) -> None:
    body = """
qubit[6] q;
bit[6] c;
def fact(int n) -> int { if (n <= 1) { return 1; } return n * fact(n - 1); }
def flip(qubit r, int k) { for int i in [1:k] { x r; } }
for uint i in [4:-2:0] { x q[i / 2]; }     // i = 4, 2, 0: q[2], q[1], q[0]
for int i in {1, 2} { x q[i]; }            // undoes q[1] and q[2]
int i = 0;
while (true) { i += 1; if (i == 3) { continue; } if (i > 4) { break; } }
if (i == 5 && fact(4) == 24) x q[3];
flip(q[4], 3);                             // three flips
switch (i) { case 1, 2 { } case 5 { x q[5]; } default { } }
c = measure q;
"""
    assert run(compiler, body) == {"111001": 64}


def test_gates_modifiers_and_gphase(compiler: Compiler) -> None:
    body = """
gate g(t) a, b { rz(t) a; cx a, b; }
gate maj a, b, c { cx c, b; cx c, a; ccx a, b, c; }
qubit[5] q;
bit[5] c;
x q[0];
ctrl @ x q[0], q[1];                   // q1 = 1
negctrl @ x q[2], q[3];                // q2 = 0, so q3 = 1
inv @ pow(2) @ s q[4];                 // z†: no flip
ctrl @ gphase(pi) q[4];                // phase on |1>: nothing observable on |0>
h q[4]; ctrl @ gphase(pi) q[4]; h q[4];  // H Z H = X: q4 = 1
pow(2) @ g(0.3) q[0], q[2];            // cx twice: nothing
c = measure q;
"""
    assert run(compiler, body) == {"11011": 64}


# --- run-time control flow -----------------------------------------------------------------


def test_if_else_on_measured_bits_and_expressions(compiler: Compiler) -> None:
    body = """
qubit[6] q;
bit[2] m;
bit[4] r;
x q[0];
m[0] = measure q[0];                 // 1
m[1] = measure q[1];                 // 0
if (m[0] ^ m[1]) { x q[2]; } else { h q[2]; }
if (m[0] && !m[1]) x q[3];
if (m[1] || !m[0]) { x q[4]; } else { x q[5]; }
if (int[2](m) < 2) { h q[5]; }       // m = 1
r = measure q[2:5];
"""
    # outputs in declaration order: m (clbits 0-1) then r (clbits 2-5)
    counts = run(compiler, body, 400)
    # clbits: m (0-1), r (2-5); q5 = H|1> is random, q4 = 0, q3 = q2 = 1; m = 01
    assert {k[1:] for k in counts} == {"01101"} and {k[0] for k in counts} == {"0", "1"}
    c = compile_(compiler, body)
    assert any(o.cond is not None and len(o.cond) == 3 for o in c.operations)  # an else: "!="


def test_a_measured_angle_becomes_conditioned_rotations(compiler: Compiler) -> None:
    body = """
qubit[3] q;
bit[2] k;
angle[2] a;
x q[1];
measure q[0] -> a[0];                // 0
measure q[1] -> a[1];                // 1: a = pi
h q[2]; phase(a) q[2]; h q[2];       // H P(pi) H = X
k[0] = measure q[2];
"""
    # outputs: k (clbits 0-1), then a (clbits 2-3; a[1] = 1)
    assert run(compiler, body) == {"1001": 64}
    circuit = compile_(compiler, body)
    assert any(o.op == "P" and o.cond == ((3,), 1) for o in circuit.operations)  # a[1] is clbit 3


def test_runtime_switch_picks_one_case(compiler: Compiler) -> None:
    body = """
qubit[5] q;
bit[2] s;
bit[3] r;
x q[0];
s = measure q[0:1];                 // s = 1
switch (int[2](s)) { case 0 { x q[2]; } case 1, 3 { x q[3]; } default { x q[4]; } }
r = measure q[2:4];
"""
    assert run(compiler, body) == {"01001": 64}


def test_measured_bits_shift_and_scratch_clbits(compiler: Compiler) -> None:
    """``b <<= 1`` renames bits; a measured bit still read after its clbit is needed for the
    final value gets a scratch clbit, left of the outputs (a warning says so)."""
    body = """
qubit[2] q;
bit[2] b;
x q[0];
b[0] = measure q[0];     // s1 = 1
b <<= 1;                 // b = (0, s1)
b[0] = measure q[1];     // s2 = 0: b = (s2, s1)
if (b[1]) x q[1];        // reads s1 after s2 was written
b <<= 1;                 // b = (0, s2): s1 is shifted out
"""
    assert run(compiler, body) == {"100": 64}
    assert "scratch-clbits" in warnings(compiler, body)
    shifted = "qubit[2] q;\nbit[2] b;\nx q[0];\nb[0] = measure q[0];\nb <<= 1;\n"
    assert run(compiler, shifted) == {"10": 64}  # no scratch: the shift is a renaming
    assert warnings(compiler, shifted) == []


def test_while_on_a_measurement_is_bounded_and_warned(compiler: Compiler) -> None:
    body = """
qubit q;
bit b = 1;
while (b) { reset q; h q; b = measure q; }
"""
    assert run(compiler, body, 500) == {"0": 500}
    assert warnings(compiler, body) == ["bounded-while"]


def test_subroutine_results_measured_under_a_condition(compiler: Compiler) -> None:
    body = """
qubit[2] q;
bit r;
def probe(qubit a) -> bit { bit out; out = measure a; return out; }
x q[0];
r = probe(q[0]);                     // 1
if (r) { x q[1]; r = probe(q[1]); }  // written in place under the condition: 1
"""
    assert run(compiler, body) == {"1": 64}


# --- refused, with the construct and its line --------------------------------------------


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            "qubit q;\nbit b;\nint i = 0;\nb = measure q;\nif (b) { i = 1; }",
            [("qasm3-unsupported", 5)],
        ),
        ("qubit q;\nbit b = 1;", [("qasm3-unsupported", 2)]),
        ("output float f;\nqubit q;", [("qasm3-unsupported", 1)]),
        ("input int n;\nqubit q;", [("qasm3-unsupported", 1)]),
        ("qubit q;\ndelay[100ns] q;", [("qasm3-unsupported", 2)]),
        ("qubit q;\nduration d = 10ns;", [("qasm3-unsupported", 2)]),
        ("qubit q;\ncomplex[float[64]] z;", [("qasm3-unsupported", 2)]),
        (
            "qubit q;\nbit b;\nfor int i in [0:3] { b = measure q; if (b) { break; } }",
            [("qasm3-unsupported", 3)],
        ),
        ("gate g a { g a; }\nqubit q;", [("qasm-syntax", 1)]),
        ("gate g a { nope a; }\nqubit q;", [("qasm-syntax", 1)]),
        ("qubit[2] q;\ncx q[0], q[0];", [("qasm-syntax", 2)]),
        ("qubit[2] q;\nx q[2];", [("qasm-syntax", 2)]),
        ("qubit q;\nint i = 1 / 0;", [("numeric-error", 2)]),
        ("qubit q;\nint i = 2 ** 1000;", [("numeric-error", 2)]),
        ("qubit q;\nbit b;\nb = measure q;\nrz(b * b) q;", [("qasm3-unsupported", 4)]),
        ("const int k = 1;\nqubit q;\nbit[2] b;\nb = measure q;", [("qasm-syntax", 4)]),
        ("qubit q;\nlet c = undefined_name;", [("qasm3-unsupported", 2)]),
        ("qubit q;\nrx(theta) q;", [("qasm-syntax", 2)]),
        ('qubit q;\ndefcalgrammar "openpulse";', [("qasm3-unsupported", 2)]),
    ],
)
def test_refusals_name_the_construct_and_line(
    compiler: Compiler, body: str, expected: list[tuple[str, int]]
) -> None:
    assert rules(compiler, body) == expected


def test_refusal_messages(compiler: Compiler) -> None:
    with pytest.raises(CompilationFailedError) as info:
        compiler.compile(
            CompileRequest(
                QasmSource(HEAD + "qubit q;\nbit b;\nint i = 0;\nb = measure q;\nif (b) { i = 1; }")
            )
        )
    assert "assigning 'i' under a run-time condition" in info.value.diagnostics[0].message
    with pytest.raises(CompilationFailedError) as info:
        compiler.compile(CompileRequest(QasmSource(HEAD + "qubit q;\nbit b = 1;")))
    assert "output b[0] is the constant 1" in info.value.diagnostics[0].message


# --- limits --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "rule"),
    [
        ("qubit q;\nwhile (true) { x q; }", "too-many-operations"),
        ("qubit q;\nint i = 0;\nwhile (true) { i += 1; }", "too-many-operations"),
        ("qubit q;\nfor int i in [0:999999] { }", "too-many-operations"),
        ("qubit q;\ndef f(int n) -> int { return f(n + 1); }\nint x = f(0);", "too-deep"),
        ("gate g a { x a; }\nqubit q;\npow(100000000) @ g q;", "too-many-operations"),
        (
            "qubit q;\nbit b;\nb = measure q;\n"
            "while (b) { for int i in [0:999] { h q; } b = measure q; }",
            "too-many-operations",
        ),
    ],
)
def test_every_unrolling_stops_at_a_limit(compiler: Compiler, body: str, rule: str) -> None:
    t0 = time.perf_counter()
    found = rules(compiler, body, Limits(max_qasm3_expanded_gates=20_000))
    assert [r for r, _ in found] == [rule] and all(line > 0 for _, line in found)
    assert time.perf_counter() - t0 < 10


def test_huge_conditions_on_measured_bits_are_refused_at_once(compiler: Compiler) -> None:
    parity = " ^ ".join(f"c[{i}]" for i in range(40))
    body = f"qubit[40] q;\nbit[40] c;\nc = measure q;\nif ({parity}) x q[0];"
    t0 = time.perf_counter()
    assert rules(compiler, body) == [("qasm3-unsupported", 4)]
    assert time.perf_counter() - t0 < 5


def test_the_budget_counts_expanded_operations(compiler: Compiler) -> None:
    body = "qubit[2] q;\nfor int i in [0:999] { h q; }"
    assert len(compile_(compiler, body, options={"optimization_level": "0"}).operations) == 2000
    small = Limits(max_qasm3_expanded_gates=1000)
    assert rules(compiler, body, small) == [("too-many-operations", 2)]
