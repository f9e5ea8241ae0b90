"""The check interface. A check is one class in one module of this package, listed in CHECKS
(checks/__init__.py). It carries its id, severity, a one-paragraph doc (the class docstring), a bad
and a good example that are complete inputs, and the exact problems lint reports on the bad one.
docs/lint-rules.md is rendered from these, and the tests lint every example and compare.

Four kinds, by what a check looks at:

- RuleCheck: one rule at a time, its parsed expression (`rule.expr`, `rule.nodes`, `rule.selectors`, …)
  and the labels of its result (`rule.result`), with the spec's model in LintContext.
- RuleSetCheck: all rules of all files together (names, labels, results; never expressions, which
  are parsed in worker processes).
- SpecCheck: the spec's model; problems are reported at a YAML path of the spec file.
- InputCheck: problems the reader reports itself (the file or an expression cannot be read); no
  logic here, but an id, doc and examples like the others.

`needs_spec`: the check only means something against a spec (metric names, types, label values,
routes, the scrape interval), so `mongen lint FILES` without `--spec` skips it. The others work on
the rule files alone; with a spec they know more (labels of the service's series).
"""

from __future__ import annotations

import inspect
import textwrap
from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass
from typing import ClassVar, Literal

from mongen.errors import Finding, YamlPath
from mongen.lint.context import LintContext
from mongen.lint.rulefiles import Rule
from mongen.model import Spec

Severity = Literal["error", "warning", "info"]

# The names examples are linted (and their findings reported) under.
EXAMPLE_RULES_FILE = "rules.yml"
EXAMPLE_SPEC_FILE = "spec.yaml"

# The spec rule-file examples are checked against unless they bring their own: the EmotiVoice
# service cut down to what the examples need (a counter, a histogram, two gauges, bounded labels,
# two routed severities, a 30 s scrape interval).
EXAMPLE_SPEC = """\
version: 1
service: {name: emotivoice, namespace: emoti_voice}
labels:
  emotion: {values: [happy, sad, angry, neutral], fallback: neutral}
  endpoint: {values: [/synthesize, /clone, other], fallback: other}
  status: {values: ["200", "500", other], fallback: other}
metrics:
  - {name: emoti_voice_tts_requests_total, type: counter, help: TTS requests,
     labels: [endpoint, status, emotion]}
  - {name: emoti_voice_tts_request_duration_seconds, type: histogram, unit: seconds, help: Request latency,
     labels: [endpoint], buckets: [0.1, 0.5, 1, 5]}
  - {name: emoti_voice_tts_requests_in_flight, type: gauge, help: Requests being served}
  - {name: emoti_voice_gpu_memory_usage_bytes, type: gauge, unit: bytes, help: GPU memory in use}
scrape: {interval: 30s, static_targets: ["127.0.0.1:8000"]}
routing:
  routes: {page: [oncall], ticket: [oncall]}
  receivers: [{name: oncall, type: webhook, url: "http://127.0.0.1:8060/"}]
"""


@dataclass(frozen=True)
class Example:
    """A complete input: a rule file (empty: none) linted against a spec file (empty: linted
    without a spec, as `mongen lint FILES` on a third-party rule repository). Both texts are
    dedented, so they can be written indented inside the check's class."""

    rules: str = ""
    spec: str = EXAMPLE_SPEC

    def __post_init__(self) -> None:
        object.__setattr__(self, "rules", textwrap.dedent(self.rules))
        object.__setattr__(self, "spec", textwrap.dedent(self.spec))


@dataclass(frozen=True)
class Problem:
    """One finding of a check on its bad example: 1-based line and column in the example's file
    (the rule file; the spec for a SpecCheck) and the exact message."""

    line: int
    col: int
    message: str


class Check:
    """What every check declares. The class docstring is the check's doc paragraph."""

    id: ClassVar[str]
    severity: ClassVar[Severity]
    bad: ClassVar[Example]
    problems: ClassVar[tuple[Problem, ...]]  # exactly what lint reports on `bad`, in report order
    good: ClassVar[Example]  # lint reports nothing on it
    # More inputs lint reports nothing on: shapes from real rule repositories the check once
    # reported wrongly, documented and executed like `good`.
    more_good: ClassVar[tuple[Example, ...]] = ()
    example_file: ClassVar[str] = EXAMPLE_RULES_FILE  # the file `problems` point into
    needs_spec: ClassVar[bool] = False
    # Off by default (house style, not a defect): runs only when the project config turns it on.
    enabled_by_default: ClassVar[bool] = True

    @property
    def doc(self) -> str:
        return inspect.cleandoc(type(self).__doc__ or "")

    def documented_findings(self) -> list[Finding]:
        """`problems` as the findings lint reports on `bad`."""
        return [Finding(self.example_file, p.line, p.col, self.severity, self.id, p.message) for p in self.problems]


class RuleCheck(Check, ABC):
    needs_expr: ClassVar[bool] = True  # False: also runs on rules whose expression does not parse
    rule_kinds: ClassVar[tuple[str, ...]] = ("alert", "record")  # the kinds of rule it looks at

    @abstractmethod
    def check(self, ctx: LintContext, rule: Rule) -> Iterator[str]:
        """Messages about `rule`, reported at its expression."""


class RuleSetCheck(Check, ABC):
    @abstractmethod
    def check(self, rules: list[Rule]) -> Iterator[tuple[Rule, str]]:
        """Messages about rules seen together, each reported at the rule it names."""


class SpecCheck(Check, ABC):
    example_file = EXAMPLE_SPEC_FILE
    needs_spec = True

    @abstractmethod
    def check(self, spec: Spec) -> Iterator[tuple[YamlPath, str]]:
        """Messages about the spec, each at the YAML path of the value to change."""


class InputCheck(Check):
    """Reported by the reader (runner.py); the subclass documents the id."""
