"""autograd tests/test_scipy.py, one plain numpy/scipy function per test.

Each combo_check test gets one representative combination of its shapes; the scipy
names are scipy's own (scipy.special, scipy.stats, scipy.signal, scipy.linalg,
scipy.integrate). Rendered by a script from a table of (test, body, arguments).
"""

import numpy as np
from scipy import integrate, linalg, signal, special, stats

_rng = np.random.default_rng(5)


def R(*shape):
    return _rng.standard_normal(shape)


def U(lo, hi, *shape):
    return lo + (hi - lo) * _rng.random(shape)


def _psd(d):
    m = R(d, d)
    return m.T @ m + np.eye(d)


def _ode(y, t, arg1, arg2):
    return -np.sqrt(t) - y + arg1 - np.mean((y + arg2) ** 2)


_K4 = np.round(R(4) ** 2)
_K43 = np.round(R(4, 3) ** 2)
_SING = np.diag([1.0, 1.0, 0.0, 0.0])
_ALPHA = _rng.random(4) ** 2 + 1.2
_DIRX = _rng.dirichlet(_ALPHA)
_B4 = np.exp(R(4))
_B34 = np.exp(R(3, 4))
_B234 = np.exp(R(2, 3, 4))
_P4 = R(4) ** 2 + 1.1
_Q4 = R(4) ** 2 + 1.1
_V4 = U(1.0, 50.0, 4)


# test_scipy.py::test_chi2_pdf
def scipy_chi2_pdf(x):
    return stats.chi2.pdf(x, 3)


# test_scipy.py::test_chi2_cdf
def scipy_chi2_cdf(x):
    return stats.chi2.cdf(x, 3)


# test_scipy.py::test_chi2_logpdf
def scipy_chi2_logpdf(x):
    return stats.chi2.logpdf(x, 3)


# test_scipy.py::test_beta_cdf
def scipy_beta_cdf(x, a, b):
    return stats.beta.cdf(x, a, b)


# test_scipy.py::test_beta_pdf
def scipy_beta_pdf(x, a, b):
    return stats.beta.pdf(x, a, b)


# test_scipy.py::test_beta_logpdf
def scipy_beta_logpdf(x, a, b):
    return stats.beta.logpdf(x, a, b)


# test_scipy.py::test_gamma_cdf
def scipy_gamma_cdf(x, a):
    return stats.gamma.cdf(x, a)


# test_scipy.py::test_gamma_pdf
def scipy_gamma_pdf(x, a):
    return stats.gamma.pdf(x, a)


# test_scipy.py::test_gamma_logpdf
def scipy_gamma_logpdf(x, a):
    return stats.gamma.logpdf(x, a)


# test_scipy.py::test_norm_pdf
def scipy_norm_pdf(x, loc, scale):
    return stats.norm.pdf(x, loc, scale)


# test_scipy.py::test_norm_cdf
def scipy_norm_cdf(x, loc, scale):
    return stats.norm.cdf(x, loc, scale)


# test_scipy.py::test_norm_sf
def scipy_norm_sf(x, loc, scale):
    return stats.norm.sf(x, loc, scale)


# test_scipy.py::test_norm_logpdf
def scipy_norm_logpdf(x, loc, scale):
    return stats.norm.logpdf(x, loc, scale)


# test_scipy.py::test_norm_logcdf
def scipy_norm_logcdf(x, loc, scale):
    return stats.norm.logcdf(x, loc, scale)


# test_scipy.py::test_norm_logsf
def scipy_norm_logsf(x, loc, scale):
    return stats.norm.logsf(x, loc, scale)


# test_scipy.py::test_norm_pdf_broadcast
def scipy_norm_pdf_broadcast(x, loc, scale):
    return stats.norm.pdf(x, loc, scale)


# test_scipy.py::test_norm_cdf_broadcast
def scipy_norm_cdf_broadcast(x, loc, scale):
    return stats.norm.cdf(x, loc, scale)


# test_scipy.py::test_norm_sf_broadcast
def scipy_norm_sf_broadcast(x, loc, scale):
    return stats.norm.cdf(x, loc, scale)


# test_scipy.py::test_norm_logpdf_broadcast
def scipy_norm_logpdf_broadcast(x, loc, scale):
    return stats.norm.logpdf(x, loc, scale)


# test_scipy.py::test_norm_logcdf_broadcast
def scipy_norm_logcdf_broadcast(x, loc, scale):
    return stats.norm.logcdf(x, loc, scale)


