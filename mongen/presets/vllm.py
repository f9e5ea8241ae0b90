"""vLLM's OpenAI-compatible server (`vllm serve`), checked against vLLM v0.10's metrics design
document (docs/design/metrics.md): series prefixed `vllm:`, each labelled `model_name`; the
request counter also `finished_reason` (stop, length, abort). V1 engines renamed
`vllm:gpu_cache_usage_perc` to `vllm:kv_cache_usage_perc` (a fraction, 0 to 1), the name used here.
"""

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
    histogram_value_above,
    sel,
    share_rate,
)

MODEL = "model_name"
WAITING, RUNNING, KV_CACHE = "vllm:num_requests_waiting", "vllm:num_requests_running", "vllm:kv_cache_usage_perc"
FINISHED = "vllm:request_success_total"
TTFT, E2E = "vllm:time_to_first_token_seconds", "vllm:e2e_request_latency_seconds"
# vLLM's own bucket bounds for time to first token, up to 80 s.
TTFT_BUCKETS = (
    0.001,
    0.005,
    0.01,
    0.02,
    0.04,
    0.06,
    0.08,
    0.1,
    0.25,
    0.5,
    0.75,
    1.0,
    2.5,
    5.0,
    7.5,
    10.0,
    20.0,
    40.0,
    80.0,
)
LATENCY_BUCKETS = (0.3, 0.5, 0.8, 1.0, 1.5, 2.0, 2.5, 5.0, 10.0, 15.0, 20.0, 30.0, 40.0, 50.0, 60.0)
TOKEN_BUCKETS = (1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0, 200.0, 500.0, 1000.0, 2000.0, 5000.0, 10000.0)
# The model the simulated server serves.
SERVED = ((MODEL, "meta-llama/Meta-Llama-3-8B-Instruct"),)
FINISHED_PER_SECOND = 6.0  # stop 5/s, length 1/s
PER_MODEL = (MODEL,)
OUT = ("job", "instance", MODEL)
ABORTED = 'finished_reason="abort"'

SERIES = (
    PresetSeries(RUNNING, "gauge", "Requests running on the GPU.", PER_MODEL),
    PresetSeries(WAITING, "gauge", "Requests waiting to be scheduled.", PER_MODEL),
    PresetSeries(KV_CACHE, "gauge", "KV-cache usage, 1 = 100%.", PER_MODEL),
    PresetSeries(FINISHED, "counter", "Requests finished, by reason.", (MODEL, "finished_reason")),
    PresetSeries("vllm:prompt_tokens_total", "counter", "Prefill tokens processed.", PER_MODEL),
    PresetSeries("vllm:generation_tokens_total", "counter", "Generation tokens processed.", PER_MODEL),
    PresetSeries(TTFT, "histogram", "Time to first token in seconds.", PER_MODEL, TTFT_BUCKETS),
    PresetSeries("vllm:inter_token_latency_seconds", "histogram", "Inter-token latency.", PER_MODEL, TTFT_BUCKETS),
    PresetSeries(E2E, "histogram", "End to end request latency in seconds.", PER_MODEL, LATENCY_BUCKETS),
    PresetSeries("vllm:request_queue_time_seconds", "histogram", "Time waiting.", PER_MODEL, LATENCY_BUCKETS),
    PresetSeries("vllm:request_prompt_tokens", "histogram", "Prompt tokens per request.", PER_MODEL, TOKEN_BUCKETS),
    PresetSeries(
        "vllm:request_generation_tokens", "histogram", "Generated tokens per request.", PER_MODEL, TOKEN_BUCKETS
    ),
)

HEALTHY = (
    Reading(RUNNING, SERVED, 8),
    Reading(WAITING, SERVED, 1),
    Reading(KV_CACHE, SERVED, 0.4),
    Reading(FINISHED, (*SERVED, ("finished_reason", "stop")), 5),
    Reading(FINISHED, (*SERVED, ("finished_reason", "length")), 1),
    Reading(FINISHED, (*SERVED, ("finished_reason", "abort")), 0),
    Reading("vllm:prompt_tokens_total", SERVED, 600),
    Reading("vllm:generation_tokens_total", SERVED, 1200),
    Reading(TTFT, SERVED, 0.1, rate=6),
    Reading("vllm:inter_token_latency_seconds", SERVED, 0.02, rate=100),
    Reading(E2E, SERVED, 2.5, rate=6),
    Reading("vllm:request_queue_time_seconds", SERVED, 0.3, rate=6),
    Reading("vllm:request_prompt_tokens", SERVED, 100, rate=6),
    Reading("vllm:request_generation_tokens", SERVED, 200, rate=6),
)


