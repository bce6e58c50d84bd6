r"""Multilayer perceptrons with backpropagation written out by hand.

No automatic differentiation happens here: every layer computes its own
backward pass. The point is to make backpropagation visible, and
:mod:`descent.autodiff` serves as the independent check in the tests.

Conventions
-----------
A batch is a matrix :math:`X \in \mathbb{R}^{N \times d}`, one example per row.
A layer maps its input :math:`x` to :math:`y`; given the upstream gradient
:math:`\bar y = \partial L/\partial y` its ``backward`` returns
:math:`\bar x = \partial L/\partial x` and stores the gradients of its own
parameters. Every layer follows the same protocol:

- ``forward(x) -> y`` caches what ``backward`` will need;
- ``backward(dy) -> dx`` uses that cache (so call it after ``forward``);
- ``params()`` and ``grads()`` return ``dict[str, ndarray]`` with matching
  keys (``"W"``, ``"b"``, ``"gamma"``, ``"beta"``); ``set_params(dict)``
  replaces the parameters.

Containers (:class:`Sequential`, :class:`MLP`) prefix the names with the
layer's position, giving flat dicts such as ``{"0.W", "0.b", "2.W", ...}``
that :mod:`descent.optim` optimizers take directly::

    model = MLP([64, 128, 10], rng=np.random.default_rng(0))
    opt = Adam(lr=1e-3)
    state = opt.init(model.params())
    loss, grads = model.loss_and_grads(X, y, "cross_entropy")
    params, state = opt.update(model.params(), grads, state)
    model.set_params(params)

Parameters are float64 unless a ``dtype`` is given; a float32 model fed
float32 data computes in float32 throughout.
"""

from __future__ import annotations

from typing import Any, Iterator, Sequence, Union

import numpy as np

from ._validation import check_float_array, check_in_range, check_int
from .optim import copy_state

__all__ = [
    "Layer", "Linear", "Sigmoid", "Tanh", "ReLU", "BatchNorm", "Sequential", "Residual",
    "SoftmaxCrossEntropy", "MSE", "MLP", "init_std", "train_epoch", "accuracy",
]

Params = dict[str, np.ndarray]
INITS = ("he", "xavier", "normal")
ACTIVATIONS = ("relu", "tanh", "sigmoid")


# --------------------------------------------------------------------- checks
def _check_rng(rng: Any) -> np.random.Generator:
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"rng must be a numpy Generator, e.g. np.random.default_rng(0); got {type(rng).__name__}")
    return rng


def _check_dtype(dtype: Any) -> np.dtype:
    try:
        dt = np.dtype(dtype)
    except TypeError:
        dt = None
    if dt is None or not np.issubdtype(dt, np.floating):
        raise TypeError(f"dtype must be a floating-point dtype (float16/32/64); got {dtype!r}")
    return dt


def _check_choice(name: str, value: Any, choices: Sequence[str]) -> str:
    if value not in choices:
        raise ValueError(f"{name} must be one of {', '.join(map(repr, choices))}; got {value!r}")
    return value


def _check_batch(name: str, x: Any, n_features: int | None) -> np.ndarray:
    """A float matrix of shape (N, n_features). Non-finite entries are allowed (divergence studies)."""
    if isinstance(x, np.ndarray) and x.dtype.kind == "f" and x.ndim == 2 \
            and (n_features is None or x.shape[1] == n_features):
        return x  # the common case, checked cheaply
    x = check_float_array(name, x, finite=False)
    if x.ndim != 2:
        raise ValueError(f"{name} must be a 2-d array of shape (batch, features); got shape {x.shape}")
    if n_features is not None and x.shape[1] != n_features:
        raise ValueError(f"{name} must have {n_features} features (columns); got shape {x.shape}")
    return x


def _check_dy(dy: Any, shape: tuple[int, ...] | None, layer: str) -> np.ndarray:
    if shape is None:
        raise RuntimeError(f"{layer}.backward called before forward")
    if isinstance(dy, np.ndarray) and dy.dtype.kind == "f" and dy.shape == shape:
        return dy
    dy = check_float_array("dy", dy, finite=False)
    if dy.shape != shape:
        raise ValueError(f"dy must have the shape of {layer}'s output {shape}; got {dy.shape}")
    return dy


