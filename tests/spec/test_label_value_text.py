"""Label values that render alike are refused (mongen/spec/label_text.py): invisible and blank
characters, text not in NFC, and values equal to another once NFKC-folded."""

from __future__ import annotations

import pytest

from mongen.spec.label_text import look_alike, value_problem


@pytest.mark.parametrize(
    ("value", "named"),
    [
        ("happy\u034f", "U+034F"),  # combining grapheme joiner
        ("sad\u3164", "U+3164"),  # Hangul filler
        ("\u2800", "U+2800"),  # braille blank, alone
        ("an\u00a0gry", "U+00A0"),  # no-break space
        ("ok\ufe0f", "U+FE0F"),  # variation selector
        ("\u0301x", "U+0301"),  # a combining mark with nothing before it
        ("cafe\u0301", "NFC"),  # decomposed é
    ],
)
def test_a_value_that_renders_like_another_is_refused(value: str, named: str) -> None:
    problem = value_problem(value)
    assert problem is not None and named in problem


@pytest.mark.parametrize("value", ["happy", "开心", "普通", "café", "meta-llama/Meta-Llama-3-8B", "a b", "5xx"])
def test_ordinary_values_pass(value: str) -> None:
    assert value_problem(value) is None


def test_values_equal_once_folded_are_refused() -> None:
    assert look_alike(("happy", "ｈａｐｐｙ"), 1) == "happy"
    assert look_alike(("ﬁle", "file"), 1) == "ﬁle"
    assert look_alike(("happy", "Happy"), 1) is None  # case is a real difference in PromQL
