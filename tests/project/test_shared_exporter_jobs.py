"""An exporter job several services name (dcgm-exporter on the GPU hosts they share) is one job in
the project's prometheus.yml: the showcase specs, which both scrape `dcgm-exporter`, share a tree."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from mongen import generators, layout, pipeline
from mongen.errors import SpecError
from mongen.loading import load_spec
from tests.support import ROOT

SHOWCASES = ["specs/emotivoice.yaml", "specs/llm.yaml"]


def test_the_showcase_specs_share_one_tree_with_one_dcgm_job(tmp_path: Path) -> None:
    out = tmp_path / "ops"
    result = pipeline.generate(SHOWCASES, out)
    assert result.written, [str(f) for f in result.findings if f.severity == "error"]
    jobs = yaml.safe_load((out / layout.PROMETHEUS_CONFIG).read_text())["scrape_configs"]
    dcgm = [job for job in jobs if job["job_name"] == "dcgm-exporter"]
    assert len(dcgm) == 1
    targets = [t for config in dcgm[0]["static_configs"] for t in config["targets"]]
    exporters = [e for spec in SHOWCASES for e in load_spec(spec).scrape.exporters if e.job == "dcgm-exporter"]
    own = [t for e in exporters for t in e.static_targets]
    assert sorted(targets) == sorted(set(own)) and len(targets) == len(set(own))
    # Each service keeps its own frame-buffer alert over the series of the one job.
    for spec in SHOWCASES:
        model = load_spec(spec)
        alerts = (out / layout.rule_files(model.service)["alerts"]).read_text()
        assert "DCGM_FI_DEV_FB_USED" in alerts, model.service


def _showcases(directory: Path, edits: dict[str, dict[str, str]]) -> list[str]:
    paths = []
    for spec in SHOWCASES:
        text = (ROOT / spec).read_text("utf-8")
        for old, new in edits.get(spec, {}).items():
            assert text.count(old) == 1, old
            text = text.replace(old, new)
        path = directory / Path(spec).name
        path.write_text(text, "utf-8")
        paths.append(str(path))
    return paths


def test_one_shared_job_scrapes_within_every_service_timeout(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The exporter's interval is shorter than the scrape timeouts: the one job's timeout is the
    smallest any service declaring it gives (Prometheus refuses a timeout above the interval)."""
    monkeypatch.chdir(tmp_path)
    job = "{job: dcgm-exporter, exporter: dcgm,"
    specs = _showcases(
        tmp_path,
        {
            "specs/emotivoice.yaml": {job: job + " interval: 8s,", "  timeout: 10s\n": "  timeout: 7s\n"},
            "specs/llm.yaml": {job: job + " interval: 8s,", "  timeout: 10s\n": "  timeout: 5s\n"},
        },
    )
    jobs = yaml.safe_load(pipeline.render_specs(specs)[layout.PROMETHEUS_CONFIG])["scrape_configs"]
    (dcgm,) = [j for j in jobs if j["job_name"] == "dcgm-exporter"]
    assert (dcgm["scrape_interval"], dcgm["scrape_timeout"]) == ("8s", "5s")


def test_conflicts_are_reported_before_anything_is_generated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    specs = _showcases(tmp_path, {"specs/llm.yaml": {"exporter: dcgm,": "exporter: dcgm, metrics_path: /gpu,"}})

    def no_generation(*_: object) -> dict[str, str]:
        raise AssertionError("generated before the project was checked")

    monkeypatch.setattr(generators, "GENERATORS", (no_generation,))
    monkeypatch.setattr(generators, "SHARED_GENERATORS", (no_generation,))
    with pytest.raises(SpecError) as raised:
        pipeline.render_specs(specs)
    assert [f"{i.location.file}:{i.location.line}" for i in raised.value.issues] == [
        f"{specs[0]}:217",
        f"{specs[1]}:129",
    ]
    assert all("the exporter job `dcgm-exporter` has" in i.message for i in raised.value.issues)


def test_a_shared_job_says_whose_hosts_each_service_now_watches(tmp_path: Path) -> None:
    """United targets are not silent: each service whose job lacks hosts the other adds is told
    that its alerts now watch them (and page its receivers), at its job's name; where both
    services name the same hosts, nothing changes and nothing is said."""
    result = pipeline.generate(SHOWCASES, tmp_path / "ops", validate=False)
    shared = [f for f in result.findings if "is one job with service" in f.message]
    assert [(Path(f.file).name, f.line, f.col) for f in shared] == [("emotivoice.yaml", 217, 13), ("llm.yaml", 129, 13)]
    assert "also watch gpu-node-1:9400 and page this service's receivers" in shared[0].message
    assert "also watch 192.168.1.10:9400, 192.168.1.11:9400 and page" in shared[1].message
    same = '["192.168.1.10:9400", "192.168.1.11:9400"]'
    specs = _showcases(tmp_path, {"specs/llm.yaml": {'["gpu-node-1:9400"]': same}})
    result = pipeline.generate(specs, tmp_path / "ops2", validate=False)
    assert not [f for f in result.findings if "is one job with service" in f.message]