def init_std(init: str, n_in: int, n_out: int, scale: float | None = None) -> float:
    r"""Standard deviation of a weight initialization.

    .. math::

        \text{normal: } \sigma = s, \qquad
        \text{xavier: } \sigma = s\sqrt{\frac{2}{n_\text{in} + n_\text{out}}}, \qquad
        \text{he: } \sigma = s\sqrt{\frac{2}{n_\text{in}}},

    with the multiplier :math:`s` = ``scale``. Its default is ``0.01`` for the
    naive ``"normal"`` init (small enough to make deep nets' signals vanish)
    and ``1`` for Xavier (Glorot & Bengio, 2010) and He (He et al., 2015),
    where it acts as a gain.
    """
    _check_choice("init", init, INITS)
    n_in = check_int("n_in", n_in, 1)
    n_out = check_int("n_out", n_out, 1)
    if scale is None:
        scale = 0.01 if init == "normal" else 1.0
    scale = check_in_range("scale", scale, 0.0, None, allow_array=False)
    base = {"normal": 1.0, "xavier": np.sqrt(2.0 / (n_in + n_out)), "he": np.sqrt(2.0 / n_in)}[init]
    return float(scale * base)


# --------------------------------------------------------------------- layers
class Layer:
    """Base class of the layer protocol; a layer without parameters needs only forward/backward.

    A layer lists its parameter attributes in ``_param_names`` and stores the
    matching gradients in the dict ``_grads`` during ``backward``.
    """

    _param_names: tuple[str, ...] = ()
    _grads: Params | None = None

    def forward(self, x: np.ndarray) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def backward(self, dy: np.ndarray) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def _slots(self, prefix: str = "") -> Iterator[tuple[str, "Layer", str]]:
        """``(key, owner, attribute)`` for every parameter; containers override this."""
        for name in self._param_names:
            yield prefix + name, self, name

    def leaves(self) -> Iterator["Layer"]:
        """The non-container layers, in forward order."""
        yield self

    def params(self) -> Params:
        """The parameters by name (the arrays themselves, not copies)."""
        return {key: getattr(owner, name) for key, owner, name in self._slots()}

    def grads(self) -> Params:
        """The gradients from the last ``backward``, with the keys of ``params()``."""
        out = {}
        for key, owner, name in self._slots():
            if owner._grads is None:
                raise RuntimeError(f"{type(owner).__name__} has no gradients yet; call backward first")
            out[key] = owner._grads[name]
        return out

    def set_params(self, params: Params) -> None:
        """Replace the parameters; keys, shapes and float dtypes are checked."""
        self._assign(_checked(params, self.params(), "params"))

    def _assign(self, params: Params) -> None:
        for key, owner, name in self._slots():
            setattr(owner, name, params[key])

    def __call__(self, x: np.ndarray) -> np.ndarray:
        return self.forward(x)

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


def _checked(new: Any, old: Params, where: str) -> Params:
    if not isinstance(new, dict):
        raise TypeError(f"{where} must be a dict of ndarrays; got {type(new).__name__}")
    if set(new) != set(old):
        missing, extra = sorted(set(old) - set(new)), sorted(set(new) - set(old))
        raise ValueError(f"{where} must have keys {sorted(old)}; missing {missing}, unexpected {extra}")
    out = {}
    for k, v in old.items():
        a = check_float_array(f"{where}[{k!r}]", new[k], finite=False)
        if a.shape != v.shape:
            raise ValueError(f"{where}[{k!r}] must have shape {v.shape}; got {a.shape}")
        out[k] = a
    return out


