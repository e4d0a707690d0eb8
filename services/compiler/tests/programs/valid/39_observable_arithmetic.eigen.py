"""Observable arithmetic: + - * / by scalars and between observables, dict and pair forms."""
from eigen_lang import (
    ExpectationValue,
    Observable,
    cost_function,
    create_hea_ansatz,
    hybrid_program,
    minimize,
)


@hybrid_program()
def arithmetic():
    zz = Observable("ZZ", 0.5)
    xx = Observable([("XX", 1.0), ("XX", 0.5), ("YY", -0.25)])
    field = Observable({"IZ": 1.0, "ZI": 1.0})
    total = 2 * zz - xx / 3 + field * 0.5 - Observable("YY", -0.25 / 3)
    circuit = create_hea_ansatz(total.n_qubits, 1)

    @cost_function
    def energy(params):
        return ExpectationValue(circuit, total)

    result = minimize(energy, [0.1] * circuit.num_params, "COBYLA")
    return {"energy": result.optimal_value, "qubits": total.num_qubits}
