"""promql_expr_tests for the recording rules, with expected values computed independently.

The inputs grow by whole multiples of 60 per minute, so 5m rates are exact integers and
the expected values below are computed with the same float operations Prometheus does
(promtool compares them exactly in older releases).
"""

from __future__ import annotations

import math
from collections import defaultdict
from typing import Any

from mongen.model import COUNTER, GAUGE, HISTOGRAM, Matcher, Metric, Slo, Spec
from mongen.promql import le_value, quote
from mongen.rules import naming
from mongen.rules.naming import error_ratio_name, quantile_name, rate_name, share_name, sli_error_name, slo_labels
from mongen.rules.recording import metric_groups, quantiles
from mongen.rules.slo_cases import slo_input
from mongen.synth.histograms import histogram_quantile
from mongen.synth.series import TEST_INSTANCE, TEST_INTERVAL, Labels, error_label_sets, spaced_series
from mongen.units import format_duration, format_number

EVAL_MINUTES = 10
ROUND_TO = 1e6
# The recording-rule tests' file is evaluated once a minute, as often as their inputs change.
RECORDING_TEST_INTERVAL = 60


def _rounded(value: float) -> float | int:
    """What `round(x * 1e6) / 1e6` gives in Prometheus (round half up, then an exact division)."""
    out = math.floor(value * ROUND_TO + 0.5) / ROUND_TO
    return int(out) if out.is_integer() else out


def _group(rows: list[tuple[Labels, float]], keep: tuple[str, ...]) -> dict[tuple[str, ...], float]:
    out: dict[tuple[str, ...], float] = defaultdict(float)
    for labels, value in rows:
        out[tuple(labels[k] for k in keep)] += value
    return dict(out)


def _samples(keep: tuple[str, ...], values: dict[tuple[str, ...], float]) -> list[dict[str, Any]]:
    return [
        {"labels": spaced_series("", dict(zip(keep, key, strict=True))), "value": _rounded(v)}
        for key, v in sorted(values.items())
    ]


def _matches(labels: Labels, matchers: tuple[Matcher, ...]) -> bool:
    return all((labels[m.label] in m.values) != m.negate for m in matchers)


def _counter_inputs(spec: Spec, metric: Metric) -> list[tuple[Labels, float]]:
    """(labels, per-second rate) of the input series: one error series per value the error selector
    accepts (500, 503 and the class value 5xx), and two healthy ones. Series that come out with the
    same labels (a counter whose only label is the error label) are one series with their rates
    added: promtool would keep only one of two identical input series."""
    base = {"job": spec.scrape.job, "instance": TEST_INSTANCE}
    first = {name: spec.label_by_name[name].values[0] for name in metric.labels}
    ok = {**first, **spec.values_matching(metric.errors, matching=False)}
    other = {
        name: (spec.label_by_name[name].values[1:] or spec.label_by_name[name].values)[0] for name in metric.labels
    }
    other.update({m.label: ok[m.label] for m in metric.errors})
    rows = [({**base, **ok}, 3.0), ({**base, **other}, 2.0)]
    if metric.errors:
        rows = [({**base, **first, **errors}, 1.0) for errors in error_label_sets(spec, metric.errors)] + rows
    merged: dict[tuple[tuple[str, str], ...], tuple[Labels, float]] = {}
    for labels, rate in rows:
        key = tuple(sorted(labels.items()))
        merged[key] = (labels, merged[key][1] + rate if key in merged else rate)
    return list(merged.values())


# Codes a class value stands for in the test names (those the spec does not declare).
_CLASS_EXAMPLES = {"1": ("101", "103"), "2": ("201", "204"), "3": ("301", "304"), "4": ("404", "403", "401")}
_CLASS_EXAMPLES["5"] = ("502", "504", "501")


