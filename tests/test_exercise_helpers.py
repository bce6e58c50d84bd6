"""descent.exercises: forbid really disables, restores, and spy records the work."""
import numpy as np
import pytest

import descent.stochastic as st
from descent import exercises as ex
from descent.landscapes import LeastSquares
from descent.optim import SGD
from descent.run import minimize


def test_forbid_module_attribute_and_restore():
    orig = st.max_stable_lr
    with ex.forbid("descent.stochastic.max_stable_lr"):
        with pytest.raises(ex.ShortcutError, match="descent.stochastic.max_stable_lr is disabled"):
            st.max_stable_lr(np.array([1.0, 4.0]))
    assert st.max_stable_lr is orig
    assert st.max_stable_lr(np.array([1.0, 4.0])) == pytest.approx(0.5)


def test_forbid_patches_aliases_in_caller_namespace():
    ns = {"mini": minimize}
    with ex.forbid("descent.run.minimize", namespace=ns):
        with pytest.raises(ex.ShortcutError):
            ns["mini"](None, np.zeros(2), SGD(lr=0.1), 1)
    assert ns["mini"] is minimize


def test_forbid_default_namespace_is_callers_globals():
    with ex.forbid("descent.run.minimize"):
        with pytest.raises(ex.ShortcutError):
            minimize(None, np.zeros(2), SGD(lr=0.1), 1)   # this module's global name
    import descent.run

    assert globals()["minimize"] is descent.run.minimize


def test_forbid_method_on_class():
    q = np.zeros(2)
    opt = SGD(lr=0.1)
    with ex.forbid("descent.optim.SGD.update"):
        with pytest.raises(ex.ShortcutError):
            opt.update(q, q, opt.init(q))
    opt.update(q, q, opt.init(q))          # works again


@pytest.mark.parametrize("bad", ["max_stable_lr", "numpy.linalg.eigvalsh", "descent.stochastic.nope", 3])
def test_forbid_rejects_bad_names(bad):
    with pytest.raises(ValueError, match="forbid"):
        ex.forbid(bad)


def test_spy_records_calls_and_batch_sizes():
    ls = LeastSquares.synthetic(n_samples=10, dim=3, rng=np.random.default_rng(1))
    th = np.ones(3)
    with ex.spy(ls, "grad") as g:
        a = ls.grad(th, batch=np.arange(4))
        ls.grad(th)
    assert g.count == 2 and g.batch_sizes() == [4, None]
    np.testing.assert_array_equal(g.calls[0].result, a)
    assert "grad" not in vars(ls)          # instance restored to the class method
    with pytest.raises(ValueError, match="no method"):
        ex.spy(ls, "nope")


def test_agree_passes_and_fails_with_numbers():
    ex.agree(1.0, 1.0 + 1e-9, rtol=1e-6)
    with pytest.raises(AssertionError, match="predicted 1, measured 1.1"):
        ex.agree(1.0, 1.1, rtol=1e-3)
    with pytest.raises(AssertionError, match="finite"):
        ex.agree(1.0, float("nan"), atol=1.0)
    with pytest.raises(ValueError, match="rtol"):
        ex.agree(1.0, 1.0, rtol=-1)