class Linear(Layer):
    r"""Affine layer :math:`y = xW + b` with :math:`W \in \mathbb{R}^{n_\text{in}\times n_\text{out}}`.

    Backward, for a batch :math:`X` (rows :math:`x`) and upstream :math:`\bar Y`:

    .. math::

        \bar W = X^\top \bar Y, \qquad \bar b = \textstyle\sum_{\text{rows}} \bar Y,
        \qquad \bar X = \bar Y W^\top.

    Parameters
    ----------
    n_in, n_out : int >= 1
        Input and output widths.
    init : {"he", "xavier", "normal"}, default "he"
        He: :math:`W_{ij} \sim \mathcal N(0, 2/n_\text{in})`.
        Xavier (Glorot, uniform form): :math:`W_{ij} \sim U(-a, a)` with
        :math:`a = \sqrt{6/(n_\text{in}+n_\text{out})}`, so
        :math:`\operatorname{Var} W_{ij} = 2/(n_\text{in}+n_\text{out})`.
        Normal: :math:`W_{ij} \sim \mathcal N(0, s^2)` with :math:`s` = ``scale``.
        The bias starts at zero. See :func:`init_std`.
    rng : numpy.random.Generator
        The only source of randomness (keyword-only, required).
    scale : float >= 0, optional
        The std for ``"normal"`` (default 0.01); a gain on the std for He and
        Xavier (default 1).
    dtype : float dtype, default float64
    """

    _param_names = ("W", "b")

    def __init__(self, n_in: int, n_out: int, init: str = "he", *, rng: np.random.Generator,
                 scale: float | None = None, dtype: Any = np.float64) -> None:
        self.n_in = check_int("n_in", n_in, 1)
        self.n_out = check_int("n_out", n_out, 1)
        self.init = _check_choice("init", init, INITS)
        rng = _check_rng(rng)
        dt = _check_dtype(dtype)
        std = init_std(init, n_in, n_out, scale)
        if init == "xavier":
            W = rng.uniform(-np.sqrt(3.0) * std, np.sqrt(3.0) * std, size=(n_in, n_out))
        else:
            W = std * rng.standard_normal((n_in, n_out))
        self.W = W.astype(dt)
        self.b = np.zeros(n_out, dtype=dt)
        self._x: np.ndarray | None = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        x = _check_batch("x", x, self.n_in)
        self._x = x
        y = x @ self.W
        y += self.b
        return y

    def backward(self, dy: np.ndarray, input_grad: bool = True) -> np.ndarray | None:
        """Store the gradients of W and b; return dx (None if ``input_grad`` is False)."""
        x = self._x
        dy = _check_dy(dy, None if x is None else (x.shape[0], self.n_out), "Linear")
        self._grads = {"W": x.T @ dy, "b": dy.sum(axis=0)}
        return dy @ self.W.T if input_grad else None

    def __repr__(self) -> str:
        return f"Linear({self.n_in}, {self.n_out}, init={self.init!r})"


class _Activation(Layer):
    """Elementwise activation: caches what its derivative needs, has no parameters."""

    _cache: np.ndarray | None = None

    def _check(self, x: Any) -> np.ndarray:
        if isinstance(x, np.ndarray) and x.dtype.kind == "f":
            return x
        return check_float_array("x", x, finite=False)

    def _dy(self, dy: Any) -> np.ndarray:
        return _check_dy(dy, None if self._cache is None else self._cache.shape, type(self).__name__)


class ReLU(_Activation):
    r""":math:`y = \max(x, 0)`; backward :math:`\bar x = \bar y \odot [x > 0]`."""

    def forward(self, x: np.ndarray) -> np.ndarray:
        x = self._check(x)
        self._cache = x > 0
        return np.maximum(x, 0.0)

    def backward(self, dy: np.ndarray) -> np.ndarray:
        return self._dy(dy) * self._cache


class Tanh(_Activation):
    r""":math:`y = \tanh x`; backward :math:`\bar x = \bar y \odot (1 - y^2)`."""

    def forward(self, x: np.ndarray) -> np.ndarray:
        self._cache = np.tanh(self._check(x))
        return self._cache

    def backward(self, dy: np.ndarray) -> np.ndarray:
        return self._dy(dy) * (1.0 - self._cache * self._cache)


class Sigmoid(_Activation):
    r""":math:`y = \sigma(x) = 1/(1+e^{-x})`; backward :math:`\bar x = \bar y \odot y(1-y)`.

    Evaluated as :math:`\tfrac12(1+\tanh(x/2))`, which cannot overflow.
    """

    def forward(self, x: np.ndarray) -> np.ndarray:
        self._cache = 0.5 * (1.0 + np.tanh(0.5 * self._check(x)))
        return self._cache

    def backward(self, dy: np.ndarray) -> np.ndarray:
        return self._dy(dy) * (self._cache * (1.0 - self._cache))