def counted_errors(spec: Spec, matchers: tuple[Matcher, ...]) -> str:
    """` (errors: status 500, 503, 5xx; 5xx = any other 5xx code, e.g. 502, 504)` for a test name."""
    parts = []
    for m in matchers:
        label = spec.label_by_name[m.label]
        accepted = [v for v in label.values if (v in m.values) != m.negate]
        text = f"{m.label} {', '.join(accepted)}"
        for status_class in (c for c in label.classes if c in accepted):
            examples = [c for c in _CLASS_EXAMPLES.get(status_class[0], ()) if c not in label.values][:2]
            text += f"; {status_class} = any other {status_class} code" + (
                f", e.g. {', '.join(examples)}" if examples else ""
            )
        parts.append(text)
    return f" (errors: {'; '.join(parts)})" if parts else ""


def _counter_tests(spec: Spec, metric: Metric) -> tuple[list[dict[str, str]], list[dict[str, Any]]]:
    rows = _counter_inputs(spec, metric)
    inputs = [
        {
            "series": spaced_series(metric.exposed_name, labels),
            "values": f"0+{format_number(rate * 60)}x{EVAL_MINUTES + 5}",
        }
        for labels, rate in rows
    ]
    tests = []
    whole = _group(rows, ("job",))
    for group in metric_groups(spec, metric):
        keep = ("job", *group)
        totals = _group(rows, keep)
        tests.append((rate_name(metric, group, spec.rate_window), keep, totals))
        if metric.errors:
            errors = _group([r for r in rows if _matches(r[0], metric.errors)], keep)
            ratio = {k: errors.get(k, 0.0) / v for k, v in totals.items()}
            tests.append((error_ratio_name(metric, group, spec.rate_window), keep, ratio))
        if len(group) == 1 and spec.label_by_name[group[0]].enum:
            share = {k: v / whole[k[:1]] for k, v in totals.items()}
            tests.append((share_name(metric, group, spec.rate_window), keep, share))
    return inputs, [_expr_test(name, keep, values) for name, keep, values in tests]


def _histogram_tests(spec: Spec, metric: Metric) -> tuple[list[dict[str, str]], list[dict[str, Any]]]:
    labels = {"job": spec.scrape.job, "instance": TEST_INSTANCE}
    labels.update({name: spec.label_by_name[name].values[0] for name in metric.labels})
    low = 1 if len(metric.buckets) > 1 else 0
    cumulative = [
        (b, float((1 if i >= low else 0) + (3 if i >= len(metric.buckets) - 1 else 0)))
        for i, b in enumerate(metric.buckets)
    ]
    cumulative.append((float("inf"), 4.0))
    sum_rate = 7.0
    inputs = [
        {
            "series": spaced_series(
                metric.name + "_bucket", {**labels, "le": le_value(b) if b != float("inf") else "+Inf"}
            ),
            "values": f"0+{format_number(c * 60)}x{EVAL_MINUTES + 5}",
        }
        for b, c in cumulative
    ]
    inputs.append({"series": spaced_series(metric.name + "_count", labels), "values": f"0+240x{EVAL_MINUTES + 5}"})
    inputs.append(
        {
            "series": spaced_series(metric.name + "_sum", labels),
            "values": f"0+{format_number(sum_rate * 60)}x{EVAL_MINUTES + 5}",
        }
    )
    tests = []
    for group in metric_groups(spec, metric):
        keep = ("job", *group)
        key = tuple(labels[k] for k in keep)
        tests.append(_expr_test(rate_name(metric, group, spec.rate_window, "_count"), keep, {key: 4.0}))
        tests.append(_expr_test(rate_name(metric, group, spec.rate_window, "_sum"), keep, {key: sum_rate}))
        for q in quantiles(spec, metric, group):
            tests.append(
                _expr_test(
                    quantile_name(metric, group, q, spec.rate_window), keep, {key: histogram_quantile(q, cumulative)}
                )
            )
        mean = naming.mean_name(metric, group, spec.rate_window)
        tests.append(_expr_test(mean, keep, {key: sum_rate / 4.0}))
    return inputs, tests


