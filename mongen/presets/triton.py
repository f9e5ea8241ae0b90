"""NVIDIA Triton Inference Server's metrics endpoint (port 8002), checked against Triton's
docs/user_guide/metrics.md (r24.08): per-model counters labelled `model` and `version`, without a
`_total` suffix; latencies are cumulative microsecond counters, so a share of time is a ratio of
their rates."""

from __future__ import annotations

from mongen.presets.base import (
    Preset,
    PresetAlert,
    PresetPanel,
    PresetRecording,
    PresetSeries,
    Reading,
    between,
    by,
    sel,
    share_rate,
)

SUCCESS, FAILURE = "nv_inference_request_success", "nv_inference_request_failure"
REQUEST_US, QUEUE_US = "nv_inference_request_duration_us", "nv_inference_queue_duration_us"
COMPUTE_US = "nv_inference_compute_infer_duration_us"
PER_MODEL = ("model", "version")
OUT = ("job", "instance", "model", "version")
SERVED = (("model", "densenet_onnx"), ("version", "1"))
SUCCESS_PER_SECOND = 10.0
# Microseconds of request time a second: 10 requests of 100 ms each.
REQUEST_US_PER_SECOND = 1_000_000.0

SERIES = (
    PresetSeries(SUCCESS, "counter", "Number of successful inference requests, all batch sizes.", PER_MODEL),
    PresetSeries(FAILURE, "counter", "Number of failed inference requests, all batch sizes.", PER_MODEL),
    PresetSeries("nv_inference_count", "counter", "Number of inferences performed.", PER_MODEL),
    PresetSeries("nv_inference_exec_count", "counter", "Number of model executions performed.", PER_MODEL),
    PresetSeries(REQUEST_US, "counter", "Cumulative inference request duration in microseconds.", PER_MODEL),
    PresetSeries(QUEUE_US, "counter", "Cumulative inference queuing duration in microseconds.", PER_MODEL),
    PresetSeries(COMPUTE_US, "counter", "Cumulative compute inference duration in microseconds.", PER_MODEL),
    PresetSeries("nv_gpu_utilization", "gauge", "GPU utilization rate [0.0 - 1.0).", ("gpu_uuid",)),
    PresetSeries("nv_gpu_memory_used_bytes", "gauge", "GPU used memory, in bytes.", ("gpu_uuid",)),
)

HEALTHY = (
    Reading(SUCCESS, SERVED, SUCCESS_PER_SECOND),
    Reading(FAILURE, SERVED, 0),
    Reading("nv_inference_count", SERVED, 40),
    Reading("nv_inference_exec_count", SERVED, 10),
    Reading(REQUEST_US, SERVED, REQUEST_US_PER_SECOND),
    Reading(QUEUE_US, SERVED, REQUEST_US_PER_SECOND * 0.1),
    Reading(COMPUTE_US, SERVED, REQUEST_US_PER_SECOND * 0.8),
    Reading("nv_gpu_utilization", (("gpu_uuid", "GPU-00000000-0000-0000-0000-000000000000"),), 0.6),
    Reading("nv_gpu_memory_used_bytes", (("gpu_uuid", "GPU-00000000-0000-0000-0000-000000000000"),), 2e10),
)


def _rate(name: str, job: str) -> str:
    return f"sum {by(*OUT)} (rate({sel(name, job)}[5m]))"


ALERTS = (
    PresetAlert(
        "failure_ratio",
        "TritonFailureRatioHigh",
        lambda job, t: f"{_rate(FAILURE, job)} / ({_rate(SUCCESS, job)} + {_rate(FAILURE, job)}) > {t:g}",
        "Triton on {{ $labels.instance }} fails requests of {{ $labels.model }}",
        "More than {threshold} of the inference requests of model {{ $labels.model }} "
        "(version {{ $labels.version }}) fail.",
        OUT,
        "page",
        300,
        lambda t: (Reading(FAILURE, SERVED, share_rate(SUCCESS_PER_SECOND, between(t))),),
        threshold=0.05,
        threshold_range=(0.001, 0.9),
    ),
    PresetAlert(
        "queue_time_share",
        "TritonQueueTimeShareHigh",
        lambda job, t: f"{_rate(QUEUE_US, job)} / {_rate(REQUEST_US, job)} > {t:g}",
        "Triton on {{ $labels.instance }} queues requests of {{ $labels.model }}",
        "Requests of model {{ $labels.model }} spend more than {threshold} of their time queued: "
        "add instances of the model or scale out.",
        OUT,
        "ticket",
        300,
        lambda t: (Reading(QUEUE_US, SERVED, REQUEST_US_PER_SECOND * between(t)),),
        threshold=0.5,
        threshold_range=(0.01, 0.95),
    ),
)

RECORDING = (
    PresetRecording(
        "job_model:nv_inference_request_failure:ratio_rate5m",
        lambda job: (
            f"sum {by('job', 'model')} (rate({sel(FAILURE, job)}[5m])) / "
            f"(sum {by('job', 'model')} (rate({sel(SUCCESS, job)}[5m])) "
            f"+ sum {by('job', 'model')} (rate({sel(FAILURE, job)}[5m])))"
        ),
    ),
)

PANELS = (
    PresetPanel(
        "Triton inference requests per second",
        lambda job: f"sum {by('model')} (rate({sel(SUCCESS, job)}[5m]))",
        "reqps",
    ),
    PresetPanel(
        "Triton failure ratio",
        lambda job: f"job_model:nv_inference_request_failure:ratio_rate5m{{{job}}}",
        "percentunit",
    ),
    PresetPanel(
        "Triton queue time share",
        lambda job: (
            f"sum {by('model')} (rate({sel(QUEUE_US, job)}[5m])) / sum {by('model')} (rate({sel(REQUEST_US, job)}[5m]))"
        ),
        "percentunit",
    ),
)

PRESET = Preset(
    "triton", "Triton", "Triton r24.08 (docs/user_guide/metrics.md)", SERIES, HEALTHY, ALERTS, RECORDING, PANELS
)
