"""One meaning per program (issue 15 item 4): compile-time ``sum`` gives the same bits on every
supported interpreter, and the same bits as a local run of the program.

``numerics.python_sum`` is CPython 3.12/3.13's compensated ``sum`` written out; the compiler
folds with it, ``eigen_lang`` runs programs locally with ``eigen_sum`` (the same algorithm). The
cross-interpreter test loads the standard-library-only ``numerics.py`` into each Python it finds
(the running one and pyenv's 3.11, 3.12, 3.13) and compares what they compute, with each other,
with CPython's own ``sum`` on 3.12+, and with the digest committed here.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from eigen_compiler.frontends.eigen_lang import lower_program
from eigen_compiler.frontends.eigen_lang import numerics as numerics_module
from eigen_compiler.frontends.eigen_lang.numerics import python_sum
from eigen_lang.program import eigen_sum

NUMERICS = Path(numerics_module.__file__)
#: sha256 of the folded corpus of :data:`PROBE` (CPython 3.12.1 and 3.13.0 compute the same).
GOLDEN_DIGEST = "42bfa25b64619e32f3e312cc252fc8c6cd33a2aa16c29a7a8634102513f8a48a"
PROBE = textwrap.dedent(
    """
    import hashlib, importlib.util, json, random, sys
    spec = importlib.util.spec_from_file_location("numerics", sys.argv[1])
    numerics = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(numerics)
    rng = random.Random(2024)
    special = [0.1, 0.2, 0.3, 1e16, -1e16, 1e308, -1e308, 5e-324, -0.0, 2**63 - 1, 2**63, True]
    def item():
        k = rng.random()
        if k < 0.55:
            return rng.uniform(-1000.0, 1000.0) * 10.0 ** rng.randint(-18, 18)
        if k < 0.75:
            return rng.randint(-10**6, 10**6)
        return rng.choice(special)
    def text(value):
        return value.hex() if isinstance(value, float) else repr(value)
    ours, builtin = [], []
    for _ in range(4000):
        items = [item() for _ in range(rng.randint(0, 12))]
        start = rng.choice([0, 0, 0, 0.5, 7])
        ours.append(text(numerics.python_sum(items, start)))
        builtin.append(text(sum(items, start)))
    ours.append(text(numerics.python_sum((0.1, 0.2, 0.3))))
    builtin.append(text(sum((0.1, 0.2, 0.3))))
    def digest(lines):
        return hashlib.sha256("\\n".join(lines).encode()).hexdigest()
    print(json.dumps({"version": sys.version.split()[0], "digest": digest(ours),
                      "builtin_digest": digest(builtin)}))
    """
)


def _interpreters() -> dict[str, str]:
    """The running Python and pyenv's 3.11, 3.12 and 3.13 (the latest installed of each)."""
    found = {".".join(map(str, sys.version_info[:3])): sys.executable}
    root = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"
    for minor in ("3.11", "3.12", "3.13"):
        candidates = sorted(
            root.glob(f"{minor}.*/bin/python"),
            key=lambda p: [int(x) for x in p.parts[-3].split(".") if x.isdigit()],
        )
        if candidates:
            found.setdefault(candidates[-1].parts[-3], str(candidates[-1]))
    return found


def _program(expression: str) -> str:
    return (
        "from eigen_lang import QubitRegister, hybrid_program, rx\n"
        "@hybrid_program\n"
        "def p():\n"
        "    q = QubitRegister(1)\n"
        f"    rx({expression}, q[0])\n"
    )


@pytest.mark.parametrize(
    ("expression", "value"),
    [
        ("sum((0.1, 0.2, 0.3))", 0.6),
        ("sum((0.1, 0.2, 0.3)) / max([1, 2, 3])", 0.19999999999999998),
        ("sum([0.1] * 10)", 1.0),
        ("sum((1e100, 1.0, -1e100))", 1.0),
        ("sum((1e100, 1, -1e100))", 0.0),  # 64-bit integers join uncompensated, as in 3.12
        ("sum(np.linspace(0, 1, 11))", 5.5),
    ],
)
def test_compile_time_sum_is_the_same_on_every_interpreter(expression: str, value: float) -> None:
    source = "import numpy as np\n" + _program(expression)
    (op,) = lower_program(source).circuit.operations
    assert op.params[0] == value and str(op.params[0]) == repr(value)


def test_sum_still_rejects_what_eigen_lang_does_not_add() -> None:
    from eigen_common.errors import CompilationFailedError

    for expression, rule in [
        ("sum((True, 1.0))", "bad-argument"),
        ("sum((1e308, 1e308))", "numeric-error"),
        ("sum(('a', 'b'))", "bad-argument"),
        ("sum((2**1023, 2**1023))", "numeric-error"),
    ]:
        with pytest.raises(CompilationFailedError) as info:
            lower_program(_program(expression))
        assert [d.rule for d in info.value.diagnostics] == [rule], expression


NUMBERS = st.one_of(
    st.floats(allow_nan=False),
    st.integers(-(2**70), 2**70),
    st.sampled_from([0.1, 0.2, 0.3, 1e308, -1e308, 5e-324, -0.0, 2**63 - 1, 2**63, True]),
)


def _same(a: object, b: object) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return a.hex() == b.hex() or (math.isnan(a) and math.isnan(b))
    return type(a) is type(b) and a == b


@settings(max_examples=400, deadline=None, database=None, derandomize=True)
@given(st.lists(NUMBERS, max_size=12), st.sampled_from([0, 0.5, 2**64]))
def test_the_compiler_and_eigen_lang_sum_alike(items: list[float], start: float) -> None:
    """The algorithm lives in both packages (neither may import the other): one result."""
    folded = python_sum(items, start)
    assert _same(folded, eigen_sum(items, start)), (items, start)
    as_numpy = [np.float64(x) if type(x) is float else x for x in items]
    with np.errstate(over="ignore"):  # numpy warns where Python silently reaches inf
        local = eigen_sum(as_numpy, start)
    assert _same(folded, float(local) if isinstance(local, float) else local), "numpy floats"


@pytest.mark.skipif(sys.version_info < (3, 12), reason="the builtin is compensated from 3.12")
@settings(max_examples=400, deadline=None, database=None, derandomize=True)
@given(st.lists(NUMBERS, max_size=12), st.sampled_from([0, 0.5, 7, 2**64]))
def test_it_is_the_builtin_of_python_312(items: list[float], start: float) -> None:
    assert _same(python_sum(items, start), sum(items, start))


def test_every_interpreter_gives_the_same_bits() -> None:
    interpreters = _interpreters()
    results = {}
    for version, python in interpreters.items():
        done = subprocess.run(
            [python, "-I", "-c", PROBE, str(NUMERICS)],
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        )
        results[version] = done.stdout

    parsed = {v: json.loads(out) for v, out in results.items()}
    digests = {v: p["digest"] for v, p in parsed.items()}
    assert set(digests.values()) == {GOLDEN_DIGEST}, digests
    for version, p in parsed.items():
        # 3.12+'s own sum is exactly this; 3.11's is not (the probe sees the difference)
        modern = tuple(int(x) for x in version.split(".")[:2]) >= (3, 12)
        assert (p["builtin_digest"] == GOLDEN_DIGEST) == modern, (version, p)
