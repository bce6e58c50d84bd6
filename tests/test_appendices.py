"""The appendices cannot drift from the book: cheat sheet, explorer index, glossary, bibliography, misconceptions.

Each check is a small function that returns the problems it finds; the tests
run it on the real book (and demand no problems) and on a small broken input
(and demand that the problem is found), so every check is shown to be able to fail.
"""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import pytest

from descent.cheatsheet import cheatsheet_markdown, cheatsheet_rows, rules_markdown
from descent.optim import OPTIMIZERS, Adam

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = sorted((ROOT / "chapters").glob("*.ipynb"))
BOOK_PAGES = sorted((ROOT / "book").glob("*.md")) + sorted((ROOT / "book").glob("*.ipynb"))

# Figures a chapter still being written is to create, which the misconceptions page already links
# to. Empty while every linked chapter exists: then the test demands every linked figure exists.
FORWARD_FIGURES: set[str] = set()


# ------------------------------------------------------------------ reading the sources
def _strip_code(text: str) -> str:
    """Drop fenced code blocks whose info string is a language (not a ``{directive}``)."""
    out, code, directives = [], None, []
    for line in text.splitlines():
        m = re.match(r"^\s*(`{3,}|~{3,})\s*(.*)$", line)
        if code is not None:                       # inside a code block: drop up to its closing fence
            if m and m.group(1) == code and not m.group(2):
                code = None
            continue
        if m and m.group(2).startswith("{"):       # a directive opens: keep its content
            directives.append(m.group(1))
        elif m and not m.group(2) and directives and m.group(1) == directives[-1]:
            directives.pop()                        # a directive closes
        elif m:
            code = m.group(1)                       # a code block opens
            continue
        out.append(line)
    return "\n".join(out)


def _notebook_text(path: Path) -> str:
    """Markdown cells and Markdown outputs of a notebook (where roles can appear)."""
    nb = json.loads(path.read_text(encoding="utf-8"))
    parts = []
    for cell in nb["cells"]:
        if cell["cell_type"] == "markdown":
            parts.append("".join(cell["source"]))
        for out in cell.get("outputs", []):
            md = out.get("data", {}).get("text/markdown")
            if md:
                parts.append("".join(md))
    return "\n\n".join(parts)


def sources() -> dict[str, str]:
    """Every page's text, code blocks removed, keyed by path relative to the root."""
    out = {}
    for path in CHAPTERS + BOOK_PAGES:
        text = _notebook_text(path) if path.suffix == ".ipynb" else path.read_text(encoding="utf-8")
        out[str(path.relative_to(ROOT))] = _strip_code(text)
    return out


def roles(text: str, pattern: str) -> list[str]:
    r"""The contents of every MyST role matching ``pattern`` (``term``, ``cite(:\w+)?``, ...).

    A role quoted as inline code (```{term}```) is not a role: a backtick right
    before the brace excludes it.
    """
    return re.findall(r"(?<!`)\{(?:" + pattern + r")\}`([^`]+)`", text)


# ------------------------------------------------------------------------- cheat sheet
def missing_from_cheatsheet(markdown: str, optimizers, rules: str = "") -> list[str]:
    """Names of optimizers without a row of their own in the cheat sheet's table, or without a rule."""
    return [cls.__name__ for cls in optimizers
            if f"| `{cls.__name__}` |" not in markdown or f"**`{cls.__name__}`**" not in rules]


def test_every_optimizer_is_on_the_cheatsheet():
    md = cheatsheet_markdown()
    assert missing_from_cheatsheet(md, OPTIMIZERS, rules_markdown()) == []
    for cls in OPTIMIZERS:
        assert "CHEATSHEET" in vars(cls), f"{cls.__name__} lacks its own CHEATSHEET"
    assert len(md.splitlines()) == 2 + len(OPTIMIZERS)


