"""regex-anchor: `^` or `$` in a regex matcher, which Prometheus anchors itself."""

from __future__ import annotations

import json
from collections.abc import Iterator

from mongen.lint.checks.base import Example, Problem, RuleCheck
from mongen.lint.context import LintContext
from mongen.lint.rulefiles import Rule


class RegexAnchor(RuleCheck):
    """Prometheus anchors every regex matcher at both ends (`=~"5.."` means `^(?:5..)$`), so a
    leading `^` or trailing `$` adds nothing. A `^` without `$` usually means the author expected a
    prefix match, which Prometheus never does: `fstype!~"^(fuse.*|tmpfs|nfs)"` does not exclude
    `nfs4` mounts, because `nfs` matches only `nfs` itself. Then the finding names the value that
    slips through; write `nfs.*` where a prefix is meant."""

    id = "regex-anchor"
    severity = "warning"
    bad = Example(
        """\
        groups:
          - name: tts
            rules:
              - record: job:emoti_voice_tts_server_errors:rate5m
                expr: sum by (job) (rate(emoti_voice_tts_requests_total{job=~"^emoti.+$"}[5m]))
              - record: instance:node_filesystem_avail_bytes:min
                expr: min by (instance) (node_filesystem_avail_bytes{fstype!~"^(fuse.*|tmpfs|nfs)"})
        """,
        spec="",
    )
    problems = (
        Problem(5, 15, '`job=~"^emoti.+$"`: Prometheus anchors regexes at both ends already; drop the `^` and `$`'),
        Problem(
            7,
            15,
            '`fstype!~"^(fuse.*|tmpfs|nfs)"`: Prometheus anchors regexes at both ends, so this is no prefix match: '
            "`nfs` does not match `nfs4`, which is not excluded; write `nfs.*` if a prefix is meant, and drop the `^`",
        ),
    )
    good = Example(
        """\
        groups:
          - name: tts
            rules:
              - record: job:emoti_voice_tts_server_errors:rate5m
                expr: sum by (job) (rate(emoti_voice_tts_requests_total{job=~"emoti.+"}[5m]))
        """
    )

    def check(self, ctx: LintContext, rule: Rule) -> Iterator[str]:
        for node in rule.selectors:
            for m in node.matchers:
                if m.op[-1] != "~" or not (m.value.startswith("^") or m.value.endswith("$")):
                    continue
                anchors = [a for a, found in (("^", m.value.startswith("^")), ("$", _ends_in_anchor(m.value))) if found]
                if anchors:
                    drop = " and ".join(f"`{a}`" for a in anchors)
                    shown = f"`{m.name}{m.op}{json.dumps(m.value)}`"
                    literal = _literal_alternative(m.value) if anchors == ["^"] else None
                    if literal is not None:
                        verb = "excluded" if m.op == "!~" else "matched"
                        yield (
                            f"{shown}: Prometheus anchors regexes at both ends, so this is no prefix match: `{literal}` "
                            f"does not match `{literal}4`, which is not {verb}; write `{literal}.*` if a prefix is "
                            "meant, and drop the `^`"
                        )
                    else:
                        yield f"{shown}: Prometheus anchors regexes at both ends already; drop the {drop}"


def _ends_in_anchor(value: str) -> bool:
    """A trailing `$` that is not escaped (`\\$` matches a dollar sign)."""
    backslashes = len(value[:-1]) - len(value[:-1].rstrip("\\"))
    return value.endswith("$") and backslashes % 2 == 0


def _literal_alternative(value: str) -> str | None:
    """The last top-level alternative of `^(a|b.*|c)` (or `^a|b`) made of plain characters only,
    which the author likely meant as a prefix; None when every alternative is open-ended."""
    body = value[1:]
    if body.startswith("(") and body.endswith(")") and body.count("(") == 1:
        body = body[1:-1]
    elif "(" in body:
        return None
    literals = [alt for alt in body.split("|") if alt and all(c.isalnum() or c in "_-" for c in alt)]
    return literals[-1] if literals else None
