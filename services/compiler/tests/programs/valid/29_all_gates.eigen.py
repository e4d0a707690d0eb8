"""Every gate of the standard set, angles first then qubits."""
from eigen_lang import *


@hybrid_program(seed=29, optimization_level=0)
def every_gate():
    q = QubitRegister(3)
    h(q[0]); x(q[1]); y(q[2]); z(q[0]); s(q[1]); sdg(q[2]); t(q[0]); tdg(q[1]); sx(q[2])
    rx(0.1, q[0]); ry(0.2, q[1]); rz(0.3, q[2]); p(0.4, q[0]); u(0.5, 0.6, 0.7, q[1])
    cx(q[0], q[1]); cy(q[1], q[2]); cz(q[2], q[0]); ch(q[0], q[2]); swap(q[1], q[2])
    crx(0.8, q[0], q[1]); cry(0.9, q[1], q[2]); crz(1.0, q[2], q[0]); cp(1.1, q[0], q[2])
    rxx(1.2, q[0], q[1]); ryy(1.3, q[1], q[2]); rzz(1.4, q[2], q[0])
    ccx(q[0], q[1], q[2]); cswap(q[2], q[0], q[1])
    measure_all(q)
