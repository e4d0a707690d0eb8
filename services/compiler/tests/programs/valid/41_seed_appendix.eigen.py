"""Example Eigen-Lang program for logistics optimization"""

import numpy as np
from typing import Optional
from Eigen_lang import (
    cost_function,
    hybrid_program, minimize, Observable,
    ExpectationValue, create_hea_ansatz,
    create_ising_model_hamiltonian, get_program_ast
)

@hybrid_program(
    compiler="eigen",
    target="simulator",
    shots=4096,
    optimization_level=3
)
def solve_logistics_optimization(
    n_routes: int = 5,
    cost_matrix: Optional[np.ndarray] = None,
) -> dict:
    """Simplified route selection with minimal cost."""
    
    # 1. Create Hamiltonian
    hamiltonian: Observable = create_ising_model_hamiltonian(
        n_spins=n_routes,
        J=-1.0 if cost_matrix is None else cost_matrix,
        h=0.5,
        periodic=False
    )
    
    # 2. Create parameterized circuit
    n_qubits = hamiltonian.n_qubits
    ansatz = create_hea_ansatz(
        n_qubits=n_qubits,
        depth=3,
        entanglement="linear",
        rotations="ry"
    )
    
    # 3. Define cost function
    @cost_function
    def total_cost(params: list) -> ExpectationValue:
        return ExpectationValue(
            circuit_or_ansatz=ansatz,
            observable=hamiltonian,
            shots=None
        )
    
    # 4. Optimize circuit parameters
    initial_params = np.random.randn(ansatz.num_params) * 0.1
    result = minimize(
        objective=total_cost,
        initial_guess=initial_params,
        method="cobyla",
        max_iter=150,
        tolerance=1e-5,
    )
    
    # 5. Return results
    return {
        "optimal_cost": result.optimal_value,
        "optimal_parameters": result.optimal_parameters.tolist(),
        "success": result.success,
        "iterations": result.iterations,
        "qubits_used": n_qubits,
    }

if __name__ == "__main__":
    solution = solve_logistics_optimization(n_routes=4)
    print(f"Minimum cost found: {solution['optimal_cost']:.6f}")

