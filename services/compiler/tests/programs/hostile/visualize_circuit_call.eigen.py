from eigen_lang import *
import numpy as np


@hybrid_program()
def p():
    h(0)
    visualize_circuit(p)
