"""The `enums` and `labels` sections: bounded value sets, their fallbacks and spelling aliases."""

from __future__ import annotations

import keyword
from typing import Any

from mongen.errors import YamlPath
from mongen.model import EnumDef, LabelDef
from mongen.spec.issues import Definitions, SpecIssues
from mongen.spec.label_text import length_problem, look_alike, value_problem

# Labels Prometheus itself sets or reserves (`__name__`, target labels, histogram/summary labels).
_PROMETHEUS_LABELS = ("job", "instance", "le", "quantile")
# Parameters of the generated record_request()/track_request() besides the labels.
_HELPER_ARGS = ("duration_seconds", "text", "text_length", "self", "raw")


def read_enums(issues: SpecIssues, raw: dict[str, Any]) -> Definitions[EnumDef]:
    enums: Definitions[EnumDef] = Definitions()
    for name, body in raw.items():
        path: YamlPath = ("enums", name)
        values = tuple(body["values"])
        if not _values_usable(issues, values, path):
            enums.reject(name)
            continue
        if body["fallback"] not in values:
            issues.fail(
                (*path, "fallback"), f"fallback `{body['fallback']}` is not one of the values: {', '.join(values)}"
            )
            enums.reject(name)
            continue
        aliases = _aliases(issues, body.get("aliases", {}), values, path)
        enums.add(name, EnumDef(name, values, body["fallback"], aliases))
    return enums


def _values_usable(issues: SpecIssues, values: tuple[str, ...], path: YamlPath) -> bool:
    """Values are any one line of visible text as people write them (`meta-llama/Meta-Llama-3-8B`);
    the scalar checks refuse control characters. Padding would be trimmed away by the normalizer,
    so a padded value could never be recorded."""
    usable = True
    for i, value in enumerate(values):
        if not (
            _value_form_usable(issues, value, (*path, "values", i)) and _value_text_usable(issues, values, i, path)
        ):
            usable = False
    return usable


def _value_form_usable(issues: SpecIssues, value: str, path: YamlPath) -> bool:
    """False (after reporting it) for a value that is too long, empty, or padded with spaces."""
    problem = length_problem(value)
    if problem is None and (not value or value != value.strip()):
        problem = f"label value {value!r} is empty or padded with spaces"
    if problem is not None:
        issues.fail(path, problem)
    return problem is None


def _value_text_usable(issues: SpecIssues, values: tuple[str, ...], i: int, path: YamlPath) -> bool:
    """False (after reporting it) for an invisible character, a value not in NFC, or one that
    looks like an earlier value (label_text.py)."""
    problem = value_problem(values[i])
    if problem is None:
        twin = look_alike(values, i)
        if twin is not None:
            problem = (
                f"label value {values[i]!a} looks like `{twin}` (they are the same text once compatibility "
                "forms are folded, NFKC); keep one spelling"
            )
    if problem is not None:
        issues.fail((*path, "values", i), problem)
    return problem is None


def _aliases(
    issues: SpecIssues, raw: dict[str, str], values: tuple[str, ...], path: YamlPath
) -> tuple[tuple[str, str], ...]:
    """Spelling variant (stripped, case-folded, as the normalizer looks it up) -> value."""
    out: dict[str, tuple[str, str]] = {}  # key -> (alias as written, target)
    # A value is looked up by its trimmed, case-folded spelling too (`Llama-3-8B` by `llama-3-8b`).
    spelled: dict[str, str] = {}
    for value in values:
        spelled.setdefault(value.strip().casefold(), value)
    for alias, target in sorted(raw.items()):
        key = alias.strip().casefold()
        too_long = length_problem(alias, "alias")
        if too_long is not None:
            # At the alias, under `aliases`: the path would quote the whole alias.
            issues.fail((*path, "aliases"), too_long, at_key=(*path, "aliases", alias))
        elif target not in values:
            issues.fail(
                (*path, "aliases", alias), f"alias target `{target}` is not one of the values: {', '.join(values)}"
            )
        elif key in spelled and spelled[key] != target:
            issues.fail((*path, "aliases", alias), f"alias `{alias}` shadows the value `{spelled[key]}`")
        elif key in out and out[key][1] != target:
            other, other_target = out[key]
            issues.fail(
                (*path, "aliases", alias),
                f"aliases `{other}` and `{alias}` are one spelling once trimmed and case-folded, "
                f"but map to `{other_target}` and `{target}`; keep one of them",
            )
        else:
            out.setdefault(key, (alias, target))
    return tuple((key, target) for key, (_, target) in out.items())


