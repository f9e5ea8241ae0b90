"""ignored-document: YAML documents after the first in a rule file, which Prometheus never reads."""

from __future__ import annotations

from mongen.lint.checks.base import Example, InputCheck, Problem

IGNORED_DOCUMENT_MESSAGE = (
    "Prometheus reads only the first YAML document of a rule file; what follows this `---` is ignored"
)


class IgnoredDocument(InputCheck):
    """A rule file holds more than one YAML document (a second `---`). Prometheus and promtool
    read only the first and pass the file without a word about the rest, so rules after the
    second `---` are never loaded, and lint does not read them either. Reported at the `---` that
    starts the second document; merge the documents' groups into one `groups` list."""

    id = "ignored-document"
    severity = "warning"
    bad = Example(
        """\
        groups:
          - name: tts
            rules:
              - record: job:emoti_voice_tts_requests:rate5m
                expr: sum by (job) (rate(emoti_voice_tts_requests_total[5m]))
        ---
        groups:
          - name: tts-errors
            rules: []
        """
    )
    problems = (Problem(6, 1, IGNORED_DOCUMENT_MESSAGE),)
    good = Example(
        """\
        groups:
          - name: tts
            rules:
              - record: job:emoti_voice_tts_requests:rate5m
                expr: sum by (job) (rate(emoti_voice_tts_requests_total[5m]))
          - name: tts-errors
            rules: []
        """
    )
