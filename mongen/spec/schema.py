"""The spec's JSON Schema and the first check of a document against it.

Two rules of JSON Schema as Python's jsonschema applies them are too loose for values that end up
in configuration files, so the validator used here changes them in one place instead of in every
pattern of the schema:

- `pattern` is a search, and `$` matches before a final newline: `"9093\\n"` matches
  `^[0-9]+$`. Patterns here must match the whole string (`re.fullmatch`). Every pattern in the
  schema is written `^...$`, so editors, which follow ECMA-262 where `$` is the true end, agree.
- `integer` accepts 8001.0, which would be written `8001.0` into an nginx `listen`. Here an
  integer is an int (and never a bool).
"""

from __future__ import annotations

import copy
import difflib
import json
import re
from collections.abc import Iterator
from functools import cache
from importlib import resources
from typing import Any

import jsonschema
from jsonschema.protocols import Validator

from mongen.errors import SpecIssue, YamlPath
from mongen.presets import PRESETS
from mongen.rules import alert_kinds
from mongen.spec.loader import LoadedDocument
from mongen.spec.receivers import receiver_fields
from mongen.spec.scalars import scalar_issues, text_problem


@cache
def spec_schema() -> dict[str, Any]:
    text = resources.files("mongen.schema").joinpath("spec.schema.json").read_text("utf-8")
    schema: dict[str, Any] = json.loads(text)
    # The alert kinds are whatever the registry holds; the file leaves the enum to it, and holds
    # only the fields every alert has: each kind adds its own.
    alert = schema["properties"]["alerts"]["items"]["properties"]
    alert["kind"]["enum"] = [k.name for k in alert_kinds.KINDS if k.spec_kind]
    alert.update(alert_kind_fields())
    # So are the exporter presets (mongen.presets).
    exporter = schema["properties"]["scrape"]["properties"]["exporters"]["items"]["properties"]["exporter"]
    exporter["enum"] = list(PRESETS)
    return schema


def alert_kind_fields() -> dict[str, Any]:
    """The schema of every field a spec's alert kinds read besides the common ones, from the kinds
    (`AlertKind.fields`). Kinds that read one field read it alike (a `threshold` is a number for
    each), so one alert object describes them all; which kind may set which field is checked
    after the schema, with the kind's name in the message (mongen.spec.alerts)."""
    fields: dict[str, Any] = {}
    owner: dict[str, str] = {}
    for kind in alert_kinds.KINDS:
        for name, fragment in kind.fields.items():
            if name in alert_kinds.COMMON_FIELDS:
                raise ValueError(f"alert kind `{kind.name}` redefines the common field `{name}`")
            if name in fields and fields[name] != fragment:
                raise ValueError(
                    f"alert kinds `{owner[name]}` and `{kind.name}` define the field `{name}` differently; "
                    "give one of them another name"
                )
            fields.setdefault(name, copy.deepcopy(fragment))
            owner.setdefault(name, kind.name)
    return fields


def _whole_string_pattern(
    validator: Validator, pattern: str, instance: Any, schema: dict[str, Any]
) -> Iterator[jsonschema.ValidationError]:
    if isinstance(instance, str) and not _compiled(pattern).fullmatch(instance):
        yield jsonschema.ValidationError(f"{instance!r} does not match {pattern!r}")


@cache
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


def _is_integer(checker: object, instance: object) -> bool:
    return isinstance(instance, int) and not isinstance(instance, bool)


_BASE = jsonschema.Draft202012Validator
SpecValidator = jsonschema.validators.extend(  # type: ignore[no-untyped-call]  # untyped in types-jsonschema
    _BASE,
    validators={"pattern": _whole_string_pattern},
    type_checker=_BASE.TYPE_CHECKER.redefine("integer", _is_integer),
)


@cache
def _validator() -> Validator:
    validator: Validator = SpecValidator(spec_schema())
    return validator


