"""Prometheus Operator manifests: Operator field names and types, and the same rules as the plain files."""

from __future__ import annotations

import json

import jsonschema
import pytest
import yaml

from mongen.generators.rules import rule_groups
from tests.support import ROOT

SCHEMA = json.loads((ROOT / "tests/data/operator-v1.schema.json").read_text())


@pytest.mark.parametrize("name", ["emotivoice-prometheusrule.yml", "emotivoice-podmonitor.yml"])
def test_manifest_matches_operator_schema(default_files: dict[str, str], name: str) -> None:
    manifest = yaml.safe_load(default_files[f"kubernetes/{name}"])
    jsonschema.Draft202012Validator(SCHEMA).validate(manifest)
    assert manifest["metadata"]["labels"]["release"] == "kube-prometheus-stack"


def test_schema_rejects_a_misspelt_field(default_files: dict[str, str]) -> None:
    manifest = yaml.safe_load(default_files["kubernetes/emotivoice-podmonitor.yml"])
    manifest["spec"]["podMetricsEndpoints"][0]["scrape_timeout"] = manifest["spec"]["podMetricsEndpoints"][0].pop(
        "scrapeTimeout"
    )
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft202012Validator(SCHEMA).validate(manifest)


def test_prometheusrule_carries_exactly_the_plain_rule_groups(default_spec, default_files: dict[str, str]) -> None:
    manifest = yaml.safe_load(default_files["kubernetes/emotivoice-prometheusrule.yml"])
    plain = [
        g
        for file in ("recording", "slos", "alerts")
        for g in yaml.safe_load(default_files[f"prometheus/rules/emotivoice-{file}.yml"])["groups"]
    ]
    assert manifest["spec"]["groups"] == plain
    assert len(plain) == sum(len(v) for v in rule_groups(default_spec).values())


def test_podmonitor_scrapes_the_metrics_port(default_files: dict[str, str]) -> None:
    endpoint = yaml.safe_load(default_files["kubernetes/emotivoice-podmonitor.yml"])["spec"]["podMetricsEndpoints"][0]
    assert endpoint == {
        "port": "metrics",
        "path": "/metrics",
        "interval": "30s",
        "scrapeTimeout": "10s",
        # The same `job` and `service` as every job of prometheus.yml: the rules select them.
        "relabelings": [
            {"targetLabel": "job", "replacement": "emotivoice"},
            {"targetLabel": "service", "replacement": "emotivoice"},
        ],
    }


@pytest.mark.parametrize(
    ("namespaces", "selector"),
    [("namespaces: [tts]", {"matchNames": ["tts"]}), ("", {"any": True})],
)
def test_podmonitor_looks_where_pod_discovery_looks(tmp_path, namespaces: str, selector: dict[str, object]) -> None:
    from mongen.generators import kubernetes
    from mongen.loading import load_spec

    text = (ROOT / "specs/emotivoice.yaml").read_text()
    assert "    namespaces: [tts]\n" in text
    spec_file = tmp_path / "spec.yaml"
    spec_file.write_text(text.replace("    namespaces: [tts]\n", f"    {namespaces}\n" if namespaces else ""))
    spec = load_spec(str(spec_file))
    monitor = yaml.safe_load(kubernetes.generate(spec)["kubernetes/emotivoice-podmonitor.yml"])
    # Without namespaces prometheus.yml's pod discovery sees every namespace; so must the PodMonitor.
    assert monitor["spec"]["namespaceSelector"] == selector
