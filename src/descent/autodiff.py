r"""A small reverse-mode automatic differentiation engine on numpy arrays.

A :class:`Tensor` wraps a floating-point ndarray. Every operation on tensors
records, in the result, its inputs (the *parents*) and a function that maps
the gradient of the result to the gradients of the inputs (the local
*vector-Jacobian product*). Calling :meth:`Tensor.backward` on a scalar output
:math:`L` walks this graph once in reverse topological order and applies the
chain rule

.. math::

    \bar v \;=\; \frac{\partial L}{\partial v}
    \;=\; \sum_{u \,:\, v \to u} \bar u\, \frac{\partial u}{\partial v},

so that every leaf tensor created with ``requires_grad=True`` receives
:math:`\partial L/\partial x` in its ``.grad``. A node used by several
operations receives the sum of their contributions.

Broadcasting follows numpy. When an input of shape ``(3, 1)`` was broadcast to
``(3, 4)``, its gradient is summed back over the broadcast axis
(:func:`unbroadcast`): each of its entries was used four times.

Example
-------
>>> import numpy as np
>>> from descent.autodiff import Tensor
>>> x = Tensor(np.array([1.0, 2.0]), requires_grad=True)
>>> y = (x * x).sum()           # y = x1^2 + x2^2
>>> y.backward()
>>> x.grad                      # dy/dx = 2x
array([2., 4.])
"""

from __future__ import annotations

import functools
from typing import Any, Callable, Sequence, Union

import numpy as np

from ._validation import check_float_array, check_in_range

__all__ = [
    "Tensor",
    "add",
    "sub",
    "mul",
    "div",
    "neg",
    "matmul",
    "power",
    "exp",
    "log",
    "tanh",
    "sigmoid",
    "relu",
    "logsumexp",
    "unbroadcast",
    "grad",
    "numerical_grad",
]

Operand = Union["Tensor", float, int, np.ndarray]
Axis = Union[None, int, Sequence[int]]


