"""Fuzz the compiler's front ends with Hypothesis: no crash, no hang, every failure typed.

Each front end (``qasm2``, ``qasm3``, ``eigen-lang``) gets three kinds of input: programs drawn
from a small grammar of its language (declarations with huge sizes, nested gate definitions,
extreme literals, deep nesting), real programs (the vendored QASMBench / OpenQASM 3 corpus, the
Eigen-Lang conformance programs) mutated by deleting, duplicating and inserting spans and
hostile snippets, and raw text. Every input goes through the whole pipeline
(``Compiler.compile``: front end, optimisation, canonical AQO). The property:

- the call returns a result whose AQO parses back, or raises an
  :class:`~eigen_common.errors.EigenError` with a stable client-facing reason (never INTERNAL),
  and a COMPILATION_FAILED error carries positioned-or-not diagnostics with a rule and message;
- no other exception escapes (a Rust panic, a ``ValueError`` from JSON, ...);
- no input takes longer than ``--deadline`` seconds (``SIGALRM``).

The compiler runs in this process with ``max_operations`` lowered to :data:`MAX_OPERATIONS`:
Qiskit needs about 13 KB and 0.15 ms per operation to transpile, so programs at the service's
default limit (10^6 operations) need gigabytes — in the service the sandbox's memory and time
budget ends those (``tests/test_sandbox.py``); here they would only end the fuzzing process.

Run it in a process with an address-space cap (``tests/test_fuzz.py`` does, through
``capped_run.run_capped``); docs/fuzzing.md gives the long run. Prints one JSON summary line per
front end; exits non-zero with Hypothesis's falsifying example when the property fails.
"""

from __future__ import annotations

import argparse
import json
import re
import signal
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from types import FrameType
from typing import Any

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

ROOT = Path(__file__).resolve().parents[3]
QASMBENCH = sorted((ROOT / "tests/corpus/qasmbench/small").rglob("*.qasm"))
OPENQASM3 = sorted((ROOT / "tests/corpus/openqasm3").glob("*.qasm"))
EIGEN = sorted((Path(__file__).parent / "programs/valid").glob("*.eigen.py"))
#: Operations one fuzzed program may expand to (see the module docstring).
MAX_OPERATIONS = 20_000
TYPED_REASONS = {"COMPILATION_FAILED", "UNSUPPORTED_FORMAT", "VALIDATION_FAILED", "INVALID_OPTION"}


class Deadline(Exception):
    """One input ran past its deadline (a hang)."""


def _alarm(signum: int, frame: FrameType | None) -> None:
    raise Deadline


# --- shared pieces ---------------------------------------------------------------------------

SIZES = st.one_of(
    st.integers(0, 8),
    st.sampled_from(
        ["1024", "1025", "4096", "2147483647", "99999999999999999999999", "0x7fffffff", "-1"]
    ),
).map(str)
NUMBERS = st.one_of(
    st.sampled_from(["0", "1", "pi", "1.5", "1e308", "1e999", "9", "-0.0", "0.0001"]),
    st.floats(allow_nan=False, allow_infinity=False, width=32).map(repr),
    st.integers(-(10**6), 10**6).map(str),
)


def expressions(power: str) -> st.SearchStrategy[str]:
    """Arithmetic over :data:`NUMBERS` (``power`` is ``^`` in OpenQASM 2, ``**`` in 3)."""
    return st.recursive(
        NUMBERS,
        lambda inner: st.one_of(
            st.tuples(inner, st.sampled_from(["+", "-", "*", "/", power]), inner).map(" ".join),
            inner.map(lambda x: f"({x})"),
            st.tuples(st.sampled_from(["sin", "cos", "exp", "sqrt", "tan"]), inner).map(
                lambda t: f"{t[0]}({t[1]})"
            ),
            inner.map(lambda x: f"-{x}"),
        ),
        max_leaves=8,
    )


def mutated(texts: Sequence[str], snippets: Sequence[str]) -> st.SearchStrategy[str]:
    """``texts`` edited: spans deleted or duplicated, snippets or random text inserted."""

    @st.composite
    def build(draw: st.DrawFn) -> str:
        text = draw(st.sampled_from(texts))
        for _ in range(draw(st.integers(1, 4))):
            n = len(text)
            i = draw(st.integers(0, n))
            j = draw(st.integers(i, min(n, i + 80)))
            action = draw(st.sampled_from(["delete", "duplicate", "snippet", "text", "digits"]))
            if action == "delete":
                text = text[:i] + text[j:]
            elif action == "duplicate":
                text = text[:j] + text[i:j] * draw(st.integers(1, 50)) + text[j:]
            elif action == "snippet":
                text = text[:i] + "\n" + draw(st.sampled_from(snippets)) + "\n" + text[i:]
            elif action == "text":
                text = text[:i] + draw(st.text(max_size=20)) + text[i:]
            else:
                text = re.sub(r"\d+", lambda m: draw(SIZES), text, count=1)
        return text

    return build()