class BatchNorm(Layer):
    r"""Batch normalization (Ioffe & Szegedy, 2015) over the batch axis.

    In training mode, with batch mean :math:`\mu` and biased variance :math:`\sigma^2`
    of each feature,

    .. math::

        \hat x = \frac{x - \mu}{\sqrt{\sigma^2 + \epsilon}}, \qquad y = \gamma \odot \hat x + \beta,

    and, because :math:`\mu` and :math:`\sigma^2` depend on every row,

    .. math::

        \bar x = \frac{1}{N\sqrt{\sigma^2+\epsilon}}\Big(N\,\bar{\hat x}
            - \textstyle\sum_{\text{rows}} \bar{\hat x}
            - \hat x \odot \sum_{\text{rows}} \bar{\hat x} \odot \hat x\Big),
        \quad \bar{\hat x} = \bar y \odot \gamma,

    with :math:`\bar\gamma = \sum_{\text{rows}} \bar y \odot \hat x`,
    :math:`\bar\beta = \sum_{\text{rows}} \bar y`. Running averages of
    :math:`\mu` and the unbiased variance (``momentum`` as in PyTorch) are
    used instead when ``training`` is False, as :meth:`MLP.predict` does.

    Parameters
    ----------
    n : int >= 1
        Number of features.
    eps : float > 0, default 1e-5
    momentum : float in [0, 1], default 0.1
    dtype : float dtype, default float64
    """

    _param_names = ("gamma", "beta")

    def __init__(self, n: int, eps: float = 1e-5, momentum: float = 0.1, dtype: Any = np.float64) -> None:
        self.n = check_int("n", n, 1)
        self.eps = check_in_range("eps", eps, 0.0, None, low_open=True, allow_array=False)
        self.momentum = check_in_range("momentum", momentum, 0.0, 1.0, high_open=False, allow_array=False)
        dt = _check_dtype(dtype)
        self.gamma = np.ones(n, dtype=dt)
        self.beta = np.zeros(n, dtype=dt)
        self.running_mean = np.zeros(n, dtype=dt)
        self.running_var = np.ones(n, dtype=dt)
        self.training = True
        self._cache: tuple[np.ndarray, np.ndarray, bool] | None = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        x = _check_batch("x", x, self.n)
        N = x.shape[0]
        if self.training:
            mu = x.mean(axis=0)
            xc = x - mu
            var = np.mean(xc * xc, axis=0)
            m = self.momentum
            self.running_mean = (1 - m) * self.running_mean + m * mu
            self.running_var = (1 - m) * self.running_var + m * var * (N / max(N - 1, 1))
        else:
            xc, var = x - self.running_mean, self.running_var
        inv = 1.0 / np.sqrt(var + self.eps)
        xhat = xc * inv
        self._cache = (xhat, inv, self.training)
        return self.gamma * xhat + self.beta

    def backward(self, dy: np.ndarray) -> np.ndarray:
        dy = _check_dy(dy, None if self._cache is None else self._cache[0].shape, "BatchNorm")
        xhat, inv, training = self._cache
        self._grads = {"gamma": np.sum(dy * xhat, axis=0), "beta": dy.sum(axis=0)}
        dxhat = dy * self.gamma
        if not training:  # running statistics are constants
            return dxhat * inv
        N = dy.shape[0]
        return (inv / N) * (N * dxhat - dxhat.sum(axis=0) - xhat * np.sum(dxhat * xhat, axis=0))

    def __repr__(self) -> str:
        return f"BatchNorm({self.n})"


class Sequential(Layer):
    """Layers applied in order; parameter names get the layer's index as prefix (``"0.W"``)."""

    def __init__(self, layers: Sequence[Layer]) -> None:
        layers = list(layers)
        for i, layer in enumerate(layers):
            if not isinstance(layer, Layer):
                raise TypeError(f"layers[{i}] must be a Layer; got {type(layer).__name__}")
        self.layers = layers

    def forward(self, x: np.ndarray) -> np.ndarray:
        for layer in self.layers:
            x = layer.forward(x)
        return x

    def backward(self, dy: np.ndarray, input_grad: bool = True) -> np.ndarray | None:
        r"""Backpropagate through the layers in reverse; return dx (None if ``input_grad`` is False).

        Training never uses the input gradient, so ``input_grad=False`` lets a
        leading Linear layer skip its matrix product :math:`\bar Y W^\top`.
        """
        for i in range(len(self.layers) - 1, -1, -1):
            layer = self.layers[i]
            if i == 0 and not input_grad and isinstance(layer, Linear):
                return layer.backward(dy, input_grad=False)
            dy = layer.backward(dy)
        return dy

    def _slots(self, prefix: str = "") -> Iterator[tuple[str, Layer, str]]:
        for i, layer in enumerate(self.layers):
            yield from layer._slots(f"{prefix}{i}.")

    def leaves(self) -> Iterator[Layer]:
        for layer in self.layers:
            yield from layer.leaves()

    def __repr__(self) -> str:
        body = "".join(f"\n({i}) {layer!r}".replace("\n", "\n  ") for i, layer in enumerate(self.layers))
        return f"{type(self).__name__}({body}\n)"


