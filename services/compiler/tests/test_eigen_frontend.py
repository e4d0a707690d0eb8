from __future__ import annotations

import math
import textwrap

import pytest

from eigen_common.errors import CompilationFailedError
from eigen_compiler.frontends.eigen_lang import lower_program
from eigen_compiler.model import CompileRequest, EigenLangSource, Limits
from eigen_compiler.pipeline import Compiler
from eigen_ir import aqo
from eigen_ir.aqo_qiskit import from_qiskit

BELL = '''\
"""Bell pair."""
from eigen_lang import QubitRegister, cx, h, hybrid_program, measure_all


@hybrid_program(target="sim:local", shots=1024)
def bell():
    q = QubitRegister(2)
    h(q[0])
    cx(q[0], q[1])
    measure_all(q)
'''


def ops(source: str, **kw: object) -> list[tuple[object, ...]]:
    prog = lower_program(textwrap.dedent(source), **kw)  # type: ignore[arg-type]
    return [(o.op, o.q, o.c, o.params) for o in prog.circuit.operations]


def rejected(source: str, **kw: object) -> list[tuple[str, int]]:
    with pytest.raises(CompilationFailedError) as info:
        lower_program(textwrap.dedent(source), **kw)  # type: ignore[arg-type]
    assert info.value.reason == "COMPILATION_FAILED"
    return [(d.rule, d.line) for d in info.value.diagnostics]


# --- valid programs ---------------------------------------------------------------------


def test_bell_lowers_to_expected_operations() -> None:
    prog = lower_program(BELL)
    assert prog.entrypoint == "bell"
    assert prog.options == {"target": "sim:local", "shots": 1024}
    assert (prog.circuit.qubits, prog.circuit.clbits) == (2, 2)
    assert ops(BELL) == [
        ("H", (0,), (), ()),
        ("CX", (0, 1), (), ()),
        ("MEASURE", (0,), (0,), ()),
        ("MEASURE", (1,), (1,), ()),
    ]


def test_integer_qubits_classical_registers_and_rotations() -> None:
    src = """
    import math
    import numpy as np
    from eigen_lang import ClassicalRegister, hybrid_program, measure, rx, rz, u, reset, barrier

    HALF = 0.5

    @hybrid_program
    def prog():
        c = ClassicalRegister(2)
        theta = math.pi / 4 + np.pi ** 2 - math.sqrt(4) * HALF
        rx(theta, 0)
        rz(-math.pi, 1)
        u(1, 2.5, -(3 // 2), 1)
        reset(0)
        barrier()
        measure(0, c[1])
        measure(1, 0)
    """
    theta = math.pi / 4 + math.pi**2 - math.sqrt(4) * 0.5
    assert ops(src) == [
        ("RX", (0,), (), (theta,)),
        ("RZ", (1,), (), (-math.pi,)),
        ("U", (1,), (), (1.0, 2.5, -1.0)),
        ("RESET", (0,), (), ()),
        ("BARRIER", (0, 1), (), ()),
        ("MEASURE", (0,), (1,), ()),
        ("MEASURE", (1,), (0,), ()),
    ]


def test_registers_broadcast_and_concatenate() -> None:
    src = """
    from eigen_lang import *

    @hybrid_program()
    def prog():
        a = QubitRegister(2)
        b = QubitRegister(2, name="b")
        c = ClassicalRegister(size=4)
        h(a)
        cx(a, b)
        cz(a[0], b)
        d = ClassicalRegister(2)
        measure(b, d)
        measure_all(a[-1])
    """
    assert ops(src) == [
        ("H", (0,), (), ()),
        ("H", (1,), (), ()),
        ("CX", (0, 2), (), ()),
        ("CX", (1, 3), (), ()),
        ("CZ", (0, 2), (), ()),
        ("CZ", (0, 3), (), ()),
        ("MEASURE", (2,), (4,), ()),
        ("MEASURE", (3,), (5,), ()),
        ("MEASURE", (1,), (6,), ()),
    ]
    assert rejected(src.replace("measure(b, d)", "measure(b, c[2])")) == [("bad-argument", 13)]
    assert rejected(src.replace("measure(b, d)", "cx(a, QubitRegister(3))")) == [
        ("bad-argument", 13)
    ]


