"""YAML loading that remembers where every value came from."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml

from mongen.errors import Location, SourceMap, SpecError, SpecIssue, YamlPath

# libyaml's parser keeps node positions too and is ~10x faster on large rule files.
LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_STR = "tag:yaml.org,2002:str"
_INT = "tag:yaml.org,2002:int"

# A spec is a few hundred values nested less than ten levels deep. These limits only stop hostile
# files before they cost memory or recursion: a 12 KB "billion laughs" expands to millions of
# values (promtool refuses the same with "excessive aliasing"), and deep nesting exhausts the stack.
MAX_DEPTH = 64
MAX_ALIAS_VALUES = 10_000
# Digits of an integer the reader accepts; the spec checks allow at most 1e15 anyway.
_MAX_INT_DIGITS = 40


@dataclass
class LoadedDocument:
    """Plain Python data plus the source position of every node, keyed by YAML path."""

    file: str
    data: Any
    positions: dict[YamlPath, tuple[int, int]] = field(default_factory=dict)
    key_positions: dict[YamlPath, tuple[int, int]] = field(default_factory=dict)  # of each mapping key

    @property
    def source_map(self) -> SourceMap:
        """The positions alone (shared, not copied), for the model to keep."""
        return SourceMap(self.file, self.positions, self.key_positions)

    def locate(self, path: YamlPath) -> Location:
        """Position of the deepest node on `path` that exists (1-based line and column)."""
        return self.source_map.locate(path)

    def locate_key(self, path: YamlPath) -> Location:
        """Position of the key that ends `path`, else as `locate`."""
        return self.source_map.locate_key(path)

    def issue(self, path: YamlPath, message: str) -> SpecIssue:
        return SpecIssue(self.locate(path), tuple(path), message)


def yaml_error(exc: yaml.YAMLError, file: str, default: str = "invalid YAML", text: str = "") -> SpecError:
    """A PyYAML error as a SpecError at the position it marks (or the top of the file). A reader
    error (a character YAML does not allow) marks a character index in `text`, when given."""
    if isinstance(exc, yaml.MarkedYAMLError):
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        return SpecError(
            [SpecIssue(Location(file, line, col), (), f"invalid YAML: {exc.problem or exc.context or default}")]
        )
    line, col = 1, 1
    position = getattr(exc, "position", None)
    if isinstance(exc, yaml.reader.ReaderError) and isinstance(position, int) and position <= len(text):
        line = text.count("\n", 0, position) + 1
        col = position - text.rfind("\n", 0, position)
    # The first line only: PyYAML appends `in "<unicode string>", position N` on a second one.
    reason = str(exc).splitlines()[0] if str(exc) else exc.__class__.__name__
    return SpecError([SpecIssue(Location(file, line, col), (), f"invalid YAML: {reason}")])


@dataclass
class _OpenCollection:
    anchor: str | None
    values: int = 1
    inner_depth: int = 0  # collection levels below this one, aliases expanded


def _refuse(mark: Any, file: str, message: str) -> SpecError:
    """A SpecError at an event's start mark (libyaml's and PyYAML's marks have the same fields)."""
    line, col = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
    return SpecError([SpecIssue(Location(file, line, col), (), message)])


def check_structure(text: str, file: str, max_alias_values: int = MAX_ALIAS_VALUES) -> None:
    """Refuses deep nesting, recursive aliases and alias bombs from libyaml's event stream, before
    a single node is built: each anchor's size and depth are known when an alias names it."""
    stack: list[_OpenCollection] = []
    anchored: dict[str, tuple[int, int]] = {}  # anchor -> (values, collection depth)
    alias_values = 0
    for event in yaml.parse(text, Loader=LOADER):
        if isinstance(event, yaml.CollectionStartEvent):
            if len(stack) >= MAX_DEPTH:
                raise _refuse(
                    event.start_mark, file, f"values nest deeper than {MAX_DEPTH} levels; a spec needs fewer than ten"
                )
            stack.append(_OpenCollection(event.anchor))
        elif isinstance(event, yaml.CollectionEndEvent):
            done = stack.pop()
            _add(stack, anchored, done.anchor, done.values, done.inner_depth + 1)
        elif isinstance(event, yaml.ScalarEvent):
            _add(stack, anchored, event.anchor, 1, 0)
        elif isinstance(event, yaml.AliasEvent) and event.anchor is not None:
            if any(open_.anchor == event.anchor for open_ in stack):
                raise _refuse(
                    event.start_mark,
                    file,
                    f"alias `*{event.anchor}` is inside its own anchor, so its value would be infinite",
                )
            values, depth = anchored.get(event.anchor, (1, 0))  # an undefined alias fails when composing
            alias_values += values
            if alias_values > max_alias_values:
                raise _refuse(
                    event.start_mark,
                    file,
                    f"the aliases expand to more than {max_alias_values} values (excessive aliasing); "
                    "write the values out instead of nesting aliases",
                )
            if len(stack) + depth > MAX_DEPTH:
                raise _refuse(
                    event.start_mark, file, f"alias `*{event.anchor}` nests values deeper than {MAX_DEPTH} levels"
                )
            _add(stack, {}, None, values, depth)


