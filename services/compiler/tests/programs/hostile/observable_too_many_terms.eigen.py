from eigen_lang import *
import numpy as np


@hybrid_program()
def p():
    row = (1.0,) * 1024
    couplings = (row,) * 1024
    hamiltonian = create_ising_model_hamiltonian(1024, couplings, 0.0)
