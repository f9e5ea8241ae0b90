"""What a label value may look like beyond the scalar checks (spec/scalars.py refuses control and
format characters everywhere): values are shown in dashboards, alerts and PromQL, so two that look
alike are a bug waiting for a reviewer. A value must be NFC (composed: `café` as one `é`), hold no
character that renders as nothing or blank, and differ from the others once compatibility forms
are folded (NFKC: fullwidth `ｈａｐｐｙ` is `happy`)."""

from __future__ import annotations

import unicodedata

# The longest label value (and alias) a spec may declare, in characters. Prometheus has no limit
# of its own, but the stores behind it do (Cortex, Mimir and Loki refuse values over 2048 by
# default, `label_value_length_limit` makes a scrape fail), and a value is shown whole in legends,
# alert titles and the generated module's tables. 128 is also the longest raw value the generated
# middleware keeps in its normalization cache (mongen/instrumentation_runtime.py), so every declared
# spelling is served from it. Real values are names (`meta-llama/Meta-Llama-3-8B-Instruct` is 33).
MAX_VALUE_LENGTH = 128
# How much of an over-long value a message quotes.
_QUOTED = 40

# Unicode's Default_Ignorable_Code_Point ranges that are not format characters (those are refused
# already): they render as nothing. Plus blank-looking symbols (U+2800 braille blank).
_INVISIBLE_RANGES = (
    (0x034F, 0x034F),  # combining grapheme joiner
    (0x115F, 0x1160),  # Hangul choseong/jungseong fillers
    (0x17B4, 0x17B5),  # Khmer inherent vowels
    (0x180B, 0x180F),  # Mongolian variation selectors
    (0x2800, 0x2800),  # braille pattern blank
    (0x3164, 0x3164),  # Hangul filler
    (0xFE00, 0xFE0F),  # variation selectors
    (0xFFA0, 0xFFA0),  # halfwidth Hangul filler
    (0x1D173, 0x1D17A),  # musical symbol formatting
    (0xE0100, 0xE01EF),  # variation selectors supplement
)


def invisible_character(value: str) -> str | None:
    """`U+XXXX (name)` of the first character that renders as nothing or blank, or None.
    Non-ASCII spaces count (U+00A0, U+3000), and so does a combining mark with nothing before it."""
    for i, char in enumerate(value):
        code = ord(char)
        category = unicodedata.category(char)
        blank = category == "Zs" and char != " "
        leading_mark = i == 0 and category.startswith("M")
        if blank or leading_mark or any(lo <= code <= hi for lo, hi in _INVISIBLE_RANGES):
            return f"U+{code:04X} ({unicodedata.name(char, 'unnamed character').lower()})"
    return None


def length_problem(value: str, what: str = "label value") -> str | None:
    """Why the value (or alias) is too long to be one, or None."""
    if len(value) <= MAX_VALUE_LENGTH:
        return None
    return (
        f"{what} {value[:_QUOTED]!a}... is {len(value)} characters long, over the {MAX_VALUE_LENGTH} "
        f"{'an' if what[0] in 'aeiou' else 'a'} {what} may have: shorten it"
    )


def value_problem(value: str) -> str | None:
    """Why the value cannot be a label value, or None."""
    invisible = invisible_character(value)
    if invisible:
        return (
            f"label value {value!a} contains {invisible}, which renders as nothing or blank, so it would "
            "look like another value (or like none) in dashboards and alerts; remove it"
        )
    composed = unicodedata.normalize("NFC", value)
    if composed != value:
        return (
            f"label value {value!a} is not in Unicode NFC form: it looks like `{composed}` but is "
            f"spelled with separate combining marks; write it composed ({composed!a})"
        )
    return None


def look_alike(values: tuple[str, ...], i: int) -> str | None:
    """The earlier value that values[i] equals once compatibility forms are folded (NFKC), or None."""
    folded = unicodedata.normalize("NFKC", values[i])
    return next((v for v in values[:i] if unicodedata.normalize("NFKC", v) == folded and v != values[i]), None)
