"""Generated runbooks: one Markdown page per alert (what it means, its query, first checks, the
dashboard), written under runbooks/ while the spec sets no `runbook_base`. They are mongen's:
generated from the spec and never edited, like every other file of the output (the team's notes
live in the team's own runbooks). The alerts' `runbook_url` points at them: at `runbooks_url`
where the spec or the project config says where they are served, else by a relative path (and
`generate` warns). With a `runbook_base` the team's runbooks live there and none is written."""

from __future__ import annotations

import re

from mongen import layout
from mongen.annotations import placeholder_text
from mongen.model import Spec
from mongen.rule_types import AlertRule
from mongen.rules import naming
from mongen.rules.ruleset import rule_set
from mongen.serialize import header
from mongen.templating import render_template

_HTML = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}


_CODE_SPAN = re.compile(r"(`+).*?(?<!`)\1(?!`)", re.S)


def _text(text: str) -> str:
    """Spec text in Markdown, where a Markdown viewer would read `<...>` as HTML. Code spans stay
    as written: Markdown shows them literally, entities included (`&lt;` would show as such)."""
    out, end = [], 0
    for span in _CODE_SPAN.finditer(text):
        out += [_escaped(text[end : span.start()]), span.group(0)]
        end = span.end()
    return "".join([*out, _escaped(text[end:])])


def _escaped(text: str) -> str:
    return "".join(_HTML.get(char, char) for char in text)


def _fence(exprs: list[str]) -> str:
    """A code fence longer than any run of backticks in the queries (a label value may hold some)."""
    longest = max((len(run) for expr in exprs for run in re.findall(r"`+", expr)), default=0)
    return "`" * max(3, longest + 1)


def runbook(spec: Spec, rules: list[AlertRule]) -> str:
    first = rules[0]
    severity = dict(first.labels)["severity"]
    exprs = [rule.expr for rule in rules]
    checks = list(dict.fromkeys(check for rule in rules for check in rule.first_checks))
    return render_template(
        "runbook.md.j2",
        header=header(spec.source, "").strip(),
        alert=first.name,
        severity=severity,
        receivers=", ".join(dict(spec.routing.routes).get(severity, ())),
        service=spec.service,
        summary=placeholder_text(first.summary, _text),
        description=placeholder_text(first.description, _text),
        rules=exprs,
        fence=_fence(exprs),
        checks=[_text(check) for check in checks],
        dashboard_url=first.dashboard_url,
        dashboard_title=f"{spec.service} service",
        dashboard_uid=naming.dashboard_uid(spec),
        dashboard_file=layout.dashboard(spec.service),
    )


def generate(spec: Spec) -> dict[str, str]:
    if spec.runbook_base:
        return {}
    by_name: dict[str, list[AlertRule]] = {}
    for rule in rule_set(spec).all_alerts:
        by_name.setdefault(rule.name, []).append(rule)
    return {layout.runbook(name): runbook(spec, rules) for name, rules in by_name.items()}