def _ttft_p95(job: str, threshold: float) -> str:
    rate = f"rate({sel(TTFT + '_bucket', job)}[5m])"
    return f"histogram_quantile(0.95, sum {by(*OUT, 'le')} ({rate})) > {threshold:g}"


def _aborted_share(job: str, threshold: float) -> str:
    aborted = f"sum {by(*OUT)} (rate({sel(FINISHED, job, ABORTED)}[5m]))"
    finished = f"sum {by(*OUT)} (rate({sel(FINISHED, job)}[5m]))"
    return f"{aborted} / {finished} > {threshold:g}"


ALERTS = (
    PresetAlert(
        "requests_waiting",
        "VllmRequestsWaitingHigh",
        lambda job, t: f"max {by(*OUT)} ({sel(WAITING, job)}) > {t:g}",
        "vLLM on {{ $labels.instance }} has requests waiting for a slot",
        "More than {threshold} requests of {{ $labels.model_name }} wait to be scheduled: the server is saturated.",
        OUT,
        "ticket",
        300,
        lambda t: (Reading(WAITING, SERVED, t * 2 + 1),),
        threshold=10,
        threshold_range=(0, 100000),
        first_checks=("Whether traffic grew or generation slowed (the vLLM row's running and waiting requests).",),
    ),
    PresetAlert(
        "kv_cache_usage",
        "VllmKvCacheNearlyFull",
        lambda job, t: f"max {by(*OUT)} ({sel(KV_CACHE, job)}) > {t:g}",
        "vLLM on {{ $labels.instance }} has its KV cache nearly full",
        "KV-cache usage of {{ $labels.model_name }} is above {threshold} (1 = full): requests get preempted.",
        OUT,
        "ticket",
        300,
        lambda t: (Reading(KV_CACHE, SERVED, between(t)),),
        threshold=0.95,
        threshold_range=(0.01, 0.99),
    ),
    PresetAlert(
        "ttft_p95",
        "VllmTimeToFirstTokenP95High",
        _ttft_p95,
        "vLLM on {{ $labels.instance }} is slow to the first token",
        "P95 time to first token of {{ $labels.model_name }} is above {threshold}s.",
        OUT,
        "page",
        300,
        lambda t: (Reading(TTFT, SERVED, histogram_value_above(TTFT_BUCKETS, t), rate=6),),
        threshold=2,
        threshold_range=(TTFT_BUCKETS[7], TTFT_BUCKETS[-3]),
    ),
    PresetAlert(
        "error_share",
        "VllmAbortedShareHigh",
        _aborted_share,
        "vLLM on {{ $labels.instance }} aborts requests",
        "More than {threshold} of the requests of {{ $labels.model_name }} finish aborted (finished_reason=abort).",
        OUT,
        "page",
        300,
        lambda t: (
            Reading(FINISHED, (*SERVED, ("finished_reason", "abort")), share_rate(FINISHED_PER_SECOND, between(t))),
        ),
        threshold=0.05,
        threshold_range=(0.001, 0.9),
    ),
)

RECORDING = (
    PresetRecording(
        "job_model_name:vllm_time_to_first_token_seconds:p95_rate5m",
        lambda job: f"histogram_quantile(0.95, sum {by('job', MODEL, 'le')} (rate({sel(TTFT + '_bucket', job)}[5m])))",
    ),
    PresetRecording(
        "job_model_name:vllm_generation_tokens:rate5m",
        lambda job: f"sum {by('job', MODEL)} (rate({sel('vllm:generation_tokens_total', job)}[5m]))",
    ),
)

PANELS = (
    PresetPanel("vLLM requests waiting", lambda job: f"sum {by(MODEL)} ({sel(WAITING, job)})", "none"),
    PresetPanel("vLLM requests running", lambda job: f"sum {by(MODEL)} ({sel(RUNNING, job)})", "none"),
    PresetPanel("vLLM KV-cache usage", lambda job: f"max {by(MODEL)} ({sel(KV_CACHE, job)})", "percentunit"),
    PresetPanel(
        "vLLM time to first token P95",
        lambda job: f"job_model_name:vllm_time_to_first_token_seconds:p95_rate5m{{{job}}}",
        "s",
    ),
    PresetPanel(
        "vLLM generated tokens per second", lambda job: f"job_model_name:vllm_generation_tokens:rate5m{{{job}}}", "none"
    ),
)

PRESET = Preset("vllm", "vLLM", "vLLM v0.10 (docs/design/metrics.md)", SERIES, HEALTHY, ALERTS, RECORDING, PANELS)
