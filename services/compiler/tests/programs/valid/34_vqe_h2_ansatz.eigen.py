"""VQE for H2 (STO-3G, 2 qubits after reduction) with a hand-written @ansatz."""
from eigen_lang import (
    ExpectationValue,
    Observable,
    QubitRegister,
    ansatz,
    cost_function,
    cx,
    hybrid_program,
    minimize,
    ry,
    x,
)

H2 = Observable(
    {
        "II": -1.052373245772859,
        "IZ": 0.39793742484318045,
        "ZI": -0.39793742484318045,
        "ZZ": -0.01128010425623538,
        "XX": 0.18093119978423156,
    }
)


@ansatz
def two_qubit(theta):
    q = QubitRegister(2)
    x(q[0])
    ry(theta[0], q[0])
    ry(theta[1], q[1])
    cx(q[0], q[1])
    ry(theta[2], q[1])


@cost_function
def energy(point):
    """The H2 energy at ``point``."""
    return ExpectationValue(two_qubit, H2)


@hybrid_program(target="sim:local")
def vqe_h2():
    result = minimize(energy, [0.0, 0.0, 0.0], "cobyla", 200, 1e-6)
    return {
        "energy": result.optimal_value,
        "angles": result.optimal_parameters,
        "converged": result.success,
        "evaluations": result.iterations,
        "molecule": "H2",
    }
