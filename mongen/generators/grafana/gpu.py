"""The GPU row from dcgm-exporter's series, for a spec that scrapes it (`scrape.exporters` with
`exporter: dcgm`) or has an alert that draws its threshold on the frame-buffer panel.

Its series keep dcgm-exporter's own labels and their own `job` (the exporter's scrape job), so
these queries select that job instead of the service's `$job` and read the raw series (no
recording rule: they are a few series per GPU). Each panel shows one line per GPU, by
`Hostname` and `gpu`, the labels dcgm-exporter writes on every series.
"""

from __future__ import annotations

from mongen.generators.grafana.panels import Panel, Query
from mongen.generators.grafana.queries import JOB, alert_thresholds
from mongen.model import Spec
from mongen.promql import by_clause, quote, regex_alternation
from mongen.vocabulary.dcgm import DCGM_FB_FREE, DCGM_FB_USED, DCGM_GPU_UTIL

ROW_TITLE = "GPU (dcgm-exporter)"
PER_GPU = ("Hostname", "gpu")  # dcgm-exporter's host and GPU index labels
LEGEND = "{{Hostname}} GPU {{gpu}}"
MIB_UNIT = "decmbytes"  # Grafana's MiB: dcgm-exporter reports the frame buffer in MiB
PERCENT_UNIT = "percent"  # DCGM_FI_DEV_GPU_UTIL is 0 to 100


def dcgm_jobs(spec: Spec) -> tuple[str, ...]:
    return tuple(e.job for e in spec.scrape.exporters if e.exporter == "dcgm")


def has_gpu_row(spec: Spec) -> bool:
    return bool(dcgm_jobs(spec)) or bool(alert_thresholds(spec, "gpu_frame_buffer", None))


def dcgm_selector(spec: Spec) -> str:
    """`{job="dcgm-exporter"}`: the spec's dcgm-exporter jobs; none (every job) when the spec
    declares the series without scraping them (its own external_metrics say where they come from)."""
    jobs = dcgm_jobs(spec)
    if not jobs:
        return ""
    if len(jobs) == 1:
        return "{" + f"{JOB}={quote(jobs[0])}" + "}"
    return "{" + f"{JOB}=~{quote(regex_alternation(jobs))}" + "}"


def per_gpu(expr: str) -> str:
    """One series per GPU, whatever else dcgm-exporter writes (pod labels, UUID)."""
    return f"max {by_clause(PER_GPU)} ({expr})"


def gpu(spec: Spec) -> tuple[Panel, ...]:
    """Frame buffer used share (with the frame-buffer alerts' thresholds), used MiB, utilization."""
    if not has_gpu_row(spec):
        return ()
    this = dcgm_selector(spec)
    used, free = f"{DCGM_FB_USED}{this}", f"{DCGM_FB_FREE}{this}"
    return (
        Panel(
            "GPU frame buffer used",
            (Query(per_gpu(f"{used} / ({used} + {free})"), LEGEND),),
            "percentunit",
            thresholds=alert_thresholds(spec, "gpu_frame_buffer", None),
            description=f"{DCGM_FB_USED} / ({DCGM_FB_USED} + {DCGM_FB_FREE}) per GPU.",
        ),
        Panel("GPU frame buffer used (MiB)", (Query(per_gpu(used), LEGEND),), MIB_UNIT),
        Panel("GPU utilization", (Query(per_gpu(f"{DCGM_GPU_UTIL}{this}"), LEGEND),), PERCENT_UNIT),
    )