def schema_issues(doc: LoadedDocument) -> list[SpecIssue]:
    """Refused characters and numbers anywhere, then what the schema says about the rest. A value
    (or key) reported by the first check is not reported again by the schema."""
    issues = scalar_issues(doc)
    reported = {issue.path for issue in issues}
    errors = list(_validator().iter_errors(doc.data))
    # A required key that an unknown key most likely misspells (`fallbak`) is reported once, as
    # the unknown key with its suggestion.
    meant = {
        (tuple(error.absolute_path), guess)
        for error in errors
        for key in unknown_keys(error)
        for guess in _closest(key, unknown_allowed(error))
    }
    for error in errors:
        path: YamlPath = tuple(error.absolute_path)
        if any(path[: len(done)] == done for done in reported):
            continue
        if isinstance(error.instance, str) and text_problem(error.instance):  # a key, under `propertyNames`
            continue
        unknown = unknown_keys(error)
        if unknown:
            issues += [_unknown_key_issue(doc, path, key, unknown_allowed(error)) for key in unknown]
            continue
        if error.validator == "required" and (path, required_key(error)) in meant:
            continue
        if error.validator == "oneOf" and any((path, key) in meant for key in _form_keys(error)):
            continue  # `enm` for a label's `enum`: the unknown key with its suggestion says it
        misspelt = _misspelt_in_forms(doc, error)
        if misspelt:
            issues += misspelt
            continue
        issues.append(doc.issue(path, schema_message(error)))
    return sorted(issues, key=lambda i: (i.location.line, i.location.col, i.message))


def _form_keys(error: jsonschema.ValidationError) -> set[str]:
    """The keys the alternative forms of a `oneOf` error require."""
    forms = error.validator_value if isinstance(error.validator_value, list) else []
    return {key for form in forms if isinstance(form, dict) for key in form.get("required", ())}


def _misspelt_in_forms(doc: LoadedDocument, error: jsonschema.ValidationError) -> list[SpecIssue]:
    """For a mapping no alternative form of a `oneOf` takes, because a key of it is unknown to the
    forms and most likely misspells a key one of them allows (`severty` in an SLO tier's alert
    settings): that key, with its suggestion and the keys of that form, instead of the forms."""
    if error.validator != "oneOf" or not isinstance(error.instance, dict):
        return []
    path: YamlPath = tuple(error.absolute_path)
    found: dict[str, SpecIssue] = {}
    for sub in error.context or ():
        if tuple(sub.absolute_path) != path:
            continue
        allowed = unknown_allowed(sub)
        for key in unknown_keys(sub):
            if key not in found and _closest(key, allowed):
                found[key] = _unknown_key_issue(doc, path, key, allowed)
    return list(found.values())


def unknown_keys(error: jsonschema.ValidationError) -> list[str]:
    """The keys an `additionalProperties: false` error is about (none for another error)."""
    if error.validator != "additionalProperties" or error.validator_value is not False:
        return []
    if not isinstance(error.instance, dict) or not isinstance(error.schema, dict):
        return []
    allowed = error.schema.get("properties", {})
    patterns = [_compiled(p) for p in error.schema.get("patternProperties", {})]
    return [k for k in error.instance if k not in allowed and not any(p.search(str(k)) for p in patterns)]


def unknown_allowed(error: jsonschema.ValidationError) -> list[str]:
    """The keys the object of an unknown-key error may hold: those of its schema, narrowed to the
    fields its type reads for an alert (its `kind`) or a receiver (its `type`), whose one schema
    holds every type's fields (so no other type's field is suggested, nor an inline secret)."""
    allowed = set(error.schema.get("properties", {})) if isinstance(error.schema, dict) else set()
    typed = _typed_fields(tuple(error.absolute_path), error.instance)
    return sorted(allowed & typed if typed is not None else allowed)


