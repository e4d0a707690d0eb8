from eigen_lang import *
import math
import numpy as np


@quantum_circuit
def a(q):
    b(q)


@quantum_circuit
def b(q):
    a(q)


from eigen_lang import *
import math
import numpy as np


@hybrid_program(seed=1)
def p():
    a(0)
