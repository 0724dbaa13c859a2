"""Batched quasi-Poisson log-link IRLS mirroring R's glm.fit, for many small GLMs at once.

Every problem k has the same design shape: a full set of level indicators (``levels``,
n x m one-hot; one column = intercept) plus, optionally, a time column ``xc`` (the same
n-vector for every problem: times relative to the evaluated point). Prior weights omega = 0 mark
missing observations (R drops them). The fitted values, hat values, dispersion and prediction
variances equal R's parametrisation (intercept + treatment-coded factor + absolute time) because
the column space is the same; the normal equations have an arrowhead shape and are solved in
closed form, vectorised over problems. R quirks mirrored: mu = max(exp(eta), eps) (log link's
inverse), the deviance convergence test, at most 25 iterations, and the working weights,
(X'WX)^-1 and hat values of the *last iteration* (W evaluated at the mu before the final update).
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

EPS = float(np.finfo(float).eps)
LOG_EPS = float(np.log(EPS))
MAXIT = 25
EPSILON = 1e-8


@dataclass
class Fit:
    """The state of K fitted GLMs (arrays with K rows)."""

    alpha: np.ndarray      # (K, m) level effects (eta at xc = 0)
    beta: np.ndarray       # (K,) time slope, 0 without trend
    trend: np.ndarray      # (K,) bool: model has the time column
    converged: np.ndarray  # (K,) bool
    mu: np.ndarray         # (K, n) final fitted values (floored at eps)
    w: np.ndarray          # (K, n) working weights of the last iteration
    s0: np.ndarray         # (K, m) sum of w per level
    s1: np.ndarray         # (K, m) sum of w * xc per level
    schur: np.ndarray      # (K,) sum w xc^2 - sum s1^2/s0 (inf without trend)
    pearson: np.ndarray    # (K,) unfloored Pearson dispersion
    df: np.ndarray         # (K,) residual degrees of freedom

    def put(self, rows: np.ndarray, other: Fit) -> None:
        """Overwrite the given rows with another fit's rows."""
        for f in fields(self):
            getattr(self, f.name)[rows] = getattr(other, f.name)


def _empty(k: int, n: int, m: int) -> Fit:
    return Fit(alpha=np.zeros((k, m)), beta=np.zeros(k), trend=np.zeros(k, bool),
               converged=np.zeros(k, bool), mu=np.zeros((k, n)), w=np.zeros((k, n)),
               s0=np.zeros((k, m)), s1=np.zeros((k, m)), schur=np.full(k, np.inf),
               pearson=np.zeros(k), df=np.zeros(k))


def _dev_elementwise(y: np.ndarray, mu: np.ndarray, omega: np.ndarray) -> np.ndarray:
    """R's poisson deviance, sum of 2 w (y log(y/mu) - (y - mu)), per row."""
    with np.errstate(divide="ignore", invalid="ignore"):
        term = np.where(y > 0, y * np.log(np.where(y > 0, y, 1.0) / mu), 0.0) - (y - mu)
    return 2.0 * (omega * term).sum(axis=1)


def irls(y: np.ndarray, omega: np.ndarray, levels: np.ndarray, xc: np.ndarray | None,
         *, trend: bool) -> Fit:
    """Fit K GLMs log mu = levels @ alpha (+ beta * xc) by R's IRLS; y and omega are (K, n)."""
    k, n = y.shape
    m = levels.shape[1]
    present = omega > 0
    y = np.where(present, y, 0.0)
    omega = np.where(present, omega, 0.0)
    if trend:
        assert xc is not None
        return _irls_trend(y, omega, levels, np.asarray(xc, float), k, n, m)
    return _irls_levels(y, omega, levels, k, n, m)


def _finish(fit: Fit, y: np.ndarray, omega: np.ndarray, levels: np.ndarray,
            rank: np.ndarray) -> Fit:
    """Pearson dispersion (last-iteration W, final mu) and residual df."""
    present = omega > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        r = (y - fit.mu) / fit.mu
    fit.pearson = np.where(present, fit.w * r * r, 0.0).sum(axis=1)
    fit.df = present.sum(axis=1) - rank
    with np.errstate(divide="ignore", invalid="ignore"):
        fit.pearson = fit.pearson / fit.df
    return fit