# test_scipy.py::test_norm_logsf_broadcast
def scipy_norm_logsf_broadcast(x, loc, scale):
    return stats.norm.logcdf(x, loc, scale)


# test_scipy.py::test_poisson_cdf
def scipy_poisson_cdf(mu):
    return stats.poisson.cdf(_K4, mu)


# test_scipy.py::test_poisson_logpmf
def scipy_poisson_logpmf(mu):
    return stats.poisson.logpmf(_K4, mu)


# test_scipy.py::test_poisson_pmf
def scipy_poisson_pmf(mu):
    return stats.poisson.pmf(_K4, mu)


# test_scipy.py::test_poisson_cdf_broadcast
def scipy_poisson_cdf_broadcast(mu):
    return stats.poisson.cdf(_K43, mu)


# test_scipy.py::test_poisson_logpmf_broadcast
def scipy_poisson_logpmf_broadcast(mu):
    return stats.poisson.logpmf(_K43, mu)


# test_scipy.py::test_poisson_pmf_broadcast
def scipy_poisson_pmf_broadcast(mu):
    return stats.poisson.pmf(_K43, mu)


# test_scipy.py::test_t_pdf
def scipy_t_pdf(x, df, loc, scale):
    return stats.t.pdf(x, df, loc, scale)


# test_scipy.py::test_t_cdf
def scipy_t_cdf(x, df, loc, scale):
    return stats.t.cdf(x, df, loc, scale)


# test_scipy.py::test_t_logpdf
def scipy_t_logpdf(x, df, loc, scale):
    return stats.t.logpdf(x, df, loc, scale)


# test_scipy.py::test_t_logcdf
def scipy_t_logcdf(x, df, loc, scale):
    return stats.t.logcdf(x, df, loc, scale)


# test_scipy.py::test_t_pdf_broadcast
def scipy_t_pdf_broadcast(x, df, loc, scale):
    return stats.t.pdf(x, df, loc, scale)


# test_scipy.py::test_t_cdf_broadcast
def scipy_t_cdf_broadcast(x, df, loc, scale):
    return stats.t.cdf(x, df, loc, scale)


# test_scipy.py::test_t_logpdf_broadcast
def scipy_t_logpdf_broadcast(x, df, loc, scale):
    return stats.t.logpdf(x, df, loc, scale)


# test_scipy.py::test_t_logcdf_broadcast
def scipy_t_logcdf_broadcast(x, df, loc, scale):
    return stats.t.logcdf(x, df, loc, scale)


# test_scipy.py::test_mvn_pdf
def scipy_mvn_pdf(x, mean, cov):
    return stats.multivariate_normal.pdf(x, mean, 0.5 * (cov + cov.T))


# test_scipy.py::test_mvn_logpdf
def scipy_mvn_logpdf(x, mean, cov):
    return stats.multivariate_normal.logpdf(x, mean, 0.5 * (cov + cov.T))


# test_scipy.py::test_mvn_entropy
def scipy_mvn_entropy(mean, cov):
    return stats.multivariate_normal.entropy(mean, 0.5 * (cov + cov.T))


# test_scipy.py::test_mvn_sing_cov
def scipy_mvn_sing_cov(x, mean):
    return stats.multivariate_normal.pdf(np.concatenate([x[:2], mean[2:]]), mean, _SING, allow_singular=True)


# test_scipy.py::test_mvn_pdf_broadcast
def scipy_mvn_pdf_broadcast(x, mean, cov):
    return stats.multivariate_normal.pdf(x, mean, 0.5 * (cov + cov.T))


# test_scipy.py::test_mvn_logpdf_broadcast
def scipy_mvn_logpdf_broadcast(x, mean, cov):
    return stats.multivariate_normal.logpdf(x, mean, 0.5 * (cov + cov.T))


# test_scipy.py::test_dirichlet_pdf_x
def scipy_dirichlet_pdf_x(x):
    return stats.dirichlet.pdf(x / np.sum(x), _ALPHA)


# test_scipy.py::test_dirichlet_pdf_alpha
def scipy_dirichlet_pdf_alpha(alpha):
    return stats.dirichlet.pdf(_DIRX, alpha)


# test_scipy.py::test_dirichlet_logpdf_x
def scipy_dirichlet_logpdf_x(x):
    return stats.dirichlet.logpdf(x / np.sum(x), _ALPHA)


# test_scipy.py::test_dirichlet_logpdf_alpha
def scipy_dirichlet_logpdf_alpha(alpha):
    return stats.dirichlet.logpdf(_DIRX, alpha)


# test_scipy.py::test_logsumexp1
def scipy_logsumexp1(x):
    return special.logsumexp(x, axis=0, keepdims=True)


