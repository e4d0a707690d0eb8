from __future__ import annotations

import math

import numpy as np
import pytest
from qiskit.circuit import Parameter
from qiskit.quantum_info import Operator, Statevector

from eigen_lang import Param, QubitRegister, cx, hybrid_program, measure_all, rx, ry, u


@hybrid_program(shots=100, seed=3)
def param_prog() -> None:
    q = QubitRegister(2)
    theta = Param("theta")
    ry(theta, q[0])
    cx(q[0], q[1])
    rx(Param("phi"), q)  # broadcast over the register
    ry(Param("theta"), q[1])  # same name → same parameter
    measure_all(q)


def test_param_records_a_qiskit_parameter() -> None:
    qc = param_prog.build()
    assert [p.name for p in qc.parameters] == ["phi", "theta"]
    assert all(isinstance(p, Parameter) for p in qc.parameters)
    ops = [(i.operation.name, [str(a) for a in i.operation.params]) for i in qc.data]
    assert ops[:5] == [
        ("ry", ["theta"]),
        ("cx", []),
        ("rx", ["phi"]),
        ("rx", ["phi"]),
        ("ry", ["theta"]),
    ]


def test_bound_circuit_equals_the_numeric_program() -> None:
    values = {"theta": 0.3, "phi": -1.1}

    @hybrid_program
    def numeric() -> None:
        q = QubitRegister(2)
        ry(0.3, q[0])
        cx(q[0], q[1])
        rx(-1.1, q)
        ry(0.3, q[1])

    @hybrid_program
    def symbolic() -> None:
        q = QubitRegister(2)
        ry(Param("theta"), q[0])
        cx(q[0], q[1])
        rx(Param("phi"), q)
        ry(Param("theta"), q[1])

    qc = symbolic.build()
    bound = qc.assign_parameters({p: values[p.name] for p in qc.parameters})
    assert Operator(bound).equiv(Operator(numeric.build()))
    assert np.allclose(Statevector(bound).data, Statevector(numeric.build()).data)


def test_param_in_multi_angle_gate_and_value_semantics() -> None:
    @hybrid_program
    def prog() -> None:
        u(Param("a"), math.pi / 2, Param("b"), 0)

    qc = prog.build()
    assert [p.name for p in qc.parameters] == ["a", "b"]
    assert qc.data[0].operation.params[1] == pytest.approx(math.pi / 2)
    assert Param("x") == Param("x") and Param("x") != Param("y")
    assert hash(Param("x")) == hash(Param("x"))


def test_unbound_program_cannot_be_sampled() -> None:
    with pytest.raises(ValueError, match=r"unbound Param\(s\) \(phi, theta\)"):
        param_prog()


@pytest.mark.parametrize(
    ("name", "exc"),
    [
        (3, TypeError),
        ("", ValueError),
        ("1x", ValueError),
        ("a b", ValueError),
        ("__x", ValueError),
        ("θ", ValueError),
    ],
)
def test_param_name_validation(name: object, exc: type[Exception]) -> None:
    with pytest.raises(exc, match="Param name"):
        Param(name)  # type: ignore[arg-type]