class Residual(Layer):
    r"""Skip connection :math:`y = x + f(x)` around a block :math:`f` that keeps the shape.

    Backward: :math:`\bar x = \bar y + \bar y\,\partial f/\partial x`, the identity
    path carrying the gradient past the block undiminished (He et al., 2016).
    Parameter names are the block's own.
    """

    def __init__(self, block: Layer) -> None:
        if not isinstance(block, Layer):
            raise TypeError(f"block must be a Layer; got {type(block).__name__}")
        self.block = block

    def forward(self, x: np.ndarray) -> np.ndarray:
        fx = self.block.forward(x)
        if fx.shape != np.shape(x):
            raise ValueError(f"Residual block must keep the shape of its input {np.shape(x)}; got {fx.shape}")
        return x + fx

    def backward(self, dy: np.ndarray) -> np.ndarray:
        return dy + self.block.backward(dy)

    def _slots(self, prefix: str = "") -> Iterator[tuple[str, Layer, str]]:
        return self.block._slots(prefix)

    def leaves(self) -> Iterator[Layer]:
        return self.block.leaves()

    def __repr__(self) -> str:
        return f"Residual({self.block!r})"


# --------------------------------------------------------------------- losses
class SoftmaxCrossEntropy:
    r"""Mean cross-entropy of softmax probabilities, from logits :math:`z \in \mathbb{R}^{N\times C}`.

    .. math::

        L = \frac1N \sum_{n} \Big(\log\sum_c e^{z_{nc}} - z_{n y_n}\Big), \qquad
        \frac{\partial L}{\partial z_{nc}} = \frac{p_{nc} - [c = y_n]}{N},

    with :math:`p = \operatorname{softmax}(z)`. The log-sum-exp subtracts the
    row maximum first, so logits of size :math:`10^4` neither overflow nor
    lose the answer.
    """

    _cache: tuple[np.ndarray, np.ndarray] | None = None

    def forward(self, logits: np.ndarray, labels: np.ndarray) -> float:
        z = _check_batch("logits", logits, None)
        labels = np.asarray(labels)
        if not np.issubdtype(labels.dtype, np.integer):
            raise TypeError(f"labels must be integer class indices; got dtype {labels.dtype}")
        if labels.shape != (z.shape[0],):
            raise ValueError(f"labels must have shape ({z.shape[0]},) to match logits {z.shape}; got {labels.shape}")
        C = z.shape[1]
        if labels.size and (labels.min() < 0 or labels.max() >= C):
            bad = labels[(labels < 0) | (labels >= C)][0]
            raise ValueError(f"labels must be in [0, {C - 1}]; got {bad}")
        shifted = z - z.max(axis=1, keepdims=True)
        lse = np.log(np.sum(np.exp(shifted), axis=1, keepdims=True))
        logp = shifted - lse
        self._cache = (logp, labels)
        return float(-np.mean(logp[np.arange(z.shape[0]), labels]))

    def backward(self) -> np.ndarray:
        """The gradient :math:`\\partial L/\\partial z`, shaped like the logits."""
        if self._cache is None:
            raise RuntimeError("SoftmaxCrossEntropy.backward called before forward")
        logp, labels = self._cache
        N = logp.shape[0]
        d = np.exp(logp)
        d[np.arange(N), labels] -= 1.0
        d *= 1.0 / N
        return d


class MSE:
    r"""Mean squared error over all entries: :math:`L = \frac1{m}\sum_i (\hat y_i - y_i)^2`.

    Backward: :math:`\partial L/\partial \hat y = 2(\hat y - y)/m`, :math:`m` the
    number of entries (PyTorch's ``MSELoss``). Shapes must match exactly.
    """

    _diff: np.ndarray | None = None

    def forward(self, pred: np.ndarray, target: np.ndarray) -> float:
        pred = check_float_array("pred", pred, finite=False)
        target = check_float_array("target", target, finite=False)
        if pred.shape != target.shape:
            raise ValueError(f"target must have the shape of pred {pred.shape}; got {target.shape}")
        self._diff = pred - target
        return float(np.mean(self._diff * self._diff))

    def backward(self) -> np.ndarray:
        if self._diff is None:
            raise RuntimeError("MSE.backward called before forward")
        return self._diff * (2.0 / self._diff.size)


