"""The classical optimisers of hybrid loops, shared by the kernel (Pattern B) and local runs.

One entry point, :func:`minimize`, over SciPy's COBYLA, Nelder-Mead and Powell and an SPSA of
our own (Spall 1998, "Implementation of the simultaneous perturbation algorithm for stochastic
optimization", with his recommended gains α = 0.602, γ = 0.101, A = 10 % of the steps).
SPSA is ours because qiskit-algorithms' SPSA draws its perturbations from a process-global
random generator (``algorithm_globals``): loops running side by side in the kernel could not
be seeded independently. Ours takes a seed and owns its generator.

``max_iter`` bounds **objective evaluations** for every method (one evaluation = one iteration
of the job's event stream), enforced by a counting wrapper, so progress = evaluations /
max_iter never exceeds 1. The reported optimum is the best evaluation seen.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import scipy.optimize

#: Method names accepted by :func:`minimize` (lower case, as in the hybrid plan).
METHODS = ("cobyla", "nelder-mead", "powell", "spsa")

Objective = Callable[[np.ndarray], float]


@dataclass
class OptimizeOutcome:
    """Result of :func:`minimize`.

    ``optimal_parameters``: shape (n,), the best point evaluated; ``optimal_value``: its
    objective value; ``iterations``: objective evaluations made (≤ max_iter); ``history``:
    the value of every evaluation, in order; ``success``: the method reported convergence
    (False when the evaluation budget ran out first).
    """

    optimal_value: float
    optimal_parameters: np.ndarray
    iterations: int
    success: bool
    message: str
    history: list[float] = field(default_factory=list)


class _BudgetExhausted(Exception):
    pass


class _Counted:
    """Counts evaluations, keeps the best one, and refuses to go past the budget."""

    def __init__(self, fun: Objective, budget: int):
        self.fun = fun
        self.budget = budget
        self.history: list[float] = []
        self.best_x: np.ndarray | None = None
        self.best_f = math.inf

    def __call__(self, x: np.ndarray) -> float:
        if len(self.history) >= self.budget:
            raise _BudgetExhausted
        x = np.array(x, dtype=float, copy=True)
        f = float(self.fun(x))
        if not math.isfinite(f):
            raise ValueError(f"the objective returned {f} at evaluation {len(self.history) + 1}")
        self.history.append(f)
        if f < self.best_f or self.best_x is None:
            self.best_f, self.best_x = f, x
        return f


def minimize(
    fun: Objective,
    x0: Sequence[float] | np.ndarray,
    *,
    method: str,
    max_iter: int,
    tolerance: float | None = None,
    seed: int | None = None,
) -> OptimizeOutcome:
    """Minimise ``fun`` from ``x0`` with at most ``max_iter`` evaluations.

    Args:
        fun: objective, called with a float array of shape (n,); must return a finite float.
            Exceptions it raises (e.g. the job was cancelled) propagate unchanged.
        x0: start point, shape (n,), n ≥ 1 (radians for circuit parameters).
        method: one of :data:`METHODS` (case-insensitive).
        max_iter: evaluation budget, ≥ 1.
        tolerance: SciPy's ``tol`` (COBYLA: final trust-region radius; Nelder-Mead/Powell:
            convergence in x and f); for SPSA, stop when a step moves x by less than this.
        seed: seeds SPSA's perturbation directions (ignored by the deterministic methods).

    Returns:
        The outcome: best point and value, evaluations, convergence flag, value history.

    Raises:
        ValueError: unknown method, ``max_iter`` < 1, empty or non-finite ``x0``, or a
            non-finite objective value.
    """
    name = method.lower()
    if name not in METHODS:
        raise ValueError(f"unknown optimiser {method!r}; choose one of {', '.join(METHODS)}")
    if max_iter < 1:
        raise ValueError(f"max_iter must be >= 1, got {max_iter}")
    start = np.asarray(x0, dtype=float).reshape(-1)
    if start.size == 0 or not np.all(np.isfinite(start)):
        raise ValueError("the initial point must be a non-empty vector of finite numbers")
    counted = _Counted(fun, max_iter)
    success, message = False, ""
    try:
        if name == "spsa":
            success, message = _spsa(counted, start, max_iter, tolerance, seed)
        else:
            options: dict[str, object] = {"maxiter": max_iter}
            if name != "cobyla":
                options["maxfev"] = max_iter
            res = scipy.optimize.minimize(
                counted, start, method=name, tol=tolerance, options=options
            )
            success, message = bool(res.success), str(res.message)
    except _BudgetExhausted:
        success, message = False, f"stopped after max_iter={max_iter} evaluations"
    if counted.best_x is None:  # pragma: no cover - every method evaluates x0 first
        raise ValueError("the optimiser made no evaluation")
    if len(counted.history) >= max_iter and success and name in ("nelder-mead", "powell"):
        message = f"{message} (evaluation budget reached)"
    return OptimizeOutcome(
        counted.best_f, counted.best_x, len(counted.history), success, message, counted.history
    )


def _spsa(
    f: _Counted, x0: np.ndarray, budget: int, tolerance: float | None, seed: int | None
) -> tuple[bool, str]:
    """SPSA with Spall's gains; ``a`` calibrated so the first steps move ~0.2 rad."""
    rng = np.random.default_rng(seed)
    n = x0.size
    c, alpha, gamma, target = 0.2, 0.602, 0.101, 0.2
    f(x0)
    calib = max(1, min(5, (budget - 1) // 10))
    steps = max(1, (budget - 1 - 2 * calib) // 2)
    big_a = 0.1 * steps
    mags = []
    for _ in range(calib):
        delta = rng.choice((-1.0, 1.0), size=n)
        mags.append(abs(f(x0 + c * delta) - f(x0 - c * delta)) / (2 * c))
    mean_mag = float(np.mean(mags)) or 1e-8
    a = target * (big_a + 1) ** alpha / mean_mag
    x = x0.copy()
    for k in range(steps):
        ak = a / (k + 1 + big_a) ** alpha
        ck = c / (k + 1) ** gamma
        delta = rng.choice((-1.0, 1.0), size=n)
        g = (f(x + ck * delta) - f(x - ck * delta)) / (2 * ck) * delta
        step = ak * g
        x = x - step
        if tolerance is not None and float(np.linalg.norm(step)) < tolerance:
            f(x)
            return True, f"step smaller than tolerance {tolerance} after {k + 1} steps"
    if len(f.history) < f.budget:
        f(x)
    return True, f"completed {steps} SPSA steps"