def _gauge_tests(spec: Spec, metric: Metric) -> tuple[list[dict[str, str]], list[dict[str, Any]]]:
    base = {"job": spec.scrape.job, **{name: spec.label_by_name[name].values[0] for name in metric.labels}}
    rows = [({**base, "instance": TEST_INSTANCE}, 3.0), ({**base, "instance": "replica-2:8001"}, 5.0)]
    inputs = [
        {"series": spaced_series(metric.name, labels), "values": f"{format_number(v)}x{EVAL_MINUTES + 5}"}
        for labels, v in rows
    ]
    tests = []
    for group in metric_groups(spec, metric):
        keep = ("job", *group)
        key = tuple(base[k] for k in keep)
        tests.append(_expr_test(naming.gauge_name(metric, group, "max"), keep, {key: 5.0}))
        tests.append(_expr_test(naming.gauge_name(metric, group, "avg"), keep, {key: 4.0}))
    return inputs, tests


def _expr_test(expr: str, keep: tuple[str, ...], values: dict[tuple[str, ...], float]) -> dict[str, Any]:
    # promtool compares floats exactly and rate() extrapolation leaves 1-ulp noise
    # (7.000000000000001), so results are compared at 6 decimals.
    return {
        "expr": f"round({expr} * {ROUND_TO:g}) / {ROUND_TO:g}",
        "eval_time": f"{EVAL_MINUTES}m",
        "exp_samples": _samples(keep, values),
    }


def _info_test(spec: Spec, slo: Slo) -> dict[str, Any]:
    """The SLO's info series, found by its name alone: the way dashboards and tooling list SLOs."""
    labels = {
        **dict(slo_labels(spec, slo)),
        naming.SLO_INFO_OBJECTIVE_LABEL: format_number(slo.objective),
        naming.SLO_INFO_PERIOD_LABEL: format_duration(slo.period),
        naming.SLO_INFO_KIND_LABEL: slo.kind,
    }
    return {
        "expr": f"{naming.SLO_INFO}{{{naming.SLO_NAME_LABEL}={quote(slo.name)}}}",
        "eval_time": f"{EVAL_MINUTES}m",
        "exp_samples": [{"labels": spaced_series(naming.SLO_INFO, labels), "value": 1}],
    }


def _slo_tests(spec: Spec) -> list[dict[str, Any]]:
    tests = []
    for slo in spec.slos:
        labels = dict(slo_labels(spec, slo))
        keep = tuple(labels)
        key = tuple(labels.values())
        inputs = slo_input(spec, slo, [(EVAL_MINUTES + 5, 0.25)])
        budget = slo.error_budget
        this = f"{{slo={quote(slo.name)}}}"
        exprs = [
            _expr_test(sli_error_name(spec.rate_window) + this, keep, {key: 0.25}),
            _expr_test(naming.SLO_OBJECTIVE + this, keep, {key: slo.objective / 100}),
            _expr_test(naming.SLO_ERROR_BUDGET + this, keep, {key: budget}),
            _expr_test(naming.SLO_CURRENT_BURN_RATE + this, keep, {key: 0.25 / budget}),
            _expr_test(naming.SLO_BUDGET_REMAINING + this, keep, {key: 1 - 0.25 / budget}),
            _info_test(spec, slo),
        ]
        counted = counted_errors(spec, slo.errors) if slo.kind == "ratio" else ""
        tests.append(
            {
                "name": f"SLO {slo.name}: SLI and budget rules at a 25% error ratio{counted}",
                "interval": format_duration(TEST_INTERVAL),
                "input_series": [{"series": s, "values": v} for s, v in inputs],
                "promql_expr_test": exprs,
            }
        )
    return tests


def recording_tests(spec: Spec) -> list[dict[str, Any]]:
    tests = []
    builders = {COUNTER: _counter_tests, HISTOGRAM: _histogram_tests, GAUGE: _gauge_tests}
    for metric in spec.metrics:
        inputs, exprs = builders[metric.type](spec, metric)
        tests.append(
            {
                "name": f"recording rules of {metric.name}{counted_errors(spec, metric.errors)}",
                "interval": format_duration(TEST_INTERVAL),
                "input_series": inputs,
                "promql_expr_test": exprs,
            }
        )
    return tests + _slo_tests(spec)
