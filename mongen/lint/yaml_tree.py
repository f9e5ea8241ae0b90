"""A rule file's YAML as lint needs it: strings, lists and string-keyed mappings with their
positions, built straight from libyaml's event stream, with anchors, aliases and merge keys
resolved the way Prometheus (go-yaml) resolves them.

Rule files can hold 10,000s of rules; composing PyYAML nodes (with tag resolution of every scalar)
costs 5x more than this. An alias is the anchored node itself, not a copy, so hostile aliasing is
refused before this runs (mongen.spec.loader.check_structure, the check specs get too).
"""

from __future__ import annotations

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

    __slots__ = ("key", "mapping", "merges", "node")

    def __init__(self, node: YamlNode) -> None:
        self.node = node
        self.mapping = isinstance(node.value, dict)
        self.key: object = _NO_KEY
        self.merges: list[YamlNode] = []

    @staticmethod
    def key_of(node: YamlNode) -> object:
        """What a key node makes the pending key: its text, the merge key, or a key that is not a string."""
        if not isinstance(node.value, str):
            return _SKIP
        return _MERGE if node.value == _MERGE_KEY and node.style == "" else node.value


_SCALAR, _ALIAS = yaml.ScalarEvent, yaml.AliasEvent
_MAPPING_START, _MAPPING_END = yaml.MappingStartEvent, yaml.MappingEndEvent
_SEQUENCE_START, _SEQUENCE_END = yaml.SequenceStartEvent, yaml.SequenceEndEvent
_DOCUMENT_START = yaml.DocumentStartEvent


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
        return _tree(text, file)
    except yaml.YAMLError as exc:
        raise yaml_error(exc, file, text=text) from None


def _tree(text: str, file: str) -> FirstDocument:
    """One pass over libyaml's events (read straight from the loader: this loop is most of lint's
    YAML time, so a mapping's keys are read off their events without building nodes for them)."""
    root: YamlNode | None = None
    stack: list[_Frame] = []
    frame: _Frame | None = None  # stack[-1]
    anchors: dict[str, YamlNode] = {}
    documents = 0
    loader = LOADER(text)
    try:
        for event in iter(loader.get_event, None):
            kind = type(event)
            if kind is _SCALAR:
                # A plain key of the open mapping (an anchored one becomes a node, for its aliases).
                if frame is not None and frame.key is _NO_KEY and frame.mapping and not event.anchor:
                    key = event.value
                    frame.key = _MERGE if key == _MERGE_KEY and not event.style else key
                    continue
                mark = event.start_mark
                node = YamlNode(event.value, mark.line, mark.column, event.style or "")
                if event.anchor:
                    anchors[event.anchor] = node
            elif kind is _MAPPING_START or kind is _SEQUENCE_START:
                mark = event.start_mark
                value: dict[str, YamlNode] | list[YamlNode] = {} if kind is _MAPPING_START else []
                node = YamlNode(value, mark.line, mark.column, "")
                if event.anchor:
                    anchors[event.anchor] = node
                frame = _Frame(node)
                stack.append(frame)
                continue
            elif kind is _MAPPING_END or kind is _SEQUENCE_END:
                done = stack.pop()
                frame = stack[-1] if stack else None
                if done.merges:
                    _merge(done.node, done.merges, file)
                node = done.node
            elif kind is _ALIAS:
                if event.anchor not in anchors:
                    raise _error(file, event.start_mark, f"undefined alias {event.anchor!r}")
                node = anchors[event.anchor]
            elif kind is _DOCUMENT_START:
                documents += 1
                if documents > 1:
                    return FirstDocument(root, event.start_mark.line + 1)
                continue
            else:
                continue
            # Attach `node` to the open collection (or make it the root).
            if frame is None:
                root = node
            elif not frame.mapping:
                frame.node.value.append(node)  # type: ignore[union-attr]
            elif frame.key is _NO_KEY:
                frame.key = frame.key_of(node)
            else:
                if frame.key is _MERGE:
                    frame.merges.append(node)
                elif frame.key is not _SKIP:
                    frame.node.value[frame.key] = node  # type: ignore[index,call-overload]  # a str key of a mapping frame
                frame.key = _NO_KEY
    finally:
        loader.dispose()
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
