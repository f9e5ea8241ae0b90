"""Runbook text: spec text is escaped for Markdown's HTML, code spans are shown as written."""

from __future__ import annotations

import pytest

from mongen.generators.runbooks import _text


@pytest.mark.parametrize(
    ("text", "markdown"),
    [
        ("<img src=x> & more", "&lt;img src=x&gt; &amp; more"),
        ("run `curl -s <instance>/metrics` first", "run `curl -s <instance>/metrics` first"),
        ("``a`<b>`` then <c>", "``a`<b>`` then &lt;c&gt;"),
        ("an unclosed `<span", "an unclosed `&lt;span"),
    ],
)
def test_text_escapes_html_outside_code_spans(text: str, markdown: str) -> None:
    assert _text(text) == markdown
