"""expression-too-deep: an expression nested deeper than lint checks."""

from __future__ import annotations

from mongen.lint.checks.base import Example, InputCheck, Problem
from mongen.promql_tree import MAX_DEPTH

# Parentheses are the shortest way to write it: a real case is usually a generated `or` chain.
_DEEPLY_NESTED = "(" * MAX_DEPTH + "emoti_voice_tts_requests_in_flight" + ")" * MAX_DEPTH


class ExpressionTooDeep(InputCheck):
    """The expression nests more than 256 levels deep (parentheses, function calls, and chains of
    operators: a 300-term `or` is 300 levels), so lint does not check it. Nothing written by hand
    comes near; such expressions come from generators, and cost Prometheus (and the parser lint
    uses) memory that grows with the square of the depth. Split it into recording rules, or use a
    regex matcher instead of a chain of `or`. Reported also where the rule suppresses checks or
    lies outside the lines `--diff-base` selects."""

    id = "expression-too-deep"
    severity = "error"
    bad = Example(
        f"""\
        groups:
          - name: tts
            rules:
              - record: job:emoti_voice_tts_requests_in_flight:max
                expr: max by (job) {_DEEPLY_NESTED}
        """
    )
    problems = (
        Problem(
            5,
            15,
            f"the expression nests more than {MAX_DEPTH} levels deep (parentheses, calls and operator chains), "
            "so lint does not check it; split it into recording rules",
        ),
    )
    good = Example(
        """\
        groups:
          - name: tts
            rules:
              - record: job:emoti_voice_tts_requests_in_flight:max
                expr: max by (job) (emoti_voice_tts_requests_in_flight)
        """
    )
