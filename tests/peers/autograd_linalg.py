"""autograd tests/test_linalg.py, one plain numpy function per test (parametrised tests:
one per parameter value). Rendered by a script from a table of (test, body, arguments).

Matrices are as the original test made them: shifted by a multiple of the identity
where it did (inv, solve), symmetrised as its check_symmetric_matrix_grads does for
cholesky. The complex variants are kept: symgrad refuses complex input at the call.
"""

import numpy as np

_rng = np.random.default_rng(2)


def R(*shape):
    return _rng.standard_normal(shape)


def _wc(d):
    m = R(d, d)
    return m @ m + np.eye(d)


def _psd(d):
    m = R(d, d)
    return m @ m.T


def _psd_stack(d, k):
    return np.stack([_psd(d) + d * np.eye(d) for _ in range(k)])


def _hmat():
    m = R(2, 3, 6, 6) + 10 * np.eye(6)
    return np.einsum('...ij,...kj->...ik', m, m)


def _sym(a):
    lower = np.tril(a)
    return (lower + np.swapaxes(lower, -1, -2)) / 2.0


_B87 = R(8, 7)
_B8 = R(8)
_A66 = R(6, 6) + np.eye(6)
_B54 = R(5, 4)
_B546 = R(5, 4, 6)
_Z6 = np.random.RandomState(0).randn(6)


# test_linalg.py::test_inv
def linalg_inv(x):
    return np.linalg.inv(x)


# test_linalg.py::test_pinv
def linalg_pinv(x):
    return np.linalg.pinv(x)


# test_linalg.py::test_pinv_low_rank
def linalg_pinv_low_rank(x):
    return np.linalg.pinv(np.swapaxes(x, -1, -2) @ x)


# test_linalg.py::test_inv_3d
def linalg_inv_3d(x):
    return np.linalg.inv(x)


# test_linalg.py::test_solve_arg1
def linalg_solve_arg1(a):
    return np.linalg.solve(a, _B87)


# test_linalg.py::test_solve_arg1_1d
def linalg_solve_arg1_1d(a):
    return np.linalg.solve(a, _B8)


# test_linalg.py::test_solve_arg2
def linalg_solve_arg2(b):
    return np.linalg.solve(_A66, b)


# test_linalg.py::test_solve_arg1_3d
def linalg_solve_arg1_3d(a):
    return np.linalg.solve(a, _B54[..., None])[..., 0]


# test_linalg.py::test_solve_arg1_3d_3d
def linalg_solve_arg1_3d_3d(a):
    return np.linalg.solve(a, _B546)


# test_linalg.py::test_det
def linalg_det(x):
    return np.linalg.det(x)


# test_linalg.py::test_det_3d
def linalg_det_3d(x):
    return np.linalg.det(x)


# test_linalg.py::test_slogdet
def linalg_slogdet(x):
    _sign, logdet = np.linalg.slogdet(x)
    return logdet


# test_linalg.py::test_slogdet_3d
def linalg_slogdet_3d(x):
    return np.sum(np.linalg.slogdet(x)[1])


# test_linalg.py::test_vector_2norm
def linalg_vector_2norm(x):
    return np.linalg.norm(x)


# test_linalg.py::test_norm_list_of_boxes
def linalg_norm_list_of_boxes(x):
    return np.linalg.norm([x, x + 2])


# test_linalg.py::test_vector_2norm_complex
def linalg_vector_2norm_complex(x):
    return np.linalg.norm(x)


# test_linalg.py::test_frobenius_norm
def linalg_frobenius_norm(x):
    return np.linalg.norm(x)


# test_linalg.py::test_frobenius_norm_complex
def linalg_frobenius_norm_complex(x):
    return np.linalg.norm(x)


# test_linalg.py::test_frobenius_norm_axis
def linalg_frobenius_norm_axis(x):
    return np.linalg.norm(x, axis=(0, 1))


# test_linalg.py::test_frobenius_norm_axis_complex
def linalg_frobenius_norm_axis_complex(x):
    return np.linalg.norm(x, axis=(0, 1))


# test_linalg.py::test_vector_norm_ord_2
def linalg_vector_norm_ord_2(x):
    return np.linalg.norm(x, ord=2)


