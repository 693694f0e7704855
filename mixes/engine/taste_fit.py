"""The fit behind the taste model: a weighted logistic regression with a Gaussian prior, on a sparse design.

MAP coefficients by Newton's method, each step solved by preconditioned conjugate gradients using only products
with the design (a dozen non-zeros a row); the posterior variances are the diagonal of the Laplace approximation.
Deterministic: the same evidence gives the same model. Plain NumPy.
"""

from __future__ import annotations

import numpy as np

NEWTON_STEPS = 25
CG_STEPS = 60


def map_fit(rows, cols, vals, y, s, p: int, prior_variance: float) -> tuple[np.ndarray, np.ndarray]:
    """MAP coefficients of a weighted logistic regression with a N(0, prior_variance) prior, and their variances."""
    n = len(y)
    precision = 1.0 / prior_variance

    def times(w):  # X @ w
        return np.bincount(rows, weights=vals * w[cols], minlength=n)

    def transpose_times(u):  # X.T @ u
        return np.bincount(cols, weights=vals * u[rows], minlength=p)

    w = np.zeros(p)
    for _ in range(NEWTON_STEPS):
        mu = sigmoid(times(w))
        gradient = transpose_times(s * (y - mu)) - precision * w
        curvature = s * mu * (1 - mu)
        diagonal = np.bincount(cols, weights=vals**2 * curvature[rows], minlength=p) + precision
        step = _conjugate_gradient(
            lambda v, c=curvature: transpose_times(c * times(v)) + precision * v, gradient, diagonal
        )
        w += step
        if np.abs(step).max(initial=0) < 1e-6:
            break
    curvature = s * sigmoid(times(w)) * (1 - sigmoid(times(w)))
    variance = 1.0 / (np.bincount(cols, weights=vals**2 * curvature[rows], minlength=p) + precision)
    return w, variance


def _conjugate_gradient(multiply, b: np.ndarray, diagonal: np.ndarray) -> np.ndarray:
    """Solve A x = b (A symmetric positive definite, given as a product) with a Jacobi preconditioner."""
    x = np.zeros_like(b)
    r = b.copy()
    z = r / diagonal
    d = z.copy()
    rz = float(r @ z)
    for _ in range(CG_STEPS):
        if np.sqrt(float(r @ r)) < 1e-10:
            break
        ad = multiply(d)
        alpha = rz / float(d @ ad)
        x += alpha * d
        r -= alpha * ad
        z = r / diagonal
        rz, previous = float(r @ z), rz
        d = z + (rz / previous) * d
    return x


def sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(z, -30, 30)))
