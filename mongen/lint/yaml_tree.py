"""A rule file's YAML as lint needs it: strings, lists and string-keyed mappings with their
positions, built straight from libyaml's event stream, with anchors, aliases and merge keys
resolved the way Prometheus (go-yaml) resolves them.

Rule files can hold 10,000s of rules; composing PyYAML nodes (with tag resolution of every scalar)
costs 5x more than this. An alias is the anchored node itself, not a copy, so hostile aliasing is
refused before this runs (mongen.spec.loader.check_structure, the check specs get too).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import yaml

from mongen.errors import Location, SpecError, SpecIssue
from mongen.spec.loader import LOADER, check_structure, yaml_error
from mongen.spec.loader import MAX_ALIAS_VALUES as _SPEC_ALIAS_VALUES

_MERGE_KEY = "<<"


class YamlNode:
    """A string, list or string-keyed dict, and where it starts. `merged` names the keys of a
    mapping that came from a merge key (`<<: *defaults`) rather than from the mapping itself."""

    __slots__ = ("col", "line", "merged", "style", "value")

    def __init__(self, value: str | list[YamlNode] | dict[str, YamlNode], line: int, col: int, style: str) -> None:
        self.value = value
        self.line = line  # 0-based, as libyaml reports them
        self.col = col
        self.style = style  # "" plain, a quote, "|" or ">"
        self.merged: frozenset[str] = frozenset()

    def get(self, key: str) -> YamlNode | None:
        return self.value.get(key) if isinstance(self.value, dict) else None

    @property
    def text(self) -> str:
        return self.value if isinstance(self.value, str) else ""

    @property
    def items(self) -> list[YamlNode]:
        return self.value if isinstance(self.value, list) else []

    def strings(self) -> dict[str, str]:
        return {k: v.text for k, v in self.value.items()} if isinstance(self.value, dict) else {}


_NO_KEY = object()  # a mapping frame waiting for its next key
_SKIP = object()  # a mapping frame whose current key is not a string (the value is dropped)
_MERGE = object()  # a mapping frame whose current key is the merge key


class _Frame:
    """An open collection, with a mapping's pending key and the merge sources seen in it."""

    __slots__ = ("key", "merges", "node")

    def __init__(self, node: YamlNode) -> None:
        self.node = node
        self.key: object = _NO_KEY
        self.merges: list[YamlNode] = []


class RefusedYaml(SpecError):
    """YAML refused for its structure (excessive aliasing, recursive aliases, deep nesting) before
    it is built: a hostile file rather than a mistake."""


@dataclass(frozen=True)
class FirstDocument:
    root: YamlNode | None  # None: the document is empty (or comments only)
    # The (1-based) line where a second document starts: Prometheus and promtool (go-yaml's
    # Unmarshal) read the first document of a rule file and never look further, so neither does
    # lint; the rest is not even parsed.
    ignored_from: int | None


def read_yaml(text: str, file: str) -> FirstDocument:
    """The tree of the first document in `text`; raises SpecError at the position of what cannot
    be read: invalid YAML, and RefusedYaml."""
    try:
        if "&" in text:  # no anchor, no alias: nothing to expand
            # Rule files merge defaults into every rule, so the budget grows with the file: a
            # value per byte is far more than merge keys reach, and far less than an alias bomb.
            try:
                check_structure(text, file, max(_SPEC_ALIAS_VALUES, len(text)))
            except SpecError as exc:
                raise RefusedYaml(exc.issues) from None
        return _tree(yaml.parse(text, Loader=LOADER), file)
    except yaml.YAMLError as exc:
        raise yaml_error(exc, file, text=text) from None


def _tree(events: Iterable[Any], file: str) -> FirstDocument:
    root: YamlNode | None = None
    stack: list[_Frame] = []
    anchors: dict[str, YamlNode] = {}

    def attach(node: YamlNode) -> None:
        nonlocal root
        if not stack:
            root = node
            return
        frame = stack[-1]
        parent = frame.node.value
        if isinstance(parent, list):
            parent.append(node)
        elif frame.key is _NO_KEY:
            if not isinstance(node.value, str):
                frame.key = _SKIP
            elif node.value == _MERGE_KEY and node.style == "":
                frame.key = _MERGE
            else:
                frame.key = node.value
        else:
            if frame.key is _MERGE:
                frame.merges.append(node)
            elif isinstance(frame.key, str) and isinstance(parent, dict):
                parent[frame.key] = node
            frame.key = _NO_KEY

    documents = 0
    for event in events:
        kind = type(event)
        if kind is yaml.ScalarEvent:
            mark = event.start_mark
            node = YamlNode(event.value, mark.line, mark.column, event.style or "")
            if event.anchor:
                anchors[event.anchor] = node
            attach(node)
        elif kind is yaml.MappingStartEvent or kind is yaml.SequenceStartEvent:
            mark = event.start_mark
            value: dict[str, YamlNode] | list[YamlNode] = {} if kind is yaml.MappingStartEvent else []
            node = YamlNode(value, mark.line, mark.column, "")
            if event.anchor:
                anchors[event.anchor] = node
            stack.append(_Frame(node))
        elif kind is yaml.MappingEndEvent or kind is yaml.SequenceEndEvent:
            frame = stack.pop()
            if frame.merges:
                _merge(frame.node, frame.merges, file)
            attach(frame.node)
        elif kind is yaml.AliasEvent:
            if event.anchor not in anchors:
                raise _error(file, event.start_mark, f"undefined alias {event.anchor!r}")
            attach(anchors[event.anchor])
        elif kind is yaml.DocumentStartEvent:
            documents += 1
            if documents > 1:
                return FirstDocument(root, event.start_mark.line + 1)
    return FirstDocument(root, None)


def _merge(mapping: YamlNode, sources: list[YamlNode], file: str) -> None:
    """YAML's merge key as go-yaml applies it: the mapping's own keys win, then each source in
    order (a list of mappings: the earlier wins)."""
    own = mapping.value
    assert isinstance(own, dict)
    merged: set[str] = set()
    for source in sources:
        for part in source.value if isinstance(source.value, list) else [source]:
            if not isinstance(part.value, dict):
                raise _error_at(file, part, "a merge key (`<<`) takes a mapping or a list of mappings")
            for key, value in part.value.items():
                if key not in own:
                    own[key] = value
                    merged.add(key)
    mapping.merged = frozenset(merged)


def _error(file: str, mark: Any, message: str, column: bool = True) -> SpecError:
    return SpecError([SpecIssue(Location(file, mark.line + 1, mark.column + 1 if column else 1), (), message)])


def _error_at(file: str, node: YamlNode, message: str) -> SpecError:
    return SpecError([SpecIssue(Location(file, node.line + 1, node.col + 1), (), message)])