# test_linalg.py::test_vector_norm_ord_3
def linalg_vector_norm_ord_3(x):
    return np.linalg.norm(x, ord=3)


# test_linalg.py::test_vector_norm_ord_4
def linalg_vector_norm_ord_4(x):
    return np.linalg.norm(x, ord=4)


# test_linalg.py::test_vector_norm_ord_complex_2
def linalg_vector_norm_ord_complex_2(x):
    return np.linalg.norm(x, ord=2)


# test_linalg.py::test_vector_norm_ord_complex_3
def linalg_vector_norm_ord_complex_3(x):
    return np.linalg.norm(x, ord=3)


# test_linalg.py::test_vector_norm_ord_complex_4
def linalg_vector_norm_ord_complex_4(x):
    return np.linalg.norm(x, ord=4)


# test_linalg.py::test_norm_axis_0
def linalg_norm_axis_0(x):
    return np.linalg.norm(x, axis=0)


# test_linalg.py::test_norm_axis_1
def linalg_norm_axis_1(x):
    return np.linalg.norm(x, axis=1)


# test_linalg.py::test_norm_axis_2
def linalg_norm_axis_2(x):
    return np.linalg.norm(x, axis=2)


# test_linalg.py::test_norm_axis_complex_0
def linalg_norm_axis_complex_0(x):
    return np.linalg.norm(x, axis=0)


# test_linalg.py::test_norm_axis_complex_1
def linalg_norm_axis_complex_1(x):
    return np.linalg.norm(x, axis=1)


# test_linalg.py::test_norm_axis_complex_2
def linalg_norm_axis_complex_2(x):
    return np.linalg.norm(x, axis=2)


# test_linalg.py::test_norm_nuclear
def linalg_norm_nuclear(x):
    return np.linalg.norm(x, ord='nuc')


# test_linalg.py::test_norm_nuclear_complex
def linalg_norm_nuclear_complex(x):
    return np.linalg.norm(x, ord='nuc')


# test_linalg.py::test_norm_nuclear_axis
def linalg_norm_nuclear_axis(x):
    return np.linalg.norm(x, ord='nuc', axis=(0, 1))


# test_linalg.py::test_norm_nuclear_axis_complex
def linalg_norm_nuclear_axis_complex(x):
    return np.linalg.norm(x, ord='nuc', axis=(0, 1))


# test_linalg.py::test_eigvalh_lower
def linalg_eigvalh_lower(x):
    w, v = np.linalg.eigh(x)
    return w, v


# test_linalg.py::test_eigvalh_upper
def linalg_eigvalh_upper(x):
    w, v = np.linalg.eigh(x, 'U')
    return w, v


# test_linalg.py::test_eigvalh_lower_broadcasting
def linalg_eigvalh_lower_broadcasting(x):
    w, v = np.linalg.eigh(x)
    return w, v


# test_linalg.py::test_eigvalh_upper_broadcasting
def linalg_eigvalh_upper_broadcasting(x):
    w, v = np.linalg.eigh(x, 'U')
    return w, v


# test_linalg.py::test_eigvalh_lower_complex
def linalg_eigvalh_lower_complex(x):
    w, v = np.linalg.eigh(x)
    return w, np.abs(v)


# test_linalg.py::test_eigvalh_upper_complex
def linalg_eigvalh_upper_complex(x):
    w, v = np.linalg.eigh(x, 'U')
    return w, np.abs(v)


# test_linalg.py::test_eig_real
def linalg_eig_real(x):
    w, v = np.linalg.eig(x)
    return np.abs(w), np.abs(v)


# test_linalg.py::test_eig_complex
def linalg_eig_complex(x):
    w, v = np.linalg.eig(x)
    return w, np.abs(v)


# test_linalg.py::test_eig_batched
def linalg_eig_batched(x):
    w, v = np.linalg.eig(x)
    return w, np.abs(v)


# test_linalg.py::test_cholesky
def linalg_cholesky(a):
    return np.linalg.cholesky(_sym(a))


# test_linalg.py::test_cholesky_broadcast
def linalg_cholesky_broadcast(a):
    return np.linalg.cholesky(_sym(a))


# test_linalg.py::test_cholesky_reparameterization_trick
def linalg_cholesky_reparameterization_trick(a):
    return np.linalg.norm(np.dot(np.linalg.cholesky(_sym(a)), _Z6))