def nested_gates() -> st.SearchStrategy[str]:
    """``gate g_i a { g_{i-1} a; ... }`` chains of a random depth and fan-out."""

    @st.composite
    def build(draw: st.DrawFn) -> str:
        depth, fan = draw(st.integers(1, 30)), draw(st.integers(1, 4))
        lines = ["gate g0 a { x a; }"]
        for i in range(1, depth + 1):
            lines.append(f"gate g{i} a {{ " + f"g{i - 1} a; " * fan + "}")
        return "\n".join([*lines, f"g{depth} q[0];"])

    return build()


# --- OpenQASM 2 --------------------------------------------------------------------------------

Q2_STATEMENTS = st.one_of(
    st.tuples(st.sampled_from(["qreg", "creg"]), st.sampled_from("qcr"), SIZES).map(
        lambda t: f"{t[0]} {t[1]}[{t[2]}];"
    ),
    st.tuples(st.sampled_from(["rx", "ry", "rz", "u1", "p"]), expressions("^"), SIZES).map(
        lambda t: f"{t[0]}({t[1]}) q[{t[2]}];"
    ),
    st.tuples(st.sampled_from(["h", "x", "cx", "ccx", "swap", "barrier", "reset"])).map(
        lambda t: f"{t[0]} q;"
    ),
    st.sampled_from(["measure q -> c;", "if (c == 1) x q[0];", "opaque m a;", "barrier q;"]),
    nested_gates(),
)
QASM2 = st.one_of(
    st.lists(Q2_STATEMENTS, max_size=12).map(
        lambda s: 'OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[4];\ncreg c[4];\n' + "\n".join(s)
    ),
    mutated(
        [p.read_text() for p in QASMBENCH],
        [
            "qreg z[2147483647];",
            "rx(9^9^9) q[0];",
            "barrier q;" * 50,
            "(" * 200,
            "}",
            "x q[99999999999999999999];",
        ],
    ),
    st.text(max_size=300).map(lambda t: "OPENQASM 2.0;\n" + t),
)

# --- OpenQASM 3 --------------------------------------------------------------------------------

Q3_STATEMENTS = st.one_of(
    st.tuples(st.sampled_from(["qubit", "bit"]), SIZES, st.sampled_from("rsz")).map(
        lambda t: f"{t[0]}[{t[1]}] {t[2]};"
    ),
    st.tuples(st.sampled_from(["rx", "ry", "rz", "p"]), expressions("**"), SIZES).map(
        lambda t: f"{t[0]}({t[1]}) q[{t[2]}];"
    ),
    st.tuples(st.sampled_from(["ctrl @ x", "inv @ h", "pow(3) @ x", "negctrl @ x"])).map(
        lambda t: f"{t[0]} q[0], q[1];"
    ),
    st.tuples(SIZES).map(lambda t: f"x ${t[0]};"),
    st.tuples(SIZES).map(lambda t: f"const int n = {t[0]};\nqubit[n] w;"),
    st.tuples(SIZES).map(lambda t: f"for int i in [0:{t[0]}] {{ x q[0]; }}"),
    st.sampled_from(
        [
            "c[0] = measure q[0];",
            "if (c[0]) { x q[1]; }",
            "while (true) { h q[0]; }",
            "input float theta;",
            "reset q[0];",
            "def f(qubit a) { x a; }",
            "gphase(pi);",
        ]
    ),
    nested_gates(),
)
QASM3 = st.one_of(
    st.lists(Q3_STATEMENTS, max_size=12).map(
        lambda s: 'OPENQASM 3.0;\ninclude "stdgates.inc";\nqubit[4] q;\nbit[4] c;\n' + "\n".join(s)
    ),
    mutated(
        [p.read_text() for p in OPENQASM3],
        ["qubit[2147483647] z;", "rx(1e999999) q[0];", "x $99999;", "{" * 200, "bit[9999999] b;"],
    ),
    st.text(max_size=300).map(lambda t: "OPENQASM 3.0;\n" + t),
)

# --- Eigen-Lang --------------------------------------------------------------------------------

