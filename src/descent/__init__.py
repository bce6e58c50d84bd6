"""descent: the tested library behind the Descent textbook.

Modules, one per concept:

- :mod:`descent.landscapes`  test functions and finite-sum problems
- :mod:`descent.optim`       optimizers with the ``init`` / ``update`` protocol
- :mod:`descent.schedules`   learning-rate schedules
- :mod:`descent.run`         vectorized optimization runs with divergence detection
"""

__version__ = "0.1.0"