# --------------------------------------------------------------------- helpers
def unbroadcast(g: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    r"""Sum a gradient ``g`` back to ``shape``, undoing numpy broadcasting.

    If :math:`y = \operatorname{broadcast}(x)`, each entry of :math:`x` is
    copied to several entries of :math:`y`, so
    :math:`\bar x_i = \sum_{j \text{ copied from } i} \bar y_j`: sum over the
    leading axes numpy prepended and, keeping the dimension, over the axes
    where ``shape`` has size 1.

    >>> unbroadcast(np.ones((2, 3, 4)), (3, 1)).tolist()
    [[8.0], [8.0], [8.0]]
    """
    extra = g.ndim - len(shape)
    if extra > 0:
        g = g.sum(axis=tuple(range(extra)))
    axes = tuple(i for i, n in enumerate(shape) if n == 1 and g.shape[i] != 1)
    if axes:
        g = g.sum(axis=axes, keepdims=True)
    return g


def _normalize_axes(axis: Axis, ndim: int) -> tuple[int, ...]:
    if axis is None:
        return tuple(range(ndim))
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    for a in axes:
        if isinstance(a, (bool, np.bool_)) or not isinstance(a, (int, np.integer)):
            raise TypeError(f"axis must be None, an int or a tuple of ints; got {axis!r}")
        if not -ndim <= a < max(ndim, 1):
            raise ValueError(f"axis must be in [{-ndim}, {ndim - 1}] for a {ndim}-d tensor; got {a}")
    return tuple(sorted({int(a) % max(ndim, 1) for a in axes}))


def _lift(value: Operand, like: "Tensor") -> "Tensor":
    """Turn a constant (number or array) into a tensor that needs no gradient."""
    if isinstance(value, Tensor):
        return value
    if isinstance(value, (bool, np.bool_)):
        raise TypeError(f"operand must be a tensor, a real number or a float array; got {value!r}")
    if isinstance(value, (int, float, np.integer, np.floating)):
        # A Python number adopts the tensor's dtype, so float32 stays float32.
        return Tensor(np.asarray(value, dtype=like.data.dtype))
    arr = np.asarray(value)
    if np.issubdtype(arr.dtype, np.integer):
        arr = arr.astype(like.data.dtype)
    return Tensor(arr)


def _node(data: Any, parents: tuple["Tensor", ...], vjp: Callable, op: str) -> "Tensor":
    """Build the result of an operation; record the graph only if a parent needs it."""
    out = Tensor.__new__(Tensor)
    out.data = np.asarray(data)
    out.grad = None
    out.requires_grad = any(p.requires_grad for p in parents)
    out._parents = parents if out.requires_grad else ()
    out._vjp = vjp if out.requires_grad else None
    out._op = op
    return out


# ---------------------------------------------------------------------- Tensor
class Tensor:
    r"""A node of the computation graph: a float ndarray and, after ``backward``, its gradient.

    Parameters
    ----------
    data : float ndarray, float, or list of floats
        The value. It is wrapped, not copied; its dtype (float16/32/64) is kept.
        Integer and boolean data raise ``TypeError``: a gradient with respect
        to an integer is not defined.
    requires_grad : bool, default False
        Whether gradients flow to this tensor. Only *leaf* tensors (those not
        produced by an operation) store ``.grad``, as in PyTorch.

    Attributes
    ----------
    data : ndarray
    grad : ndarray or None
        :math:`\partial L/\partial x` accumulated by :meth:`backward` calls, of the
        same shape and dtype as ``data``; ``None`` until the first call.

    Operators ``+ - * / @ **`` and unary ``-`` build new tensors; numbers and
    arrays mixed in are treated as constants.
    """

    __slots__ = ("data", "grad", "requires_grad", "_parents", "_vjp", "_op")
    # Make ``ndarray + Tensor`` defer to Tensor.__radd__ instead of looping over entries.
    __array_ufunc__ = None

    def __init__(self, data: Any, requires_grad: bool = False) -> None:
        if isinstance(data, Tensor):
            raise TypeError("data must be an ndarray, not a Tensor; use tensor.data or tensor.detach()")
        if not isinstance(requires_grad, (bool, np.bool_)):
            raise TypeError(f"requires_grad must be True or False; got {requires_grad!r}")
        self.data = check_float_array("data", data, finite=False)
        self.grad: np.ndarray | None = None
        self.requires_grad = bool(requires_grad)
        self._parents: tuple[Tensor, ...] = ()
        self._vjp: Callable | None = None
        self._op = "leaf"

    # -- basic attributes
    @property
    def shape(self) -> tuple[int, ...]:
        return self.data.shape

    @property
    def ndim(self) -> int:
        return self.data.ndim

    @property
    def size(self) -> int:
        return self.data.size

    @property
    def dtype(self) -> np.dtype:
        return self.data.dtype

    @property
    def is_leaf(self) -> bool:
        return self._vjp is None

    def item(self) -> float:
        """The value of a one-element tensor as a Python float."""
        return float(self.data.reshape(()))

    def detach(self) -> "Tensor":
        """The same data as a new leaf that needs no gradient (cuts the graph)."""
        return Tensor(self.data)

    def zero_grad(self) -> None:
        """Forget the accumulated gradient (``.grad = None``)."""
        self.grad = None

    def __repr__(self) -> str:
        body = np.array2string(self.data, precision=4) if self.size <= 6 else f"shape={self.shape}"
        flag = ", requires_grad=True" if self.requires_grad else ""
        return f"Tensor({body}, dtype={self.dtype}{flag})"

    # -- operators
    def __add__(self, other: Operand) -> "Tensor":
        return add(self, other)

    def __radd__(self, other: Operand) -> "Tensor":
        return add(other, self)

    def __sub__(self, other: Operand) -> "Tensor":
        return sub(self, other)

    def __rsub__(self, other: Operand) -> "Tensor":
        return sub(other, self)

    def __mul__(self, other: Operand) -> "Tensor":
        return mul(self, other)

    def __rmul__(self, other: Operand) -> "Tensor":
        return mul(other, self)

    def __truediv__(self, other: Operand) -> "Tensor":
        return div(self, other)

    def __rtruediv__(self, other: Operand) -> "Tensor":
        return div(other, self)

    def __matmul__(self, other: Operand) -> "Tensor":
        return matmul(self, other)

    def __rmatmul__(self, other: Operand) -> "Tensor":
        return matmul(other, self)

    def __pow__(self, exponent: float) -> "Tensor":
        return power(self, exponent)

    def __neg__(self) -> "Tensor":
        return neg(self)

    # -- methods mirroring the functions below
    def exp(self) -> "Tensor":
        return exp(self)

    def log(self) -> "Tensor":
        return log(self)

    def tanh(self) -> "Tensor":
        return tanh(self)

    def sigmoid(self) -> "Tensor":
        return sigmoid(self)

    def relu(self) -> "Tensor":
        return relu(self)

    def sum(self, axis: Axis = None, keepdims: bool = False) -> "Tensor":
        r"""Sum over ``axis`` (all axes if None). Backward: :math:`\bar x = \operatorname{broadcast}(\bar y)`."""
        axes = _normalize_axes(axis, self.ndim)
        shape = self.shape

        def vjp(g):
            if not keepdims:
                g = np.expand_dims(g, axes)
            return (np.broadcast_to(g, shape),)

        return _node(self.data.sum(axis=axes, keepdims=keepdims), (self,), vjp, "sum")

    def mean(self, axis: Axis = None, keepdims: bool = False) -> "Tensor":
        r"""Mean over ``axis``: the sum divided by the number :math:`n` of summed entries."""
        axes = _normalize_axes(axis, self.ndim)
        n = int(np.prod([self.shape[a] for a in axes])) if axes else 1
        return self.sum(axes, keepdims) * (1.0 / max(n, 1))

    def reshape(self, *shape: Any) -> "Tensor":
        """Same entries, new shape (numpy rules, one ``-1`` allowed). Backward reshapes back."""
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = tuple(shape[0])
        old = self.shape
        return _node(self.data.reshape(shape), (self,), lambda g: (g.reshape(old),), "reshape")

    def transpose(self, *axes: int) -> "Tensor":
        """Permute axes (reverse them if none given). Backward applies the inverse permutation."""
        if len(axes) == 1 and isinstance(axes[0], (tuple, list)):
            axes = tuple(axes[0])
        perm = tuple(range(self.ndim))[::-1] if not axes else axes
        inverse = tuple(np.argsort(perm))
        return _node(self.data.transpose(perm), (self,), lambda g: (g.transpose(inverse),), "transpose")

    @property
    def T(self) -> "Tensor":
        return self.transpose()

    # -- the backward pass
    def _topological_order(self) -> list["Tensor"]:
        """Nodes that need gradients, each after all of its parents (iterative DFS)."""
        order: list[Tensor] = []
        seen: set[int] = set()
        stack: list[tuple[Tensor, bool]] = [(self, False)]
        while stack:
            node, parents_done = stack.pop()
            if parents_done:
                order.append(node)
                continue
            if id(node) in seen:
                continue
            seen.add(id(node))
            stack.append((node, True))
            for p in node._parents:
                if p.requires_grad and id(p) not in seen:
                    stack.append((p, False))
        return order

    def backward(self, grad: np.ndarray | float | None = None) -> None:
        r"""Accumulate :math:`\partial L/\partial x` into ``x.grad`` for every leaf ``x`` with ``requires_grad``.

        Parameters
        ----------
        grad : float ndarray of ``self.shape``, optional
            The seed :math:`\bar y`; the result is then the vector-Jacobian
            product :math:`\bar y^\top \partial y/\partial x`. May be omitted only
            for a one-element output, where it defaults to 1.

        Raises
        ------
        ValueError
            For a tensor that needs no gradient, or a non-scalar output without ``grad``.
        """
        if not self.requires_grad:
            raise ValueError("backward() called on a tensor with requires_grad=False; "
                             "no input of this computation requires a gradient")
        if grad is None:
            if self.size != 1:
                raise ValueError(f"backward() needs grad for a non-scalar output; got shape {self.shape}")
            seed = np.ones_like(self.data)
        else:
            seed = check_float_array("grad", grad, finite=False)
            if seed.shape != self.shape:
                raise ValueError(f"grad must have the output's shape {self.shape}; got {seed.shape}")
        grads: dict[int, np.ndarray] = {id(self): seed}
        for node in reversed(self._topological_order()):
            g = grads.pop(id(node), None)
            if g is None:
                continue
            if node._vjp is None:  # a leaf: store, accumulating over backward calls
                g = np.array(g, dtype=node.data.dtype)
                node.grad = g if node.grad is None else node.grad + g
                continue
            for parent, pg in zip(node._parents, node._vjp(g)):
                if parent.requires_grad:
                    k = id(parent)
                    grads[k] = pg if k not in grads else grads[k] + pg


# ----------------------------------------------------------------- operations
def _unary(a: Any, op: str) -> "Tensor":
    if not isinstance(a, Tensor):
        raise TypeError(f"{op} expects a Tensor; got {type(a).__name__} (wrap arrays with Tensor(...))")
    return a


def _pair(a: Operand, b: Operand) -> tuple[Tensor, Tensor]:
    if isinstance(a, Tensor):
        return a, _lift(b, a)
    if isinstance(b, Tensor):
        return _lift(a, b), b
    raise TypeError(f"at least one operand must be a Tensor; got {type(a).__name__} and {type(b).__name__}")


def add(a: Operand, b: Operand) -> Tensor:
    r""":math:`y = a + b` (broadcasting). Backward: :math:`\bar a = \bar y,\ \bar b = \bar y`, unbroadcast."""
    a, b = _pair(a, b)
    sa, sb = a.shape, b.shape
    return _node(a.data + b.data, (a, b), lambda g: (unbroadcast(g, sa), unbroadcast(g, sb)), "add")


def sub(a: Operand, b: Operand) -> Tensor:
    r""":math:`y = a - b`. Backward: :math:`\bar a = \bar y,\ \bar b = -\bar y`."""
    a, b = _pair(a, b)
    sa, sb = a.shape, b.shape
    return _node(a.data - b.data, (a, b), lambda g: (unbroadcast(g, sa), unbroadcast(-g, sb)), "sub")


def mul(a: Operand, b: Operand) -> Tensor:
    r""":math:`y = a \odot b`. Backward: :math:`\bar a = \bar y \odot b,\ \bar b = \bar y \odot a`."""
    a, b = _pair(a, b)
    x, z = a.data, b.data

    def vjp(g):
        return unbroadcast(g * z, x.shape), unbroadcast(g * x, z.shape)

    return _node(x * z, (a, b), vjp, "mul")


def div(a: Operand, b: Operand) -> Tensor:
    r""":math:`y = a / b`. Backward: :math:`\bar a = \bar y / b,\ \bar b = -\bar y\, a / b^2`."""
    a, b = _pair(a, b)
    x, z = a.data, b.data
    y = x / z

    def vjp(g):
        gz = g / z
        return unbroadcast(gz, x.shape), unbroadcast(-gz * y, z.shape)

    return _node(y, (a, b), vjp, "div")


def neg(a: Tensor) -> Tensor:
    r""":math:`y = -a`. Backward: :math:`\bar a = -\bar y`."""
    a = _unary(a, "neg")
    return _node(-a.data, (a,), lambda g: (-g,), "neg")


def matmul(a: Operand, b: Operand) -> Tensor:
    r"""Matrix product :math:`Y = A B` with numpy's ``@`` rules (1-D, 2-D, batched).

    Backward: :math:`\bar A = \bar Y B^\top,\ \bar B = A^\top \bar Y` on the last two
    axes, summed over broadcast batch axes. A 1-D ``a`` acts as a row
    vector and a 1-D ``b`` as a column vector, as in numpy.
    """
    a, b = _pair(a, b)
    x, z = a.data, b.data
    if x.ndim == 0 or z.ndim == 0:
        raise ValueError(f"matmul needs operands with at least 1 dimension; got shapes {x.shape} and {z.shape}")

    def vjp(g):
        x2 = x[None, :] if x.ndim == 1 else x
        z2 = z[:, None] if z.ndim == 1 else z
        if z.ndim == 1:  # restore the axes numpy dropped (column first, for 1-D @ 1-D)
            g = np.expand_dims(g, -1)
        if x.ndim == 1:
            g = np.expand_dims(g, -2)
        gx = unbroadcast(g @ np.swapaxes(z2, -1, -2), x2.shape).reshape(x.shape)
        gz = unbroadcast(np.swapaxes(x2, -1, -2) @ g, z2.shape).reshape(z.shape)
        return gx, gz

    return _node(x @ z, (a, b), vjp, "matmul")


def power(a: Tensor, exponent: float) -> Tensor:
    r""":math:`y = a^p` for a real constant :math:`p`. Backward: :math:`\bar a = \bar y\, p\, a^{p-1}`."""
    if isinstance(exponent, Tensor) or isinstance(exponent, (bool, np.bool_)) \
            or not isinstance(exponent, (int, float, np.integer, np.floating)):
        raise TypeError(f"exponent must be a real number (tensor ** scalar); got {type(exponent).__name__}")
    a = _unary(a, "power")
    p = float(exponent)
    x = a.data

    def vjp(g):
        if p == 0.0:
            return (np.zeros_like(g),)
        return (g * p * x ** (p - 1.0),)

    return _node(x**p, (a,), vjp, "pow")


def exp(a: Tensor) -> Tensor:
    r""":math:`y = e^a`. Backward: :math:`\bar a = \bar y\, y`."""
    a = _unary(a, "exp")
    y = np.exp(a.data)
    return _node(y, (a,), lambda g: (g * y,), "exp")


def log(a: Tensor) -> Tensor:
    r""":math:`y = \ln a`. Backward: :math:`\bar a = \bar y / a`."""
    a = _unary(a, "log")
    x = a.data
    return _node(np.log(x), (a,), lambda g: (g / x,), "log")


def tanh(a: Tensor) -> Tensor:
    r""":math:`y = \tanh a`. Backward: :math:`\bar a = \bar y\,(1 - y^2)`."""
    a = _unary(a, "tanh")
    y = np.tanh(a.data)
    return _node(y, (a,), lambda g: (g * (1.0 - y * y),), "tanh")


def sigmoid(a: Tensor) -> Tensor:
    r""":math:`y = \sigma(a) = 1/(1+e^{-a})`. Backward: :math:`\bar a = \bar y\, y(1-y)`.

    Computed as :math:`\tfrac12(1 + \tanh(a/2))`, which never overflows.
    """
    a = _unary(a, "sigmoid")
    y = 0.5 * (1.0 + np.tanh(0.5 * a.data))
    return _node(y, (a,), lambda g: (g * y * (1.0 - y),), "sigmoid")


def relu(a: Tensor) -> Tensor:
    r""":math:`y = \max(a, 0)`. Backward: :math:`\bar a = \bar y\,[a > 0]` (subgradient 0 at 0)."""
    a = _unary(a, "relu")
    mask = a.data > 0
    return _node(np.maximum(a.data, 0.0), (a,), lambda g: (g * mask,), "relu")


def logsumexp(a: Tensor, axis: int = -1, keepdims: bool = False) -> Tensor:
    r""":math:`y = \log \sum_j e^{a_j}` along ``axis``, computed stably.

    Uses :math:`y = m + \log\sum_j e^{a_j - m}` with :math:`m = \max_j a_j`, so
    large logits do not overflow. Backward: :math:`\bar a = \bar y\,\operatorname{softmax}(a)`.
    """
    a = _unary(a, "logsumexp")
    (ax,) = _normalize_axes(axis, a.ndim)
    x = a.data
    m = np.max(x, axis=ax, keepdims=True)
    m = np.where(np.isfinite(m), m, 0.0).astype(x.dtype, copy=False)
    y_keep = m + np.log(np.sum(np.exp(x - m), axis=ax, keepdims=True))

    def vjp(g):
        if not keepdims:
            g = np.expand_dims(g, ax)
        return (g * np.exp(x - y_keep),)

    return _node(y_keep if keepdims else np.squeeze(y_keep, ax), (a,), vjp, "logsumexp")


# ----------------------------------------------------------- functional helpers
def grad(f: Callable[..., Tensor]) -> Callable[..., tuple[np.ndarray, ...]]:
    r"""Turn a scalar function of tensors into a function returning its gradients.

    ``grad(f)(x1, ..., xk)`` wraps each float array :math:`x_i` in a
    ``Tensor(requires_grad=True)``, evaluates :math:`L = f(x_1,\dots,x_k)` and
    returns :math:`(\partial L/\partial x_1, \dots, \partial L/\partial x_k)` as
    ndarrays (zeros for an input :math:`L` does not depend on).

    Example
    -------
    >>> gx, gy = grad(lambda x, y: (x * y).sum())(np.array([1.0, 2.0]), np.array([3.0, 4.0]))
    >>> gx.tolist(), gy.tolist()
    ([3.0, 4.0], [1.0, 2.0])
    """
    if not callable(f):
        raise TypeError(f"f must be callable; got {type(f).__name__}")

    @functools.wraps(f)
    def grad_f(*arrays: Any) -> tuple[np.ndarray, ...]:
        xs = [Tensor(check_float_array(f"arrays[{i}]", a, finite=False), requires_grad=True)
              for i, a in enumerate(arrays)]
        out = f(*xs)
        if not isinstance(out, Tensor):
            raise TypeError(f"f must return a Tensor; got {type(out).__name__}")
        if out.size != 1:
            raise ValueError(f"f must return a scalar (one-element) Tensor; got shape {out.shape}")
        if out.requires_grad:
            out.backward()
        return tuple(x.grad if x.grad is not None else np.zeros_like(x.data) for x in xs)

    return grad_f


def numerical_grad(f: Callable[[np.ndarray], Any], x: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    r"""Central finite-difference gradient of a scalar function, one coordinate at a time.

    .. math::

        \frac{\partial f}{\partial x_i} \approx \frac{f(x + \epsilon e_i) - f(x - \epsilon e_i)}{2\epsilon},

    whose error is :math:`O(\epsilon^2)` from truncation plus
    :math:`O(u\,|f|/\epsilon)` from rounding (:math:`u \approx 10^{-16}` in float64),
    so :math:`\epsilon \approx 10^{-6}` gives about 10 correct digits. It costs
    :math:`2n` evaluations of ``f``: a test oracle, not a training tool.

    Parameters
    ----------
    f : callable
        Maps a float64 array shaped like ``x`` to a scalar (a number, a
        one-element array, or a one-element :class:`Tensor`).
    x : float ndarray
        The point; not modified.
    eps : float > 0, default 1e-6
        The step :math:`\epsilon`.

    Returns
    -------
    ndarray of float64, shaped like ``x``
    """
    x = check_float_array("x", x).astype(np.float64)
    eps = check_in_range("eps", eps, 0.0, None, low_open=True, allow_array=False)

    def value(z: np.ndarray) -> float:
        out = f(z)
        out = np.asarray(out.data if isinstance(out, Tensor) else out)
        if out.size != 1:
            raise ValueError(f"f must return a scalar; got shape {out.shape}")
        return float(out.reshape(()))

    g = np.zeros_like(x)
    z = x.copy()
    for i in range(x.size):
        xi = z.flat[i]
        z.flat[i] = xi + eps
        up = value(z)
        z.flat[i] = xi - eps
        down = value(z)
        z.flat[i] = xi
        g.flat[i] = (up - down) / (2.0 * eps)
    return g
