"""Grafana beyond one host: the spec's `grafana` section names the datasource (URL, name, uid), the
dashboard's folder and the provisioning path; several services in one tree each get their folder
and their own directory, and share one datasource per uid."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from mongen import layout
from mongen.pipeline import render_specs
from tests.support import ROOT

GRAFANA = """grafana:
  url: https://grafana.example.com
  datasource:
    url: http://prometheus.monitoring.svc:9090/
    name: Prometheus EU
    uid: prom-eu
  folder: Speech services
  dashboards_path: /srv/grafana/dashboards/tts
"""


def _spec(directory: Path, name: str, edit: dict[str, str] | None = None) -> str:
    text = (ROOT / f"specs/{name}.yaml").read_text("utf-8")
    for old, new in (edit or {}).items():
        assert old in text, old
        text = text.replace(old, new, 1)
    path = directory / f"{name}.yaml"
    path.write_text(text, "utf-8")
    return str(path)


def _provider(files: dict[str, str], service: str) -> dict[str, object]:
    provider: dict[str, object] = yaml.safe_load(files[layout.dashboard_provider(service)])["providers"][0]
    return provider


def test_the_spec_names_datasource_folder_and_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    spec = _spec(tmp_path, "emotivoice", {"grafana:\n  url: https://grafana.example.com\n": GRAFANA})
    files = render_specs([spec])
    (source,) = yaml.safe_load(files[layout.GRAFANA_DATASOURCE])["datasources"]
    assert (source["url"], source["name"], source["uid"]) == (
        "http://prometheus.monitoring.svc:9090",
        "Prometheus EU",
        "prom-eu",
    )
    provider = _provider(files, "emotivoice")
    assert provider["folder"] == "Speech services"
    assert provider["options"] == {"path": "/srv/grafana/dashboards/tts", "foldersFromFilesStructure": False}
    board = json.loads(files[layout.dashboard("emotivoice")])
    assert board["templating"]["list"][0]["current"]["value"] == "prom-eu"  # the dashboard reads that datasource


def test_defaults_give_each_service_its_folder_and_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    llm = _spec(tmp_path, "llm", {"{job: dcgm-exporter,": "{job: llm-dcgm-exporter,"})
    files = render_specs([_spec(tmp_path, "emotivoice"), llm])
    paths = set()
    for service in ("emotivoice", "llm-textgen"):
        provider = _provider(files, service)
        assert provider["folder"] == service
        paths.add(provider["options"]["path"])  # type: ignore[index]
    # Providers sharing a directory would each load both dashboards.
    assert paths == {"/var/lib/grafana/dashboards/mongen/emotivoice", "/var/lib/grafana/dashboards/mongen/llm-textgen"}
    (source,) = yaml.safe_load(files[layout.GRAFANA_DATASOURCE])["datasources"]
    assert source["uid"] == "mongen-prometheus" and source["url"] == "http://127.0.0.1:9090"
    assert source["jsonData"]["timeInterval"] == "15s"  # llm's scrape interval, the smaller one


def test_services_on_two_prometheus_get_two_datasources(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    llm = _spec(
        tmp_path,
        "llm",
        {
            "{job: dcgm-exporter,": "{job: llm-dcgm-exporter,",
            "\nenums:": "\ngrafana:\n  datasource: {url: 'http://prometheus-llm:9090', name: LLM, uid: prom-llm}\n"
            "  folder: LLM\n\nenums:",
        },
    )
    files = render_specs([_spec(tmp_path, "emotivoice"), llm])
    sources = yaml.safe_load(files[layout.GRAFANA_DATASOURCE])["datasources"]
    assert [(s["uid"], s["url"], s["jsonData"]["timeInterval"]) for s in sources] == [
        ("mongen-prometheus", "http://127.0.0.1:9090", "30s"),
        ("prom-llm", "http://prometheus-llm:9090", "15s"),
    ]
    assert _provider(files, "llm-textgen")["folder"] == "LLM"
    board = json.loads(files[layout.dashboard("llm-textgen")])
    assert board["templating"]["list"][0]["current"]["value"] == "prom-llm"