# test_linalg.py::test_svd_wide_2d
def linalg_svd_wide_2d(x):
    u, s, v = np.linalg.svd(x, full_matrices=False)
    return u, s, v


# test_linalg.py::test_svd_wide_2d_complex
def linalg_svd_wide_2d_complex(x):
    u, s, v = np.linalg.svd(x, full_matrices=False)
    return np.abs(u), s, np.abs(v)


# test_linalg.py::test_svd_wide_3d
def linalg_svd_wide_3d(x):
    u, s, v = np.linalg.svd(x, full_matrices=False)
    return u, s, v


# test_linalg.py::test_svd_wide_3d_complex
def linalg_svd_wide_3d_complex(x):
    u, s, v = np.linalg.svd(x, full_matrices=False)
    return np.abs(u), s, np.abs(v)


# test_linalg.py::test_svd_square_2d
def linalg_svd_square_2d(x):
    u, s, v = np.linalg.svd(x, full_matrices=False)
    return u, s, v


# test_linalg.py::test_svd_square_2d_complex
def linalg_svd_square_2d_complex(x):
    u, s, v = np.linalg.svd(x, full_matrices=False)
    return np.abs(u), s, np.abs(v)


# test_linalg.py::test_svd_square_3d
def linalg_svd_square_3d(x):
    u, s, v = np.linalg.svd(x, full_matrices=False)
    return u, s, v


# test_linalg.py::test_svd_square_3d_complex
def linalg_svd_square_3d_complex(x):
    u, s, v = np.linalg.svd(x, full_matrices=False)
    return np.abs(u), s, np.abs(v)


# test_linalg.py::test_svd_tall_2d
def linalg_svd_tall_2d(x):
    u, s, v = np.linalg.svd(x, full_matrices=False)
    return u, s, v


# test_linalg.py::test_svd_tall_2d_complex
def linalg_svd_tall_2d_complex(x):
    u, s, v = np.linalg.svd(x, full_matrices=False)
    return np.abs(u), s, np.abs(v)


# test_linalg.py::test_svd_tall_3d
def linalg_svd_tall_3d(x):
    u, s, v = np.linalg.svd(x, full_matrices=False)
    return u, s, v


# test_linalg.py::test_svd_tall_3d_complex
def linalg_svd_tall_3d_complex(x):
    u, s, v = np.linalg.svd(x, full_matrices=False)
    return np.abs(u), s, np.abs(v)


# test_linalg.py::test_svd_only_s_2d
def linalg_svd_only_s_2d(x):
    return np.linalg.svd(x, full_matrices=False, compute_uv=False)


# test_linalg.py::test_svd_only_s_2d_complex
def linalg_svd_only_s_2d_complex(x):
    return np.linalg.svd(x, full_matrices=False, compute_uv=False)


# test_linalg.py::test_svd_only_s_3d
def linalg_svd_only_s_3d(x):
    return np.linalg.svd(x, full_matrices=False, compute_uv=False)


# test_linalg.py::test_svd_only_s_3d_complex
def linalg_svd_only_s_3d_complex(x):
    return np.linalg.svd(x, full_matrices=False, compute_uv=False)