def test_cheatsheet_check_can_fail():
    first, second = OPTIMIZERS[0], OPTIMIZERS[1]
    table, rules = cheatsheet_markdown([first, second]), rules_markdown([first, second])
    assert missing_from_cheatsheet(table, [first, second], rules) == []
    assert missing_from_cheatsheet(cheatsheet_markdown([first]), [first, second], rules) == [second.__name__]
    assert missing_from_cheatsheet(table, [first, second], rules_markdown([second])) == [first.__name__]

    class Inherited(Adam):          # inherits Adam's CHEATSHEET: would show Adam's rule
        pass

    with pytest.raises(TypeError, match="Inherited must declare its own CHEATSHEET"):
        cheatsheet_rows([Inherited])

    class NoUse(Adam):
        CHEATSHEET = {"rule": "x"}

    with pytest.raises(TypeError, match="use"):
        cheatsheet_rows([NoUse])

    class Piped(Adam):
        CHEATSHEET = {"rule": "|g_t|", "use": "breaks the table"}

    with pytest.raises(ValueError, match="must not contain"):
        cheatsheet_rows([Piped])

    class NeedsArgument(Adam):
        CHEATSHEET = {"rule": "x", "use": "y"}

        def __init__(self, k):
            super().__init__()

    with pytest.raises(TypeError, match=r"NeedsArgument\(\)\.init"):
        cheatsheet_rows([NeedsArgument])


def test_cheatsheet_reads_defaults_and_state_from_the_code():
    rows = {r["name"]: r for r in cheatsheet_rows()}
    assert rows["SGD"]["floats"] == 0 and rows["SGD"]["most"] == 1          # momentum 0: no buffer
    assert rows["Adam"]["buffers"] == ("exp_avg", "exp_avg_sq") and rows["Adam"]["most"] == 3
    assert rows["Lion"]["floats"] == 1
    assert rows["AdamW"]["defaults"]["weight_decay"] == 0.01
    assert rows["RMSprop"]["defaults"]["alpha"] == 0.99
    assert "maximize" not in rows["Adam"]["defaults"]


def test_cheatsheet_page_shows_the_generated_table():
    nb = json.loads((ROOT / "book/cheatsheet.ipynb").read_text(encoding="utf-8"))
    code = "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code")
    for call in ("cheatsheet_markdown()", "rules_markdown()"):
        assert call in code, f"the page must call {call} (every optimizer, no argument)"
    assert "book/cheatsheet" in (ROOT / "_toc.yml").read_text(encoding="utf-8")


# ----------------------------------------------------------------------- explorer index
EXPLORER_CALLS = re.compile(r"^(explore|explore_\w+|\w*Explorer)$")


def _call_name(node: ast.Call) -> str | None:
    f = node.func
    return f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else None


def explorers_in_cell(source: str) -> list[dict]:
    """Explorer calls in one code cell: key (title, or the builder's name) and explicit slider names."""
    code = "\n".join(line for line in source.splitlines() if not line.lstrip().startswith(("%", "!")))
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return []
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        name = _call_name(node)
        if name is None or not EXPLORER_CALLS.match(name) or name in ("BaseExplorer",):
            continue
        kw = {k.arg: k.value for k in node.keywords if k.arg}
        title = kw.get("title")
        key = title.value if isinstance(title, ast.Constant) and isinstance(title.value, str) else name
        sliders = []
        for arg in ("sliders", "static"):
            if isinstance(kw.get(arg), ast.Dict):
                sliders += [k.value for k in kw[arg].keys if isinstance(k, ast.Constant)]
        found.append({"key": key, "builder": name, "sliders": list(dict.fromkeys(sliders))})
    return found


def explorers_in_notebook(path: Path) -> list[dict]:
    nb = json.loads(path.read_text(encoding="utf-8"))
    out = []
    for i, cell in enumerate(nb["cells"]):
        if cell["cell_type"] == "code":
            for e in explorers_in_cell("".join(cell["source"])):
                out.append({**e, "chapter": path.stem, "cell": i})
    return out


