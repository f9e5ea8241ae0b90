"""What an alert's label and annotation templates read of the alert: which of its labels, and
whether its value. Templates are Go's text/template, not PromQL, so they are scanned here.

Prometheus expands them with the alert's series as data: `$labels` and `$value` are variables
bound to its labels and value, and `.Labels` / `.Value` are fields of the data, which is `.` at the
top and `$` everywhere. Inside `{{ range … }}` and `{{ with … }}` the dot is something else (a
sample of a `query`, say), so `.Labels.x` there says nothing about the alert.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache

# Actions that open a block, and whether their body rebinds the dot.
_OPENERS = {"range": True, "with": True, "if": False, "define": True, "block": True}
_PUNCTUATION = "()|,="


@dataclass(frozen=True)
class TemplateReads:
    labels: tuple[tuple[str, str], ...]  # each reference as written (`$labels.job`) and the label it reads
    value: tuple[str, ...]  # references to the alert's value, as written


_NOTHING = TemplateReads((), ())


# Rule files repeat a few annotation texts many times over.
@lru_cache(maxsize=4096)
def template_reads(text: str) -> TemplateReads:
    """Every reference in `text` to the alert's labels or value."""
    if "{{" not in text:
        return _NOTHING
    labels: list[tuple[str, str]] = []
    value: list[str] = []
    blocks: list[bool] = []  # per open block: whether the dot is rebound inside it now
    for action in _actions(text):
        tokens = list(_tokens(action))
        if not tokens:
            continue
        first = tokens[0][0]
        if first in _OPENERS:
            blocks.append(_OPENERS[first])
        elif first == "else" and blocks:
            # `else` of a range/with runs with the outer dot; `else with` rebinds it again.
            blocks[-1] = len(tokens) > 1 and tokens[1][0] in ("with", "range")
        elif first == "end" and blocks:
            blocks.pop()
        _reads(tokens, not any(blocks), labels, value)
    return TemplateReads(tuple(labels), tuple(value))


def _reads(tokens: list[tuple[str, bool]], dot_is_alert: bool, labels: list[tuple[str, str]], value: list[str]) -> None:
    for i, (word, chained) in enumerate(tokens):
        if chained:
            continue  # `(query "x" | first).Labels.y`: a field of something else
        labels_field = _labels_field(word, dot_is_alert)
        if labels_field is not None:
            labels.append((word, labels_field))
        elif word in ("$value", "$.Value") or (word == ".Value" and dot_is_alert):
            value.append(word)
        elif word == "index" and i + 2 < len(tokens) and _is_labels(tokens[i + 1][0], dot_is_alert):
            key = tokens[i + 2][0]
            if key[:1] in '"`' and len(key) >= 2:
                labels.append((f"index {tokens[i + 1][0]} {key}", key[1:-1]))


def _labels_field(word: str, dot_is_alert: bool) -> str | None:
    """`x` of `$labels.x`, `$.Labels.x` or (with the alert as dot) `.Labels.x`."""
    for prefix in ("$labels.", "$.Labels.", ".Labels."):
        if word.startswith(prefix) and (prefix != ".Labels." or dot_is_alert):
            name = word[len(prefix) :].split(".", 1)[0]
            return name or None
    return None


def _is_labels(word: str, dot_is_alert: bool) -> bool:
    return word in ("$labels", "$.Labels") or (word == ".Labels" and dot_is_alert)


def _actions(text: str) -> Iterator[str]:
    """The inside of every `{{ … }}` action (string literals may hold `}}`), trim markers and
    comments removed."""
    i = 0
    while (start := text.find("{{", i)) >= 0:
        j = start + 2
        while j < len(text) and not text.startswith("}}", j):
            j = _literal_end(text, j) + 1 if text[j] in "\"`'" else j + 1
        action = text[start + 2 : j].strip()
        action = action.removeprefix("- ").removesuffix(" -").strip()
        if not action.startswith("/*"):
            yield action
        i = j + 2


def _tokens(action: str) -> Iterator[tuple[str, bool]]:
    """Words and string literals of an action; `chained`: the word follows a `)` directly."""
    i, end = 0, len(action)
    while i < end:
        c = action[i]
        if c.isspace() or c in _PUNCTUATION:
            i += 1
        elif c in "\"`'":
            close = _literal_end(action, i)
            yield action[i : close + 1], False
            i = close + 1
        else:
            start = i
            while i < end and not action[i].isspace() and action[i] not in _PUNCTUATION and action[i] not in "\"`'":
                i += 1
            yield action[start:i], start > 0 and action[start - 1] == ")"


def _literal_end(text: str, start: int) -> int:
    """Index of the quote closing the literal opening at `start` (raw strings have no escapes)."""
    quote, i = text[start], start + 1
    while i < len(text) and text[i] != quote:
        i += 2 if text[i] == "\\" and quote != "`" else 1
    return min(i, len(text) - 1)
