"""The search page finds what the book teaches.

(The other interactions, playing animations and opening solutions, run on
every page as part of its checks: see bookchecks.inspect_page.)
"""

import pytest

import bookchecks
from builtbook import article_html, book_pages


@pytest.mark.parametrize("term", ["Adam", "momentum"])
def test_search_finds_the_pages_that_teach_it(term, html_root, browser_context, book_server):
    """Data-driven: what the search must find follows from what the built pages say."""
    texts = {p: bookchecks.article_text(article_html(p)) for p in book_pages()}
    pages_with_term = sorted(p for p, t in texts.items() if bookchecks.mentions(t, term))
    chapters_with_term = [p for p in pages_with_term if p.startswith("chapters/")]
    assert pages_with_term, f"no page of the book mentions {term!r}; this is a book about it"

    page = browser_context.new_page()
    try:
        urls = bookchecks.search_results(page, book_server.base_url, term)
    finally:
        page.close()
    assert urls is not None, f"search.html?q={term} never finished (no search summary shown)"
    assert urls, f"search for {term!r} found nothing; pages that mention it: {pages_with_term}"

    prefix = book_server.base_url + "/"
    found = [u.split("#")[0].removeprefix(prefix) for u in urls]
    outside = [u for u in urls if not u.startswith(prefix)]
    assert not outside, f"search results leave the book: {outside}"
    unknown = [p for p in found if p not in texts]
    assert not unknown, f"search results link to pages that do not exist: {unknown}"
    assert any(p in pages_with_term for p in found), (
        f"no result for {term!r} links to a page that mentions it; results: {found}"
    )
    if chapters_with_term:
        assert any(p.startswith("chapters/") for p in found), (
            f"search for {term!r} finds no chapter, though {chapters_with_term} mention it; results: {found}"
        )
