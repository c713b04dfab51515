"""Full-batch optimizers from SciPy (conjugate gradient, L-BFGS) on lecture_code's loss and gradient.

The lecture notes that methods such as conjugate gradient can converge in fewer
steps than gradient descent. SciPy has them; here they get the mean loss and its
gradient from :func:`lecture_code.backprop`, on the parameters flattened into
one vector. SciPy is imported when :func:`minimize` is called.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._validate import one_of, positive_float, positive_int
from .backprop import backprop
from .params import flatten, unflatten

METHODS = ("CG", "L-BFGS-B", "BFGS")


@dataclass
class MinimizeHistory:
    """The loss after each evaluation of loss and gradient, and SciPy's result object."""

    losses: list
    result: object

    @property
    def evaluations(self) -> int:
        """How many times the loss and its gradient were computed (one forward and one reverse sweep each)."""
        return len(self.losses)


def minimize(net, thetas, X, Y, loss, method: str = "CG", max_evaluations: int = 200, gtol: float = 1e-6):
    """``(thetas, history)`` after ``scipy.optimize.minimize(method=method)`` on the mean loss.

    Stops after ``max_evaluations`` evaluations of loss and gradient (SciPy's
    ``maxiter`` counts iterations, each of which may evaluate several times).
    """
    one_of(method, METHODS, "minimize", "method")
    max_evaluations = positive_int(max_evaluations, "minimize", "max_evaluations")
    gtol = positive_float(gtol, "minimize", "gtol")
    from scipy import optimize

    backprop(net, thetas, X, Y, loss)  # checks every input once, with clear messages
    like = net._check_theta(thetas)
    losses = []

    class _Budget(Exception):
        pass

    def fun(w):
        if len(losses) >= max_evaluations:
            raise _Budget
        value, grads = backprop(net, unflatten(w, like), X, Y, loss)
        losses.append(value)
        return value, flatten(grads)

    options = {"gtol": gtol, "maxiter": 10 * max_evaluations}
    best = {"w": flatten(like)}

    def keep(w, *args):
        best["w"] = np.array(w, copy=True)

    try:
        result = optimize.minimize(fun, flatten(like), jac=True, method=method, options=options, callback=keep)
        best["w"] = result.x
    except _Budget:
        result = None
    return unflatten(best["w"], like), MinimizeHistory(losses, result)