def missing_explorers(explorers: list[dict], index_md: str) -> list[str]:
    """A message, with the row to add, for each explorer the index lacks or lists without a slider."""
    rows = [line for line in index_md.splitlines() if line.startswith("|")]
    problems = []
    for e in explorers:
        key = e["key"]
        shown = f'"{key}"' if key != e["builder"] else f"`{key}`"
        # a title may hold "|", written \| inside a table row
        match = [r for r in rows if f"../chapters/{e['chapter']}`" in r and shown in r.replace("\\|", "|")]
        sliders = ", ".join(f"`{s}` (...)" for s in e["sliders"]) or "(...)"
        suggestion = (f"| {int(e['chapter'][:2])} | {shown} | <what it shows> | {sliders} | "
                      f"{{doc}}`../chapters/{e['chapter']}`, *<section>* |")
        if not match:
            problems.append(f"chapters/{e['chapter']}.ipynb cell {e['cell']}: explorer {shown} is not in "
                            f"book/explorers.md; add the row\n    {suggestion}")
            continue
        absent = [s for s in e["sliders"] if f"`{s}`" not in match[0]]
        if absent:
            problems.append(f"chapters/{e['chapter']}.ipynb cell {e['cell']}: the row of explorer {shown} in "
                            f"book/explorers.md does not list the slider(s) {absent}")
    return problems


def test_every_explorer_is_in_the_index():
    explorers = [e for path in CHAPTERS for e in explorers_in_notebook(path)]
    assert len(explorers) >= 10, "the scanner found too few explorers: has the way they are written changed?"
    problems = missing_explorers(explorers, (ROOT / "book/explorers.md").read_text(encoding="utf-8"))
    assert not problems, "\n".join(problems)


def test_explorer_check_can_fail():
    cell = '''from descent.explore import explore
explore(q, {"GD": lambda lr: SGD(lr=lr)}, x0, sliders={"lr": Slider(0.1, 1, 0.5)},
        static={"momentum": [0.0, 0.9]}, title="A new explorer")
mom.RateMapExplorer([2, 10])
explore_profiles(depth=5)
Explorer(problem, factories, x0)
def explore_not(): pass
'''
    found = explorers_in_cell(cell)
    assert [e["key"] for e in found] == ["A new explorer", "RateMapExplorer", "explore_profiles", "Explorer"]
    assert found[0]["sliders"] == ["lr", "momentum"]
    explorers = [{**e, "chapter": "13_new", "cell": 7} for e in found]
    problems = missing_explorers(explorers, "| 4 | `RateMapExplorer` | x | `kappa` | {doc}`../chapters/04_momentum` |")
    assert len(problems) == 4
    assert 'explorer "A new explorer" is not in book/explorers.md' in problems[0]
    assert '| 13 | "A new explorer" | <what it shows> | `lr` (...), `momentum` (...) |' in problems[0]
    index = '| 13 | "A new explorer" | x | `lr` only | {doc}`../chapters/13_new`, *s* |'
    assert "does not list the slider(s) ['momentum']" in missing_explorers(explorers[:1], index)[0]


# ---------------------------------------------------------------------------- glossary
def glossary_entries(md: str) -> dict[str, str]:
    """Term -> indented body, from the ``{glossary}`` block of a page."""
    m = re.search(r"```\{glossary\}\n(.*?)\n```", md, re.S)
    assert m, "no {glossary} block"
    lines = [ln for ln in m.group(1).splitlines() if not ln.startswith(":")]
    entries, term = {}, None
    for line in lines:
        if line.strip() and not line.startswith((" ", "\t")):
            term = line.strip()
            if term in entries:
                raise ValueError(f"glossary term {term!r} appears twice")
            entries[term] = ""
        elif term is not None:
            entries[term] += line.strip() + "\n"
    return entries


def term_target(content: str) -> str:
    """The glossary term a ``{term}`` role points to: ``text <target>`` or the text itself."""
    m = re.match(r"^(.*?)\s*<([^<>]+)>\s*$", content, re.S)
    return " ".join((m.group(2) if m else content).split()).lower()


def unknown_terms(pages: dict[str, str], terms) -> list[str]:
    known = {t.lower() for t in terms}
    return [f"{page}: {{term}}`{c}` has no glossary entry"
            for page, text in pages.items() for c in roles(text, "term") if term_target(c) not in known]