def _typed_fields(path: YamlPath, instance: object) -> set[str] | None:
    """The keys an alert or receiver of a known kind or type may hold; None for another object."""
    if not isinstance(instance, dict):
        return None
    if len(path) == 2 and path[0] == "alerts":
        kind = instance.get("kind")
        found = alert_kinds.BY_NAME.get(kind) if isinstance(kind, str) else None
        return set(alert_kinds.COMMON_FIELDS) | set(found.fields) if found is not None and found.spec_kind else None
    if len(path) == 3 and path[:2] == ("routing", "receivers"):
        kind = instance.get("type")
        fields = receiver_fields(kind) if isinstance(kind, str) else None
        return {"name", "type", *fields} if fields is not None else None
    return None


def required_key(error: jsonschema.ValidationError) -> str | None:
    """The key a `required` error misses (jsonschema raises one error per missing key)."""
    keys = error.validator_value if isinstance(error.validator_value, list) else []
    return next((k for k in keys if error.message == f"{k!r} is a required property"), None)


def _closest(key: str, allowed: list[str]) -> list[str]:
    """The allowed key `key` most likely misspells, as a list of at most one."""
    return difflib.get_close_matches(key, allowed, n=1) if len(key) <= QUOTED_VALUE_LIMIT else []


def _unknown_key_issue(doc: LoadedDocument, parent: YamlPath, key: str, allowed: list[str]) -> SpecIssue:
    """An unknown key, at the key itself, with the allowed key it most likely means. A key too
    long to show in a path is reported under its parent (still at its own position)."""
    guess = _closest(key, allowed)
    hint = f"did you mean `{guess[0]}`? " if guess else ""
    shown = f"`{key}`" if len(key) <= QUOTED_VALUE_LIMIT and key.isprintable() else bounded_repr(key)
    message = f"unknown key {shown}; {hint}allowed keys: {', '.join(allowed)}"
    path = (*parent, key) if len(key) <= QUOTED_VALUE_LIMIT else parent
    return SpecIssue(doc.locate_key((*parent, key)), path, message)


def schema_message(error: jsonschema.ValidationError) -> str:
    """jsonschema's message, with what to write instead where its own says too little, and with
    the values it quotes cut short (see `_bounded`)."""
    hint = error.schema.get("x-hint") if isinstance(error.schema, dict) else None
    if hint in _HINTS:
        worded = _HINTS[hint](error)
        if worded is not None:
            return worded
    if error.validator == "oneOf" and isinstance(error.instance, dict):
        keys = bounded_repr(sorted(error.instance))
        forms = [
            " and ".join(f"`{key}`" for key in alternative.get("required", ()))
            for alternative in (error.validator_value if isinstance(error.validator_value, list) else [])
            if isinstance(alternative, dict) and alternative.get("required")
        ]
        wanted = f"; give {' or '.join(forms)}" if forms else ""
        return f"expected exactly one of the alternative forms (see `mongen schema`): {keys}{wanted}"
    if error.validator == "pattern":
        worded = _name_pattern_message(error)
        if worded is not None:
            return worded
        return f"{bounded_repr(error.instance)} does not match the required pattern {error.validator_value}"
    if error.validator == "enum":
        worded = _enum_case_message(error)
        if worded is not None:
            return worded
    if error.validator == "const" and tuple(error.absolute_path) == ("version",):
        return (
            f"{bounded_repr(error.instance)} is not a spec version mongen reads: "
            f"declare `version: {error.validator_value}`"
        )
    if error.validator == "type":
        types = error.validator_value if isinstance(error.validator_value, list) else [error.validator_value]
        wanted = " or ".join(_TYPE_WORDS.get(str(t), str(t)) for t in types)
        quote = types == ["string"] and isinstance(error.instance, (bool, int, float))
        return f"{bounded_repr(error.instance)} is not {wanted}" + (
            "; quote it if it is meant as text" if quote else ""
        )
    return _bounded(error.message, error.instance)


# What a YAML author writes for each JSON Schema type.
_TYPE_WORDS = {
    "string": "text",
    "number": "a number",
    "integer": "a whole number",
    "boolean": "true or false",
    "array": "a list (`[a, b]`, or one `- item` per line)",
    "object": "a mapping (`key: value` lines)",
    "null": "empty",
}


