"""An exporter job several services name (dcgm-exporter on the GPU hosts they share) is one job in
the project's prometheus.yml: the showcase specs, which both scrape `dcgm-exporter`, share a tree."""

from __future__ import annotations

from pathlib import Path

import yaml

from mongen import layout, pipeline
from mongen.loading import load_spec

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
