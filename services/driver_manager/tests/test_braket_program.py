"""AQO → OpenQASM 3 for Amazon Braket: what it cannot run (run-time control flow from OpenQASM 3
``if``/``while``, resets, unbound parameters) is refused naming the feature; bound affine
parameters translate like numbers."""

from __future__ import annotations

import re

import pytest

from eigen_common.errors import InvalidArgumentError
from eigen_driver_manager.braket_program import to_openqasm
from eigen_ir import aqo


def circuit(ops: list[dict[str, object]], params: list[str] | None = None) -> aqo.Circuit:
    return aqo.parse(
        {"version": "0.1", "qubits": 2, "clbits": 2, "parameters": params or [], "operations": ops}
    )


@pytest.mark.parametrize(
    ("op", "words"),
    [
        (
            {"op": "X", "q": [1], "cond": {"c": [0], "value": 1}},
            ["conditioned on measured clbits [0] == 1", "run-time classical control"],
        ),
        (
            {"op": "X", "q": [1], "cond": {"c": [0, 1], "value": 0, "cmp": "!="}},
            ["conditioned on measured clbits [0, 1] != 0", "`while`"],
        ),
        ({"op": "RESET", "q": [1]}, ["RESET", "mid-circuit reset"]),
    ],
)
def test_run_time_control_is_refused_by_name(op: dict[str, object], words: list[str]) -> None:
    c = circuit([{"op": "H", "q": [0]}, {"op": "MEASURE", "q": [0], "c": [0]}, op])
    with pytest.raises(InvalidArgumentError) as info:
        to_openqasm(c)
    assert info.value.reason == "UNSUPPORTED_INSTRUCTION"
    assert info.value.message.startswith("Amazon Braket cannot run this circuit: operations[2]")
    assert all(w in info.value.message for w in words)


def test_parameter_expressions_translate_once_bound() -> None:
    c = circuit(
        [
            {"op": "RX", "q": [0], "params": [{"terms": {"a": 2.0}, "offset": 0.1}]},
            {"op": "MEASURE", "q": [0, 1], "c": [0, 1]},
        ],
        ["a"],
    )
    with pytest.raises(InvalidArgumentError, match=re.escape("unbound parameter '2.0*a + 0.1'")):
        to_openqasm(c)
    source, pairs = to_openqasm(aqo.bind(c, {"a": 0.5}))
    assert "rx(1.1) q[0];" in source and pairs == [(0, 0), (1, 1)]
