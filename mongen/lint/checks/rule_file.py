"""rule-file: a file that is not a Prometheus rule file."""

from __future__ import annotations

from mongen.lint.checks.base import Example, InputCheck, Problem


class NotARuleFile(InputCheck):
    """The file cannot be read as a Prometheus rule file, so no rule in it can be checked: it is
    not valid YAML, uses an undefined alias or a merge key (`<<`)
    on something that is no mapping, or has no `groups` list. Reported at the position of the
    problem. In a directory, YAML files that hold no rules (a `prometheus.yml`, say) are skipped;
    a file named on the command line is always reported, and so is a file refused for what it is
    wherever it lies: not a regular file (a named pipe, a device; only regular files are read,
    also through symlinks), unreadable, larger than 64 MiB, not UTF-8 text (with the line and
    column of the first bad byte), or YAML whose aliases expand without bound (like promtool's
    "excessive aliasing") or nest more than 64 levels deep. An empty file, one of comments only
    and `groups:` without a value are rule files of 0 rules, as promtool reads them."""

    id = "rule-file"
    severity = "error"
    bad = Example(
        """\
        rules:
          - record: job:emoti_voice_tts_requests:rate5m
            expr: sum by (job) (rate(emoti_voice_tts_requests_total[5m]))
        """
    )
    problems = (Problem(1, 1, "not a Prometheus rule file: no `groups` list"),)
    good = Example(
        """\
        groups:
          - name: tts
            rules:
              - record: job:emoti_voice_tts_requests:rate5m
                expr: sum by (job) (rate(emoti_voice_tts_requests_total[5m]))
        """
    )