def test_measure_all_appends_clbits_after_declared_ones() -> None:
    src = """
    from eigen_lang import ClassicalRegister, QubitRegister, hybrid_program, measure, measure_all, x

    @hybrid_program
    def prog():
        q = QubitRegister(3)
        c = ClassicalRegister(1)
        x(q[2])
        measure(q[2], c[0])
        measure_all()
    """
    prog = lower_program(textwrap.dedent(src))
    assert prog.circuit.clbits == 4
    assert [(o.q, o.c) for o in prog.circuit.operations if o.op == "MEASURE"] == [
        ((2,), (0,)),
        ((0,), (1,)),
        ((1,), (2,)),
        ((2,), (3,)),
    ]


def test_eigen_lang_spelling_module_alias_and_docstrings() -> None:
    src = '''
    """Seed spelling."""
    from __future__ import annotations
    import Eigen_lang as el
    from typing import Optional

    @el.hybrid_program(shots=10, optimization_level=2, seed=5, compiler="eigen")
    def main() -> None:
        """Docstring."""
        q: el.QubitRegister = el.QubitRegister(1)
        n: int = 3
        n += 1
        el.ry(n / 8, q[0])
        el.measure_all(q)
        return

    if __name__ == "__main__":
        print(main())
    '''
    prog = lower_program(textwrap.dedent(src))
    assert prog.options == {"shots": 10, "optimization_level": 2, "seed": 5, "compiler": "eigen"}
    assert prog.circuit.operations[0] == aqo.Operation("RY", (0,), (), (0.5,))


def test_parameters_take_defaults_and_inputs() -> None:
    src = """
    from eigen_lang import QubitRegister, hybrid_program, rx, measure_all

    @hybrid_program
    def prog(theta: float = 0.25, n=2, *, scale=2):
        q = QubitRegister(n)
        rx(theta * scale, q)
        measure_all(q)
    """
    assert ops(src)[0] == ("RX", (0,), (), (0.5,))
    got = ops(src, inputs={"theta": 1.0, "n": 3.0})
    assert got[:3] == [("RX", (i,), (), (2.0,)) for i in range(3)]
    prog = lower_program(textwrap.dedent(src), inputs={"nope": 1.0})
    assert [(w.rule, w.severity) for w in prog.warnings] == [("unused-input", "warning")]


def test_entrypoint_selects_among_programs() -> None:
    src = """
    from eigen_lang import hybrid_program, x, measure_all

    @hybrid_program
    def first():
        x(0)
        measure_all()

    @hybrid_program
    def second():
        x(1)
        measure_all()
    """
    assert lower_program(textwrap.dedent(src), entrypoint="second").circuit.qubits == 2
    assert rejected(src) == [("multiple-entrypoints", 10)]
    assert rejected(src, entrypoint="third") == [("unknown-entrypoint", 0)]


def test_local_recording_matches_compiler_lowering() -> None:
    """The local runtime and the compiler follow the same addressing rules."""
    src = textwrap.dedent("""
    import math
    from eigen_lang import *

    @hybrid_program(seed=1)
    def prog(theta=0.3):
        h(0)
        a = QubitRegister(2)
        cx(0, a[1])
        c = ClassicalRegister(1)
        crz(theta, a[0], 0)
        swap(1, 2)
        ccx(0, 1, 2)
        barrier(a)
        measure(a[0], c[0])
        measure_all()
        rzz(math.pi / 3, 0, 2)
        measure(2, 1)
    """)
    namespace: dict[str, object] = {}
    exec(compile(src, "<test program>", "exec"), namespace)  # trusted test program, run locally
    local = from_qiskit(namespace["prog"].build(theta=0.7))  # type: ignore[attr-defined]
    lowered = lower_program(src, inputs={"theta": 0.7}).circuit
    assert (lowered.qubits, lowered.clbits) == (local.qubits, local.clbits) == (3, 4)
    assert lowered.operations == local.operations


# --- invalid programs: rule and line ----------------------------------------------------

PREAMBLE = "from eigen_lang import *\nimport math\n"

