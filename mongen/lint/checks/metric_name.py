"""metric-name: a spec metric named with a non-base unit."""

from __future__ import annotations

from collections.abc import Iterator

from mongen.errors import YamlPath
from mongen.lint.checks.base import Example, Problem, SpecCheck
from mongen.model import Spec

# Name parts that are units Prometheus spells in base form (seconds, bytes, ratios), with that form.
_NON_BASE_UNITS = {
    "milliseconds": "seconds",
    "ms": "seconds",
    "microseconds": "seconds",
    "minutes": "seconds",
    "hours": "seconds",
    "kilobytes": "bytes",
    "megabytes": "bytes",
    "gigabytes": "bytes",
    "kb": "bytes",
    "mb": "bytes",
    "percent": "ratio",
    "percentage": "ratio",
}


class MetricName(SpecCheck):
    """A metric name in the spec carries a non-base unit (milliseconds, kilobytes, percent).
    Prometheus metrics use seconds, bytes and ratios, so that queries and dashboards can combine
    them without conversion factors."""

    id = "metric-name"
    severity = "warning"
    bad = Example(
        spec="""\
        version: 1
        service: {name: emotivoice, namespace: emoti_voice}
        metrics:
          - {name: emoti_voice_tts_requests_total, type: counter, help: TTS requests}
          - {name: emoti_voice_tts_queue_wait_milliseconds, type: gauge, help: Time the oldest request has waited}
        scrape: {static_targets: ["127.0.0.1:8000"]}
        routing:
          routes: {page: [oncall]}
          receivers: [{name: oncall, type: webhook, url: "http://127.0.0.1:8060/"}]
        """
    )
    problems = (
        Problem(
            5,
            12,
            "`emoti_voice_tts_queue_wait_milliseconds` uses `milliseconds`; Prometheus metrics use base units (seconds)",
        ),
    )
    good = Example(
        spec="""\
        version: 1
        service: {name: emotivoice, namespace: emoti_voice}
        metrics:
          - {name: emoti_voice_tts_requests_total, type: counter, help: TTS requests}
          - {name: emoti_voice_tts_queue_wait_seconds, type: gauge, help: Time the oldest request has waited}
        scrape: {static_targets: ["127.0.0.1:8000"]}
        routing:
          routes: {page: [oncall]}
          receivers: [{name: oncall, type: webhook, url: "http://127.0.0.1:8060/"}]
        """
    )

    def check(self, spec: Spec) -> Iterator[tuple[YamlPath, str]]:
        for i, metric in enumerate(spec.metrics):
            for part in metric.base.split("_"):
                if part in _NON_BASE_UNITS:
                    yield (
                        ("metrics", i, "name"),
                        f"`{metric.name}` uses `{part}`; Prometheus metrics use base units ({_NON_BASE_UNITS[part]})",
                    )