# Values people get wrong in a known way. The schema marks the value with `"x-hint": NAME` (JSON
# Schema ignores unknown keywords); the message says what is expected and the likely fix.
_HOST_PORT = re.compile(r"[A-Za-z0-9.-]+:[0-9]{1,5}")


def _field(error: jsonschema.ValidationError) -> str:
    names = [p for p in error.absolute_path if isinstance(p, str)]
    return names[-1] if names else "the value"


def _host_port_message(error: jsonschema.ValidationError) -> str:
    text = str(error.instance)
    bare = re.sub(r"^[A-Za-z][A-Za-z0-9+.-]*://", "", text).split("/", 1)[0]
    guess = f": {bare}?" if bare != text and _HOST_PORT.fullmatch(bare) else " such as 10.0.0.1:8001"
    return f"{bounded_repr(error.instance)} is not a target: expected host:port without a scheme{guess}"


def _fraction_message(error: jsonschema.ValidationError) -> str | None:
    value = error.instance
    if error.validator not in ("maximum", "exclusiveMaximum") or not isinstance(value, (int, float)):
        return None
    guess = f"{value / 100:g}?" if value < 100 else "0.95 for the 95th percentile"
    return f"{_field(error)} is a fraction between 0 and 1, not a percent: {guess}"


def _lower_case_message(error: jsonschema.ValidationError) -> str | None:
    value = error.instance
    if (
        error.validator != "pattern"
        or not isinstance(value, str)
        or not _compiled(error.validator_value).fullmatch(value.lower())
    ):
        return None
    return f"{_field(error)} is lower case: {value.lower()}?"


def _label_form_message(error: jsonschema.ValidationError) -> str | None:
    if error.validator != "oneOf" or not isinstance(error.instance, dict):
        return None
    has = sorted(k for k in ("enum", "values", "fallback") if k in error.instance)
    if "enum" in has and len(has) > 1:
        return "a label needs `enum`, or `values` and `fallback`, not both: keep one form"
    missing = "`fallback` (the value any other value becomes, e.g. other)" if "values" in has else "`values`"
    return f"a label needs `enum`, or `values` and `fallback`: add {missing}"


def _duration_message(error: jsonschema.ValidationError) -> str | None:
    value = error.instance
    if error.validator == "type" and isinstance(value, int) and not isinstance(value, bool):
        return f"{_field(error)} is a duration written with its unit: {value}s?"
    if error.validator != "pattern" or not isinstance(value, str):
        return None
    return (
        f"{bounded_repr(value)} is not a duration: write whole numbers with a unit"
        " (s, m, h, d, w, y), e.g. 30s, 5m or 1h30m"
    )


# A pattern that only says which characters a name holds: `^[FIRST][REST]*$` (or `{0,N}`, `+`,
# `{1,N}`), or `^[REST]+$`; a message can say that in words and suggest the name with the
# characters it may not hold replaced.
_NAME_PATTERN = re.compile(r"\^(?:\[([^\]^]+)\])?\[([^\]^]+)\](\*|\+|\{[01],(\d+)\})\$")
_RANGE_WORDS = {"a-z": "lower-case letters", "A-Z": "upper-case letters", "0-9": "digits"}
_ONE_WORDS = {
    "lower-case letters": "a lower-case letter",
    "upper-case letters": "an upper-case letter",
    "letters": "a letter",
    "digits": "a digit",
    "spaces": "a space",
}


def _class_parts(chars: str) -> list[str]:
    """The ranges (`a-z`) and single characters of a character class's text."""
    parts, at = [], 0
    while at < len(chars):
        if at + 2 < len(chars) and chars[at + 1] == "-":
            parts.append(chars[at : at + 3])
            at += 3
        else:
            parts.append(chars[at])
            at += 1
    return parts


