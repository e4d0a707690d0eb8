from __future__ import annotations

import math

import pytest

import eigen_lang
from eigen_ir.gates import GATE_ARITY
from eigen_lang import (
    ClassicalRegister,
    QubitRegister,
    barrier,
    ccx,
    cx,
    h,
    hybrid_program,
    measure,
    measure_all,
    reset,
    rx,
    u,
    x,
)
from eigen_lang.circuit import GATE_FUNCTIONS, record


@hybrid_program(target="sim:local", shots=2000, seed=42)
def bell() -> None:
    q = QubitRegister(2)
    h(q[0])
    cx(q[0], q[1])
    measure_all(q)


def test_bell_runs_locally_with_decorator_shots_and_seed() -> None:
    counts = bell()
    assert set(counts) == {"00", "11"}
    assert sum(counts.values()) == 2000
    assert bell() == counts  # same seed → same sample
    assert sum(bell.run(shots=10, seed=1).values()) == 10
    assert bell.options.target == "sim:local"
    assert bell.name == "bell"


def test_bit_order_clbit_zero_is_rightmost() -> None:
    @hybrid_program(shots=50, seed=1)
    def flip() -> None:
        c = ClassicalRegister(3)
        x(0)
        measure(0, c[0])
        measure(1, c[1])
        measure(2, c[2])

    assert flip() == {"001": 50}


def test_integer_qubits_grow_until_a_register_is_declared() -> None:
    @hybrid_program
    def prog() -> None:
        h(3)
        q = QubitRegister(2)  # qubits 4, 5
        cx(q[0], 1)
        measure_all()

    qc = prog.build()
    assert qc.num_qubits == 6 and qc.num_clbits == 6
    ops = [(inst.operation.name, [qc.find_bit(b).index for b in inst.qubits]) for inst in qc.data]
    assert ops[:2] == [("h", [3]), ("cx", [4, 1])]

    @hybrid_program
    def bad() -> None:
        QubitRegister(2)
        x(2)

    with pytest.raises(IndexError):
        bad.build()


def test_broadcasting_and_instructions() -> None:
    @hybrid_program
    def prog(theta: float = 0.5) -> None:
        a = QubitRegister(2)
        b = QubitRegister(2)
        h(a)
        cx(a, b)
        rx(theta, b[0])
        u(1, 2, 3, a[-1])
        reset(b)
        barrier()
        ccx(a[0], a[1], b[0])
        measure_all(b)

    qc = prog.build(theta=0.25)
    names = [inst.operation.name for inst in qc.data]
    assert names == [
        "h",
        "h",
        "cx",
        "cx",
        "rx",
        "u",
        "reset",
        "reset",
        "barrier",
        "ccx",
        "measure",
        "measure",
    ]
    assert float(qc.data[4].operation.params[0]) == 0.25
    assert qc.num_clbits == 2


@pytest.mark.parametrize(
    ("body", "error"),
    [
        (lambda: cx(0, 0), ValueError),
        (lambda: rx("x", 0), TypeError),
        (lambda: rx(math.inf, 0), ValueError),
        (lambda: h(0, 1), TypeError),
        (lambda: h(-1), IndexError),
        (lambda: QubitRegister(0), ValueError),
        (lambda: measure(QubitRegister(2), ClassicalRegister(1)), ValueError),
        (lambda: cx(QubitRegister(2), QubitRegister(3)), ValueError),
    ],
)
def test_bad_calls_raise(body: object, error: type[Exception]) -> None:
    with pytest.raises(error):
        record(body)  # type: ignore[arg-type]


def test_library_outside_a_program_is_an_error() -> None:
    with pytest.raises(RuntimeError):
        h(0)
    with pytest.raises(RuntimeError):
        QubitRegister(1)


def test_register_from_another_run_is_rejected() -> None:
    kept: list[QubitRegister] = []
    record(lambda: kept.append(QubitRegister(1)))
    with pytest.raises(RuntimeError):
        record(lambda: h(kept[0]))


def test_decorator_validates_options() -> None:
    with pytest.raises(ValueError):
        hybrid_program(shots=0)
    with pytest.raises(ValueError):
        hybrid_program(optimization_level=5)
    with pytest.raises(TypeError):
        hybrid_program(seed="1")  # type: ignore[arg-type]


def test_program_without_measurements_returns_empty_counts() -> None:
    @hybrid_program
    def prog() -> None:
        h(0)

    assert prog() == {}


def test_gate_table_is_complete_and_exported() -> None:
    assert set(GATE_FUNCTIONS) == set(GATE_ARITY)
    for name in GATE_ARITY:
        assert name in eigen_lang.__all__
        assert getattr(eigen_lang, name) is GATE_FUNCTIONS[name]


def test_quantum_circuit_helpers_record_into_the_calling_program() -> None:
    @eigen_lang.quantum_circuit
    def entangle(q: QubitRegister, n: int) -> int:
        for i in range(n - 1):
            cx(q[i], q[i + 1])
        return n - 1

    @hybrid_program(seed=3)
    def ghz(n: int = 3) -> None:
        q = QubitRegister(n)
        h(q[0])
        assert entangle(q, n) == n - 1
        measure_all(q)

    qc = ghz.build(n=4)
    ops = [(op.name, tuple(qc.find_bit(b).index for b in op.qubits)) for op in qc.data]
    assert ops[:4] == [("h", (0,)), ("cx", (0, 1)), ("cx", (1, 2)), ("cx", (2, 3))]


def test_np_random_is_seeded_per_run_and_restored() -> None:
    import numpy as np

    @hybrid_program(seed=42)
    def noisy() -> None:
        q = QubitRegister(1)
        rx(float(np.random.randn(1)[0]), q[0])

    @hybrid_program
    def default_seed() -> None:
        q = QubitRegister(1)
        rx(float(np.random.rand()), q[0])

    np.random.seed(7)
    before = np.random.get_state()[1].copy()
    angle = noisy.build().data[0].operation.params[0]
    assert angle == np.random.RandomState(42).randn(1)[0]
    assert default_seed.build().data[0].operation.params[0] == np.random.RandomState(0).rand()
    assert (np.random.get_state()[1] == before).all()


def test_decorator_seed_must_fit_numpy_seeding():
    import pytest

    from eigen_lang import hybrid_program

    hybrid_program(seed=2**32 - 1)  # the largest accepted seed
    with pytest.raises(ValueError, match=r"0\.\.4294967295"):
        hybrid_program(seed=2**32)
