"""A local run folds ``sum`` as the compiler does, on every interpreter (issue 15 item 4).

Eigen-Lang's ``sum`` is CPython 3.12's compensated algorithm; Python 3.11's builtin is not
compensated, so a program run locally under 3.11 used to compute other bits than the compiler.
During a run the program's module sees :func:`eigen_lang.program.eigen_sum` as ``sum``.
"""

from __future__ import annotations

import sys
import types

import numpy as np
import pytest

from eigen_lang import QubitRegister, hybrid_program, rx
from eigen_lang.program import eigen_sum


def _module(source: str) -> types.ModuleType:
    """A program module as a user's file would be (its own globals, builtins as usual)."""
    module = types.ModuleType("eigen_user_program")
    exec(compile(source, "<program>", "exec"), module.__dict__)
    return module


PROGRAM = """
from eigen_lang import QubitRegister, hybrid_program, rx

def angle():
    return sum((0.1, 0.2, 0.3)) / max([1, 2, 3])

@hybrid_program
def program():
    q = QubitRegister(1)
    rx(angle(), q[0])
"""


def test_a_local_run_sums_with_the_compilers_algorithm() -> None:
    module = _module(PROGRAM)
    qc = module.program.build()
    (angle,) = qc.data[0].operation.params
    assert float(angle) == 0.19999999999999998  # 0.20000000000000004 with 3.11's builtin
    assert "sum" not in module.__dict__  # the module is left as it was
    assert module.angle() == sum((0.1, 0.2, 0.3)) / 3  # outside a run: Python's own sum


def test_a_program_that_defines_sum_keeps_it() -> None:
    module = _module(PROGRAM + "\ndef sum(values):\n    return 1.0\n")
    (angle,) = module.program.build().data[0].operation.params
    assert float(angle) == 1.0 / 3
    assert module.sum((5.0,)) == 1.0


@hybrid_program
def nested_runs() -> None:
    q = QubitRegister(1)
    rx(sum([0.1] * 10), q[0])


def test_known_values_on_every_interpreter() -> None:
    assert eigen_sum((0.1, 0.2, 0.3)) == 0.6
    assert eigen_sum([0.1] * 10) == 1.0
    assert eigen_sum((1e100, 1.0, -1e100)) == 1.0
    assert eigen_sum((1e100, 1, -1e100)) == 0.0  # 64-bit ints join uncompensated, as in 3.12
    assert eigen_sum(np.linspace(0, 1, 11)) == 5.5 and isinstance(eigen_sum((1, 2.5)), float)
    assert eigen_sum((1, 2, 3)) == 6 and eigen_sum((2**70, 1)) == 2**70 + 1
    assert eigen_sum([], 0.5) == 0.5
    with pytest.raises(TypeError):
        eigen_sum(["a"], "")
    (angle,) = nested_runs.build().data[0].operation.params
    assert float(angle) == 1.0


@pytest.mark.skipif(sys.version_info < (3, 12), reason="the builtin is compensated from 3.12")
def test_it_is_the_builtin_of_python_312() -> None:
    rng = np.random.default_rng(12)
    for _ in range(2000):
        values = list(rng.normal(0, 1, rng.integers(0, 12)) * 10.0 ** rng.integers(-15, 15, 1))
        items = [float(v) for v in values] + [int(rng.integers(-1000, 1000))]
        ours, builtin = eigen_sum(items), sum(items)
        assert type(ours) is type(builtin) and repr(ours) == repr(builtin), items
