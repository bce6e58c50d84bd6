"""descent: the tested library behind the Descent textbook.

Modules, one per concept:

- :mod:`descent.landscapes`  test functions and finite-sum problems (value, grad, hessian)
- :mod:`descent.optim`       optimizers with the ``init`` / ``update`` protocol, matching torch.optim
- :mod:`descent.schedules`   learning-rate schedules, matching torch.optim.lr_scheduler
- :mod:`descent.run`         vectorized optimization runs with divergence detection
- :mod:`descent.classic`     steepest descent with exact line search, Gauss-Newton
- :mod:`descent.history`     the timeline of milestones, with citations
- :mod:`descent.stochastic`  mini-batch gradient noise, accumulation, GD rates on quadratics
- :mod:`descent.autodiff`    a small reverse-mode automatic differentiation engine
- :mod:`descent.nn`          MLP layers with explicit forward/backward
- :mod:`descent.rnn`         a vanilla RNN with backpropagation through time
- :mod:`descent.gradflow`    per-layer gradient-norm measurements
- :mod:`descent.viz`         one look for every figure
- :mod:`descent.explore`     explorers: live sliders in JupyterLab, kernel-free sliders in the book
                             (``descent.widgets`` re-exports them for old imports)
- :mod:`descent.student`     the student edition of the notebooks (``python -m descent.student``)
"""

__version__ = "0.1.0"