def _irls_levels(y: np.ndarray, omega: np.ndarray, levels: np.ndarray, k: int, n: int,
                 m: int) -> Fit:
    """No time column: after the first step mu is constant within a level (sufficient stats)."""
    fit = _empty(k, n, m)
    wy = omega * y
    with np.errstate(divide="ignore", invalid="ignore"):
        ylogy = np.where(y > 0, y * np.log(np.where(y > 0, y, 1.0)), 0.0)
    c1 = (omega * (ylogy - y)).sum(axis=1)
    om_l = omega @ levels
    y_l = wy @ levels
    has = om_l > 0
    rank = has.sum(axis=1)
    # iteration 1, element-wise from mustart = y + 0.1
    eta0 = np.log(y + 0.1)
    mu0 = np.maximum(np.exp(eta0), EPS)
    devold = _dev_elementwise(y, mu0, omega)
    w1 = omega * mu0
    s0 = w1 @ levels
    t0 = (w1 * eta0 + omega * (y - mu0)) @ levels
    s0_safe = np.where(has, s0, 1.0)
    alpha = np.where(has, t0 / s0_safe, 0.0)
    mu_l_prev = None  # None: the last W is w1 (element-wise)
    conv_iter = np.full(k, MAXIT)
    converged = np.zeros(k, bool)
    s0_last = s0.copy()
    alpha_out = np.zeros((k, m))
    prev_out = np.zeros((k, m))
    first_out = np.zeros(k, bool)
    active = np.arange(k)
    for it in range(1, MAXIT + 1):
        if it > 1:
            mu_l = np.maximum(np.exp(alpha), EPS)
            s0 = om_l[active] * mu_l
            t0 = s0 * alpha + y_l[active] - om_l[active] * mu_l
            s0_safe = np.where(has[active], s0, 1.0)
            mu_l_prev = mu_l
            alpha_new = np.where(has[active], t0 / s0_safe, 0.0)
        else:
            alpha_new = alpha
        mu_new = np.maximum(np.exp(alpha_new), EPS)
        dev = 2.0 * (c1[active] - (y_l[active] * np.maximum(alpha_new, LOG_EPS)).sum(axis=1)
                     + (om_l[active] * mu_new).sum(axis=1))
        with np.errstate(invalid="ignore"):
            conv = np.abs(dev - devold) / (np.abs(dev) + 0.1) < EPSILON
        done = conv | (it == MAXIT)
        rows = active[done]
        alpha_out[rows] = alpha_new[done]
        s0_last[rows] = s0[done]
        converged[rows] = conv[done]
        conv_iter[rows] = it
        if it == 1:
            first_out[rows] = True
        else:
            prev_out[rows] = mu_l_prev[done]
        keep = ~done
        active = active[keep]
        if active.size == 0:
            break
        alpha = alpha_new[keep]
        devold = dev[keep]
    fit.alpha = alpha_out
    fit.converged = converged
    fit.mu = np.maximum(np.exp(alpha_out @ levels.T), EPS)
    fit.w = np.where(first_out[:, None], w1, omega * (prev_out @ levels.T))
    fit.s0 = s0_last
    return _finish(fit, y, omega, levels, rank)