INVALID: list[tuple[str, str, list[tuple[str, int]]]] = [
    ("syntax", "@hybrid_program\ndef p(:\n    pass\n", [("syntax", 4)]),
    (
        "forbidden import",
        "import os\n@hybrid_program\ndef p():\n    h(0)\n",
        [("forbidden-import", 3)],
    ),
    (
        "from import",
        "from subprocess import run\n",
        [("forbidden-import", 3), ("missing-entrypoint", 0)],
    ),
    ("relative import", "from . import x\n", [("forbidden-import", 3), ("missing-entrypoint", 0)]),
    ("no program", "X = 1\n", [("missing-entrypoint", 0)]),
    (
        "while",
        "@hybrid_program\ndef p():\n    while True:\n        h(0)\n",
        [("while", 5)],
    ),
    (
        "for else",
        "@hybrid_program\ndef p():\n    for i in range(2):\n        h(i)\n"
        "    else:\n        h(0)\n",
        [("unsupported-construct", 5)],
    ),
    (
        "if on a qubit",
        "@hybrid_program\ndef p():\n    q = QubitRegister(1)\n    if q[0]:\n        h(0)\n",
        [("non-constant-if", 6)],
    ),
    (
        "try",
        "@hybrid_program\ndef p():\n    try:\n        h(0)\n    except Exception:\n        pass\n",
        [("try", 5)],
    ),
    (
        "with",
        "@hybrid_program\ndef p():\n    with open('x'):\n        pass\n",
        [("with", 5), ("forbidden-call", 5)],
    ),
    ("class", "class A:\n    pass\n", [("class", 3), ("missing-entrypoint", 0)]),
    ("lambda", "@hybrid_program\ndef p():\n    f = lambda: 1\n", [("lambda", 5)]),
    ("eval", "@hybrid_program\ndef p():\n    eval('1')\n", [("forbidden-call", 5)]),
    ("exec in arg", "@hybrid_program\ndef p():\n    rx(exec('1'), 0)\n", [("forbidden-call", 5)]),
    (
        "__import__",
        "@hybrid_program\ndef p():\n    m = __import__('os')\n",
        [("forbidden-call", 5)],
    ),
    ("getattr", "@hybrid_program\ndef p():\n    getattr(math, 'pi')\n", [("forbidden-call", 5)]),
    ("dunder attr", "@hybrid_program\ndef p():\n    x = math.__dict__\n", [("dunder", 5)]),
    ("dunder name", "@hybrid_program\ndef p():\n    __builtins__\n", [("dunder", 5)]),
    ("unknown call", "@hybrid_program\ndef p():\n    print(1)\n", [("unknown-call", 5)]),
    (
        "math not allowlisted",
        "@hybrid_program\ndef p():\n    rx(math.factorial(3), 0)\n",
        [("unknown-call", 5)],
    ),
    ("global", "@hybrid_program\ndef p():\n    global X\n", [("global", 5)]),
    (
        "async",
        "async def f():\n    pass\n",
        [("async", 3), ("missing-entrypoint", 0)],
    ),
    (
        "helper function",
        "def helper():\n    pass\n",
        [("unsupported-function", 3), ("missing-entrypoint", 0)],
    ),
    (
        "other decorator",
        "@functools.wraps\ndef p():\n    pass\n",
        [("forbidden-decorator", 3), ("missing-entrypoint", 0)],
    ),
    ("module call", "@hybrid_program\ndef p():\n    h(0)\np()\n", [("forbidden-statement", 6)]),
    ("gate at module level", "h(0)\n", [("forbidden-statement", 3), ("missing-entrypoint", 0)]),
    (
        "register at module level",
        "Q = QubitRegister(2)\n",
        [("forbidden-call", 3), ("missing-entrypoint", 0)],
    ),
    ("wrong arity", "@hybrid_program\ndef p():\n    cx(0)\n", [("bad-argument", 5)]),
    ("gate kwargs", "@hybrid_program\ndef p():\n    rx(theta=1, qubit=0)\n", [("bad-argument", 5)]),
    ("angle not number", "@hybrid_program\ndef p():\n    rx('a', 0)\n", [("bad-argument", 5)]),
    ("bool angle", "@hybrid_program\ndef p():\n    rx(True, 0)\n", [("bad-argument", 5)]),
    (
        "index range",
        "@hybrid_program\ndef p():\n    q = QubitRegister(2)\n    x(q[2])\n",
        [("qubit-out-of-range", 6)],
    ),
    (
        "int after register",
        "@hybrid_program\ndef p():\n    q = QubitRegister(2)\n    x(3)\n",
        [("qubit-out-of-range", 6)],
    ),
    (
        "clbit range",
        "@hybrid_program\ndef p():\n    c = ClassicalRegister(1)\n    measure(0, 1)\n",
        [("clbit-out-of-range", 6)],
    ),
    ("duplicate qubit", "@hybrid_program\ndef p():\n    cx(1, 1)\n", [("duplicate-qubit", 5)]),
    (
        "register size",
        "@hybrid_program\ndef p():\n    q = QubitRegister(0)\n",
        [("bad-argument", 5)],
    ),
    (
        "slice",
        "@hybrid_program\ndef p():\n    q = QubitRegister(2)\n    h(q[0:1])\n",
        [("unsupported-expression", 6)],
    ),
    ("divide by zero", "@hybrid_program\ndef p():\n    rx(1 / 0, 0)\n", [("numeric-error", 5)]),
    ("overflow", "@hybrid_program\ndef p():\n    rx(10.0 ** 400, 0)\n", [("numeric-error", 5)]),
    ("huge int power", "@hybrid_program\ndef p():\n    n = 9 ** 9 ** 9\n", [("numeric-error", 5)]),
    (
        "sqrt negative",
        "@hybrid_program\ndef p():\n    rx(math.sqrt(-1), 0)\n",
        [("numeric-error", 5)],
    ),
    (
        "used before assignment",
        "@hybrid_program\ndef p():\n    x(n)\n    n = 1\n",
        [("unbound-name", 5)],
    ),
    ("missing input", "@hybrid_program\ndef p(theta):\n    rx(theta, 0)\n", [("missing-input", 4)]),
    ("varargs", "@hybrid_program\ndef p(*args):\n    pass\n", [("unsupported-parameter", 4)]),
    (
        "tuple assign",
        "@hybrid_program\ndef p():\n    a, b = 1, 2, 3\n",
        [("unsupported-assignment", 5)],
    ),
    (
        "return value",
        "@hybrid_program\ndef p():\n    return {'a': 1}\n",
        [("unsupported-statement", 5)],
    ),
    (
        "return early",
        "@hybrid_program\ndef p():\n    return\n    h(0)\n",
        [("unsupported-statement", 5)],
    ),
    (
        "decorator arg",
        "@hybrid_program(shots=-1, optimization_level=7)\ndef p():\n    h(0)\n",
        [("invalid-decorator-argument", 3), ("invalid-decorator-argument", 3)],
    ),
    (
        "nested def",
        "@hybrid_program\ndef p():\n    def inner():\n        pass\n",
        [("unsupported-construct", 5)],
    ),
    (
        "import in body",
        "@hybrid_program\ndef p():\n    import math\n",
        [("forbidden-import", 5)],
    ),
    (
        "unknown library name",
        "from eigen_lang import teleport\n",
        [("unknown-name", 3), ("missing-entrypoint", 0)],
    ),
]


