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
from dataclasses import dataclass, field

import yaml

from mongen.adopt.exposition import Family
from mongen.adopt.label_values import BoundedLabel, bounded_label
from mongen.errors import SpecError, format_path
from mongen.model import Spec
from mongen.spec.build import build_spec
from mongen.spec.loader import load_yaml

# Prefixes of client-library runtime families (Go, Python, the process): never the service's
# namespace, whichever has the most families.
_RUNTIME_PREFIXES = frozenset({"go", "process", "python", "promhttp", "net", "jvm", "nodejs", "dotnet"})
# Base units a metric name may end in (Prometheus naming conventions); the draft sets `unit` only
# where the exposition says it (OpenMetrics) or the name ends in one of them.
_BASE_UNITS = ("seconds", "bytes", "ratio", "celsius", "volts", "amperes", "joules", "grams", "meters", "hertz")
# Labels a spec's metric cannot carry: Prometheus' own, scrape target labels the generated config
# sets, Python keywords and the generated helpers' parameters (mongen.spec.labels).
_UNUSABLE_LABELS = frozenset(
    {"job", "instance", "le", "quantile", "service", "duration_seconds", "text", "text_length", "self", "raw"}
)
_TARGET_LABELS = ("job", "instance", "service")
_EXTERNAL_TYPES = {"counter": "counter", "gauge": "gauge", "histogram": "histogram", "summary": "summary"}
# The schema's patterns for the service's name and namespace.
_SERVICE_NAME = re.compile(r"[a-z][a-z0-9-]{0,62}")
_NAMESPACE = re.compile(r"[a-z][a-z0-9_]*")
_MAX_ATTEMPTS = 20
_DEFAULT_BUDGET = 10000
_DEFAULT_TARGET = "localhost:8001"


class DraftError(ValueError):
    """A name given for the draft is not one a spec can hold; the message says what to give."""


