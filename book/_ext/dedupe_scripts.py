"""Write each <script> of a page once.

Sphinx 7.4 lists a body-only script twice when an extension adds it with
`app.add_js_file(None, body=...)` after the HTML builder has started: once as
given (filename None) and again, as filename '', when the builder re-reads the
extension registry before writing (StandaloneHTMLBuilder.prepare_writing); the
two are not equal, so both reach every page. sphinx-thebe's
`const THEBE_JS_URL = ...` is such a script (sphinx-togglebutton's
`var togglebuttonSelector = ...` is another), and declaring a `const` twice
throws "Identifier 'THEBE_JS_URL' has already been declared" on every page.

This extension keeps the first of any scripts that are the same file with the
same attributes (for inline scripts: the same body). Enabled in _config.yml:

    sphinx:
      local_extensions:
        dedupe_scripts: book/_ext
"""


def _key(js):
    filename = getattr(js, "filename", js) or ""
    attributes = getattr(js, "attributes", {}) or {}
    return str(filename), tuple(sorted((k, str(v)) for k, v in attributes.items()))


def dedupe_scripts(app, pagename, templatename, context, doctree):
    scripts = context.get("script_files")
    if not scripts:
        return
    seen = set()
    unique = []
    for js in scripts:
        key = _key(js)
        if key not in seen:
            seen.add(key)
            unique.append(js)
    scripts[:] = unique  # in place: the builder restores its list before the next page


def setup(app):
    # After everyone else (sphinx.ext.mathjax adds its scripts per page at the default 500).
    app.connect("html-page-context", dedupe_scripts, priority=900)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