@pytest.mark.parametrize(
    ("source", "expected"), [(s, e) for _, s, e in INVALID], ids=[n for n, _, _ in INVALID]
)
def test_invalid_program_names_rule_and_line(source: str, expected: list[tuple[str, int]]) -> None:
    assert rejected(PREAMBLE + source) == expected


def test_all_violations_are_collected_with_columns() -> None:
    src = PREAMBLE + (
        "import os\n"
        "@hybrid_program\n"
        "def p():\n"
        "    q = QubitRegister(2)\n"
        "    while True:\n"
        "        pass\n"
        "    f = lambda: ().__class__\n"
    )
    with pytest.raises(CompilationFailedError) as info:
        lower_program(src)
    got = [(d.rule, d.line, d.column) for d in info.value.diagnostics]
    assert got == [
        ("forbidden-import", 3, 1),
        ("while", 7, 5),
        ("lambda", 9, 9),
        ("dunder", 9, 17),
    ]
    assert all(d.hint for d in info.value.diagnostics if d.rule != "dunder")


def test_lowering_errors_are_collected_per_statement() -> None:
    src = PREAMBLE + (
        "@hybrid_program\ndef p():\n    q = QubitRegister(2)\n    h(q[5])\n    rx(q[0], q[1])\n"
    )
    with pytest.raises(CompilationFailedError) as info:
        lower_program(src)
    got = [(d.rule, d.line, d.column) for d in info.value.diagnostics]
    assert got == [("qubit-out-of-range", 6, 9), ("bad-argument", 7, 8)]