@dataclass
class Draft:
    namespace: str
    service: str
    target: str | None  # host:port of the URL it was read from
    metrics_path: str
    source: str
    metrics: list[Family] = field(default_factory=list)
    external: list[tuple[Family, str]] = field(default_factory=list)  # (family, why external; "" outside the namespace)
    budget: int = _DEFAULT_BUDGET


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
    namespace or service name, SpecError only on a bug (a rejected family becomes external)."""
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
        return f"a {family.type}: mongen's instrumentation exposes counters, gauges and histograms"
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


# --- rendering --------------------------------------------------------------------------------


class _SpecDumper(yaml.SafeDumper):
    """Block mappings, lists of plain values on one line (`labels: [code, handler]`), as people
    write specs."""


def _represent_list(dumper: yaml.SafeDumper, data: list[object]) -> yaml.SequenceNode:
    flow = all(not isinstance(item, dict | list) for item in data)
    return dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=flow)


_SpecDumper.add_representer(list, _represent_list)


def _dump(data: object, indent: int) -> str:
    """`data` as YAML indented under a section key; deterministic (no sorting, one width), so the
    same exposition drafts the same bytes."""
    text = yaml.dump(data, Dumper=_SpecDumper, sort_keys=False, width=100, allow_unicode=True)
    pad = " " * indent
    return "".join(pad + line + "\n" for line in text.splitlines())


def _comment(text: str, indent: int) -> str:
    pad = " " * indent + "# "
    words, lines, line = text.split(), [], ""
    for word in words:
        if line and len(pad) + len(line) + 1 + len(word) > 100:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}" if line else word
    lines.append(line)
    return "".join(pad + one + "\n" for one in lines)


def _labels(draft: Draft) -> dict[str, BoundedLabel]:
    observed: dict[str, set[str]] = {}
    for family in draft.metrics:
        for label, values in family.label_values:
            observed.setdefault(label, set()).update(values)
    return {name: bounded_label(name, observed[name]) for name in sorted(observed)}


def _unit(family: Family) -> str | None:
    base = family.name.removesuffix("_total")
    if family.unit and base.endswith("_" + family.unit) and family.unit.isalpha() and family.unit.islower():
        return family.unit
    return next((u for u in _BASE_UNITS if base.endswith("_" + u)), None)


def _help(family: Family) -> str:
    text = " ".join(family.help.split())
    return text or f"{family.name} (the exposition gives no HELP)"


def _metric_body(family: Family) -> dict[str, object]:
    name = family.name + "_total" if family.type == "counter" else family.name
    body: dict[str, object] = {"name": name, "type": family.type, "help": _help(family)}
    unit = _unit(family)
    if unit:
        body["unit"] = unit
    if family.labels:
        body["labels"] = list(family.labels)
    if family.type == "histogram":
        body["buckets"] = [int(b) if b.is_integer() else b for b in family.buckets]
    return body


def _external_bodies(family: Family) -> list[dict[str, object]]:
    labels = [*family.labels, *(t for t in _TARGET_LABELS if t not in family.labels)]
    kind = _EXTERNAL_TYPES.get(family.type)
    if kind == "counter":
        name = family.series[0] if family.series else family.name + "_total"
        return [{"name": name, "type": kind, "labels": labels}]
    if kind is not None:
        return [{"name": family.name, "type": kind, "labels": labels}]
    # info, stateset, gaugehistogram, unknown: each series as the value it holds now.
    held = "gauge" if family.type in ("info", "stateset") else "untyped"
    return [{"name": series, "type": held} for series in family.series or (family.name,)]


def render(draft: Draft) -> str:
    labels = _labels(draft)
    out = [
        _comment(
            f"Drafted by `mongen init --from-metrics` from {draft.source}: {len(draft.metrics) + len(draft.external)} "
            f"metric families, {len(draft.metrics)} of them the service's metrics under namespace "
            f"`{draft.namespace}`, the others external metrics (the rules may read them; the generated "
            "module does not expose them). Label values are the ones observed; review them, the scrape "
            "targets, and the suggested SLOs at the end.",
            0,
        ),
        "version: 1\n",
        "service:\n",
        _dump({"name": draft.service, "namespace": draft.namespace, "max_series_per_instance": draft.budget}, 2),
    ]
    if labels:
        out.append("labels:\n")
        for name, label in labels.items():
            if label.flagged:
                out.append(_comment(label.flagged, 2))
            out.append(_dump({name: label.body()}, 2))
    if draft.metrics:
        out.append("metrics:\n")
        out += [_dump([_metric_body(f)], 2) for f in draft.metrics]
    else:
        out.append(_comment("no family could be a metric of the service: declare one before generating", 0))
        out.append("metrics: []\n")
    if draft.external:
        out.append("external_metrics:\n")
        for family, why in draft.external:
            if why:
                out.append(_comment(f"{family.name}: {why}", 2))
            out.append(_dump(_external_bodies(family), 2))
    out.append("scrape:\n")
    if draft.target is None:
        out.append(_comment("where the service runs: the exposition came from a file", 2))
    out.append(_dump({"static_targets": [draft.target or _DEFAULT_TARGET]}, 2))
    exposure: dict[str, object] = {}
    if draft.target:
        exposure["port"] = int(draft.target.rpartition(":")[2])
    if draft.metrics_path != "/metrics":
        exposure["metrics_path"] = draft.metrics_path
    if exposure:
        out += ["exposure:\n", _dump(exposure, 2)]
    out.append(_suggestions(draft, labels))
    return "".join(out)


def _suggestions(draft: Draft, labels: dict[str, BoundedLabel]) -> str:
    """Commented SLOs on what the exposition suggests: availability on a requests counter with a
    status-like label, latency on a request-duration histogram in seconds."""
    slos: list[dict[str, object]] = []
    for family in draft.metrics:
        status = next((lbl for lbl in family.labels if labels[lbl].classes), None)
        if family.type == "counter" and "request" in family.name and status is not None:
            ratio = {"metric": family.name + "_total", "errors": {status: {"class": "5xx"}}}
            slos.append({"name": "availability", "objective": 99.9, "sli": {"ratio": ratio}})
            break
    histograms = [f for f in draft.metrics if f.type == "histogram" and _unit(f) == "seconds"]
    histograms.sort(key=lambda f: ("request" not in f.name, "duration" not in f.name))
    if histograms:
        family = histograms[0]
        threshold = next((b for b in family.buckets if b >= 1), family.buckets[-1])
        latency = {"metric": family.name, "threshold": int(threshold) if threshold.is_integer() else threshold}
        slos.append({"name": "latency", "objective": 99, "sli": {"latency": latency}})
    if not slos:
        return ""
    text = _dump({"slos": slos}, 0)
    intro = _comment(
        "Suggested SLOs from the metrics above (uncomment to use): availability counts the requests "
        "that failed with a server error; latency the requests slower than the threshold, a bucket "
        "boundary. Set the objectives your users expect.",
        0,
    )
    return intro + "".join("# " + line + "\n" for line in text.splitlines())
