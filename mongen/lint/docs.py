"""Render docs/lint-rules.md from the check registry (`python -m mongen.lint.docs > docs/lint-rules.md`)."""

from __future__ import annotations

from mongen.lint.checks import INPUT_CHECKS, RULE_CHECKS, RULE_SET_CHECKS, SPEC_CHECKS
from mongen.lint.checks.base import EXAMPLE_RULES_FILE, EXAMPLE_SPEC, EXAMPLE_SPEC_FILE, Check, Example
from mongen.lint.promtool import PROMTOOL_FINDINGS

_INTRO = """\
# mongen lint rules

Generated from the checks in `mongen/lint/checks/` by `python -m mongen.lint.docs > docs/lint-rules.md`;
a test keeps it in sync. The tests lint every example below and expect exactly the findings shown
(`python -m mongen.lint.examples [ID]` prints them).

`mongen lint [--spec SPEC] [PATH ...]` reports `FILE:LINE:COL: <severity> [<id>] message` (the line of the
expression) on stdout, a summary on stderr, and exits 1 when any error-level finding remains, 0 otherwise,
2 for usage or spec errors.

Without `--spec`, lint runs every check that needs no spec (the rule files' structure, alert hygiene, the
shape of each expression, the labels recorded series keep), so it can be pointed at any rule repository;
each check below says whether it needs the spec. With `--spec`, lint also knows the service's metrics,
their types and labels, the scrape interval and the routes, and `external_metrics` declares the series
of other exporters (below).

Suppress a check on one rule with a comment inside the rule or right above it (never the rule before):
`# mongen-lint: disable=<id>[,<id>] <reason>`. `--diff-base REV` reports only rules whose lines changed
since REV. `--min-for DURATION` makes `alert-without-for` also report a `for` shorter than DURATION.
pint's `# pint disable <check>` comments are honoured where a pint check means the same as one of these.

The project config's `[checks]` table (`mongen.toml`, or `[tool.mongen]` in pyproject.toml) turns a check
off or on, changes its severity (`off`, `info`, `warning`, `error`), scopes it to paths, or sets its own
settings (README, "Configuring checks"); `mongen lint --list-checks` shows each check as configured.

`--format json` prints a list of objects with exactly these keys: `file` (string), `line` and `col`
(1-based integers), `severity` (`error` or `warning`), `check` (the id below), `message` (string).
`--format github` prints GitHub Actions workflow annotations, escaped as GitHub's toolkit escapes them.

Rule files are read as Prometheus reads them: anchors, aliases and merge keys (`<<: *defaults`) are
resolved; a rule whose `expr` comes from a merge key is reported at the rule's first line.
"""


# Declarations for two exporters a TTS host runs beside the service; a test loads them in a spec.
EXTERNAL_METRICS_EXAMPLE = """\
external_metrics:
  # dcgm-exporter (NVIDIA DCGM): gauges per GPU, in the exporter's own upper-case spelling. `job`
  # and `instance` come from the job that scrapes it; list every label your scrape config adds.
  - name: DCGM_FI_DEV_FB_USED
    type: gauge
    labels: [gpu, UUID, device, modelName, Hostname, job, instance]
  - name: DCGM_FI_DEV_FB_FREE
    type: gauge
    labels: [gpu, UUID, device, modelName, Hostname, job, instance]
  - name: DCGM_FI_DEV_GPU_UTIL
    type: gauge
    labels: [gpu, UUID, device, modelName, Hostname, job, instance]
  # node-exporter: a counter without `_total`, a gauge with upper case, a histogram by its base
  # name (its `_bucket` gets `le`, and `_sum`/`_count` are counters), and the rest by prefix,
  # knowingly untyped (without `type`, lint warns that the type checks are off for them).
  - {name: node_vmstat_pgmajfault, type: counter, labels: [job, instance]}
  - {name: node_memory_MemAvailable_bytes, type: gauge, labels: [job, instance]}
  - {name: node_disk_io_time_seconds, type: histogram, labels: [job, instance, device]}
  - {prefix: node_, type: untyped}
"""

