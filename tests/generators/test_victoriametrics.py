"""VictoriaMetrics as a second engine (mongen/generators/victoriametrics.py): vmagent.yml, the
flags files, the operator's manifests, and their validation with the real binaries."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from mongen import layout
from mongen.errors import ToolMissingError
from mongen.generators import prometheus_config, victoriametrics
from mongen.generators.flags import Flag
from mongen.validate import check_victoriametrics, flag_arguments
from mongen.writer import write_tree
from tests.support import need


def _flag(flags: list[Flag], name: str) -> list[str | None]:
    return [f.value for f in flags if f.name == name]


def test_vmagent_config_is_prometheus_yml_without_what_vmagent_refuses(default_spec) -> None:
    prometheus = prometheus_config.config([default_spec])
    agent = victoriametrics.vmagent_config(prometheus)
    assert "rule_files" not in agent and "alerting" not in agent
    assert "evaluation_interval" not in agent["global"]
    assert agent["global"] == {k: v for k, v in prometheus["global"].items() if k != "evaluation_interval"}
    assert [j["job_name"] for j in agent["scrape_configs"]] == [j["job_name"] for j in prometheus["scrape_configs"]]
    for ours, theirs in zip(agent["scrape_configs"], prometheus["scrape_configs"], strict=True):
        if "file_sd_configs" in theirs:
            # The same files, seen from victoriametrics/ instead of prometheus/; the refresh is a flag.
            assert ours["file_sd_configs"] == [
                {"files": [f"../prometheus/{f}" for f in sd["files"]]} for sd in theirs["file_sd_configs"]
            ]
            ours, theirs = dict(ours), dict(theirs)
            del ours["file_sd_configs"], theirs["file_sd_configs"]
        assert ours == theirs
    # The generator did not touch prometheus.yml's data.
    assert "refresh_interval" in prometheus["scrape_configs"][1]["file_sd_configs"][0]


def test_an_absolute_file_sd_path_stays_as_written() -> None:
    prometheus = {
        "global": {"evaluation_interval": "30s"},
        "scrape_configs": [
            {"job_name": "j", "file_sd_configs": [{"files": ["/etc/t/*.json"], "refresh_interval": "2m"}]}
        ],
    }
    agent = victoriametrics.vmagent_config(prometheus)
    assert agent["scrape_configs"][0]["file_sd_configs"] == [{"files": ["/etc/t/*.json"]}]
    assert _flag(victoriametrics.flags(prometheus)["vmagent"], "promscrape.fileSDCheckInterval") == ["2m"]


def test_flags_follow_prometheus_yml(default_spec) -> None:
    flags = victoriametrics.flags(prometheus_config.config([default_spec]))
    assert _flag(flags["vmagent"], "promscrape.fileSDCheckInterval") == ["1m"]
    assert _flag(flags["vmalert"], "rule") == list(layout.rule_files(default_spec.service).values())
    assert _flag(flags["vmalert"], "notifier.url") == [f"http://{t}" for t in default_spec.scrape.alertmanagers]
    assert _flag(flags["vmalert"], "evaluationInterval") == ["30s"]
    assert _flag(flags["vmalert"], "disableAlertgroupLabel") == [None]
    assert _flag(flags["victoria-metrics"], "search.latencyOffset") == ["15s"]


@pytest.mark.parametrize(("evaluation", "offset"), [(1, 5), (10, 5), (30, 15), (60, 30), (600, 30)])
def test_latency_offset_is_half_the_evaluation_interval_within_bounds(evaluation: int, offset: int) -> None:
    assert victoriametrics.latency_offset(evaluation) == offset


def test_no_files_without_the_engine(default_spec) -> None:
    from dataclasses import replace

    files = victoriametrics.generate(replace(default_spec, engines=("prometheus",)))
    assert files == {}


def test_operator_manifests_mirror_the_prometheus_operator_ones(default_files) -> None:
    rule = yaml.safe_load(default_files[layout.vm_rule("emotivoice")])
    prom_rule = yaml.safe_load(default_files[layout.prometheus_rule("emotivoice")])
    assert (rule["kind"], rule["apiVersion"]) == ("VMRule", "operator.victoriametrics.com/v1beta1")
    assert rule["spec"] == prom_rule["spec"]
    scrape = yaml.safe_load(default_files[layout.vm_pod_scrape("emotivoice")])
    monitor = yaml.safe_load(default_files[layout.pod_monitor("emotivoice")])
    assert scrape["kind"] == "VMPodScrape"
    (endpoint,) = scrape["spec"]["podMetricsEndpoints"]
    (theirs,) = monitor["spec"]["podMetricsEndpoints"]
    assert endpoint["relabelConfigs"] == theirs["relabelings"]
    assert scrape["spec"]["selector"] == monitor["spec"]["selector"]
    assert scrape["spec"]["namespaceSelector"] == monitor["spec"]["namespaceSelector"]


def test_flag_arguments_skip_comments_and_blank_lines() -> None:
    assert flag_arguments("# a\n\n-x=1\n  # b\n-y\n") == ["-x=1", "-y"]


@pytest.fixture
def tree(default_files, tmp_path: Path) -> Path:
    for tool in ("vmagent", "vmalert", "victoria-metrics"):
        need(tool)
    write_tree(tmp_path, default_files)
    return tmp_path


def test_the_generated_files_pass_the_real_binaries(tree: Path) -> None:
    assert check_victoriametrics(tree) == []


def test_a_prometheus_only_field_fails_vmagents_strict_parser(tree: Path) -> None:
    path = tree / layout.VMAGENT_CONFIG
    path.write_text(path.read_text().replace("global:\n", "global:\n  evaluation_interval: 30s\n"))
    findings = check_victoriametrics(tree)
    # vmagent.flags names the same file, so its dry run fails too.
    assert [(f.file, f.check) for f in findings] == [
        (layout.VMAGENT_CONFIG, "vmagent-config"),
        (layout.engine_flags(layout.VICTORIAMETRICS_DIR, "vmagent"), "vm-flags"),
    ]
    assert all("field evaluation_interval not found" in f.message for f in findings)


def test_file_sd_refresh_interval_fails_vmagents_strict_parser(tree: Path) -> None:
    path = tree / layout.VMAGENT_CONFIG
    text = path.read_text()
    path.write_text(text.replace("  - files:\n", "  - refresh_interval: 1m\n    files:\n", 1))
    findings = check_victoriametrics(tree)
    assert [f.check for f in findings] == ["vmagent-config", "vm-flags"]
    assert "field refresh_interval not found" in findings[0].message


def test_a_broken_rule_file_fails_vmalert(tree: Path) -> None:
    path = tree / layout.rule_file("emotivoice", "alerts")
    path.write_text(path.read_text().replace("expr: |", "expr: sum(( |", 1))
    assert "vmalert-rules" in [f.check for f in check_victoriametrics(tree)]


def test_an_unknown_flag_fails_its_binary(tree: Path) -> None:
    path = tree / layout.engine_flags(layout.VICTORIAMETRICS_DIR, "victoria-metrics")
    path.write_text(path.read_text() + "-search.latencyOfset=15s\n")
    findings = check_victoriametrics(tree)
    assert [(f.file, f.check) for f in findings] == [(str(path.relative_to(tree)), "vm-flags")]
    assert "latencyOfset" in findings[0].message


def test_a_missing_binary_names_the_debian_package(tree: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tree))
    with pytest.raises(ToolMissingError) as raised:
        check_victoriametrics(tree)
    assert raised.value.package == "victoria-metrics"
    assert "apt-get install victoria-metrics" in str(raised.value)


def test_a_tree_without_victoriametrics_files_needs_no_binary(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    assert check_victoriametrics(tmp_path) == []


def test_an_ops_tree_has_one_vmagent_and_vmalert_for_every_service() -> None:
    from mongen.pipeline import render_specs

    files = render_specs(["specs/emotivoice.yaml", "specs/multi-slo.yaml"])
    jobs = [j["job_name"] for j in yaml.safe_load(files[layout.VMAGENT_CONFIG])["scrape_configs"]]
    prometheus_jobs = [j["job_name"] for j in yaml.safe_load(files[layout.PROMETHEUS_CONFIG])["scrape_configs"]]
    assert jobs == prometheus_jobs and any(j.startswith("asr") for j in jobs) and "emotivoice-static" in jobs
    vmalert = flag_arguments(files[layout.engine_flags(layout.VICTORIAMETRICS_DIR, "vmalert")])
    rules = [a.removeprefix("-rule=") for a in vmalert if a.startswith("-rule=")]
    assert rules == [*layout.rule_files("asr-gateway").values(), *layout.rule_files("emotivoice").values()]
    # The merged prometheus.yml's global interval: the smaller of the two specs' (20s and 30s).
    assert "-evaluationInterval=20s" in vmalert
