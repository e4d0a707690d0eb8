"""A 2-qubit observable on a 4-qubit ansatz: labels are padded with I on the left."""
from eigen_lang import (
    ExpectationValue,
    Observable,
    cost_function,
    create_hea_ansatz,
    hybrid_program,
    minimize,
)


@hybrid_program()
def padded():
    circuit = create_hea_ansatz(n_qubits=4, depth=1, entanglement="pairwise", rotations="rxry")
    local = Observable({"XZ": 0.5, "ZI": -1.0})

    @cost_function
    def energy(params):
        return ExpectationValue(circuit, local, None)

    result = minimize(energy, [0.2] * circuit.num_params, tolerance=0.01)
    return {"energy": result.optimal_value, "names": circuit.parameters}
