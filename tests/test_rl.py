import numpy as np
import pytest

from descent.rl import discounted_returns, gae


def test_returns_hand_case():
    np.testing.assert_allclose(discounted_returns([1.0, 2.0, 3.0], 0.9), [1 + 0.9 * 2 + 0.81 * 3, 2 + 0.9 * 3, 3.0])


def test_gae_lambda_one_is_return_minus_value():
    r, v = np.array([1.0, 0.0, 2.0]), np.array([0.5, 1.0, -1.0])
    np.testing.assert_allclose(gae(r, v, 0.9, 1.0), discounted_returns(r, 0.9) - v)


def test_gae_lambda_zero_is_td_error():
    r, v = np.array([1.0, 0.0, 2.0]), np.array([0.5, 1.0, -1.0])
    np.testing.assert_allclose(gae(r, v, 0.9, 0.0, last_value=3.0), [1 + 0.9 - 0.5, 0 - 0.9 - 1.0, 2 + 2.7 + 1.0])


@pytest.mark.parametrize("bad", [-0.1, 1.5])
def test_rejects_gamma_lambda_out_of_range(bad):
    with pytest.raises(ValueError, match="gamma"):
        discounted_returns([1.0], bad)
    with pytest.raises(ValueError, match="lam"):
        gae([1.0], [0.0], 0.9, bad)


def test_rejects_mismatched_shapes():
    with pytest.raises(ValueError, match="shape"):
        gae([1.0, 2.0], [0.0], 0.9, 0.9)
