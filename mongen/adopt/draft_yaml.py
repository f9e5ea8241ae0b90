"""The text of a spec drafted by `mongen init --from-metrics` (mongen.adopt.from_metrics): YAML
as people write specs (block mappings, short lists on one line), with the comments that say what
to review: id-like label values left out, families declared as external metrics and why, the
suggested SLOs."""

from __future__ import annotations

from dataclasses import dataclass, field

import yaml

from mongen.adopt.exposition import Family
from mongen.adopt.label_values import BoundedLabel, bounded_label

# Base units a metric name may end in (Prometheus naming conventions); the draft sets `unit` only
# where the exposition says it (OpenMetrics) or the name ends in one of them.
_BASE_UNITS = ("seconds", "bytes", "ratio", "celsius", "volts", "amperes", "joules", "grams", "meters", "hertz")
_TARGET_LABELS = ("job", "instance", "service")
_EXTERNAL_TYPES = {"counter": "counter", "gauge": "gauge", "histogram": "histogram", "summary": "summary"}
_DEFAULT_TARGET = "localhost:8001"
DEFAULT_BUDGET = 10000


@dataclass
class Draft:
    namespace: str
    service: str
    target: str | None  # host:port of the URL it was read from
    metrics_path: str
    source: str
    metrics: list[Family] = field(default_factory=list)
    external: list[tuple[Family, str]] = field(default_factory=list)  # (family, why external; "" outside the namespace)
    budget: int = DEFAULT_BUDGET


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

    def body(name: str, kind: str) -> dict[str, object]:
        # Without samples the family's labels are unknown: declared without a list (any label).
        return {"name": name, "type": kind, "labels": labels} if family.series else {"name": name, "type": kind}

    kind = _EXTERNAL_TYPES.get(family.type)
    if kind == "counter":
        return [body(family.series[0] if family.series else family.name + "_total", kind)]
    if kind is not None:
        return [body(family.name, kind)]
    if family.type in ("info", "stateset"):
        # A gauge of 1 (or 0) per label set: the labels are what an info or stateset says
        # (`version`, the state), so they are declared as a gauge's are.
        info = family.name + "_info" if family.type == "info" else family.name
        return [body(name, "gauge") for name in family.series or (info,)]
    # gaugehistogram, unknown: each series as the value it holds now.
    return [{"name": name, "type": "untyped"} for name in family.series or (family.name,)]


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
