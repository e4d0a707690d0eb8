from eigen_lang import *
import math
import numpy as np


@quantum_circuit
def f0(q):
    h(q)


@quantum_circuit
def f1(q):
    f0(q)
    f0(q)


@quantum_circuit
def f2(q):
    f1(q)
    f1(q)


@quantum_circuit
def f3(q):
    f2(q)
    f2(q)


@quantum_circuit
def f4(q):
    f3(q)
    f3(q)


@quantum_circuit
def f5(q):
    f4(q)
    f4(q)


@quantum_circuit
def f6(q):
    f5(q)
    f5(q)


@quantum_circuit
def f7(q):
    f6(q)
    f6(q)


@quantum_circuit
def f8(q):
    f7(q)
    f7(q)


@quantum_circuit
def f9(q):
    f8(q)
    f8(q)


@quantum_circuit
def f10(q):
    f9(q)
    f9(q)


@quantum_circuit
def f11(q):
    f10(q)
    f10(q)


@quantum_circuit
def f12(q):
    f11(q)
    f11(q)


@quantum_circuit
def f13(q):
    f12(q)
    f12(q)


@quantum_circuit
def f14(q):
    f13(q)
    f13(q)


@quantum_circuit
def f15(q):
    f14(q)
    f14(q)


@quantum_circuit
def f16(q):
    f15(q)
    f15(q)


@quantum_circuit
def f17(q):
    f16(q)
    f16(q)


@quantum_circuit
def f18(q):
    f17(q)
    f17(q)


@quantum_circuit
def f19(q):
    f18(q)
    f18(q)


@quantum_circuit
def f20(q):
    f19(q)
    f19(q)


@quantum_circuit
def f21(q):
    f20(q)
    f20(q)


@quantum_circuit
def f22(q):
    f21(q)
    f21(q)


@quantum_circuit
def f23(q):
    f22(q)
    f22(q)


@quantum_circuit
def f24(q):
    f23(q)
    f23(q)


@quantum_circuit
def f25(q):
    f24(q)
    f24(q)


@quantum_circuit
def f26(q):
    f25(q)
    f25(q)


@quantum_circuit
def f27(q):
    f26(q)
    f26(q)


@quantum_circuit
def f28(q):
    f27(q)
    f27(q)


@quantum_circuit
def f29(q):
    f28(q)
    f28(q)


@quantum_circuit
def f30(q):
    f29(q)
    f29(q)


@quantum_circuit
def f31(q):
    f30(q)
    f30(q)


@quantum_circuit
def f32(q):
    f31(q)
    f31(q)


@quantum_circuit
def f33(q):
    f32(q)
    f32(q)


@quantum_circuit
def f34(q):
    f33(q)
    f33(q)


@quantum_circuit
def f35(q):
    f34(q)
    f34(q)


@quantum_circuit
def f36(q):
    f35(q)
    f35(q)


@quantum_circuit
def f37(q):
    f36(q)
    f36(q)


@quantum_circuit
def f38(q):
    f37(q)
    f37(q)


@quantum_circuit
def f39(q):
    f38(q)
    f38(q)


@quantum_circuit
def f40(q):
    f39(q)
    f39(q)


from eigen_lang import *
import math
import numpy as np


@hybrid_program(seed=1)
def p():
    f40(0)