def entry_problems(entries: dict[str, str], chapter_stems) -> list[str]:
    """Entries without English, 中文, a definition, or where the term is defined."""
    numbers = {int(s[:2]): s for s in chapter_stems}
    problems = []
    for term, body in entries.items():
        if not re.search(r"[A-Za-z]", term):
            problems.append(f"{term!r}: the English term is missing")
        m = re.match(r"\*\*([^*]+)\*\*\.?\s+(.*)", body, re.S)
        if not m or not re.search(r"[\u4e00-\u9fff]", m.group(1)):
            problems.append(f"{term!r}: the body must start with the Chinese term in bold, **中文**")
            continue
        definition, _, where = m.group(2).partition("Defined in ")
        if len(definition.split()) < 6:
            problems.append(f"{term!r}: the definition is missing or too short")
        doc = re.match(r"\{doc\}`\.\./chapters/([^`]+)`\.", where.strip())
        plain = re.match(r"chapter (\d+)\.", where.strip())
        if doc:
            if doc.group(1) not in set(chapter_stems):
                problems.append(f"{term!r}: 'Defined in' links to chapters/{doc.group(1)}, which does not exist")
        elif plain:
            n = int(plain.group(1))
            if n in numbers:
                problems.append(f"{term!r}: chapter {n} exists now; write "
                                f"Defined in {{doc}}`../chapters/{numbers[n]}`.")
        else:
            problems.append(f"{term!r}: the last line must say where it is defined: "
                            "Defined in {doc}`../chapters/NN_slug`. (or 'Defined in chapter N.' before it exists)")
    return problems


def test_every_term_role_has_a_glossary_entry():
    entries = glossary_entries((ROOT / "book/glossary.md").read_text(encoding="utf-8"))
    problems = unknown_terms(sources(), entries)
    assert not problems, "\n".join(problems)


def test_every_glossary_entry_is_complete():
    entries = glossary_entries((ROOT / "book/glossary.md").read_text(encoding="utf-8"))
    assert len(entries) >= 90
    assert len({t.lower() for t in entries}) == len(entries), "two entries differ only in case"
    problems = entry_problems(entries, [p.stem for p in CHAPTERS])
    assert not problems, "\n".join(problems)


def test_code_blocks_are_skipped_and_directives_kept():
    text = """```{admonition} Note
{term}`kept`
```
````text
```{exercise}
{term}`in code`
```
````
```python
x = "{cite}`also_code`"
```
{term}`after`"""
    assert roles(_strip_code(text), "term") == ["kept", "after"]
    assert "also_code" not in _strip_code(text)


def test_glossary_checks_can_fail():
    page = "Use the `{term}` role: {term}`Learning rates <learning rate>`, {term}`Momentum`, {term}`saddles`."
    assert unknown_terms({"p.md": page}, ["learning rate", "momentum"]) == ["p.md: {term}`saddles` has no glossary entry"]
    md = """```{glossary}
:sorted:

good
  **好的**. A complete entry with a definition of six words or more.
  Defined in {doc}`../chapters/01_intro`.

no chinese
  **none**. A definition that lacks the Chinese term entirely here.
  Defined in chapter 12.

no place
  **地方**. A definition that never says where it is defined in the book.

stale
  **陈旧**. A definition pointing to a chapter that has landed meanwhile.
  Defined in chapter 1.

missing
  **缺少**. A definition whose chapter link names a missing file.
  Defined in {doc}`../chapters/99_gone`.
```"""
    problems = entry_problems(glossary_entries(md), ["01_intro"])
    assert len(problems) == 4
    assert "'no chinese'" in problems[0] and "'no place'" in problems[1]
    assert "chapter 1 exists now" in problems[2] and "99_gone" in problems[3]
    with pytest.raises(ValueError, match="twice"):
        glossary_entries("```{glossary}\na\n  **一**. x\n\na\n  **一**. y\n```")


# ------------------------------------------------------------------------ bibliography
def bib_keys(path: Path) -> set[str]:
    import pybtex.database
    import pybtex.errors

    pybtex.errors.set_strict_mode(True)          # a duplicate key or a syntax error raises
    return set(pybtex.database.parse_file(str(path)).entries)


