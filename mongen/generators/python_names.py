"""Python identifiers derived from spec names: valid, ASCII, collision-free, never shadowing.

Spec names and label values may be any printable text (`meta-llama/Meta-Llama-3-8B-Instruct`,
`llama-3-8b`, values that differ only in punctuation or case). Each kind of name has a
spelling (UPPER_SNAKE constants and enum members, CamelCase classes), and every name is claimed
in a Namespace that knows what is already taken there, so two spec names never become one
identifier and a derived name never hides an import, a builtin or a runtime name. Identifiers
are ASCII on purpose: Python folds non-ASCII identifiers with NFKC, which could merge two.
"""

from __future__ import annotations

import builtins
import keyword
import re
from collections.abc import Iterable

_NOT_ALNUM = re.compile(r"[^0-9A-Za-z]+")

# Names every module has, or that cannot be assigned (`__debug__`).
MODULE_DUNDERS = (
    "__all__",
    "__annotations__",
    "__builtins__",
    "__cached__",
    "__debug__",
    "__doc__",
    "__file__",
    "__loader__",
    "__name__",
    "__package__",
    "__path__",
    "__spec__",
)


class Namespace:
    """One scope's identifiers: `claim` returns a name nobody in the scope has yet."""

    def __init__(self, taken: Iterable[str] = ()) -> None:
        self._taken = {"__debug__", *taken}

    def reserve(self, names: Iterable[str]) -> None:
        self._taken.update(names)

    def __contains__(self, name: str) -> bool:
        return name in self._taken

    def claim(self, preferred: str) -> str:
        """`preferred` (a keyword gets PEP 8's trailing `_`), else the first free `preferred_N`."""
        base = preferred + "_" if keyword.iskeyword(preferred) else preferred
        if not (base.isascii() and base.isidentifier()):
            raise ValueError(f"not an ASCII Python identifier: {base!r}")
        name, number = base, 1
        while name in self._taken:
            number += 1
            name = f"{base}_{number}"
        self._taken.add(name)
        return name


def module_namespace(defined: Iterable[str]) -> Namespace:
    """A module scope where `defined` (imports, runtime names), builtins and dunders are taken."""
    return Namespace((*dir(builtins), *MODULE_DUNDERS, *defined))


def constant_name(text: str, prefix: str = "V_") -> str:
    """UPPER_SNAKE spelling of any text; `prefix` when it would start with a digit or be empty."""
    name = _NOT_ALNUM.sub("_", text).strip("_").upper() or "VALUE"
    return prefix + name if name[0].isdigit() else name


def class_name(text: str) -> str:
    """CamelCase spelling of any text (`emotion_kind` -> `EmotionKind`)."""
    name = "".join(part.capitalize() for part in _NOT_ALNUM.sub("_", text).split("_"))
    return "V" + name if not name or name[0].isdigit() else name


def parameter_name(text: str) -> str:
    """A label name as a keyword parameter: itself when it is an ASCII identifier (the spec's
    label names are), else its snake_case spelling."""
    if text.isascii() and text.isidentifier():
        return text
    name = _NOT_ALNUM.sub("_", text).strip("_").lower()
    return "label_" + name if not name or name[0].isdigit() else name
