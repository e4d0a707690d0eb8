# inputs: {"n": 4}
"""Hardware-efficient ansatz + periodic transverse-field Ising chain, COBYLA, exact energies."""
import numpy as np

from eigen_lang import (
    ExpectationValue,
    cost_function,
    create_hea_ansatz,
    create_ising_model_hamiltonian,
    hybrid_program,
    minimize,
)


@hybrid_program(seed=11)
def ising_ground_state(n: int = 3, field: float = 0.75):
    hamiltonian = create_ising_model_hamiltonian(n, 1.0, field, True)
    circuit = create_hea_ansatz(n, 2, "circular", "ryrz")

    @cost_function
    def energy(params):
        return ExpectationValue(circuit, hamiltonian)

    x0 = np.random.uniform(-0.5, 0.5, circuit.num_params)
    result = minimize(energy, x0, max_iter=300)
    return {"energy": result.optimal_value, "params": result.optimal_parameters.tolist()}
