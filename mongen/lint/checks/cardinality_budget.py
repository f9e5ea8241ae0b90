"""cardinality-budget: the spec's metrics use most of the series budget."""

from __future__ import annotations

from collections.abc import Iterator

from mongen.errors import YamlPath
from mongen.lint.checks.base import Example, Problem, SpecCheck
from mongen.model import Spec

# Warn with room left to add a label value or a metric before the spec is rejected at 100%.
_WARN_SHARE = 0.8


class CardinalityBudget(SpecCheck):
    """The spec's metrics use more than 80% of `max_series_per_instance`; above 100% the spec is
    rejected. `mongen cardinality SPEC` prints the series count of every metric."""

    id = "cardinality-budget"
    severity = "warning"
    bad = Example(
        spec="""\
        version: 1
        service: {name: emotivoice, namespace: emoti_voice, max_series_per_instance: 40}
        labels:
          emotion: {values: [happy, sad, angry, neutral], fallback: neutral}
          endpoint: {values: [/synthesize, /clone, other], fallback: other}
          status: {values: ["200", "500", other], fallback: other}
        metrics:
          - {name: emoti_voice_tts_requests_total, type: counter, help: TTS requests,
             labels: [endpoint, status, emotion]}
          - {name: emoti_voice_tts_requests_in_flight, type: gauge, help: Requests being served}
        scrape: {static_targets: ["127.0.0.1:8000"]}
        routing:
          routes: {page: [oncall]}
          receivers: [{name: oncall, type: webhook, url: "http://127.0.0.1:8060/"}]
        """
    )
    problems = (
        Problem(
            2,
            78,
            "38 series per instance use 95% of the budget of 40; largest: emoti_voice_tts_requests_total=36, "
            "emoti_voice_tts_requests_in_flight=1, emoti_voice_instrumentation_dropped_total=1",
        ),
    )
    good = Example(
        spec="""\
        version: 1
        service: {name: emotivoice, namespace: emoti_voice, max_series_per_instance: 100}
        labels:
          emotion: {values: [happy, sad, angry, neutral], fallback: neutral}
          endpoint: {values: [/synthesize, /clone, other], fallback: other}
          status: {values: ["200", "500", other], fallback: other}
        metrics:
          - {name: emoti_voice_tts_requests_total, type: counter, help: TTS requests,
             labels: [endpoint, status, emotion]}
          - {name: emoti_voice_tts_requests_in_flight, type: gauge, help: Requests being served}
        scrape: {static_targets: ["127.0.0.1:8000"]}
        routing:
          routes: {page: [oncall]}
          receivers: [{name: oncall, type: webhook, url: "http://127.0.0.1:8060/"}]
        """
    )

    def check(self, spec: Spec) -> Iterator[tuple[YamlPath, str]]:
        share = spec.total_series / spec.max_series
        if share > _WARN_SHARE:
            yield (
                ("service", "max_series_per_instance"),
                f"{spec.total_series} series per instance use {share:.0%} of the budget of {spec.max_series}; "
                f"largest: {spec.largest_metrics()}",
            )
