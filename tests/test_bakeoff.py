"""Tests for descent.bakeoff: the batched MLP against descent.nn and finite differences, the sweep's fairness."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from descent import bakeoff as bk
from descent.autodiff import numerical_grad
from descent.nn import MLP
from descent.optim import SGD, Adam


def _flat_grads(model, lay):
    g = model.grads()
    keys = [f"{2 * k}.{n}" for k in range(len(lay.slices)) for n in ("W", "b")]
    return np.concatenate([g[k].ravel() for k in keys])


@pytest.fixture(scope="module")
def wine():
    return bk.load_split("wine", seed=0)


# ------------------------------------------------------------------- layout
def test_layout_sizes_and_mask():
    lay = bk.layout([4, 3, 2])
    assert lay.size == 4 * 3 + 3 + 3 * 2 + 2
    m = lay.weight_mask()
    assert m.sum() == 4 * 3 + 3 * 2 and (~m).sum() == 3 + 2
    theta = np.arange(2 * lay.size, dtype=float).reshape(2, lay.size)
    (W0, b0), (W1, b1) = lay.unflatten(theta)
    assert W0.shape == (2, 4, 3) and b1.shape == (2, 1, 2)
    W0[1, 0, 0] = -1.0  # views: writes reach theta
    assert theta[1, 0] == -1.0


def test_init_params_is_nn_mlp():
    lay = bk.layout([5, 6, 3])
    theta = bk.init_params(lay.sizes, [0, 7])
    for r, s in enumerate([0, 7]):
        model = MLP([5, 6, 3], rng=np.random.default_rng(s))
        flat = np.concatenate([model.params()[k].ravel() for k in ("0.W", "0.b", "2.W", "2.b")])
        np.testing.assert_array_equal(theta[r], flat)


# --------------------------------------------------------- loss and gradient
@pytest.mark.parametrize("sizes", [[5, 3], [5, 7, 3], [5, 7, 6, 4]])
def test_loss_and_grad_matches_nn(sizes):
    lay = bk.layout(sizes)
    seeds = [1, 2, 3]
    theta = bk.init_params(sizes, seeds)
    theta[:, ~lay.weight_mask()] = np.random.default_rng(9).standard_normal((3, (~lay.weight_mask()).sum()))
    rng = np.random.default_rng(0)
    X = rng.standard_normal((11, sizes[0]))
    y = rng.integers(0, sizes[-1], 11)
    loss, grad = bk.loss_and_grad(theta, lay, X, y)
    loss3, grad3 = bk.loss_and_grad(theta, lay, np.stack([X] * 3), np.stack([y] * 3))
    for r, s in enumerate(seeds):
        model = MLP(sizes, rng=np.random.default_rng(s))
        model.set_params({k: v for k, v in zip(model.params(), _unflat_dict(theta[r], lay))})
        value, _ = model.loss_and_grads(X, y)
        np.testing.assert_allclose(loss[r], value, rtol=1e-12)
        np.testing.assert_allclose(grad[r], _flat_grads(model, lay), rtol=1e-10, atol=1e-13)
    np.testing.assert_allclose(grad3, grad, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(loss3, loss, rtol=1e-12)


def _unflat_dict(row, lay):
    out = []
    for (w, b), n_in, n_out in zip(lay.slices, lay.sizes[:-1], lay.sizes[1:]):
        out += [row[w].reshape(n_in, n_out).copy(), row[b].copy()]
    return out


def test_grad_with_dropout_by_finite_differences():
    lay = bk.layout([4, 6, 5, 3])
    theta = bk.init_params(lay.sizes, [0, 1])
    rng = np.random.default_rng(3)
    theta[:, ~lay.weight_mask()] = 0.3 * rng.standard_normal((2, (~lay.weight_mask()).sum()))  # no ReLU kink at 0
    X = rng.standard_normal((2, 7, 4))
    y = rng.integers(0, 3, (2, 7))
    p = 0.4
    masks = [rng.random((2, 7, 6)) >= p, rng.random((2, 7, 5)) >= p]
    _, grad = bk.loss_and_grad(theta, lay, X, y, dropout=p, masks=masks)
    for r in range(2):
        def f(row, r=r):
            th = theta.copy()
            th[r] = row
            return bk.loss_and_grad(th, lay, X, y, dropout=p, masks=masks)[0][r]
        np.testing.assert_allclose(grad[r], numerical_grad(f, theta[r].copy()), rtol=1e-6, atol=1e-8)


def test_predict_shapes_and_accuracy_counts_nonfinite_as_wrong():
    lay = bk.layout([3, 4, 2])
    theta = bk.init_params(lay.sizes, [0, 1])
    assert bk.predict(theta, lay, np.zeros((5, 3))).shape == (2, 5, 2)
    logits = np.array([[[2.0, 1.0], [np.nan, 1.0], [0.0, np.inf]]])
    np.testing.assert_allclose(bk._accuracy(logits, np.array([0, 1, 1])), [1 / 3])


# ---------------------------------------------------------------------- data
@pytest.mark.parametrize("name", bk.DATASETS)
def test_load_split_disjoint_stratified_scaled(name):
    d = bk.load_split(name, seed=1)
    sizes = [d.X_train.shape[0], d.X_val.shape[0], d.X_test.shape[0]]
    total = sum(sizes)
    assert abs(sizes[0] / total - 0.6) < 0.02 and abs(sizes[1] / total - 0.2) < 0.02
    rows = np.concatenate([d.X_train, d.X_val, d.X_test])
    assert np.unique(rows, axis=0).shape[0] >= total - 5  # disjoint (a few exact duplicate images exist)
    for part in (d.y_train, d.y_val):
        frac = np.bincount(part, minlength=d.n_classes) / part.size
        full = np.bincount(np.concatenate([d.y_train, d.y_val, d.y_test])) / total
        assert np.abs(frac - full).max() < 0.03
    if name == "digits":
        assert d.X_train.min() >= 0 and d.X_train.max() <= 1
    else:
        np.testing.assert_allclose(d.X_train.mean(axis=0), 0, atol=1e-12)
        np.testing.assert_allclose(d.X_train.std(axis=0), 1, atol=1e-12)


# --------------------------------------------------------------------- sweep
def test_sweep_shapes_and_single_run_reference(wine):
    res = bk.sweep({"SGD": lambda lr: SGD(lr=lr), "Adam": lambda lr: Adam(lr=lr)}, wine,
                   {"SGD": [0.05, 0.2], "Adam": [1e-2]}, seeds=(0, 4), hidden=(8,), epochs=4, batch_size=32)
    assert res.optimizer.tolist() == ["SGD"] * 4 + ["Adam"] * 2
    assert res.lr.tolist() == [0.05, 0.05, 0.2, 0.2, 0.01, 0.01]
    assert res.seed.tolist() == [0, 4, 0, 4, 0, 4]
    assert res.train_loss.shape == (6, 4) and res.val_acc.shape == (6, 4)
    assert len(res.rows()) == 6 and set(res.rows()[0]) >= {"optimizer", "lr", "seed", "val_acc", "gap"}
    # the same run by hand, one network, one optimizer: equal to round-off
    lay = bk.layout(res.config["sizes"])
    theta = bk.init_params(lay.sizes, [4])
    opt = SGD(lr=0.2)
    state = opt.init(theta)
    rng = np.random.default_rng([4, 1])
    for _ in range(4):
        perm = rng.permutation(wine.X_train.shape[0])
        for s in range(0, perm.size, 32):
            i = perm[s:s + 32]
            _, g = bk.loss_and_grad(theta, lay, wine.X_train[i], wine.y_train[i])
            theta, state = opt.update(theta, g, state)
    z = bk.predict(theta, lay, wine.X_test)
    np.testing.assert_allclose(res.final["test_loss"][3], bk._mean_loss(z, wine.y_test)[0], rtol=1e-10)
    np.testing.assert_allclose(res.final["gap"], res.final["train_acc"] - res.final["test_acc"])


def test_sweep_common_random_numbers(wine):
    """Two identical contenders under different names give bit-identical runs: only the optimizer differs."""
    f = lambda lr: Adam(lr=lr)  # noqa: E731
    res = bk.sweep({"A": f, "B": f}, wine, [3e-3], seeds=(0, 1), hidden=(6,), epochs=3, batch_size=16,
                   dropout=0.2, augment=lambda x, rng: x + 0.01 * rng.standard_normal(x.shape))
    np.testing.assert_array_equal(res.train_loss[:2], res.train_loss[2:])
    assert not np.array_equal(res.train_loss[0], res.train_loss[1])  # seeds differ


def test_sweep_divergence_flagged_without_warnings(wine):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        res = bk.sweep({"SGD": lambda lr: SGD(lr=lr)}, wine, [0.3, 1e2, 1e300], seeds=(0,), hidden=(8,), epochs=3,
                       batch_size=64)
    assert res.final["diverged"].tolist() == [False, True, True]
    assert np.isinf(res.train_loss[2, -1]) and np.isnan(res.final["loss_gap"][1:]).all()
    assert res.best()["SGD"]["lr"] == 0.3


def test_best_chooses_on_validation_not_test():
    n = 4  # two lrs x two seeds; lr 0.1 wins on validation, lr 1.0 on test
    final = {"val_acc": np.array([0.9, 0.9, 0.5, 0.5]), "test_acc": np.array([0.1, 0.1, 0.99, 0.99]),
             "gap": np.zeros(n), "train_loss": np.ones(n), "diverged": np.zeros(n, bool)}
    res = bk.Bakeoff(optimizer=np.array(["X"] * n), lr=np.array([0.1, 0.1, 1.0, 1.0]), seed=np.array([0, 1] * 2),
                     train_loss=np.ones((n, 1)), val_loss=np.ones((n, 1)), val_acc=np.ones((n, 1)),
                     final=final, data="fake")
    b = res.best()["X"]
    assert b["lr"] == 0.1 and b["test_acc"] == pytest.approx(0.1)
    assert res.best("test_acc")["X"]["lr"] == 1.0
    lrs, vals = res.by_lr("X")
    assert lrs.tolist() == [0.1, 1.0] and vals.shape == (2, 2)
    # a rate at which one seed diverged is not chosen, however good its accuracy
    final["diverged"] = np.array([False, True, False, False])
    assert res.best()["X"]["lr"] == 1.0
    final["diverged"] = np.ones(n, bool)  # all diverged: the accuracy decides again
    assert res.best()["X"]["lr"] == 0.1


def test_progress_bar_runs(wine, capsys):
    bk.sweep({"SGD": lambda lr: SGD(lr=lr)}, wine, [0.1], seeds=(0,), hidden=(4,), epochs=2, progress=True)
    assert "bake-off on wine" in capsys.readouterr().err


def test_contenders_and_default_grids():
    c = bk.contenders()
    assert list(c) == list(bk.DEFAULT_LRS) and len(c) == 9
    for name, f in c.items():
        opt = f(np.array([[1e-3]]))
        assert hasattr(opt, "update_"), name
        assert len(bk.DEFAULT_LRS[name]) == 7


# ----------------------------------------------------------------- bad input
def test_bad_input(wine):
    sgd = {"SGD": lambda lr: SGD(lr=lr)}
    with pytest.raises(ValueError, match="name must be one of"):
        bk.load_split("mnist")
    with pytest.raises(ValueError, match="fractions must sum"):
        bk.load_split("wine", fractions=(0.7, 0.4))
    with pytest.raises(TypeError, match="optimizers must"):
        bk.sweep({}, wine, [0.1])
    with pytest.raises(ValueError, match="lrs has no grid"):
        bk.sweep(sgd, wine, {"Adam": [0.1]})
    with pytest.raises(ValueError, match=r"lrs\['SGD'\] must be in"):
        bk.sweep(sgd, wine, [-0.1])
    with pytest.raises(TypeError, match="data must be a Split"):
        bk.sweep(sgd, (wine.X_train, wine.y_train), [0.1])
    with pytest.raises(ValueError, match="epochs must be an integer"):
        bk.sweep(sgd, wine, [0.1], epochs=0)
    with pytest.raises(ValueError, match="dropout must be in"):
        bk.sweep(sgd, wine, [0.1], dropout=1.0)
    with pytest.raises(ValueError, match="seeds must hold"):
        bk.sweep(sgd, wine, [0.1], seeds=())
    lay = bk.layout([3, 2])
    with pytest.raises(ValueError, match="theta must be a float array"):
        bk.loss_and_grad(np.zeros((2, 5)), lay, np.zeros((1, 3)), np.zeros(1, int))
    with pytest.raises(ValueError, match="needs one mask per hidden layer"):
        bk.loss_and_grad(np.zeros((1, lay.size)), lay, np.zeros((1, 3)),
                         np.zeros(1, int), dropout=0.5)
    with pytest.raises(TypeError, match="integer class indices"):
        bk.loss_and_grad(np.zeros((1, lay.size)), lay, np.zeros((1, 3)), np.zeros(1))
    res = bk.sweep(sgd, wine, [0.1], seeds=(0,), hidden=(4,), epochs=1)
    with pytest.raises(ValueError, match="optimizer must be one of"):
        res.mask("Adam")
    with pytest.raises(ValueError, match="was not in"):
        res.mask("SGD", 0.5)
    with pytest.raises(ValueError, match="metric must be one of"):
        res.by_lr("SGD", "f1")


def test_sweep_clip_keep_params_and_curves(wine):
    """Per-run clipping, kept parameters and the per-epoch test and gradient-norm curves, against a hand run."""
    res = bk.sweep({"SGD": lambda lr: SGD(lr=lr)}, wine, [0.5], seeds=(2, 3), hidden=(5,), epochs=3,
                   batch_size=40, clip=0.3, keep_params=True)
    lay = bk.layout(res.config["sizes"])
    theta = bk.init_params(lay.sizes, [3])
    opt = SGD(lr=0.5)
    state = opt.init(theta)
    rng = np.random.default_rng([3, 1])
    norms = []
    for _ in range(3):
        perm = rng.permutation(wine.X_train.shape[0])
        epoch_max = 0.0
        for s in range(0, perm.size, 40):
            i = perm[s:s + 40]
            _, g = bk.loss_and_grad(theta, lay, wine.X_train[i], wine.y_train[i])
            n = np.linalg.norm(g)
            epoch_max = max(epoch_max, n)
            theta, state = opt.update(theta, g * min(1.0, 0.3 / n), state)
        norms.append(epoch_max)
    np.testing.assert_allclose(res.params[1], theta[0], rtol=1e-10, atol=1e-13)
    np.testing.assert_allclose(res.grad_norm[1], norms, rtol=1e-10)
    assert res.grad_norm.max() > 0.3  # clipping happened
    np.testing.assert_array_equal(res.test_acc[:, -1], res.final["test_acc"])
    np.testing.assert_array_equal(res.val_acc[:, -1], res.final["val_acc"])
    assert res.test_loss.shape == (2, 3)
    assert bk.sweep({"SGD": lambda lr: SGD(lr=lr)}, wine, [0.5], seeds=(0,), hidden=(3,), epochs=1).params is None
    with pytest.raises(ValueError, match="clip must be in"):
        bk.sweep({"SGD": lambda lr: SGD(lr=lr)}, wine, [0.5], clip=0.0)
    with pytest.raises(TypeError, match="keep_params must be True or False"):
        bk.sweep({"SGD": lambda lr: SGD(lr=lr)}, wine, [0.5], keep_params=1)