def cited_keys(pages: dict[str, str]) -> dict[str, set[str]]:
    """Key -> the pages that cite it, over every form of the cite role."""
    out: dict[str, set[str]] = {}
    for page, text in pages.items():
        for content in roles(text, r"(?:foot)?cite(?::[a-z]+)?"):
            for key in content.split(","):
                out.setdefault(key.strip(), set()).add(page)
    return out


def citation_problems(cited: dict[str, set[str]], keys: set[str]) -> list[str]:
    return ([f"{k} is cited in {sorted(p)} but has no entry in book/references.bib"
             for k, p in sorted(cited.items()) if k not in keys]
            + [f"{k} is in book/references.bib but cited nowhere" for k in sorted(keys - set(cited))])


def test_every_citation_has_an_entry_and_every_entry_is_cited():
    problems = citation_problems(cited_keys(sources()), bib_keys(ROOT / "book/references.bib"))
    assert not problems, "\n".join(problems)


def test_bibliography_page_renders_the_bib():
    page = (ROOT / "book/bibliography.md").read_text(encoding="utf-8")
    assert re.search(r"```\{bibliography\}", page)
    assert "book/references.bib" in (ROOT / "_config.yml").read_text(encoding="utf-8")


def test_bibliography_checks_can_fail(tmp_path):
    page = "See `{cite}` and {cite:p}`a2000, b2001` and {cite:t}`c2002`; {cite}`a2000`."
    cited = cited_keys({"p.md": page})
    assert set(cited) == {"a2000", "b2001", "c2002"}
    assert citation_problems(cited, {"a2000", "b2001", "d2003"}) == [
        "c2002 is cited in ['p.md'] but has no entry in book/references.bib",
        "d2003 is in book/references.bib but cited nowhere"]
    bib = tmp_path / "dup.bib"
    bib.write_text("@misc{a2000, title={A}, year={2000}}\n@misc{a2000, title={B}, year={2000}}\n")
    with pytest.raises(Exception, match="a2000"):
        bib_keys(bib)


# ---------------------------------------------------------------------- misconceptions
def figure_names() -> set[str]:
    names = set()
    for path in CHAPTERS:
        for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]:
            name = cell.get("metadata", {}).get("mystnb", {}).get("figure", {}).get("name")
            if name:
                names.add(name)
    return names


def misconception_problems(md: str, figures: set[str], forward: set[str]) -> list[str]:
    """Claims without a 'What is true' part or a link, and figure links to names nothing defines."""
    claims = re.split(r"^### ", md, flags=re.M)[1:]
    problems = [] if len(claims) >= 12 else [f"only {len(claims)} claims; at least 12 are needed"]
    for c in claims:
        title = c.splitlines()[0]
        if "**What is true.**" not in c:
            problems.append(f"{title}: no '**What is true.**' part")
        if not roles(c, r"numref|ref|doc"):
            problems.append(f"{title}: no link to the experiment that shows it")
    for name in roles(md, "numref"):
        target = term_target(name)
        if target not in {f.lower() for f in figures | forward}:
            problems.append(f"{{numref}}`{name}` names no figure in the chapters")
    return problems


def test_misconceptions_link_to_their_evidence():
    md = (ROOT / "book/misconceptions.md").read_text(encoding="utf-8")
    problems = misconception_problems(md, figure_names(), FORWARD_FIGURES)
    assert not problems, "\n".join(problems)


def test_misconception_check_can_fail():
    md = ("### \"a\"\n**What is true.** x {numref}`fig-ch01-landscapes`\n"
          "### \"b\"\nno truth, no link\n### \"c\"\n**What is true.** {numref}`fig-nowhere`\n")
    problems = misconception_problems(md, {"fig-ch01-landscapes"}, set())
    assert problems == ["only 3 claims; at least 12 are needed", "\"b\": no '**What is true.**' part",
                        "\"b\": no link to the experiment that shows it",
                        "{numref}`fig-nowhere` names no figure in the chapters"]
