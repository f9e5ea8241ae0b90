"""Hugging Face Text Generation Inference's router metrics, checked against TGI 3.x's
docs/source/reference/metrics.md: `tgi_` histograms in seconds without a unit suffix
(`tgi_request_duration`), the queue size gauge, batch gauges; the router's series carry no
labels of their own."""

from __future__ import annotations

from mongen.presets.base import (
    Preset,
    PresetAlert,
    PresetPanel,
    PresetRecording,
    PresetSeries,
    Reading,
    by,
    histogram_value_above,
    sel,
)

QUEUE, DURATION = "tgi_queue_size", "tgi_request_duration"
QUEUE_DURATION, PER_TOKEN = "tgi_request_queue_duration", "tgi_request_mean_time_per_token_duration"
BATCH = "tgi_batch_current_size"
# The simulated router's bounds, seconds.
BUCKETS = (0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 20.0, 30.0, 60.0, 120.0)
OUT = ("job", "instance")

SERIES = (
    PresetSeries(QUEUE, "gauge", "Current queue size.", ()),
    PresetSeries(BATCH, "gauge", "Current batch size.", ()),
    PresetSeries("tgi_request_count", "counter", "Total number of requests.", ()),
    PresetSeries("tgi_request_success", "counter", "Number of successful requests.", ()),
    PresetSeries(DURATION, "histogram", "Request duration.", (), BUCKETS),
    PresetSeries(QUEUE_DURATION, "histogram", "Time spent in the queue.", (), BUCKETS),
    PresetSeries(PER_TOKEN, "histogram", "Mean time per token per request.", (), BUCKETS),
)

HEALTHY = (
    Reading(QUEUE, (), 2),
    Reading(BATCH, (), 8),
    Reading("tgi_request_count", (), 4),
    Reading("tgi_request_success", (), 4),
    Reading(DURATION, (), 2.5, rate=4),
    Reading(QUEUE_DURATION, (), 0.05, rate=4),
    Reading(PER_TOKEN, (), 0.05, rate=4),
)


def _p95(name: str, job: str) -> str:
    return f"histogram_quantile(0.95, sum {by(*OUT, 'le')} (rate({sel(name + '_bucket', job)}[5m])))"


ALERTS = (
    PresetAlert(
        "queue_size",
        "TgiQueueSizeHigh",
        lambda job, t: f"max {by(*OUT)} ({sel(QUEUE, job)}) > {t:g}",
        "TGI on {{ $labels.instance }} has a long queue",
        "More than {threshold} requests wait in the router's queue: the batch is full.",
        OUT,
        "ticket",
        300,
        lambda t: (Reading(QUEUE, (), t * 2 + 1),),
        threshold=20,
        threshold_range=(0, 100000),
    ),
    PresetAlert(
        "request_duration",
        "TgiRequestDurationP95High",
        lambda job, t: f"{_p95(DURATION, job)} > {t:g}",
        "TGI on {{ $labels.instance }} answers slowly",
        "P95 request duration is above {threshold}s.",
        OUT,
        "page",
        300,
        lambda t: (Reading(DURATION, (), histogram_value_above(BUCKETS, t), rate=4),),
        threshold=10,
        threshold_range=(BUCKETS[5], BUCKETS[-3]),
    ),
)

RECORDING = (
    PresetRecording(
        "job:tgi_request_duration:p95_rate5m",
        lambda job: f"histogram_quantile(0.95, sum {by('job', 'le')} (rate({sel(DURATION + '_bucket', job)}[5m])))",
    ),
)

PANELS = (
    PresetPanel("TGI queue size", lambda job: f"max ({sel(QUEUE, job)})", "none"),
    PresetPanel("TGI request duration P95", lambda job: f"job:tgi_request_duration:p95_rate5m{{{job}}}", "s"),
    PresetPanel("TGI batch size", lambda job: f"max ({sel(BATCH, job)})", "none"),
)

PRESET = Preset(
    "tgi",
    "Text Generation Inference",
    "TGI 3.x (docs/source/reference/metrics.md)",
    SERIES,
    HEALTHY,
    ALERTS,
    RECORDING,
    PANELS,
)
