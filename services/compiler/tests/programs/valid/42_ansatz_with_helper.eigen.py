# inputs: {"n": 3}
"""An @ansatz that passes its parameters to a @quantum_circuit helper; a single-qubit register."""
from eigen_lang import (
    ExpectationValue,
    QubitRegister,
    ansatz,
    cost_function,
    create_ising_model_hamiltonian,
    cz,
    hybrid_program,
    minimize,
    quantum_circuit,
    ry,
    rz,
)


@quantum_circuit
def rotate(a, b, qubit):
    ry(a, qubit)
    rz(b, qubit)


@hybrid_program(seed=2)
def with_helper(n: int = 2):
    hamiltonian = create_ising_model_hamiltonian(n, J=0.5, h=1.0)

    @ansatz
    def circuit(theta):
        q = QubitRegister(n)
        for i in range(n):
            rotate(theta[2 * i], theta[2 * i + 1], q[i])
        for i in range(n - 1):
            cz(q[i], q[i + 1])

    @cost_function
    def energy(params):
        return ExpectationValue(circuit, hamiltonian)

    start = [0.5] * circuit.num_params
    result = minimize(energy, start, "nelder-mead", 1000, None)
    return {"e": result.optimal_value, "n": circuit.num_qubits, "tag": None, "flags": [True, 1.5]}
