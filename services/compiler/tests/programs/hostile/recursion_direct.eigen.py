from eigen_lang import *
import math
import numpy as np


@quantum_circuit
def bomb(q):
    h(q)
    bomb(q)


from eigen_lang import *
import math
import numpy as np


@hybrid_program(seed=1)
def p():
    bomb(0)