def _class_words(chars: str) -> list[str] | None:
    """What a character class holds, in words (`lower-case letters`, `digits`, `` `_` ``), or None
    for a class with a range other than a-z, A-Z and 0-9."""
    parts = _class_parts(chars)
    words = []
    for part in parts:
        if len(part) == 3:
            if part not in _RANGE_WORDS:
                return None
            words.append(_RANGE_WORDS[part])
        else:
            words.append("spaces" if part == " " else f"`{part}`")
    if "lower-case letters" in words and "upper-case letters" in words:
        words.remove("upper-case letters")
        words[words.index("lower-case letters")] = "letters"
    return words


def _listed(words: list[str], last: str = "and") -> str:
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} {last} {words[-1]}"


def _name_pattern_message(error: jsonschema.ValidationError) -> str | None:
    """For a name-like pattern: which characters the value may hold, and the value with the others
    replaced when that fits (`emoti-voice` where only `_` may join words: emoti_voice?)."""
    shape = _NAME_PATTERN.fullmatch(str(error.validator_value))
    value = error.instance
    if shape is None or not isinstance(value, str):
        return None
    first, rest, _, most = shape.groups()
    rest_words = _class_words(rest)
    first_words = _class_words(first) if first else rest_words
    if rest_words is None or first_words is None:
        return None
    path = error.absolute_path
    what = _field(error) if path and isinstance(path[-1], str) else f"each item of {_field(error)}"
    rule = f"holds only {_listed(rest_words)}"
    if first:
        rule = f"starts with {_listed([_ONE_WORDS.get(w, w) for w in first_words], 'or')} and {rule}"
    if most is not None:
        rule += f" (at most {int(most) + (1 if first else 0)} characters)"
    message = f"{bounded_repr(value)} is not allowed: {what} {rule}"
    guess = value if "A-Z" in rest or "A-Z" in (first or "") else value.lower()
    joiner = "_" if "_" in rest else "-" if "-" in rest else ""
    guess = "".join(c if _compiled(f"[{rest}]").fullmatch(c) else joiner for c in guess)
    if guess and len(value) <= QUOTED_VALUE_LIMIT and _compiled(str(error.validator_value)).fullmatch(guess):
        return f"{message}: {guess}?"
    return message


def _enum_case_message(error: jsonschema.ValidationError) -> str | None:
    """For a value one of the allowed values in another case (`Counter`): the lower-case one."""
    value, allowed = error.instance, error.validator_value
    if not isinstance(value, str) or not isinstance(allowed, list) or value.lower() not in allowed:
        return None
    return f"{_field(error)} is lower case: {value.lower()}?"


_HINTS = {
    "duration": _duration_message,
    "host-port": _host_port_message,
    "fraction": _fraction_message,
    "lower-case": _lower_case_message,
    "label-form": _label_form_message,
}


# jsonschema quotes the whole instance (`'<value>' is not of type 'object'`): given a file that
# is not a spec (`mongen generate /etc/passwd`) that is the whole file, echoed to the terminal and
# into CI logs. Quoted values are cut to this many characters.
QUOTED_VALUE_LIMIT = 60


def bounded_repr(value: object) -> str:
    """`repr(value)`, cut to QUOTED_VALUE_LIMIT characters (with the length of a long string)."""
    text = repr(value)
    if len(text) <= QUOTED_VALUE_LIMIT:
        return text
    size = f" ({len(value)} characters)" if isinstance(value, str) else ""
    return f"{text[: QUOTED_VALUE_LIMIT - 3]}...{size}"


def _bounded(message: str, instance: object) -> str:
    """`message` with the instance, and each key of a mapping instance (a message may quote
    them), quoted at most QUOTED_VALUE_LIMIT characters long."""
    quoted = [instance, *(instance if isinstance(instance, dict) else ())]
    for value in quoted:
        text = repr(value)
        if len(text) > QUOTED_VALUE_LIMIT:
            message = message.replace(text, bounded_repr(value))
    return message