EIGEN_SNIPPETS = [
    "    while True:\n        pass",
    "    x = eval('1')",
    "    for i in range(10**9):\n        h(0)",
    "    y = 9 ** 9 ** 9",
    "    z = (1,) * 10**8",
    "    rx(" + "-" * 300 + "1, 0)",
    "    import os",
    "    q2 = QubitRegister(2147483647)",
    "    barrier()",
    "    rx(sum((0.1, 0.2, 0.3)) / max([1, 2, 3]), 0)",
    "    a = np.linspace(0, 1, 100000)",
    "    t = ().__class__",
    "    measure_all()",
    "    return {'x': 1}",
    "import math\n",
    "@quantum_circuit\ndef loop(n):\n    loop(n)\n",
]
EIGEN_EXPRESSIONS = st.recursive(
    st.one_of(
        NUMBERS,
        st.sampled_from(["math.pi", "np.pi", "n", "q", "True", "None", "'s'", "(1, 2)", "[3]"]),
    ),
    lambda inner: st.one_of(
        st.tuples(inner, st.sampled_from(["+", "-", "*", "/", "**", "//", "%", "<", "=="]), inner)
        .map(" ".join)
        .map(lambda x: f"({x})"),
        st.tuples(
            st.sampled_from(["abs", "math.sqrt", "float", "int", "len", "sum", "max"]), inner
        ).map(lambda t: f"{t[0]}({t[1]})"),
        st.tuples(inner, inner).map(lambda t: f"({t[0]})[{t[1]}]"),
        st.tuples(inner, inner, inner).map(lambda t: f"({t[0]} if {t[1]} else {t[2]})"),
    ),
    max_leaves=10,
)
EIGEN_HEADER = (
    "import math\nimport numpy as np\nfrom eigen_lang import *\n\n"
    "@hybrid_program\ndef p(n: int = 3):\n    q = QubitRegister(4)\n"
)
EIGEN = st.one_of(
    st.lists(EIGEN_EXPRESSIONS, min_size=1, max_size=4).map(
        lambda exprs: EIGEN_HEADER + "".join(f"    rx({e}, q[0])\n" for e in exprs)
    ),
    mutated([p.read_text() for p in EIGEN], EIGEN_SNIPPETS),
    st.text(max_size=300),
)

STRATEGIES: dict[str, tuple[st.SearchStrategy[str], str]] = {
    "qasm2": (QASM2, "qasm"),
    "qasm3": (QASM3, "qasm"),
    "eigen-lang": (EIGEN, "eigen"),
}


def run(front_end: str, examples: int, deadline: int, derandomize: bool) -> dict[str, Any]:
    """Fuzz one front end; return counts of outcomes. Raises on the first violation."""
    from eigen_common.errors import CompilationFailedError, EigenError
    from eigen_compiler.model import CompileRequest, EigenLangSource, Limits, QasmSource
    from eigen_compiler.optimize import PassManagerCache
    from eigen_compiler.pipeline import Compiler
    from eigen_ir import aqo

    compiler = Compiler(Limits(max_operations=MAX_OPERATIONS), PassManagerCache())
    strategy, kind = STRATEGIES[front_end]
    outcomes: Counter[str] = Counter()

    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        derandomize=derandomize,
        phases=[Phase.explicit, Phase.generate, Phase.shrink],
        suppress_health_check=list(HealthCheck),
    )
    @given(strategy)
    def compile_anything(text: str) -> None:
        source = QasmSource(text) if kind == "qasm" else EigenLangSource(text)
        signal.alarm(deadline)
        try:
            result = compiler.compile(CompileRequest(source))
        except EigenError as exc:
            assert exc.reason in TYPED_REASONS, (exc.reason, exc.message)
            if isinstance(exc, CompilationFailedError):
                assert exc.diagnostics, exc.message
                assert all(d.rule and d.message for d in exc.diagnostics), exc.diagnostics
                for d in exc.diagnostics:
                    outcomes[d.rule] += 1
            else:
                outcomes[exc.reason] += 1
            return
        finally:
            signal.alarm(0)
        aqo.parse(result.aqo_json)  # canonical AQO that parses back
        outcomes["ok"] += 1

    compile_anything()
    return {"front_end": front_end, "examples": sum(outcomes.values()), "outcomes": outcomes}


def main(argv: Sequence[str] | None = None) -> None:
    """Fuzz the named front ends (all by default) and print a JSON summary line for each."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("front_ends", nargs="*", default=list(STRATEGIES))
    parser.add_argument("--examples", type=int, default=200, help="inputs per front end")
    parser.add_argument("--deadline", type=int, default=20, help="seconds per input")
    parser.add_argument("--random", action="store_true", help="a new random run (not derandomised)")
    args = parser.parse_args(argv)
    signal.signal(signal.SIGALRM, _alarm)
    for front_end in args.front_ends:
        summary = run(front_end, args.examples, args.deadline, derandomize=not args.random)
        print(json.dumps(summary), flush=True)


if __name__ == "__main__":
    main()