# test_scipy.py::test_logsumexp2
def scipy_logsumexp2(x):
    return special.logsumexp(x, axis=1)


# test_scipy.py::test_logsumexp3
def scipy_logsumexp3(x):
    return special.logsumexp(x, b=_B4)


# test_scipy.py::test_logsumexp4
def scipy_logsumexp4(x):
    return special.logsumexp(x, b=_B34, axis=1, keepdims=True)


# test_scipy.py::test_logsumexp5
def scipy_logsumexp5(x):
    return special.logsumexp(x, b=_B234, axis=0)


# test_scipy.py::test_logsumexp6
def scipy_logsumexp6(x):
    return special.logsumexp(x, axis=1, keepdims=True)


# test_scipy.py::test_convolve_generalization
def scipy_convolve_generalization(a, b):
    return np.tensordot(a, b, axes=([0], [0]))


# test_scipy.py::test_convolve
def scipy_convolve(a, b):
    return signal.convolve(a, b, mode='full')


# test_scipy.py::test_convolve_2d
def scipy_convolve_2d(a, b):
    return signal.convolve(a, b, mode='valid')


# test_scipy.py::test_convolve_ignore
def scipy_convolve_ignore(a, b):
    return signal.convolve(a, b, mode='same')


# test_scipy.py::test_convolve_ignore_dot
def scipy_convolve_ignore_dot(a, b):
    return np.tensordot(a, b, axes=([0], [2]))


# test_scipy.py::test_beta
def scipy_beta(a, b):
    return special.beta(a, b)


# test_scipy.py::test_betainc
def scipy_betainc(x):
    return special.betainc(_P4, _Q4, x)


# test_scipy.py::test_betaln
def scipy_betaln(a, b):
    return special.betaln(a, b)


# test_scipy.py::test_gammainc
def scipy_gammainc(x):
    return special.gammainc(1, x)


# test_scipy.py::test_gammaincc
def scipy_gammaincc(x):
    return special.gammaincc(1, x)


# test_scipy.py::test_polygamma
def scipy_polygamma(x):
    return special.polygamma(0, x)


# test_scipy.py::test_jn
def scipy_jn(x):
    return special.jn(2, x)


# test_scipy.py::test_yn
def scipy_yn(x):
    return special.yn(2, x)


# test_scipy.py::test_psi
def scipy_psi(x):
    return special.psi(x)


# test_scipy.py::test_digamma
def scipy_digamma(x):
    return special.digamma(x)


# test_scipy.py::test_gamma
def scipy_gamma(x):
    return special.gamma(x)


# test_scipy.py::test_gammaln
def scipy_gammaln(x):
    return special.gammaln(x)


# test_scipy.py::test_gammasgn
def scipy_gammasgn(x):
    return special.gammasgn(x)


# test_scipy.py::test_rgamma
def scipy_rgamma(x):
    return special.rgamma(x)


# test_scipy.py::test_multigammaln
def scipy_multigammaln(x):
    return special.multigammaln(x, 2)


# test_scipy.py::test_j0
def scipy_j0(x):
    return special.j0(x)


# test_scipy.py::test_j1
def scipy_j1(x):
    return special.j1(x)


# test_scipy.py::test_y0
def scipy_y0(x):
    return special.y0(x)


# test_scipy.py::test_y1
def scipy_y1(x):
    return special.y1(x)


# test_scipy.py::test_i0
def scipy_i0(x):
    return special.i0(x)


# test_scipy.py::test_i1
def scipy_i1(x):
    return special.i1(x)


# test_scipy.py::test_iv
def scipy_iv(x):
    return special.iv(_V4, x)


# test_scipy.py::test_ive
def scipy_ive(x):
    return special.ive(_V4, x)


# test_scipy.py::test_erf
def scipy_erf(x):
    return special.erf(x)


# test_scipy.py::test_erfc
def scipy_erfc(x):
    return special.erfc(x)


# test_scipy.py::test_erfinv
def scipy_erfinv(x):
    return special.erfinv(x)


# test_scipy.py::test_erfcinv
def scipy_erfcinv(x):
    return special.erfcinv(x)


# test_scipy.py::test_logit
def scipy_logit(x):
    return special.logit(x)


# test_scipy.py::test_expit
def scipy_expit(x):
    return special.expit(x)


# test_scipy.py::test_odeint
def scipy_odeint(y0, arg1, arg2):
    return integrate.odeint(_ode, y0, np.linspace(0.1, 0.2, 4), args=(arg1, arg2))


