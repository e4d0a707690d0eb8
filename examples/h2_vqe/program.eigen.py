"""H2 ground-state energy by VQE, run as one job: the kernel runs the optimiser (Pattern B).

Molecule: H2, STO-3G, bond length 0.735 Å, mapped to 2 qubits by the parity mapping with
two-qubit reduction. Hamiltonian in Hartree, Qiskit's Pauli-label order (rightmost = qubit 0).
Exact ground energy: -1.857275030202 Ha (diagonalise the 4x4 matrix).

    eigen submit --job examples/h2_vqe/job.yaml --wait   # on the platform
    python examples/h2_vqe/program.eigen.py              # locally, same optimiser, on Aer
"""

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
)


@ansatz
def ry_cx(theta):
    """Two RY rotations and an entangling CX: reaches the H2 ground state."""
    q = QubitRegister(2)
    ry(theta[0], q[0])
    ry(theta[1], q[1])
    cx(q[0], q[1])


@hybrid_program(target="sim:local", seed=7)
def h2_vqe(max_iter: int = 100):
    """Minimise <H> over the ansatz with COBYLA, from theta = (0.1, 0.1)."""
    hamiltonian = Observable(
        {
            "II": -1.052373245772859,
            "IZ": 0.39793742484318045,
            "ZI": -0.39793742484318045,
            "ZZ": -0.01128010425623538,
            "XX": 0.18093119978423156,
        }
    )

    @cost_function
    def energy(params):
        return ExpectationValue(ry_cx, hamiltonian, shots=None)

    result = minimize(energy, [0.1, 0.1], method="cobyla", max_iter=max_iter, tolerance=1e-8)
    return {
        "energy": result.optimal_value,
        "theta": result.optimal_parameters.tolist(),
        "success": result.success,
        "iterations": result.iterations,
    }


if __name__ == "__main__":
    print(h2_vqe())
