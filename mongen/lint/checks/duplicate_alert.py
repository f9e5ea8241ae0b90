"""duplicate-alert: two alerting rules of one name that can fire for the same series."""

from __future__ import annotations

from collections.abc import Iterator

from mongen.lint.checks.base import Example, Problem, RuleSetCheck
from mongen.lint.checks.duplicate_rule import duplicates
from mongen.lint.rulefiles import Rule


class DuplicateAlert(RuleSetCheck):
    """Two alerting rules of one name (and static labels), in any of the linted files, whose
    expressions can return the same series. Alertmanager merges them into one alert, so nobody
    gets two notifications; but each rule keeps its own state and sends its own annotations, so
    the alert flaps between firing and resolved whenever one rule fires and the other does not,
    and its text changes with whichever rule sent last. Give them different names or labels (a
    `severity` each), or conditions that keep them apart. What keeps two rules apart is as for
    `duplicate-rule`."""

    id = "duplicate-alert"
    severity = "warning"
    bad = Example(
        """\
        groups:
          - name: tts
            rules:
              - alert: EmotiVoiceBusy
                expr: emoti_voice_tts_requests_in_flight > 10
                for: 5m
                labels: {severity: ticket}
                annotations: {summary: EmotiVoice is busy}
              - alert: EmotiVoiceBusy
                expr: emoti_voice_tts_requests_in_flight > 20
                for: 5m
                labels: {severity: ticket}
                annotations: {summary: EmotiVoice is very busy}
        """
    )
    problems = (
        Problem(
            10,
            15,
            "alert `EmotiVoiceBusy` is also defined at rules.yml:5 and both can fire for the same series: "
            "Alertmanager merges them into one alert that flaps between firing and resolved as the rules "
            "disagree; give them different labels (a severity each) or names",
        ),
    )
    good = Example(
        """\
        groups:
          - name: tts
            rules:
              - alert: EmotiVoiceBusy
                expr: emoti_voice_tts_requests_in_flight > 10
                for: 5m
                labels: {severity: ticket}
                annotations: {summary: EmotiVoice is busy}
              - alert: EmotiVoiceBusy
                expr: emoti_voice_tts_requests_in_flight > 20
                for: 5m
                labels: {severity: page}
                annotations: {summary: EmotiVoice is very busy}
        """
    )

    def check(self, rules: list[Rule]) -> Iterator[tuple[Rule, str]]:
        for rule, first in duplicates(rules, "alert"):
            yield (
                rule,
                f"alert `{rule.name}` is also defined at {first.file}:{first.line} and both can fire for the same "
                "series: Alertmanager merges them into one alert that flaps between firing and resolved as the "
                "rules disagree; give them different labels (a severity each) or names",
            )