CASES = [
    (linalg_inv, (_wc(8),)),
    (linalg_pinv, (R(5, 3),)),
    (linalg_pinv_low_rank, (R(2, 5, 3),)),
    (linalg_inv_3d, (R(4, 4, 4) + 5 * np.eye(4),)),
    (linalg_solve_arg1, (R(8, 8) + 10.0 * np.eye(8),)),
    (linalg_solve_arg1_1d, (R(8, 8) + 10.0 * np.eye(8),)),
    (linalg_solve_arg2, (R(6, 5),)),
    (linalg_solve_arg1_3d, (R(5, 4, 4) + 5 * np.eye(4),)),
    (linalg_solve_arg1_3d_3d, (R(5, 4, 4) + 5 * np.eye(4),)),
    (linalg_det, (R(6, 6),)),
    (linalg_det_3d, (R(3, 3, 3),)),
    (linalg_slogdet, (R(6, 6),)),
    (linalg_slogdet_3d, (_psd_stack(5, 3),)),
    (linalg_vector_2norm, (R(6),)),
    (linalg_norm_list_of_boxes, (0.3,)),
    (linalg_vector_2norm_complex, (R(6) + 1j * R(6),)),
    (linalg_frobenius_norm, (R(6, 5),)),
    (linalg_frobenius_norm_complex, (R(6, 5) + 1j * R(6, 5),)),
    (linalg_frobenius_norm_axis, (R(6, 5, 4),)),
    (linalg_frobenius_norm_axis_complex, (R(6, 5, 4) + 1j * R(6, 5, 4),)),
    (linalg_vector_norm_ord_2, (R(6),)),
    (linalg_vector_norm_ord_3, (R(6),)),
    (linalg_vector_norm_ord_4, (R(6),)),
    (linalg_vector_norm_ord_complex_2, (R(6) + 1j * R(6),)),
    (linalg_vector_norm_ord_complex_3, (R(6) + 1j * R(6),)),
    (linalg_vector_norm_ord_complex_4, (R(6) + 1j * R(6),)),
    (linalg_norm_axis_0, (R(6, 5, 4),)),
    (linalg_norm_axis_1, (R(6, 5, 4),)),
    (linalg_norm_axis_2, (R(6, 5, 4),)),
    (linalg_norm_axis_complex_0, (R(6, 5, 4) + 1j * R(6, 5, 4),)),
    (linalg_norm_axis_complex_1, (R(6, 5, 4) + 1j * R(6, 5, 4),)),
    (linalg_norm_axis_complex_2, (R(6, 5, 4) + 1j * R(6, 5, 4),)),
    (linalg_norm_nuclear, (R(6, 5),)),
    (linalg_norm_nuclear_complex, (R(6, 5) + 1j * R(6, 5),)),
    (linalg_norm_nuclear_axis, (R(6, 5, 4),)),
    (linalg_norm_nuclear_axis_complex, (R(6, 5, 4) + 1j * R(6, 5, 4),)),
    (linalg_eigvalh_lower, (R(6, 6),)),
    (linalg_eigvalh_upper, (R(6, 6),)),
    (linalg_eigvalh_lower_broadcasting, (_hmat(),)),
    (linalg_eigvalh_upper_broadcasting, (_hmat(),)),
    (linalg_eigvalh_lower_complex, (R(6, 6) + 1j * R(6, 6),)),
    (linalg_eigvalh_upper_complex, (R(6, 6) + 1j * R(6, 6),)),
    (linalg_eig_real, (R(8, 8),)),
    (linalg_eig_complex, (R(8, 8) + 1j * R(8, 8),)),
    (linalg_eig_batched, (R(5, 8, 8) + 1j * R(5, 8, 8),)),
    (linalg_cholesky, (_psd(6),)),
    (linalg_cholesky_broadcast, (_psd_stack(6, 3),)),
    (linalg_cholesky_reparameterization_trick, (_psd(6),)),
    (linalg_svd_wide_2d, (R(3, 5),)),
    (linalg_svd_wide_2d_complex, (R(3, 5) + 1j * R(3, 5),)),
    (linalg_svd_wide_3d, (R(4, 3, 5),)),
    (linalg_svd_wide_3d_complex, (R(4, 3, 5) + 1j * R(4, 3, 5),)),
    (linalg_svd_square_2d, (R(4, 4),)),
    (linalg_svd_square_2d_complex, (R(4, 4) + 1j * R(4, 4),)),
    (linalg_svd_square_3d, (R(3, 4, 4),)),
    (linalg_svd_square_3d_complex, (R(3, 4, 4) + 1j * R(3, 4, 4),)),
    (linalg_svd_tall_2d, (R(5, 3),)),
    (linalg_svd_tall_2d_complex, (R(5, 3) + 1j * R(5, 3),)),
    (linalg_svd_tall_3d, (R(4, 5, 3),)),
    (linalg_svd_tall_3d_complex, (R(4, 5, 3) + 1j * R(4, 5, 3),)),
    (linalg_svd_only_s_2d, (R(5, 3),)),
    (linalg_svd_only_s_2d_complex, (R(5, 3) + 1j * R(5, 3),)),
    (linalg_svd_only_s_3d, (R(4, 5, 3),)),
    (linalg_svd_only_s_3d_complex, (R(4, 5, 3) + 1j * R(4, 5, 3),)),
]
