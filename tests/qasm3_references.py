"""Hand-written Qiskit dynamic circuits for the OpenQASM 3 spec examples rus.qasm and ipe.qasm
(tests/corpus/openqasm3): the reference both the compiler's tests and the e2e tests compare with.
"""

from __future__ import annotations

import math
import struct

from qiskit import ClassicalRegister, QuantumCircuit, QuantumRegister
from qiskit.circuit.classical import expr


def rus_by_hand(ratio: float) -> QuantumCircuit:
    """rus.qasm with Qiskit's unbounded ``while_loop``; clbits: flags (0-1), output (2)."""
    inp, anc = QuantumRegister(1, "input"), QuantumRegister(2, "ancilla")
    flags, out = ClassicalRegister(2, "flags"), ClassicalRegister(1, "output")
    qc = QuantumCircuit(inp, anc, flags, out)

    def segment() -> None:
        qc.reset(anc)
        qc.h(anc)
        qc.ccx(anc[0], anc[1], inp[0])
        qc.s(inp[0])
        qc.ccx(anc[0], anc[1], inp[0])
        qc.z(inp[0])
        qc.h(anc)
        qc.measure(anc, flags)

    qc.reset(inp)
    qc.h(inp)
    segment()
    with qc.while_loop(expr.not_equal(flags, 0)):
        segment()
    qc.rz(math.pi - math.acos(ratio), inp[0])
    qc.h(inp)
    qc.measure(inp, out)
    return qc


def ipe_by_hand() -> QuantumCircuit:
    """ipe.qasm: one conditioned phase per bit of ``c``, ``c <<= 1`` as classical stores."""
    theta = struct.unpack("f", struct.pack("f", 3 * math.pi / 8))[0]  # const float[32]
    q, c = QuantumRegister(2, "q"), ClassicalRegister(10, "c")
    qc = QuantumCircuit(q, c)
    qc.reset(q)
    qc.h(q[1])
    power = 1
    for _ in range(10):
        qc.reset(q[0])
        qc.h(q[0])
        qc.cp(power * theta, q[0], q[1])
        for k in range(10):
            with qc.if_test((c[k], True)):
                qc.p(-2 * math.pi * (1 << k) / 1024, q[0])
        qc.h(q[0])
        qc.measure(q[0], c[0])
        for k in range(9, 0, -1):
            qc.store(c[k], expr.lift(c[k - 1]))
        qc.store(c[0], expr.lift(False))
        power = (power << 1) % 1024
    return qc
