"""The GPU row from dcgm-exporter's series: present when the spec scrapes dcgm-exporter or alerts
on its frame buffer, with the real DCGM names and labels and the alert's threshold drawn."""

from __future__ import annotations

from typing import Any

from mongen.dashboard_checks import dashboard_problems, series_read
from mongen.generators.grafana import dashboard
from mongen.generators.grafana.gpu import ROW_TITLE, gpu
from tests.support.spec_documents import Doc, spec_from, titles

DCGM_JOB = {"job": "dcgm-exporter", "exporter": "dcgm", "static_targets": ["gpu-node-1:9400"]}
FRAME_BUFFER_ALERT = {
    "name": "LlmGpuFrameBufferFull",
    "kind": "dcgm_frame_buffer",
    "threshold": 0.9,
    "for": "5m",
    "severity": "ticket",
}


def without_gpu(doc: Doc) -> None:
    doc["scrape"].pop("exporters", None)
    doc["alerts"] = [a for a in doc["alerts"] if a["kind"] != "dcgm_frame_buffer"]


def with_dcgm(alert: bool = True, exporters: tuple[dict[str, Any], ...] = (DCGM_JOB,)) -> Any:
    def change(doc: Doc) -> None:
        without_gpu(doc)
        if exporters:
            doc["scrape"]["exporters"] = list(exporters)
        if alert:
            doc["alerts"].append(FRAME_BUFFER_ALERT)

    return change


def row_titles(board: dict[str, Any]) -> list[str]:
    return [p["title"] for p in board["panels"] if p["type"] == "row"]


def test_no_dcgm_exporter_and_no_frame_buffer_alert_give_no_gpu_row() -> None:
    spec = spec_from("specs/llm.yaml", without_gpu)
    assert gpu(spec) == ()
    assert ROW_TITLE not in row_titles(dashboard(spec))


def test_the_gpu_row_reads_the_real_dcgm_series_of_the_exporter_job_per_gpu() -> None:
    spec = spec_from("specs/llm.yaml", with_dcgm())
    ratio, used, utilization = gpu(spec)
    assert titles((ratio, used, utilization)) == [
        "GPU frame buffer used",
        "GPU frame buffer used (MiB)",
        "GPU utilization",
    ]
    assert ratio.queries[0].expr == (
        'max by (Hostname, gpu) (DCGM_FI_DEV_FB_USED{job="dcgm-exporter"} / '
        '(DCGM_FI_DEV_FB_USED{job="dcgm-exporter"} + DCGM_FI_DEV_FB_FREE{job="dcgm-exporter"}))'
    )
    assert used.queries[0].expr == 'max by (Hostname, gpu) (DCGM_FI_DEV_FB_USED{job="dcgm-exporter"})'
    assert utilization.queries[0].expr == 'max by (Hostname, gpu) (DCGM_FI_DEV_GPU_UTIL{job="dcgm-exporter"})'
    assert {q.legend for p in (ratio, used, utilization) for q in p.queries} == {"{{Hostname}} GPU {{gpu}}"}
    assert (ratio.unit, used.unit, utilization.unit) == ("percentunit", "decmbytes", "percent")


def test_the_frame_buffer_alert_draws_its_threshold_on_the_ratio_panel_only() -> None:
    ratio, used, utilization = gpu(spec_from("specs/llm.yaml", with_dcgm()))
    assert [(t.value, t.color) for t in ratio.thresholds] == [(0.9, "orange")]
    assert used.thresholds == utilization.thresholds == ()


def test_an_exporter_job_alone_gives_the_row_without_thresholds() -> None:
    ratio, _, _ = gpu(spec_from("specs/llm.yaml", with_dcgm(alert=False)))
    assert ratio.thresholds == ()


def test_two_dcgm_jobs_are_selected_together() -> None:
    second = {**DCGM_JOB, "job": "dcgm_b", "static_targets": ["gpu-node-2:9400"]}
    _, used, _ = gpu(spec_from("specs/llm.yaml", with_dcgm(exporters=(DCGM_JOB, second))))
    assert used.queries[0].expr == 'max by (Hostname, gpu) (DCGM_FI_DEV_FB_USED{job=~"dcgm\\\\-exporter|dcgm_b"})'


def test_a_frame_buffer_alert_on_declared_series_gives_the_row_over_every_job() -> None:
    def declared(doc: Doc) -> None:
        doc["external_metrics"] = [
            {
                "name": name,
                "type": "gauge",
                "labels": ["gpu", "UUID", "device", "modelName", "Hostname", "job", "instance"],
            }
            for name in ("DCGM_FI_DEV_FB_USED", "DCGM_FI_DEV_FB_FREE", "DCGM_FI_DEV_GPU_UTIL")
        ]

    def change(doc: Doc) -> None:
        with_dcgm(exporters=())(doc)
        declared(doc)

    ratio, _, _ = gpu(spec_from("specs/llm.yaml", change))
    assert series_read(ratio.queries[0].expr) == {"DCGM_FI_DEV_FB_USED", "DCGM_FI_DEV_FB_FREE"}
    assert "job" not in ratio.queries[0].expr
    assert [t.value for t in ratio.thresholds] == [0.9]


def test_the_dashboard_with_the_gpu_row_passes_the_structural_checks() -> None:
    board = dashboard(spec_from("specs/llm.yaml", with_dcgm()))
    assert ROW_TITLE in row_titles(board)
    assert row_titles(board).index(ROW_TITLE) == row_titles(board).index("Saturation") + 1
    assert dashboard_problems(board) == []
