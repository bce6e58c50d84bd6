"""Tests for descent.history: the timeline table is sorted, dated and cited."""

from __future__ import annotations

import dataclasses
import json
import pathlib
import re

import pytest

from descent.history import MILESTONES, Milestone, markdown_table, milestone, milestones

ROOT = pathlib.Path(__file__).resolve().parents[1]
BIB = ROOT / "book" / "references.bib"
CHAPTER_1 = ROOT / "chapters" / "01_cauchy_to_deep_learning.ipynb"


def _bib_entries() -> dict[str, str]:
    text = BIB.read_text(encoding="utf-8")
    parts = re.split(r"(?m)^@\w+\{", text)[1:]
    return {p.split(",", 1)[0].strip(): p for p in parts}


def test_sorted_and_unique():
    years = [m.year for m in MILESTONES]
    assert years == sorted(years)
    keys = [m.key for m in MILESTONES]
    assert len(keys) == len(set(keys))
    assert all(m.published >= m.year for m in MILESTONES)


def test_every_key_is_in_the_bibliography_with_the_published_year():
    entries = _bib_entries()
    for m in MILESTONES:
        assert m.key in entries, f"{m.key} missing from references.bib"
        year = re.search(r"year\s*=\s*\{(\d{4})\}", entries[m.key]).group(1)
        assert int(year) == m.published, m.key


def test_dates_of_the_adaptive_methods():
    # first public appearance vs the cited venue
    assert (milestone("kingma2015").year, milestone("kingma2015").published) == (2014, 2015)
    assert (milestone("loshchilov2019").year, milestone("loshchilov2019").published) == (2017, 2019)
    assert milestone("tieleman2012").year == 2012 and milestone("zeiler2012").year == 2012
    assert (milestone("duchi2011").year, milestone("duchi2011").published) == (2010, 2011)  # COLT 2010
    assert (milestone("reddi2018").year, milestone("reddi2018").published) == (2017, 2018)  # OpenReview Oct 2017
    assert milestone("zhuang2020").year == 2020
    assert milestone("chen2023").year == 2023 and milestone("cauchy1847").year == 1847
    assert milestone("kingma2015").span == "2014–15"
    assert milestone("cauchy1847").span == "1847"
    assert milestone("duchi2011").span == "2010–11"


def test_rows_are_frozen_and_notes_are_one_line():
    with pytest.raises(dataclasses.FrozenInstanceError):
        MILESTONES[0].year = 1900  # type: ignore[misc]
    for m in MILESTONES:
        assert "\n" not in m.note and "|" not in m.note and len(m.note) < 120


def test_filtering():
    assert milestones() == MILESTONES
    assert [m.key for m in milestones(2012, 2014)] == ["krizhevsky2012", "tieleman2012", "zeiler2012", "kingma2015"]
    assert milestones(start=2024) == ()
    with pytest.raises(ValueError, match="start must be <= end"):
        milestones(2000, 1990)
    with pytest.raises(TypeError, match="start must be an integer"):
        milestones(start=1990.0)
    with pytest.raises(KeyError, match="no milestone with key 'adam'"):
        milestone("adam")


def test_markdown_table():
    table = markdown_table()
    lines = table.splitlines()
    assert len(lines) == len(MILESTONES) + 2
    assert all(line.count("|") == 5 for line in lines)
    for m, line in zip(MILESTONES, lines[2:]):
        assert f"{{cite:p}}`{m.key}`" in line and line.startswith(f"| {m.span} |")
    assert "{cite:t}`chen2023`" in markdown_table(milestones(2023), role="cite:t")
    with pytest.raises(ValueError, match="role must be one of"):
        markdown_table(role="footcite")
    with pytest.raises(TypeError, match=r"rows\[0\] must be a Milestone"):
        markdown_table(("x",))
    assert isinstance(MILESTONES[0], Milestone)


def test_chapter_1_pastes_the_current_table():
    # chapter 1 shows the table as a markdown cell written by its generator; it must not go stale
    cells = json.loads(CHAPTER_1.read_text(encoding="utf-8"))["cells"]
    header = "| year | event | note | source |"
    texts = ["".join(c["source"]) for c in cells if c["cell_type"] == "markdown"]
    pasted = [t for t in texts if header in t]
    assert len(pasted) == 1
    table = pasted[0][pasted[0].index(header):].strip()
    assert table == markdown_table()


def test_first_publications_corrected():
    # least squares: Legendre's 1805 appendix is the first public appearance; the perceptron rule
    # with its convergence theorem is Rosenblatt's 1962 book (and Novikoff 1962), not the 1958 paper
    ls = [m for m in MILESTONES if m.event == "Least squares"]
    assert len(ls) == 1 and (ls[0].year, ls[0].key) == (1805, "legendre1805")
    assert milestone("rosenblatt1962").year == 1962
    assert all(m.key != "rosenblatt1958" for m in MILESTONES)


@pytest.mark.parametrize("key, year", [("widrow1960", 1960), ("werbos1974", 1974), ("riedmiller1993", 1993),
                                       ("hochreiter1997", 1997), ("krizhevsky2012", 2012)])
def test_added_milestones(key, year):
    assert milestone(key).year == year
