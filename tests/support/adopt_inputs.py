"""Inputs the importer tests share: an OpenSLO SLO with its SLI, an OpenMetrics exposition."""

from __future__ import annotations

SLO_AND_SLI = """\
apiVersion: openslo/v1
kind: SLI
metadata:
  name: checkout-errors
spec:
  ratioMetric:
    counter: true
    bad:
      metricSource:
        type: Prometheus
        spec:
          query: http_requests_total{service="checkout",code=~"5.."}
    total:
      metricSource:
        type: Prometheus
        spec:
          query: http_requests_total{service="checkout"}
---
apiVersion: openslo/v1
kind: SLO
metadata:
  name: checkout-availability
spec:
  service: checkout
  description: Checkout requests that succeed.
  indicatorRef: checkout-errors
  timeWindow:
    - duration: 28d
      isRolling: true
  budgetingMethod: Occurrences
  objectives:
    - displayName: good
      target: 0.999
---
apiVersion: openslo/v1
kind: AlertPolicy
metadata:
  name: fast-burn
spec:
  conditions:
    - conditionRef: burn-14x
"""

OPENMETRICS = """\
# TYPE tts_requests counter
# HELP tts_requests Synthesis requests.
tts_requests_total{code="200",endpoint="/synthesize"} 10
tts_requests_created{code="200",endpoint="/synthesize"} 1.7e9
tts_requests_total{code="503",endpoint="/synthesize"} 1
tts_requests_total{code="200",endpoint="/health"} 3
# TYPE tts_request_duration_seconds histogram
# UNIT tts_request_duration_seconds seconds
# HELP tts_request_duration_seconds Time to synthesize.
tts_request_duration_seconds_bucket{endpoint="/synthesize",le="0.5"} 1
tts_request_duration_seconds_bucket{endpoint="/synthesize",le="2.0"} 5
tts_request_duration_seconds_bucket{endpoint="/synthesize",le="10.0"} 9
tts_request_duration_seconds_bucket{endpoint="/synthesize",le="+Inf"} 10
tts_request_duration_seconds_count{endpoint="/synthesize"} 10
tts_request_duration_seconds_sum{endpoint="/synthesize"} 20
# TYPE tts_session_bytes gauge
# HELP tts_session_bytes Audio buffered per session.
tts_session_bytes{session="3f2a9c1e-1b2c-4d5e-8f90-123456789abc"} 10
tts_session_bytes{session="9c1e3f2a-1b2c-4d5e-8f90-abcdef012345"} 20
tts_session_bytes{session="warmup"} 0
# TYPE tts_queue_wait_seconds summary
# HELP tts_queue_wait_seconds Queue wait.
tts_queue_wait_seconds{quantile="0.5"} 0.1
tts_queue_wait_seconds_count 3
tts_queue_wait_seconds_sum 0.4
# TYPE tts_model info
# HELP tts_model The loaded model.
tts_model_info{version="2.1"} 1
# TYPE tts_cache_hits counter
# HELP tts_cache_hits Cache hits (nothing cached yet).
# TYPE process_cpu_seconds counter
# HELP process_cpu_seconds CPU time.
process_cpu_seconds_total 1.5
# EOF
"""
