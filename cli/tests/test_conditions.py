"""Classically conditioned operations in the CLI's circuit listings show their own comparison.

AQO's ``cond`` is ``{c, value}`` (equal) or ``{c, value, cmp: "!="}`` (docs/aqo.md); the
OpenQASM 3 lowering writes ``if (c != 1)`` on a two-bit register as one ``!=`` condition.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from cli.tests.conftest import Api
from eigen_ir import aqo
from eigen_os.cli import render
from eigen_os.cli.compilecmd import mapped_circuit_text

#: Long enough (> DRAW_MAX_OPERATIONS once transpiled) to be listed rather than drawn; the
#: condition comes first so it is among the listed operations.
_BODY = "".join(
    f"rz({0.001 * (k + 1):.3f}) q[{k % 3}];\ncx q[{k % 3}], q[{(k + 1) % 3}];\n" for k in range(260)
)
NEQ_QASM3 = (
    'OPENQASM 3.0;\ninclude "stdgates.inc";\nqubit[3] q;\nbit[2] c;\nh q[0];\nh q[1];\n'
    "c = measure q[0:1];\nif (c != 1) x q[2];\n" + _BODY
)


def _conditioned(cmp: str | None, qubits: int = 2) -> aqo.Circuit:
    cond: dict[str, object] = {"c": [0, 1], "value": 1}
    if cmp is not None:
        cond["cmp"] = cmp
    return aqo.parse(
        {
            "version": "0.1",
            "qubits": qubits,
            "clbits": 2,
            "operations": [
                *({"op": "H", "q": [q]} for q in range(qubits)),
                {"op": "MEASURE", "q": [0, 1], "c": [0, 1]},
                {"op": "X", "q": [qubits - 1], "cond": cond},
            ],
        }
    )


def test_cond_text_shows_the_conditions_comparison() -> None:
    assert render.cond_text(None) == ""
    assert render.cond_text(((0, 1), 1)) == " if c[0, 1]==1"
    assert render.cond_text(((0, 1), 1, "!=")) == " if c[0, 1]!=1"
    assert render.cond_text(((2,), 0, "==")) == " if c[2]==0"


def test_listings_keep_not_equal() -> None:
    # the gate list (drawing without Qiskit) and the listing of a wide mapped circuit
    assert "  x q[1] if c[0, 1]!=1" in render._ops_listing(_conditioned("!="))
    assert "  x q[1] if c[0, 1]==1" in render._ops_listing(_conditioned(None))
    wide = mapped_circuit_text(_conditioned("!=", qubits=20), 120)
    assert wide.startswith("22 operations on 20 physical qubits")
    assert "  x q[19] if c[0, 1]!=1" in wide and "==" not in wide


def test_compile_lists_a_not_equal_condition(api: Api, tmp_path: Path) -> None:
    program = tmp_path / "neq.qasm"
    program.write_text(NEQ_QASM3)
    data = json.loads(api.cli("compile", str(program), "--json").stdout)
    conds = [o["cond"] for o in data["aqo_json"]["operations"] if "cond" in o]
    assert conds == [{"c": [0, 1], "value": 1, "cmp": "!="}]  # what the listing must show
    r = api.cli("compile", str(program), "--target", "sim:noisy")
    assert r.exit_code == 0, r.output
    assert "operations on 3 physical qubits" in r.stdout  # listed, not drawn
    listed = [line for line in r.stdout.splitlines() if " if c[" in line]
    assert len(listed) == 1 and re.fullmatch(r"  x q\[\d\] if c\[0, 1\]!=1", listed[0]), listed
