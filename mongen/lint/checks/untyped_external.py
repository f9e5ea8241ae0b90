"""untyped-external: external metrics declared by prefix without a type."""

from __future__ import annotations

from collections.abc import Iterator

from mongen.errors import YamlPath
from mongen.lint.checks.base import EXAMPLE_SPEC, Example, Problem, SpecCheck
from mongen.model import Spec


class UntypedExternal(SpecCheck):
    """`external_metrics` entries that declare series by `prefix` without a `type` make every
    name under the prefix known but untyped, so the checks that need a type (`rate-on-gauge`,
    `counter-without-rate`, `gauge-sum-over-time`, `deriv-on-counter`) are silently off for all of
    them: `rate(ceph_osd_up[5m])` on a gauge passes. Reported once, at the first such entry,
    naming every such prefix; declare the series the rules read by `name` with their `type`
    (before the prefix), or give the prefix a `type` (`type: untyped` says the checks are
    knowingly off)."""

    id = "untyped-external"
    severity = "warning"
    bad = Example(
        spec=EXAMPLE_SPEC
        + "external_metrics:\n"
        + "  - {name: node_load1, type: gauge}\n"
        + "  - prefix: node_\n"
        + "  - prefix: ceph_\n"
    )
    problems = (
        Problem(
            20,
            5,
            "external metrics under `node_`, `ceph_` have no `type`, so the type checks (rate-on-gauge, "
            "counter-without-rate, gauge-sum-over-time, deriv-on-counter) are off for them; declare the series "
            "the rules read by `name` with a `type`, or give the prefix one (`untyped` to keep them off)",
        ),
    )
    good = Example(
        spec=EXAMPLE_SPEC
        + "external_metrics:\n"
        + "  - {name: node_load1, type: gauge}\n"
        + "  - {name: ceph_osd_up, type: gauge}\n"
        + "  - {prefix: node_network_, type: counter}\n"
        + "  - {prefix: node_, type: untyped}\n"
    )

    def check(self, spec: Spec) -> Iterator[tuple[YamlPath, str]]:
        untyped = [(i, e.prefix) for i, e in enumerate(spec.external_metrics) if e.prefix and e.type is None]
        if untyped:
            names = ", ".join(f"`{prefix}`" for _, prefix in untyped)
            yield (
                ("external_metrics", untyped[0][0]),
                f"external metrics under {names} have no `type`, so the type checks (rate-on-gauge, "
                "counter-without-rate, gauge-sum-over-time, deriv-on-counter) are off for them; declare the series "
                "the rules read by `name` with a `type`, or give the prefix one (`untyped` to keep them off)",
            )