def test_columns_count_characters_not_bytes() -> None:
    line = "    ß = 1; q = QubitRegister(1); x(q[3])"
    with pytest.raises(CompilationFailedError) as info:
        lower_program(PREAMBLE + "@hybrid_program\ndef p():\n" + line + "\n")
    (diag,) = info.value.diagnostics
    assert (diag.rule, diag.line, diag.column) == ("qubit-out-of-range", 5, line.index("3]") + 1)


@pytest.mark.parametrize(
    ("source", "rule"),
    [
        ("", "empty-source"),
        ("   \n\n", "empty-source"),
        ("\x00\x01\x02binary", "syntax"),
        ("\ufffd\ufffe junk )))", "syntax"),
        ("x = (" * 300 + ")" * 300, "too-deep"),
        ("y = " + "-" * 5000 + "1\n", "too-deep"),
    ],
)
def test_garbage_is_rejected_cleanly(source: str, rule: str) -> None:
    assert rejected(source)[0][0] == rule


def test_limits_source_size_nodes_qubits_and_operations() -> None:
    assert rejected("#" * 300_000) == [("source-too-large", 0)]
    many = PREAMBLE + "@hybrid_program\ndef p():\n" + "    h(0)\n" * 60
    assert [r for r, _ in rejected(many, limits=Limits(max_ast_nodes=200))] == ["too-many-nodes"]
    wide = PREAMBLE + "@hybrid_program\ndef p():\n    q = QubitRegister(2000)\n"
    assert rejected(wide) == [("too-many-qubits", 5)]
    ops_src = (
        PREAMBLE + "@hybrid_program\ndef p():\n    q = QubitRegister(100)\n" + "    h(q)\n" * 3
    )
    assert rejected(ops_src, limits=Limits(max_operations=250)) == [("too-many-operations", 8)]


def test_compile_reports_decorator_options_and_uses_decorator_level(compiler: Compiler) -> None:
    src = BELL.replace("shots=1024", "shots=100, seed=9, optimization_level=0")
    result = compiler.compile(CompileRequest(EigenLangSource(src)))
    assert result.metrics["program.shots"] == "100"
    assert result.metrics["program.seed"] == "9"
    assert result.metrics["program.target"] == "sim:local"
    assert result.metrics["optimization_level"] == "0"
    explicit = compiler.compile(
        CompileRequest(EigenLangSource(src), options={"optimization_level": "2"})
    )
    assert explicit.metrics["optimization_level"] == "2"
    assert explicit.metrics["program.optimization_level"] == "0"
    assert result.metrics["language"] == "eigen-lang"
    assert (result.logical_qubits, result.depth, result.gate_count) == (2, 3, 2)


def test_gate_table_matches_aqo() -> None:
    from eigen_ir.gates import GATE_ARITY

    for name, spec in GATE_ARITY.items():
        assert aqo.GATES[name.upper()] == aqo.GateSpec(spec.num_qubits, spec.num_params)
    # every AQO gate but the ISA-only ones (ECR: a device's gate) is an Eigen-Lang function
    non_gates = {"MEASURE", "RESET", "BARRIER"}
    assert {n.upper() for n in GATE_ARITY} | non_gates | aqo.ISA_ONLY_GATES == set(aqo.GATES)
    assert not {n.upper() for n in GATE_ARITY} & aqo.ISA_ONLY_GATES
