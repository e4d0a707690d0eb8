"""SPSA takes its perturbation seed from the decorator's seed (also numpy's)."""
import numpy as np

from eigen_lang import (
    ExpectationValue,
    cost_function,
    create_hea_ansatz,
    create_ising_model_hamiltonian,
    hybrid_program,
    minimize,
)


@hybrid_program(seed=7, shots=1000)
def spsa_program():
    hamiltonian = create_ising_model_hamiltonian(n_spins=3, J=-1.0, h=[0.1, 0.2, 0.3])
    circuit = create_hea_ansatz(n_qubits=3, depth=1, entanglement="full", rotations=["rx", "ry"])

    @cost_function
    def energy(theta):
        return ExpectationValue(circuit, hamiltonian, shots=2000)

    x0 = np.random.randn(circuit.num_params) * 0.1
    result = minimize(energy, x0, method="SPSA", max_iter=50)
    return {"energy": result.optimal_value, "ok": result.success}