def _add(
    stack: list[_OpenCollection], anchored: dict[str, tuple[int, int]], anchor: str | None, values: int, depth: int
) -> None:
    if anchor is not None:
        anchored[anchor] = (values, depth)
    if stack:
        stack[-1].values += values
        stack[-1].inner_depth = max(stack[-1].inner_depth, depth)


def compose_yaml(text: str, file: str) -> yaml.Node | None:
    """The node tree of one YAML document (with positions); YAML errors become SpecError."""
    try:
        check_structure(text, file)
        loader = LOADER(text)
    except yaml.YAMLError as exc:
        # The reader rejects non-printable characters while reading the stream.
        raise yaml_error(exc, file, text=text) from None
    try:
        node: yaml.Node | None = loader.get_single_node()
        return node
    except yaml.YAMLError as exc:
        raise yaml_error(exc, file) from None
    finally:
        loader.dispose()


def load_yaml(text: str, file: str) -> LoadedDocument:
    """Parse one YAML document, rejecting duplicate keys and non-string keys."""
    doc = LoadedDocument(file=file, data=None)
    node = compose_yaml(text, file)
    if node is None:
        raise SpecError([SpecIssue(Location(file, 1, 1), (), "the spec is empty")])
    constructor = LOADER("")
    try:
        doc.data = _convert(constructor, node, (), doc)
    except yaml.MarkedYAMLError as exc:
        raise yaml_error(exc, file, "invalid value") from None
    finally:
        constructor.dispose()
    return doc


def _convert(loader: yaml.SafeLoader, node: yaml.Node, path: YamlPath, doc: LoadedDocument) -> Any:
    doc.positions[path] = (node.start_mark.line, node.start_mark.column)
    if isinstance(node, yaml.MappingNode):
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                raise SpecError([doc.issue(path, "YAML merge keys (<<) are not supported")])
            key = _scalar(loader, key_node, path, doc)
            if not isinstance(key, str):
                key_path = (*path, str(key))
                doc.positions[key_path] = (key_node.start_mark.line, key_node.start_mark.column)
                raise SpecError([doc.issue(key_path, f"keys must be strings, got {key!r}")])
            key_path = (*path, key)
            if key in result:
                doc.positions[key_path] = (key_node.start_mark.line, key_node.start_mark.column)
                raise SpecError([doc.issue(key_path, f"duplicate key `{key}`")])
            doc.key_positions[key_path] = (key_node.start_mark.line, key_node.start_mark.column)
            result[key] = _convert(loader, value_node, key_path, doc)
        return result
    if isinstance(node, yaml.SequenceNode):
        return [_convert(loader, item, (*path, i), doc) for i, item in enumerate(node.value)]
    return _scalar(loader, node, path, doc)


def _scalar(loader: yaml.SafeLoader, node: yaml.Node, path: YamlPath, doc: LoadedDocument) -> Any:
    if node.tag == _STR:
        return node.value  # the common case, without the constructor's overhead
    if node.tag == _INT and len(node.value) > _MAX_INT_DIGITS:
        raise SpecError([doc.issue(path, f"this integer has more than {_MAX_INT_DIGITS} digits")])
    try:
        value = loader.construct_object(node, deep=True)
    except (ValueError, OverflowError) as exc:  # e.g. a timestamp with month 13
        raise SpecError([doc.issue(path, f"cannot read this value: {exc}")]) from None
    if node.tag == _INT and str(value) != node.value:
        raise SpecError([doc.issue(path, _yaml11_integer(node.value, value))])
    return value


def _yaml11_integer(text: str, value: int) -> str:
    """YAML 1.1 (PyYAML's) reads `010` as 8, `1:30` as 90, `0x1F`, `1_000`, `+200` as numbers;
    YAML 1.2 reads some of them as text or another number, and a label value `010` meant the text."""
    if ":" in text:
        how = "base 60, YAML 1.1's sexagesimal; YAML 1.2 reads it as text"
    elif text.lstrip("+-").startswith(("0x", "0b")):
        how = "hexadecimal" if "x" in text else "binary"
    elif "_" in text:
        how = "YAML 1.1 ignores `_` in numbers; YAML 1.2 reads it as text"
    elif text.lstrip("+-").startswith("0") and len(text.lstrip("+-")) > 1:
        how = "octal in YAML 1.1; YAML 1.2 reads it as decimal"
    else:
        how = "its sign or form is dropped"
    return f'`{text}` is ambiguous: YAML reads it as the number {value} ({how}); quote it ("{text}") if it is text, or write {value}'