Loss = Union[SoftmaxCrossEntropy, MSE, str]


def _get_loss(loss: Any) -> Any:
    if isinstance(loss, str):
        table = {"cross_entropy": SoftmaxCrossEntropy, "mse": MSE}
        return table[_check_choice("loss", loss, tuple(table))]()
    if not (hasattr(loss, "forward") and hasattr(loss, "backward")):
        raise TypeError(f"loss must be 'cross_entropy', 'mse' or a loss object; got {type(loss).__name__}")
    return loss


# ------------------------------------------------------------------------ MLP
class MLP(Sequential):
    r"""A multilayer perceptron: Linear layers with activations in between.

    For ``sizes`` :math:`(d_0, \dots, d_K)` the network is

    .. math::

        h_0 = x, \qquad h_k = \phi(\mathrm{BN}(h_{k-1} W_k + b_k)) \;(k < K), \qquad
        f(x) = h_{K-1} W_K + b_K,

    with no activation after the last layer (it outputs logits). With
    ``residual=True`` each hidden layer whose input and output widths agree
    becomes :math:`h_k = h_{k-1} + \phi(\dots)` (a :class:`Residual` block);
    ``batchnorm=True`` inserts :class:`BatchNorm` before each hidden activation.

    Parameters
    ----------
    sizes : sequence of int >= 1, length >= 2
        Layer widths, input first, output last.
    activation : {"relu", "tanh", "sigmoid"}, default "relu"
    init : {"he", "xavier", "normal"}, default "he"
        See :class:`Linear`.
    residual, batchnorm : bool, default False
    rng : numpy.random.Generator
        Keyword-only and required.
    scale : float, optional
        Passed to every :class:`Linear`.
    dtype : float dtype, default float64

    Example
    -------
    >>> model = MLP([4, 8, 3], rng=np.random.default_rng(0))
    >>> sorted(model.params())
    ['0.W', '0.b', '2.W', '2.b']
    """

    def __init__(self, sizes: Sequence[int], activation: str = "relu", init: str = "he",
                 residual: bool = False, batchnorm: bool = False, *, rng: np.random.Generator,
                 scale: float | None = None, dtype: Any = np.float64) -> None:
        if isinstance(sizes, (str, bytes)) or not hasattr(sizes, "__len__"):
            raise TypeError(f"sizes must be a sequence of ints; got {sizes!r}")
        if len(sizes) < 2:
            raise ValueError(f"sizes must list at least an input and an output width; got {list(sizes)}")
        self.sizes = [check_int(f"sizes[{i}]", s, 1) for i, s in enumerate(sizes)]
        self.activation = _check_choice("activation", activation, ACTIVATIONS)
        for name, flag in (("residual", residual), ("batchnorm", batchnorm)):
            if not isinstance(flag, (bool, np.bool_)):
                raise TypeError(f"{name} must be True or False; got {flag!r}")
        _check_choice("init", init, INITS)
        _check_rng(rng)
        self.dtype = _check_dtype(dtype)
        act = {"relu": ReLU, "tanh": Tanh, "sigmoid": Sigmoid}[activation]
        layers: list[Layer] = []
        for k, (n_in, n_out) in enumerate(zip(self.sizes[:-1], self.sizes[1:])):
            linear = Linear(n_in, n_out, init, rng=rng, scale=scale, dtype=self.dtype)
            if k == len(self.sizes) - 2:
                layers.append(linear)
                break
            hidden: list[Layer] = [linear] + ([BatchNorm(n_out, dtype=self.dtype)] if batchnorm else [])
            if residual and n_in == n_out:
                layers.append(Residual(Sequential(hidden + [act()])))
            else:
                layers.extend(hidden + [act()])
        super().__init__(layers)
        self._out_shape: tuple[int, ...] | None = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        """The network output (logits) for a batch ``x`` of shape (N, sizes[0])."""
        y = super().forward(_check_batch("x", x, self.sizes[0]))
        self._out_shape = y.shape
        return y

    def backward(self, dloss: np.ndarray, input_grad: bool = True) -> np.ndarray | None:
        r"""Backpropagate :math:`\partial L/\partial f(x)`; store all parameter gradients; return :math:`\partial L/\partial x`."""
        return super().backward(_check_dy(dloss, self._out_shape, "MLP"), input_grad)

    def loss_and_grads(self, x: np.ndarray, y: np.ndarray, loss: Loss = "cross_entropy") -> tuple[float, Params]:
        """Forward, loss, backward: the mean loss on ``(x, y)`` and the gradient dict (keys of ``params()``)."""
        loss = _get_loss(loss)
        value = loss.forward(self.forward(x), y)
        self.backward(loss.backward(), input_grad=False)
        return value, self.grads()

    def linear_layers(self) -> list[Linear]:
        return [layer for layer in self.leaves() if isinstance(layer, Linear)]

    def layer_grad_norms(self) -> list[float]:
        r"""Frobenius norms :math:`\|\partial L/\partial W_k\|_F` of each Linear layer's weight gradient, input side first."""
        return [float(np.linalg.norm(layer.grads()["W"])) for layer in self.linear_layers()]

    def predict(self, x: np.ndarray) -> np.ndarray:
        """The outputs (logits) for ``x``, with BatchNorm using its running statistics."""
        norms = [layer for layer in self.leaves() if isinstance(layer, BatchNorm)]
        for layer in norms:
            layer.training = False
        try:
            return self.forward(x)
        finally:
            for layer in norms:
                layer.training = True


