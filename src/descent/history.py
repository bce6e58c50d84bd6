r"""Milestones of gradient-based optimization, as a small data table.

Each :class:`Milestone` records the year a method first appeared in public
(``year``), the year of the version the book cites (``published``; later for
papers that circulated as preprints first), a short name (``event``), the
BibTeX key in ``book/references.bib`` (``key``) and a one-line note.
:data:`MILESTONES` is sorted by ``year``; :func:`milestones` filters it and
:func:`markdown_table` renders it with ``{cite}`` roles for a MyST page.

Examples
--------
>>> [m.event for m in milestones(end=1900)]
['Least squares', 'Steepest descent']
>>> milestone("kingma2015").year, milestone("kingma2015").published
(2014, 2015)
"""

from __future__ import annotations

from dataclasses import dataclass

from ._validation import check_int

__all__ = ["Milestone", "MILESTONES", "milestones", "milestone", "markdown_table"]


@dataclass(frozen=True)
class Milestone:
    """One row of the timeline.

    Attributes
    ----------
    year : int
        Year of first public appearance (preprint, lecture or paper).
    published : int
        Year of the cited version (journal, conference); equal to ``year`` when
        there was no earlier preprint.
    event : str
        Short name of the method or result.
    key : str
        BibTeX key in ``book/references.bib``.
    note : str
        One line: what it did, and where it first appeared.
    """

    year: int
    published: int
    event: str
    key: str
    note: str

    @property
    def span(self) -> str:
        """``"2014"`` or ``"2014–15"`` (first appearance to cited version)."""
        if self.published == self.year:
            return str(self.year)
        return f"{self.year}–{self.published % 100:02d}"


MILESTONES: tuple[Milestone, ...] = (
    Milestone(1805, 1805, "Least squares", "legendre1805",
              "Legendre publishes least squares for comet orbits; Gauss's 1809 account adds Gauss–Newton's idea."),
    Milestone(1847, 1847, "Steepest descent", "cauchy1847",
              "Cauchy moves against the gradient with the step that minimizes along that line."),
    Milestone(1951, 1951, "Stochastic approximation", "robbins1951",
              "Robbins and Monro find a root from noisy measurements with decaying steps."),
    Milestone(1960, 1960, "LMS (Widrow–Hoff)", "widrow1960",
              "Adaptive linear elements trained by SGD on the squared error, one example at a time."),
    Milestone(1962, 1962, "Perceptron convergence", "rosenblatt1962",
              "The error-correcting perceptron rule and its convergence theorem (also Novikoff, 1962)."),
    Milestone(1964, 1964, "Heavy-ball momentum", "polyak1964",
              "Polyak adds a multiple of the previous step to the gradient step."),
    Milestone(1974, 1974, "Reverse-mode gradients for networks", "werbos1974",
              "Werbos's thesis computes a network's gradient by propagating derivatives backwards."),
    Milestone(1983, 1983, "Accelerated gradient", "nesterov1983",
              "Nesterov's method reaches the optimal O(1/t²) rate on smooth convex problems."),
    Milestone(1986, 1986, "Backpropagation popularised", "rumelhart1986",
              "Rumelhart, Hinton and Williams show that backpropagated errors train useful hidden layers."),
    Milestone(1993, 1993, "Rprop", "riedmiller1993",
              "Per-weight steps adapted from the signs of successive gradients, not their sizes."),
    Milestone(1997, 1997, "LSTM", "hochreiter1997",
              "Gated memory cells keep gradients alive over long time lags in recurrent networks."),
    Milestone(2010, 2011, "Adagrad", "duchi2011",
              "Per-coordinate steps scaled by the root of the summed squared gradients (COLT 2010; JMLR 2011)."),
    Milestone(2012, 2012, "AlexNet on GPUs", "krizhevsky2012",
              "A deep convolutional network trained by momentum SGD on two GPUs wins ImageNet 2012."),
    Milestone(2012, 2012, "RMSProp", "tieleman2012",
              "A moving average of squared gradients instead of a sum; lecture slides, no paper."),
    Milestone(2012, 2012, "Adadelta", "zeiler2012",
              "Zeiler's unit-corrected moving-average method (arXiv, December 2012)."),
    Milestone(2014, 2015, "Adam", "kingma2015",
              "Bias-corrected moving averages of gradients and squared gradients (arXiv Dec 2014, ICLR 2015)."),
    Milestone(2017, 2018, "AMSGrad", "reddi2018",
              "A counterexample to Adam's convergence and a running-maximum fix (OpenReview Oct 2017, ICLR 2018)."),
    Milestone(2017, 2019, "AdamW", "loshchilov2019",
              "Weight decay decoupled from the adaptive step (arXiv Nov 2017, ICLR 2019)."),
    Milestone(2020, 2020, "AdaBelief", "zhuang2020",
              "Scales steps by the spread of gradients around their average (NeurIPS 2020)."),
    Milestone(2023, 2023, "Lion", "chen2023",
              "A sign-of-momentum update found by program search (arXiv, February 2023)."),
)


def milestones(start: int | None = None, end: int | None = None) -> tuple[Milestone, ...]:
    """Milestones with ``start <= year <= end`` (either bound may be None), in order.

    Parameters
    ----------
    start, end : int, optional
        Inclusive bounds on :attr:`Milestone.year`.

    Returns
    -------
    tuple of Milestone
    """
    lo = -10**9 if start is None else check_int("start", start)
    hi = 10**9 if end is None else check_int("end", end)
    if lo > hi:
        raise ValueError(f"start must be <= end; got start={start}, end={end}")
    return tuple(m for m in MILESTONES if lo <= m.year <= hi)


def milestone(key: str) -> Milestone:
    """The milestone whose BibTeX key is ``key``.

    Raises
    ------
    KeyError
        When no milestone has that key.
    """
    if not isinstance(key, str):
        raise TypeError(f"key must be a str; got {type(key).__name__}")
    for m in MILESTONES:
        if m.key == key:
            return m
    raise KeyError(f"no milestone with key {key!r}; known keys: {', '.join(m.key for m in MILESTONES)}")


def markdown_table(rows: tuple[Milestone, ...] | None = None, role: str = "cite:p") -> str:
    """The timeline as a MyST markdown table: year, event, note, and a ``{cite}`` role.

    Parameters
    ----------
    rows : tuple of Milestone, optional
        Defaults to :data:`MILESTONES`.
    role : str, default "cite:p"
        The citation role (``"cite"``, ``"cite:p"`` or ``"cite:t"``).

    Returns
    -------
    str
        A header, a separator and one line per milestone.

    Examples
    --------
    >>> print(markdown_table(milestones(1847, 1847)).splitlines()[-1])
    | 1847 | Steepest descent | Cauchy moves against the gradient with the step that minimizes along that line. | {cite:p}`cauchy1847` |
    """
    if role not in ("cite", "cite:p", "cite:t"):
        raise ValueError(f"role must be one of 'cite', 'cite:p', 'cite:t'; got {role!r}")
    rows = MILESTONES if rows is None else tuple(rows)
    for i, m in enumerate(rows):
        if not isinstance(m, Milestone):
            raise TypeError(f"rows[{i}] must be a Milestone; got {type(m).__name__}")
    lines = ["| year | event | note | source |", "|---|---|---|---|"]
    lines += [f"| {m.span} | {m.event} | {m.note} | {{{role}}}`{m.key}` |" for m in rows]
    return "\n".join(lines)
