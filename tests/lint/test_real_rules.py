"""lint on rules nobody here wrote: the four false-positive patterns found on 3,114 public
rules give nothing, and the bad rules of cloudflare/pint's tests and docs that an offline linter
can catch each get a finding from the right check. Every case is written here from the pattern,
not copied from those rule sets."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from mongen.errors import Finding
from mongen.lint.checks import ALIASES
from mongen.lint.docs import EXTERNAL_METRICS_EXAMPLE
from mongen.lint.runner import lint
from mongen.loading import load_spec
from mongen.model import Spec
from tests.support import ROOT

_ALERT_TAIL = """\
    for: 5m
    labels: {severity: page}
    annotations: {summary: s, description: d}
"""


def _lint(tmp_path: Path, rules: str, spec: Spec | None = None) -> list[Finding]:
    path = tmp_path / "rules.yml"
    path.write_text("groups:\n- name: g\n  rules:\n" + textwrap.indent(textwrap.dedent(rules), "  "))
    return lint(spec, [path], run_promtool=False).findings


def _spec(tmp_path: Path, external: str) -> Spec:
    """The default spec with its `external_metrics` section replaced."""
    text = (ROOT / "specs/emotivoice.yaml").read_text()
    start, end = text.index("external_metrics:\n"), text.index("\nslos:\n")
    path = tmp_path / "spec.yaml"
    path.write_text(text[:start] + "external_metrics:\n" + textwrap.dedent(external) + text[end:])
    return load_spec(path)


# 1. YAML merge keys.


_MERGED = """\
- &page_defaults
  alert: EmotivoiceTargetDown
  expr: up{job="emotivoice"} == 0
  for: 5m
  labels: {severity: page}
  annotations: {summary: "{{ $labels.instance }} is down", description: d}
- <<: *page_defaults
  alert: EmotivoiceTargetFlapping
  expr: changes(up{job="emotivoice"}[15m]) > 4
- <<: [*page_defaults]
  alert: EmotivoiceTargetDownLong
  for: 30m
- &record_defaults
  record: job:emoti_voice_tts_requests:rate5m
  expr: sum by (job) (rate(emoti_voice_tts_requests_total[5m]))
  labels: {team: tts}
- <<: *record_defaults
  record: job:emoti_voice_tts_requests:rate1h
  expr: sum by (job) (rate(emoti_voice_tts_requests_total[1h]))
