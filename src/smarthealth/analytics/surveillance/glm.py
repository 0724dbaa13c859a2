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


@dataclass
class Start:
    """Per-observation quantities that depend on y only (shared by the fits of one data set)."""

    y: np.ndarray      # (K, n) counts, 0 where missing
    ylogy: np.ndarray  # y log y (0 for y = 0) minus y
    eta0: np.ndarray   # log(y + 0.1): R's mustart on the link scale
    mu0: np.ndarray    # max(exp(eta0), eps)
    dev0: np.ndarray   # per-observation unweighted deviance at mu0 (without the factor 2)

    def take(self, rows: np.ndarray) -> Start:
        """The same quantities for a subset of the problems."""
        return Start(*(getattr(self, f.name)[rows] for f in fields(self)))


def start(y: np.ndarray) -> Start:
    """Precompute the y-only quantities of R's glm.fit start (mustart = y + 0.1)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        ylogy = np.where(y > 0, y * np.log(np.where(y > 0, y, 1.0)), 0.0) - y
        eta0 = np.log(y + 0.1)
        mu0 = np.maximum(np.exp(eta0), EPS)
        dev0 = np.where(y > 0, y * np.log(np.where(y > 0, y, 1.0) / mu0), 0.0) - (y - mu0)
    return Start(y, ylogy, eta0, mu0, dev0)


def _level_of(levels: np.ndarray) -> np.ndarray:
    """The level (column of the one-hot matrix) of every observation."""
    return levels.argmax(axis=1)


BLOCK = 64  # rows per matrix product: small enough that OpenBLAS stays single-threaded


def _bmm(a: np.ndarray, basis: np.ndarray) -> np.ndarray:
    """a @ basis in row blocks (multi-threaded BLAS on these small products only contends)."""
    if a.shape[0] <= BLOCK:
        return a @ basis
    out = np.empty((a.shape[0], basis.shape[1]))
    for i in range(0, a.shape[0], BLOCK):
        np.matmul(a[i: i + BLOCK], basis, out=out[i: i + BLOCK])
    return out


def _lsum(a: np.ndarray, levels: np.ndarray) -> np.ndarray:
    """Per-level row sums of a (K, n) array."""
    if levels.shape[1] == 1:
        return a.sum(axis=1, keepdims=True)
    return _bmm(a, levels)


def _basis(levels: np.ndarray, xc: np.ndarray, powers: int) -> np.ndarray:
    """[levels, levels * xc, levels * xc^2][:powers] side by side: (n, powers * m)."""
    return np.hstack([levels * (xc ** p)[:, None] for p in range(powers)])


def irls(pre: Start, omega: np.ndarray, levels: np.ndarray, xc: np.ndarray | None,
         *, trend: bool) -> Fit:
    """Fit K GLMs log mu = levels @ alpha (+ beta * xc) by R's IRLS; omega is (K, n), 0 = absent."""
    k, n = pre.y.shape
    m = levels.shape[1]
    if trend:
        assert xc is not None
        return _irls_trend(pre, omega, levels, np.asarray(xc, float), k, n, m)
    return _irls_levels(pre, omega, levels, k, n, m)


def irls_or_without_trend(pre: Start, omega: np.ndarray, levels: np.ndarray,
                          xc: np.ndarray | None, *, trend: bool) -> Fit:
    """Fit with the trend; the series whose fit did not converge are fitted again without it."""
    fit = irls(pre, omega, levels, xc, trend=trend)
    if trend and not fit.converged.all():
        nc = np.flatnonzero(~fit.converged)
        fit.put(nc, irls(pre.take(nc), omega[nc], levels, None, trend=False))
    return fit


def _finish(fit: Fit, y: np.ndarray, omega: np.ndarray, levels: np.ndarray,
            rank: np.ndarray) -> Fit:
    """Pearson dispersion (last-iteration W, final mu) and residual df."""
    present = omega > 0
    r = (y - fit.mu) / fit.mu
    fit.pearson = (fit.w * r * r).sum(axis=1)
    fit.df = present.sum(axis=1) - rank
    with np.errstate(divide="ignore", invalid="ignore"):
        fit.pearson = fit.pearson / fit.df
    return fit


