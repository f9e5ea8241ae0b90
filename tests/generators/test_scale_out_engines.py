"""The `engines` choice, and the Thanos and Mimir files (generated and checked with promtool and
amtool; neither engine runs here): mongen/generators/thanos.py, mimir.py."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
import yaml

from mongen import layout
from mongen.generators import mimir, prometheus_config
from mongen.loading import load_spec, spec_schema
from mongen.model import ENGINES
from mongen.pipeline import render
from mongen.validate import check_mimir, check_prometheus_config, flag_arguments
from mongen.writer import write_tree

LLM = "specs/llm.yaml"
SERVICE = "llm-textgen"


@pytest.fixture(scope="module")
def llm_files() -> dict[str, str]:
    """The llm showcase generated for Thanos and Mimir (its spec names VictoriaMetrics, to share an
    ops tree with the default spec)."""
    return render(replace(load_spec(LLM), engines=("prometheus", "thanos", "mimir")))


def test_the_schema_lists_every_engine() -> None:
    assert tuple(spec_schema()["properties"]["engines"]["items"]["enum"]) == ENGINES


def test_the_default_is_prometheus_alone() -> None:
    assert load_spec("tests/spec_failure_cases/base.yaml").engines == ("prometheus",)
    spec = load_spec("specs/emotivoice.yaml")
    assert spec.engines == ("prometheus", "victoriametrics")
    files = render(replace(spec, engines=("prometheus",)))
    assert not [p for p in files if p.startswith((layout.VICTORIAMETRICS_DIR, layout.THANOS_DIR, layout.MIMIR_DIR))]


def test_thanos_adds_cluster_and_replica_external_labels() -> None:
    spec = replace(load_spec(LLM), engines=("prometheus", "thanos"))
    labels = prometheus_config.config([spec])["global"]["external_labels"]
    assert labels == {"cluster": "${CLUSTER}", "replica": "${REPLICA}"}
    assert "external_labels" not in prometheus_config.config([replace(spec, engines=("prometheus",))])["global"]


def test_the_ruler_reads_the_generated_rule_files(llm_files: dict[str, str]) -> None:
    arguments = flag_arguments(llm_files[layout.thanos_ruler_flags(SERVICE)])
    rule_files = [a.removeprefix("--rule-file=") for a in arguments if a.startswith("--rule-file=")]
    assert rule_files == list(layout.rule_files(SERVICE).values())
    assert all(path in llm_files for path in rule_files)
    assert "--alert.label-drop=replica" in arguments
    assert "--eval-interval=15s" in arguments


def test_mimir_rules_are_one_namespace_with_every_group(llm_files: dict[str, str]) -> None:
    doc = yaml.safe_load(llm_files[layout.mimir_rules(SERVICE)])
    plain = [g for kind in layout.rule_files(SERVICE).values() for g in yaml.safe_load(llm_files[kind])["groups"]]
    assert doc == {"namespace": SERVICE, "groups": plain}


def test_mimir_remote_write_names_the_tenant(llm_files: dict[str, str]) -> None:
    doc = yaml.safe_load(llm_files[layout.mimir_remote_write(SERVICE)])
    assert doc["remote_write"][0]["headers"] == {"X-Scope-OrgID": SERVICE}


def test_mimir_alertmanager_inlines_file_secrets_as_placeholders(llm_files: dict[str, str]) -> None:
    text = llm_files[layout.mimir_alertmanager(SERVICE)]
    assert "_file:" not in text
    assert "set `receivers[1].slack_configs[0].api_url` to the content of /etc/alertmanager/secrets/slack-url" in text
    plain = yaml.safe_load(llm_files[layout.ALERTMANAGER_CONFIG])
    tenant = yaml.safe_load(text)
    assert tenant["route"] == plain["route"]
    assert tenant.get("inhibit_rules") == plain.get("inhibit_rules")


def test_inline_secrets_finds_nested_files() -> None:
    value, found = mimir.inline_secrets({"global": {"smtp_auth_password_file": "/p"}, "r": [{"url_file": "/u"}]})
    assert value == {"global": {"smtp_auth_password": "REPLACE_BEFORE_LOADING"}, "r": [{"url": mimir._PLACEHOLDER_URL}]}
    assert found == [("global.smtp_auth_password", "/p"), ("r[0].url", "/u")]


@pytest.fixture
def llm_tree(llm_files: dict[str, str], tmp_path: Path) -> Path:
    write_tree(tmp_path, llm_files)
    return tmp_path


def test_the_generated_thanos_and_mimir_files_pass_promtool_and_amtool(llm_tree: Path) -> None:
    assert check_mimir(llm_tree) == []
    assert [f for f in check_prometheus_config(llm_tree) if f.severity == "error"] == []


def test_a_broken_mimir_rule_group_fails_promtool(llm_tree: Path) -> None:
    path = llm_tree / layout.mimir_rules(SERVICE)
    path.write_text(path.read_text().replace("expr: ", "expr: sum(( ", 1))
    assert [(f.file, f.check) for f in check_mimir(llm_tree)] == [(layout.mimir_rules(SERVICE), "mimir-rules")]


def test_a_mimir_rule_file_without_namespace_fails(llm_tree: Path) -> None:
    path = llm_tree / layout.mimir_rules(SERVICE)
    path.write_text(path.read_text().replace(f"namespace: {SERVICE}\n", ""))
    (finding,) = check_mimir(llm_tree)
    assert "expected `namespace:`" in finding.message


def test_a_broken_tenant_alertmanager_config_fails_amtool(llm_tree: Path) -> None:
    path = llm_tree / layout.mimir_alertmanager(SERVICE)
    path.write_text(path.read_text().replace("receiver: tickets", "receiver: nobody", 1))
    assert [f.check for f in check_mimir(llm_tree)] == ["mimir-alertmanager"]


def test_a_broken_remote_write_fails_promtool(llm_tree: Path) -> None:
    path = llm_tree / layout.mimir_remote_write(SERVICE)
    path.write_text(path.read_text().replace("headers:", "header:"))
    assert [f.check for f in check_mimir(llm_tree)] == ["mimir-remote-write"]