"""


def test_merge_keys_give_no_findings(tmp_path: Path) -> None:
    """Nameless rules, missing expressions, `severity None`, and duplicates of the anchored rule
    were what merge keys used to give."""
    assert _lint(tmp_path, _MERGED, load_spec("specs/emotivoice.yaml")) == []
    assert _lint(tmp_path, _MERGED) == []


def test_a_merged_rule_keeps_what_it_overrides_and_is_reported_at_its_own_line(tmp_path: Path) -> None:
    rules = _MERGED.replace("  for: 30m\n", "  for: 30m\n  labels: {severity: critical}\n")
    findings = _lint(tmp_path, rules, load_spec("specs/emotivoice.yaml"))
    # The third rule's expression comes from the anchor: reported at `- <<: [*page_defaults]`.
    assert [(f.line, f.col, f.check, f.message) for f in findings] == [
        (13, 5, "unrouted-severity", "severity 'critical' has no route; routed: page, ticket")
    ]


# 2. `up` of other jobs.


def test_up_of_other_jobs_has_open_labels(tmp_path: Path) -> None:
    spec = load_spec("specs/emotivoice.yaml")
    tail = _ALERT_TAIL.replace("    ", "  ")
    rules = (
        f'- alert: NodeDown\n  expr: up{{job="node", cluster="wmcs"}} == 0\n{tail}'
        f"- alert: TargetsDown\n  expr: count(up == 0) BY (cluster, job, namespace, service) > 0\n{tail}"
    )
    assert _lint(tmp_path, rules, spec) == []


def test_up_of_the_specs_own_job_has_its_target_labels(tmp_path: Path) -> None:
    spec = load_spec("specs/emotivoice.yaml")
    rule = '- record: cluster:up:sum\n  expr: sum by (cluster) (up{job="emotivoice"})\n'
    assert [(f.check, f.message) for f in _lint(tmp_path, rule, spec)] == [
        (
            "unknown-label",
            "`sum by (cluster)`: the input has no label `cluster`; it has: container, instance, job, namespace, pod, service",
        )
    ]


def test_declaring_up_in_external_metrics_overrides_its_labels(tmp_path: Path) -> None:
    spec = _spec(tmp_path, "  - {name: up, type: gauge, labels: [job, instance, cluster]}\n")
    ok = '- record: cluster:up:sum\n  expr: sum by (cluster) (up{job="emotivoice"})\n'
    assert _lint(tmp_path, ok, spec) == []
    wrong = '- record: zone:up:sum\n  expr: sum by (zone) (up{job="node"})\n'
    assert [f.check for f in _lint(tmp_path, wrong, spec)] == ["unknown-label"]


# 3. duplicate-rule and disjoint selectors.


@pytest.mark.parametrize(
    "rules",
    [
        # kube-prometheus-style: one recorded name per status class, the class kept in the result.
        "".join(
            f"- record: code_verb:apiserver_request_total:increase1h\n"
            f'  expr: sum by (code, verb) (increase(apiserver_request_total{{code=~"{c}.."}}[1h]))\n'
            for c in "2345"
        ),
        # The same with a literal alternation and equality against the rest.
        "- record: code:http_requests:rate5m\n"
        '  expr: sum by (code) (rate(http_requests_total{code=~"500|503"}[5m]))\n'
        "- record: code:http_requests:rate5m\n"
        '  expr: sum by (code) (rate(http_requests_total{code="200"}[5m]))\n',
        # Two alerts of one name on `handler="x"` and `handler!="x"`.
        '- alert: SlowHandler\n  expr: histogram_quantile(0.9, sum by (le, handler) (rate(h_bucket{handler!="/upload"}[5m]))) > 1\n'
        + _ALERT_TAIL.replace("    ", "  ")
        + '- alert: SlowHandler\n  expr: histogram_quantile(0.9, sum by (le, handler) (rate(h_bucket{handler="/upload"}[5m]))) > 10\n'
        + _ALERT_TAIL.replace("    ", "  "),
    ],
    ids=["status-classes", "alternation", "handler"],
)
def test_rules_with_disjoint_selectors_are_no_duplicates(tmp_path: Path, rules: str) -> None:
    duplicate = ("duplicate-rule", "duplicate-alert")
    assert [f for f in _lint(tmp_path, rules) if f.check in duplicate] == []
    # The same rules twice over are duplicates again.
    assert [f.check for f in _lint(tmp_path, rules + rules) if f.check in duplicate] != []


def test_disjoint_selectors_whose_label_is_aggregated_away_still_collide(tmp_path: Path) -> None:
    rules = (
        '- record: job:http_requests:rate5m\n  expr: sum by (job) (rate(http_requests_total{code=~"2.."}[5m]))\n'
        '- record: job:http_requests:rate5m\n  expr: sum by (job) (rate(http_requests_total{code=~"5.."}[5m]))\n'
    )
    assert [(f.line, f.check) for f in _lint(tmp_path, rules)] == [(7, "duplicate-rule")]


# 4. Typed external metrics.

# The declarations docs/lint-rules.md shows for dcgm-exporter and node-exporter.
_NODE_AND_DCGM = EXTERNAL_METRICS_EXAMPLE.removeprefix("external_metrics:\n")


def test_typed_external_metrics_in_their_own_spelling_give_no_findings(tmp_path: Path) -> None:
    spec = _spec(tmp_path, _NODE_AND_DCGM)
    rules = """\
    - record: instance:node_vmstat_pgmajfault:rate5m
      expr: sum by (job, instance) (rate(node_vmstat_pgmajfault[5m]))
    - record: instance:node_memory_MemAvailable_bytes:min5m
      expr: min by (job, instance) (min_over_time(node_memory_MemAvailable_bytes[5m]))
    - record: gpu:DCGM_FI_DEV_FB_USED:max
      expr: max by (Hostname, gpu, modelName) (DCGM_FI_DEV_FB_USED)
    - record: device:node_disk_io_time_seconds:p99_5m
      expr: histogram_quantile(0.99, sum by (device, le) (rate(node_disk_io_time_seconds_bucket[5m])))
    """
    assert _lint(tmp_path, rules, spec) == []


def test_typed_external_metrics_get_the_type_and_label_checks(tmp_path: Path) -> None:
    spec = _spec(tmp_path, _NODE_AND_DCGM)
    rules = """\
    - record: instance:node_vmstat_pgmajfault:max
      expr: max by (job, instance) (node_vmstat_pgmajfault)
    - record: gpu:DCGM_FI_DEV_FB_USED:rate5m
      expr: sum by (gpu) (rate(DCGM_FI_DEV_FB_USED[5m]))
    - record: pod:DCGM_FI_DEV_FB_USED:max
      expr: max by (pod) (DCGM_FI_DEV_FB_USED)
    - record: gpu:DCGM_FI_DEV_FB_FREE:max
      expr: max by (gpu) (DCGM_FI_DEV_FB_USD)
    """
    assert [(f.line, f.check) for f in _lint(tmp_path, rules, spec)] == [
        (5, "counter-without-rate"),
        (7, "rate-on-gauge"),
        (9, "unknown-label"),
        (11, "unknown-metric"),
    ]


def test_the_default_spec_declares_dcgm_exporters_real_names(tmp_path: Path) -> None:
    spec = load_spec("specs/emotivoice.yaml")
    ok = "- record: gpu:DCGM_FI_DEV_GPU_UTIL:avg\n  expr: avg by (Hostname, gpu) (DCGM_FI_DEV_GPU_UTIL)\n"
    assert _lint(tmp_path, ok, spec) == []
    old_prefix = "- record: gpu:dcgm_fb_used:max\n  expr: max by (gpu) (dcgm_fb_used)\n"
    assert [f.check for f in _lint(tmp_path, old_prefix, spec)] == ["unknown-metric"]


# The pint cases: each bad rule gets a finding from the check named.

_PINT_CASES = {
    "impossible-matching": '- alert: A\n  expr: emoti_voice_tts_requests_in_flight{job="bar"} > 0 unless sum(emoti_voice_tts_requests_in_flight) > 5\n',
    "annotation-unknown-label": "- alert: A\n  expr: sum(emoti_voice_tts_requests_in_flight) > 5\n"
    "  annotations: {summary: 'busy {{ .Labels.job }}', description: d}\n",
    "alert-value-in-label": "- alert: A\n  expr: emoti_voice_tts_requests_in_flight > 5\n"
    "  labels: {severity: page, current: '{{ $value }}'}\n",
    "alert-zero-for": "- alert: A\n  expr: emoti_voice_tts_requests_in_flight > 5\n  for: 0h\n",
    "alert-without-comparison": "- alert: A\n  expr: sum by (job) (emoti_voice_tts_requests_in_flight)\n",
    "alert-topk": "- alert: A\n  expr: topk(3, emoti_voice_tts_requests_in_flight) > 5\n",
    "regex-anchor": '- record: job:r:rate5m\n  expr: sum by (job) (rate(emoti_voice_tts_requests_total{job=~"^.+$"}[5m]))\n',
    "vector-matching": "- record: job:r:ratio\n  expr: sum by (job, instance) (emoti_voice_tts_requests_in_flight)"
    " / sum by (job) (emoti_voice_tts_requests_in_flight)\n",
    "rate-over-sum": "- record: job:r:sum\n  expr: sum by (job) (emoti_voice_tts_requests_total)\n"
    "- record: job:r:rate5m\n  expr: rate(job:r:sum[5m])\n",
    # The ones lint caught before #17.
    "histogram-quantile-input": "- record: job:r:p99\n  expr: histogram_quantile(0.99, sum by (job)"
    " (rate(emoti_voice_tts_request_duration_seconds_bucket[5m])))\n",
    "rate-on-gauge": "- record: job:r:rate5m\n  expr: sum by (job) (rate(emoti_voice_tts_requests_in_flight[5m]))\n",
    "counter-without-rate": "- record: job:r:sum\n  expr: sum by (job) (emoti_voice_tts_requests_total)\n",
    "alert-without-for": "- alert: A\n  expr: emoti_voice_tts_requests_in_flight > 5\n",
}


@pytest.mark.parametrize("check_id", sorted(_PINT_CASES))
def test_pints_bad_rules_get_a_finding_from_the_right_check(tmp_path: Path, check_id: str) -> None:
    findings = _lint(tmp_path, _PINT_CASES[check_id], load_spec("specs/emotivoice.yaml"))
    assert ALIASES.get(check_id, check_id) in {f.check for f in findings}, [str(f) for f in findings]


def test_the_schema_offers_exactly_the_models_external_types() -> None:
    from mongen.model import EXTERNAL_TYPES
    from mongen.spec.schema import spec_schema

    external = spec_schema()["properties"]["external_metrics"]["items"]["properties"]
    assert external["type"]["enum"] == list(EXTERNAL_TYPES)


def test_an_or_of_two_shapes_has_unknown_labels(tmp_path: Path) -> None:
    """`x or vector(0)` (the usual default for a missing series): the result has the series' labels
    or none, so neither `by (job)` nor a template on `job` is wrong."""
    rules = (
        "- alert: Busy\n  expr: sum by (job) (emoti_voice_tts_requests_in_flight or vector(0)) > 5\n"
        + _ALERT_TAIL.replace("    ", "  ").replace("summary: s", "summary: '{{ $labels.job }}'")
    )
    assert _lint(tmp_path, rules, load_spec("specs/emotivoice.yaml")) == []
