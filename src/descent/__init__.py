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
- :mod:`descent.momentum`    heavy-ball and Nesterov analysis: per-eigencomponent rates, rate maps, counterexamples
- :mod:`descent.ratemap`     the momentum rate-map explorer
- :mod:`descent.adaptive`    problems and measurements for Adagrad, RMSProp and Adadelta
- :mod:`descent.adam_family` bias correction, step bounds, AMSGrad's counterexample, RAdam's rectifier
- :mod:`descent.lr_range`    the learning-rate range test
- :mod:`descent.curvature`   Hessian-vector products, power iteration, Newton and saddle-free steps, L-BFGS, GOE
- :mod:`descent.regularize`  dropout, L1 proximal steps, digits augmentation, early stopping
- :mod:`descent.bakeoff`     fair optimizer comparisons: learning-rate sweeps over seeds on small data sets
- :mod:`descent.precision`   number formats, stochastic rounding, loss scaling, mixed-precision steps, memory
- :mod:`descent.rl`          policy gradients: softmax policies, REINFORCE and baselines, PPO, natural gradient, a Gymnasium runner
- :mod:`descent.cheatsheet`  the cheat-sheet appendix, generated from the optimizers themselves
- :mod:`descent.exercises`   exercise checks that cannot be bypassed (``forbid``, ``spy``, ``agree``)
- :mod:`descent.student`     the student edition of the notebooks (``python -m descent.student``)
- :mod:`descent.course`      nbgrader metadata and the course folder (``python -m descent.course``)
"""

__version__ = "0.1.0"
