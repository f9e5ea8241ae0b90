"""lint on real third-party rules that CI can install: Debian's `ceph-prometheus-alerts` (`make
install` puts it next to promtool). Every finding on it was reviewed once; those below are real
and expected, anything else is a lint regression (or a new package version to review)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.support import ROOT

CEPH_RULES = Path("/etc/prometheus/ceph/ceph_default_alerts.yml")
_NO_FOR = (
    (90, "CephOSDDownHigh"),
    (223, "CephOSDFlapping"),
    (465, "CephNodeNetworkPacketDrops"),
    (484, "CephNodeNetworkPacketErrors"),
    (502, "CephNodeDiskspaceWarning"),
    (511, "CephNodeInconsistentMTU"),
    (521, "CephPoolGrowthWarning"),
    (530, "CephPoolBackfillFull"),
)
# Reviewed: these eight alerts really have no `for` and page on a single evaluation (none of them
# confirms itself: each compares a rate or a ratio with a threshold).
_WITHOUT_FOR = [
    f"{CEPH_RULES}:{line}:15: warning [alert-without-for] alert `{name}` has no `for`; use at least two evaluation intervals"
    for line, name in _NO_FOR
]
# Reviewed: CephNodeInconsistentMTU compares with scalar(max by (device) (...) != quantile by
# (device) (...)): as soon as two devices have an inconsistent MTU, scalar() is NaN and the alert
# stops firing, exactly when the problem spreads.
_SCALAR = [
    f"{CEPH_RULES}:511:15: warning [scalar-of-groups] scalar() of `{op} by (device)`, one series per group: "
    "with two groups it is NaN and nothing compares true; match on(device) instead, or aggregate every label away"
    for op in ("max", "min")
]
EXPECTED_WITHOUT_SPEC = [*_WITHOUT_FOR[:6], *_SCALAR, *_WITHOUT_FOR[6:]]
# Reviewed: `rate(ceph_osd_up[5m])` treats every OSD going down (1 -> 0) as a counter reset;
# flapping is `changes(ceph_osd_up[5m])`. Found once the spec says ceph_osd_up is a gauge.
# The spec declares node-exporter's series by an untyped prefix: lint says the type checks are off.
_UNTYPED = (
    "tests/data/ceph-spec.yaml:32:5: warning [untyped-external] external metrics under `node_` have no `type`, "
    "so the type checks (rate-on-gauge, counter-without-rate, gauge-sum-over-time, deriv-on-counter) are off "
    "for them; declare the series the rules read by `name` with a `type`, or give the prefix one (`untyped` to "
    "keep them off)"
)
EXPECTED_WITH_SPEC = [
    _UNTYPED,
    *EXPECTED_WITHOUT_SPEC[:2],
    f"{CEPH_RULES}:223:15: error [rate-on-gauge] rate() on the gauge `ceph_osd_up`; use deriv()/delta() for its "
    "slope, changes() to count its changes, or the gauge itself",
    *EXPECTED_WITHOUT_SPEC[2:],
]


def _rules() -> Path:
    if not CEPH_RULES.is_file():
        pytest.fail(
            f"{CEPH_RULES} is missing: install Debian's ceph-prometheus-alerts package "
            "(`apt-get install ceph-prometheus-alerts`, or `make install` as root)"
        )
    return CEPH_RULES


def _lint(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mongen", "lint", *args, str(_rules())],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_ceph_rules_without_a_spec_give_exactly_the_reviewed_findings() -> None:
    """As any team would run it on a rule repository: no spec, promtool included."""
    proc = _lint("--no-spec")
    assert proc.returncode == 0, proc.stdout + proc.stderr  # warnings only
    assert proc.stdout.splitlines() == EXPECTED_WITHOUT_SPEC
    assert proc.stderr == "58 rules in 1 file: 0 errors, 10 warnings (no spec: spec checks skipped)\n"


def test_ceph_rules_with_typed_external_metrics_find_the_rate_on_a_gauge() -> None:
    proc = _lint("--no-promtool", "--spec", "tests/data/ceph-spec.yaml")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert proc.stdout.splitlines() == EXPECTED_WITH_SPEC
