"""Each SLO's page and ticket alerts as the spec shapes them (`slos[].alerts`): their severity
routes them, their labels and annotations reach the rule, a tier can be turned off; `lint`'s
unrouted-severity check agrees with `generate`."""

from __future__ import annotations

from pathlib import Path

import yaml

from mongen import layout
from mongen.generators.alertmanager import NULL_RECEIVER, config, inhibit_rules
from mongen.lint.runner import lint
from mongen.loading import build_spec
from mongen.model import Spec
from mongen.pipeline import render
from mongen.rules.ruleset import rule_set
from mongen.spec.loader import load_yaml
from tests.support import ROOT

DEFAULT_SPEC = ROOT / "specs/emotivoice.yaml"

# The default spec with the routes most teams use: critical and warning, no default receiver.
RENAMED = {
    "    page: [oncall-dingtalk, oncall-wecom]\n    ticket: [sre-email]\n": (
        "    critical: [oncall-dingtalk, oncall-wecom]\n    warning: [sre-email]\n"
    ),
    "  default_receiver: sre-email\n": "",
    "    severity: page\n": "    severity: critical\n",
    "    severity: ticket\n": "    severity: warning\n",
    # dcgm-exporter's preset alert pack pages and tickets too.
    'static_targets: ["192.168.1.10:9400", "192.168.1.11:9400"]}\n': (
        'static_targets: ["192.168.1.10:9400", "192.168.1.11:9400"],\n'
        "       alerts: {critical_xid: {severity: critical}, remapped_rows: {severity: warning},\n"
        "                temperature: {severity: warning}, exporter_down: {severity: warning}}}\n"
    ),
}
TIERS = """    alerts:
      page: {severity: critical, labels: {team: tts}, annotations: {playbook: "see {{ the wiki }}"}}
      ticket: {severity: warning}
"""


def _spec(replacements: dict[str, str], tiers: str = TIERS, path: Path = DEFAULT_SPEC) -> Spec:
    text = path.read_text()
    for old, new in replacements.items():
        assert old in text, old
        text = text.replace(old, new)
    text = text.replace("    objective: 99.9\n", "    objective: 99.9\n" + tiers)
    text = text.replace("    objective: 99\n", "    objective: 99\n" + tiers)
    return build_spec(load_yaml(text, str(path)))


def _receivers(spec: Spec, severity: str) -> tuple[str, ...]:
    """The receivers Alertmanager's generated route tree sends `severity` to (first match wins;
    `continue` goes on), or the root receiver."""
    tree = config([spec])["route"]
    out = []
    for route in tree["routes"]:
        if route["matchers"] == [f'severity="{severity}"']:
            out.append(route["receiver"])
            if not route.get("continue"):
                break
    return tuple(out) or (tree["receiver"],)


def test_renamed_routes_with_tier_severities_route_every_generated_alert_to_someone() -> None:
    spec = _spec(RENAMED)
    integrations = {r["name"]: len(r) > 1 for r in config([spec])["receivers"]}
    for rule in rule_set(spec).all_alerts:
        receivers = _receivers(spec, dict(rule.labels)["severity"])
        assert NULL_RECEIVER not in receivers, rule.name
        assert all(integrations[r] for r in receivers), rule.name


def test_tier_labels_and_annotations_reach_the_rule() -> None:
    spec = _spec(RENAMED)
    doc = yaml.safe_load(render(spec)[layout.rule_files(spec.service)["alerts"]])
    rules = {r["alert"]: r for g in doc["groups"] for r in g["rules"] if "alert" in r}
    page = rules["EmotivoiceAvailabilityErrorBudgetBurnPage"]
    assert page["labels"]["severity"] == "critical"
    assert page["labels"]["team"] == "tts"
    assert page["labels"]["slo_tier"] == "page"
    # Literal text: Go's `{{` is escaped in the rule, so the annotation reads as written.
    assert page["annotations"]["playbook"] == 'see {{ "{{" }} the wiki }}'
    ticket = rules["EmotivoiceLatencyErrorBudgetBurnTicket"]
    assert (ticket["labels"]["severity"], ticket["labels"]["slo_tier"]) == ("warning", "ticket")
    assert "team" not in ticket["labels"]


def test_lint_finds_no_unrouted_severity_in_what_generate_accepts(tmp_path: Path) -> None:
    spec_path = tmp_path / "spec.yaml"
    spec = _spec(RENAMED)
    text = DEFAULT_SPEC.read_text()
    for old, new in RENAMED.items():
        text = text.replace(old, new)
    text = text.replace("    objective: 99.9\n", "    objective: 99.9\n" + TIERS)
    text = text.replace("    objective: 99\n", "    objective: 99\n" + TIERS)
    spec_path.write_text(text)
    spec = build_spec(load_yaml(text, str(spec_path)))
    rules = tmp_path / "rules"
    for rel, body in render(spec).items():
        if rel.startswith(layout.RULES_DIR):
            (rules / Path(rel).name).parent.mkdir(parents=True, exist_ok=True)
            (rules / Path(rel).name).write_text(body)
    found = [f for f in lint(spec, [rules], run_promtool=False).findings if f.check == "unrouted-severity"]
    assert found == []
    # The same rules against the spec's old routes: every burn-rate alert is unrouted.
    old = build_spec(load_yaml(DEFAULT_SPEC.read_text(), str(DEFAULT_SPEC)))
    found = [f for f in lint(old, [rules], run_promtool=False).findings if f.check == "unrouted-severity"]
    assert len(found) >= 8


def test_a_disabled_ticket_has_no_rule_and_nothing_inhibits_for_it() -> None:
    tiers = "    alerts:\n      ticket: {disable: true}\n"
    spec = _spec({}, tiers)
    names = {r.name for r in rule_set(spec).all_alerts}
    assert "EmotivoiceAvailabilityErrorBudgetBurnPage" in names
    assert not any(n.endswith("ErrorBudgetBurnTicket") for n in names)
    assert inhibit_rules(spec) == ()


def test_the_slo_inhibition_requires_the_labels_it_compares(default_spec: Spec) -> None:
    (rule,) = inhibit_rules(default_spec)
    assert rule.equal == ("service", "slo")
    assert rule.source == ('slo_tier="page"', 'service=~".+"', 'slo=~".+"')
    assert rule.target == ('slo_tier="ticket"', 'service=~".+"', 'slo=~".+"')


def test_the_dashboard_names_only_the_burn_rate_alerts_that_exist() -> None:
    import json

    spec = _spec({}, "    alerts:\n      ticket: {disable: true}\n")
    board = json.loads(render(spec)[layout.dashboard(spec.service)])
    panel = next(p for p in board["panels"] if p.get("title") == "SLO availability: burn rate")
    assert panel["description"] == "Pages: EmotivoiceAvailabilityErrorBudgetBurnPage."
