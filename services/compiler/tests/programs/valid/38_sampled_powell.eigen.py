"""Sampled expectation values (shots=4096) minimised with Powell; a coupling-matrix Ising model."""
import numpy as np

from eigen_lang import (
    ExpectationValue,
    cost_function,
    create_hea_ansatz,
    create_ising_model_hamiltonian,
    hybrid_program,
    minimize,
)

COUPLINGS = [
    [0.0, 1.0, 0.5],
    [1.0, 0.0, -0.25],
    [0.5, -0.25, 0.0],
]


@hybrid_program(seed=5)
def sampled(cost_matrix=None):
    weights = COUPLINGS if cost_matrix is None else cost_matrix
    hamiltonian = create_ising_model_hamiltonian(3, J=weights, h=0.0)
    circuit = create_hea_ansatz(3, depth=1)

    @cost_function
    def energy(x):
        return ExpectationValue(circuit, hamiltonian, 4096)

    result = minimize(energy, np.zeros(circuit.num_params), "powell", 80, 0.001)
    return {"energy": result.optimal_value, "parameters": result.optimal_parameters}