def _irls_trend(y: np.ndarray, omega: np.ndarray, levels: np.ndarray, xc: np.ndarray, k: int,
                n: int, m: int) -> Fit:
    """Levels plus a time column: element-wise IRLS with an arrowhead closed-form solve."""
    fit = _empty(k, n, m)
    fit.trend[:] = True
    wy = omega * y
    with np.errstate(divide="ignore", invalid="ignore"):
        ylogy = np.where(y > 0, y * np.log(np.where(y > 0, y, 1.0)), 0.0)
    c1 = (omega * (ylogy - y)).sum(axis=1)
    has_all = (omega @ levels) > 0
    rank = has_all.sum(axis=1) + 1
    idx = levels.argmax(axis=1)
    basis_w = np.hstack([levels, levels * xc[:, None], levels * (xc * xc)[:, None]])
    basis_z = np.hstack([levels, levels * xc[:, None]])
    eta = np.log(y + 0.1)
    mu = np.maximum(np.exp(eta), EPS)
    devold = _dev_elementwise(y, mu, omega)
    active = np.arange(k)
    om, yy, wya, c1a, has = omega, y, wy, c1, has_all
    coef_old: tuple[np.ndarray, np.ndarray] | None = None
    for it in range(1, MAXIT + 1):
        w = om * mu
        wz = w * eta + om * (yy - mu)
        sw = w @ basis_w
        sz = wz @ basis_z
        s0, s1, s2 = sw[:, :m], sw[:, m:2 * m], sw[:, 2 * m:]
        t0, t1 = sz[:, :m], sz[:, m:]
        s0_safe = np.where(has, s0, 1.0)
        ratio = np.where(has, s1 / s0_safe, 0.0)
        schur = s2.sum(axis=1) - (ratio * s1).sum(axis=1)
        rhs = t1.sum(axis=1) - (ratio * t0).sum(axis=1)
        beta = rhs / schur
        alpha = np.where(has, (t0 - s1 * beta[:, None]) / s0_safe, 0.0)
        eta_new = alpha[:, idx] + beta[:, None] * xc
        with np.errstate(over="ignore"):
            mu_new = np.maximum(np.exp(eta_new), EPS)
        dev = 2.0 * (c1a - (wya * np.maximum(eta_new, LOG_EPS)).sum(axis=1)
                     + (om * mu_new).sum(axis=1))
        bad = ~np.isfinite(dev)
        halvings = 0
        while bad.any() and coef_old is not None and halvings < 60:
            alpha[bad] = (alpha[bad] + coef_old[0][bad]) / 2
            beta[bad] = (beta[bad] + coef_old[1][bad]) / 2
            eta_new[bad] = alpha[bad][:, idx] + beta[bad][:, None] * xc
            with np.errstate(over="ignore"):
                mu_new[bad] = np.maximum(np.exp(eta_new[bad]), EPS)
            dev[bad] = 2.0 * (c1a[bad] - (wya[bad] * np.maximum(eta_new[bad], LOG_EPS)).sum(1)
                              + (om[bad] * mu_new[bad]).sum(axis=1))
            bad = ~np.isfinite(dev)
            halvings += 1
        with np.errstate(invalid="ignore"):
            conv = np.abs(dev - devold) / (np.abs(dev) + 0.1) < EPSILON
        done = conv | (it == MAXIT)
        rows = active[done]
        fit.alpha[rows] = alpha[done]
        fit.beta[rows] = beta[done]
        fit.converged[rows] = conv[done]
        fit.mu[rows] = mu_new[done]
        fit.w[rows] = w[done]
        fit.s0[rows] = s0[done]
        fit.s1[rows] = s1[done]
        fit.schur[rows] = schur[done]
        keep = ~done
        if not keep.any():
            break
        active = active[keep]
        om, yy, wya, c1a, has = om[keep], yy[keep], wya[keep], c1a[keep], has[keep]
        eta, mu, devold = eta_new[keep], mu_new[keep], dev[keep]
        coef_old = (alpha[keep], beta[keep])
    return _finish(fit, y, omega, levels, rank)


def hat_values(fit: Fit, levels: np.ndarray, xc: np.ndarray | None) -> np.ndarray:
    """Diagonal of the hat matrix W^1/2 X (X'WX)^-1 X' W^1/2 (R: values >= 1 - 10 eps -> 1)."""
    has = fit.s0 > 0
    s0_safe = np.where(has, fit.s0, 1.0)
    inv = np.where(has, 1.0 / s0_safe, 0.0)
    h = fit.w * (inv @ levels.T)
    if xc is not None and fit.trend.any():
        centre = np.where(has, fit.s1 / s0_safe, 0.0) @ levels.T
        d = xc[None, :] - centre
        extra = fit.w * d * d / fit.schur[:, None]
        h = h + np.where(fit.trend[:, None], extra, 0.0)
    return np.where(h > 1 - 10 * EPS, 1.0, h)


def pred_var(fit: Fit, level: int) -> np.ndarray:
    """x0' (X'WX)^-1 x0 for the prediction at xc = 0 in the given level (unscaled)."""
    s0 = fit.s0[:, level]
    with np.errstate(divide="ignore", invalid="ignore"):
        v = 1.0 / s0
        r = fit.s1[:, level] / s0
        extra = np.where(fit.trend, r * r / fit.schur, 0.0)
    return v + extra


def anscombe_weights(fit: Fit, y: np.ndarray, omega: np.ndarray, levels: np.ndarray,
                     xc: np.ndarray | None, *, threshold: float) -> np.ndarray:
    """Farrington's reweighting: Anscombe residuals with phi = max(1, Pearson), then omega."""
    present = omega > 0
    y = np.where(present, y, 0.0)
    phi = np.maximum(fit.pearson, 1.0)
    h = hat_values(fit, levels, xc)
    mu = fit.mu
    with np.errstate(divide="ignore", invalid="ignore"):
        s = 1.5 * (y ** (2.0 / 3.0) * mu ** (-1.0 / 6.0) - np.sqrt(mu))
        s = s / np.sqrt(phi[:, None] * (1.0 - h))
        big = s > threshold
        inv2 = np.where(big, s ** -2.0, 1.0)
        gamma = present.sum(axis=1) / np.where(present, inv2, 0.0).sum(axis=1)
        out = np.where(big, gamma[:, None] * s ** -2.0, gamma[:, None])
    return np.where(present, out, 0.0)