def _irls_levels(pre: Start, omega: np.ndarray, levels: np.ndarray, k: int, n: int,
                 m: int) -> Fit:
    """No time column: after the first step mu is constant within a level (sufficient stats)."""
    fit = _empty(k, n, m)
    y = pre.y
    wy = omega * y
    c1 = (omega * pre.ylogy).sum(axis=1)
    idx = _level_of(levels)
    om_l = _lsum(omega, levels)
    y_l = _lsum(wy, levels)
    has = om_l > 0
    rank = has.sum(axis=1)
    # iteration 1, element-wise from mustart = y + 0.1
    eta0, mu0 = pre.eta0, pre.mu0
    devold = 2.0 * (omega * pre.dev0).sum(axis=1)
    w1 = omega * mu0
    s0 = _lsum(w1, levels)
    t0 = _lsum(w1 * eta0 + omega * (y - mu0), levels)
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
    fit.mu = np.maximum(np.exp(alpha_out.take(idx, axis=1)), EPS)
    fit.w = np.where(first_out[:, None], w1, omega * prev_out.take(idx, axis=1))
    fit.s0 = s0_last
    return _finish(fit, y, omega, levels, rank)


def _irls_trend(pre: Start, omega: np.ndarray, levels: np.ndarray, xc: np.ndarray, k: int,
                n: int, m: int) -> Fit:
    """Levels plus a time column: element-wise IRLS with an arrowhead closed-form solve.

    Per iteration only eta, mu and W are element-wise; the weighted sums X'Wz follow from the
    level sums of W, W xc, W xc^2 and the previous coefficients (eta = alpha_l + beta xc).
    """
    fit = _empty(k, n, m)
    fit.trend[:] = True
    y = pre.y
    wy = omega * y
    c1 = (omega * pre.ylogy).sum(axis=1)
    idx = _level_of(levels)
    has_all = _lsum(omega, levels) > 0
    rank = has_all.sum(axis=1) + 1
    xmin, xmax = float(xc.min()), float(xc.max())
    basis_w, basis_z = _basis(levels, xc, 3), _basis(levels, xc, 2)
    design = np.vstack([levels.T, xc[None, :]])  # eta = [alpha, beta] @ design
    unit = bool((omega == 1).all())  # all present with unit prior weights: W = mu
    wy_l = _bmm(wy, basis_z)  # level sums of omega*y and omega*y*xc
    # iteration 1 starts from mustart = y + 0.1 (eta not of the alpha + beta xc form)
    eta0, mu0 = pre.eta0, pre.mu0
    devold = 2.0 * (omega * pre.dev0).sum(axis=1)
    w0 = omega * mu0
    sw = _bmm(w0, basis_w)
    sz = _bmm(w0 * eta0, basis_z) + wy_l - sw[:, : 2 * m]
    active = np.arange(k)
    om, c1a, has, wyl = omega, c1, has_all, wy_l
    coef_old: tuple[np.ndarray, np.ndarray] | None = None
    prev_alpha = np.zeros((k, m))  # coefficients the last W was computed at
    prev_beta = np.zeros(k)
    first = np.zeros(k, bool)      # converged at iteration 1: the last W is omega * mu0
    for it in range(1, MAXIT + 1):
        s0, s1, s2 = sw[:, :m], sw[:, m:2 * m], sw[:, 2 * m:]
        t0, t1 = sz[:, :m], sz[:, m:]
        s0_safe = np.where(has, s0, 1.0)
        ratio = np.where(has, s1 / s0_safe, 0.0)
        schur = s2.sum(axis=1) - (ratio * s1).sum(axis=1)
        rhs = t1.sum(axis=1) - (ratio * t0).sum(axis=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            beta = rhs / schur
        alpha = np.where(has, (t0 - s1 * beta[:, None]) / s0_safe, 0.0)
        eta_new = _bmm(np.hstack([alpha, beta[:, None]]), design)
        low = alpha.min(axis=1) + np.minimum(beta * xmin, beta * xmax) < LOG_EPS
        with np.errstate(over="ignore"):
            mu_new = np.exp(eta_new, out=eta_new)
        if low.any():
            np.maximum(mu_new, EPS, out=mu_new)
        if not unit:
            mu_new *= om
        w_new = mu_new
        sw_new = _bmm(w_new, basis_w)
        ylogmu = (alpha * wyl[:, :m]).sum(axis=1) + beta * wyl[:, m:].sum(axis=1)
        if low.any():
            rows_low = np.flatnonzero(low)
            eta_low = alpha[rows_low].take(idx, axis=1) + beta[rows_low, None] * xc
            ylogmu[rows_low] = (wy[active[rows_low]] * np.maximum(eta_low, LOG_EPS)).sum(axis=1)
        dev = 2.0 * (c1a - ylogmu + sw_new[:, :m].sum(axis=1))
        bad = ~np.isfinite(dev)
        halvings = 0
        while bad.any() and coef_old is not None and halvings < 60:
            alpha[bad] = (alpha[bad] + coef_old[0][bad]) / 2
            beta[bad] = (beta[bad] + coef_old[1][bad]) / 2
            eta_bad = alpha[bad].take(idx, axis=1) + beta[bad][:, None] * xc
            with np.errstate(over="ignore"):
                w_new[bad] = np.maximum(np.exp(eta_bad), EPS) * om[bad]
            sw_new[bad] = _bmm(w_new[bad], basis_w)
            dev[bad] = 2.0 * (c1a[bad] - (wy[active[bad]] * np.maximum(eta_bad, LOG_EPS)).sum(1)
                              + sw_new[bad, :m].sum(axis=1))
            bad = ~np.isfinite(dev)
            halvings += 1
        with np.errstate(invalid="ignore"):
            conv = np.abs(dev - devold) / (np.abs(dev) + 0.1) < EPSILON
        done = conv | (it == MAXIT)
        if done.any():
            rows = active[done]
            fit.alpha[rows] = alpha[done]
            fit.beta[rows] = beta[done]
            fit.converged[rows] = conv[done]
            fit.s0[rows] = s0[done]
            fit.s1[rows] = s1[done]
            fit.schur[rows] = schur[done]
            if it == 1:
                first[rows] = True
            else:
                prev_alpha[rows] = coef_old[0][done]
                prev_beta[rows] = coef_old[1][done]
            keep = ~done
            if not keep.any():
                break
            active = active[keep]
            om, c1a, has, wyl = om[keep], c1a[keep], has[keep], wyl[keep]
            alpha, beta = alpha[keep], beta[keep]
            w_new, sw_new, dev = w_new[keep], sw_new[keep], dev[keep]
        devold, sw = dev, sw_new
        # X'Wz at the new eta = alpha_l + beta xc: sum w eta = alpha s0 + beta s1, etc.
        n0, n1, n2 = sw[:, :m], sw[:, m:2 * m], sw[:, 2 * m:]
        sz = np.hstack([alpha * n0 + beta[:, None] * n1, alpha * n1 + beta[:, None] * n2])
        sz += wyl - sw[:, : 2 * m]
        coef_old = (alpha, beta)
    with np.errstate(over="ignore"):
        fit.mu = np.exp(_bmm(np.hstack([fit.alpha, fit.beta[:, None]]), design))
        np.maximum(fit.mu, EPS, out=fit.mu)
        w_last = np.exp(_bmm(np.hstack([prev_alpha, prev_beta[:, None]]), design))
        np.maximum(w_last, EPS, out=w_last)
    w_last *= omega
    if first.any():
        w_last[first] = (omega * mu0)[first]
    fit.w = w_last
    return _finish(fit, y, omega, levels, rank)


def hat_values(fit: Fit, levels: np.ndarray, xc: np.ndarray | None) -> np.ndarray:
    """Diagonal of the hat matrix W^1/2 X (X'WX)^-1 X' W^1/2 (R: values >= 1 - 10 eps -> 1)."""
    has = fit.s0 > 0
    s0_safe = np.where(has, fit.s0, 1.0)
    inv = np.where(has, 1.0 / s0_safe, 0.0)
    idx = levels.argmax(axis=1)
    h = fit.w * inv.take(idx, axis=1)
    if xc is not None and fit.trend.any():
        centre = np.where(has, fit.s1 / s0_safe, 0.0).take(idx, axis=1)
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


def anscombe_weights(fit: Fit, pre: Start, omega: np.ndarray, levels: np.ndarray,
                     xc: np.ndarray | None, *, threshold: float) -> np.ndarray:
    """Farrington's reweighting: Anscombe residuals with phi = max(1, Pearson), then omega."""
    present = omega > 0
    y = pre.y
    phi = np.maximum(fit.pearson, 1.0)
    h = hat_values(fit, levels, xc)
    mu = fit.mu
    with np.errstate(divide="ignore", invalid="ignore"):
        root = np.sqrt(mu)
        s = 1.5 * (np.cbrt(y * y) / np.cbrt(root) - root)
        s /= np.sqrt(phi[:, None] * (1.0 - h))
        big = s > threshold
        inv2 = np.where(big, 1.0 / (s * s), 1.0)
        gamma = present.sum(axis=1) / np.where(present, inv2, 0.0).sum(axis=1)
        out = inv2 * gamma[:, None]
    return np.where(present, out, 0.0)