# test_scipy.py::test_sqrtm
def scipy_sqrtm(a):
    return linalg.sqrtm(0.5 * (a + a.T) + 3 * np.eye(3))


# test_scipy.py::test_solve_sylvester
def scipy_solve_sylvester(a, b, q):
    return linalg.solve_sylvester(a, b, q)


# test_scipy.py::test_solve_banded
def scipy_solve_banded(ab, b):
    return linalg.solve_banded((1, 1), ab, b)


CASES = [
    (scipy_chi2_pdf, (R(4) ** 2 + 1.1,)),
    (scipy_chi2_cdf, (R(4) ** 2 + 1.1,)),
    (scipy_chi2_logpdf, (R(4) ** 2 + 1.1,)),
    (scipy_beta_cdf, (U(0.0, 1.0, 4), R(4) ** 2 + 1.1, R(4) ** 2 + 1.1,)),
    (scipy_beta_pdf, (U(0.0, 1.0, 4), R(4) ** 2 + 1.1, R(4) ** 2 + 1.1,)),
    (scipy_beta_logpdf, (U(0.0, 1.0, 4), R(4) ** 2 + 1.1, R(4) ** 2 + 1.1,)),
    (scipy_gamma_cdf, (R(4) ** 2 + 1.1, R(4) ** 2 + 1.1,)),
    (scipy_gamma_pdf, (R(4) ** 2 + 1.1, R(4) ** 2 + 1.1,)),
    (scipy_gamma_logpdf, (R(4) ** 2 + 1.1, R(4) ** 2 + 1.1,)),
    (scipy_norm_pdf, (R(4), R(4), R(4) ** 2 + 1.1,)),
    (scipy_norm_cdf, (R(4), R(4), R(4) ** 2 + 1.1,)),
    (scipy_norm_sf, (R(4), R(4), R(4) ** 2 + 1.1,)),
    (scipy_norm_logpdf, (R(4), R(4), R(4) ** 2 + 1.1,)),
    (scipy_norm_logcdf, (R(4), R(4), R(4) ** 2 + 1.1,)),
    (scipy_norm_logsf, (R(4), R(4), R(4) ** 2 + 1.1,)),
    (scipy_norm_pdf_broadcast, (R(4, 3), R(1, 3), R(4, 1) ** 2 + 1.1,)),
    (scipy_norm_cdf_broadcast, (R(4, 3), R(1, 3), R(4, 1) ** 2 + 1.1,)),
    (scipy_norm_sf_broadcast, (R(4, 3), R(1, 3), R(4, 1) ** 2 + 1.1,)),
    (scipy_norm_logpdf_broadcast, (R(4, 3), R(1, 3), R(4, 1) ** 2 + 1.1,)),
    (scipy_norm_logcdf_broadcast, (R(4, 3), R(1, 3), R(4, 1) ** 2 + 1.1,)),
    (scipy_norm_logsf_broadcast, (R(4, 3), R(1, 3), R(4, 1) ** 2 + 1.1,)),
    (scipy_poisson_cdf, (R(4) ** 2 + 1.1,)),
    (scipy_poisson_logpmf, (R(4) ** 2 + 1.1,)),
    (scipy_poisson_pmf, (R(4) ** 2 + 1.1,)),
    (scipy_poisson_cdf_broadcast, (R(4, 1) ** 2 + 1.1,)),
    (scipy_poisson_logpmf_broadcast, (R(4, 1) ** 2 + 1.1,)),
    (scipy_poisson_pmf_broadcast, (R(4, 1) ** 2 + 1.1,)),
    (scipy_t_pdf, (R(4), R(4) ** 2 + 2.1, R(4), R(4) ** 2 + 2.1,)),
    (scipy_t_cdf, (R(4), R(4) ** 2 + 2.1, R(4), R(4) ** 2 + 2.1,)),
    (scipy_t_logpdf, (R(4), R(4) ** 2 + 2.1, R(4), R(4) ** 2 + 2.1,)),
    (scipy_t_logcdf, (R(4), R(4) ** 2 + 2.1, R(4), R(4) ** 2 + 2.1,)),
    (scipy_t_pdf_broadcast, (R(4, 3), R(1, 3) ** 2 + 2.1, R(4, 3), R(4, 1) ** 2 + 2.1,)),
    (scipy_t_cdf_broadcast, (R(4, 3), R(1, 3) ** 2 + 2.1, R(4, 3), R(4, 1) ** 2 + 2.1,)),
    (scipy_t_logpdf_broadcast, (R(4, 3), R(1, 3) ** 2 + 2.1, R(4, 3), R(4, 1) ** 2 + 2.1,)),
    (scipy_t_logcdf_broadcast, (R(4, 3), R(1, 3) ** 2 + 2.1, R(4, 3), R(4, 1) ** 2 + 2.1,)),
    (scipy_mvn_pdf, (R(4), R(4), _psd(4),)),
    (scipy_mvn_logpdf, (R(4), R(4), _psd(4),)),
    (scipy_mvn_entropy, (10 * R(4), _psd(4),)),
    (scipy_mvn_sing_cov, (np.concatenate((R(2), np.zeros(2))), np.concatenate((R(2), np.zeros(2))),)),
    (scipy_mvn_pdf_broadcast, (R(5, 4), R(4), _psd(4),)),
    (scipy_mvn_logpdf_broadcast, (R(5, 4), R(4), _psd(4),)),
    (scipy_dirichlet_pdf_x, (_DIRX,)),
    (scipy_dirichlet_pdf_alpha, (_ALPHA,)),
    (scipy_dirichlet_logpdf_x, (_DIRX,)),
    (scipy_dirichlet_logpdf_alpha, (_ALPHA,)),
    (scipy_logsumexp1, (R(3, 4),)),
    (scipy_logsumexp2, (R(4, 5, 6),)),
    (scipy_logsumexp3, (R(4),)),
    (scipy_logsumexp4, (R(3, 4),)),
    (scipy_logsumexp5, (R(2, 3, 4),)),
    (scipy_logsumexp6, (R(1, 5),)),
    (scipy_convolve_generalization, (R(3, 5), R(3, 4),)),
    (scipy_convolve, (R(5), R(3),)),
    (scipy_convolve_2d, (R(5, 4), R(3, 2),)),
    (scipy_convolve_ignore, (R(4, 3), R(3, 2),)),
    (scipy_convolve_ignore_dot, (R(3, 3, 2), R(3, 2, 3),)),
    (scipy_beta, (R(4) ** 2 + 1.1, R(4) ** 2 + 1.1,)),
    (scipy_betainc, (U(0.0, 1.0, 4),)),
    (scipy_betaln, (R(4) ** 2 + 1.1, R(4) ** 2 + 1.1,)),
    (scipy_gammainc, (R(4) ** 2 + 1.3,)),
    (scipy_gammaincc, (R(4) ** 2 + 1.3,)),
    (scipy_polygamma, (R(4) ** 2 + 1.3,)),
    (scipy_jn, (R(4) ** 2 + 1.3,)),
    (scipy_yn, (R(4) ** 2 + 1.3,)),
    (scipy_psi, (U(0.3, 2.0, 3, 2),)),
    (scipy_digamma, (U(0.3, 2.0, 3, 2),)),
    (scipy_gamma, (U(0.3, 2.0, 3, 2),)),
    (scipy_gammaln, (U(0.3, 2.0, 3, 2),)),
    (scipy_gammasgn, (U(0.3, 2.0, 3, 2),)),
    (scipy_rgamma, (U(0.3, 2.0, 3, 2),)),
    (scipy_multigammaln, (U(4.0, 5.0),)),
    (scipy_j0, (U(0.2, 20.0, 3, 2),)),
    (scipy_j1, (U(0.2, 20.0, 3, 2),)),
    (scipy_y0, (U(0.2, 20.0, 3, 2),)),
    (scipy_y1, (U(0.2, 20.0, 3, 2),)),
    (scipy_i0, (U(0.2, 20.0, 3, 2),)),
    (scipy_i1, (U(0.2, 20.0, 3, 2),)),
    (scipy_iv, (R(4) ** 2 + 1.3,)),
    (scipy_ive, (R(4) ** 2 + 1.3,)),
    (scipy_erf, (U(-3.0, 3.0, 3, 2),)),
    (scipy_erfc, (U(-3.0, 3.0, 3, 2),)),
    (scipy_erfinv, (U(-0.95, 0.95, 3, 2),)),
    (scipy_erfcinv, (U(0.05, 1.95, 3, 2),)),
    (scipy_logit, (U(0.1, 0.9, 3, 2),)),
    (scipy_expit, (U(-4.05, 4.95, 3, 2),)),
    (scipy_odeint, (R(3), R(3), R(3),)),
    (scipy_sqrtm, (R(3, 3),)),
    (scipy_solve_sylvester, (R(3, 3), R(3, 3), R(3, 3),)),
    (scipy_solve_banded, (R(3, 5) + np.array([[0.0], [4.0], [0.0]]), R(5),)),
]
