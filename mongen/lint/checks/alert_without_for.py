"""alert-without-for: an alert that fires on one evaluation (no `for`, a zero one, or one below
the team's minimum)."""

from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache

from mongen.lint.checks.base import Example, Problem, RuleCheck
from mongen.lint.context import LintContext
from mongen.lint.rulefiles import Rule
from mongen.lint.self_confirming import why_no_for
from mongen.units import duration_seconds, format_duration

# A rule file spells `for` a few ways many times over.
_seconds = lru_cache(maxsize=256)(duration_seconds)


class AlertWithoutFor(RuleCheck):
    """An alert without `for` (or with `for: 0m`) fires on the first evaluation that matches: one
    slow scrape or one restart pages someone. Give it a `for` of at least two evaluation
    intervals; `--min-for DURATION` also reports a `for` shorter than that. Expressions that
    confirm themselves need none, and are not reported: multi-window burn-rate alerts (their short
    window is the confirmation), event windows (`increase(x[15m]) > 0`, `changes(x[1m]) > 0`),
    recent restarts (`process_uptime_seconds < 60`, which a `for` would make unfireable),
    deadlines on `time()` (`cert_not_after_seconds - time() < 7 * 86400`, also between two
    bounds: `0 <= (cert_not_after_seconds - time()) / 86400 < 3`), watchdogs that read
    no series (`vector(1)`) and meta-alerts on `ALERTS`. (This check was two, `alert-zero-for` and
    `alert-without-for`; a suppression naming either still works.)"""

    id = "alert-without-for"
    severity = "warning"
    needs_expr = False
    rule_kinds = ("alert",)
    bad = Example(
        """\
        groups:
          - name: tts
            rules:
              - alert: EmotiVoiceDown
                expr: up{job="emotivoice"} == 0
                labels: {severity: page}
                annotations: {summary: EmotiVoice is down, description: Prometheus cannot scrape it.}
              - alert: EmotiVoiceBusy
                expr: emoti_voice_tts_requests_in_flight > 10
                for: 0m
                labels: {severity: ticket}
                annotations: {summary: EmotiVoice is busy, description: More than 10 requests in flight.}
        """
    )
    problems = (
        Problem(5, 15, "alert `EmotiVoiceDown` has no `for`; use at least two evaluation intervals"),
        Problem(
            9,
            15,
            "alert `EmotiVoiceBusy` has `for: 0m`, so one bad evaluation fires it; use at least two evaluation intervals",
        ),
    )
    good = Example(
        """\
        groups:
          - name: tts
            rules:
              - alert: EmotiVoiceDown
                expr: up{job="emotivoice"} == 0
                for: 2m
                labels: {severity: page}
                annotations: {summary: EmotiVoice is down, description: Prometheus cannot scrape it.}
        """
    )
    more_good = (
        Example(
            """\
            # Expressions that confirm themselves, from real rule repositories.
            groups:
              - name: self-confirming
                rules:
                  - alert: OOMKilled
                    expr: increase(oom_kills_total[15m]) > 0
                    labels: {severity: ticket}
                    annotations: {summary: A container was OOM-killed in the last 15 minutes}
                  - alert: ConfigReloaded
                    expr: changes(config_last_reload_success_timestamp_seconds[1m]) > 0
                    labels: {severity: ticket}
                    annotations: {summary: The configuration was reloaded}
                  - alert: JobsFailing
                    expr: sum by (job) (rate(failed_total[5m])) > 0
                    labels: {severity: ticket}
                    annotations: {summary: Jobs fail}
                  - alert: ProcessRestarted
                    expr: process_uptime_seconds < 60
                    labels: {severity: ticket}
                    annotations: {summary: The process restarted in the last minute}
                  - alert: CertificateExpiresSoon
                    expr: cert_not_after_seconds - time() < 7 * 86400
                    labels: {severity: ticket}
                    annotations: {summary: A certificate expires within a week}
                  - alert: CertificateExpiresWithinDays
                    expr: 0 <= (cert_not_after_seconds - time()) / 86400 < 3
                    labels: {severity: ticket}
                    annotations: {summary: A certificate expires within three days}
                  - alert: Watchdog
                    expr: vector(1)
                    labels: {severity: none}
                    annotations: {summary: Always firing, to prove the alerting pipeline works}
                  - alert: TooManyAlerts
                    expr: count(ALERTS{alertstate="firing"}) > 20
                    labels: {severity: ticket}
                    annotations: {summary: More than 20 alerts fire}
            """,
            spec="",
        ),
    )

    def check(self, ctx: LintContext, rule: Rule) -> Iterator[str]:
        if rule.kind != "alert":
            return
        seconds = _seconds(rule.for_) if rule.for_ else 0.0
        minimum = ctx.options.min_for_seconds
        if seconds is None or (seconds > 0 and seconds >= minimum):
            return
        if rule.expr is not None and why_no_for(rule.expr) is not None:
            return
        if not rule.for_:
            yield f"alert `{rule.name}` has no `for`; use at least two evaluation intervals"
        elif seconds == 0:
            yield (
                f"alert `{rule.name}` has `for: {rule.for_}`, so one bad evaluation fires it; "
                "use at least two evaluation intervals"
            )
        else:
            yield f"alert `{rule.name}` has `for: {rule.for_}`, shorter than the minimum of {format_duration(int(minimum))} (--min-for)"
