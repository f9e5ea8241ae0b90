"""Render docs/lint-rules.md from the checks themselves (`python -m mongen.lint.docs > docs/lint-rules.md`)."""

from __future__ import annotations

from mongen.lint.checks import CHECKS

SPEC_CHECKS = (
    (
        "metric-name",
        "warning",
        "A metric name carries a non-base unit (milliseconds, kilobytes, percent); Prometheus uses seconds, bytes and ratios.",
        "emoti_voice_tts_request_duration_milliseconds",
        "emoti_voice_tts_request_duration_seconds",
    ),
    (
        "cardinality-budget",
        "warning",
        "The spec's metrics use more than 80% of `max_series_per_instance` (above 100% the spec is rejected). "
        "`mongen cardinality SPEC` prints the table.",
        "labels: [user_id, ...]  # unbounded",
        "labels: [emotion]  # enum-backed, 5 values",
    ),
)
OTHER = (
    ("promql-parse", "error", "The expression does not parse."),
    ("rule-file", "error", "The file is not a Prometheus rule file (no `groups`) or not valid YAML."),
    ("promtool-check", "error", "`promtool check rules` rejected the file; its output is the message."),
    ("promtool-test", "error", "`promtool test rules` failed on a `*.test.yml` next to the rules (or in `../tests/`)."),
)


def render() -> str:
    out = [
        "# mongen lint rules",
        "",
        "Generated from `mongen/lint/checks.py` by `python -m mongen.lint.docs > docs/lint-rules.md`; a test keeps it in sync.",
        "",
        "`mongen lint --spec SPEC [PATH ...]` reports `FILE:LINE:COL: <severity> [<id>] message` (the line of the",
        "expression), exits 1 when any error-level finding remains, 0 otherwise, 2 for usage or spec errors.",
        "Suppress a check on one rule with a comment inside the rule or right above it:",
        "`# mongen-lint: disable=<id>[,<id>] <reason>`. `--diff-base REV` reports only rules whose lines changed since REV.",
        "",
        "`--format json` prints a list of objects with exactly these keys: `file` (string), `line` and `col`",
        "(1-based integers), `severity` (`error` or `warning`), `check` (the id below), `message` (string).",
        "`--format github` prints GitHub Actions workflow annotations.",
        "",
        "## Rule checks",
        "",
    ]
    for check in CHECKS:
        out += [
            f"### `{check.id}` ({check.severity})",
            "",
            check.summary,
            "",
            "Bad:",
            "",
            "```",
            check.bad,
            "```",
            "",
            "Good:",
            "",
            "```",
            check.good,
            "```",
            "",
        ]
    out += ["## Spec checks", ""]
    for cid, severity, summary, bad, good in SPEC_CHECKS:
        out += [
            f"### `{cid}` ({severity})",
            "",
            summary,
            "",
            "Bad:",
            "",
            "```",
            bad,
            "```",
            "",
            "Good:",
            "",
            "```",
            good,
            "```",
            "",
        ]
    out += ["## Reported from elsewhere", ""]
    out += [f"- `{cid}` ({severity}): {summary}" for cid, severity, summary in OTHER]
    return "\n".join(out) + "\n"


if __name__ == "__main__":
    print(render(), end="")
