"""`mongen init --from-metrics`: a spec drafted from a running service's exposition.

Every family is declared: those under the service's namespace that mongen's instrumentation can
expose (counters, gauges, histograms with samples) as `metrics` with their type, help, unit,
labels and observed buckets; every other family as a typed `external_metrics` entry, so rules and
lint know it. Observed label values become bounded value lists with a fallback. The draft is
built with the spec builder before it is written: a family the builder rejects as a metric (a
reserved suffix, a name clash) is declared as an external metric instead, with the reason.
"""

from __future__ import annotations

import keyword
import math
import re
import urllib.parse
from collections import Counter

from mongen.adopt.draft_yaml import Draft, render
from mongen.adopt.exposition import Family
from mongen.errors import SpecError, format_path
from mongen.loading import build_spec
from mongen.model import Spec
from mongen.spec.loader import load_yaml

# Prefixes of client-library runtime families (Go, Python, the process): never the service's
# namespace, whichever has the most families.
_RUNTIME_PREFIXES = frozenset({"go", "process", "python", "promhttp", "net", "jvm", "nodejs", "dotnet"})
# Labels a spec's metric cannot carry: Prometheus' own, scrape target labels the generated config
# sets, Python keywords and the generated helpers' parameters (mongen.spec.labels).
_UNUSABLE_LABELS = frozenset(
    {"job", "instance", "le", "quantile", "service", "duration_seconds", "text", "text_length", "self", "raw"}
)
# The schema's patterns for the service's name and namespace.
_SERVICE_NAME = re.compile(r"[a-z][a-z0-9-]{0,62}")
_NAMESPACE = re.compile(r"[a-z][a-z0-9_]*")
_MAX_ATTEMPTS = 20


class DraftError(ValueError):
    """A name given for the draft is not one a spec can hold; the message says what to give."""


def dominant_namespace(families: list[Family]) -> str:
    """The first name component most families share, runtime prefixes (go_, process_) aside."""
    counts = Counter(f.name.split("_", 1)[0] for f in families if "_" in f.name)
    for prefix in _RUNTIME_PREFIXES:
        counts.pop(prefix, None)
    usable = [(n, p) for p, n in counts.items() if p.isidentifier() and p.islower() and p[0].isalpha()]
    if not usable:
        return "app"
    best = max(n for n, _ in usable)
    return min(p for n, p in usable if n == best)


def draft_spec(
    families: list[Family],
    source: str,
    namespace: str | None = None,
    service: str | None = None,
    file: str = "spec.yaml",
) -> tuple[str, Spec]:
    """The spec text (to be written to `file`) and its model. Raises DraftError for an unusable
    namespace or service name and when no family can be a metric of the service (a spec declares
    one at least), SpecError only on a bug (a rejected family becomes external)."""
    ns = namespace or dominant_namespace(families)
    name = service or ns.replace("_", "-")[:63]
    if not _NAMESPACE.fullmatch(ns):
        raise DraftError(f"namespace `{ns}` is not a metric namespace: lower-case letters, digits and `_`")
    if not _SERVICE_NAME.fullmatch(name):
        raise DraftError(f"service name `{name}` is not usable: lower-case letters, digits and `-`, at most 63")
    target, path = _target(source)
    draft = Draft(ns, name, target, path, source)
    for family in families:
        why = _not_a_metric(family, ns)
        if why is None:
            draft.metrics.append(family)
        else:
            draft.external.append((family, why))
    for _ in range(_MAX_ATTEMPTS):
        if not draft.metrics:
            raise DraftError(_nothing_to_draft(draft, source, len(families)))
        text = render(draft)
        try:
            spec = build_spec(load_yaml(text, file), check_budget=False)
        except SpecError as exc:
            if not _demote(draft, exc):
                raise
            continue
        if spec.total_series > draft.budget:
            draft.budget = math.ceil(spec.total_series * 1.5 / 1000) * 1000
            continue
        return text, spec
    raise AssertionError("the draft did not settle; this is a bug in mongen init")


# Families named with their reason in the message when none can be a metric.
_SHOWN_REASONS = 5


def _nothing_to_draft(draft: Draft, source: str, families: int) -> str:
    """Why no spec can be drafted: a spec declares at least one metric of the service, and no
    family of the exposition can be one, each for its reason (the first few named)."""
    # The service's own families first: their reasons say what to change.
    ordered = sorted(draft.external, key=lambda rejected: rejected[1] == "")
    reasons = [
        f"`{family.name}`: {why or f'outside the namespace `{draft.namespace}`'}"
        for family, why in ordered[:_SHOWN_REASONS]
    ]
    more = len(draft.external) - len(reasons)
    listed = "; ".join(reasons) + (f"; and {more} more" if more > 0 else "")
    none = "its only family is not" if families == 1 else f"none of its {families} families is"
    return (
        f"{source}: nothing could be drafted: a spec declares at least one metric of the service (a counter, "
        f"gauge or histogram named `{draft.namespace}_...` with samples), and {none} one: {listed}. Give --namespace with the prefix of the service's own metrics, or an exposition "
        "that holds them"
    )


def _target(source: str) -> tuple[str | None, str]:
    if not source.startswith(("http://", "https://")):
        return None, "/metrics"
    url = urllib.parse.urlsplit(source)
    host = url.hostname or ""
    port = url.port or (443 if url.scheme == "https" else 80)
    target = f"{host}:{port}" if host and ":" not in host else None
    return target, url.path or "/metrics"


def _not_a_metric(family: Family, namespace: str) -> str | None:
    """Why the family is declared as an external metric ("" for one outside the namespace), or None."""
    if not family.name.startswith(namespace + "_"):
        return ""
    if family.type not in ("counter", "gauge", "histogram"):
        article = "an" if family.type[0] in "aeiou" else "a"
        return f"{article} {family.type}: mongen's instrumentation exposes counters, gauges and histograms"
    if not family.series:
        return "no samples yet, so its labels are unknown: declare it as a metric once it has some"
    unusable = [label for label in family.labels if label in _UNUSABLE_LABELS or not _python_name(label)]
    if unusable:
        return f"its label `{unusable[0]}` cannot be a label of the generated module"
    if family.type == "counter" and family.series != (family.name + "_total",):
        return f"a counter exposed as `{family.series[0]}`: mongen exposes counters with `_total`"
    if family.type == "histogram" and not family.buckets:
        return "a histogram without finite buckets"
    return None


def _python_name(label: str) -> bool:
    return label.isidentifier() and not keyword.iskeyword(label) and not label.startswith("__")


def _demote(draft: Draft, exc: SpecError) -> bool:
    """Move the metrics the builder rejected to external_metrics; False when it rejected nothing
    that a move can fix."""
    rejected: dict[int, str] = {}
    by_label = {label for family in draft.metrics for label in family.labels}
    for issue in exc.issues:
        if issue.path[:1] == ("metrics",) and len(issue.path) > 1 and isinstance(issue.path[1], int):
            rejected.setdefault(issue.path[1], issue.message)
        elif issue.path[:1] == ("labels",) and len(issue.path) > 1 and issue.path[1] in by_label:
            for i, family in enumerate(draft.metrics):
                if issue.path[1] in family.labels:
                    rejected.setdefault(i, f"label {format_path(issue.path[1:])}: {issue.message}")
    if not rejected:
        return False
    for i in sorted(rejected, reverse=True):
        draft.external.append((draft.metrics.pop(i), f"mongen rejects it as a metric: {rejected[i]}"))
    return True