def read_labels(issues: SpecIssues, raw: dict[str, Any], enums: Definitions[EnumDef]) -> Definitions[LabelDef]:
    labels: Definitions[LabelDef] = Definitions()
    for name, body in raw.items():
        label = _label(issues, name, body, enums)
        if label is None:
            labels.reject(name)
        else:
            labels.add(name, label)
    return labels


def _label(issues: SpecIssues, name: str, body: dict[str, Any], enums: Definitions[EnumDef]) -> LabelDef | None:
    path: YamlPath = ("labels", name)
    if name.startswith("__") or name in _PROMETHEUS_LABELS:
        issues.fail(path, f"label name `{name}` is reserved by Prometheus")
        return None
    if keyword.iskeyword(name) or name in _HELPER_ARGS:
        issues.fail(path, f"label name `{name}` cannot be a parameter of the generated Python helpers; rename it")
        return None
    if "enum" in body:
        if "values" in body:
            issues.fail(
                (*path, "values"),
                f"label `{name}` takes the values of enum `{body['enum']}` and lists `values` of its own; "
                "give one of them (an enum's values are shared by every label that names it)",
            )
            return None
        if "classes" in body:
            issues.fail(
                (*path, "classes"),
                f"label `{name}` takes the values of enum `{body['enum']}`; status classes need a label with "
                'its own `values` (e.g. ["200", "500", 5xx, other])',
            )
            return None
        if "aliases" in body:
            issues.fail(
                (*path, "aliases"),
                f"label `{name}` takes the values and aliases of enum `{body['enum']}`; put its aliases on the enum",
            )
            return None
        if not enums.declares(body["enum"]):
            issues.fail(
                (*path, "enum"),
                f"label `{name}` uses the undefined enum `{body['enum']}`; defined enums: {enums.declared()}",
            )
        enum = enums.get(body["enum"])
        return LabelDef(name, enum.values, enum.fallback, enum.name, enum.aliases) if enum else None
    values = tuple(str(v) for v in body["values"])
    fallback = str(body["fallback"])
    usable = True
    if fallback not in values:
        issues.fail((*path, "fallback"), f"fallback `{fallback}` is not one of the values: {', '.join(values)}")
        usable = False
    for i, value in enumerate(values):
        if not _value_form_usable(issues, value, (*path, "values", i)):
            usable = False
        elif value in values[:i]:
            first = body["values"][values.index(value)]
            mixed = type(first) is not type(body["values"][i])
            how = " (once as a number, once as text)" if mixed else ""
            issues.fail((*path, "values", i), f"label value `{value}` is listed twice{how}")
            usable = False
        elif not _value_text_usable(issues, values, i, path):
            usable = False
    classes = tuple(body.get("classes", ()))
    for i, status_class in enumerate(classes):
        if status_class not in values:
            issues.fail(
                (*path, "classes", i),
                f"class `{status_class}` is not one of the values: {', '.join(values)}; list it in `values` too, "
                "it is the value every other code of the class is recorded as",
            )
            usable = False
        elif status_class == fallback:
            issues.fail(
                (*path, "classes", i),
                f"class `{status_class}` is also the fallback, so any unknown value would count as a `{status_class}`; "
                "give the label a separate fallback (e.g. `other`)",
            )
            usable = False
    if not usable:
        return None
    raw_aliases = {str(alias): str(target) for alias, target in body.get("aliases", {}).items()}
    return LabelDef(name, values, fallback, aliases=_aliases(issues, raw_aliases, values, path), classes=classes)