_EXTERNAL = f"""\
## Series of other exporters: `external_metrics`

With a spec, every series a rule reads must be the service's own, recorded by a rule, or declared in
the spec's `external_metrics`: by exact `name` (in the exporter's spelling and case; a counter keeps
the name it has, with or without `_total`) or by `prefix` (every name under it). `type` (`counter`,
`gauge`, `histogram`, `summary`, `untyped`) gives the series the checks for counters and gauges;
`labels` lists every label the series carry (leave it out: any label). `up` and the other series
Prometheus writes per target need no entry: for the spec's own job (`up{{job="<scrape.job>"}}`) they
carry the spec's target labels, for any other job their labels are open; an entry for `up`
replaces both.

```yaml
{EXTERNAL_METRICS_EXAMPLE.rstrip()}
```
"""


_SECTIONS: tuple[tuple[str, str, tuple[Check, ...]], ...] = (
    (
        "Rule checks",
        "Each rule on its own: its parsed expression, the labels of its result, and the spec.",
        RULE_CHECKS,
    ),
    ("Rule-set checks", "All rules of all linted files together.", RULE_SET_CHECKS),
    ("Spec checks", "The spec itself, reported at the line of the spec to change.", SPEC_CHECKS),
    ("Input checks", "Reported while reading the rule files.", INPUT_CHECKS),
)


def render() -> str:
    out = [
        _INTRO,
        _EXTERNAL,
        "## The examples' spec",
        "",
        f"Rule-file examples are linted as `{EXAMPLE_RULES_FILE}` against this spec (`{EXAMPLE_SPEC_FILE}`),",
        "unless they show their own:",
        "",
        *_code("yaml", EXAMPLE_SPEC),
    ]
    for title, intro, checks in _SECTIONS:
        out += [f"## {title}", "", intro, ""]
        for check in checks:
            out += _check(check)
    out += ["## Reported by promtool", ""]
    out += [f"- `{cid}` ({severity}): {summary}" for cid, severity, summary in PROMTOOL_FINDINGS]
    return "\n".join(out) + "\n"


def _check(check: Check) -> list[str]:
    needs = "yes" if check.needs_spec else "no (runs without `--spec`)"
    off = (
        ""
        if check.enabled_by_default
        else f' Off by default: turn it on with `[checks.{check.id}]` `severity = "{check.severity}"` in mongen.toml.'
    )
    out = [
        f"### `{check.id}` ({check.severity})",
        "",
        check.doc,
        "",
        f"Needs the spec: {needs}.{off}",
        "",
        *_example("Bad", check.bad),
        *_code("text", "\n".join(map(str, check.documented_findings())), "Findings"),
        *_example("Good", check.good),
    ]
    for more in check.more_good:
        out += _example("Also good", more)
    return out


def _example(kind: str, example: Example) -> list[str]:
    """A rule file (after its spec when that is not the examples' spec), or a spec alone."""
    if not example.rules:
        return _code("yaml", example.spec, f"{kind} (`{EXAMPLE_SPEC_FILE}`)")
    if not example.spec:
        return _code("yaml", example.rules, f"{kind} (`{EXAMPLE_RULES_FILE}`, linted without a spec)")
    out = [] if example.spec == EXAMPLE_SPEC else _code("yaml", example.spec, f"{kind} (`{EXAMPLE_SPEC_FILE}`)")
    return out + _code("yaml", example.rules, f"{kind} (`{EXAMPLE_RULES_FILE}`)")


def _code(language: str, text: str, title: str = "") -> list[str]:
    return [*([f"{title}:", ""] if title else []), f"```{language}", text.rstrip("\n"), "```", ""]


if __name__ == "__main__":
    print(render(), end="")