# ------------------------------------------------------------------- training
def train_epoch(model: MLP, opt: Any, state: Any, X: np.ndarray, y: np.ndarray, batch_size: int,
                rng: np.random.Generator, loss: Loss = "cross_entropy") -> tuple[Any, float]:
    r"""One pass over ``(X, y)`` in shuffled mini-batches, updating ``model`` in place.

    For each batch :math:`B` of a random permutation (the last may be smaller):
    :math:`g = \nabla_\theta L_B(\theta)`, then
    ``params, state = opt.update_(params, g, state)``: the in-place update,
    bitwise equal to ``opt.update`` without allocating new arrays each step.
    The epoch starts from copies of the model's parameters and of ``state``'s
    buffers, so arrays the caller kept from before the epoch are not changed.

    Parameters
    ----------
    model, opt, state : MLP, a :mod:`descent.optim` optimizer, and its state
        (from ``opt.init(model.params())`` or the previous epoch).
    X, y : float array (N, sizes[0]) and labels (N,) or targets
    batch_size : int >= 1
    rng : numpy.random.Generator, which draws the permutation
    loss : "cross_entropy", "mse" or a loss object

    Returns
    -------
    state, mean_loss
        The new optimizer state and the average of the per-example losses
        seen during the epoch (each taken before that batch's update).
    """
    X = check_float_array("X", X, min_ndim=2)
    y = np.asarray(y)
    if y.shape[:1] != X.shape[:1]:
        raise ValueError(f"y must have one entry per row of X ({X.shape[0]}); got shape {y.shape}")
    batch_size = check_int("batch_size", batch_size, 1)
    _check_rng(rng)
    loss = _get_loss(loss)
    if not hasattr(opt, "update"):
        raise TypeError(f"opt must be a descent.optim optimizer; got {type(opt).__name__}")
    n = X.shape[0]
    perm = rng.permutation(n)
    Xs, ys = X[perm], y[perm]  # one copy; the batches below are views
    params = {k: np.array(v, copy=True) for k, v in model.params().items()}
    model._assign(params)
    update = getattr(opt, "update_", None)
    if update is not None:
        state = copy_state(state)
    else:  # an optimizer-like object with the pure protocol only
        update = opt.update
    total = 0.0
    for start in range(0, n, batch_size):
        xb, yb = Xs[start:start + batch_size], ys[start:start + batch_size]
        value, grads = model.loss_and_grads(xb, yb, loss)
        params, state = update(params, grads, state)
        model._assign(params)
        total += value * xb.shape[0]
    return state, total / n


def accuracy(model: MLP, X: np.ndarray, y: np.ndarray) -> float:
    """Fraction of rows whose largest output is at the true label ``y``."""
    y = np.asarray(y)
    out = model.predict(X)
    if y.shape != (out.shape[0],):
        raise ValueError(f"y must have shape ({out.shape[0]},); got {y.shape}")
    return float(np.mean(np.argmax(out, axis=1) == y))
