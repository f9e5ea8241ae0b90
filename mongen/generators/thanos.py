"""Thanos as the engine (`engines: [thanos]`): Prometheus keeps scraping and evaluating; a sidecar
ships its blocks, the querier merges every Prometheus, and a ruler evaluates the same rule files
over the querier's global view. mongen generates what depends on the spec:

- prometheus.yml's `global.external_labels`: `cluster` and `replica`, the labels Thanos tells
  Prometheus servers apart by and deduplicates HA pairs on (`--query.replica-label=replica`). Their
  values are `${CLUSTER}` and `${REPLICA}`, expanded from each server's environment with Prometheus's
  `--enable-feature=expand-external-labels`: one file serves every replica.
- `thanos/<service>-ruler.flags`: the ruler on the service's rule files.

Thanos is not installable here (not in Debian, PyPI or npm): the rule files are checked by promtool,
the flags file by tests of its content; no Thanos binary has run them (README, "Scaling out").
"""

from __future__ import annotations

from typing import Any

from mongen import layout
from mongen.generators.flags import Flag, flags_text
from mongen.model import Spec
from mongen.serialize import header
from mongen.units import format_duration

ENGINE = "thanos"
# The conventional address of the Thanos querier the ruler asks (a placeholder, like the flags'
# other hosts): change it where yours differs.
QUERY_URL = "http://thanos-query:10902"


def external_labels(spec: Spec) -> dict[str, Any]:
    """prometheus.yml's `global.external_labels` for Thanos, or {} without it."""
    if ENGINE not in spec.engines:
        return {}
    return {"external_labels": {"cluster": "${CLUSTER}", "replica": "${REPLICA}"}}


def ruler_flags(spec: Spec) -> list[Flag]:
    rules = layout.rule_files(spec.service).values()
    return [
        Flag("data-dir", "thanos-ruler-data", "Where the ruler keeps its TSDB of recorded series.", "--"),
        *(Flag("rule-file", path, "The rule file Prometheus loads, unchanged.", "--") for path in rules),
        Flag(
            "eval-interval",
            format_duration(spec.scrape.evaluation_interval),
            "prometheus.yml's evaluation_interval; a group's own `interval` wins.",
            "--",
        ),
        Flag("query", QUERY_URL, "Rules read the querier's global, deduplicated view.", "--"),
        *(
            Flag("alertmanagers.url", f"http://{target}", "prometheus.yml's Alertmanager.", "--")
            for target in spec.scrape.alertmanagers
        ),
        Flag(
            "label",
            f'ruler="{spec.service}"',
            "Tells this ruler's recorded series apart from Prometheus's (Thanos requires a label).",
            "--",
        ),
        Flag(
            "label",
            'replica="0"',
            "Count up for each replica of an HA pair: the querier deduplicates on `replica`.",
            "--",
        ),
        Flag(
            "alert.label-drop",
            "replica",
            "Alerts of HA replicas are the same alert to Alertmanager (it deduplicates them).",
            "--",
        ),
    ]


def generate(spec: Spec) -> dict[str, str]:
    if ENGINE not in spec.engines:
        return {}
    path = layout.thanos_ruler_flags(spec.service)
    what = "evaluates the rule files over the Thanos querier and notifies Alertmanager."
    text = flags_text(header(spec.source), "thanos rule", what, path, ruler_flags(spec))
    return {path: text}
