"""Label matchers (`errors`, `total`, `where`): declared values of a metric's labels, never regexes.

`{class: 5xx}` selects every declared value of a status class the label declares (`500`, `503` and
`5xx`, which stands for every other 5xx code), expanded here, so rules, tests, the dashboard and lint
all see plain declared values."""

from __future__ import annotations

from typing import Any

from mongen.errors import YamlPath
from mongen.model import LabelDef, Matcher
from mongen.spec.issues import Definitions, SpecIssues


def read_matchers(
    issues: SpecIssues,
    raw: dict[str, Any],
    path: YamlPath,
    metric_labels: tuple[str, ...],
    labels: Definitions[LabelDef],
    selects_errors: bool = False,
    labels_known: bool = True,
) -> tuple[Matcher, ...] | None:
    """The matchers of one selector, sorted by label; None when one of them was rejected (the
    selector would select something else than the spec says). `selects_errors`: the selector
    picks failed requests, so it must leave some declared value for the successful ones.
    `labels_known` False: the metric's label list named an undeclared label (reported there, most
    likely a typo), so a label missing from it is not reported again."""
    out = []
    usable = True
    for label, value in raw.items():
        if label not in metric_labels:
            if labels_known:
                issues.fail(
                    (*path, label),
                    f"label `{label}` is not on this metric; its labels: {', '.join(metric_labels) or 'none'}",
                )
            usable = False
            continue
        declared = labels.get(label)
        # An undeclared or rejected label was reported where the metric names it.
        matcher = _matcher(issues, label, value, (*path, label), declared, selects_errors) if declared else None
        if matcher is None:
            usable = False
        else:
            out.append(matcher)
    return tuple(sorted(out, key=lambda m: m.label)) if usable else None


def _matcher(
    issues: SpecIssues, label: str, value: Any, path: YamlPath, declared: LabelDef, selects_errors: bool
) -> Matcher | None:
    negate = isinstance(value, dict) and "not" in value
    if negate:
        value = value["not"]
    if isinstance(value, dict):
        return _class_matcher(issues, label, value["class"], path, declared, selects_errors)
    values = tuple(str(v) for v in (value if isinstance(value, list) else [value]))
    unknown = [v for v in values if v not in declared.values]
    for v in unknown:
        issues.fail(path, f"value `{v}` is not declared for label `{label}`; declared: {', '.join(declared.values)}")
    if unknown:
        return None
    accepted = [v for v in declared.values if (v in values) != negate]
    if not accepted:
        issues.fail(path, f"this matcher accepts none of the declared values of `{label}`, so it selects nothing")
        return None
    if selects_errors and len(accepted) == len(declared.values):
        issues.fail(path, f"this error selector accepts every declared value of `{label}`, so no request could succeed")
        return None
    return Matcher(label, values, negate)


def _class_matcher(
    issues: SpecIssues, label: str, raw: str | list[str], path: YamlPath, declared: LabelDef, selects_errors: bool
) -> Matcher | None:
    classes = raw if isinstance(raw, list) else [raw]
    missing = [c for c in classes if c not in declared.classes]
    for status_class in missing:
        issues.fail(
            (*path, "class"),
            f"label `{label}` declares no class `{status_class}` (its classes: {', '.join(declared.classes) or 'none'}); "
            f"add `{status_class}` to its `values` and `classes`, so every other code of the class is recorded as "
            f"`{status_class}` and selected here",
        )
    if missing:
        return None
    values = tuple(dict.fromkeys(v for c in classes for v in declared.class_members(c)))
    if selects_errors and len(values) == len(declared.values):
        issues.fail(path, f"this error selector accepts every declared value of `{label}`, so no request could succeed")
        return None
    return Matcher(label, values)
