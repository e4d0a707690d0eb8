"""Type annotations are ignored: Optional[np.ndarray], List[int], annotated assignments."""
from typing import List, Optional

import numpy as np

from eigen_lang import QubitRegister, hybrid_program, measure_all, ry


@hybrid_program(seed=24)
def annotated(n_routes: int = 3, cost_matrix: Optional[np.ndarray] = None) -> dict:
    weight: float = -1.0 if cost_matrix is None else 2.0
    order: List[int] = [2, 0, 1]
    q: QubitRegister = QubitRegister(n_routes)
    for i in order:
        ry(weight * (i + 1) / 4, q[i])
    measure_all(q)
