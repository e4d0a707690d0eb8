"""A nested @ansatz reading the program's locals (closure), minimised with Nelder-Mead."""
import math

from eigen_lang import (
    ExpectationValue,
    Observable,
    QubitRegister,
    ansatz,
    cost_function,
    cx,
    h,
    hybrid_program,
    minimize,
    rz,
)


@hybrid_program()
def closure_program(width: int = 3):
    layers = 2
    target = Observable("ZZI", 1.0) + Observable("IZZ", 1.0)

    @ansatz
    def layered(angles):
        q = QubitRegister(width)
        h(q)
        for layer in range(layers):
            for i in range(width):
                rz(angles[layer * width + i], q[i])
            for i in range(width - 1):
                cx(q[i], q[i + 1])

    @cost_function
    def cost(point):
        return ExpectationValue(circuit_or_ansatz=layered, observable=target)

    guess = [math.pi / 4] * layered.num_params
    result = minimize(
        objective=cost, initial_guess=guess, method="Nelder-Mead", max_iter=500, tolerance=1e-4
    )
    return {"best": result.optimal_value, "width": width, "layers": [layers, layered.num_params]}
